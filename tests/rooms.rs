//! The rooms rows of the contract over real HTTP: create, join, read, kick, leave.

mod common;

use common::{assert_error, assert_invalid_field, spawn_app};
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
            "hide_votes": false
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
        let (s, body) = app
            .call(
                "POST",
                "/api/rooms",
                &host,
                Some(json!({"settings": settings})),
            )
            .await;
        assert_invalid_field(s, &body, field);
    }
    let (s, body) = app
        .call(
            "POST",
            "/api/rooms",
            &host,
            Some(json!({"settings": {"max_rounds": "three"}})),
        )
        .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "malformed_request");
    let (s, body) = app
        .call(
            "POST",
            "/api/rooms",
            &host,
            Some(json!({"settings": {"max_rounds": 5, "theme": " space "}})),
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
    let (s, body) = app
        .call(
            "GET",
            &format!("/api/rooms/{}", code.to_lowercase()),
            &ann,
            None,
        )
        .await;
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
    let (s, body) = app
        .call("POST", &format!("/api/game/{code}/start"), &host, None)
        .await;
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
    let (s, _) = app
        .call("DELETE", &format!("/api/rooms/{code}/leave"), &host, None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, body) = app
        .call("GET", &format!("/api/rooms/{code}"), &bob, None)
        .await;
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
    let (s, body) = app
        .call("DELETE", &format!("/api/rooms/{code}/leave"), &host, None)
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "not_participant");
}

#[sqlx::test]
async fn the_last_one_out_closes_the_room(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app.create_room(&host, json!({})).await;
    app.join(&ann, &code).await;
    app.call("DELETE", &format!("/api/rooms/{code}/leave"), &host, None)
        .await;
    app.call("DELETE", &format!("/api/rooms/{code}/leave"), &ann, None)
        .await;
    let (s, body) = app
        .call("GET", &format!("/api/rooms/{code}"), &ann, None)
        .await;
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
    let (_, body) = app
        .call("GET", &format!("/api/rooms/{code}"), &ann, None)
        .await;
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
        .call(
            "POST",
            "/api/rooms",
            &host,
            Some(json!({"settings": {"theme": "sea\u{0}"}})),
        )
        .await;
    assert_invalid_field(s, &body, "theme");
}
