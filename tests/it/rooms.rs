//! The rooms rows of the contract over real HTTP: create, join, read, kick, leave.

use crate::common::{assert_error, assert_invalid_field, spawn_app};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

const CODE_ALPHABET: &str = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

#[sqlx::test]
async fn a_new_room_has_its_creator_as_host_and_default_settings(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Host").await;
    let (s, body) = app.call("POST", "/api/rooms", &host, None).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let room = &body["room"];
    let code = room["code"].as_str().expect("code");
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| CODE_ALPHABET.contains(c)), "{code}");
    assert_eq!(room["host_id"], host.id.to_string());
    assert_eq!(room["status"], "lobby");
    assert_eq!(
        room["settings"],
        json!({
            "max_rounds": 3, "answer_seconds": 60, "vote_seconds": 45, "max_players": 8,
            "theme": null, "profanity_filter": "off", "audience_open": false, "audience_bonus": 0,
            // Contract v3: votes are shown live unless a room asks to hide them.
            "hide_votes": false, "host_plays": true
        })
    );
    assert_eq!(room["participants"].as_array().map(Vec::len), Some(1));
    assert_eq!(room["participants"][0]["is_host"], true);
    assert_eq!(room["participants"][0]["display_name"], "Host");
    assert_eq!(room["participants"][0]["connected"], false);
    assert!(room["current_round"].is_null());
}

#[sqlx::test]
async fn settings_outside_their_ranges_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Host").await;
    for (settings, field) in [
        (json!({"max_rounds": 0}), "max_rounds"),
        (json!({"max_rounds": 21}), "max_rounds"),
        (json!({"answer_seconds": 2}), "answer_seconds"),
        (json!({"vote_seconds": 601}), "vote_seconds"),
        (json!({"max_players": 1}), "max_players"),
        (json!({"max_players": 101}), "max_players"),
    ] {
        let (s, body) = app.post_room(&host, json!({"settings": settings})).await;
        assert_invalid_field(s, &body, field);
    }
    let (s, body) = app
        .post_room(&host, json!({"settings": {"max_rounds": "three"}}))
        .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "malformed_request");
    let (s, body) = app
        .post_room(
            &host,
            json!({"settings": {"max_rounds": 5, "theme": " space "}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(body["room"]["settings"]["max_rounds"], 5);
    assert_eq!(body["room"]["settings"]["theme"], "space");
}

#[sqlx::test]
async fn players_join_by_code_in_any_case_and_joining_twice_is_fine(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app.create_room(&host, json!({})).await;
    let (s, body) = app.join(&ann, &code.to_lowercase()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["room"]["code"], code);
    assert_eq!(
        body["room"]["participants"].as_array().map(Vec::len),
        Some(2)
    );
    let (s, body) = app.join(&ann, &format!("  {code} ")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        body["room"]["participants"].as_array().map(Vec::len),
        Some(2)
    );
    let (s, body) = app.get_room(&ann, &code.to_lowercase()).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = body["room"]["participants"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["display_name"].as_str())
        .collect();
    assert_eq!(names, ["Host", "Ann"]);
}

#[sqlx::test]
async fn an_unknown_code_is_not_found(pool: PgPool) {
    let app = spawn_app(pool).await;
    let ann = app.register("Ann").await;
    for code in ["ZZZZZZ", "short", "0OIL1X", ""] {
        let (s, body) = app.join(&ann, code).await;
        assert_error(s, &body, StatusCode::NOT_FOUND, "room_not_found");
    }
    let (s, body) = app.call("GET", "/api/rooms/ZZZZZZ", &ann, None).await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "room_not_found");
}

#[sqlx::test]
async fn a_full_room_refuses_newcomers_but_not_its_members(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let code = app.create_room(&host, json!({"max_players": 2})).await;
    assert_eq!(app.join(&ann, &code).await.0, StatusCode::OK);
    let (s, body) = app.join(&bob, &code).await;
    assert_error(s, &body, StatusCode::CONFLICT, "room_full");
    assert_eq!(app.join(&ann, &code).await.0, StatusCode::OK);
}

#[sqlx::test]
async fn a_game_in_progress_refuses_newcomers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let code = app.create_room(&host, json!({})).await;
    assert_eq!(app.join(&ann, &code).await.0, StatusCode::OK);
    let (s, body) = app.start_game(&host, &code).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app.join(&bob, &code).await;
    assert_error(s, &body, StatusCode::CONFLICT, "game_in_progress");
    assert_eq!(
        app.join(&ann, &code).await.0,
        StatusCode::OK,
        "a member may join again"
    );
}

#[sqlx::test]
async fn a_leaving_host_hands_over_to_the_longest_standing_participant(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let code = app.create_room(&host, json!({})).await;
    app.join(&ann, &code).await;
    app.join(&bob, &code).await;
    let (s, _) = app.leave_room(&host, &code).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, body) = app.get_room(&bob, &code).await;
    assert_eq!(body["room"]["host_id"], ann.id.to_string());
    assert_eq!(
        body["room"]["participants"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(body["room"]["participants"][0]["is_host"], true);
    // The durable record follows.
    let host_id: uuid::Uuid = sqlx::query_scalar("SELECT host_id FROM rooms WHERE code = $1")
        .bind(&code)
        .fetch_one(&pool)
        .await
        .expect("row");
    assert_eq!(host_id, ann.id);
    // Leaving a room one is not in is refused.
    let (s, body) = app.leave_room(&host, &code).await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "not_participant");
}

