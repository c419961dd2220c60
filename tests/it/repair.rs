//! Live state that Postgres lacks (issue 10, item 8): a process that dies after the Redis swap
//! of a round start or an answer and before its commit leaves Redis ahead of Postgres. Later
//! actions that refer to what is missing (an answer to the round, a vote for the answer) must
//! not fail on a foreign key: the node writes the live state and carries on.

use crate::common::{
    Player, TestApp, database_url, eventually, fresh_prefix, node::Node, socket::Sock,
    spawn_app_with, test_config,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use tf_rust_socketio::TransportType;

async fn ok(app: &TestApp, who: &Player, path: String, body: Option<Value>) -> Value {
    let (status, body) = app.call("POST", &path, who, body).await;
    assert!(status.is_success(), "POST {path}: {status} {body}");
    body
}

async fn count(pool: &PgPool, sql: &'static str, round: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(round)
        .fetch_one(pool)
        .await
        .expect("count")
}

/// The state is made directly: rows the live state refers to are deleted from Postgres.
#[sqlx::test]
async fn a_round_and_an_answer_missing_from_postgres_are_written_when_needed(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), test_config(&fresh_prefix())).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let code = app.create_room(&host, json!({})).await;
    for p in [&ann, &bob] {
        assert_eq!(app.join(p, &code).await.0, StatusCode::OK);
    }
    let start = ok(&app, &host, format!("/api/game/{code}/start"), None).await;
    let round = start["round"]["id"].as_str().expect("round").to_string();
    // As if the start's commit never happened: the live round is not in Postgres.
    sqlx::query("DELETE FROM rounds WHERE id = $1::uuid")
        .bind(&round)
        .execute(&pool)
        .await
        .expect("delete round");
    let answer = |text: &str| Some(json!({ "answer": text }));
    let path = format!("/api/game/rounds/{round}/answer");
    // The REST answer finds its room through Postgres, so it names the room on the socket.
    let sock = Sock::connect(&app.base, &ann.token, TransportType::Websocket).await;
    sock.ok("join_room", json!({ "room_code": code })).await;
    let anns = sock
        .ok(
            "submit_answer",
            json!({ "round_id": round, "room_code": code, "answer": "ann's" }),
        )
        .await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM rounds WHERE id = $1::uuid",
            &round
        )
        .await,
        1
    );
    // As if the answer's commit never happened: the live answer is not in Postgres.
    sqlx::query("DELETE FROM answers WHERE round_id = $1::uuid")
        .bind(&round)
        .execute(&pool)
        .await
        .expect("delete answer");
    ok(&app, &bob, path.clone(), answer("bob's")).await;
    ok(&app, &host, path, answer("host's")).await;
    let vote = json!({ "answer_id": anns["answer_id"] });
    ok(
        &app,
        &host,
        format!("/api/game/rounds/{round}/vote"),
        Some(vote),
    )
    .await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM answers WHERE round_id = $1::uuid",
            &round
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM votes WHERE round_id = $1::uuid",
            &round
        )
        .await,
        1
    );
    // With fewer keys checked on these rows (migration 20261214100000), the cascades that
    // remain still hold: an operator's DELETE of the room leaves none of its round's rows.
    sqlx::query("DELETE FROM rooms WHERE code = $1")
        .bind(&code)
        .execute(&pool)
        .await
        .expect("delete room");
    for sql in [
        "SELECT count(*) FROM rounds WHERE id = $1::uuid",
        "SELECT count(*) FROM answers WHERE round_id = $1::uuid",
        "SELECT count(*) FROM votes WHERE round_id = $1::uuid",
    ] {
        assert_eq!(count(&pool, sql, &round).await, 0, "{sql}");
    }
}

const LOCK: i64 = 8888;

