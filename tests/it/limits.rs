//! Limits count what they mean to: per-IP limits count real clients (behind a trusted reverse
//! proxy each client by its forwarded address, never by a header anyone could write, and IPv6
//! clients per /64), and the per-account login limit holds for the whole cluster, not per node.
//! Memory a client can make a node hold is bounded: open sockets per user and per address are
//! capped, and binary attachments (the game sends none) close the socket at once. Poll writes
//! that fan out (creating polls; likes, option changes, edits) have per-account budgets, also
//! cluster-wide.

use crate::common::{
    TestApp, fresh_prefix,
    socket::{Handshake, Sock},
    spawn_app_with, test_config,
    wire::Wire,
};
use reqwest::{Client, StatusCode, header};
use serde_json::json;
use sqlx::PgPool;
use tf_rust_socketio::TransportType;

/// Registers a fresh account, the request saying it was forwarded for `xff` (if any).
async fn register_via(app: &TestApp, xff: Option<&str>) -> StatusCode {
    let email = format!("u{}@example.com", uuid::Uuid::new_v4().simple());
    let mut req = Client::new()
        .post(app.url("/api/auth/register"))
        .json(&json!({"email": email, "password": "password123", "display_name": "U"}));
    if let Some(x) = xff {
        req = req.header("X-Forwarded-For", x);
    }
    req.send().await.expect("register").status()
}

async fn proxied_app(pool: PgPool) -> TestApp {
    let mut config = test_config(&fresh_prefix());
    config.limits.auth_per_minute = 2;
    config.trusted_proxies = "127.0.0.1/32".parse().expect("proxies");
    spawn_app_with(pool, config).await
}

#[sqlx::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_per_ip_limits(pool: PgPool) {
    let app = proxied_app(pool).await;
    let ann = "198.51.100.1";
    assert_eq!(register_via(&app, Some(ann)).await, StatusCode::CREATED);
    assert_eq!(register_via(&app, Some(ann)).await, StatusCode::CREATED);
    assert_eq!(
        register_via(&app, Some(ann)).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy is not held back by Ann.
    assert_eq!(
        register_via(&app, Some("198.51.100.2")).await,
        StatusCode::CREATED
    );
    // Ann cannot escape her limit by writing another address first: the proxy appends the
    // one it saw, and that rightmost one is what counts.
    for spoof in ["203.0.113.7", "198.51.100.99"] {
        assert_eq!(
            register_via(&app, Some(&format!("{spoof}, {ann}"))).await,
            StatusCode::TOO_MANY_REQUESTS,
            "{spoof}"
        );
    }
}

