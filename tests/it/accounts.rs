//! Changing one's own account (`PATCH /api/auth/me`) over real HTTP and Socket.IO: the display
//! name under the registration rule, and a password change that needs the current password,
//! signs out every other session of the account (REST and live sockets, on every node) and
//! keeps the caller signed in.

use crate::common::{
    TestApp, assert_error, assert_invalid_field, spawn_app, spawn_app_with, test_config,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::wire::Wire;

const ORIGIN: &str = "http://localhost:5173";

async fn patch_me(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let res = Client::new()
        .patch(app.url("/api/auth/me"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("patch me");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn login(app: &TestApp, email: &str, password: &str) -> StatusCode {
    Client::new()
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login")
        .status()
}

#[sqlx::test]
async fn a_wrong_or_missing_current_password_is_refused_and_the_old_password_still_works(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let ann = app.register("Ann").await;
    for body in [
        json!({"password": "brand-new-password", "current_password": "not-my-password"}),
        json!({"password": "brand-new-password"}),
        json!({"password": "brand-new-password", "current_password": ""}),
    ] {
        let (s, b) = patch_me(&app, &ann.token, body).await;
        assert_error(s, &b, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    // Nothing changed: the caller is still signed in and the old password still logs in.
    assert_eq!(app.me_status(&ann.token).await, StatusCode::OK);
    assert_eq!(login(&app, &ann.email, "password123").await, StatusCode::OK);
    assert_eq!(
        login(&app, &ann.email, "brand-new-password").await,
        StatusCode::UNAUTHORIZED
    );
    // A new password that breaks the registration rule is 422, even with the right current one.
    let (s, b) = patch_me(
        &app,
        &ann.token,
        json!({"password": "short", "current_password": "password123"}),
    )
    .await;
    assert_invalid_field(s, &b, "password");
    // Without a token at all it is plain 401.
    let res = Client::new()
        .patch(app.url("/api/auth/me"))
        .json(&json!({"display_name": "Nobody"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test]
async fn a_password_change_ends_every_other_session_on_every_node_and_keeps_the_caller(
    pool: PgPool,
) {
    let a = spawn_app(pool.clone()).await;
    let b = spawn_app_with(pool, test_config(&a.prefix)).await;
    let ann = a.register("Ann").await;
    let elsewhere = b.login(&ann.email, "Ann").await;
    let bob = a.register("Bob").await;
    // The caller is a browser signed in with the cookie.
    let browser = crate::common::browser();
    let res = browser
        .post(a.url("/api/auth/login"))
        .json(&json!({"email": ann.email, "password": "password123"}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK);
    let callers_token = res.json::<Value>().await.expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    // Live sockets of the other sessions on both nodes, the caller's own, and Bob's.
    let mut other_on_a = Wire::connect(&a.base, &ann.token).await;
    let mut other_on_b = Wire::connect(&b.base, &elsewhere.token).await;
    let mut callers_socket = Wire::connect(&b.base, &callers_token).await;
    let mut bobs_socket = Wire::connect(&a.base, &bob.token).await;

    let res = browser
        .patch(a.url("/api/auth/me"))
        .header("Origin", ORIGIN)
        .json(&json!({"password": "brand-new-password", "current_password": "password123"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["user"]["id"], ann.id.to_string(), "{body}");
    assert_eq!(body["user"]["email"], ann.email, "{body}");

    // Every other session's sockets are told and disconnected, on both nodes.
    assert_eq!(other_on_a.session_ended().await, "revoked");
    assert_eq!(other_on_b.session_ended().await, "revoked");
    // Their tokens are refused on REST on both nodes, and for a new socket.
    for token in [&ann.token, &elsewhere.token] {
        assert_eq!(a.me_status(token).await, StatusCode::UNAUTHORIZED);
        assert_eq!(b.me_status(token).await, StatusCode::UNAUTHORIZED);
        let refused = crate::common::socket::Sock::handshake(
            &b.base,
            crate::common::socket::Handshake {
                token: Some(token),
                ..Default::default()
            },
        )
        .await;
        assert!(refused.is_err(), "a revoked token opened a socket");
    }
    // The caller carries on: the cookie still works on both nodes, and so does their socket.
    let res = browser.get(a.url("/api/auth/me")).send().await.expect("me");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(b.me_status(&callers_token).await, StatusCode::OK);
    let ack = callers_socket.request(7, "subscribe_feed", json!({})).await;
    assert!(ack.contains(r#""ok":true"#), "{ack}");
    // Bob is not touched.
    let ack = bobs_socket.request(8, "subscribe_feed", json!({})).await;
    assert!(ack.contains(r#""ok":true"#), "{ack}");
    assert_eq!(a.me_status(&bob.token).await, StatusCode::OK);

    // The new password logs in; the old one does not.
    assert_eq!(
        login(&b, &ann.email, "brand-new-password").await,
        StatusCode::OK
    );
    assert_eq!(
        login(&b, &ann.email, "password123").await,
        StatusCode::UNAUTHORIZED
    );
    // The change is in the account's audit trail, once.
    let res = browser
        .get(a.url("/api/me/audit"))
        .send()
        .await
        .expect("audit");
    let audit: Value = res.json().await.expect("json");
    let changes = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "password_changed")
        .count();
    assert_eq!(changes, 1, "{audit}");
}

#[sqlx::test]
async fn a_display_name_is_changed_under_the_registration_rule(pool: PgPool) {
    let app = spawn_app(pool).await;
    let ann = app.register("Ann").await;
    for bad in [
        "Ann\u{0}",
        "\u{7}Bell",
        "A\u{200b}nn",
        "   ",
        &"x".repeat(33),
    ] {
        let (s, b) = patch_me(&app, &ann.token, json!({"display_name": bad})).await;
        assert_invalid_field(s, &b, "display_name");
    }
    let (s, b) = patch_me(&app, &ann.token, json!({"display_name": "  Zoë  "})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["user"]["display_name"], "Zoë");
    let res = Client::new()
        .get(app.url("/api/auth/me"))
        .bearer_auth(&ann.token)
        .send()
        .await
        .expect("me");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["user"]["display_name"], "Zoë");
    // The public profile shows it too; a name change alone signs nobody out.
    let (s, b) = app
        .call("GET", &format!("/api/users/{}", ann.id), &ann, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["user"]["display_name"], "Zoë");
    assert_eq!(login(&app, &ann.email, "password123").await, StatusCode::OK);
    // A wrongly typed field is a malformed request, not a 500.
    let (s, b) = patch_me(&app, &ann.token, json!({"display_name": 42})).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "malformed_request");
}

/// A login with the old password that is already past its password check when a change
/// commits opens no session: it waits for the change's lock on the account, then finds a
/// different password and is refused (before, it opened a session the change never revoked).
#[sqlx::test]
async fn a_login_racing_a_password_change_opens_no_session(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let ann = app.register("Ann").await;
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sessions WHERE user_id = $1")
            .bind(ann.id)
            .fetch_one(&app.pool)
            .await
            .expect("count")
    };
    let before = sessions().await;
    // The change, held open: its new hash written, its lock on the row held.
    let mut change = pool.begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(ann.id)
        .execute(&mut *change)
        .await
        .expect("lock");
    sqlx::query("UPDATE users SET password_hash = 'changed' WHERE id = $1")
        .bind(ann.id)
        .execute(&mut *change)
        .await
        .expect("update");
    // The login reads the committed (old) hash, verifies it, and then waits on the row.
    let racing = {
        let (app, email) = (&app, ann.email.clone());
        async move { login(app, &email, "password123").await }
    };
    let waiting = async {
        crate::common::eventually("the login to wait on the account's row", || {
            let pool = pool.clone();
            async move {
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock' \
                     AND query LIKE '%INSERT INTO sessions%'",
                )
                .fetch_one(&pool)
                .await
                .ok()?;
                (waiting > 0).then_some(())
            }
        })
        .await;
        change.commit().await.expect("commit the change");
    };
    let (status, ()) = tokio::join!(racing, waiting);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(sessions().await, before, "no new session");
}