/// The real thing: a server process is killed with `kill -9` while its commit of an answer is
/// held (its swap done); another node then plays the round on.
#[sqlx::test]
async fn a_process_killed_between_swap_and_commit_leaves_no_broken_round(pool: PgPool) {
    let prefix = fresh_prefix();
    let app = spawn_app_with(pool.clone(), test_config(&prefix)).await;
    let mut doomed = Node::start(&database_url(&pool), &prefix, &[]).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let code = app.create_room(&host, json!({})).await;
    for p in [&ann, &bob] {
        assert_eq!(app.join(p, &code).await.0, StatusCode::OK);
    }
    let start = ok(&app, &host, format!("/api/game/{code}/start"), None).await;
    let round = start["round"]["id"].as_str().expect("round").to_string();

    // Ann's answer on the doomed node: swapped into Redis, then its commit waits on a lock
    // (and, once let go, fails, so the dead process's transaction never lands).
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        r#"CREATE TABLE test_armed (armed BOOLEAN);
        INSERT INTO test_armed VALUES (TRUE);
        CREATE FUNCTION test_crash_gate() RETURNS trigger AS $$
        BEGIN
          IF NEW.content = 'ann''s' AND EXISTS (SELECT 1 FROM test_armed) THEN
            PERFORM pg_advisory_xact_lock({LOCK});
            RAISE EXCEPTION 'the process is gone';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER test_crash_gate BEFORE INSERT ON answers
          FOR EACH ROW EXECUTE FUNCTION test_crash_gate();"#
    )))
    .execute(&pool)
    .await
    .expect("trigger");
    let gate = crate::common::hold_lock(&pool, LOCK).await;
    let sock = Sock::connect(&doomed.base, &ann.token, TransportType::Websocket).await;
    sock.ok("join_room", json!({ "room_code": code })).await;
    sock.emit(
        "submit_answer",
        json!({ "round_id": round, "room_code": code, "answer": "ann's" }),
    )
    .await;
    eventually("the doomed node's commit waiting on the lock", || {
        let pool = pool.clone();
        async move {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
            )
            .fetch_one(&pool)
            .await
            .ok()?;
            (waiting > 0).then_some(())
        }
    })
    .await;
    doomed.kill().await;
    sqlx::raw_sql("DELETE FROM test_armed")
        .execute(&pool)
        .await
        .expect("disarm");
    crate::common::release_lock(gate, LOCK).await;
    drop(sock);

    // The surviving node: Redis has Ann's answer, Postgres does not.
    let (_, room) = app.get_room(&host, &code).await;
    let answers_path = format!("/api/game/rounds/{round}/answer");
    ok(
        &app,
        &bob,
        answers_path.clone(),
        Some(json!({"answer": "bob's"})),
    )
    .await;
    ok(&app, &host, answers_path, Some(json!({"answer": "host's"}))).await;
    let (status, listed) = app.answers(&host, &round).await;
    assert_eq!(status, StatusCode::OK, "{listed} (room: {room})");
    let anns = listed["answers"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["content"] == "ann's").cloned())
        .unwrap_or_else(|| panic!("Ann's answer is live: {listed}"));
    let vote = json!({ "answer_id": anns["id"] });
    ok(
        &app,
        &host,
        format!("/api/game/rounds/{round}/vote"),
        Some(vote),
    )
    .await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM answers WHERE round_id = $1::uuid",
            &round
        )
        .await,
        3
    );
}

/// A node that starts work on a room checks the live round against Postgres and writes what is
/// missing, so even a round only Redis has can be answered over REST (which finds the room of
/// a round through Postgres).
#[sqlx::test]
async fn a_node_that_loads_a_room_writes_the_live_round_postgres_lacks(pool: PgPool) {
    let prefix = fresh_prefix();
    let first = spawn_app_with(pool.clone(), test_config(&prefix)).await;
    let host = first.register("Host").await;
    let ann = first.register("Ann").await;
    let code = first.create_room(&host, json!({})).await;
    assert_eq!(first.join(&ann, &code).await.0, StatusCode::OK);
    let start = ok(&first, &host, format!("/api/game/{code}/start"), None).await;
    let round = start["round"]["id"].as_str().expect("round").to_string();
    sqlx::query("DELETE FROM rounds WHERE id = $1::uuid")
        .bind(&round)
        .execute(&pool)
        .await
        .expect("delete round");
    // Another node, whose worker for the room starts now (a socket joining the room).
    let second = spawn_app_with(pool.clone(), test_config(&prefix)).await;
    let sock = Sock::connect(&second.base, &ann.token, TransportType::Websocket).await;
    sock.ok("join_room", json!({ "room_code": code })).await;
    ok(
        &second,
        &ann,
        format!("/api/game/rounds/{round}/answer"),
        Some(json!({ "answer": "over REST" })),
    )
    .await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM answers WHERE round_id = $1::uuid",
            &round
        )
        .await,
        1
    );
}
