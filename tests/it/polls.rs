//! The polls rows of the contract over real HTTP against Postgres and Redis: creation limits,
//! who may see and change what, status changes, options, votes (replacement, limits, closed
//! and expired polls, concurrency), results, audit and categories.

use crate::common::{
    Player, TestApp,
    api::{option_id, poll_id},
    assert_error, assert_invalid_field,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn simple(app: &TestApp, who: &Player) -> Value {
    app.create_poll(
        who,
        json!({"question": "Tea or coffee?", "options": ["Tea", "Coffee", "Water"]}),
    )
    .await
}

async fn a_poll_is_created_open_with_its_options_and_read_by_anyone(app: &TestApp) {
    let alice = app.register("Alice").await;
    let poll = app
        .create_poll(
            &alice,
            json!({"question": " Best pet? ", "description": "Be honest", "options": ["Cat", "Dog"],
               "category": "general", "allow_multiple": true}),
        )
        .await;
    assert_eq!(poll["question"], "Best pet?");
    assert_eq!(poll["status"], "open");
    assert_eq!(poll["max_choices"], 2);
    assert_eq!(poll["category"]["slug"], "general");
    assert_eq!(poll["creator"]["display_name"], "Alice");
    assert_eq!(poll["options"][1]["text"], "Dog");
    assert_eq!(poll["options"][1]["position"], 1);
    assert_eq!(poll["total_votes"], 0);
    assert_eq!(poll["my_votes"], json!([]));
    let (s, body) = app
        .get(None, &format!("/api/polls/{}", poll_id(&poll)))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["id"], poll["id"]);
}

