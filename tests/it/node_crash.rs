//! Presence expires with its node (issue 10, item 7): after `kill -9` of the process holding
//! the host's socket, the host counts as gone once that process's lease runs out, and the room
//! is handed over within `HOST_GRACE_SECONDS` of the crash; the room hears `player_disconnected`
//! for the host when the lease runs out.

use crate::common::{
    database_url, fresh_prefix, node::Node, socket::Sock, spawn_app_with, test_config,
};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tf_rust_socketio::TransportType;

const GRACE_SECS: u64 = 3;
const LEASE_SECS: u64 = 2;

fn host_connected(room: &Value, host: &str) -> Option<bool> {
    room["room"]["participants"]
        .as_array()?
        .iter()
        .find(|p| p["user_id"] == host)?["connected"]
        .as_bool()
}

#[sqlx::test]
async fn the_host_on_a_killed_process_is_handed_over_within_the_grace_period(pool: PgPool) {
    let prefix = fresh_prefix();
    let mut config = test_config(&prefix);
    config.host_grace = Duration::from_secs(GRACE_SECS);
    config.presence_lease = Duration::from_secs(LEASE_SECS);
    let app = spawn_app_with(pool.clone(), config).await;
    let (grace, lease) = (GRACE_SECS.to_string(), LEASE_SECS.to_string());
    let mut doomed = Node::start(
        &database_url(&pool),
        &prefix,
        &[
            ("HOST_GRACE_SECONDS", grace.as_str()),
            ("PRESENCE_LEASE_SECONDS", lease.as_str()),
        ],
    )
    .await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app.create_room(&host, json!({})).await;
    assert_eq!(app.join(&ann, &code).await.0, reqwest::StatusCode::OK);
    // The host's socket is on the doomed process, Ann's on the surviving one.
    let h = Sock::connect(&doomed.base, &host.token, TransportType::Websocket).await;
    h.ok("join_room", json!({ "room_code": code })).await;
    let a = Sock::connect(&app.base, &ann.token, TransportType::Websocket).await;
    a.ok("join_room", json!({ "room_code": code })).await;
    let host_id = host.id.to_string();
    let (_, room) = app.get_room(&ann, &code).await;
    assert_eq!(host_connected(&room, &host_id), Some(true), "{room}");

    doomed.kill().await;
    let crashed = Instant::now();
    // Once the dead process's lease has run out, the room hears that its host is gone (no
    // socket of theirs ever closed to say so), and after the grace the host is handed over.
    let gone = a
        .inbox
        .wait_for("player_disconnected", |v| v["user_id"] == host_id.as_str())
        .await;
    assert_eq!(gone["user_id"], host_id);
    let changed = a.inbox.wait_for("host_changed", |_| true).await;
    let took = crashed.elapsed();
    assert_eq!(changed["host_id"], ann.id.to_string());
    // The grace runs from the dead process's last heartbeat (at most a lease before it ran
    // out); the timers look for gone hosts every half second.
    assert!(
        took <= Duration::from_millis(GRACE_SECS * 1_000 + 1_500),
        "handed over {took:?} after the crash"
    );
    let (_, room) = app.get_room(&ann, &code).await;
    assert_eq!(host_connected(&room, &host_id), Some(false), "{room}");
    assert_eq!(room["room"]["host_id"], ann.id.to_string());
    drop(h);
}

/// A node taken for dead while alive (a stall longer than its lease: another node dropped its
/// presence entries) puts its sockets back with its next heartbeat.
#[sqlx::test]
async fn a_node_taken_for_dead_while_alive_restores_its_presence(pool: PgPool) {
    let prefix = fresh_prefix();
    let app = spawn_app_with(pool, test_config(&prefix)).await;
    let host = app.register("Host").await;
    let code = app.create_room(&host, json!({})).await;
    let h = Sock::connect(&app.base, &host.token, TransportType::Websocket).await;
    h.ok("join_room", json!({ "room_code": code })).await;
    let host_id = host.id.to_string();
    let connected = || async {
        let (_, room) = app.get_room(&host, &code).await;
        host_connected(&room, &host_id)
    };
    assert_eq!(connected().await, Some(true));
    // What another node's sweep does to a node whose lease ran out.
    let mut redis = crate::common::redis_of(&app).await;
    let leases = format!("{prefix}nodes");
    let nodes: Vec<String> = redis::AsyncCommands::zrange(&mut redis, &leases, 0, -1)
        .await
        .expect("nodes");
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    let node = &nodes[0];
    // Both at once, as the sweep's effect must not be half seen by a heartbeat.
    let (removed, dropped): (i64, i64) = redis::pipe()
        .atomic()
        .zrem(&leases, node)
        .hdel(
            crate::common::room_key(&prefix, "presence", &code),
            format!("{host_id}@{node}"),
        )
        .query_async(&mut redis)
        .await
        .expect("drop the node");
    assert_eq!((removed, dropped), (1, 1));
    crate::common::eventually("the host's presence to be restored", || async {
        (connected().await == Some(true)).then_some(())
    })
    .await;
    drop(h);
}
