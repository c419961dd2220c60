//! The auth rows of the contract, over real HTTP against the real server, Postgres and Redis.

use crate::common::{JWT_SECRET, assert_error, assert_invalid_field, browser, spawn_app};
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::{Duration, Instant};
use uuid::Uuid;
use voting_game::auth::token::{Claims, TokenKeys};

async fn post_json(url: &str, body: Value) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let res = Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = res.status();
    let headers = res.headers().clone();
    (status, res.json().await.unwrap_or(Value::Null), headers)
}

#[sqlx::test]
async fn registering_returns_the_user_and_sets_an_httponly_cookie(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, body, headers) = post_json(
        &app.url("/api/auth/register"),
        json!({"email": "Ann@Example.com", "password": "password123", "display_name": "  Ann  "}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["user"]["display_name"], "Ann");
    assert_eq!(body["user"]["email"], "Ann@Example.com");
    assert!(
        body["user"]["id"]
            .as_str()
            .is_some_and(|s| s.parse::<Uuid>().is_ok())
    );
    assert!(body["user"]["created_at"].is_string());
    assert!(body["user"].get("password_hash").is_none());
    let cookie = headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("cookie");
    assert!(cookie.starts_with("access_token="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    assert!(!cookie.contains("Secure"), "not secure unless configured");
}

#[sqlx::test]
async fn a_duplicate_email_is_refused_whatever_its_case(pool: PgPool) {
    let app = spawn_app(pool).await;
    let url = app.url("/api/auth/register");
    let (s, _, _) = post_json(
        &url,
        json!({"email": "bob@example.com", "password": "password123", "display_name": "Bob"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, body, _) = post_json(
        &url,
        json!({"email": "BOB@example.COM", "password": "password456", "display_name": "Bob2"}),
    )
    .await;
    assert_error(s, &body, StatusCode::CONFLICT, "email_taken");
}

#[sqlx::test]
async fn bad_emails_short_passwords_and_bad_names_fail_validation(pool: PgPool) {
    let app = spawn_app(pool).await;
    let url = app.url("/api/auth/register");
    let cases = [
        (
            json!({"email": "not-an-email", "password": "password123", "display_name": "A"}),
            "email",
        ),
        (
            json!({"email": "a@example.com", "password": "short", "display_name": "A"}),
            "password",
        ),
        (
            json!({"email": "a@example.com", "password": "password123", "display_name": "   "}),
            "display_name",
        ),
        (
            json!({"email": "a@example.com", "password": "password123", "display_name": "x".repeat(33)}),
            "display_name",
        ),
    ];
    for (body, field) in cases {
        let (s, res, _) = post_json(&url, body).await;
        assert_invalid_field(s, &res, field);
    }
}

#[sqlx::test]
async fn login_returns_the_token_in_the_body_and_the_cookie(pool: PgPool) {
    let app = spawn_app(pool).await;
    let p = app.register("Cat").await;
    let (s, body, headers) = post_json(
        &app.url("/api/auth/login"),
        json!({"email": p.email.to_uppercase(), "password": "password123"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert_eq!(body["user"]["id"], p.id.to_string());
    let token = body["access_token"].as_str().expect("token");
    let cookie = headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("cookie");
    assert!(cookie.starts_with(&format!("access_token={token};")));
}

#[sqlx::test]
async fn a_wrong_password_and_an_unknown_email_look_the_same(pool: PgPool) {
    let app = spawn_app(pool).await;
    let p = app.register("Dan").await;
    let url = app.url("/api/auth/login");
    let t = Instant::now();
    let (s1, wrong, _) = post_json(
        &url,
        json!({"email": p.email, "password": "wrong-password"}),
    )
    .await;
    let wrong_time = t.elapsed();
    let t = Instant::now();
    let (s2, unknown, _) = post_json(
        &url,
        json!({"email": "nobody@example.com", "password": "wrong-password"}),
    )
    .await;
    let unknown_time = t.elapsed();
    assert_error(s1, &wrong, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!((s1, &wrong), (s2, &unknown));
    // Both run argon2: an unknown email is not answered instantly.
    assert!(
        unknown_time * 4 > wrong_time,
        "unknown {unknown_time:?} vs wrong {wrong_time:?}"
    );
}

#[sqlx::test]
async fn me_works_with_the_cookie_or_a_bearer_token_and_not_without(pool: PgPool) {
    let app = spawn_app(pool).await;
    let b = browser();
    let res = b
        .post(app.url("/api/auth/register"))
        .json(
            &json!({"email": "eve@example.com", "password": "password123", "display_name": "Eve"}),
        )
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), StatusCode::CREATED);
    let me: Value = b
        .get(app.url("/api/auth/me"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["user"]["display_name"], "Eve");

    let p = app.login("eve@example.com", "Eve").await;
    let (s, body) = app.me(&p).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["user"]["email"], "eve@example.com");

    let res = Client::new()
        .get(app.url("/api/auth/me"))
        .send()
        .await
        .expect("me");
    let s = res.status();
    let body: Value = res.json().await.expect("json");
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[sqlx::test]
async fn tampered_and_expired_tokens_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let p = app.register("Fay").await;
    let mut tampered = p.token.clone();
    let last = tampered.pop().expect("char");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let keys = TokenKeys::new(JWT_SECRET, Duration::from_secs(60));
    let now = chrono::Utc::now().timestamp();
    let (expired, _) = keys
        .sign(Claims {
            sub: p.id,
            iat: now - 100,
            exp: now - 5,
            jti: Uuid::new_v4(),
        })
        .expect("sign");
    let (foreign, _) = TokenKeys::new(
        "some-other-secret-some-other-secret",
        Duration::from_secs(60),
    )
    .issue(p.id)
    .expect("issue");
    for token in [tampered, expired, foreign, "garbage".to_string()] {
        let res = Client::new()
            .get(app.url("/api/auth/me"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me");
        let s = res.status();
        let body: Value = res.json().await.expect("json");
        assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    }
}

#[sqlx::test]
async fn logout_revokes_the_token_at_once_and_clears_the_cookie(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let p = app.register("Gus").await;
    let res = Client::new()
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&p.token)
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("cookie");
    assert!(
        cookie.starts_with("access_token=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    let (s, body) = app.me(&p).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthorized");

    // Another node sharing the Redis honours the revocation too.
    let other = crate::common::spawn_app_with(pool, crate::common::test_config(&app.prefix)).await;
    let (s, body) = other.me(&p).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthorized");

    // A fresh login works.
    let again = app.login(&p.email, "Gus").await;
    assert_eq!(app.me(&again).await.0, StatusCode::OK);
}

#[sqlx::test]
async fn malformed_json_wrong_types_and_missing_fields_get_the_error_shape(pool: PgPool) {
    let app = spawn_app(pool).await;
    let url = app.url("/api/auth/register");
    let raw = |body: &'static str| {
        let url = url.clone();
        async move {
            let res = Client::new()
                .post(url)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await
                .expect("send");
            let s = res.status();
            (s, res.json::<Value>().await.expect("always JSON"))
        }
    };
    let (s, b) = raw("{not json").await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "malformed_request");
    let (s, b) = raw("[1,2,3]").await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "malformed_request");
    let (s, b) = raw(r#"{"email": 5, "password": "password123", "display_name": "X"}"#).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "malformed_request");
    let (s, b) = raw(r#"{"email": "x@example.com", "display_name": "X"}"#).await;
    assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(
        b["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("password"))
    );
    let big = format!(r#"{{"email": "{}"}}"#, "x".repeat(100_000));
    let res = Client::new()
        .post(&url)
        .body(big)
        .send()
        .await
        .expect("send");
    let s = res.status();
    let b: Value = res.json().await.expect("json");
    assert_error(s, &b, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[sqlx::test]
async fn operations_endpoints_answer(pool: PgPool) {
    let app = spawn_app(pool).await;
    let health: Value = Client::new()
        .get(app.url("/health"))
        .send()
        .await
        .expect("h")
        .json()
        .await
        .expect("j");
    assert_eq!(health, json!({"status": "ok"}));
    let res = Client::new()
        .get(app.url("/ready"))
        .send()
        .await
        .expect("ready");
    assert_eq!(res.status(), StatusCode::OK);
    let ready: Value = res.json().await.expect("json");
    assert_eq!(ready["postgres"], "up");
    assert_eq!(ready["redis"], "up");
    let spec: Value = Client::new()
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("o")
        .json()
        .await
        .expect("j");
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    for path in [
        "/api/auth/register",
        "/api/rooms/{code}",
        "/api/game/rounds/{id}/vote",
        "/ready",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    let docs = Client::new()
        .get(app.url("/docs/"))
        .send()
        .await
        .expect("docs");
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.expect("text").contains("swagger"));
    let res = Client::new()
        .get(app.url("/api/no/such/route"))
        .send()
        .await
        .expect("404");
    let s = res.status();
    let b: Value = res.json().await.expect("json");
    assert_error(s, &b, StatusCode::NOT_FOUND, "not_found");
}

#[sqlx::test]
async fn cors_allows_configured_origins_with_credentials_only(pool: PgPool) {
    let app = spawn_app(pool).await;
    let preflight = |origin: &'static str| {
        Client::new()
            .request(reqwest::Method::OPTIONS, app.url("/api/auth/login"))
            .header(header::ORIGIN, origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
    };
    let ok = preflight("http://localhost:5173").await.expect("preflight");
    assert_eq!(
        ok.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("http://localhost:5173")
    );
    assert_eq!(
        ok.headers()
            .get("access-control-allow-credentials")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let other = preflight("http://evil.example").await.expect("preflight");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[sqlx::test]
async fn display_names_are_normalised_and_invisible_characters_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let url = app.url("/api/auth/register");
    for name in ["Ann\u{200b}", "\u{202e}nnA", "A\u{0}nn", "An\u{00ad}n"] {
        let body = json!({"email": format!("{}@example.com", Uuid::new_v4().simple()),
                          "password": "password123", "display_name": name});
        let (s, res, _) = post_json(&url, body).await;
        assert_invalid_field(s, &res, "display_name");
    }
    // One name typed two ways is one name: stored composed (NFC).
    let body = json!({"email": format!("{}@example.com", Uuid::new_v4().simple()),
                      "password": "password123", "display_name": "  Zoe\u{0308} "});
    let (s, res, _) = post_json(&url, body).await;
    assert_eq!(s, StatusCode::CREATED, "{res}");
    assert_eq!(res["user"]["display_name"], "Zo\u{00eb}");
}

/// Postgres cannot store a NUL in text: an auth field carrying one (or another control
/// character) is refused before it reaches Postgres, as a wrong credential or a validation
/// failure, never a 500.
#[sqlx::test]
async fn text_postgres_cannot_store_in_an_auth_field_is_a_401_or_422_never_a_500(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.url("/api/auth/login");
    let register = app.url("/api/auth/register");
    for email in [
        "a\u{0}@b.co",
        "\u{0}",
        "ann@exa\u{0}mple.com",
        "a\u{1}@b.co",
    ] {
        let (s, body, _) =
            post_json(&login, json!({"email": email, "password": "password123"})).await;
        assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_credentials");
        let (s, body, _) = post_json(
            &register,
            json!({"email": email, "password": "password123", "display_name": "Nul"}),
        )
        .await;
        assert_error(
            s,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
    }
    let (s, body, _) = post_json(
        &register,
        json!({"email": "nul@example.com", "password": "password123", "display_name": "N\u{0}l"}),
    )
    .await;
    assert_error(
        s,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    // A password is taken as typed, NUL included: it is hashed, never stored as text.
    let (s, body, _) = post_json(
        &register,
        json!({"email": "nulpw@example.com", "password": "pass\u{0}word", "display_name": "Pw"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, _, _) = post_json(
        &login,
        json!({"email": "nulpw@example.com", "password": "pass\u{0}word"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, body, _) = post_json(
        &login,
        json!({"email": "nulpw@example.com", "password": "pass\u{0}wor"}),
    )
    .await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_credentials");
}

/// Login CSRF (and the same for sign-up): a page on another site can post a `text/plain` form
/// without a preflight, so a body that does not say it is JSON is 415 on every JSON route, and
/// signing in from a foreign `Origin` is 403 whatever the body. Clients that are not browsers
/// (no `Origin`) and the server's own or allowed pages sign in as before.
#[sqlx::test]
async fn signing_in_from_a_foreign_page_or_with_a_non_json_body_is_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let p = app.register("Lou").await;
    let creds = json!({"email": p.email, "password": "password123"}).to_string();
    let post = |path: &'static str, kind: &'static str, origin: Option<&'static str>| {
        let (url, body) = (app.url(path), creds.clone());
        async move {
            let mut req = Client::new()
                .post(url)
                .header(header::CONTENT_TYPE, kind)
                .body(body);
            if let Some(o) = origin {
                req = req.header(header::ORIGIN, o);
            }
            let res = req.send().await.expect("send");
            let cookie = res.headers().contains_key(header::SET_COOKIE);
            let s = res.status();
            (s, res.json::<Value>().await.expect("always JSON"), cookie)
        }
    };
    let login = "/api/auth/login";
    // What the attacker's auto-submitting form sends.
    let (s, b, cookie) = post(login, "text/plain", Some("http://evil.example")).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "csrf_rejected");
    assert!(!cookie, "a session cookie for a foreign page");
    let (s, b, cookie) = post(login, "application/json", Some("http://evil.example")).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "csrf_rejected");
    assert!(!cookie);
    let (s, b, _) = post("/api/auth/register", "application/json", Some("null")).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "csrf_rejected");
    // From an allowed page, a form body is still not JSON.
    let (s, b, cookie) = post(login, "text/plain", Some("http://localhost:5173")).await;
    assert_error(
        s,
        &b,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    assert!(!cookie);
    let (s, b, _) = post(login, "application/x-www-form-urlencoded", None).await;
    assert_error(
        s,
        &b,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    // The same JSON route with a Bearer token and a text body: 415 too.
    let res = Client::new()
        .post(app.url("/api/polls"))
        .bearer_auth(&p.token)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(json!({"question": "q?", "options": ["a", "b"]}).to_string())
        .send()
        .await
        .expect("send");
    let s = res.status();
    let b: Value = res.json().await.expect("json");
    assert_error(
        s,
        &b,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    // Allowed pages and clients without an Origin sign in.
    for origin in [Some("http://localhost:5173"), None] {
        let (s, b, cookie) = post(login, "application/json; charset=utf-8", origin).await;
        assert_eq!(s, StatusCode::OK, "{origin:?}: {b}");
        assert!(cookie);
    }
}
