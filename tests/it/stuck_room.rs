//! Rooms do not hold each other up or pile up state (issue 10, item 14): a room whose deadline
//! tick hangs in Postgres does not delay another room's deadline, even when their rows share a
//! group commit, and presence hashes expire.

use crate::common::{eventually, fresh_prefix, socket::Sock, spawn_app_with, test_config};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use tf_rust_socketio::TransportType;

const LOCK: i64 = 7777;

/// Makes every write of room `code`'s rounds wait on `LOCK`, and takes that lock: the room's
/// deadline tick then hangs in Postgres until the test lets go of the connection it returns.
async fn hang_rounds_of(pool: &PgPool, code: &str) -> sqlx::pool::PoolConnection<sqlx::Postgres> {
    let stuck_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM rooms WHERE code = $1")
        .bind(code)
        .fetch_one(pool)
        .await
        .expect("room id");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        r#"CREATE FUNCTION test_stuck() RETURNS trigger AS $$
        BEGIN
          IF NEW.room_id = '{stuck_id}' THEN PERFORM pg_advisory_xact_lock({LOCK}); END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER test_stuck BEFORE UPDATE ON rounds
          FOR EACH ROW EXECUTE FUNCTION test_stuck();"#
    )))
    .execute(pool)
    .await
    .expect("trigger");
    crate::common::hold_lock(pool, LOCK).await
}

#[sqlx::test]
async fn a_room_whose_tick_hangs_does_not_hold_up_another_rooms_deadline(pool: PgPool) {
    // The server gets a pool of its own, as in production: the harness's test pool has only
    // five connections, and this test holds one on the lock and the stuck tick another.
    let server_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(20)
        .connect(&crate::common::database_url(&pool))
        .await
        .expect("server pool");
    let app = spawn_app_with(server_pool, test_config(&fresh_prefix())).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    // The fine room's deadline comes 2 s after the stuck one's, so that their ticks never share
    // a group commit: a statement hung inside a shared group holds every room in it until the
    // statement timeout (the next test), which is not what this test is about.
    let stuck = app.create_room(&host, json!({"answer_seconds": 3})).await;
    let fine = app.create_room(&host, json!({"answer_seconds": 5})).await;
    for code in [&stuck, &fine] {
        assert_eq!(app.join(&ann, code).await.0, StatusCode::OK);
    }
    // Moving the stuck room's round on waits on a lock the test never lets go of.
    let gate = hang_rounds_of(&pool, &stuck).await;
    // The stuck room's deadline comes first, so a timer taking rooms one by one meets it first.
    for code in [&stuck, &fine] {
        let (status, body) = app.start_game(&host, &code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let watcher = Sock::connect(&app.base, &ann.token, TransportType::Websocket).await;
    watcher.ok("join_room", json!({ "room_code": fine })).await;
    // The fine room must move on although the stuck room's tick never returns (the old
    // one-by-one loop waited on it forever): 5 s deadline, at most one 5 s tick timeout of
    // the poll that holds the stuck room, with slack for a busy machine.
    watcher
        .inbox
        .wait_within(
            "the fine room's deadline, held up by the stuck room",
            std::time::Duration::from_secs(20),
            |i| i.count("voting_started") > 0,
        )
        .await;

    crate::common::release_lock(gate, LOCK).await;
}

/// Two rooms whose deadlines fall at the same moment: their ticks' rows may share one group
/// commit, and the stuck room's statement hangs on a lock. The statement timeout (2 s here, from
/// the server's database options as an operator would set it in `DATABASE_URL`) ends the
/// group, the committer writes each room on its own, and the fine room moves on.
#[sqlx::test]
async fn a_hung_statement_holds_a_shared_group_commit_only_until_its_timeout(pool: PgPool) {
    let options = (*pool.connect_options())
        .clone()
        .options([("statement_timeout", "2s")]);
    let server_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(20)
        .connect_with(options)
        .await
        .expect("server pool");
    let app = spawn_app_with(server_pool, test_config(&fresh_prefix())).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let stuck = app.create_room(&host, json!({"answer_seconds": 3})).await;
    let fine = app.create_room(&host, json!({"answer_seconds": 3})).await;
    for code in [&stuck, &fine] {
        assert_eq!(app.join(&ann, code).await.0, StatusCode::OK);
    }
    let gate = hang_rounds_of(&pool, &stuck).await;
    let watcher = Sock::connect(&app.base, &ann.token, TransportType::Websocket).await;
    watcher.ok("join_room", json!({ "room_code": fine })).await;
    let (a, b) = tokio::join!(app.start_game(&host, &stuck), app.start_game(&host, &fine),);
    assert_eq!(a.0, StatusCode::OK, "{}", a.1);
    assert_eq!(b.0, StatusCode::OK, "{}", b.1);
    // 3 s deadline, a 2 s timeout for the shared group (and at worst one tick timeout and
    // back-off), with slack for a busy machine; without the timeout the group waits on the
    // lock for as long as the test holds it.
    watcher
        .inbox
        .wait_within(
            "the fine room's deadline, held up by the stuck room",
            std::time::Duration::from_secs(20),
            |i| i.count("voting_started") > 0,
        )
        .await;
    crate::common::release_lock(gate, LOCK).await;
}

#[sqlx::test]
async fn presence_hashes_expire(pool: PgPool) {
    let app = spawn_app_with(pool, test_config(&fresh_prefix())).await;
    let host = app.register("Host").await;
    let code = app.create_room(&host, json!({})).await;
    let s = Sock::connect(&app.base, &host.token, TransportType::Websocket).await;
    s.ok("join_room", json!({ "room_code": code })).await;
    let mut redis = crate::common::redis_of(&app).await;
    let key = crate::common::room_key(&app.prefix, "presence", &code);
    let ttl = eventually("the presence hash", || {
        let (mut redis, key) = (redis.clone(), key.clone());
        async move {
            let ttl: i64 = redis::AsyncCommands::ttl(&mut redis, key).await.ok()?;
            (ttl != -2).then_some(ttl)
        }
    })
    .await;
    assert!(ttl > 0, "the presence hash has a time to live ({ttl})");
    let _: () = redis::AsyncCommands::del(&mut redis, &key)
        .await
        .expect("del");
}

/// The server's pool bounds every statement (10 s) unless the database URL's options set their
/// own bound, and migrations run without it.
#[sqlx::test]
async fn statements_are_bounded_unless_the_url_says_otherwise(pool: PgPool) {
    let show = |p: PgPool| async move {
        sqlx::query_scalar::<_, String>("SHOW statement_timeout")
            .fetch_one(&p)
            .await
            .expect("show")
    };
    let ours = voting_game::db::pool_with((*pool.connect_options()).clone());
    assert_eq!(show(ours.clone()).await, "10s");
    voting_game::db::migrate(&ours).await.expect("migrations");
    assert_eq!(
        show(ours.clone()).await,
        "10s",
        "reset after the migrations"
    );
    let own = voting_game::db::pool_with(
        (*pool.connect_options())
            .clone()
            .options([("statement_timeout", "30s")]),
    );
    assert_eq!(show(own.clone()).await, "30s");
    ours.close().await;
    own.close().await;
}
