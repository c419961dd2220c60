//! Open-answer (text) polls through the real server: a pre-moderated answer that no voter or
//! watcher sees (REST, Socket.IO, the plain WebSocket, the exports) until the creator approves
//! it, then in the answers and the word cloud; a flagged answer held under post-moderation; a
//! hide taking an answer down everywhere; one voter's limit under concurrent answers on two
//! nodes; bad input and calls of the wrong kind refused with clear codes; and a live watcher
//! ending on the exact cloud.

use crate::common::api::{option_id, poll_id};
use crate::common::{
    Player, TestApp, assert_error, assert_invalid_field, fresh_prefix, socket::Sock,
    spawn_app_with, test_config, unlimited_config,
};
use crate::polls_live::{next_json, plain_ws};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;
use tf_rust_socketio::TransportType;

async fn text_poll(app: &TestApp, who: &Player, settings: Value) -> Value {
    let mut body = json!({"question": "One word for this year?", "kind": "text"});
    if let (Some(b), Some(s)) = (body.as_object_mut(), settings.as_object()) {
        for (k, v) in s {
            b.insert(k.clone(), v.clone());
        }
    }
    app.create_poll(who, body).await
}

async fn answer(app: &TestApp, who: &Player, poll: &str, text: &str) -> (StatusCode, Value) {
    app.call(
        "POST",
        &format!("/api/polls/{poll}/answers"),
        who,
        Some(json!({"text": text})),
    )
    .await
}

async fn moderate(
    app: &TestApp,
    who: &Player,
    poll: &str,
    answer: &Value,
    status: &str,
) -> (StatusCode, Value) {
    let aid = answer.as_str().expect("an answer id");
    app.call(
        "PATCH",
        &format!("/api/polls/{poll}/answers/{aid}"),
        who,
        Some(json!({"status": status})),
    )
    .await
}

