//! Per-room fan-out (issue 24): a node hears the broadcasts of the rooms it has sockets in and
//! not the others', on one Redis and on a real three-master Redis Cluster. Node A runs in the
//! test's process, node B is a server process of its own (its `/metrics` count what it alone
//! received from Redis). A room played on A only moves nothing on B; a socket of B joining
//! while the room's broadcasts flow misses none (the join race); a socket of B in the room
//! makes B hear it; once B's last socket there is gone B unsubscribes (the channel's
//! subscribers drop from two to one).

use crate::common::{
    Player, database_url, eventually, fresh_prefix, node::Node, redis_cluster::PrivateCluster,
    room_key, scrape_metrics, socket::Sock, spawn_app_with, table::play_round, unlimited_config,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::HashSet;
use tf_rust_socketio::TransportType;
use uuid::Uuid;

/// Where both nodes keep their live state.
enum Redis {
    /// One server, at this URL (the shared test Redis).
    Single(String),
    Cluster(PrivateCluster),
}

impl Redis {
    fn url(&self) -> String {
        match self {
            Redis::Single(url) => url.clone(),
            Redis::Cluster(c) => c.url(),
        }
    }

    /// Nodes subscribed to `chan`: NUMSUB, or SHARDNUMSUB summed over the masters (the ones
    /// that do not own the channel's slot count nobody).
    async fn subscribers(&self, chan: &str) -> usize {
        let urls: Vec<String> = match self {
            Redis::Single(url) => vec![url.clone()],
            Redis::Cluster(c) => c
                .ports
                .iter()
                .map(|p| format!("redis://127.0.0.1:{p}"))
                .collect(),
        };
        let numsub = match self {
            Redis::Single(_) => "NUMSUB",
            Redis::Cluster(_) => "SHARDNUMSUB",
        };
        let mut total = 0;
        for url in urls {
            let client = redis::Client::open(url.as_str()).expect("url");
            let mut c = client
                .get_multiplexed_async_connection()
                .await
                .expect("redis");
            let (_, n): (String, usize) = redis::cmd("PUBSUB")
                .arg(numsub)
                .arg(chan)
                .query_async(&mut c)
                .await
                .expect("pubsub numsub");
            total += n;
        }
        total
    }
}

/// Pub/sub messages node `base` has received from Redis so far, all channels together.
async fn received(base: &str) -> u64 {
    let text = scrape_metrics(&format!("{base}/metrics"), None).await;
    text.lines()
        .filter(|l| l.starts_with("voting_game_pubsub_received_messages_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

async fn seated(base: &str, player: &Player, code: &str) -> Sock {
    let s = Sock::connect(base, &player.token, TransportType::Websocket).await;
    s.ok("join_room", json!({"room_code": code})).await;
    s
}

fn user_ids(participants: &Value) -> HashSet<Uuid> {
    participants
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["user_id"].as_str()?.parse().ok())
        .collect()
}

async fn story(pool: PgPool, redis: Redis) {
    let prefix = fresh_prefix();
    let mut config = unlimited_config(&prefix);
    config.redis_url = redis.url();
    let a = spawn_app_with(pool.clone(), config).await;
    let b = Node::start(
        &database_url(&pool),
        &prefix,
        &[
            ("REDIS_URL", redis.url().as_str()),
            ("RATE_LIMIT_JOINS_PER_MINUTE", "100000"),
            ("RATE_LIMIT_SOCKET_EVENTS_PER_SECOND", "100000"),
        ],
    )
    .await;

    // A room on node A only: B hears nothing of its game.
    let mut players = Vec::new();
    for name in ["Host", "Ann", "Bob"] {
        players.push(a.register(name).await);
    }
    let settings =
        json!({"max_rounds": 3, "answer_seconds": 60, "vote_seconds": 60, "max_players": 40});
    let code = a.create_room(&players[0], settings.clone()).await;
    let mut socks = Vec::new();
    for p in &players {
        socks.push(seated(&a.base, p, &code).await);
    }
    let chan = room_key(&prefix, "socket.io-room", &code);
    assert_eq!(redis.subscribers(&chan).await, 1, "node A alone listens");
    let before = received(&b.base).await;
    let all: Vec<&Sock> = socks.iter().collect();
    play_round(&all, &code).await;
    assert_eq!(
        received(&b.base).await,
        before,
        "node B received messages of a room it has no socket in"
    );

    // The join race: players keep joining through node A while a watcher joins through B
    // (B's first socket in the room, so B subscribes then). What the watcher was given and
    // what it heard after covers every participant.
    let code = a.create_room(&players[0], settings).await;
    let host = seated(&a.base, &players[0], &code).await;
    let mut joiners = Vec::new();
    for i in 0..16 {
        joiners.push(a.register(&format!("J{i}")).await);
    }
    let watcher = a.register("Watcher").await;
    let stream = {
        let (base, code) = (a.base.clone(), code.clone());
        let joiners: Vec<(String, Uuid)> =
            joiners.iter().map(|p| (p.token.clone(), p.id)).collect();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for (token, _) in joiners {
                let res = http
                    .post(format!("{base}/api/rooms/join"))
                    .bearer_auth(token)
                    .json(&json!({"room_code": code}))
                    .send()
                    .await
                    .expect("join");
                assert_eq!(res.status(), StatusCode::OK);
            }
        })
    };
    host.inbox
        .wait_for("player_joined", |v| {
            v["participant_count"].as_u64() >= Some(4)
        })
        .await;
    let w = Sock::connect(&b.base, &watcher.token, TransportType::Websocket).await;
    let joined = w.ok("join_room", json!({"room_code": code})).await;
    stream.await.expect("the joins went through");
    let everyone: HashSet<Uuid> = std::iter::once(players[0].id)
        .chain(joiners.iter().map(|p| p.id))
        .chain(std::iter::once(watcher.id))
        .collect();
    host.inbox
        .wait_for("player_joined", |v| {
            v["participant_count"] == everyone.len()
        })
        .await;
    let mut known = user_ids(&joined["room"]["participants"]);
    w.inbox
        .wait_until("the watcher to know every participant", |inbox| {
            let mut k = known.clone();
            k.extend(
                inbox
                    .all("player_joined")
                    .iter()
                    .filter_map(|v| v["user_id"].as_str()?.parse::<Uuid>().ok()),
            );
            k == everyone
        })
        .await;
    known.extend(
        w.inbox
            .all("player_joined")
            .iter()
            .filter_map(|v| v["user_id"].as_str()?.parse::<Uuid>().ok()),
    );
    assert_eq!(known, everyone);
    let chan = room_key(&prefix, "socket.io-room", &code);
    assert_eq!(redis.subscribers(&chan).await, 2, "both nodes listen");

    // With a socket there, B hears the room: the host's next move reaches the watcher.
    let before = received(&b.base).await;
    host.ok("start_game", json!({"room_code": code})).await;
    w.inbox.wait_for("game_started", |_| true).await;
    assert!(received(&b.base).await > before, "node B hears its room");

    // B's last socket in the room gone, B stops listening; A still does.
    w.close().await;
    eventually("node B to unsubscribe from the room", || {
        let (redis, chan) = (&redis, &chan);
        async move { (redis.subscribers(chan).await == 1).then_some(()) }
    })
    .await;
    drop(b);
}

#[sqlx::test]
async fn on_one_redis_a_node_hears_only_its_rooms(pool: PgPool) {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    story(pool, Redis::Single(url)).await;
}

#[sqlx::test]
async fn on_a_redis_cluster_a_node_hears_only_its_rooms(pool: PgPool) {
    story(pool, Redis::Cluster(PrivateCluster::start().await)).await;
}
