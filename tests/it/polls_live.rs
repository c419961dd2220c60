//! Polls live: Socket.IO subscriptions (anonymous too), votes over the socket, `poll_results`
//! coalesced and ending on the exact counts, `poll_updated`, `poll_deleted`, the creator's
//! `notification`, two nodes through the Redis adapter, the counts cache rebuilt after a Redis
//! flush and restart, and the official socket.io-client.

use crate::common::api::option_id;
use crate::common::{
    Player, TestApp, assert_error, redis_server::PrivateRedis, socket::Sock, spawn_app_with,
    test_config,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tf_rust_socketio::TransportType;

async fn poll_with(app: &TestApp, who: &Player, options: &[&str]) -> Value {
    let (s, b) = app
        .post_poll(who, json!({"question": "Live?", "options": options}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["poll"].clone()
}

#[sqlx::test]
async fn a_vote_on_one_node_reaches_subscribers_on_another_coalesced_and_exact(pool: PgPool) {
    let a = crate::common::spawn_app(pool.clone()).await;
    let b = spawn_app_with(pool, test_config(&a.prefix)).await;
    let creator = a.register("Creator").await;
    let voters = [
        a.register("V1").await,
        a.register("V2").await,
        a.register("V3").await,
    ];
    let poll = poll_with(&a, &creator, &["red", "green", "blue"]).await;
    let pid = poll["id"].clone();

    // An anonymous watcher on node B; the creator's socket on node A for notifications.
    let watcher = Sock::anonymous(&b.base).await;
    let sub = watcher.ok("subscribe_poll", json!({"poll_id": pid})).await;
    assert_eq!(sub["poll"]["id"], pid);
    let owner = Sock::connect(&a.base, &creator.token, TransportType::Websocket).await;
    // Anonymous sockets watch; they neither vote nor play.
    watcher
        .refused(
            "vote_poll",
            json!({"poll_id": pid, "option_ids": [option_id(&poll, 0)]}),
            "unauthorized",
        )
        .await;
    watcher
        .refused("join_room", json!({"room_code": "ZZZZZZ"}), "unauthorized")
        .await;

    // The first vote (node A, over the socket) reaches node B's watcher within 100 ms.
    let voter = Sock::connect(&a.base, &voters[0].token, TransportType::Websocket).await;
    let sent = Instant::now();
    let ack = voter
        .ok(
            "vote_poll",
            json!({"poll_id": pid, "option_ids": [option_id(&poll, 0)]}),
        )
        .await;
    let acked = Instant::now();
    assert_eq!(ack["poll"]["total_votes"], 1, "{ack}");
    assert_eq!(ack["poll"]["my_votes"], json!([option_id(&poll, 0)]));
    let first = watcher
        .inbox
        .wait_for("poll_results", |v| v["total_votes"] == 1)
        .await;
    let after_ack = acked.elapsed();
    println!(
        "vote on node A → poll_results on node B: {after_ack:?} after the ack ({:?} after sending)",
        sent.elapsed()
    );
    assert!(after_ack < Duration::from_millis(100), "{after_ack:?}");
    assert_eq!(first["poll_id"], pid);
    assert_eq!(first["voters"], 1);
    owner
        .inbox
        .wait_for("notification", |v| {
            v["type"] == "poll_votes" && v["poll_id"] == pid
        })
        .await;

    // A burst of changes from three voters on both nodes: at most 10 broadcasts a second, and
    // the last one is the exact final count.
    let started = Instant::now();
    let mut calls = Vec::new();
    for round in 0..8 {
        for (i, v) in voters.iter().enumerate() {
            let node = if (round + i) % 2 == 0 { &a } else { &b };
            let body = json!({"option_ids": [option_id(&poll, (round + i) % 3)]});
            let path = format!("/api/polls/{}/vote", pid.as_str().unwrap_or_default());
            calls.push(async move { node.call("PUT", &path, v, Some(body)).await });
        }
    }
    for (s, body) in futures::future::join_all(calls).await {
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (_, results) = b
        .call(
            "GET",
            &format!("/api/polls/{}/results", pid.as_str().unwrap_or_default()),
            &creator,
            None,
        )
        .await;
    assert_eq!(results["voters"], 3, "{results}");
    assert_eq!(results["total_votes"], 3, "{results}");
    let want: Vec<i64> = (0..3)
        .map(|n| results["options"][n]["votes"].as_i64().unwrap_or(-1))
        .collect();
    let exact = |v: &Value| {
        v["total_votes"] == 3 && (0..3).all(|n| v["options"][n]["votes"].as_i64() == Some(want[n]))
    };
    watcher.inbox.wait_for("poll_results", exact).await;
    let elapsed = started.elapsed();
    // Let any broadcast still due arrive, then look at the whole sequence.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let all = watcher.inbox.all("poll_results");
    assert!(
        all.last().is_some_and(exact),
        "ends on the exact counts: {:?}",
        all.last()
    );
    let bound = 2 + elapsed.as_millis() / 100 + 3;
    assert!(
        all.len() as u128 <= bound,
        "{} broadcasts in {elapsed:?} (bound {bound})",
        all.len()
    );

    // Close: subscribers get poll_updated; delete: poll_deleted, and the room is emptied.
    let (s, _) = a
        .call(
            "POST",
            &format!("/api/polls/{}/close", pid.as_str().unwrap_or_default()),
            &creator,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    watcher
        .inbox
        .wait_for("poll_updated", |v| v["poll"]["status"] == "closed")
        .await;
    let (s, _) = a
        .call(
            "DELETE",
            &format!("/api/polls/{}", pid.as_str().unwrap_or_default()),
            &creator,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    watcher
        .inbox
        .wait_for("poll_deleted", |v| v["poll_id"] == pid)
        .await;
    watcher
        .ok("unsubscribe_poll", json!({"poll_id": pid}))
        .await;
    watcher
        .refused("subscribe_poll", json!({"poll_id": pid}), "poll_not_found")
        .await;
}

#[sqlx::test]
async fn the_counts_are_rebuilt_from_postgres_after_a_flush_and_a_restart(pool: PgPool) {
    let mut redis = PrivateRedis::start().await;
    let mut config = test_config(&crate::common::fresh_prefix());
    config.redis_url = redis.url();
    let app = spawn_app_with(pool, config).await;
    let creator = app.register("Creator").await;
    let voter = app.register("Voter").await;
    let poll = poll_with(&app, &creator, &["x", "y"]).await;
    let pid = poll["id"].as_str().unwrap_or_default().to_string();
    let results = format!("/api/polls/{pid}/results");
    let (s, _) = app.vote(&creator, &pid, json!([option_id(&poll, 0)])).await;
    assert_eq!(s, StatusCode::OK);

    let mut c = redis::Client::open(redis.url().as_str())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("private redis");
    let _: () = redis::cmd("FLUSHDB")
        .query_async(&mut c)
        .await
        .expect("flush");
    // A vote right after the flush is counted, and so is the one before it.
    let (s, body) = app.vote(&voter, &pid, json!([option_id(&poll, 1)])).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["total_votes"], 2, "{body}");
    let (_, r) = app.call("GET", &results, &voter, None).await;
    assert_eq!(
        (r["total_votes"].clone(), r["voters"].clone()),
        (json!(2), json!(2)),
        "{r}"
    );

    redis.restart(Duration::from_millis(100)).await;
    // The connection manager reconnects by itself; the first calls may still find it down.
    let r = crate::common::eventually("results after the Redis restart", || async {
        let (s, r) = app.call("GET", &results, &voter, None).await;
        (s == StatusCode::OK).then_some(r)
    })
    .await;
    assert_eq!(
        (r["total_votes"].clone(), r["voters"].clone()),
        (json!(2), json!(2)),
        "{r}"
    );
    let (s, body) = app.vote(&voter, &pid, json!([option_id(&poll, 0)])).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["options"][0]["votes"], 2, "{body}");
    assert_eq!(body["poll"]["options"][1]["votes"], 0, "{body}");
}

/// The official JavaScript client (tests/js, as `tests/it/official_client.rs` installs it): an
/// anonymous socket subscribes, two signed-in ones vote, and the watcher sees the counts.
#[sqlx::test]
async fn the_official_client_subscribes_votes_and_sees_poll_results(pool: PgPool) {
    let app = crate::common::spawn_app(pool).await;
    let creator = app.register("Creator").await;
    let voter = app.register("Voter").await;
    let poll = poll_with(&app, &creator, &["yes", "no"]).await;
    let config = json!({
        "base": app.base,
        "poll_id": poll["id"],
        "option_ids": [option_id(&poll, 0), option_id(&poll, 1)],
        "voters": [creator.token, voter.token],
    });
    let report = crate::common::js::CLIENT
        .run("poll.mjs", &config, Duration::from_secs(30))
        .await;
    assert_eq!(report["results"]["total_votes"], 2, "{report}");
    assert_eq!(report["results"]["options"][0]["votes"], 1, "{report}");
}

/// The plain WebSocket of the first polling seed: the poll on connect, every change (from any
/// node: here a vote through the REST API), and `poll_deleted` before it closes.
#[sqlx::test]
async fn the_plain_websocket_sends_the_poll_and_its_changes(pool: PgPool) {
    let app = crate::common::spawn_app(pool).await;
    let creator = app.register("Creator").await;
    let poll = poll_with(&app, &creator, &["up", "down"]).await;
    let pid = poll["id"].as_str().unwrap_or_default().to_string();
    let refused = tokio_tungstenite::connect_async(format!(
        "ws://{}/ws/polls/{}",
        app.addr,
        uuid::Uuid::new_v4()
    ))
    .await;
    assert!(
        refused.is_err(),
        "an unknown poll is a 404 before any upgrade"
    );
    let mut ws = plain_ws(&app, &pid, &[]).await.expect("upgrade");
    let mut next = async || -> Value { next_json(&mut ws).await.expect("open") };
    let hello = next().await;
    assert_eq!(hello["type"], "poll_update");
    assert_eq!(hello["poll"]["id"], pid.as_str());
    let (s, _) = app.vote(&creator, &pid, json!([option_id(&poll, 1)])).await;
    assert_eq!(s, StatusCode::OK);
    loop {
        let m = next().await;
        if m["poll"]["total_votes"] == 1 {
            assert_eq!(m["poll"]["options"][1]["votes"], 1, "{m}");
            break;
        }
    }
    let (s, _) = app
        .call("DELETE", &format!("/api/polls/{pid}"), &creator, None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    loop {
        let m = next().await;
        if m["type"] == "poll_deleted" {
            break;
        }
    }
}

/// Postgres down: every poll call that needs it is a 503 with nothing half-written, and all is
/// well once it is back (a private cluster stopped by `pg_ctl stop -m fast`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_is_a_503_and_nothing_half_written() {
    let pg = tokio::task::spawn_blocking(crate::common::pg_server::PrivatePostgres::start)
        .await
        .expect("initdb");
    let mut config = test_config(&crate::common::fresh_prefix());
    config.database_url = pg.url("postgres");
    let pool = voting_game::db::pool(&config.database_url).expect("pool");
    let app = spawn_app_with(pool, config).await;
    let creator = app.register("Creator").await;
    let poll = poll_with(&app, &creator, &["a", "b"]).await;
    let pid = poll["id"].as_str().unwrap_or_default().to_string();
    let (s, _) = app.vote(&creator, &pid, json!([option_id(&poll, 0)])).await;
    assert_eq!(s, StatusCode::OK);

    let pg = std::sync::Arc::new(pg);
    let stop = std::sync::Arc::clone(&pg);
    tokio::task::spawn_blocking(move || stop.stop_fast())
        .await
        .expect("pg_ctl stop");
    let (s, b) = app.vote(&creator, &pid, json!([option_id(&poll, 1)])).await;
    crate::common::assert_error(
        s,
        &b,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    );
    let (s, b) = app
        .post_poll(&creator, json!({"question": "q", "options": ["x", "y"]}))
        .await;
    crate::common::assert_error(
        s,
        &b,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    );

    let start = std::sync::Arc::clone(&pg);
    tokio::task::spawn_blocking(move || start.pg_start())
        .await
        .expect("pg_ctl start");
    let r = crate::common::eventually("the server to recover", || async {
        let (s, r) = app
            .call("GET", &format!("/api/polls/{pid}/results"), &creator, None)
            .await;
        (s == StatusCode::OK).then_some(r)
    })
    .await;
    // The refused change left the first vote as it was.
    assert_eq!(r["options"][0]["votes"], 1, "{r}");
    assert_eq!(r["options"][1]["votes"], 0, "{r}");
    let (s, _) = app.vote(&creator, &pid, json!([option_id(&poll, 1)])).await;
    assert_eq!(s, StatusCode::OK);
}

/// The load generator's polls scenario, tiny: anonymous subscribers, voters, cold polls; no
/// errors, and every subscriber ends on the exact final counts. No timing is asserted.
#[sqlx::test]
async fn the_load_generator_polls_scenario_runs_clean(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        crate::common::unlimited_config(&crate::common::fresh_prefix()),
    )
    .await;
    let report = std::env::temp_dir().join(format!(
        "loadgen-polls-{}.json",
        uuid::Uuid::new_v4().simple()
    ));
    let out = tokio::process::Command::new(crate::common::loadgen_bin())
        .args(["--server", &app.addr.to_string(), "--scenario", "polls"])
        .args(["--rooms", "1", "--players", "3", "--poll-subscribers", "20"])
        .args([
            "--poll-rate",
            "30",
            "--poll-seconds",
            "1",
            "--cold-polls",
            "3",
        ])
        .arg("--json")
        .arg(&report)
        .output()
        .await
        .expect("loadgen runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    let _ = std::fs::remove_file(&report);
    assert_eq!(r["errors"], 0, "{r}");
    assert_eq!(r["subscribers_exact"], 20, "{r}");
    assert!(r["votes"].as_u64().is_some_and(|v| v > 0), "{r}");
}

/// Opens `/ws/polls/{pid}` with these headers: the socket, or the refusal's status and body.
pub(crate) async fn plain_ws(
    app: &TestApp,
    pid: &str,
    headers: &[(&str, String)],
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    (StatusCode, Value),
> {
    use tokio_tungstenite::tungstenite::{Error, client::IntoClientRequest};
    let mut req = format!("ws://{}/ws/polls/{pid}", app.addr)
        .into_client_request()
        .expect("request");
    for (k, v) in headers {
        req.headers_mut().insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            v.parse().expect("header value"),
        );
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(Error::Http(res)) => {
            let status = StatusCode::from_u16(res.status().as_u16()).expect("status");
            let body = res
                .body()
                .as_ref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Err((status, body))
        }
        Err(e) => panic!("handshake failed without an answer: {e}"),
    }
}

/// The next JSON message on a plain WebSocket; `None` once it is closed.
pub(crate) async fn next_json<S>(ws: &mut S) -> Option<Value>
where
    S: futures::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    use futures::StreamExt;
    loop {
        let msg = tokio::time::timeout(crate::common::socket::WAIT, ws.next())
            .await
            .expect("a message or the close in time");
        match msg {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                return Some(serde_json::from_str(t.as_str()).expect("json"));
            }
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_)) | Err(_)) | None => {
                return None;
            }
            Some(Ok(_)) => {}
        }
    }
}

