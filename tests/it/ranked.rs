//! Ranked-choice polls through the real server: rankings kept in order (the poll body, the
//! audit log, the ballots export), an instant runoff that takes three rounds, an anonymous
//! voter's ranking counted like anyone's, the results exact at close; the rules of a ranking
//! (422 naming `option_ids`); one voter re-ranking on two nodes at once ending as one ballot;
//! and the runoff live over `poll_results` and the plain WebSocket, ending exact.

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

async fn ranked_poll(app: &TestApp, who: &Player, options: &[&str], anonymous: bool) -> Value {
    app.create_poll(
        who,
        json!({"question": "Best?", "options": options, "kind": "ranked",
               "allow_anonymous": anonymous}),
    )
    .await
}

/// The option ids of `poll` at these positions, as a ranking.
fn ranking(poll: &Value, positions: &[usize]) -> Value {
    json!(
        positions
            .iter()
            .map(|n| option_id(poll, *n))
            .collect::<Vec<_>>()
    )
}

/// One round as option positions: `(position, votes)` of each, and the eliminated ones.
type RoundAt = (Vec<(usize, i64)>, Vec<usize>);

/// Each round's `(option position, votes)` and eliminated positions, for reading asserts.
fn rounds(poll: &Value, runoff: &Value) -> Vec<RoundAt> {
    let position = |id: &Value| {
        (0..poll["options"].as_array().map_or(0, Vec::len))
            .find(|n| poll["options"][*n]["id"] == *id)
            .expect("an option of the poll")
    };
    runoff["rounds"]
        .as_array()
        .expect("rounds")
        .iter()
        .map(|r| {
            let tallies = r["tallies"]
                .as_array()
                .expect("tallies")
                .iter()
                .map(|t| {
                    (
                        position(&t["option_id"]),
                        t["votes"].as_i64().expect("votes"),
                    )
                })
                .collect();
            let out = r["eliminated"]
                .as_array()
                .expect("eliminated")
                .iter()
                .map(position)
                .collect();
            (tallies, out)
        })
        .collect()
}

