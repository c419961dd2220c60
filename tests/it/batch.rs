//! A room's batch of actions in which Postgres refuses one action's rows still records the
//! others (issue 10, item 1). Postgres is made to refuse one answer with a trigger in the
//! test's own database, and the batch is formed for certain: the worker is held inside an
//! earlier commit (an advisory lock the trigger waits on) until the other actions are queued
//! (the node's `room_queue_actions` gauge, which is why this test has a binary of its own).

use crate::common::{Player, TestApp, eventually, scrape_metrics, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

const LOCK: i64 = 4242;

async fn answer(app: &TestApp, who: &Player, round: &str, text: &str) -> (StatusCode, Value) {
    app.answer(who, &round, &text).await
}

async fn queued(app: &TestApp) -> i64 {
    let text = scrape_metrics(&app.url("/metrics"), None).await;
    text.lines()
        .find_map(|l| l.strip_prefix("voting_game_room_queue_actions "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[sqlx::test]
async fn an_action_postgres_refuses_does_not_fail_the_rest_of_its_batch(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let host = app.register("Host").await;
    let attacker = app.register("Mallory").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let code = app.create_room(&host, json!({})).await;
    for p in [&attacker, &ann, &bob] {
        assert_eq!(app.join(p, &code).await.0, StatusCode::OK);
    }
    let (status, body) = app.start_game(&host, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let round = body["round"]["id"].as_str().expect("round id").to_string();

    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        r#"CREATE FUNCTION test_answer_gate() RETURNS trigger AS $$
        BEGIN
          IF NEW.content = 'hold' THEN PERFORM pg_advisory_xact_lock({LOCK}); END IF;
          IF NEW.content = 'poison' THEN RAISE EXCEPTION 'this answer is refused'; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER test_answer_gate BEFORE INSERT ON answers
          FOR EACH ROW EXECUTE FUNCTION test_answer_gate();"#
    )))
    .execute(&pool)
    .await
    .expect("trigger");
    let gate = crate::common::hold_lock(&pool, LOCK).await;

    let app = std::sync::Arc::new(app);
    let send = |who: Player, text: &'static str| {
        let app = std::sync::Arc::clone(&app);
        let round = round.clone();
        tokio::spawn(async move { answer(&app, &who, &round, text).await })
    };
    // The host's answer holds the room's worker in its commit...
    let held = send(host, "hold");
    eventually("the held commit waiting on the lock", || {
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
    // ...while the attacker's and two players' answers queue behind it, to run as one batch.
    let poisoned = send(attacker, "poison");
    let from_ann = send(ann, "from ann");
    let from_bob = send(bob, "from bob");
    eventually("three answers queued", || async {
        (queued(&app).await >= 3).then_some(())
    })
    .await;
    crate::common::release_lock(gate, LOCK).await;

    let (status, body) = held.await.expect("host");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for task in [from_ann, from_bob] {
        let (status, body) = task.await.expect("player");
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, _) = poisoned.await.expect("attacker");
    assert!(
        !status.is_success(),
        "the refused answer is not acknowledged"
    );
    let mut stored: Vec<String> =
        sqlx::query_scalar("SELECT content FROM answers WHERE round_id = $1::uuid")
            .bind(&round)
            .fetch_all(&pool)
            .await
            .expect("answers");
    stored.sort();
    assert_eq!(stored, vec!["from ann", "from bob", "hold"]);
}