async fn every_creation_limit_is_a_422_naming_its_field(app: &TestApp) {
    let alice = app.register("Alice").await;
    let long = "x".repeat(201);
    let future = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let past = (chrono::Utc::now() - chrono::TimeDelta::hours(1)).to_rfc3339();
    let _ = future;
    let cases = [
        (json!({"question": long, "options": ["a", "b"]}), "question"),
        (json!({"question": "", "options": ["a", "b"]}), "question"),
        (
            json!({"question": "q", "description": "d".repeat(1001), "options": ["a", "b"]}),
            "description",
        ),
        (json!({"question": "q", "options": ["a"]}), "options"),
        (
            json!({"question": "q", "options": (0..21).map(|n| n.to_string()).collect::<Vec<_>>()}),
            "options",
        ),
        (
            json!({"question": "q", "options": ["a", "o".repeat(101)]}),
            "options",
        ),
        (
            json!({"question": "q", "options": ["Same", " same "]}),
            "options",
        ),
        (
            json!({"question": "q", "options": ["a", "b"], "max_choices": 2}),
            "max_choices",
        ),
        (
            json!({"question": "q", "options": ["a", "b"], "allow_multiple": true, "max_choices": 3}),
            "max_choices",
        ),
        (
            json!({"question": "q", "options": ["a", "b"], "expires_at": past}),
            "expires_at",
        ),
        (
            json!({"question": "q", "options": ["a", "b"], "category": "nope"}),
            "category",
        ),
        (json!({"options": ["a", "b"]}), "question"),
        // A text poll has no options; a choice poll has no text settings.
        (
            json!({"question": "q", "options": ["a", "b"], "kind": "text"}),
            "options",
        ),
        (
            json!({"question": "q", "options": ["a", "b"], "moderation": "pre"}),
            "kind",
        ),
    ];
    for (body, field) in cases {
        let (s, b) = app.post_poll(&alice, body).await;
        assert_invalid_field(s, &b, field);
    }
    let (s, b) = app
        .post_poll(&alice, json!({"question": 5, "options": []}))
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "malformed_request");
    let (s, b) = app
        .post_poll(
            &alice,
            json!({"question": "q", "options": ["a", "b"], "kind": "bogus"}),
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "malformed_request");
    // Said or not, a poll is a choice poll, and says so in every body.
    for body in [
        json!({"question": "Said", "options": ["a", "b"], "kind": "choice"}),
        json!({"question": "Unsaid", "options": ["a", "b"]}),
    ] {
        let poll = app.create_poll(&alice, body).await;
        assert_eq!(poll["kind"], "choice", "{poll}");
        let (s, read) = app
            .get(
                None,
                &format!("/api/polls/{}", poll["code"].as_str().unwrap_or_default()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{read}");
        assert_eq!(read["poll"]["kind"], "choice", "{read}");
    }
    let (s, list) = app.get(None, "/api/polls?sort=recent").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let kinds: Vec<&Value> = list["polls"]
        .as_array()
        .map(|p| p.iter().map(|x| &x["kind"]).collect())
        .unwrap_or_default();
    assert!(
        !kinds.is_empty() && kinds.iter().all(|k| *k == "choice"),
        "{list}"
    );
}

async fn options_a_reader_cannot_tell_apart_are_refused_and_emoji_sequences_kept(app: &TestApp) {
    let alice = app.register("Alice").await;
    let family = "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}";
    let cases = [
        // Differing only by a zero-width space.
        (
            json!({"question": "Tea?", "options": ["Tea", "Tea\u{200b}"]}),
            "options",
        ),
        // Differing only by how the accent was typed.
        (
            json!({"question": "Coffee?", "options": ["Caf\u{e9}", "cafe\u{301}"]}),
            "options",
        ),
        // A right-to-left override turning the question around.
        (
            json!({"question": "\u{202e}?aeT", "options": ["a", "b"]}),
            "question",
        ),
        // Letters glued by a joiner that shows nothing.
        (
            json!({"question": "q", "options": ["A\u{200d}B", "C"]}),
            "options",
        ),
        (
            json!({"question": "q", "description": "see \u{2066}here\u{2069}", "options": ["a", "b"]}),
            "description",
        ),
    ];
    for (body, field) in cases {
        let (s, b) = app.post_poll(&alice, body).await;
        assert_invalid_field(s, &b, field);
    }
    // An emoji family is one option, and the same three people apart are another.
    let poll = app
        .create_poll(
            &alice,
            json!({"question": "Who comes?", "description": "Line one\nline two",
               "options": [family, "\u{1f468}\u{1f469}\u{1f467}", "Caf\u{e9}"]}),
        )
        .await;
    assert_eq!(poll["options"][0]["text"], family);
    assert_eq!(poll["description"], "Line one\nline two");
    let path = format!("/api/polls/{}/options", poll_id(&poll));
    let (s, b) = app
        .call(
            "POST",
            &path,
            &alice,
            Some(json!({"text": "Wa\u{200b}ter"})),
        )
        .await;
    assert_invalid_field(s, &b, "text");
    let (s, b) = app
        .call("POST", &path, &alice, Some(json!({"text": "CAFE\u{301}"})))
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "duplicate_option");
}

async fn drafts_are_their_creators_alone_and_only_the_creator_changes_a_poll(app: &TestApp) {
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let draft = app
        .create_poll(
            &alice,
            json!({"question": "Draft?", "options": ["a", "b"], "publish": false}),
        )
        .await;
    assert_eq!(draft["status"], "draft");
    let path = format!("/api/polls/{}", poll_id(&draft));
    let (s, b) = app.get_poll(&bob, &poll_id(&draft)).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "poll_not_found");
    let (s, b) = app.get(None, &path).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "poll_not_found");
    let (s, b) = app
        .call(
            "PUT",
            &format!("{path}/vote"),
            &bob,
            Some(json!({"option_ids": [option_id(&draft, 0)]})),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "poll_not_found");
    let (s, b) = app.get_poll(&alice, &poll_id(&draft)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // The creator may vote on nothing in a draft: it is not open.
    let (s, b) = app
        .call(
            "PUT",
            &format!("{path}/vote"),
            &alice,
            Some(json!({"option_ids": [option_id(&draft, 0)]})),
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "poll_closed");

    let (s, b) = app
        .call("POST", &format!("{path}/publish"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["poll"]["status"], "open");
    let (s, b) = app
        .call("POST", &format!("{path}/publish"), &alice, None)
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "wrong_state");
    for (method, suffix, body) in [
        ("PATCH", "", Some(json!({"question": "Mine now"}))),
        ("DELETE", "", None),
        ("POST", "/close", None),
        ("POST", "/options", Some(json!({"text": "c"}))),
        (
            "PATCH",
            &format!("/options/{}", option_id(&draft, 0)) as &str,
            Some(json!({"text": "z"})),
        ),
        (
            "DELETE",
            &format!("/options/{}", option_id(&draft, 0)) as &str,
            None,
        ),
        ("GET", "/audit", None),
    ] {
        let (s, b) = app
            .call(method, &format!("{path}{suffix}"), &bob, body)
            .await;
        assert_error(s, &b, StatusCode::FORBIDDEN, "not_creator");
    }
}

