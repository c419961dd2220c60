//! Webhooks (issue 25, item 3) against a real receiver: a small HTTP server on 127.0.0.1 in the
//! test (so the server runs with `WEBHOOK_ALLOW_PRIVATE`), which checks each delivery's
//! signature by the documented scheme (`X-VG-Signature: sha256=<hex HMAC-SHA256(secret,
//! "{X-VG-Timestamp}.{body}")>`) and can fail its first answers. Every event arrives once and in
//! order, a failing receiver is retried, a server killed mid-retry and started again completes
//! the delivery with each delivery id accepted once, and a forged signature fails verification.

use crate::common::{
    Player, TestApp, assert_error, assert_invalid_field, database_url, eventually, fresh_prefix,
    node::Node, spawn_app_with, test_config,
};
use axum::{body::Bytes, http::HeaderMap};
use hmac::{Hmac, Mac};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;
use sqlx::PgPool;
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

/// One request the receiver got, and what it answered.
#[derive(Debug, Clone)]
struct Got {
    delivery: String,
    event: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    answered: u16,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Inner {
    secret: String,
    fail_first: usize,
    seen: Vec<Got>,
}

#[derive(Clone, Default)]
struct Receiver {
    inner: Arc<Mutex<Inner>>,
    url: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The receiver's side of the scheme, written from the documentation.
fn verify(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let want = format!("sha256={}", hex(&mac.finalize().into_bytes()));
    // Constant time, as a receiver should.
    want.len() == signature.len()
        && want
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        let inner = Arc::new(Mutex::new(Inner {
            fail_first,
            ..Inner::default()
        }));
        let state = Arc::clone(&inner);
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = Arc::clone(&state);
                async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let mut got = Got {
                        delivery: h("x-vg-delivery"),
                        event: h("x-vg-event"),
                        timestamp: h("x-vg-timestamp"),
                        signature: h("x-vg-signature"),
                        body: body.to_vec(),
                        answered: 200,
                    };
                    let mut s = state.lock().expect("lock");
                    if !verify(&s.secret, &got.timestamp, &got.body, &got.signature) {
                        got.answered = 401;
                    } else if s.fail_first > 0 {
                        s.fail_first -= 1;
                        got.answered = 500;
                    }
                    let status = axum::http::StatusCode::from_u16(got.answered).expect("status");
                    s.seen.push(got);
                    status
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            inner,
            url: format!("http://{addr}/hook"),
        }
    }

    fn set_secret(&self, secret: &str) {
        self.inner.lock().expect("lock").secret = secret.to_string();
    }

    fn seen(&self) -> Vec<Got> {
        self.inner.lock().expect("lock").seen.clone()
    }

    fn accepted(&self) -> Vec<Got> {
        self.seen()
            .into_iter()
            .filter(|g| g.answered == 200)
            .collect()
    }

