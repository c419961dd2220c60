//! Limits count what they mean to: per-IP limits count real clients (behind a trusted reverse
//! proxy each client by its forwarded address, never by a header anyone could write, and IPv6
//! clients per /64), and the per-account login limit holds for the whole cluster, not per node.

mod common;

use common::{TestApp, spawn_app_with, test_config};
use reqwest::{Client, StatusCode, header};
use serde_json::json;
use sqlx::PgPool;

fn prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4().simple())
}

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
    let mut config = test_config(&prefix());
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
    let mut config = test_config(&prefix());
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
    let mut config = test_config(&prefix());
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