async fn unlisted_polls_are_reachable_by_id(app: &TestApp) {
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let poll = app
        .create_poll(
            &alice,
            json!({"question": "Secret?", "options": ["a", "b"], "is_public": false}),
        )
        .await;
    assert_eq!(poll["is_public"], false);
    let (s, b) = app.get_poll(&bob, &poll_id(&poll)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .vote(&bob, &poll_id(&poll), json!([option_id(&poll, 1)]))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn a_vote_replaces_the_earlier_one_and_counts_are_exact(app: &TestApp) {
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let poll = app.create_poll(&alice,
        json!({"question": "Pick two", "options": ["a", "b", "c"], "allow_multiple": true, "max_choices": 2}),
    )
    .await;
    let vote = format!("/api/polls/{}/vote", poll_id(&poll));
    let (a, b, c) = (
        option_id(&poll, 0),
        option_id(&poll, 1),
        option_id(&poll, 2),
    );
    let (s, body) = app.vote(&bob, &poll_id(&poll), json!([a, b])).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["total_votes"], 2);
    assert_eq!(body["poll"]["voters"], 1);
    let (s, body) = app.vote(&bob, &poll_id(&poll), json!([c])).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["total_votes"], 1);
    assert_eq!(body["poll"]["voters"], 1);
    assert_eq!(body["poll"]["options"][2]["votes"], 1);
    assert_eq!(body["poll"]["options"][0]["votes"], 0);
    assert_eq!(body["poll"]["my_votes"], json!([c]));
    // The same choice again changes nothing.
    let (s, again) = app.vote(&bob, &poll_id(&poll), json!([c])).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["poll"]["total_votes"], 1);
    let (s, _) = app.vote(&alice, &poll_id(&poll), json!([c, a])).await;
    assert_eq!(s, StatusCode::OK);
    let (s, r) = app
        .get(None, &format!("/api/polls/{}/results", poll_id(&poll)))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["total_votes"], 3);
    assert_eq!(r["voters"], 2);
    assert_eq!(r["options"][2]["votes"], 2);
    assert!((r["options"][2]["share"].as_f64().unwrap_or(0.0) - 2.0 / 3.0).abs() < 1e-9);

    // Refusals.
    let (s, e) = app.vote(&bob, &poll_id(&poll), json!([a, b, c])).await;
    assert_error(s, &e, StatusCode::UNPROCESSABLE_ENTITY, "too_many_choices");
    let (s, e) = app.vote(&bob, &poll_id(&poll), json!([])).await;
    assert_invalid_field(s, &e, "option_ids");
    let (s, e) = app.vote(&bob, &poll_id(&poll), json!([a, a])).await;
    assert_invalid_field(s, &e, "option_ids");
    let other = simple(app, &alice).await;
    let (s, e) = app
        .vote(&bob, &poll_id(&poll), json!([option_id(&other, 0)]))
        .await;
    assert_error(s, &e, StatusCode::NOT_FOUND, "option_not_found");

    // Withdrawing.
    let (s, body) = app.call("DELETE", &vote, &bob, None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["voters"], 1);
    assert_eq!(body["poll"]["my_votes"], json!([]));
    let (s, e) = app.call("DELETE", &vote, &bob, None).await;
    assert_error(s, &e, StatusCode::NOT_FOUND, "no_vote");

    // The audit log has every step, each once.
    let (s, log) = app
        .call(
            "GET",
            &format!("/api/polls/{}/audit", poll_id(&poll)),
            &alice,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        actions,
        [
            "vote_withdrawn",
            "vote_cast",
            "vote_changed",
            "vote_cast",
            "poll_created"
        ]
    );
    let (s, mine) = app.call("GET", "/api/me/audit", &bob, None).await;
    assert_eq!(s, StatusCode::OK);
    // Bob's own: his three vote actions, newest first, after his account's (registration and
    // the sign-ins, written with them).
    let mine: Vec<&str> = mine["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        mine[..3],
        ["vote_withdrawn", "vote_changed", "vote_cast"],
        "{mine:?}"
    );
    assert_eq!(mine.last(), Some(&"user_registered"), "{mine:?}");
    assert!(mine.contains(&"login"), "{mine:?}");
}