    async fn wait_accepted(&self, n: usize) -> Vec<Got> {
        eventually(&format!("{n} accepted deliveries"), || async {
            let got = self.accepted();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

fn hooks_config(prefix: &str) -> voting_game::config::Config {
    let mut config = test_config(prefix);
    config.webhooks.allow_private = true;
    config.webhooks.retry_base = Duration::from_millis(100);
    config
}

async fn register_hook(app: &TestApp, who: &Player, path: &str, url: &str) -> (Value, String) {
    let (s, body) = app.call("POST", path, who, Some(json!({"url": url}))).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let secret = body["secret"].as_str().expect("secret").to_string();
    (body["webhook"].clone(), secret)
}

fn events(got: &[Got]) -> Vec<String> {
    got.iter().map(|g| g.event.clone()).collect()
}

#[sqlx::test]
async fn every_poll_event_arrives_once_in_order_signed_and_a_forgery_fails(pool: PgPool) {
    let app = spawn_app_with(pool, hooks_config(&fresh_prefix())).await;
    let receiver = Receiver::start(0).await;
    let alice = app.register("Alice").await;
    let (hook, secret) = register_hook(&app, &alice, "/api/me/webhooks", &receiver.url).await;
    receiver.set_secret(&secret);
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(hook.get("secret").is_none());

    let (s, poll) = app
        .call(
            "POST",
            "/api/polls",
            &alice,
            Some(json!({"question": "Tea?", "options": ["Yes", "No"], "publish": false})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{poll}");
    let id = poll["poll"]["id"].as_str().expect("id").to_string();
    let yes = poll["poll"]["options"][0]["id"].clone();
    for step in ["publish"] {
        let (s, b) = app
            .call("POST", &format!("/api/polls/{id}/{step}"), &alice, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/polls/{id}/vote"),
            &alice,
            Some(json!({"option_ids": [yes]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // The threshold is noticed after the vote's answer: waited for, so the order is known.
    receiver.wait_accepted(3).await;
    for step in ["close", "reopen"] {
        let (s, b) = app
            .call("POST", &format!("/api/polls/{id}/{step}"), &alice, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, _) = app
        .call("DELETE", &format!("/api/polls/{id}"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let got = receiver.wait_accepted(6).await;
    // Nothing more comes (no event twice).
    tokio::time::sleep(Duration::from_millis(600)).await;
    let got_later = receiver.seen();
    assert_eq!(got_later.len(), 6, "{:?}", events(&got_later));
    assert_eq!(
        events(&got),
        [
            "poll_created",
            "poll_published",
            "poll_votes_reached",
            "poll_closed",
            "poll_reopened",
            "poll_deleted"
        ]
    );
    let ids: HashSet<&str> = got.iter().map(|g| g.delivery.as_str()).collect();
    assert_eq!(ids.len(), 6, "each delivery has its own id");
    for g in &got {
        let body = g.json();
        assert_eq!(body["id"], g.delivery);
        assert_eq!(body["event"], g.event);
        assert_eq!(body["data"]["poll"]["id"], id.as_str());
    }
    assert_eq!(got[0].json()["data"]["poll"]["status"], "draft");
    assert_eq!(got[1].json()["data"]["poll"]["status"], "open");
    let reached = got[2].json();
    assert_eq!(reached["data"]["threshold"], 1);
    assert_eq!(reached["data"]["poll"]["voters"], 1);
    assert_eq!(reached["data"]["poll"]["options"][0]["votes"], 1);
    assert_eq!(got[3].json()["data"]["poll"]["status"], "closed");

    // Forgeries fail the receiver's check: another secret, a changed body, a changed time.
    let g = &got[3];
    assert!(verify(&secret, &g.timestamp, &g.body, &g.signature));
    let other = format!("whsec_{}", "0".repeat(64));
    assert!(!verify(&other, &g.timestamp, &g.body, &g.signature));
    let mut changed = g.body.clone();
    let at = changed.iter().position(|b| *b == b'c').expect("a letter");
    changed[at] = b'C';
    assert!(!verify(&secret, &g.timestamp, &changed, &g.signature));
    let later = (g.timestamp.parse::<i64>().expect("unix seconds") + 1).to_string();
    assert!(!verify(&secret, &later, &g.body, &g.signature));
    // And a forged request to the receiver is refused by it.
    let mut mac = Hmac::<Sha256>::new_from_slice(other.as_bytes()).expect("key");
    mac.update(format!("{}.", g.timestamp).as_bytes());
    mac.update(&g.body);
    let forged = Client::new()
        .post(&receiver.url)
        .header("x-vg-timestamp", &g.timestamp)
        .header(
            "x-vg-signature",
            format!("sha256={}", hex(&mac.finalize().into_bytes())),
        )
        .body(g.body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // The log shows each attempt's status code.
    let (s, list) = app.call("GET", "/api/me/webhooks", &alice, None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let log = list["webhooks"][0]["deliveries"].as_array().expect("log");
    assert_eq!(log.len(), 6);
    assert!(log.iter().all(|a| a["status_code"] == 200), "{list}");
    assert_eq!(list["webhooks"][0]["pending"], 0);
    assert!(list["webhooks"][0].get("secret").is_none());
}

async fn node_register(base: &str, name: &str) -> String {
    let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
    let c = Client::new();
    let res = c
        .post(format!("{base}/api/auth/register"))
        .json(&json!({"email": email, "password": "password123", "display_name": name}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = c
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": email, "password": "password123"}))
        .send()
        .await
        .expect("login");
    let body: Value = res.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_string()
}

async fn node_call(base: &str, token: &str, method: &str, path: &str, body: Value) -> Value {
    let res = Client::new()
        .request(method.parse().expect("method"), format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap_or(Value::Null)
}

#[sqlx::test]
async fn a_server_killed_mid_retry_delivers_every_event_once_after_its_restart(pool: PgPool) {
    let receiver = Receiver::start(3).await;
    let db_url = database_url(&pool);
    let prefix = fresh_prefix();
    let env = [
        ("WEBHOOK_ALLOW_PRIVATE", "true"),
        ("WEBHOOK_RETRY_BASE_MS", "400"),
        ("WEBHOOK_TIMEOUT_SECONDS", "2"),
    ];
    let mut first = Node::start(&db_url, &prefix, &env).await;
    let token = node_register(&first.base, "Alice").await;
    let hook = node_call(
        &first.base,
        &token,
        "POST",
        "/api/me/webhooks",
        json!({"url": receiver.url}),
    )
    .await;
    receiver.set_secret(hook["secret"].as_str().expect("secret"));
    let poll = node_call(
        &first.base,
        &token,
        "POST",
        "/api/polls",
        json!({"question": "Restart?", "options": ["a", "b"]}),
    )
    .await;
    let id = poll["poll"]["id"].as_str().expect("id").to_string();
    node_call(
        &first.base,
        &token,
        "POST",
        &format!("/api/polls/{id}/close"),
        json!({}),
    )
    .await;

    // Two failed attempts, both recorded (no lease left), then kill -9 while waiting to retry.
    eventually("two failed attempts recorded", || async {
        let row: Option<(i32, bool)> = sqlx::query_as(
            "SELECT attempts, leased_until IS NULL FROM webhook_deliveries ORDER BY seq LIMIT 1",
        )
        .fetch_optional(&pool)
        .await
        .expect("query");
        row.filter(|(n, free)| *n >= 2 && *free).map(|_| ())
    })
    .await;
    first.kill().await;
    let before = receiver.seen();
    assert_eq!(before.len(), 2, "{:?}", events(&before));
    assert!(before.iter().all(|g| g.answered == 500));
    let pending: i64 =
        sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'")
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(pending, 2, "both events wait in the outbox");

    let second = Node::start(&db_url, &prefix, &env).await;
    let got = receiver.wait_accepted(2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = receiver.seen();
    assert_eq!(events(&got), ["poll_created", "poll_closed"]);
    let first_id = &got[0].delivery;
    let failures: Vec<&Got> = all.iter().filter(|g| g.answered != 200).collect();
    assert_eq!(failures.len(), 3, "{all:?}");
    assert!(
        failures.iter().all(|g| &g.delivery == first_id),
        "the second event waits for the first"
    );
    let accepted = receiver.accepted();
    assert_eq!(
        accepted.len(),
        2,
        "each delivery accepted once: {accepted:?}"
    );
    assert_ne!(accepted[0].delivery, accepted[1].delivery);
    // Every retry sends the same body under the same delivery id.
    assert!(
        all.iter()
            .filter(|g| &g.delivery == first_id)
            .all(|g| g.body == got[0].body)
    );

    let list = node_call(&second.base, &token, "GET", "/api/me/webhooks", json!({})).await;
    let codes: Vec<i64> = list["webhooks"][0]["deliveries"]
        .as_array()
        .expect("log")
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(codes, [200, 200, 500, 500, 500], "newest first: {list}");
}

#[sqlx::test]
async fn a_private_url_is_refused_unless_the_operator_allows_it(pool: PgPool) {
    let app = spawn_app_with(pool, test_config(&fresh_prefix())).await;
    let alice = app.register("Alice").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:192.168.1.1]/hook",
        "http://2130706433/hook",
        "ftp://example.com/hook",
        "not a url",
    ] {
        let (s, body) = app
            .call(
                "POST",
                "/api/me/webhooks",
                &alice,
                Some(json!({"url": url})),
            )
            .await;
        assert_invalid_field(s, &body, "url");
    }
    let (_, list) = app.call("GET", "/api/me/webhooks", &alice, None).await;
    assert_eq!(list["webhooks"], json!([]));
}

#[sqlx::test]
async fn only_a_polls_creator_or_a_rooms_host_manages_its_webhooks(pool: PgPool) {
    let app = spawn_app_with(pool, hooks_config(&fresh_prefix())).await;
    let receiver = Receiver::start(0).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let (_, poll) = app
        .call(
            "POST",
            "/api/polls",
            &alice,
            Some(json!({"question": "Q?", "options": ["a", "b"]})),
        )
        .await;
    let id = poll["poll"]["id"].as_str().expect("id").to_string();
    let path = format!("/api/polls/{id}/webhooks");
    let url = json!({"url": receiver.url});
    let (s, b) = app.call("POST", &path, &bob, Some(url.clone())).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "not_creator");
    let (s, b) = app.call("GET", &path, &bob, None).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "not_creator");
    let (s, b) = app
        .call(
            "POST",
            &path,
            &alice,
            Some(json!({"url": receiver.url, "events": ["game_ended"]})),
        )
        .await;
    assert_invalid_field(s, &b, "events");
    let (hook, _) = register_hook(&app, &alice, &path, &receiver.url).await;
    assert!(
        !hook["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e == "poll_created" || e == "game_ended"),
        "{hook}"
    );
    for _ in 1..5 {
        register_hook(&app, &alice, &path, &receiver.url).await;
    }
    let (s, b) = app.call("POST", &path, &alice, Some(url.clone())).await;
    assert_invalid_field(s, &b, "url");
    let hook_path = format!("{path}/{}", hook["id"].as_str().expect("id"));
    let (s, b) = app.call("DELETE", &hook_path, &bob, None).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "not_creator");
    let (s, _) = app.call("DELETE", &hook_path, &alice, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app.call("DELETE", &hook_path, &alice, None).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "webhook_not_found");
    let (_, list) = app.call("GET", &path, &alice, None).await;
    assert_eq!(list["webhooks"].as_array().map(Vec::len), Some(4));

    // A room's: its host only, and it hears the game's end with the results.
    let code = app
        .create_room(
            &alice,
            json!({"max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60}),
        )
        .await;
    let room_path = format!("/api/rooms/{code}/webhooks");
    let (s, b) = app.call("POST", &room_path, &bob, Some(url.clone())).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "not_host");
    let (hook, secret) = register_hook(&app, &alice, &room_path, &receiver.url).await;
    assert_eq!(hook["events"], json!(["game_ended"]));
    receiver.set_secret(&secret);
    app.join(&bob, &code).await;
    let (s, b) = app
        .call("POST", &format!("/api/game/{code}/start"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let round = b["round"]["id"].as_str().expect("round").to_string();
    let (_, answer) = app
        .call(
            "POST",
            &format!("/api/game/rounds/{round}/answer"),
            &bob,
            Some(json!({"answer": "=cmd|' /C calc'!A0"})),
        )
        .await;
    app.call(
        "POST",
        &format!("/api/game/rounds/{round}/voting"),
        &alice,
        None,
    )
    .await;
    app.call(
        "POST",
        &format!("/api/game/rounds/{round}/vote"),
        &alice,
        Some(json!({"answer_id": answer["answer_id"]})),
    )
    .await;
    let (s, b) = app
        .call("POST", &format!("/api/game/{code}/next"), &alice, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let got = receiver.wait_accepted(1).await;
    assert_eq!(events(&got), ["game_ended"]);
    let game = &got[0].json()["data"]["game"];
    assert_eq!(game["room_code"], code.as_str());
    assert_eq!(
        game["final_scores"][0],
        json!({"user_id": bob.id, "display_name": "Bob", "score": 1, "rank": 1})
    );
    assert_eq!(
        game["rounds"][0]["answers"][0]["content"],
        "=cmd|' /C calc'!A0"
    );

    // Alice leaves: Bob hosts now. He sees none of her webhooks; she still lists and deletes
    // the one she registered there.
    let (s, b) = app.leave_room(&alice, &code).await;
    assert!(s.is_success(), "{s} {b}");
    let (s, b) = app.call("GET", &room_path, &bob, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["webhooks"], json!([]), "{b}");
    let (s, b) = app.call("GET", &room_path, &alice, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["webhooks"][0]["id"], hook["id"], "{b}");
    let (s, b) = app
        .call(
            "DELETE",
            &format!("{room_path}/{}", hook["id"].as_str().unwrap_or_default()),
            &alice,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, b) = app.call("GET", &room_path, &alice, None).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "not_host");
}

/// Events of one owner's polls at the same moment share that owner's account-wide webhooks:
/// each event's transaction takes the next sequence number of every one of them. Taken in any
/// order, two such transactions could deadlock (one request failing); taken in id order, every
/// request succeeds and every receiver gets each poll's events once and in order.
#[sqlx::test]
async fn simultaneous_events_sharing_webhooks_all_succeed_and_arrive_in_order(pool: PgPool) {
    let app = spawn_app_with(pool, hooks_config(&fresh_prefix())).await;
    let alice = app.register("Alice").await;
    let mut receivers = Vec::new();
    for _ in 0..3 {
        let receiver = Receiver::start(0).await;
        let (_, secret) = register_hook(&app, &alice, "/api/me/webhooks", &receiver.url).await;
        receiver.set_secret(&secret);
        receivers.push(receiver);
    }
    let mut polls = Vec::new();
    for n in 0..4 {
        let (s, poll) = app
            .call(
                "POST",
                "/api/polls",
                &alice,
                Some(json!({"question": format!("Snack {n}?"), "options": ["Yes", "No"]})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{poll}");
        polls.push(poll["poll"]["id"].as_str().expect("id").to_string());
    }
    for (method, step) in [("POST", "close"), ("POST", "reopen"), ("DELETE", "")] {
        let calls = polls.iter().map(|id| {
            let path = if step.is_empty() {
                format!("/api/polls/{id}")
            } else {
                format!("/api/polls/{id}/{step}")
            };
            let (app, alice) = (&app, &alice);
            async move { app.call(method, &path, alice, None).await }
        });
        for (s, body) in futures::future::join_all(calls).await {
            assert!(s.is_success(), "{method} {step}: {s} {body}");
        }
    }
    for receiver in &receivers {
        let got = receiver.wait_accepted(16).await;
        for id in &polls {
            let of_poll: Vec<String> = got
                .iter()
                .filter(|g| g.json()["data"]["poll"]["id"] == id.as_str())
                .map(|g| g.event.clone())
                .collect();
            assert_eq!(
                of_poll,
                [
                    "poll_created",
                    "poll_closed",
                    "poll_reopened",
                    "poll_deleted"
                ],
                "poll {id}"
            );
        }
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    for receiver in &receivers {
        assert_eq!(receiver.seen().len(), 16, "nothing twice");
    }
}
