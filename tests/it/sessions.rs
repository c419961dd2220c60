//! Sessions end everywhere: logging out, revoking every session of an account (what a password
//! change does) and a token's expiry end the Socket.IO connections opened with that token, on
//! every node, within a second (`session_ended`, then a disconnect). Revocations are durable:
//! they survive a Redis restart.

use crate::common::{
    JWT_SECRET, Player, TestApp, eventually, fresh_prefix,
    redis_server::PrivateRedis,
    socket::{Handshake, Sock},
    spawn_app, spawn_app_with, test_config,
    wire::Wire,
};
use reqwest::{Client, StatusCode};
use serde_json::json;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tf_rust_socketio::TransportType;
use voting_game::auth::token::TokenKeys;

async fn connect(app: &TestApp, token: &str) -> Sock {
    Sock::connect(&app.base, token, TransportType::Websocket).await
}

async fn joins(w: &mut Wire, code: &str) {
    let ack = w.request(1, "join_room", json!({"room_code": code})).await;
    assert!(ack.contains(r#""ok":true"#), "{ack}");
}

async fn refused(app: &TestApp, token: &str) -> bool {
    Sock::handshake(
        &app.base,
        Handshake {
            token: Some(token),
            ..Handshake::default()
        },
    )
    .await
    .is_err()
}

#[sqlx::test]
async fn logout_ends_that_tokens_sockets_on_every_node_within_a_second(pool: PgPool) {
    let a = spawn_app(pool.clone()).await;
    let b = spawn_app_with(pool, test_config(&a.prefix)).await;
    let host = a.register("Host").await;
    let ann = a.register("Ann").await;
    let ann_elsewhere: Player = a.login(&ann.email, "Ann").await;
    let code = a.create_room(&host, json!({})).await;
    let mut on_a = Wire::connect(&a.base, &ann.token).await;
    let mut on_b = Wire::connect(&b.base, &ann.token).await;
    joins(&mut on_a, &code).await;
    joins(&mut on_b, &code).await;
    let other_session = connect(&b, &ann_elsewhere.token).await;
    other_session
        .ok("join_room", json!({"room_code": code}))
        .await;

    let since = Instant::now();
    let res = Client::new()
        .post(a.url("/api/auth/logout"))
        .bearer_auth(&ann.token)
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for w in [&mut on_a, &mut on_b] {
        let reason = w.session_ended().await;
        let took = since.elapsed();
        assert_eq!(reason, "logged_out");
        assert!(took < Duration::from_secs(1), "took {took:?}");
    }
    // The same account's other session plays on.
    other_session
        .ok("join_room", json!({"room_code": code}))
        .await;
    assert_eq!(other_session.inbox.count("session_ended"), 0);
    assert!(
        refused(&b, &ann.token).await,
        "a signed-out token connected"
    );
    assert_eq!(b.me_status(&ann.token).await, StatusCode::UNAUTHORIZED);
    // Signing out again is harmless (a failed logout can be retried).
    let res = Client::new()
        .post(b.url("/api/auth/logout"))
        .bearer_auth(&ann.token)
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[sqlx::test]
async fn revoking_every_session_of_an_account_ends_them_on_every_node_but_not_later_ones(
    pool: PgPool,
) {
    let a = spawn_app(pool.clone()).await;
    let b = spawn_app_with(pool, test_config(&a.prefix)).await;
    let ann = a.register("Ann").await;
    let ann2 = a.login(&ann.email, "Ann").await;
    let bob = a.register("Bob").await;
    let mut s1 = Wire::connect(&a.base, &ann.token).await;
    let mut s2 = Wire::connect(&b.base, &ann2.token).await;
    let bobs = connect(&b, &bob.token).await;

    let since = Instant::now();
    let revoked = a.auth.revoke_all_sessions(ann.id).await.expect("revoke");
    // Registration's (cookie) session and the two logins.
    assert_eq!(revoked, 3);
    for w in [&mut s1, &mut s2] {
        let reason = w.session_ended().await;
        let took = since.elapsed();
        assert_eq!(reason, "revoked");
        assert!(took < Duration::from_secs(1), "took {took:?}");
    }
    for t in [&ann.token, &ann2.token] {
        assert_eq!(a.me_status(t).await, StatusCode::UNAUTHORIZED);
        assert_eq!(b.me_status(t).await, StatusCode::UNAUTHORIZED);
    }
    // A session begun afterwards (the new password's) is not touched.
    let fresh = b.login(&ann.email, "Ann").await;
    assert_eq!(a.me_status(&fresh.token).await, StatusCode::OK);
    let s3 = connect(&a, &fresh.token).await;
    s3.refused(
        "join_room",
        json!({"room_code": "ZZZZZZ"}),
        "room_not_found",
    )
    .await;
    // Another account is not touched either.
    bobs.refused(
        "join_room",
        json!({"room_code": "ZZZZZZ"}),
        "room_not_found",
    )
    .await;
    assert_eq!(bobs.inbox.count("session_ended"), 0);
}

#[sqlx::test]
async fn a_socket_ends_when_its_token_expires(pool: PgPool) {
    let mut config = test_config(&fresh_prefix());
    config.jwt_ttl = Duration::from_secs(3);
    let app = spawn_app_with(pool, config).await;
    let host = app.register("Host").await;
    let code = app.create_room(&host, json!({})).await;
    let mut w = Wire::connect(&app.base, &host.token).await;
    joins(&mut w, &code).await;
    let exp = TokenKeys::new(JWT_SECRET, Duration::from_secs(3))
        .verify(&host.token)
        .expect("claims")
        .exp;
    let reason = w.session_ended().await;
    let at = chrono::Utc::now().timestamp_millis();
    assert_eq!(reason, "expired");
    // Not before the token expired, and within a second of it.
    assert!(at >= exp * 1000 - 50, "ended {} ms early", exp * 1000 - at);
    assert!(at <= exp * 1000 + 1000, "ended {} ms late", at - exp * 1000);
    assert!(refused(&app, &host.token).await);
}

#[sqlx::test]
async fn a_revoked_token_stays_revoked_after_a_redis_restart(pool: PgPool) {
    let mut redis = PrivateRedis::start().await;
    let mut config = test_config(&fresh_prefix());
    config.redis_url = redis.url();
    let app = spawn_app_with(pool, config).await;
    let ann = app.register("Ann").await;
    let still_signed_in = app.login(&ann.email, "Ann").await;
    let res = Client::new()
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&ann.token)
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&ann.token).await, StatusCode::UNAUTHORIZED);

    // Redis loses everything (it runs without persistence).
    redis.restart(Duration::from_millis(200)).await;
    eventually(
        "a live session to be served after Redis came back",
        || async { (app.me_status(&still_signed_in.token).await == StatusCode::OK).then_some(()) },
    )
    .await;
    assert_eq!(app.me_status(&ann.token).await, StatusCode::UNAUTHORIZED);
    assert!(refused(&app, &ann.token).await, "a revoked token connected");
    connect(&app, &still_signed_in.token).await;
}