async fn fifty_concurrent_changes_by_one_voter_end_as_one_choice(app: &TestApp) {
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let poll = app
        .create_poll(
            &alice,
            json!({"question": "Race", "options": ["a", "b", "c", "d"]}),
        )
        .await;
    let vote = format!("/api/polls/{}/vote", poll_id(&poll));
    let ids: Vec<String> = (0..4).map(|n| option_id(&poll, n)).collect();
    let calls = (0..50).map(|n| {
        let body = json!({"option_ids": [ids[n % 4]]});
        let (app, bob, vote) = (app, &bob, &vote);
        async move { app.call("PUT", vote, bob, Some(body)).await }
    });
    for (s, b) in futures::future::join_all(calls).await {
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (_, r) = app
        .get(None, &format!("/api/polls/{}/results", poll_id(&poll)))
        .await;
    assert_eq!(r["total_votes"], 1, "{r}");
    assert_eq!(r["voters"], 1, "{r}");
    let recount: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM poll_ballots b, unnest(b.option_ids) o WHERE b.poll_id = $1::uuid",
    )
    .bind(poll_id(&poll))
    .fetch_one(&app.pool)
    .await
    .expect("recount");
    assert_eq!(recount, 1);
}

/// Five voters choose option C while its creator deletes C, and again while the creator closes
/// the poll: each vote is either refused or counted, never a 200 that then counts for nothing.
/// (Votes read the poll's rules without a lock; the ballot function now checks them again under
/// the poll row's share lock, which an edit's update lock excludes.)
async fn a_vote_racing_an_edit_is_refused_or_counted_never_lost(app: &TestApp) {
    let alice = app.register("Alice").await;
    let mut voters = Vec::new();
    for n in 0..5 {
        voters.push(app.register(&format!("Voter{n}")).await);
    }
    let (mut deleted, mut kept) = (0, 0);
    for round in 0..12 {
        let close = round % 2 == 1;
        let poll = simple(app, &alice).await;
        let pid = poll_id(&poll);
        let target = option_id(&poll, 2);
        let vote = format!("/api/polls/{pid}/vote");
        let votes = voters.iter().map(|v| {
            let (app, vote, body) = (app, &vote, json!({"option_ids": [target]}));
            async move { app.call("PUT", vote, v, Some(body)).await }
        });
        let edit = async {
            if close {
                app.call("POST", &format!("/api/polls/{pid}/close"), &alice, None)
                    .await
            } else {
                let path = format!("/api/polls/{pid}/options/{target}");
                app.call("DELETE", &path, &alice, None).await
            }
        };
        let (votes, (edit_status, edit_body)) =
            futures::future::join(futures::future::join_all(votes), edit).await;
        let accepted = votes.iter().filter(|(s, _)| *s == StatusCode::OK).count() as i64;
        for (s, b) in &votes {
            match *s {
                StatusCode::OK => {}
                StatusCode::CONFLICT => assert_error(*s, b, StatusCode::CONFLICT, "poll_closed"),
                _ => assert_error(*s, b, StatusCode::NOT_FOUND, "option_not_found"),
            }
        }
        let (_, now) = app.get(None, &format!("/api/polls/{pid}")).await;
        let now = &now["poll"];
        assert_eq!(now["voters"], accepted, "round {round}: {now}");
        assert_eq!(now["total_votes"], accepted, "round {round}: {now}");
        if close {
            assert_eq!(edit_status, StatusCode::OK, "{edit_body}");
            // What the close answered is what the poll keeps: no vote lands after it.
            assert_eq!(edit_body["poll"]["total_votes"], accepted, "{edit_body}");
        } else if edit_status == StatusCode::NO_CONTENT {
            deleted += 1;
            assert_eq!(accepted, 0, "round {round}: votes for a deleted option");
        } else {
            kept += 1;
            assert_error(
                edit_status,
                &edit_body,
                StatusCode::CONFLICT,
                "option_has_votes",
            );
        }
    }
    eprintln!("option deleted first in {deleted} rounds, kept by a vote in {kept}");
}