/// The plain WebSocket keeps Socket.IO's rules: a cookie handshake from a foreign page is
/// refused (it used to hand that page the visitor's `my_votes`); a signed-in socket ends when
/// its session is logged out; and every watcher keeps its own `my_votes` as the poll changes.
#[sqlx::test]
async fn the_plain_websocket_keeps_the_origin_and_session_rules(pool: PgPool) {
    let app = crate::common::spawn_app(pool).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let poll = poll_with(&app, &alice, &["up", "down"]).await;
    let pid = poll["id"].as_str().unwrap_or_default().to_string();
    let (s, _) = app.vote(&alice, &pid, json!([option_id(&poll, 0)])).await;
    assert_eq!(s, StatusCode::OK);
    let cookie = format!("access_token={}", alice.token);
    let (status, body) = plain_ws(
        &app,
        &pid,
        &[
            ("cookie", cookie.clone()),
            ("origin", "http://evil.example".into()),
        ],
    )
    .await
    .expect_err("a foreign page's cookie handshake is refused");
    assert_error(status, &body, StatusCode::FORBIDDEN, "csrf_rejected");

    let mut own = plain_ws(
        &app,
        &pid,
        &[
            ("cookie", cookie),
            ("origin", "http://localhost:5173".into()),
        ],
    )
    .await
    .expect("an allowed page");
    let mut bobs = plain_ws(
        &app,
        &pid,
        &[("authorization", format!("Bearer {}", bob.token))],
    )
    .await
    .expect("a Bearer token");
    let first = next_json(&mut own).await.expect("hello");
    assert_eq!(
        first["poll"]["my_votes"],
        json!([option_id(&poll, 0)]),
        "{first}"
    );
    assert_eq!(
        next_json(&mut bobs).await.expect("hello")["poll"]["my_votes"],
        json!([])
    );
    // Bob votes: both hear it, each with their own ballot.
    let (s, _) = app.vote(&bob, &pid, json!([option_id(&poll, 1)])).await;
    assert_eq!(s, StatusCode::OK);
    for (ws, mine) in [
        (&mut own, option_id(&poll, 0)),
        (&mut bobs, option_id(&poll, 1)),
    ] {
        loop {
            let m = next_json(ws).await.expect("an update");
            if m["poll"]["total_votes"] == 2 {
                assert_eq!(m["poll"]["my_votes"], json!([mine]), "{m}");
                break;
            }
        }
    }

    // Alice signs out: her socket is told and closed within about a second; Bob's goes on.
    let res = reqwest::Client::new()
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .expect("logout");
    assert!(res.status().is_success());
    let since = Instant::now();
    let mut told = None;
    while let Some(m) = next_json(&mut own).await {
        if m["type"] == "session_ended" {
            told = Some(m);
        }
    }
    assert_eq!(told.expect("session_ended")["reason"], "revoked");
    assert!(
        since.elapsed() < Duration::from_secs(3),
        "{:?}",
        since.elapsed()
    );
    let (s, _) = app.vote(&bob, &pid, json!([option_id(&poll, 0)])).await;
    assert_eq!(s, StatusCode::OK);
    loop {
        let m = next_json(&mut bobs).await.expect("Bob still watches");
        if m["poll"]["options"][0]["votes"] == 2 {
            break;
        }
    }
}

