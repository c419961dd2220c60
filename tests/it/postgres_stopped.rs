//! Postgres stopped by its administrator (`pg_ctl stop -m fast` on a private cluster): pooled
//! connections are terminated (SQLSTATE 57P01) and new ones are refused. Every REST call and
//! socket action that needs Postgres answers `503 service_unavailable` with `Retry-After`
//! (never a 500), and the server recovers by itself once Postgres is started again.

use crate::common::{
    Player, TestApp, pg_server::PrivatePostgres, socket::Sock, spawn_app_with, test_config,
};
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use tf_rust_socketio::TransportType;

async fn post(
    app: &TestApp,
    path: &str,
    who: Option<&Player>,
    body: Value,
) -> (StatusCode, Option<String>, Value) {
    let mut req = Client::new().post(app.url(path)).json(&body);
    if let Some(p) = who {
        req = req.bearer_auth(&p.token);
    }
    let res = req.send().await.expect("send");
    let status = res.status();
    let retry = res
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, retry, res.json().await.unwrap_or(Value::Null))
}

fn assert_unavailable(what: &str, (status, retry, body): &(StatusCode, Option<String>, Value)) {
    assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
    assert_eq!(
        body["error"]["code"], "service_unavailable",
        "{what}: {body}"
    );
    assert!(
        retry
            .as_deref()
            .and_then(|r| r.parse::<u64>().ok())
            .is_some(),
        "{what}: Retry-After {retry:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_by_its_administrator_gives_503_everywhere_and_recovers() {
    let pg = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .expect("initdb");
    let mut config = test_config(&format!("test:{}:", uuid::Uuid::new_v4().simple()));
    config.database_url = pg.url("postgres");
    let pool = voting_game::db::pool(&config.database_url).expect("pool");
    let app = spawn_app_with(pool, config).await;

    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app.create_room(&host, json!({})).await;
    let (s, body) = app.join(&ann, &code).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let sock = Sock::connect(&app.base, &host.token, TransportType::Websocket).await;
    sock.ok("join_room", json!({"room_code": code})).await;
    // Several pooled connections exist and are idle now.
    for _ in 0..3 {
        let (s, _) = app.leaderboard(&host, &code).await;
        assert_eq!(s, StatusCode::OK);
    }

    let stopper = std::sync::Arc::new(pg);
    let stop = std::sync::Arc::clone(&stopper);
    tokio::task::spawn_blocking(move || stop.stop_fast())
        .await
        .expect("pg_ctl stop");

    // The first call meets a terminated pooled connection (57P01), later ones a refused new
    // connection (each waits out the pool's acquire timeout, so they are few).
    let email = format!("during-{}@example.com", uuid::Uuid::new_v4().simple());
    let reg = post(
        &app,
        "/api/auth/register",
        None,
        json!({"email": email, "password": "password123", "display_name": "During"}),
    )
    .await;
    assert_unavailable("register", &reg);
    let login = post(
        &app,
        "/api/auth/login",
        None,
        json!({"email": ann.email, "password": "password123"}),
    )
    .await;
    assert_unavailable("login", &login);
    let room = post(&app, "/api/rooms", Some(&host), json!({})).await;
    assert_unavailable("create room", &room);
    sock.refused(
        "start_game",
        json!({"room_code": code}),
        "service_unavailable",
    )
    .await;

    let start = std::sync::Arc::clone(&stopper);
    tokio::task::spawn_blocking(move || start.pg_start())
        .await
        .expect("pg_ctl start");
    crate::common::eventually("the server to recover after Postgres came back", || async {
        let (s, _) = app.post_room(&host, json!({})).await;
        (s == StatusCode::CREATED).then_some(())
    })
    .await;
    let data = sock.ok("start_game", json!({"room_code": code})).await;
    assert_eq!(data["round"]["round_number"], 1, "{data}");
    app.login(&ann.email, "Ann").await;
}