#[sqlx::test]
async fn a_ranked_poll_runs_off_in_three_rounds_and_keeps_each_ranking_in_order(pool: PgPool) {
    let app = spawn_app_with(pool, unlimited_config(&fresh_prefix())).await;
    let alice = app.register("Alice").await;
    let poll = ranked_poll(&app, &alice, &["A", "B", "C", "D"], true).await;
    assert_eq!(poll["kind"], "ranked");
    assert!(poll["runoff"]["rounds"].is_array(), "{poll}");
    assert_eq!(poll["runoff"]["winner"], Value::Null);
    let id = poll_id(&poll);

    // 3 × [A], 2 × [B, A], 2 × [C, B], 1 × [D, C] (that one anonymous, by cookie).
    let ballots: [&[usize]; 7] = [&[0], &[0], &[0], &[1, 0], &[1, 0], &[2, 1], &[2, 1]];
    for (n, b) in ballots.iter().enumerate() {
        let voter = app.register(&format!("Voter{n}")).await;
        let (s, body) = app.vote(&voter, &id, ranking(&poll, b)).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(
            body["poll"]["my_votes"],
            ranking(&poll, b),
            "in the order sent"
        );
    }
    let anon = Client::new()
        .put(app.url(&format!("/api/polls/{id}/vote")))
        .json(&json!({"option_ids": ranking(&poll, &[3, 2])}))
        .send()
        .await
        .expect("anonymous vote");
    assert_eq!(anon.status(), StatusCode::OK);
    let anon: Value = anon.json().await.expect("json");
    assert_eq!(anon["poll"]["my_votes"], ranking(&poll, &[3, 2]));

    let (s, results) = app
        .call("GET", &format!("/api/polls/{id}/results"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{results}");
    // `votes` are first choices.
    let votes: Vec<i64> = (0..4)
        .map(|n| results["options"][n]["votes"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(votes, vec![3, 2, 2, 1], "{results}");
    assert_eq!(
        (&results["voters"], &results["total_votes"]),
        (&json!(8), &json!(8))
    );
    // Round 1: A3 B2 C2 D1, D out; round 2: D's ballot goes to C: A3 B2 C3, B out; round 3:
    // B's two go to A: A5 C3, and 5 of 8 is a majority.
    assert_eq!(
        rounds(&poll, &results["runoff"]),
        vec![
            (vec![(0, 3), (1, 2), (2, 2), (3, 1)], vec![3]),
            (vec![(0, 3), (1, 2), (2, 3)], vec![1]),
            (vec![(0, 5), (2, 3)], vec![]),
        ],
        "{results}"
    );
    assert_eq!(results["runoff"]["winner"], option_id(&poll, 0));
    assert_eq!(
        results["runoff"]["rounds"][1]["tallies"][2]["transferred"],
        1
    );
    assert_eq!(
        results["runoff"]["rounds"][2]["tallies"][0]["transferred"],
        2
    );

    // The poll body carries the same runoff; a voter reads their ranking back in order.
    let voter = app.register("Late").await;
    let (s, _) = app.vote(&voter, &id, ranking(&poll, &[3, 1, 2, 0])).await;
    assert_eq!(s, StatusCode::OK);
    let (_, body) = app.get_poll(&voter, &id).await;
    assert_eq!(body["poll"]["my_votes"], ranking(&poll, &[3, 1, 2, 0]));
    // A3 B2 C2 D2: a three-way tie for fewest with no earlier round, so the latest option (D)
    // goes; its two go to C and B: A3 B3 C3, and in round 1 B and C had fewer than A, C the
    // later: C goes; its ballots go to B (two) or nowhere (D, C): B5 of 8 counted.
    assert_eq!(
        rounds(&poll, &body["poll"]["runoff"]),
        vec![
            (vec![(0, 3), (1, 2), (2, 2), (3, 2)], vec![3]),
            (vec![(0, 3), (1, 3), (2, 3)], vec![2]),
            (vec![(0, 3), (1, 5)], vec![]),
        ],
        "{body}"
    );
    assert_eq!(body["poll"]["runoff"]["rounds"][2]["exhausted"], 1);
    assert_eq!(body["poll"]["runoff"]["winner"], option_id(&poll, 1));

    // Re-ranking below the first choice changes no count, but it does change the runoff:
    // now D's second ballot goes to A, B goes in round 2 and A wins with 6.
    let (s, body) = app.vote(&voter, &id, ranking(&poll, &[3, 0])).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["poll"]["options"][3]["votes"], 2, "{body}");
    assert_eq!(
        rounds(&poll, &body["poll"]["runoff"]),
        vec![
            (vec![(0, 3), (1, 2), (2, 2), (3, 2)], vec![3]),
            (vec![(0, 4), (1, 2), (2, 3)], vec![1]),
            (vec![(0, 6), (2, 3)], vec![]),
        ],
        "{body}"
    );
    assert_eq!(body["poll"]["runoff"]["winner"], option_id(&poll, 0));

    // The audit log and the ballots export keep the order.
    let (_, log) = app
        .call("GET", &format!("/api/polls/{id}/audit"), &alice, None)
        .await;
    let last = log["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|x| x["action"] == "vote_changed"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        last["details"]["option_ids"],
        ranking(&poll, &[3, 0]),
        "{log}"
    );
    assert_eq!(
        last["details"]["previous"],
        ranking(&poll, &[3, 1, 2, 0]),
        "{log}"
    );
    let (s, export) = app
        .call("GET", &format!("/api/polls/{id}/ballots"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{export}");
    let late = export["ballots"]
        .as_array()
        .and_then(|b| b.iter().find(|x| x["voter"]["id"] == voter.id.to_string()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        late["choices"],
        json!([{"rank": 1, "option_id": option_id(&poll, 3), "text": "D"},
               {"rank": 2, "option_id": option_id(&poll, 0), "text": "A"}])
    );

    // Closed: the close answer and every read after it carry the same exact runoff.
    let (s, closed) = app
        .call("POST", &format!("/api/polls/{id}/close"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{closed}");
    let (_, after) = app
        .call("GET", &format!("/api/polls/{id}/results"), &alice, None)
        .await;
    assert_eq!(closed["poll"]["runoff"], after["runoff"]);
    assert_eq!(closed["poll"]["voters"], 9);
    let (s, e) = app.vote(&voter, &id, ranking(&poll, &[0])).await;
    assert_error(s, &e, StatusCode::CONFLICT, "poll_closed");
}

#[sqlx::test]
async fn a_ranking_is_one_to_all_options_each_once(pool: PgPool) {
    let app = crate::common::spawn_app(pool).await;
    let alice = app.register("Alice").await;
    let poll = ranked_poll(&app, &alice, &["A", "B", "C"], false).await;
    let id = poll_id(&poll);
    assert_eq!(
        poll["max_choices"], 1,
        "max_choices does not apply to rankings"
    );
    let a = option_id(&poll, 0);
    for bad in [json!([]), json!([a, option_id(&poll, 1), a])] {
        let (s, body) = app.vote(&alice, &id, bad).await;
        assert_invalid_field(s, &body, "option_ids");
    }
    let (s, body) = app
        .vote(&alice, &id, json!([a, uuid::Uuid::new_v4().to_string()]))
        .await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "option_not_found");
    // Nothing of those was counted; a full ranking is taken whatever `max_choices` says.
    let (s, body) = app.vote(&alice, &id, ranking(&poll, &[2, 0, 1])).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["voters"], 1);
    assert_eq!(body["poll"]["runoff"]["winner"], option_id(&poll, 2));
    // Over the socket too.
    let sock = Sock::connect(
        &app.base,
        &alice.token,
        tf_rust_socketio::TransportType::Websocket,
    )
    .await;
    let ack = sock
        .ok(
            "vote_poll",
            json!({"poll_id": id, "option_ids": ranking(&poll, &[1, 2])}),
        )
        .await;
    assert_eq!(ack["poll"]["my_votes"], ranking(&poll, &[1, 2]));
    assert_eq!(ack["poll"]["runoff"]["winner"], option_id(&poll, 1));
    sock.refused(
        "vote_poll",
        json!({"poll_id": id, "option_ids": ranking(&poll, &[1, 1])}),
        "validation_failed",
    )
    .await;

    // Choice polls are as they were: sorted choices, no runoff.
    let choice = app
        .create_poll(
            &alice,
            json!({"question": "Pick", "options": ["x", "y", "z"], "allow_multiple": true}),
        )
        .await;
    assert!(choice.get("runoff").is_none(), "{choice}");
    let (s, body) = app
        .vote(&alice, poll_id(&choice), ranking(&choice, &[2, 0]))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["total_votes"], 2);
    assert!(body["poll"].get("runoff").is_none());
    let mut sorted = vec![option_id(&choice, 2), option_id(&choice, 0)];
    sorted.sort();
    assert_eq!(body["poll"]["my_votes"], json!(sorted));
}

#[sqlx::test]
async fn one_voter_reranking_on_two_nodes_at_once_ends_as_one_ballot(pool: PgPool) {
    let a = spawn_app_with(pool.clone(), unlimited_config(&fresh_prefix())).await;
    let b = spawn_app_with(pool.clone(), unlimited_config(&a.prefix)).await;
    let alice = a.register("Alice").await;
    let poll = ranked_poll(&a, &alice, &["A", "B", "C"], false).await;
    let id = poll_id(&poll);
    let orders = [ranking(&poll, &[0, 1, 2]), ranking(&poll, &[2, 1, 0])];
    for _ in 0..10 {
        let (first, second) = tokio::join!(
            a.vote(&alice, &id, orders[0].clone()),
            b.vote(&alice, &id, orders[1].clone()),
        );
        assert_eq!(first.0, StatusCode::OK, "{}", first.1);
        assert_eq!(second.0, StatusCode::OK, "{}", second.1);
    }
    let stored: Vec<Vec<uuid::Uuid>> =
        sqlx::query_scalar("SELECT option_ids FROM poll_ballots WHERE poll_id = $1::uuid")
            .bind(&id)
            .fetch_all(&pool)
            .await
            .expect("ballots");
    assert_eq!(stored.len(), 1, "one ballot");
    let kept = json!(
        stored[0]
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    assert!(
        orders.contains(&kept),
        "one of the two rankings whole: {kept}"
    );
    for node in [&a, &b] {
        let (_, r) = node
            .call("GET", &format!("/api/polls/{id}/results"), &alice, None)
            .await;
        assert_eq!(r["voters"], 1, "{r}");
        assert_eq!(r["total_votes"], 1, "{r}");
        assert_eq!(r["runoff"]["winner"], kept[0], "{r}");
        let first = (0..3)
            .find(|n| r["options"][*n]["votes"] == 1)
            .map(|n| option_id(&poll, n));
        assert_eq!(first.as_deref(), kept[0].as_str(), "{r}");
        let (_, me) = node.get_poll(&alice, &id).await;
        assert_eq!(me["poll"]["my_votes"], kept);
    }
}

#[sqlx::test]
async fn the_runoff_is_live_over_both_sockets_and_ends_exact(pool: PgPool) {
    let a = spawn_app_with(pool.clone(), unlimited_config(&fresh_prefix())).await;
    let b = spawn_app_with(pool, test_config(&a.prefix)).await;
    let creator = a.register("Creator").await;
    let poll = ranked_poll(&a, &creator, &["A", "B", "C", "D"], false).await;
    let id = poll_id(&poll);
    let watcher = Sock::anonymous(&b.base).await;
    watcher.ok("subscribe_poll", json!({"poll_id": id})).await;
    let mut ws = plain_ws(&b, &id, &[]).await.expect("upgrade");
    let hello = next_json(&mut ws).await.expect("the poll");
    assert_eq!(hello["poll"]["runoff"]["winner"], Value::Null);

    // A burst of rankings and re-rankings from six voters on both nodes.
    let mut voters = Vec::new();
    for n in 0..6 {
        voters.push(a.register(&format!("V{n}")).await);
    }
    let orders: [&[usize]; 4] = [&[0, 1], &[1, 2, 3], &[2, 1], &[3, 2, 0]];
    let mut calls = Vec::new();
    for round in 0..5 {
        for (i, v) in voters.iter().enumerate() {
            let node = if (round + i) % 2 == 0 { &a } else { &b };
            let order = ranking(&poll, orders[(round * 3 + i) % 4]);
            let id = id.clone();
            calls.push(async move { node.vote(v, &id, order).await });
        }
    }
    for (s, body) in futures::future::join_all(calls).await {
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (_, exact) = a
        .call("GET", &format!("/api/polls/{id}/results"), &creator, None)
        .await;
    assert_eq!(exact["voters"], 6, "{exact}");
    let want = exact["runoff"].clone();
    watcher
        .inbox
        .wait_for("poll_results", |v| v["runoff"] == want)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = watcher.inbox.all("poll_results");
    assert_eq!(all.last().map(|v| &v["runoff"]), Some(&want), "ends exact");
    assert_eq!(all.last().map(|v| &v["voters"]), Some(&json!(6)));
    loop {
        let m = next_json(&mut ws).await.expect("open");
        if m["poll"]["runoff"] == want {
            break;
        }
    }

    // A re-ranking that keeps the first choice moves no count, yet the runoff moves live.
    let (s, body) = b.vote(&voters[0], &id, ranking(&poll, &[3, 0])).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = b.vote(&voters[0], &id, ranking(&poll, &[3, 1])).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let moved = body["poll"]["runoff"].clone();
    watcher
        .inbox
        .wait_for("poll_results", |v| v["runoff"] == moved)
        .await;
    loop {
        let m = next_json(&mut ws).await.expect("open");
        if m["poll"]["runoff"] == moved {
            break;
        }
    }

    // At close: the same runoff in `poll_updated` and on the plain socket.
    let (s, _) = a
        .call("POST", &format!("/api/polls/{id}/close"), &creator, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let closed = watcher
        .inbox
        .wait_for("poll_updated", |v| v["poll"]["status"] == "closed")
        .await;
    assert_eq!(closed["poll"]["runoff"], moved);
    loop {
        let m = next_json(&mut ws).await.expect("open");
        if m["poll"]["status"] == "closed" {
            assert_eq!(m["poll"]["runoff"], moved);
            break;
        }
    }
}
