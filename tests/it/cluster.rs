//! Several server processes sharing one Redis and one Postgres behave as one server: players
//! on different nodes play in the same room, each getting every room event exactly once, and a
//! deadline fires whichever node is alive. A node alone publishes nothing to Redis until a
//! second one arrives.

use crate::common::{
    socket::Sock,
    spawn_app, spawn_app_with,
    table::{gather, play_round},
    test_config,
};
use serde_json::json;
use sqlx::PgPool;
use tf_rust_socketio::TransportType;

#[sqlx::test]
async fn players_split_across_two_nodes_play_one_game_and_see_each_event_once(pool: PgPool) {
    let a = spawn_app(pool.clone()).await;
    let b = spawn_app_with(pool, test_config(&a.prefix)).await;
    // Host and Bob on node A, Ann and Cat on node B.
    let (_, socks, code) = gather(
        &[&a, &b],
        &["Host", "Ann", "Bob", "Cat"],
        json!({"max_rounds": 1, "answer_seconds": 30, "vote_seconds": 30}),
        TransportType::Websocket,
    )
    .await;
    let all: Vec<&Sock> = socks.iter().collect();
    play_round(&all, &code).await;
    // A later broadcast every socket must hear: any duplicate of the round's events was sent
    // before it, through the same adapter.
    socks[0].ok("next_round", json!({"room_code": code})).await;
    for s in &socks {
        s.inbox
            .wait_until("the next round or the game's end", |i| {
                i.count("round_started") + i.count("game_ended") > 0
            })
            .await;
    }
    for (i, s) in socks.iter().enumerate() {
        assert_eq!(s.inbox.count("game_started"), 1, "player {i}");
        assert_eq!(s.inbox.count("answer_submitted"), 4, "player {i}");
        assert_eq!(s.inbox.count("voting_started"), 1, "player {i}");
        assert_eq!(s.inbox.count("vote_update"), 4, "player {i}");
        assert_eq!(s.inbox.count("round_ended"), 1, "player {i}");
    }
}

#[sqlx::test]
async fn a_deadline_fires_on_the_surviving_node_when_the_starting_node_is_gone(pool: PgPool) {
    let a = spawn_app(pool.clone()).await;
    let b = spawn_app_with(pool, test_config(&a.prefix)).await;
    let host = a.register("Host").await;
    let ann = a.register("Ann").await;
    let code = a
        .create_room(&host, json!({"answer_seconds": 3, "vote_seconds": 3}))
        .await;
    let on_a = Sock::connect(&a.base, &host.token, TransportType::Websocket).await;
    on_a.ok("join_room", json!({"room_code": code})).await;
    let on_b = Sock::connect(&b.base, &ann.token, TransportType::Websocket).await;
    on_b.ok("join_room", json!({"room_code": code})).await;
    on_a.ok("start_game", json!({"room_code": code})).await;
    on_b.inbox.wait_for("game_started", |_| true).await;
    on_a.close().await;
    drop(a);
    let voting = on_b.inbox.wait_for("voting_started", |_| true).await;
    assert_eq!(voting["answers"], json!([]));
    let ended = on_b.inbox.wait_for("round_ended", |_| true).await;
    // A later broadcast from the surviving node: any duplicate of the deadline's events was
    // sent before it. (Counted for round 1 only: round 2 will reach its own deadlines.)
    let (status, _) = b.next_round(&host, &code).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    on_b.inbox.wait_for("round_started", |_| true).await;
    let round_one = |name: &str| {
        on_b.inbox
            .all(name)
            .into_iter()
            .filter(|e| e["round_id"] == ended["round_id"])
            .count()
    };
    assert_eq!(round_one("voting_started"), 1);
    assert_eq!(round_one("round_ended"), 1);
}

/// Messages published on this deployment's Socket.IO channels (not its control channel) seen
/// by a plain Redis subscriber, which is no node: it never says hello.
async fn broadcasts_on_redis(prefix: &str) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use futures::StreamExt;
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut sub = redis::Client::open(url)
        .expect("redis url")
        .get_async_pubsub()
        .await
        .expect("redis pub/sub");
    // The request channels, and the rooms' own (`gateway::fanout`).
    for pattern in ["socket.io-request#*", "socket.io-room:*"] {
        sub.psubscribe(format!("{prefix}{pattern}"))
            .await
            .expect("psubscribe");
    }
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&seen);
    tokio::spawn(async move {
        let mut messages = sub.into_on_message();
        while messages.next().await.is_some() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    seen
}

#[sqlx::test]
async fn a_node_alone_publishes_nothing_until_another_node_arrives(pool: PgPool) {
    use std::sync::atomic::Ordering;
    let a = spawn_app(pool.clone()).await;
    let seen = broadcasts_on_redis(&a.prefix).await;
    let host = a.register("Host").await;
    let ann = a.register("Ann").await;
    let code = a.create_room(&host, json!({})).await;
    let h = Sock::connect(&a.base, &host.token, TransportType::Websocket).await;
    h.ok("join_room", json!({"room_code": code})).await;
    let s = Sock::connect(&a.base, &ann.token, TransportType::Websocket).await;
    s.ok("join_room", json!({"room_code": code})).await;
    h.inbox
        .wait_for("player_joined", |v| v["participant_count"] == 2)
        .await;
    // Published messages leave after local delivery: give any a moment to arrive.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        seen.load(Ordering::SeqCst),
        0,
        "alone, a node publishes no broadcast to Redis"
    );

    // A second node says hello: from then on, A's broadcasts reach it (and Redis).
    let b = spawn_app_with(pool, test_config(&a.prefix)).await;
    let bob = a.register("Bob").await;
    let on_b = Sock::connect(&b.base, &bob.token, TransportType::Websocket).await;
    let cat = a.register("Cat").await;
    let c = Sock::connect(&a.base, &cat.token, TransportType::Websocket).await;
    on_b.ok("join_room", json!({"room_code": code})).await;
    c.ok("join_room", json!({"room_code": code})).await;
    on_b.inbox
        .wait_for("player_joined", |v| v["display_name"] == "Cat")
        .await;
    crate::common::eventually("A's broadcasts on Redis", || {
        let n = seen.load(Ordering::SeqCst);
        async move { (n > 0).then_some(()) }
    })
    .await;
}
