//! Operations: Prometheus metrics, readiness, and a Postgres outage that gives clean 503s and
//! heals by itself.

mod common;

use common::{eventually, proxy::Proxy, socket::Sock, spawn_app, spawn_app_with, test_config};
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;
use tf_rust_socketio::TransportType;

#[sqlx::test]
async fn metrics_report_sockets_events_latency_rooms_and_questions(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app.create_room(&host, json!({})).await;
    app.join(&ann, &code).await;
    let s = Sock::connect(&app.base, &host.token, TransportType::Websocket).await;
    s.ok("join_room", json!({"room_code": code})).await;
    s.ok("start_game", json!({"room_code": code})).await;
    let res = Client::new()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("text");
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in:\n{text}"))
    };
    assert!(value("voting_game_connected_sockets") >= 1.0);
    assert!(value("voting_game_active_rooms") >= 1.0);
    assert!(value("voting_game_events_total{direction=\"in\",event=\"start_game\"}") >= 1.0);
    assert!(value("voting_game_events_total{direction=\"out\",event=\"game_started\"}") >= 1.0);
    assert!(value("voting_game_action_seconds_count{action=\"join_room\"}") >= 1.0);
    assert!(value("voting_game_questions_total{source=\"bank\"}") >= 1.0);
}

/// A server whose Postgres connections go through a proxy the test can cut.
async fn app_behind_proxy(pool: &PgPool) -> (common::TestApp, Proxy) {
    let db = pool
        .connect_options()
        .get_database()
        .expect("test database")
        .to_string();
    // In front of the server the test database is on (TEST_DATABASE_URL's), not necessarily 5432.
    let opts = pool.connect_options();
    let proxy = Proxy::start(&format!("{}:{}", opts.get_host(), opts.get_port())).await;
    let mut config = test_config(&format!("test:{}:", uuid::Uuid::new_v4().simple()));
    config.database_url = format!("postgres://postgres@127.0.0.1:{}/{db}", proxy.port);
    let app = spawn_app_with(
        voting_game::db::pool(&config.database_url).expect("pool"),
        config,
    )
    .await;
    (app, proxy)
}

#[sqlx::test]
async fn a_postgres_outage_gives_503s_ready_names_it_and_the_server_recovers(pool: PgPool) {
    let (app, proxy) = app_behind_proxy(&pool).await;
    let p = app.register("Before").await;

    proxy.down();
    let started = std::time::Instant::now();
    let res = Client::new()
        .post(app.url("/api/auth/register"))
        .json(&json!({"email": "during@example.com", "password": "password123", "display_name": "During"}))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "service_unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    let (s, body) = app.call("POST", "/api/rooms", &p, Some(json!({}))).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let ready = Client::new()
        .get(app.url("/ready"))
        .send()
        .await
        .expect("ready");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready: Value = ready.json().await.expect("json");
    assert_eq!(ready["postgres"], "down");
    assert_eq!(ready["redis"], "up");
    // Liveness is not readiness: the process still serves.
    assert_eq!(
        Client::new()
            .get(app.url("/health"))
            .send()
            .await
            .expect("h")
            .status(),
        StatusCode::OK
    );

    proxy.up();
    eventually("the server to recover after Postgres came back", || async {
        let (s, _) = app.call("POST", "/api/rooms", &p, Some(json!({}))).await;
        (s == StatusCode::CREATED).then_some(())
    })
    .await;
    let ready = Client::new()
        .get(app.url("/ready"))
        .send()
        .await
        .expect("ready");
    assert_eq!(ready.status(), StatusCode::OK);
}

#[sqlx::test]
async fn a_graceful_shutdown_tells_sockets_and_keeps_the_game(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let host = app.register("Host").await;
    let code = app.create_room(&host, json!({})).await;
    let s = Sock::connect(&app.base, &host.token, TransportType::Websocket).await;
    s.ok("join_room", json!({"room_code": code})).await;
    app.stop();
    // The client is told by the server (a Socket.IO disconnect), not left to time out.
    let started = std::time::Instant::now();
    s.inbox.wait_for("close", |_| true).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // Another node sharing the stores serves the same room.
    let other = spawn_app_with(pool, test_config(&app.prefix)).await;
    let (status, room) = other
        .call("GET", &format!("/api/rooms/{code}"), &host, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(room["room"]["code"], code);
}

/// A game action whose rows Postgres cannot take is refused with a 503 and leaves no trace in
/// the live state (its swap into Redis is undone), and the same action works once Postgres is
/// back.
#[sqlx::test]
async fn an_action_postgres_refuses_is_undone_in_the_live_state(pool: PgPool) {
    let (app, proxy) = app_behind_proxy(&pool).await;
    let host = app.register("Host").await;
    let guest = app.register("Guest").await;
    let code = app.create_room(&host, json!({})).await;
    let (s, body) = app.join(&guest, &code).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    proxy.down();
    let start = format!("/api/game/{code}/start");
    let (s, body) = app.call("POST", &start, &host, None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "service_unavailable");
    // The room is read from Redis alone: still in the lobby, no round.
    let (s, room) = app
        .call("GET", &format!("/api/rooms/{code}"), &host, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{room}");
    assert_eq!(room["room"]["status"], "lobby", "{room}");
    assert!(room["room"]["current_round"].is_null(), "{room}");

    proxy.up();
    let started = eventually("the start to be taken once Postgres is back", || async {
        let (s, body) = app.call("POST", &start, &host, None).await;
        (s == StatusCode::OK).then_some(body)
    })
    .await;
    assert_eq!(started["round"]["round_number"], 1, "{started}");
    let rounds: i64 = sqlx::query_scalar("SELECT count(*) FROM rounds")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rounds, 1, "exactly the one round that was acknowledged");
}