async fn closed_and_expired_polls_refuse_votes_and_an_expired_poll_cannot_reopen(app: &TestApp) {
    let alice = app.register("Alice").await;
    let poll = simple(app, &alice).await;
    let base = format!("/api/polls/{}", poll_id(&poll));
    let body = json!({"option_ids": [option_id(&poll, 0)]});
    let (s, b) = app
        .call("POST", &format!("{base}/close"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["poll"]["status"], "closed");
    let (s, e) = app
        .call("PUT", &format!("{base}/vote"), &alice, Some(body.clone()))
        .await;
    assert_error(s, &e, StatusCode::CONFLICT, "poll_closed");
    let (s, b) = app
        .call("POST", &format!("{base}/reopen"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = app
        .call("PUT", &format!("{base}/vote"), &alice, Some(body.clone()))
        .await;
    assert_eq!(s, StatusCode::OK);

    // Past its expiry a poll refuses votes at once, whatever any timer has done. (The expiry
    // is moved into the past in Postgres: the API refuses a past expires_at.)
    sqlx::query("UPDATE polls SET expires_at = now() - interval '1 second' WHERE id = $1::uuid")
        .bind(poll_id(&poll))
        .execute(&app.pool)
        .await
        .expect("expire");
    let (s, e) = app
        .call("PUT", &format!("{base}/vote"), &alice, Some(body))
        .await;
    assert_error(s, &e, StatusCode::CONFLICT, "poll_closed");
    let (s, b) = app.get_poll(&alice, &poll_id(&poll)).await;
    assert_eq!(b["poll"]["status"], "closed", "{s} {b}");
    let (s, e) = app
        .call("POST", &format!("{base}/close"), &alice, None)
        .await;
    assert_error(s, &e, StatusCode::CONFLICT, "wrong_state");
}

async fn options_change_only_while_unvoted_and_a_poll_keeps_two_to_twenty(app: &TestApp) {
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let poll = app
        .create_poll(&alice, json!({"question": "Opts", "options": ["a", "b"]}))
        .await;
    let base = format!("/api/polls/{}", poll_id(&poll));
    let (s, e) = app
        .call(
            "DELETE",
            &format!("{base}/options/{}", option_id(&poll, 0)),
            &alice,
            None,
        )
        .await;
    assert_error(s, &e, StatusCode::CONFLICT, "too_few_options");
    let (s, e) = app
        .call(
            "POST",
            &format!("{base}/options"),
            &alice,
            Some(json!({"text": " A "})),
        )
        .await;
    assert_error(s, &e, StatusCode::CONFLICT, "duplicate_option");
    let (s, e) = app
        .call(
            "POST",
            &format!("{base}/options"),
            &alice,
            Some(json!({"text": ""})),
        )
        .await;
    assert_invalid_field(s, &e, "text");
    let (s, c) = app
        .call(
            "POST",
            &format!("{base}/options"),
            &alice,
            Some(json!({"text": "c"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["option"]["position"], 2);
    for n in 3..20 {
        let (s, b) = app
            .call(
                "POST",
                &format!("{base}/options"),
                &alice,
                Some(json!({"text": format!("o{n}")})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, e) = app
        .call(
            "POST",
            &format!("{base}/options"),
            &alice,
            Some(json!({"text": "one more"})),
        )
        .await;
    assert_invalid_field(s, &e, "options");
    let (s, e) = app
        .call(
            "PATCH",
            &format!("{base}/options/{}", uuid::Uuid::new_v4()),
            &alice,
            Some(json!({"text": "x"})),
        )
        .await;
    assert_error(s, &e, StatusCode::NOT_FOUND, "option_not_found");

    let (s, _) = app
        .call(
            "PUT",
            &format!("{base}/vote"),
            &bob,
            Some(json!({"option_ids": [option_id(&poll, 0)]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let voted = format!("{base}/options/{}", option_id(&poll, 0));
    let (s, e) = app
        .call("PATCH", &voted, &alice, Some(json!({"text": "changed"})))
        .await;
    assert_error(s, &e, StatusCode::CONFLICT, "option_has_votes");
    let (s, e) = app.call("DELETE", &voted, &alice, None).await;
    assert_error(s, &e, StatusCode::CONFLICT, "option_has_votes");
    let unvoted = format!("{base}/options/{}", option_id(&poll, 1));
    let (s, b) = app
        .call("PATCH", &unvoted, &alice, Some(json!({"text": "B!"})))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["option"]["text"], "B!");
    let (s, _) = app.call("DELETE", &unvoted, &alice, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // The question is fixed once voted; other fields are not.
    let (s, e) = app
        .call("PATCH", &base, &alice, Some(json!({"question": "New?"})))
        .await;
    assert_error(s, &e, StatusCode::CONFLICT, "poll_has_votes");
    let (s, b) = app
        .call(
            "PATCH",
            &base,
            &alice,
            Some(json!({"description": "more", "category": "food", "is_public": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["poll"]["category"]["slug"], "food");
    assert_eq!(b["poll"]["options"].as_array().map(Vec::len), Some(19));
    let (s, b) = app
        .call("PATCH", &base, &alice, Some(json!({"category": null})))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(b["poll"]["category"].is_null(), "{b}");
}

async fn a_deleted_poll_is_gone_and_categories_are_for_admins_to_add(app: &TestApp) {
    let alice = app.register("Alice").await;
    let poll = simple(app, &alice).await;
    let path = format!("/api/polls/{}", poll_id(&poll));
    let (s, _) = app.call("DELETE", &path, &alice, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = app.get_poll(&alice, &poll_id(&poll)).await;
    assert_error(s, &e, StatusCode::NOT_FOUND, "poll_not_found");

    let (s, list) = app.get(None, "/api/categories").await;
    assert_eq!(s, StatusCode::OK);
    let slugs: Vec<&str> = list["categories"]
        .as_array()
        .map(|c| c.iter().filter_map(|x| x["slug"].as_str()).collect())
        .unwrap_or_default();
    for slug in [
        "general",
        "technology",
        "science",
        "sports",
        "entertainment",
        "games",
        "food",
        "politics",
        "other",
    ] {
        assert!(slugs.contains(&slug), "{slug}: {list}");
    }
    let new = json!({"slug": "music", "name": "Music"});
    let (s, e) = app
        .call("POST", "/api/categories", &alice, Some(new.clone()))
        .await;
    assert_error(s, &e, StatusCode::FORBIDDEN, "not_admin");
    // Register the admin by the configured email.
    let res = reqwest::Client::new()
        .post(app.url("/api/auth/register"))
        .json(&json!({"email": "ROOT@example.com", "password": "password123", "display_name": "Root"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), StatusCode::CREATED);
    let root = app.login("root@example.com", "Root").await;
    let (s, b) = app
        .call("POST", "/api/categories", &root, Some(new.clone()))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["category"]["slug"], "music");
    let (s, e) = app.call("POST", "/api/categories", &root, Some(new)).await;
    assert_error(s, &e, StatusCode::CONFLICT, "slug_taken");
    let (s, e) = app
        .call(
            "POST",
            "/api/categories",
            &root,
            Some(json!({"slug": "Bad Slug!", "name": "x"})),
        )
        .await;
    assert_invalid_field(s, &e, "slug");
    // An admin may delete anyone's poll.
    let other = simple(app, &alice).await;
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/polls/{}", poll_id(&other)),
            &root,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

async fn the_openapi_document_lists_the_poll_routes(app: &TestApp) {
    let (s, doc) = app.get(None, "/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    for path in [
        "/api/polls",
        "/api/polls/{id}",
        "/api/polls/{id}/vote",
        "/api/polls/{id}/results",
        "/api/polls/{id}/options/{option_id}",
        "/api/polls/{id}/audit",
        "/api/me/audit",
        "/api/categories",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
}

async fn a_poll_closes_itself_at_its_expiry_once(app: &TestApp) {
    let alice = app.register("Alice").await;
    let at = chrono::Utc::now() + chrono::TimeDelta::milliseconds(700);
    let poll = app
        .create_poll(
            &alice,
            json!({"question": "Soon over", "options": ["a", "b"], "expires_at": at.to_rfc3339()}),
        )
        .await;
    let pid = poll_id(&poll);
    // The row itself says closed (the sweep ran), not only the view.
    let closed_at: chrono::DateTime<chrono::Utc> =
        crate::common::eventually("the sweep to close the poll", || {
            let pool = app.pool.clone();
            let pid = pid.clone();
            async move {
                sqlx::query_scalar::<_, Option<chrono::DateTime<chrono::Utc>>>(
                    "SELECT closed_at FROM polls WHERE id = $1::uuid AND status = 'closed'",
                )
                .bind(pid)
                .fetch_optional(&pool)
                .await
                .ok()
                .flatten()
                .flatten()
            }
        })
        .await;
    assert!(
        (closed_at - at).num_milliseconds().abs() < 5,
        "closed at its expiry"
    );
    let (_, log) = app
        .call("GET", &format!("/api/polls/{pid}/audit"), &alice, None)
        .await;
    let closes: Vec<&Value> = log["entries"]
        .as_array()
        .map(|e| e.iter().filter(|x| x["action"] == "poll_closed").collect())
        .unwrap_or_default();
    assert_eq!(closes.len(), 1, "{log}");
    assert!(closes[0]["actor_id"].is_null());
}

/// The server every group of checks shares (a server and database per check would cost more
/// than the checks), with one administrator email configured.
async fn server(pool: PgPool) -> TestApp {
    let mut config = crate::common::test_config(&crate::common::fresh_prefix());
    config.admin_emails = vec!["root@example.com".into()];
    // These checks create many polls from one account; the per-account limit has its own test.
    config.limits.polls_per_account_per_minute = 1_000;
    config.limits.account_writes_per_minute = 1_000;
    crate::common::spawn_app_with(pool, config).await
}

#[sqlx::test]
async fn polls_are_created_read_and_changed_by_the_rules(pool: PgPool) {
    let app = &server(pool).await;
    a_poll_is_created_open_with_its_options_and_read_by_anyone(app).await;
    every_creation_limit_is_a_422_naming_its_field(app).await;
    options_a_reader_cannot_tell_apart_are_refused_and_emoji_sequences_kept(app).await;
    drafts_are_their_creators_alone_and_only_the_creator_changes_a_poll(app).await;
    unlisted_polls_are_reachable_by_id(app).await;
    a_deleted_poll_is_gone_and_categories_are_for_admins_to_add(app).await;
    the_openapi_document_lists_the_poll_routes(app).await;
}

#[sqlx::test]
async fn votes_replace_each_other_and_options_follow_the_rules(pool: PgPool) {
    let app = &server(pool).await;
    a_vote_replaces_the_earlier_one_and_counts_are_exact(app).await;
    fifty_concurrent_changes_by_one_voter_end_as_one_choice(app).await;
    a_vote_racing_an_edit_is_refused_or_counted_never_lost(app).await;
    options_change_only_while_unvoted_and_a_poll_keeps_two_to_twenty(app).await;
}

#[sqlx::test]
async fn closed_and_expired_polls(pool: PgPool) {
    let app = &server(pool).await;
    closed_and_expired_polls_refuse_votes_and_an_expired_poll_cannot_reopen(app).await;
    a_poll_closes_itself_at_its_expiry_once(app).await;
}