/// The approved answers' texts in a text results body.
fn texts(results: &Value) -> Vec<String> {
    results["answers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["text"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The cloud's words.
fn words(results: &Value) -> Vec<String> {
    results["words"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["word"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[sqlx::test]
async fn a_pre_moderated_answer_is_seen_by_no_voter_until_the_creator_approves_it(pool: PgPool) {
    let app = spawn_app_with(pool, unlimited_config(&fresh_prefix())).await;
    let creator = app.register("Creator").await;
    let poll = text_poll(
        &app,
        &creator,
        json!({"moderation": "pre", "answers_per_voter": 2, "allow_anonymous": true}),
    )
    .await;
    assert_eq!(poll["kind"], "text");
    assert_eq!(poll["options"], json!([]));
    assert_eq!(
        (
            &poll["text"]["max_length"],
            &poll["text"]["answers_per_voter"],
            &poll["text"]["moderation"]
        ),
        (&json!(140), &json!(2), &json!("pre"))
    );
    let id = poll_id(&poll);
    let creator_sock = Sock::connect(&app.base, &creator.token, TransportType::Websocket).await;
    let watcher = Sock::anonymous(&app.base).await;
    watcher.ok("subscribe_poll", json!({"poll_id": id})).await;
    let mut ws = plain_ws(&app, &id, &[]).await.expect("upgrade");
    next_json(&mut ws).await.expect("the poll");

    let voter = app.register("Voter").await;
    let (s, taken) = answer(&app, &voter, &id, "  Pineapple pizza, obviously!  ").await;
    assert_eq!(s, StatusCode::CREATED, "{taken}");
    assert_eq!(taken["answer"]["status"], "pending");
    assert_eq!(taken["answer"]["text"], "Pineapple pizza, obviously!");
    let aid = taken["answer"]["id"].clone();
    // Its author sees it waiting; the results do not have it.
    assert_eq!(taken["poll"]["text"]["my_answers"][0]["status"], "pending");
    assert_eq!(taken["poll"]["text"]["results"]["answers"], json!([]));
    assert_eq!(taken["poll"]["text"]["results"]["words"], json!([]));
    assert_eq!(taken["poll"]["voters"], 1);
    // The creator's sockets hear of it at once, flagged or not.
    let queued = creator_sock
        .inbox
        .wait_for("poll_answer", |v| v["answer"]["id"] == aid)
        .await;
    assert_eq!(queued["answer"]["status"], "pending");
    assert_eq!(queued["answer"]["flagged"], false);
    assert_eq!(queued["answer"]["author"]["display_name"], "Voter");

    // Under the word filter an answer is held even where moderation would not hold it; here
    // it is held anyway, and flagged for the creator.
    let rude = app.register("Rude").await;
    let (s, held) = answer(&app, &rude, &id, "you fucking idiot").await;
    assert_eq!(s, StatusCode::CREATED, "{held}");
    assert_eq!(held["answer"]["status"], "pending");

    // Anyone else: nothing, by every road.
    let other = app.register("Other").await;
    let (_, seen) = app.get_poll(&other, &id).await;
    assert_eq!(
        seen["poll"]["text"]["results"]["answers"],
        json!([]),
        "{seen}"
    );
    assert_eq!(seen["poll"]["text"]["my_answers"], json!([]));
    let (_, results) = app.get(None, &format!("/api/polls/{id}/results")).await;
    assert_eq!(texts(&results["text"]), Vec::<String>::new(), "{results}");
    let (_, export) = app.get(None, &format!("/api/polls/{id}/export")).await;
    assert_eq!(export["answers"], json!([]), "{export}");
    let ack = watcher.ok("subscribe_poll", json!({"poll_id": id})).await;
    assert_eq!(ack["poll"]["text"]["results"]["answers"], json!([]));
    // A non-creator cannot read the queue.
    let (s, body) = app
        .call("GET", &format!("/api/polls/{id}/answers"), &other, None)
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "not_creator");

    // The creator's queue has both, the rude one flagged.
    let (s, q) = app
        .call(
            "GET",
            &format!("/api/polls/{id}/answers?status=pending"),
            &creator,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{q}");
    assert_eq!(
        q["counts"],
        json!({"pending": 2, "approved": 0, "hidden": 0})
    );
    let flagged: Vec<bool> = q["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| a["flagged"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(flagged, vec![false, true], "{q}");

    // Approved: in the results and the cloud, live to watchers on both sockets.
    let (s, approved) = moderate(&app, &creator, &id, &aid, "approved").await;
    assert_eq!(s, StatusCode::OK, "{approved}");
    assert_eq!(approved["answer"]["status"], "approved");
    let live = watcher
        .inbox
        .wait_for("poll_results", |v| !texts(&v["text"]).is_empty())
        .await;
    assert_eq!(texts(&live["text"]), vec!["Pineapple pizza, obviously!"]);
    assert_eq!(
        words(&live["text"]),
        vec!["obviously", "pineapple", "pizza"]
    );
    loop {
        let m = next_json(&mut ws).await.expect("open");
        if m["poll"]["text"]["results"]["answer_count"] == 1 {
            assert_eq!(
                words(&m["poll"]["text"]["results"]),
                vec!["obviously", "pineapple", "pizza"]
            );
            break;
        }
    }
    // No broadcast ever carried the held answers.
    for m in watcher.inbox.all("poll_results") {
        assert!(!m.to_string().contains("idiot"), "{m}");
    }
    let (_, seen) = app.get_poll(&other, &id).await;
    assert_eq!(
        texts(&seen["poll"]["text"]["results"]),
        vec!["Pineapple pizza, obviously!"]
    );
    assert!(!seen.to_string().contains("idiot"));

    // An anonymous voter on an allow_anonymous poll: their cookie, their answers, their limit.
    let anon = crate::common::browser();
    let first = anon
        .post(app.url(&format!("/api/polls/{id}/answers")))
        .json(&json!({"text": "Tacos"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(first.status(), StatusCode::CREATED);
    for (text, want) in [
        ("Tacos again", StatusCode::CREATED),
        ("Third", StatusCode::CONFLICT),
    ] {
        let r = anon
            .post(app.url(&format!("/api/polls/{id}/answers")))
            .json(&json!({"text": text}))
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), want, "{text}");
        if want == StatusCode::CONFLICT {
            let body: Value = r.json().await.expect("json");
            assert_eq!(body["error"]["code"], "answer_limit_reached", "{body}");
        }
    }

    // The exports: results only what was approved; the creator's ballots everything, with
    // its status.
    let (_, export) = app.get(None, &format!("/api/polls/{id}/export")).await;
    assert_eq!(
        texts(&export),
        vec!["Pineapple pizza, obviously!"],
        "{export}"
    );
    let (s, ballots) = app
        .call("GET", &format!("/api/polls/{id}/ballots"), &creator, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{ballots}");
    let statuses: Vec<(String, String)> = ballots["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| {
            (
                a["text"].as_str().unwrap_or_default().to_string(),
                a["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(statuses.len(), 4, "{ballots}");
    assert!(statuses.contains(&("you fucking idiot".into(), "pending".into())));
    assert!(statuses.contains(&("Pineapple pizza, obviously!".into(), "approved".into())));
    // The audit log has the answer and the decision.
    let (_, log) = app
        .call("GET", &format!("/api/polls/{id}/audit"), &creator, None)
        .await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"answer_submitted"), "{log}");
    assert!(actions.contains(&"answer_approved"), "{log}");
}

#[sqlx::test]
async fn hiding_an_answer_under_post_moderation_takes_it_down_everywhere(pool: PgPool) {
    let app = spawn_app_with(pool, unlimited_config(&fresh_prefix())).await;
    let creator = app.register("Creator").await;
    let poll = text_poll(&app, &creator, json!({})).await;
    assert_eq!(poll["text"]["moderation"], "post", "the default");
    let id = poll_id(&poll);
    let watcher = Sock::anonymous(&app.base).await;
    watcher.ok("subscribe_poll", json!({"poll_id": id})).await;

    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let (s, blue) = answer(&app, &ann, &id, "Blue skies").await;
    assert_eq!(s, StatusCode::CREATED, "{blue}");
    assert_eq!(blue["answer"]["status"], "approved", "shown at once");
    let (s, green) = answer(&app, &bob, &id, "Green fields, blue sea").await;
    assert_eq!(s, StatusCode::CREATED, "{green}");
    let (_, results) = app.get(None, &format!("/api/polls/{id}/results")).await;
    assert_eq!(results["total_votes"], 2, "{results}");
    // The lists count the people who answered, as they count voters.
    let path = format!("/api/polls?creator={}", creator.id);
    crate::common::eventually("the list's voter count", || async {
        let (_, list) = app.get(None, &path).await;
        (list["polls"][0]["voters"] == 2).then_some(())
    })
    .await;
    assert_eq!(
        results["text"]["words"][0],
        json!({"word": "blue", "count": 2})
    );

    let (s, hidden) = moderate(&app, &creator, &id, &blue["answer"]["id"], "hidden").await;
    assert_eq!(s, StatusCode::OK, "{hidden}");
    assert_eq!(hidden["answer"]["status"], "hidden");
    let (_, results) = app.get(None, &format!("/api/polls/{id}/results")).await;
    assert_eq!(texts(&results["text"]), vec!["Green fields, blue sea"]);
    assert_eq!(
        results["text"]["words"],
        json!([{"word": "blue", "count": 1}, {"word": "fields", "count": 1},
               {"word": "green", "count": 1}, {"word": "sea", "count": 1}])
    );
    assert!(!results.to_string().contains("skies"));
    watcher
        .inbox
        .wait_for("poll_results", |v| v["text"]["answer_count"] == 1)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let last = watcher.inbox.all("poll_results").pop().expect("results");
    assert!(!last.to_string().contains("skies"), "{last}");
    let csv = Client::new()
        .get(app.url(&format!("/api/polls/{id}/export?format=csv")))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(csv.contains("Green fields"), "{csv}");
    assert!(!csv.contains("skies"), "{csv}");
    // An answer a spreadsheet would run is defused in both CSVs, as every export's cells are.
    let cy = app.register("Cy").await;
    let (s, _) = answer(&app, &cy, &id, "=HYPERLINK(\"http://x\")").await;
    assert_eq!(s, StatusCode::CREATED);
    let csv = Client::new()
        .get(app.url(&format!("/api/polls/{id}/export?format=csv")))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
    let ballots = Client::new()
        .get(app.url(&format!("/api/polls/{id}/ballots?format=csv")))
        .bearer_auth(&creator.token)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(ballots.starts_with("poll_id,voter_id,voter_kind,voter_name,submitted_at,answer_id,answer,status,flagged\r\n"), "{ballots}");
    assert!(ballots.contains("'=HYPERLINK"), "{ballots}");
    assert!(ballots.contains(",Blue skies,hidden,false"), "{ballots}");
    // Its author still sees it, as hidden; the same decision again changes nothing.
    let (_, mine) = app.get_poll(&ann, &id).await;
    assert_eq!(mine["poll"]["text"]["my_answers"][0]["status"], "hidden");
    let (s, again) = moderate(&app, &creator, &id, &blue["answer"]["id"], "hidden").await;
    assert_eq!(s, StatusCode::OK, "{again}");
    // And brought back.
    let (s, _) = moderate(&app, &creator, &id, &blue["answer"]["id"], "approved").await;
    assert_eq!(s, StatusCode::OK);
    let (_, results) = app.get(None, &format!("/api/polls/{id}/results")).await;
    assert_eq!(results["text"]["answer_count"], 3, "{results}");
    assert!(results.to_string().contains("Blue skies"));
}

#[sqlx::test]
async fn one_voters_limit_holds_under_concurrent_answers_on_two_nodes(pool: PgPool) {
    let a = spawn_app_with(pool.clone(), unlimited_config(&fresh_prefix())).await;
    let b = spawn_app_with(pool.clone(), unlimited_config(&a.prefix)).await;
    let creator = a.register("Creator").await;
    let single = poll_id(&text_poll(&a, &creator, json!({})).await);
    for n in 0..6 {
        let voter = a.register(&format!("V{n}")).await;
        let (first, second) = tokio::join!(
            answer(&a, &voter, &single, "first"),
            answer(&b, &voter, &single, "second"),
        );
        let mut statuses = [first.0, second.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::CONFLICT],
            "{} / {}",
            first.1,
            second.1
        );
        let refused = if first.0 == StatusCode::CONFLICT {
            &first
        } else {
            &second
        };
        assert_error(
            refused.0,
            &refused.1,
            StatusCode::CONFLICT,
            "answer_limit_reached",
        );
    }
    // Three answers each, six sent at once across both nodes: exactly three taken.
    let three = poll_id(&text_poll(&a, &creator, json!({"answers_per_voter": 3})).await);
    let voter = a.register("Busy").await;
    let calls = (0..6).map(|n| {
        let node = if n % 2 == 0 { &a } else { &b };
        let (voter, three) = (&voter, three.clone());
        async move { answer(node, voter, &three, &format!("idea {n}")).await }
    });
    let results = futures::future::join_all(calls).await;
    let taken = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(taken, 3, "{results:?}");
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM poll_answers WHERE poll_id = $1::uuid")
            .bind(&three)
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(stored, 3);
    let (_, body) = b.get_poll(&voter, &three).await;
    assert_eq!(body["poll"]["voters"], 1, "one voter, whatever they said");
    assert_eq!(
        body["poll"]["text"]["my_answers"].as_array().map(Vec::len),
        Some(3)
    );
}

#[sqlx::test]
async fn bad_answers_and_calls_of_the_wrong_kind_are_refused_clearly(pool: PgPool) {
    let app = spawn_app_with(pool, test_config(&fresh_prefix())).await;
    let creator = app.register("Creator").await;
    let voter = app.register("Voter").await;

    // Creation: no options, bounded settings, settings only on text polls.
    for (body, field) in [
        (
            json!({"question": "Q", "kind": "text", "options": ["a", "b"]}),
            "options",
        ),
        (
            json!({"question": "Q", "kind": "text", "max_length": 281}),
            "max_length",
        ),
        (
            json!({"question": "Q", "kind": "text", "answers_per_voter": 11}),
            "answers_per_voter",
        ),
        (
            json!({"question": "Q", "options": ["a", "b"], "max_length": 20}),
            "kind",
        ),
    ] {
        let (s, e) = app.post_poll(&creator, body).await;
        assert_invalid_field(s, &e, field);
    }
    let (s, e) = app
        .post_poll(
            &creator,
            json!({"question": "Q", "kind": "text", "moderation": "later"}),
        )
        .await;
    assert_invalid_field(s, &e, "moderation");

    let poll = text_poll(&app, &creator, json!({"max_length": 10})).await;
    let id = poll_id(&poll);
    for bad in [
        "a\u{0}b",
        "eleven char",
        "   ",
        "",
        "a\u{202e}b",
        "two\nlines",
    ] {
        let (s, e) = answer(&app, &voter, &id, bad).await;
        assert_invalid_field(s, &e, "text");
    }
    let (s, e) = app
        .call(
            "POST",
            &format!("/api/polls/{id}/answers"),
            &voter,
            Some(json!({"text": 5})),
        )
        .await;
    assert_error(s, &e, StatusCode::BAD_REQUEST, "malformed_request");
    let (s, e) = answer(&app, &voter, &uuid::Uuid::new_v4().to_string(), "hi").await;
    assert_error(s, &e, StatusCode::NOT_FOUND, "poll_not_found");
    // Not signed in, on a poll without allow_anonymous.
    let r = Client::new()
        .post(app.url(&format!("/api/polls/{id}/answers")))
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Kinds: a vote on a text poll, options on it, an answer to a choice poll.
    let (s, e) = app.vote(&voter, &id, json!([uuid::Uuid::new_v4()])).await;
    assert_error(s, &e, StatusCode::CONFLICT, "wrong_kind");
    let (s, e) = app
        .call("DELETE", &format!("/api/polls/{id}/vote"), &voter, None)
        .await;
    assert_error(s, &e, StatusCode::CONFLICT, "wrong_kind");
    let (s, e) = app
        .call(
            "POST",
            &format!("/api/polls/{id}/options"),
            &creator,
            Some(json!({"text": "An option"})),
        )
        .await;
    assert_error(s, &e, StatusCode::CONFLICT, "wrong_kind");
    let choice = app
        .create_poll(&creator, json!({"question": "Pick", "options": ["x", "y"]}))
        .await;
    let cid = poll_id(&choice);
    let (s, e) = answer(&app, &voter, &cid, "x").await;
    assert_error(s, &e, StatusCode::CONFLICT, "wrong_kind");
    let (s, e) = app
        .call("GET", &format!("/api/polls/{cid}/answers"), &creator, None)
        .await;
    assert_error(s, &e, StatusCode::CONFLICT, "wrong_kind");
    let sock = Sock::connect(&app.base, &voter.token, TransportType::Websocket).await;
    sock.refused(
        "vote_poll",
        json!({"poll_id": id, "option_ids": [option_id(&choice, 0)]}),
        "wrong_kind",
    )
    .await;
    sock.refused(
        "answer_poll",
        json!({"poll_id": cid, "text": "x"}),
        "wrong_kind",
    )
    .await;
    sock.refused(
        "answer_poll",
        json!({"poll_id": id, "text": "a\u{0}"}),
        "validation_failed",
    )
    .await;
    let ack = sock
        .ok("answer_poll", json!({"poll_id": id, "text": "By socket"}))
        .await;
    assert_eq!(ack["answer"]["status"], "approved", "{ack}");
    sock.refused(
        "answer_poll",
        json!({"poll_id": id, "text": "Again"}),
        "answer_limit_reached",
    )
    .await;

    // Moderation: the creator only, this poll's answers only, approve or hide only.
    let aid = ack["answer"]["id"].clone();
    let (s, e) = moderate(&app, &voter, &id, &aid, "hidden").await;
    assert_error(s, &e, StatusCode::FORBIDDEN, "not_creator");
    let other = text_poll(&app, &creator, json!({})).await;
    let (s, e) = moderate(&app, &creator, &poll_id(&other), &aid, "hidden").await;
    assert_error(s, &e, StatusCode::NOT_FOUND, "answer_not_found");
    let (s, e) = moderate(&app, &creator, &id, &json!(uuid::Uuid::new_v4()), "hidden").await;
    assert_error(s, &e, StatusCode::NOT_FOUND, "answer_not_found");
    for bad in ["pending", "deleted"] {
        let (s, e) = moderate(&app, &creator, &id, &aid, bad).await;
        assert_invalid_field(s, &e, "status");
    }
    let (s, e) = app
        .call(
            "GET",
            &format!("/api/polls/{id}/answers?status=maybe"),
            &creator,
            None,
        )
        .await;
    assert_invalid_field(s, &e, "status");

    // Closed: no more answers, the moderation goes on.
    let (s, _) = app
        .call("POST", &format!("/api/polls/{id}/close"), &creator, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let late = app.register("Late").await;
    let (s, e) = answer(&app, &late, &id, "late").await;
    assert_error(s, &e, StatusCode::CONFLICT, "poll_closed");
    let (s, _) = moderate(&app, &creator, &id, &aid, "hidden").await;
    assert_eq!(s, StatusCode::OK);
}

#[sqlx::test]
async fn a_live_watcher_ends_on_the_exact_cloud(pool: PgPool) {
    let a = spawn_app_with(pool.clone(), unlimited_config(&fresh_prefix())).await;
    let b = spawn_app_with(pool, test_config(&a.prefix)).await;
    let creator = a.register("Creator").await;
    let poll = text_poll(&a, &creator, json!({"answers_per_voter": 3})).await;
    let id = poll_id(&poll);
    let watcher = Sock::anonymous(&b.base).await;
    watcher.ok("subscribe_poll", json!({"poll_id": id})).await;
    let mut ws = plain_ws(&b, &id, &[]).await.expect("upgrade");
    next_json(&mut ws).await.expect("the poll");

    let mut voters = Vec::new();
    for n in 0..8 {
        voters.push(a.register(&format!("V{n}")).await);
    }
    let phrases = [
        "red apple",
        "green apple",
        "apple pie",
        "cherry pie",
        "red cherry",
    ];
    let mut calls = Vec::new();
    for round in 0..3 {
        for (i, v) in voters.iter().enumerate() {
            let node = if (round + i) % 2 == 0 { &a } else { &b };
            let text = phrases[(round * 3 + i) % phrases.len()].to_string();
            let id = id.clone();
            calls.push(async move { answer(node, v, &id, &text).await });
        }
    }
    for (s, body) in futures::future::join_all(calls).await {
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (_, exact) = a.get(None, &format!("/api/polls/{id}/results")).await;
    assert_eq!(exact["text"]["answer_count"], 24, "{exact}");
    assert_eq!(exact["voters"], 8, "{exact}");
    let want = exact["text"]["words"].clone();
    let apples = want
        .as_array()
        .and_then(|w| w.iter().find(|x| x["word"] == "apple"))
        .cloned()
        .unwrap_or_default();
    let expected_apples = (0..3)
        .flat_map(|round| (0..8).map(move |i| phrases[(round * 3 + i) % phrases.len()]))
        .filter(|p| p.contains("apple"))
        .count();
    assert_eq!(apples["count"], expected_apples, "{want}");
    watcher
        .inbox
        .wait_for("poll_results", |v| v["text"]["words"] == want)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = watcher.inbox.all("poll_results");
    assert_eq!(
        all.last().map(|v| &v["text"]["words"]),
        Some(&want),
        "ends exact"
    );
    // At most 10 a second: 24 answers in a burst never make 24 broadcasts.
    assert!(all.len() < 24, "{} broadcasts", all.len());
    loop {
        let m = next_json(&mut ws).await.expect("open");
        if m["poll"]["text"]["results"]["words"] == want {
            break;
        }
    }
}
