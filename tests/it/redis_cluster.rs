//! Two server nodes whose live state and broadcasts are on a real Redis Cluster (three masters
//! started by the test, `REDIS_URL=redis+cluster://…`): a game with players on both nodes, each
//! hearing every event once, a phase ended by its deadline, one node killed (`kill -9`) and
//! restarted mid-game; and a poll watched from both nodes, counts arriving live on each.

use crate::common::{
    Player, TestApp, api::option_id, database_url, fresh_prefix, node::Node,
    redis_cluster::PrivateCluster, socket::Sock, spawn_app_with, table::seat, test_config,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use tf_rust_socketio::TransportType;

/// The test configuration, on `cluster`.
fn on_cluster(cluster: &PrivateCluster, prefix: &str) -> voting_game::config::Config {
    let mut config = test_config(prefix);
    config.redis_url = cluster.url();
    config
}

/// Each player answers, and then votes for someone else's answer.
async fn answer_all(socks: &[&Sock], code: &str, round_id: &Value, tag: &str) {
    for (i, s) in socks.iter().enumerate() {
        s.ok(
            "submit_answer",
            json!({"round_id": round_id, "room_code": code, "answer": format!("{tag} {i}")}),
        )
        .await;
    }
}

async fn vote_all(socks: &[&Sock], code: &str, round_id: &Value, voting: &Value, tag: &str) {
    let answers: Vec<Value> = voting["answers"].as_array().cloned().unwrap_or_default();
    for (i, s) in socks.iter().enumerate() {
        let target = answers
            .iter()
            .find(|a| a["content"] != format!("{tag} {i}"))
            .expect("someone else's answer");
        s.ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": code, "answer_id": target["id"]}),
        )
        .await;
    }
}

