//! Operations: Prometheus metrics, readiness, and a Postgres outage that gives clean 503s and
//! heals by itself.

use crate::common::{
    assert_error, eventually, fresh_prefix, proxy::Proxy, scrape_metrics, socket::Sock, spawn_app,
    spawn_app_with, test_config,
};
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
    // Open rooms are counted in the background every few seconds, not at each scrape.
    let url = app.url("/metrics");
    let text = eventually("the open room to be counted", || {
        let url = url.clone();
        async move {
            let text = scrape_metrics(&url, None).await;
            (metric(&text, "voting_game_active_rooms") >= 1.0).then_some(text)
        }
    })
    .await;
    let value = |prefix: &str| metric(&text, prefix);
    assert!(value("voting_game_connected_sockets") >= 1.0);
    assert!(value("voting_game_active_rooms") >= 1.0);
    assert!(value("voting_game_events_total{direction=\"in\",event=\"start_game\"}") >= 1.0);
    assert!(value("voting_game_events_total{direction=\"out\",event=\"game_started\"}") >= 1.0);
    assert!(value("voting_game_action_seconds_count{action=\"join_room\"}") >= 1.0);
    assert!(value("voting_game_questions_total{source=\"bank\"}") >= 1.0);
}

/// The value of the first sample line starting with `prefix`.
fn metric(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in:\n{text}"))
}

/// Status and JSON body of a GET, with extra headers.
async fn get_json(url: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = Client::new().get(url);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("send");
    let status = res.status();
    (status, res.json().await.expect("a JSON error"))
}

#[sqlx::test]
async fn with_a_metrics_token_a_scrape_needs_it(pool: PgPool) {
    let mut config = test_config(&fresh_prefix());
    config.metrics_token = Some("scrape-secret-0123456789".into());
    let app = spawn_app_with(pool, config).await;
    let url = app.url("/metrics");
    let (status, body) = get_json(&url, &[]).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = get_json(
        &url,
        &[("authorization", "Bearer scrape-secret-0123456788")],
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let text = scrape_metrics(&url, Some("scrape-secret-0123456789")).await;
    assert!(
        text.contains("# TYPE voting_game_connected_sockets gauge"),
        "{text}"
    );
}

#[sqlx::test]
async fn with_a_metrics_address_the_metrics_are_served_there_and_not_on_the_public_port(
    pool: PgPool,
) {
    let mut config = test_config(&fresh_prefix());
    config.metrics_addr = Some("127.0.0.1:0".parse().expect("addr"));
    let app = spawn_app_with(pool, config).await;
    let (status, body) = get_json(&app.url("/metrics"), &[]).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let own = app.metrics_addr.expect("a metrics listener");
    assert_ne!(own, app.addr);
    let text = scrape_metrics(&format!("http://{own}/metrics"), None).await;
    assert!(
        text.contains("# TYPE voting_game_active_rooms gauge"),
        "{text}"
    );
    // That listener serves nothing else.
    let (status, body) = get_json(&format!("http://{own}/api/auth/me"), &[]).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}

#[sqlx::test]
async fn without_a_token_the_public_port_serves_the_metrics_to_this_machine_only(pool: PgPool) {
    let app = spawn_app(pool).await;
    let url = app.url("/metrics");
    scrape_metrics(&url, None).await;
    // Relayed by a reverse proxy on this machine: the client is elsewhere.
    for forwarded in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
    ] {
        let (status, body) = get_json(&url, &[forwarded]).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
}

#[sqlx::test]
async fn a_scrape_answers_at_once_while_postgres_is_stuck(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    // Every query on rooms waits behind this lock while the transaction is open.
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("LOCK TABLE rooms IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .expect("lock");
    let scraped = tokio::time::timeout(
        Duration::from_millis(1500),
        scrape_metrics(&app.url("/metrics"), None),
    )
    .await;
    tx.rollback().await.expect("unlock");
    assert!(scraped.is_ok(), "the scrape waited for Postgres");
}

/// A server whose Postgres connections go through a proxy the test can cut.
async fn app_behind_proxy(pool: &PgPool) -> (crate::common::TestApp, Proxy) {
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
    let (s, body) = app.post_room(&p, json!({})).await;
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
        let (s, _) = app.post_room(&p, json!({})).await;
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
    let (status, room) = other.get_room(&host, &code).await;
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
    let (s, body) = app.start_game(&host, &code).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "service_unavailable");
    // The room is read from Redis alone: still in the lobby, no round.
    let (s, room) = app.get_room(&host, &code).await;
    assert_eq!(s, StatusCode::OK, "{room}");
    assert_eq!(room["room"]["status"], "lobby", "{room}");
    assert!(room["room"]["current_round"].is_null(), "{room}");

    proxy.up();
    let started = eventually("the start to be taken once Postgres is back", || async {
        let (s, body) = app.start_game(&host, &code).await;
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
