//! Room-code guessing (issue 10, item 11): every lookup by code by someone who was never in
//! the room spends the join budget, through every door (REST reads and actions, the preview,
//! socket actions); a visitor without a session spends their address's preview budget;
//! members spend nothing in their own room; and a non-host cannot use up the question
//! prepared for the room's next round.

use crate::common::{
    Player, TestApp, eventually, fresh_prefix, socket::Sock, spawn_app_with, test_config,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use tf_rust_socketio::TransportType;

const JOINS_PER_MINUTE: u32 = 3;
const PREVIEWS_PER_MINUTE: u32 = 4;

async fn app(pool: PgPool) -> TestApp {
    let mut config = test_config(&fresh_prefix());
    config.limits.joins_per_minute = JOINS_PER_MINUTE;
    config.limits.previews_per_minute = PREVIEWS_PER_MINUTE;
    spawn_app_with(pool, config).await
}

/// One way of naming a room by code; returns the error code the server answered with (empty
/// for a success: any signed-in user may read a room).
async fn lookup(app: &TestApp, who: &Player, door: &str, code: &str) -> String {
    let rest = |method: &'static str, path: String, body: Option<Value>| async move {
        let (_, body) = app.call(method, &path, who, body).await;
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let socket = |event: &'static str, payload: Value| async move {
        let sock = Sock::connect(&app.base, &who.token, TransportType::Websocket).await;
        let ack = sock.request(event, payload).await;
        sock.close().await;
        assert_eq!(ack["ok"], false, "{door}: {ack}");
        ack["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    match door {
        "get" => rest("GET", format!("/api/rooms/{code}"), None).await,
        "preview" => rest("GET", format!("/api/rooms/{code}/preview"), None).await,
        "leaderboard" => rest("GET", format!("/api/game/{code}/leaderboard"), None).await,
        "start" => rest("POST", format!("/api/game/{code}/start"), None).await,
        "next" => rest("POST", format!("/api/game/{code}/next"), None).await,
        "leave" => rest("DELETE", format!("/api/rooms/{code}/leave"), None).await,
        "kick" => {
            let body = json!({ "user_id": who.id });
            rest("POST", format!("/api/rooms/{code}/kick"), Some(body)).await
        }
        "socket_start" => socket("start_game", json!({ "room_code": code })).await,
        "socket_leave" => socket("leave_room", json!({ "room_code": code })).await,
        "socket_answer" => {
            let round = uuid::Uuid::new_v4();
            let payload = json!({ "room_code": code, "round_id": round, "answer": "hi" });
            socket("submit_answer", payload).await
        }
        other => panic!("unknown door {other}"),
    }
}

#[sqlx::test]
async fn every_lookup_by_code_spends_the_join_budget(pool: PgPool) {
    let app = app(pool).await;
    let host = app.register("Host").await;
    let code = app.create_room(&host, json!({})).await;
    // Each stranger goes through three doors (the budget), alternating the real code and one
    // no room has; had any of the three not spent, the fourth lookup would still be answered.
    let doors = [
        ["get", "leaderboard", "start"],
        ["next", "leave", "kick"],
        ["socket_start", "socket_leave", "socket_answer"],
        ["preview", "get", "preview"],
    ];
    for (n, three) in doors.iter().enumerate() {
        let stranger = app.register("Guesser").await;
        for (i, door) in three.iter().enumerate() {
            let target = if (n + i) % 2 == 0 {
                code.as_str()
            } else {
                "ZZZZZZ"
            };
            let answered = lookup(&app, &stranger, door, target).await;
            assert_ne!(answered, "rate_limited", "{door}: limited too early");
        }
        for door in three {
            assert_eq!(
                lookup(&app, &stranger, door, &code).await,
                "rate_limited",
                "{door}: a lookup past the budget"
            );
        }
        if n == 0 {
            // The budget is the join's: a guesser who spent it on lookups cannot join either.
            let (status, body) = app.join(&stranger, &code).await;
            crate::common::assert_error(
                status,
                &body,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
            );
        }
    }
}

#[sqlx::test]
async fn members_spend_nothing_looking_at_their_own_room(pool: PgPool) {
    let app = app(pool).await;
    let host = app.register("Host").await;
    let code = app.create_room(&host, json!({})).await;
    for _ in 0..(JOINS_PER_MINUTE * 2) {
        assert_eq!(lookup(&app, &host, "get", &code).await, "");
        assert_eq!(lookup(&app, &host, "preview", &code).await, "");
        assert_eq!(lookup(&app, &host, "leaderboard", &code).await, "");
        assert_eq!(
            lookup(&app, &host, "start", &code).await,
            "not_enough_players"
        );
    }
}

/// Without a session a preview has no user to count, so the visitor's address pays instead:
/// the share link's page is no cheaper a way to try codes than joining. People who are signed
/// in are counted by who they are, whoever shares their address.
#[sqlx::test]
async fn a_visitor_without_a_session_spends_the_addresss_preview_budget(pool: PgPool) {
    let app = app(pool).await;
    let host = app.register("Host").await;
    let code = app.create_room(&host, json!({})).await;
    let anonymous = |target: String| {
        let url = app.url(&format!("/api/rooms/{target}/preview"));
        async move {
            let res = reqwest::Client::new()
                .get(url)
                .send()
                .await
                .expect("preview");
            let retry_after = res.headers().get(reqwest::header::RETRY_AFTER).is_some();
            let status = res.status();
            let body: Value = res.json().await.expect("json");
            (status, body, retry_after)
        }
    };
    for n in 0..PREVIEWS_PER_MINUTE {
        let target = if n % 2 == 0 {
            code.clone()
        } else {
            "ZZZZZZ".into()
        };
        let (status, body, _) = anonymous(target).await;
        assert_ne!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "limited too early: {body}"
        );
    }
    for target in [code.clone(), "ZZZZZZ".into()] {
        let (status, body, retry_after) = anonymous(target).await;
        crate::common::assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
        assert!(retry_after, "a 429 says when to come back");
    }
    assert_eq!(lookup(&app, &host, "preview", &code).await, "");
    let stranger = app.register("Guesser").await;
    assert_eq!(lookup(&app, &stranger, "preview", &code).await, "");
}

#[sqlx::test]
async fn a_non_host_cannot_use_up_the_prepared_question(pool: PgPool) {
    let app = app(pool).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app.create_room(&host, json!({})).await;
    assert_eq!(app.join(&ann, &code).await.0, StatusCode::OK);
    let redis = crate::common::redis_of(&app).await;
    let key = crate::common::room_key(&app.prefix, "nextq", &code);
    let prepared = eventually("the prepared question to be stored", || {
        let (mut redis, key) = (redis.clone(), key.clone());
        async move {
            redis::AsyncCommands::get::<_, Option<String>>(&mut redis, key)
                .await
                .expect("redis")
        }
    })
    .await;
    let (status, body) = app.start_game(&ann, &code).await;
    crate::common::assert_error(status, &body, StatusCode::FORBIDDEN, "not_host");
    let (status, body) = app.start_game(&host, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["round"]["question"], prepared.as_str(), "{body}");
}
