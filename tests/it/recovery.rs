//! Outages: Redis flushed or restarted mid-game. Live state is rebuilt from Postgres, which
//! already holds every acknowledged action; the game goes on and nothing acknowledged is lost.

use crate::common::{
    Player, TestApp, eventually,
    redis_server::{PrivateRedis, flush_prefix},
    socket::Sock,
    spawn_app, spawn_app_with,
    table::gather,
    test_config,
};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;
use tf_rust_socketio::TransportType;
use voting_game::config::Config;

/// Four players seated in a new room, their sockets spread over `apps`.
async fn seat(apps: &[&TestApp], settings: Value) -> (Vec<Player>, Vec<Sock>, String) {
    gather(
        apps,
        &["Host", "Ann", "Bob", "Cat"],
        settings,
        TransportType::Websocket,
    )
    .await
}

/// Sends until the server answers with something other than `service_unavailable` (Redis may
/// still be coming back); returns that ack.
async fn until_served(s: &Sock, event: &str, payload: Value) -> Value {
    eventually(
        &format!("{event} to be served after the outage"),
        || async {
            let ack = s.request(event, payload.clone()).await;
            (ack["error"]["code"] != "service_unavailable").then_some(ack)
        },
    )
    .await
}

#[sqlx::test]
async fn a_flushed_redis_mid_round_loses_no_acknowledged_answer_or_vote(pool: PgPool) {
    let app = spawn_app(pool).await;
    let redis_url = app.config.redis_url.clone();
    let (_, socks, code) = seat(&[&app], json!({"answer_seconds": 60, "vote_seconds": 60})).await;
    let round = socks[0].ok("start_game", json!({"room_code": code})).await["round"]["id"].clone();
    for (i, s) in socks.iter().enumerate().take(3) {
        s.ok(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": format!("a{i}")}),
        )
        .await;
    }
    flush_prefix(&redis_url, &app.prefix).await;
    // The acknowledged answers survived the flush.
    socks[1]
        .refused(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": "again"}),
            "already_answered",
        )
        .await;
    socks[3]
        .ok(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": "a3"}),
        )
        .await;
    let voting = socks[2].inbox.wait_for("voting_started", |_| true).await;
    let answers = voting["answers"].as_array().cloned().unwrap_or_default();
    assert_eq!(answers.len(), 4, "{voting}");
    let vote = |i: usize| {
        let target = answers
            .iter()
            .find(|a| a["content"] != format!("a{i}"))
            .cloned()
            .expect("target");
        json!({"round_id": round, "room_code": code, "answer_id": target["id"]})
    };
    socks[0].ok("submit_vote", vote(0)).await;
    socks[1].ok("submit_vote", vote(1)).await;
    flush_prefix(&redis_url, &app.prefix).await;
    socks[0]
        .refused("submit_vote", vote(0), "already_voted")
        .await;
    socks[2].ok("submit_vote", vote(2)).await;
    socks[3].ok("submit_vote", vote(3)).await;
    let ended = socks[0].inbox.wait_for("round_ended", |_| true).await;
    let total: u64 = ended["results"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["votes"].as_u64()).sum())
        .unwrap_or(0);
    assert_eq!(total, 4, "{ended}");
    let scores: u64 = ended["leaderboard"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["score"].as_u64()).sum())
        .unwrap_or(0);
    assert_eq!(scores, 4);
}

#[sqlx::test]
async fn a_deadline_lost_in_a_flush_still_ends_its_phase(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, socks, code) = seat(&[&app], json!({"answer_seconds": 3, "vote_seconds": 3})).await;
    socks[0].ok("start_game", json!({"room_code": code})).await;
    socks[1].inbox.wait_for("game_started", |_| true).await;
    flush_prefix(&app.config.redis_url, &app.prefix).await;
    // Nobody acts: the sweep finds the overdue phase in Postgres and ends it.
    let voting = socks[1].inbox.wait_for("voting_started", |_| true).await;
    assert_eq!(voting["answers"], json!([]));
    socks[1].inbox.wait_for("round_ended", |_| true).await;
}

fn config_on(redis: &PrivateRedis, prefix: &str) -> Config {
    let mut c = test_config(prefix);
    c.redis_url = redis.url();
    c
}

#[sqlx::test]
async fn a_redis_restart_mid_game_loses_nothing_and_broadcasts_resume_across_nodes(pool: PgPool) {
    let mut redis = PrivateRedis::start().await;
    let prefix = format!("restart:{}:", uuid::Uuid::new_v4().simple());
    let a = spawn_app_with(pool.clone(), config_on(&redis, &prefix)).await;
    let b = spawn_app_with(pool, config_on(&redis, &prefix)).await;
    let (players, socks, code) =
        seat(&[&a, &b], json!({"answer_seconds": 60, "vote_seconds": 60})).await;
    let round = socks[0].ok("start_game", json!({"room_code": code})).await["round"]["id"].clone();
    for s in &socks {
        s.inbox.wait_for("game_started", |_| true).await;
    }
    socks[0]
        .ok(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": "a0"}),
        )
        .await;
    socks[1]
        .ok(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": "a1"}),
        )
        .await;

    redis.restart(Duration::from_millis(500)).await;

    let ack = until_served(
        &socks[2],
        "submit_answer",
        json!({"round_id": round, "room_code": code, "answer": "a2"}),
    )
    .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let ack = until_served(
        &socks[1],
        "submit_answer",
        json!({"round_id": round, "room_code": code, "answer": "again"}),
    )
    .await;
    assert_eq!(
        ack["error"]["code"], "already_answered",
        "an acknowledged answer survived: {ack}"
    );
    socks[3]
        .ok(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": "a3"}),
        )
        .await;
    // Players on both nodes hear the phase change: the pub/sub subscriptions came back.
    for s in &socks {
        let v = s.inbox.wait_for("voting_started", |_| true).await;
        assert_eq!(v["answers"].as_array().map(Vec::len), Some(4));
    }
    // A REST read on either node sees the rebuilt room.
    let (status, room) = b.get_room(&players[0], &code).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert_eq!(room["room"]["current_round"]["status"], "voting");
}