#[sqlx::test]
async fn ipv6_clients_are_limited_per_64(pool: PgPool) {
    let app = proxied_app(pool).await;
    assert_eq!(
        register_via(&app, Some("2001:db8:1:2::1")).await,
        StatusCode::CREATED
    );
    assert_eq!(
        register_via(&app, Some("2001:db8:1:2::2")).await,
        StatusCode::CREATED
    );
    // A third address of the same /64 (one subscriber's allocation) shares its budget.
    assert_eq!(
        register_via(&app, Some("2001:db8:1:2:ffff:ffff:ffff:ffff")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        register_via(&app, Some("2001:db8:1:3::1")).await,
        StatusCode::CREATED
    );
}

#[sqlx::test]
async fn x_forwarded_for_from_an_untrusted_peer_is_ignored(pool: PgPool) {
    let mut config = test_config(&fresh_prefix());
    config.limits.auth_per_minute = 2;
    let app = spawn_app_with(pool, config).await;
    for (i, ip) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let want = if i < 2 {
            StatusCode::CREATED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(register_via(&app, Some(ip)).await, want, "{ip}");
    }
}

#[sqlx::test]
async fn the_per_account_login_limit_holds_across_nodes(pool: PgPool) {
    let mut config = test_config(&fresh_prefix());
    config.limits.login_per_account_per_minute = 3;
    let a = spawn_app_with(pool.clone(), config.clone()).await;
    let b = spawn_app_with(pool, config).await;
    let victim = a.register("Victim").await; // one login spent, on node A
    let guess = |app: &TestApp| {
        Client::new()
            .post(app.url("/api/auth/login"))
            .json(&json!({"email": victim.email, "password": "guess-guess"}))
            .send()
    };
    assert_eq!(
        guess(&b).await.expect("b").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        guess(&a).await.expect("a").status(),
        StatusCode::UNAUTHORIZED
    );
    // Three tries spent between the two nodes: the next one is refused on either.
    let res = guess(&b).await.expect("b");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        guess(&a).await.expect("a").status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// The `Retry-After` of a 429, in seconds.
fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After")
}

/// Creates a poll as `who` (a Bearer token) on `app`; the response as it came.
async fn create_poll(app: &TestApp, token: &str, n: usize) -> reqwest::Response {
    Client::new()
        .post(app.url("/api/polls"))
        .bearer_auth(token)
        .json(&json!({"question": format!("Poll {n}?"), "options": ["Yes", "No"]}))
        .send()
        .await
        .expect("create")
}

/// One account making polls fast (each public one is pushed to every feed subscriber) is held
/// to 10 a minute by default, counted across the cluster; another account is not held back.
#[sqlx::test]
async fn the_eleventh_poll_in_a_minute_is_refused_on_any_node_and_other_accounts_go_on(
    pool: PgPool,
) {
    let config = test_config(&fresh_prefix());
    let a = spawn_app_with(pool.clone(), config.clone()).await;
    let b = spawn_app_with(pool, config).await;
    let spammer = a.register("Spammer").await;
    let other = a.register("Other").await;
    for n in 0..10 {
        let node = if n % 2 == 0 { &a } else { &b };
        let res = create_poll(node, &spammer.token, n).await;
        assert_eq!(res.status(), StatusCode::CREATED, "poll {n}");
    }
    for node in [&a, &b] {
        let res = create_poll(node, &spammer.token, 10).await;
        let status = res.status();
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the 11th poll");
        let retry = retry_after(&res);
        assert!((1..=60).contains(&retry), "{retry}");
        let body: serde_json::Value = res.json().await.expect("json");
        crate::common::assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    }
    let res = create_poll(&b, &other.token, 0).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // Nothing of the refused polls was written.
    let (_, mine) = a
        .call(
            "GET",
            &format!("/api/users/{}/polls", spammer.id),
            &spammer,
            None,
        )
        .await;
    assert_eq!(mine["total"], 10, "{mine}");
}

/// Likes, option changes and edits (each pushed to a poll's subscribers) share one budget per
/// account; running out of it stops only that account.
#[sqlx::test]
async fn likes_option_changes_and_edits_share_one_budget_per_account(pool: PgPool) {
    let mut config = test_config(&fresh_prefix());
    config.limits.account_writes_per_minute = 3;
    let app = spawn_app_with(pool, config).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let res = create_poll(&app, &alice.token, 0).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "creating is its own budget"
    );
    let poll: serde_json::Value = res.json().await.expect("json");
    let id = poll["poll"]["id"].as_str().expect("id").to_string();
    let like = format!("/api/polls/{id}/like");
    for (method, path, body) in [
        ("PUT", like.clone(), None),
        (
            "POST",
            format!("/api/polls/{id}/options"),
            Some(json!({"text": "Maybe"})),
        ),
        ("DELETE", like.clone(), None),
    ] {
        let (s, b) = app.call(method, &path, &alice, body).await;
        assert!(s.is_success(), "{method} {path}: {s} {b}");
    }
    let (s, b) = app
        .call(
            "PATCH",
            &format!("/api/polls/{id}"),
            &alice,
            Some(json!({"description": "One write too many"})),
        )
        .await;
    crate::common::assert_error(s, &b, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let (s, b) = app.like(&alice, &id).await;
    crate::common::assert_error(s, &b, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // Bob's budget is his own; a vote spends none.
    let (s, b) = app.like(&bob, &id).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["likes"], 1, "{b}");
    let option = poll["poll"]["options"][0]["id"].clone();
    let (s, b) = app.vote(&alice, &id, json!([option])).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn open(app: &TestApp, token: &str, forwarded_for: Option<&str>) -> Result<Sock, String> {
    Sock::handshake(
        &app.base,
        Handshake {
            token: Some(token),
            forwarded_for,
            ..Handshake::default()
        },
    )
    .await
    .map_err(|e| e.to_string())
}

#[sqlx::test]
async fn open_sockets_are_capped_per_user_and_per_address(pool: PgPool) {
    let mut config = test_config(&fresh_prefix());
    config.limits.sockets_per_user = 2;
    config.limits.sockets_per_ip = 3;
    config.trusted_proxies = "127.0.0.1/32".parse().expect("proxies");
    let app = spawn_app_with(pool, config).await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let cat = app.register("Cat").await;

    let a1 = open(&app, &ann.token, None).await.expect("a1");
    let _a2 = open(&app, &ann.token, None).await.expect("a2");
    let refused = open(&app, &ann.token, None)
        .await
        .err()
        .expect("a third for Ann");
    assert!(refused.contains("this account"), "{refused}");
    let _b1 = open(&app, &bob.token, None).await.expect("b1");
    // Three from 127.0.0.1 now: Cat is refused from there…
    let refused = open(&app, &cat.token, None)
        .await
        .err()
        .expect("a fourth from the address");
    assert!(refused.contains("this address"), "{refused}");
    // …but not from another client behind the (trusted) proxy.
    let c1 = open(&app, &cat.token, Some("198.51.100.4"))
        .await
        .expect("another address");
    c1.refused(
        "join_room",
        json!({"room_code": "ZZZZZZ"}),
        "room_not_found",
    )
    .await;

    // A closed socket frees its place.
    a1.close().await;
    crate::common::eventually("the closed socket's place to be freed", || async {
        open(&app, &cat.token, None).await.ok()
    })
    .await;
}

#[sqlx::test]
async fn a_binary_attachment_closes_that_socket_only(pool: PgPool) {
    let app = spawn_app_with(pool, test_config(&fresh_prefix())).await;
    let host = app.register("Host").await;
    let mallory = app.register("Mallory").await;
    let code = app.create_room(&host, json!({})).await;
    let calm = Sock::connect(&app.base, &host.token, TransportType::Websocket).await;
    calm.ok("join_room", json!({"room_code": code})).await;
    let mut w = Wire::connect(&app.base, &mallory.token).await;
    let ack = w.request(1, "join_room", json!({"room_code": code})).await;
    assert!(ack.contains(r#""ok":true"#), "{ack}");

    // A submit_answer announcing eight 15 KiB attachments (each under the message size
    // limit): the server would hold 120 KiB for this one message, and up to 10 MB by default.
    let header = format!(
        "458-{}",
        json!(["submit_answer", {"room_code": code, "answer": {"_placeholder": true, "num": 0},
               "more": (1..8).map(|n| json!({"_placeholder": true, "num": n})).collect::<Vec<_>>()}])
    );
    w.send_text(&header).await;
    for _ in 0..8 {
        w.send_binary(vec![0x42; 15 * 1024]).await;
    }
    let frames = w.until_disconnected().await;
    assert!(
        frames.iter().all(|f| !f.starts_with("43")),
        "the binary message was taken: {frames:?}"
    );
    calm.inbox
        .wait_for("player_disconnected", |v| {
            v["user_id"] == mallory.id.to_string()
        })
        .await;
    calm.ok("join_room", json!({"room_code": code})).await;
}
