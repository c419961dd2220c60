//! Hot polls (issue 23): ballots arriving at once are written together (one transaction per
//! group) and checked first on rules each node holds in memory, with Postgres the authority.
//! Through the real server: a crowd voting at once plus one voter sending ten changes at once
//! ends on exact counts, one ballot per voter and an audit entry per change, chained in order;
//! a vote racing a close on another node is refused or counted, never acknowledged and lost;
//! and edits on one node are what votes on another node see at once.

use crate::common::api::{option_id, poll_id};
use crate::common::{
    Player, TestApp, assert_error, fresh_prefix, spawn_app_with, unlimited_config,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

/// An anonymous vote without a cookie: a new voter each time.
async fn anonymous_vote(
    app: &TestApp,
    client: &Client,
    pid: &str,
    option: &str,
) -> (StatusCode, Value) {
    let res = client
        .put(app.url(&format!("/api/polls/{pid}/vote")))
        .json(&json!({"option_ids": [option]}))
        .send()
        .await
        .expect("vote");
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Each option's count, and the number of ballots, recounted from the ballot rows.
async fn recount(app: &TestApp, pid: &str) -> (HashMap<String, i64>, i64) {
    let rows: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT o, count(*) FROM poll_ballots b, unnest(b.option_ids) o \
         WHERE b.poll_id = $1::uuid GROUP BY o",
    )
    .bind(pid)
    .fetch_all(&app.pool)
    .await
    .expect("recount");
    let ballots: i64 =
        sqlx::query_scalar("SELECT count(*) FROM poll_ballots WHERE poll_id = $1::uuid")
            .bind(pid)
            .fetch_one(&app.pool)
            .await
            .expect("ballots");
    (
        rows.into_iter().map(|(o, n)| (o.to_string(), n)).collect(),
        ballots,
    )
}

async fn results(app: &TestApp, pid: &str) -> Value {
    let (s, r) = app.get(None, &format!("/api/polls/{pid}/results")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

#[sqlx::test]
async fn a_crowd_voting_at_once_and_one_voter_changing_ten_times_at_once_end_exact(pool: PgPool) {
    let app = spawn_app_with(pool, unlimited_config(&fresh_prefix())).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let poll = app
        .create_poll(
            &alice,
            json!({"question": "Crowd?", "options": ["a", "b", "c", "d"], "allow_anonymous": true}),
        )
        .await;
    let pid = poll_id(&poll);
    let ids: Vec<String> = (0..4).map(|n| option_id(&poll, n)).collect();
    let client = Client::new();

    // 200 anonymous voters and Bob's ten changes, all at once.
    let crowd = (0..200).map(|n| {
        let (app, client, pid, option) = (&app, &client, &pid, ids[n % 4].clone());
        async move { (n, anonymous_vote(app, client, pid, &option).await) }
    });
    let changes = (0..10).map(|n| {
        let (app, bob, pid, option) = (&app, &bob, &pid, ids[(n + 1) % 4].clone());
        async move { (option.clone(), app.vote(bob, pid, json!([option])).await) }
    });
    let (crowd, changes) = futures::future::join(
        futures::future::join_all(crowd),
        futures::future::join_all(changes),
    )
    .await;
    for (n, (s, b)) in &crowd {
        assert_eq!(*s, StatusCode::OK, "voter {n}: {b}");
        assert_eq!(b["poll"]["my_votes"], json!([ids[n % 4]]), "voter {n}: {b}");
        // Read-your-writes: the answer's counts include the vote.
        assert!(b["poll"]["voters"].as_i64().unwrap_or(0) >= 1, "{b}");
    }
    for (option, (s, b)) in &changes {
        assert_eq!(*s, StatusCode::OK, "{b}");
        assert_eq!(b["poll"]["my_votes"], json!([option]), "{b}");
    }

    // One ballot per voter; the counts are the ballots', in the cache and in Postgres.
    let (by_option, ballots) = recount(&app, &pid).await;
    assert_eq!(ballots, 201);
    let r = results(&app, &pid).await;
    assert_eq!(r["voters"], 201, "{r}");
    assert_eq!(r["total_votes"], 201, "{r}");
    for n in 0..4 {
        assert_eq!(
            r["options"][n]["votes"].as_i64(),
            Some(by_option.get(&ids[n]).copied().unwrap_or(0)),
            "option {n}: {r}"
        );
    }
    // The crowd's 50 per option, and Bob's one ballot on top.
    let bobs: Vec<Uuid> = sqlx::query_scalar(
        "SELECT unnest(option_ids) FROM poll_ballots WHERE poll_id = $1::uuid AND user_id = $2",
    )
    .bind(&pid)
    .bind(bob.id)
    .fetch_all(&app.pool)
    .await
    .expect("bob's ballot");
    assert_eq!(bobs.len(), 1, "{bobs:?}");
    let bob_choice = bobs[0].to_string();
    for n in 0..4 {
        let want = 50 + i64::from(ids[n] == bob_choice);
        assert_eq!(r["options"][n]["votes"].as_i64(), Some(want), "{r}");
    }

    // Audit: one entry per crowd vote; Bob's entries chain, each change seeing the one before
    // it (written in order under the ballot's row lock), ending on the ballot that stands.
    let entries: Vec<(Option<Uuid>, String, Value)> = sqlx::query_as(
        "SELECT actor_id, action, details FROM audit_log \
         WHERE poll_id = $1::uuid AND action LIKE 'vote_%' ORDER BY id",
    )
    .bind(&pid)
    .fetch_all(&app.pool)
    .await
    .expect("audit");
    let anonymous = entries.iter().filter(|(a, _, _)| a.is_none()).count();
    assert_eq!(anonymous, 200);
    assert!(
        entries
            .iter()
            .filter(|(a, _, _)| a.is_none())
            .all(|(_, act, _)| act == "vote_cast")
    );
    let chain: Vec<&(Option<Uuid>, String, Value)> =
        entries.iter().filter(|(a, _, _)| a.is_some()).collect();
    assert!(!chain.is_empty() && chain.len() <= 10, "{chain:?}");
    assert_eq!(chain[0].1, "vote_cast", "{chain:?}");
    assert!(chain[0].2["previous"].is_null(), "{chain:?}");
    for pair in chain.windows(2) {
        assert_eq!(pair[1].1, "vote_changed", "{chain:?}");
        assert_eq!(pair[1].2["previous"], pair[0].2["option_ids"], "{chain:?}");
        assert_ne!(
            pair[1].2["option_ids"], pair[0].2["option_ids"],
            "{chain:?}"
        );
    }
    assert_eq!(
        chain.last().map(|c| c.2["option_ids"].clone()),
        Some(json!([bob_choice]))
    );
}

/// The poll's rules as node B holds them are primed by a vote there; then the creator closes
/// the poll on node A while voters vote on node B. Each vote is refused or counted: what the
/// close answered is what the poll keeps.
#[sqlx::test]
async fn a_vote_racing_a_close_on_another_node_is_refused_or_counted_never_lost(pool: PgPool) {
    let prefix = fresh_prefix();
    let a = spawn_app_with(pool.clone(), unlimited_config(&prefix)).await;
    let b = spawn_app_with(pool, unlimited_config(&prefix)).await;
    let alice = a.register("Alice").await;
    let mut voters = Vec::new();
    for n in 0..8 {
        voters.push(a.register(&format!("Voter{n}")).await);
    }
    let (mut refused, mut counted) = (0, 0);
    for round in 0..10 {
        let poll = a
            .create_poll(
                &alice,
                json!({"question": format!("Race {round}?"), "options": ["x", "y"]}),
            )
            .await;
        let pid = poll_id(&poll);
        let x = option_id(&poll, 0);
        // Node B now holds the poll as open.
        let (s, body) = b.vote(&voters[0], &pid, json!([x])).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let votes = voters[1..].iter().map(|v| {
            let (b, pid, x) = (&b, &pid, &x);
            async move { b.vote(v, pid, json!([x])).await }
        });
        let close_path = format!("/api/polls/{pid}/close");
        let close = a.call("POST", &close_path, &alice, None);
        let (votes, (cs, closed)) =
            futures::future::join(futures::future::join_all(votes), close).await;
        assert_eq!(cs, StatusCode::OK, "{closed}");
        let accepted = 1 + votes.iter().filter(|(s, _)| *s == StatusCode::OK).count() as i64;
        for (s, body) in &votes {
            if *s == StatusCode::OK {
                counted += 1;
            } else {
                refused += 1;
                assert_error(*s, body, StatusCode::CONFLICT, "poll_closed");
            }
        }
        assert_eq!(
            closed["poll"]["total_votes"], accepted,
            "round {round}: {closed}"
        );
        let r = results(&b, &pid).await;
        assert_eq!(r["total_votes"], accepted, "round {round}: {r}");
        assert_eq!(recount(&a, &pid).await.1, accepted, "round {round}");
        // After the close, node B refuses at once, whatever it held.
        let (s, body) = b.vote(&voters[1], &pid, json!([option_id(&poll, 1)])).await;
        assert_error(s, &body, StatusCode::CONFLICT, "poll_closed");
    }
    eprintln!("votes racing a close on another node: {counted} counted, {refused} refused");
}

async fn vote_on(node: &TestApp, who: &Player, pid: &str, option: &str) -> (StatusCode, Value) {
    node.vote(who, pid, json!([option])).await
}

/// Node B holds a poll's rules from a vote; each edit on node A is what B's next vote sees.
#[sqlx::test]
async fn edits_on_one_node_are_what_votes_on_another_node_see_at_once(pool: PgPool) {
    let prefix = fresh_prefix();
    let a = spawn_app_with(pool.clone(), unlimited_config(&prefix)).await;
    let b = spawn_app_with(pool, unlimited_config(&prefix)).await;
    let alice = a.register("Alice").await;
    let bob = a.register("Bob").await;
    let carol = a.register("Carol").await;
    let poll = a
        .create_poll(
            &alice,
            json!({"question": "Edits?", "options": ["x", "y", "z"], "allow_anonymous": true}),
        )
        .await;
    let pid = poll_id(&poll);
    let client = Client::new();
    let (s, body) = vote_on(&b, &bob, &pid, &option_id(&poll, 0)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = anonymous_vote(&b, &client, &pid, &option_id(&poll, 0)).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // An option added on A: votable on B at once, and B's answer shows it.
    let (s, added) = a
        .call(
            "POST",
            &format!("/api/polls/{pid}/options"),
            &alice,
            Some(json!({"text": "w"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{added}");
    let w = added["option"]["id"]
        .as_str()
        .expect("the new option")
        .to_string();
    let (s, body) = vote_on(&b, &bob, &pid, &w).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        body["poll"]["options"].as_array().map(Vec::len),
        Some(4),
        "{body}"
    );

    // An unvoted option removed on A: refused on B at once.
    let z = option_id(&poll, 2);
    let (s, body) = a
        .call(
            "DELETE",
            &format!("/api/polls/{pid}/options/{z}"),
            &alice,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, body) = vote_on(&b, &carol, &pid, &z).await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "option_not_found");

    // The description edited on A: B's next answer shows it (its rules were older).
    let (s, body) = a
        .call(
            "PATCH",
            &format!("/api/polls/{pid}"),
            &alice,
            Some(json!({"description": "now with w"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = vote_on(&b, &carol, &pid, &option_id(&poll, 1)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["description"], "now with w", "{body}");

    // Anonymous voting turned off on A: B refuses an anonymous vote at once.
    let (s, body) = a
        .call(
            "PATCH",
            &format!("/api/polls/{pid}"),
            &alice,
            Some(json!({"allow_anonymous": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = anonymous_vote(&b, &client, &pid, &option_id(&poll, 1)).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthorized");

    // Closed on A: refused on B; reopened on A: counted on B.
    let (s, body) = a
        .call("POST", &format!("/api/polls/{pid}/close"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = vote_on(&b, &carol, &pid, &option_id(&poll, 0)).await;
    assert_error(s, &body, StatusCode::CONFLICT, "poll_closed");
    let (s, body) = a
        .call("POST", &format!("/api/polls/{pid}/reopen"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = vote_on(&b, &carol, &pid, &option_id(&poll, 0)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["status"], "open", "{body}");

    // Deleted on A: gone on B.
    let (s, body) = a
        .call("DELETE", &format!("/api/polls/{pid}"), &alice, None)
        .await;
    assert!(s.is_success(), "{s} {body}");
    let (s, body) = vote_on(&b, &bob, &pid, &option_id(&poll, 0)).await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "poll_not_found");

    // What B answered all along matches Postgres: 3 ballots counted before the delete.
    let r =
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM poll_ballots WHERE poll_id = $1::uuid")
            .bind(&pid)
            .fetch_one(&a.pool)
            .await
            .expect("count");
    assert_eq!(r, 0, "a deleted poll's ballots go with it");
}
