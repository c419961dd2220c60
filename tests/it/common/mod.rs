//! The one way tests start the server: the real app on port 0, against its own Postgres
//! database (from `#[sqlx::test]`) and its own Redis key prefix, so tests run in parallel.
// Its `pub` items are the stories' API; nothing in a test binary is reachable from outside,
// so the crate's `unreachable_pub` lint has nothing to say here (nor in the submodules).
#![allow(unreachable_pub)]

pub mod api;
pub mod js;
pub mod node;
pub mod pg_server;
pub mod proxy;
pub mod redis_cluster;
pub mod redis_server;
pub mod socket;
pub mod table;
pub mod wire;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use voting_game::{app, config::Config};

pub const JWT_SECRET: &str = "integration-test-secret-integration-test-secret";

pub struct TestApp {
    pub addr: SocketAddr,
    /// The `METRICS_ADDR` listener's address, when the configuration asks for one.
    pub metrics_addr: Option<SocketAddr>,
    /// The auth service, for what has no route yet (revoking every session of a user).
    pub auth: std::sync::Arc<voting_game::auth::AuthService>,
    pub base: String,
    pub pool: PgPool,
    pub prefix: String,
    pub config: Config,
    /// The server's own pool (see [`spawn_app_with`]), closed when the test lets go of the app.
    server_pool: PgPool,
    /// The server pool's `application_name`, by which its sessions are ended on drop.
    session_tag: String,
    stop: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
        // Closing marks the pool at once (a connection given back is closed, not kept); the
        // spawned part closes the idle ones if the test's runtime runs on long enough.
        let pool = self.server_pool.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { pool.close().await });
        }
        end_sessions(&self.server_pool, &self.session_tag);
    }
}

/// Ends a stopped server's Postgres sessions from outside the test's runtime. Most tests end
/// right after dropping their app, and the runtime goes with them before the spawned close
/// runs; the server's state refers to itself (its Socket.IO state holds the handle it is held
/// by), so its pool is never dropped and its connections stay open. With every test in one
/// process, a few hundred tests' worth of them ran Postgres out of connection slots. Each
/// server's pool has an `application_name` of its own; a short-lived thread ends exactly those
/// sessions, so a second server on the same database (the restart tests) is untouched.
fn end_sessions(pool: &PgPool, tag: &str) {
    // The maintenance database, not the test's own: a session there would itself keep
    // `#[sqlx::test]` from dropping the test's database (`pg_stat_activity` is cluster-wide).
    let options = (*pool.connect_options())
        .clone()
        .database("postgres")
        .application_name("vg-test-reaper");
    let tag = tag.to_string();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect_with(&options).await {
                let _ = sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = $1 AND pid <> pg_backend_pid()",
                )
                .bind(&tag)
                .execute(&mut conn)
                .await;
                let _ = conn.close().await;
            }
        });
    });
}

pub fn test_config(prefix: &str) -> Config {
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let prefix = prefix.to_string();
    Config::from_lookup(move |k| match k {
        "JWT_SECRET" => Some(JWT_SECRET.to_string()),
        "REDIS_URL" => Some(redis_url.clone()),
        "REDIS_PREFIX" => Some(prefix.clone()),
        "ALLOWED_ORIGINS" => Some("http://localhost:5173".to_string()),
        _ => None,
    })
    .expect("test config")
}

/// A fresh key prefix, so a test's Redis keys and channels are its own.
pub fn fresh_prefix() -> String {
    format!("test:{}:", Uuid::new_v4().simple())
}

/// The test configuration with every rate limit raised out of reach, for tests whose point is
/// something else (the handlers under a flood of payloads, the load generator, many polls or
/// likes from one account).
pub fn unlimited_config(prefix: &str) -> Config {
    let mut config = test_config(prefix);
    config.limits.api_per_second = 1_000_000;
    config.limits.auth_per_minute = 1_000_000;
    config.limits.guests_per_minute = 1_000_000;
    config.limits.previews_per_minute = 1_000_000;
    config.limits.login_per_account_per_minute = 1_000_000;
    config.limits.joins_per_minute = 1_000_000;
    config.limits.socket_events_per_second = 1_000_000;
    config.limits.polls_per_account_per_minute = 1_000_000;
    config.limits.account_writes_per_minute = 1_000_000;
    config
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    spawn_app_with(pool, test_config(&prefix)).await
}

/// `pool` names the test's database and stays the test's own, for its queries. The server gets
/// a pool of its own to that database, made as in production (`db::pool`): the harness's pool
/// borrows its connections from `#[sqlx::test]`'s process-wide master pool of 20, and a server
/// that outlives its test would keep them; a few such tests and the next test's set-up timed
/// out waiting for a master connection (`PoolTimedOut`, the CI failure of 2026-12-01).
pub async fn spawn_app_with(pool: PgPool, config: Config) -> TestApp {
    let session_tag = format!("vg-test-{}", Uuid::new_v4().simple());
    let server_pool = voting_game::db::pool_with(
        (*pool.connect_options())
            .clone()
            .application_name(&session_tag),
    );
    let built = app::build_with_pool(&config, server_pool.clone())
        .await
        .expect("app builds");
    let auth = built.auth();
    let metrics_addr = built.metrics_addr();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = CancellationToken::new();
    let stopped = stop.clone();
    tokio::spawn(async move {
        let _ = app::serve(built, listener, async move { stopped.cancelled().await }).await;
    });
    TestApp {
        addr,
        metrics_addr,
        auth,
        base: format!("http://{addr}"),
        pool,
        prefix: config.redis_prefix.clone(),
        config,
        server_pool,
        session_tag,
        stop,
    }
}