/// The plain WebSocket counts against the per-address connection cap (it used to open as many
/// as anyone asked) and its handshakes against the per-address request budget; a closed socket
/// frees its place.
#[sqlx::test]
async fn the_plain_websocket_is_capped_per_address(pool: PgPool) {
    let mut config = test_config(&crate::common::fresh_prefix());
    config.limits.sockets_per_ip = 5;
    let app = spawn_app_with(pool, config).await;
    let alice = app.register("Alice").await;
    let poll = poll_with(&app, &alice, &["up", "down"]).await;
    let pid = poll["id"].as_str().unwrap_or_default().to_string();
    let mut open = Vec::new();
    for _ in 0..5 {
        let mut ws = plain_ws(&app, &pid, &[]).await.expect("under the cap");
        assert!(next_json(&mut ws).await.is_some());
        open.push(ws);
    }
    let (status, body) = plain_ws(&app, &pid, &[]).await.expect_err("over the cap");
    assert_error(
        status,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_connections",
    );
    drop(open.pop());
    crate::common::eventually("a closed socket frees its place", || {
        let (app, pid) = (&app, &pid);
        async move { plain_ws(app, pid, &[]).await.ok().map(|_| ()) }
    })
    .await;

    let mut config = test_config(&crate::common::fresh_prefix());
    config.limits.api_per_second = 2;
    drop(open);
    let strict = spawn_app_with(app.pool.clone(), config).await;
    let mut limited = 0;
    for _ in 0..20 {
        match plain_ws(&strict, &pid, &[]).await {
            Ok(_) => {}
            Err((s, b)) => {
                assert_error(s, &b, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
                limited += 1;
            }
        }
    }
    assert!(
        limited > 0,
        "20 handshakes at once from one address all passed"
    );
}

/// A broadcast has no single reader (issue 20): `poll_updated` after the creator's edit reaches
/// a subscriber with `liked_by_me: false` although the creator likes the poll (each client keeps
/// its own), while the creator's REST answer still says they like it; and the creator's
/// `notification` carries the poll's real like count.
#[sqlx::test]
async fn poll_updated_carries_no_ones_like_and_the_creators_notification_counts_likes(
    pool: PgPool,
) {
    let app = crate::common::spawn_app(pool).await;
    let creator = app.register("Creator").await;
    let bob = app.register("Bob").await;
    let poll = poll_with(&app, &creator, &["a", "b"]).await;
    let pid = poll["id"].as_str().unwrap_or_default().to_string();
    let owner = Sock::connect(&app.base, &creator.token, TransportType::Websocket).await;
    let watcher = Sock::connect(&app.base, &bob.token, TransportType::Websocket).await;
    watcher.ok("subscribe_poll", json!({"poll_id": pid})).await;

    let (s, b) = app.like(&creator, &pid).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let note = owner
        .inbox
        .wait_for("notification", |v| v["poll_id"] == pid.as_str())
        .await;
    assert_eq!(note["likes"], 1, "{note}");

    let (s, mine) = app
        .call(
            "PATCH",
            &format!("/api/polls/{pid}"),
            &creator,
            Some(json!({"description": "Now with a description"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(mine["poll"]["liked_by_me"], true, "{mine}");
    let update = watcher
        .inbox
        .wait_for("poll_updated", |v| {
            v["poll"]["description"] == "Now with a description"
        })
        .await;
    assert_eq!(
        (
            update["poll"]["likes"].as_i64(),
            update["poll"]["liked_by_me"].as_bool(),
            update["poll"]["my_votes"].clone()
        ),
        (Some(1), Some(false), json!([])),
        "{update}"
    );
}
