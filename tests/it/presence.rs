//! Presence and the host: a host gone past the grace period hands the room over, one who comes
//! back in time keeps it, and a kicked player's sockets leave the room.

use crate::common::{eventually, socket::Sock, spawn_app_with, test_config};
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;
use tf_rust_socketio::TransportType;

fn quick_grace() -> voting_game::config::Config {
    let mut c = test_config(&format!("test:{}:", uuid::Uuid::new_v4().simple()));
    c.host_grace = Duration::from_secs(1);
    c
}

#[sqlx::test]
async fn a_host_gone_past_the_grace_period_hands_over_to_the_longest_standing_connected_player(
    pool: PgPool,
) {
    let app = spawn_app_with(pool, quick_grace()).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let code = app.create_room(&host, json!({})).await;
    app.join(&ann, &code).await; // Ann is longest-standing but never connects a socket
    let h = Sock::connect(&app.base, &host.token, TransportType::Websocket).await;
    h.ok("join_room", json!({"room_code": code})).await;
    let b = Sock::connect(&app.base, &bob.token, TransportType::Websocket).await;
    b.ok("join_room", json!({"room_code": code})).await;
    h.close().await;
    b.inbox
        .wait_for("player_disconnected", |v| {
            v["user_id"] == host.id.to_string()
        })
        .await;
    let changed = b.inbox.wait_for("host_changed", |_| true).await;
    assert_eq!(
        changed["host_id"],
        bob.id.to_string(),
        "the connected player gets the room"
    );
    b.ok("start_game", json!({"room_code": code})).await;
    let (_, room) = app.get_room(&ann, &code).await;
    assert_eq!(room["room"]["host_id"], bob.id.to_string());
    let participants = room["room"]["participants"].as_array().map(Vec::len);
    assert_eq!(participants, Some(3), "the old host is still a player");
}

#[sqlx::test]
async fn a_host_who_comes_back_within_the_grace_period_keeps_the_room(pool: PgPool) {
    let mut config = quick_grace();
    config.host_grace = Duration::from_secs(2);
    let app = spawn_app_with(pool, config).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app.create_room(&host, json!({})).await;
    let h = Sock::connect(&app.base, &host.token, TransportType::Websocket).await;
    h.ok("join_room", json!({"room_code": code})).await;
    let a = Sock::connect(&app.base, &ann.token, TransportType::Websocket).await;
    a.ok("join_room", json!({"room_code": code})).await;
    h.close().await;
    a.inbox.wait_for("player_disconnected", |_| true).await;
    let back = Sock::connect(&app.base, &host.token, TransportType::Websocket).await;
    back.ok("join_room", json!({"room_code": code})).await;
    a.inbox.wait_for("player_reconnected", |_| true).await;
    // The hand-over clock is off: the room is no longer among those whose host is away, so no
    // timer can hand it over, now or after the grace period.
    let redis = crate::common::redis_of(&app).await;
    let away = format!("{}host_away", app.prefix);
    eventually("the hand-over to be called off", || {
        let (mut redis, away, code) = (redis.clone(), away.clone(), code.clone());
        async move {
            redis::AsyncCommands::zscore::<_, _, Option<f64>>(&mut redis, away, code)
                .await
                .expect("redis")
                .is_none()
                .then_some(())
        }
    })
    .await;
    assert_eq!(a.inbox.count("host_changed"), 0);
    back.ok("start_game", json!({"room_code": code})).await;
}

#[sqlx::test]
async fn a_kicked_player_is_told_and_stops_hearing_the_room(pool: PgPool) {
    let app = spawn_app_with(pool, quick_grace()).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let code = app.create_room(&host, json!({})).await;
    let mut socks = Vec::new();
    for p in [&host, &ann, &bob] {
        let s = Sock::connect(&app.base, &p.token, TransportType::Websocket).await;
        s.ok("join_room", json!({"room_code": code})).await;
        socks.push(s);
    }
    socks[1]
        .refused(
            "kick_player",
            json!({"room_code": code, "user_id": bob.id}),
            "not_host",
        )
        .await;
    socks[0]
        .refused(
            "kick_player",
            json!({"room_code": code, "user_id": host.id}),
            "validation_failed",
        )
        .await;
    socks[0]
        .ok("kick_player", json!({"room_code": code, "user_id": bob.id}))
        .await;
    let told = socks[2]
        .inbox
        .wait_for("player_left", |v| v["kicked"] == true)
        .await;
    assert_eq!(told["user_id"], bob.id.to_string());
    socks[1]
        .inbox
        .wait_for("player_left", |v| v["kicked"] == true)
        .await;
    socks[2]
        .refused("join_room", json!({"room_code": code}), "kicked")
        .await;
    socks[0].ok("start_game", json!({"room_code": code})).await;
    socks[1].inbox.wait_for("game_started", |_| true).await;
    // Had the kicked socket still been in the room, its copy of the broadcast would have been
    // queued on it before this reply, which travels the same connection.
    socks[2]
        .refused("join_room", json!({"room_code": code}), "kicked")
        .await;
    assert_eq!(
        socks[2].inbox.count("game_started"),
        0,
        "the kicked player still hears the room"
    );
}