#[sqlx::test]
async fn a_game_on_two_nodes_over_a_redis_cluster_survives_a_node_killed_and_restarted(
    pool: PgPool,
) {
    let cluster = PrivateCluster::start().await;
    let prefix = fresh_prefix();
    let a = spawn_app_with(pool.clone(), on_cluster(&cluster, &prefix)).await;
    let db = database_url(&pool);
    let env = [("REDIS_URL", cluster.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut b = Node::start(&db, &prefix, &env).await;

    let names = ["Host", "Ann", "Bob", "Cat"];
    let mut players: Vec<Player> = Vec::new();
    for name in names {
        players.push(a.register(name).await);
    }
    // Round 2's answers end by the deadline: short enough to wait for, long enough for
    // round 1's four answers to arrive before it.
    let code = a
        .create_room(
            &players[0],
            json!({"max_rounds": 2, "answer_seconds": 8, "vote_seconds": 30}),
        )
        .await;
    // Host and Bob on node A (in process), Ann and Cat on node B (a process).
    let socks = seat(
        &[&a.base, &b.base],
        &players,
        &code,
        TransportType::Websocket,
    )
    .await;
    let all: Vec<&Sock> = socks.iter().collect();
    let data = socks[0].ok("start_game", json!({"room_code": code})).await;
    let round_id = data["round"]["id"].clone();
    answer_all(&all, &code, &round_id, "first").await;
    let voting = socks[1].inbox.wait_for("voting_started", |_| true).await;
    vote_all(&all, &code, &round_id, &voting, "first").await;
    for s in &socks {
        s.inbox.wait_for("round_ended", |_| true).await;
    }
    for (i, s) in socks.iter().enumerate() {
        assert_eq!(s.inbox.count("game_started"), 1, "{}", names[i]);
        assert_eq!(s.inbox.count("answer_submitted"), 4, "{}", names[i]);
        assert_eq!(s.inbox.count("voting_started"), 1, "{}", names[i]);
        assert_eq!(s.inbox.count("vote_update"), 4, "{}", names[i]);
        assert_eq!(s.inbox.count("round_ended"), 1, "{}", names[i]);
    }

    // Node B dies without a word, and comes back (on another port, as after a reschedule).
    b.kill().await;
    let b = Node::start(&db, &prefix, &env).await;
    let ann = Sock::connect(&b.base, &players[1].token, TransportType::Websocket).await;
    ann.ok("join_room", json!({"room_code": code})).await;
    let cat = Sock::connect(&b.base, &players[3].token, TransportType::Websocket).await;
    cat.ok("join_room", json!({"room_code": code})).await;
    let now: Vec<&Sock> = vec![&socks[0], &ann, &socks[2], &cat];

    let next = socks[0].ok("next_round", json!({"room_code": code})).await;
    let round_id = next["round"]["id"].clone();
    assert!(!round_id.is_null(), "{next}");
    for s in &now {
        s.inbox.wait_for("round_started", |_| true).await;
    }
    // Three answer (on both nodes); the deadline, kept in the room's shard of the index on
    // the cluster, ends the phase for the fourth.
    answer_all(&now[..2], &code, &round_id, "second").await;
    now[3]
        .ok(
            "submit_answer",
            json!({"round_id": round_id, "room_code": code, "answer": "second 3"}),
        )
        .await;
    let voting = ann.inbox.wait_for("voting_started", |_| true).await;
    for s in &now {
        s.inbox.wait_for("voting_started", |_| true).await;
    }
    vote_all(&now, &code, &round_id, &voting, "second").await;
    for s in &now {
        s.inbox.wait_for("round_ended", |_| true).await;
    }
    // The last round over, the host's next step ends the game for everyone.
    socks[0].ok("next_round", json!({"room_code": code})).await;
    for (i, s) in now.iter().enumerate() {
        s.inbox.wait_for("game_ended", |_| true).await;
        assert_eq!(s.inbox.count("game_ended"), 1, "{}", names[i]);
    }
    for s in [&ann, &cat] {
        assert_eq!(
            s.inbox.count("answer_submitted"),
            3,
            "round 2's answers on node B"
        );
    }
}

async fn poll_with(app: &TestApp, who: &Player) -> Value {
    let (s, b) = app
        .post_poll(
            who,
            json!({"question": "Cluster?", "options": ["yes", "no"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["poll"].clone()
}

#[sqlx::test]
async fn a_poll_watched_from_both_nodes_of_a_redis_cluster_gets_every_vote_live(pool: PgPool) {
    let cluster = PrivateCluster::start().await;
    let prefix = fresh_prefix();
    let a = spawn_app_with(pool.clone(), on_cluster(&cluster, &prefix)).await;
    let b = spawn_app_with(pool, on_cluster(&cluster, &prefix)).await;
    let creator = a.register("Creator").await;
    let poll = poll_with(&a, &creator).await;
    let pid = poll["id"].clone();
    let watchers = [
        Sock::anonymous(&a.base).await,
        Sock::anonymous(&b.base).await,
    ];
    for w in &watchers {
        let sub = w.ok("subscribe_poll", json!({"poll_id": pid})).await;
        assert_eq!(sub["poll"]["id"], pid);
    }
    // Votes over sockets on both nodes, one after another.
    for (i, node) in [&a, &b, &a, &b].into_iter().enumerate() {
        let voter = a.register(&format!("V{i}")).await;
        let s = Sock::connect(&node.base, &voter.token, TransportType::Websocket).await;
        let ack = s
            .ok(
                "vote_poll",
                json!({"poll_id": pid, "option_ids": [option_id(&poll, i % 2)]}),
            )
            .await;
        assert_eq!(ack["poll"]["total_votes"], i + 1, "{ack}");
        for w in &watchers {
            w.inbox
                .wait_for("poll_results", |v| v["total_votes"] == i + 1)
                .await;
        }
    }
    // Both nodes read the same counts from the cluster.
    for node in [&a, &b] {
        let path = format!("/api/polls/{}", pid.as_str().unwrap_or_default());
        let (s, body) = node.get(None, &path).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["poll"]["total_votes"], 4, "{body}");
    }
}