/// A token signed with the server's key (the development key is public) that names Vic as its
/// `sub` and Mallory's own live session as its `jti` is refused over REST and Socket.IO, and
/// a forged token naming Vic's session as another user changes nothing for Vic. A session
/// belongs to one user; the session cache used to know only the token id.
#[sqlx::test]
async fn a_token_whose_user_and_session_disagree_is_refused_and_changes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let vic = app.register("Vic").await;
    let mallory = app.register("Mallory").await;
    let keys = TokenKeys::new(JWT_SECRET, Duration::from_secs(3600));
    let claims = |sub, of: &Player| {
        let mut c = keys.verify(&of.token).expect("claims");
        c.sub = sub;
        keys.sign(c).expect("sign").0
    };
    // Mallory's session is in the cache (her own call) before and after the forged one.
    assert_eq!(app.me_status(&mallory.token).await, StatusCode::OK);
    let as_vic = claims(vic.id, &mallory);
    assert_eq!(app.me_status(&as_vic).await, StatusCode::UNAUTHORIZED);
    assert!(
        refused(&app, &as_vic).await,
        "Socket.IO took the forged token"
    );
    // Vic's session, not cached yet, named by a token for Mallory: refused, and Vic keeps it.
    let vic_again = app.login(&vic.email, "Vic").await;
    let as_mallory = claims(mallory.id, &vic_again);
    assert_eq!(app.me_status(&as_mallory).await, StatusCode::UNAUTHORIZED);
    assert!(refused(&app, &as_mallory).await);
    assert_eq!(app.me_status(&vic_again.token).await, StatusCode::OK);
    assert!(!refused(&app, &vic_again.token).await, "Vic was locked out");
    assert_eq!(app.me_status(&mallory.token).await, StatusCode::OK);
}