/// Waits on a state the test cannot be told about by an event (a server coming up, a dependency
/// coming back, a background write): asks `check` until it gives `Some`, briefly apart, for up
/// to `socket::WAIT`. `what` names the state in the timeout message.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + socket::WAIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The Redis key of room `code`'s `kind` (`room`, `presence`, `nextq`) under `prefix`, as the
/// server lays them out (`src/store/keys.rs`, whose test pins the shard function): the room's
/// shard of 64 in braces, the hash tag that keeps a room's keys in one slot of a cluster.
pub fn room_key(prefix: &str, kind: &str, code: &str) -> String {
    let hash = code.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{prefix}{kind}:{{r{}}}:{code}", hash % 64)
}

/// A poll's Redis key (`counts`, …): the poll id in braces, its hash tag.
pub fn poll_key(prefix: &str, poll: impl std::fmt::Display, what: &str) -> String {
    format!("{prefix}poll:{{{poll}}}:{what}")
}

/// A UUID the server sent as a JSON string.
pub fn id(v: &Value) -> Uuid {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a uuid: {v}"))
}

/// A connection to the Redis the app uses, to look at its live state under its prefix.
pub async fn redis_of(app: &TestApp) -> redis::aio::MultiplexedConnection {
    redis::Client::open(app.config.redis_url.as_str())
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis connects")
}

/// A browser-like client: keeps the auth cookie.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

pub struct Player {
    pub id: Uuid,
    pub token: String,
    pub email: String,
    pub name: String,
}

impl TestApp {
    /// Asks the server to stop, as SIGTERM does.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn register(&self, name: &str) -> Player {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase(),
            Uuid::new_v4().simple()
        );
        let res = Client::new()
            .post(self.url("/api/auth/register"))
            .json(&json!({"email": email, "password": "password123", "display_name": name}))
            .send()
            .await
            .expect("register");
        assert_eq!(res.status(), StatusCode::CREATED);
        self.login(&email, name).await
    }

    pub async fn login(&self, email: &str, name: &str) -> Player {
        let res = Client::new()
            .post(self.url("/api/auth/login"))
            .json(&json!({"email": email, "password": "password123"}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("json");
        Player {
            id: body["user"]["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("id"),
            token: body["access_token"].as_str().expect("token").to_string(),
            email: email.to_string(),
            name: name.to_string(),
        }
    }

    /// A call with a Bearer token; returns status and JSON body (Null when empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        who: &Player,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let client = Client::new();
        let mut req = client
            .request(method.parse().expect("method"), self.url(path))
            .bearer_auth(&who.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("json body")
        };
        (status, value)
    }

    pub async fn create_room(&self, host: &Player, settings: Value) -> String {
        let (status, body) = self.post_room(host, json!({"settings": settings})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["room"]["code"].as_str().expect("code").to_string()
    }

    pub async fn join(&self, who: &Player, code: &str) -> (StatusCode, Value) {
        self.call(
            "POST",
            "/api/rooms/join",
            who,
            Some(json!({"room_code": code})),
        )
        .await
    }
}

/// A Prometheus scrape's text from `url` (asserting a 200 and the text format), with a bearer
/// token if given.
pub async fn scrape_metrics(url: &str, token: Option<&str>) -> String {
    let mut req = Client::new().get(url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("metrics");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/plain")),
        "prometheus text"
    );
    res.text().await.expect("text")
}

/// The URL of a test's own database (`#[sqlx::test]`'s pool), on whichever server
/// `DATABASE_URL` names, for a server process or a proxy that must reach it.
pub fn database_url(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        o.get_username(),
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or_default()
    )
}

/// Asserts the contract's error shape and code.
pub fn assert_error(status: StatusCode, body: &Value, want_status: StatusCode, code: &str) {
    assert_eq!(status, want_status, "body: {body}");
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "body: {body}"
    );
}

/// Asserts a 422 `validation_failed` whose message names the refused `field`.
pub fn assert_invalid_field(status: StatusCode, body: &Value, field: &str) {
    assert_error(
        status,
        body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(field)),
        "{field}: {body}"
    );
}

/// Takes the advisory lock `key` on a connection of its own and gives that connection back:
/// how tests hold a server's statement (a trigger waiting on the same lock) until they
/// [`release_lock`].
pub async fn hold_lock(pool: &PgPool, key: i64) -> sqlx::pool::PoolConnection<sqlx::Postgres> {
    let mut gate = pool.acquire().await.expect("connection");
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(key)
        .execute(&mut *gate)
        .await
        .expect("lock");
    gate
}

/// Lets go of a lock taken by [`hold_lock`].
pub async fn release_lock(mut gate: sqlx::pool::PoolConnection<sqlx::Postgres>, key: i64) {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(&mut *gate)
        .await
        .expect("unlock");
}

/// The load generator's binary (its own crate, `loadgen/`), built beside this test binary by
/// `cargo test` at the workspace root (its CLI test needs it). A test binary of one package has
/// no `CARGO_BIN_EXE_` for another's, so it is found next to ours: `target/<profile>/loadgen`.
pub fn loadgen_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let bin = dir.join("loadgen");
    assert!(
        bin.exists(),
        "{} is not built: run the tests from the workspace root with `cargo test` (or `cargo \
         build -p loadgen` first)",
        bin.display()
    );
    bin
}