#[sqlx::test]
async fn the_last_one_out_closes_the_room(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app.create_room(&host, json!({})).await;
    app.join(&ann, &code).await;
    app.leave_room(&host, &code).await;
    app.leave_room(&ann, &code).await;
    let (s, body) = app.get_room(&ann, &code).await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "room_not_found");
    let (s, body) = app.join(&host, &code).await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "room_not_found");
    let closed: bool =
        sqlx::query_scalar("SELECT closed_at IS NOT NULL FROM rooms WHERE code = $1")
            .bind(&code)
            .fetch_one(&pool)
            .await
            .expect("row");
    assert!(closed);
}

#[sqlx::test]
async fn the_host_can_kick_and_the_kicked_cannot_come_back(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let code = app.create_room(&host, json!({})).await;
    app.join(&ann, &code).await;
    app.join(&bob, &code).await;
    let kick = format!("/api/rooms/{code}/kick");
    let (s, body) = app
        .call("POST", &kick, &ann, Some(json!({"user_id": bob.id})))
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "not_host");
    let (s, _) = app
        .call("POST", &kick, &host, Some(json!({"user_id": bob.id})))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body) = app.join(&bob, &code).await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "kicked");
    let (_, body) = app.get_room(&ann, &code).await;
    assert_eq!(
        body["room"]["participants"].as_array().map(Vec::len),
        Some(2)
    );
    let (s, body) = app
        .call("POST", &kick, &host, Some(json!({"user_id": "not-a-uuid"})))
        .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "malformed_request");
}

#[sqlx::test]
async fn room_routes_need_a_signed_in_user(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = reqwest::Client::new()
        .post(app.url("/api/rooms"))
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    let s = res.status();
    let body = res.json().await.expect("json");
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[sqlx::test]
async fn a_theme_holding_a_nul_is_refused_naming_the_field(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Host").await;
    let (s, body) = app
        .post_room(&host, json!({"settings": {"theme": "sea\u{0}"}}))
        .await;
    assert_invalid_field(s, &body, "theme");
}

/// `GET /api/rooms/{code}/preview` with no session (or, with `token`, as that caller).
async fn preview(
    app: &crate::common::TestApp,
    code: &str,
    token: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let mut req = reqwest::Client::new().get(app.url(&format!("/api/rooms/{code}/preview")));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("preview");
    let status = res.status();
    (status, res.json().await.expect("json"))
}

/// What a share link shows before anyone signs in: whose room it is, how full, and whether a
/// newcomer could play or only watch; an unknown code says so in the contract's shape.
#[sqlx::test]
async fn a_visitor_without_a_session_sees_whose_room_it_is_and_whether_they_can_join(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Hana").await;
    let ann = app.register("Ann").await;
    let code = app.create_room(&host, json!({"max_players": 2})).await;

    let (s, body) = preview(&app, &code.to_lowercase(), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"code": code, "host_name": "Hana", "status": "lobby", "players": 1,
               "max_players": 2, "join_refused": null, "audience_open": false})
    );
    // A stale or made-up token reads as no session at all, not as a 401.
    let (s, body) = preview(&app, &code, Some("not-a-token")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["join_refused"], serde_json::Value::Null, "{body}");

    assert_eq!(app.join(&ann, &code).await.0, StatusCode::OK);
    let (_, body) = preview(&app, &code, None).await;
    assert_eq!(body["players"], 2, "{body}");
    assert_eq!(body["join_refused"], "room_full", "{body}");
    assert_eq!(body["audience_open"], true, "no seat left: they may watch");

    let (s, body) = preview(&app, "ZZZZZZ", None).await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "room_not_found");

    // Documented, as open to visitors (an empty security requirement).
    let spec: serde_json::Value = reqwest::get(app.url("/openapi.json"))
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    let route = &spec["paths"]["/api/rooms/{code}/preview"]["get"];
    assert!(
        route["security"]
            .as_array()
            .is_some_and(|s| s.contains(&json!({}))),
        "{route}"
    );
    assert!(spec["components"]["schemas"]["RoomPreview"].is_object());
}

/// A signed-in caller's preview answers for them: a player who stepped out of a game under
/// way may come back, a newcomer may only watch it, a removed player may do neither.
#[sqlx::test]
async fn a_signed_in_callers_preview_says_what_they_could_do_there(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Hana").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let cy = app.register("Cy").await;
    let code = app.create_room(&host, json!({})).await;
    for p in [&ann, &bob] {
        assert_eq!(app.join(p, &code).await.0, StatusCode::OK);
    }
    let (s, _) = app
        .call(
            "POST",
            &format!("/api/rooms/{code}/kick"),
            &host,
            Some(json!({"user_id": bob.id})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body) = app.start_game(&host, &code).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = app.leave_room(&ann, &code).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let (s, body) = preview(&app, &code, Some(&ann.token)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "playing", "{body}");
    assert_eq!(
        body["join_refused"],
        serde_json::Value::Null,
        "Ann may come back"
    );
    let (_, body) = preview(&app, &code, Some(&cy.token)).await;
    assert_eq!(body["join_refused"], "game_in_progress", "{body}");
    assert_eq!(body["audience_open"], true, "{body}");
    let (_, body) = preview(&app, &code, Some(&bob.token)).await;
    assert_eq!(body["join_refused"], "kicked", "{body}");
    assert_eq!(body["audience_open"], false, "{body}");
}
