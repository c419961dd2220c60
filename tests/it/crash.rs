//! `kill -9` of a real server process mid-round: another process (or the same one restarted)
//! carries on; every acknowledged answer and vote is there and deadlines still fire. The same
//! story runs with live state in Redis and in a single in-process node (`REDIS_URL=memory`),
//! where the restarted process starts with nothing live and rebuilds it all from Postgres.

use crate::common::{node::Node, socket::Sock};
use reqwest::Client;
use serde_json::{Value, json};
use sqlx::PgPool;
use tf_rust_socketio::TransportType;

async fn register(base: &str, name: &str) -> (String, String) {
    let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
    let client = Client::new();
    client
        .post(format!("{base}/api/auth/register"))
        .json(&json!({"email": email, "password": "password123", "display_name": name}))
        .send()
        .await
        .expect("register");
    let body: Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": email, "password": "password123"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    (
        body["access_token"].as_str().expect("token").to_string(),
        body["user"]["id"].as_str().expect("id").to_string(),
    )
}

#[sqlx::test]
async fn a_node_killed_mid_round_loses_nothing_acknowledged_and_the_game_goes_on(pool: PgPool) {
    killed_mid_round(pool, &[]).await;
}

#[sqlx::test]
async fn a_single_in_memory_node_killed_mid_round_loses_nothing_acknowledged(pool: PgPool) {
    killed_mid_round(pool, &[("REDIS_URL", "memory")]).await;
}

async fn killed_mid_round(pool: PgPool, env: &[(&str, &str)]) {
    let db = pool
        .connect_options()
        .get_database()
        .expect("db")
        .to_string();
    // The server the test database is on (TEST_DATABASE_URL's), not necessarily 5432.
    let opts = pool.connect_options();
    let database_url = format!(
        "postgres://{}@{}:{}/{db}",
        opts.get_username(),
        opts.get_host(),
        opts.get_port()
    );
    let prefix = format!("crash:{}:", uuid::Uuid::new_v4().simple());
    let mut first = Node::start(&database_url, &prefix, env).await;
    let mut players = Vec::new();
    for name in ["host", "ann", "bob"] {
        players.push(register(&first.base, name).await);
    }
    let created: Value = Client::new()
        .post(format!("{}/api/rooms", first.base))
        .bearer_auth(&players[0].0)
        .json(&json!({"settings": {"answer_seconds": 60, "vote_seconds": 3}}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let code = created["room"]["code"].as_str().expect("code").to_string();
    let mut socks = Vec::new();
    for (token, _) in &players {
        let s = Sock::connect(&first.base, token, TransportType::Websocket).await;
        s.ok("join_room", json!({"room_code": code})).await;
        socks.push(s);
    }
    let round = socks[0].ok("start_game", json!({"room_code": code})).await["round"]["id"].clone();
    let a0 = socks[0]
        .ok(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": "host's"}),
        )
        .await;
    socks[1]
        .ok(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": "ann's"}),
        )
        .await;

    first.kill().await;
    let second = Node::start(&database_url, &prefix, env).await;

    // Everyone reconnects to the surviving process and finds the round as it was.
    let mut again = Vec::new();
    for (token, _) in &players {
        let s = Sock::connect(&second.base, token, TransportType::Websocket).await;
        s.ok("join_room", json!({"room_code": code})).await;
        again.push(s);
    }
    let state = again[0].inbox.wait_for("room_state", |_| true).await;
    assert_eq!(state["round"]["id"], round);
    assert_eq!(state["answers_submitted"], 2);
    assert_eq!(state["my_answer_id"], a0["answer_id"]);
    again[1]
        .refused(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": "again"}),
            "already_answered",
        )
        .await;
    again[2]
        .ok(
            "submit_answer",
            json!({"round_id": round, "room_code": code, "answer": "bob's"}),
        )
        .await;
    let voting = again[2].inbox.wait_for("voting_started", |_| true).await;
    let hosts = voting["answers"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["content"] == "host's").cloned())
        .expect("host's answer");
    again[1]
        .ok(
            "submit_vote",
            json!({"round_id": round, "room_code": code, "answer_id": hosts["id"]}),
        )
        .await;
    // Nobody else votes: the vote deadline (3 s) ends the round on the new process.
    let ended = again[0].inbox.wait_for("round_ended", |_| true).await;
    assert_eq!(ended["leaderboard"][0]["user_id"], players[0].1);
    assert_eq!(ended["leaderboard"][0]["score"], 1);
}
