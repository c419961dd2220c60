//! The single in-process node (`REDIS_URL=memory`): the same contract with no Redis at all
//! (a round and a live poll end to end, nothing written to Redis), and the node lock that keeps
//! a second node of either kind off its database, and the host hand-over clock after a restart.
//! Its `kill -9` story is in `crash.rs`.

use crate::common::{TestApp, socket::Sock, spawn_app_with, test_config};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use tf_rust_socketio::TransportType;
use voting_game::config::Config;

fn memory_config(prefix: &str) -> Config {
    let mut config = test_config(prefix);
    config.redis_url = "memory".into();
    config
}

async fn spawn_memory(pool: PgPool) -> TestApp {
    spawn_app_with(pool, memory_config(&crate::common::fresh_prefix())).await
}

#[sqlx::test]
async fn a_round_and_a_live_poll_run_on_one_node_without_redis(pool: PgPool) {
    let app = spawn_memory(pool).await;
    let players = [
        app.register("Host").await,
        app.register("Ann").await,
        app.register("Bob").await,
    ];
    let code = app
        .create_room(
            &players[0],
            json!({"answer_seconds": 60, "vote_seconds": 60}),
        )
        .await;
    let mut socks = Vec::new();
    for p in &players {
        let s = Sock::connect(&app.base, &p.token, TransportType::Websocket).await;
        s.ok("join_room", json!({"room_code": code})).await;
        socks.push(s);
    }
    socks[0]
        .inbox
        .wait_for("player_joined", |v| v["display_name"] == "Bob")
        .await;
    let round = socks[0].ok("start_game", json!({"room_code": code})).await["round"]["id"].clone();
    for (s, text) in socks.iter().zip(["host's", "ann's", "bob's"]) {
        s.ok(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": text}),
        )
        .await;
    }
    let voting = socks[1].inbox.wait_for("voting_started", |_| true).await;
    let answer = |text: &str| {
        voting["answers"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["content"] == text))
            .map(|x| x["id"].clone())
            .expect("answer listed")
    };
    // Ann and Bob vote for the host, the host for Ann: every socket hears each vote.
    for (s, text) in socks.iter().zip(["ann's", "host's", "host's"]) {
        s.ok(
            "submit_vote",
            json!({"round_id": round, "room_code": code, "answer_id": answer(text)}),
        )
        .await;
    }
    for s in &socks {
        let ended = s.inbox.wait_for("round_ended", |_| true).await;
        assert_eq!(
            ended["leaderboard"][0]["user_id"],
            players[0].id.to_string()
        );
        assert_eq!(ended["leaderboard"][0]["score"], 2);
    }
    // What was acknowledged is in Postgres, as with Redis.
    let votes: i64 = sqlx::query_scalar("SELECT count(*) FROM votes")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(votes, 3);

    // A poll, watched live by an anonymous socket.
    let (s, body) = app
        .post_poll(
            &players[1],
            json!({"question": "Tea or coffee?", "options": ["tea", "coffee"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let pid = body["poll"]["id"].clone();
    let tea = body["poll"]["options"][0]["id"].clone();
    let watcher = Sock::handshake(&app.base, Default::default())
        .await
        .expect("an anonymous socket connects");
    watcher.ok("subscribe_poll", json!({"poll_id": pid})).await;
    socks[2]
        .ok("vote_poll", json!({"poll_id": pid, "option_ids": [tea]}))
        .await;
    let results = watcher
        .inbox
        .wait_for("poll_results", |v| v["total_votes"] == 1)
        .await;
    assert_eq!(results["poll_id"], pid);

    // Nothing of this deployment went to Redis.
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut redis = redis::Client::open(url)
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis connects");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", app.prefix))
        .query_async(&mut redis)
        .await
        .expect("keys");
    assert!(keys.is_empty(), "{keys:?}");
}

#[sqlx::test]
async fn a_single_node_keeps_any_other_node_off_its_database(pool: PgPool) {
    let alone = spawn_memory(pool.clone()).await;
    let server_pool = || voting_game::db::pool_with((*pool.connect_options()).clone());
    let second = voting_game::app::build_with_pool(
        &memory_config(&crate::common::fresh_prefix()),
        server_pool(),
    )
    .await;
    let err = second.err().expect("a second single node does not start");
    assert_eq!(
        err.to_string(),
        "another node is running against this database: REDIS_URL=memory runs one node only"
    );
    let shared =
        voting_game::app::build_with_pool(&test_config(&alone.prefix), server_pool()).await;
    let err = shared.err().expect("a Redis node does not start beside it");
    assert_eq!(
        err.to_string(),
        "a single in-process node (REDIS_URL=memory) is running against this database"
    );
    // The first still serves.
    alone.register("Still").await;

    // Once it stops, a new single node takes over the database.
    drop(alone);
    let next = spawn_memory(pool).await;
    next.register("Next").await;
}

#[sqlx::test]
async fn nodes_sharing_redis_start_side_by_side_and_keep_a_single_node_out(pool: PgPool) {
    let a = crate::common::spawn_app(pool.clone()).await;
    let b = spawn_app_with(pool.clone(), test_config(&a.prefix)).await;
    b.register("Both").await;
    let server_pool = voting_game::db::pool_with((*pool.connect_options()).clone());
    let alone = voting_game::app::build_with_pool(
        &memory_config(&crate::common::fresh_prefix()),
        server_pool,
    )
    .await;
    let err = alone
        .err()
        .expect("a single node does not start beside shared ones");
    assert_eq!(
        err.to_string(),
        "another node is running against this database: REDIS_URL=memory runs one node only"
    );
}

/// A single node's hand-over clock lives in its memory: after a restart, a host who never comes
/// back must still lose the room to a player who did (the clock restarts when the room is
/// rebuilt from Postgres).
#[sqlx::test]
async fn after_a_restart_a_host_who_never_comes_back_still_hands_over(pool: PgPool) {
    let mut config = memory_config(&crate::common::fresh_prefix());
    config.host_grace = std::time::Duration::from_secs(2);
    let first = spawn_app_with(pool.clone(), config.clone()).await;
    let host = first.register("Host").await;
    let ann = first.register("Ann").await;
    let code = first.create_room(&host, json!({})).await;
    for p in [&host, &ann] {
        let s = Sock::connect(&first.base, &p.token, TransportType::Websocket).await;
        s.ok("join_room", json!({"room_code": code})).await;
    }
    drop(first);

    let second = spawn_app_with(pool, config).await;
    let a = Sock::connect(&second.base, &ann.token, TransportType::Websocket).await;
    a.ok("join_room", json!({"room_code": code})).await;
    let changed = a.inbox.wait_for("host_changed", |_| true).await;
    assert_eq!(changed["host_id"], ann.id.to_string());
}
