//! The web client in a real browser: Debian's Chromium (`/usr/bin/chromium`, never a downloaded
//! one) driven by `playwright-core` from Node (`tests/browser/*.mjs`, pinned in
//! `tests/browser/package.json`). Each test starts the real server, runs one script and checks
//! its report; the scripts assert what each screen shows and fail on any console error or
//! failed request. Screenshots go to `target/screenshots/` (git-ignored).
//!
//! Needs `node`, `npm` and `chromium` (Debian: `apt-get install nodejs npm chromium`;
//! `scripts/test.sh` installs them when missing) and installs the scripts' packages with
//! `npm ci --prefix tests/browser` when `tests/browser/node_modules` is missing.

use crate::common::{
    JWT_SECRET, TestApp, fresh_prefix, spawn_app, spawn_app_with, unlimited_config,
};
use axum::{
    Router,
    http::{HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tokio::net::TcpListener;
use uuid::Uuid;
use voting_game::config::Config;

/// The scripts give up by themselves before this (game.mjs after 120 s, origins.mjs after 90 s).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(150);
const CHROMIUM: &str = "/usr/bin/chromium";

fn root() -> &'static Path {
    crate::common::js::root()
}

/// Runs `tests/browser/<script>` with `config`; returns its report (the last stdout line).
async fn run(script: &str, config: Value) -> Value {
    assert!(
        Path::new(CHROMIUM).exists(),
        "the browser tests drive Debian's Chromium at {CHROMIUM}: install it \
         (`apt-get install chromium`; scripts/test.sh does)"
    );
    crate::common::js::BROWSER
        .run(script, &config, SCRIPT_TIMEOUT)
        .await
}

fn screenshots() -> PathBuf {
    root().join("target/screenshots")
}

/// The test configuration with these origins allowed (besides the server's own).
fn config_allowing(origins: &str) -> Config {
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    let origins = origins.to_string();
    Config::from_lookup(move |k| match k {
        "JWT_SECRET" => Some(JWT_SECRET.to_string()),
        "REDIS_URL" => Some(redis_url.clone()),
        "REDIS_PREFIX" => Some(prefix.clone()),
        "ALLOWED_ORIGINS" => Some(origins.clone()),
        _ => None,
    })
    .expect("test config")
}

/// A tiny static server for `web/dist` on its own origin, its page pointed at `api` through
/// `<meta name="vg-api">`: the same built client, hosted elsewhere.
struct StaticSite {
    origin: String,
}

async fn static_site(listener: TcpListener, api: &str) -> StaticSite {
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let dist = root().join("web/dist");
    let index = std::fs::read_to_string(dist.join("index.html"))
        .expect("web/dist/index.html")
        .replace(
            r#"<meta name="vg-api" content="" />"#,
            &format!(r#"<meta name="vg-api" content="{api}" />"#),
        );
    assert!(index.contains(api), "index.html has the vg-api meta tag");
    let index = Arc::new(index);
    let app = Router::new().fallback(move |uri: Uri| {
        let index = Arc::clone(&index);
        let dist = dist.clone();
        async move { serve_static(&dist, &index, uri.path()) }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    StaticSite { origin }
}

fn serve_static(dist: &Path, index: &str, path: &str) -> Response {
    if let Some(name) = path.strip_prefix("/assets/")
        && !name.contains("..")
        && let Ok(bytes) = std::fs::read(dist.join("assets").join(name))
    {
        let kind = if name.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        return (
            [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
            bytes,
        )
            .into_response();
    }
    if path.starts_with("/assets/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        index.to_string(),
    )
        .into_response()
}

async fn bind() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.expect("bind")
}

#[sqlx::test]
async fn four_browsers_play_a_whole_game_through_the_ui(pool: PgPool) {
    // Besides its five players, the page signs up accounts until one has the host's own avatar
    // colour (a dozen on average): past the per-address sign-up limit.
    let app: TestApp = spawn_app_with(pool, unlimited_config(&fresh_prefix())).await;
    let report = run(
        "game.mjs",
        json!({"base": app.base, "shots": screenshots()}),
    )
    .await;
    let questions = report["questions"].as_array().expect("questions");
    assert_eq!(questions.len(), 2, "{report}");
    assert_ne!(questions[0], questions[1], "{report}");
    // What the UI showed is what the server recorded.
    let code = report["code"].as_str().expect("code");
    let (status, body) = app.leaderboard(&app.register("Reader").await, &code).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let board: Vec<(String, u64, u64)> = body["leaderboard"]
        .as_array()
        .expect("leaderboard")
        .iter()
        .map(|e| {
            (
                e["display_name"].as_str().unwrap_or_default().to_string(),
                e["score"].as_u64().unwrap_or_default(),
                e["rank"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(board[0], ("Pim".to_string(), 2, 1), "{body}");
    let mut rest: Vec<_> = board[1..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        vec![
            ("Hana".to_string(), 1, 2),
            ("Quinn".to_string(), 1, 2),
            ("Rae".to_string(), 1, 2)
        ],
        "{body}"
    );
}

/// A party through the UI (tests/browser/party.mjs, issue 21 items 3 and 5): three guests on
/// phones join from the share link with a nickname and one tap, a visitor watches a game under
/// way as audience, and after the podium the host's "Play again" takes every page to game 2
/// without a reload. What the pages showed is what the server holds.
#[sqlx::test]
async fn guests_join_from_the_share_link_in_one_tap_and_every_page_follows_play_again(
    pool: PgPool,
) {
    let app: TestApp = spawn_app(pool).await;
    let report = run(
        "party.mjs",
        json!({"base": app.base, "shots": screenshots()}),
    )
    .await;
    // How long each guest took from opening the link to the lobby (shown with --nocapture).
    eprintln!("joins: {}", report["joins"]);
    eprintln!(
        "play again reached every page in {} ms",
        report["play_again_ms"]
    );
    let joins = report["joins"].as_array().expect("joins");
    assert_eq!(joins.len(), 3, "{report}");
    let code = report["code"].as_str().expect("code");
    let reader = app.register("Reader").await;
    // The reader is a stranger to the room: the lookup spends their join budget, that is all.
    let (status, body) = app.get_room(&reader, &code).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(body["room"]["game_number"], 2, "{body}");
    assert_eq!(body["room"]["status"], "playing", "{body}");
    assert_eq!(body["room"]["audience_count"], 1, "{body}");
    let mut names: Vec<&str> = body["room"]["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter_map(|p| p["display_name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Hana", "Pim", "Quinn", "Rae"], "{body}");
    // Those who joined by link are guests (no email, no password), but Quinn, who made an
    // account from the settings page: the same user, still in the room, now with an email.
    let guests: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE guest AND display_name IN ('Pim', 'Quinn', 'Rae', 'Vic')",
    )
    .fetch_one(&app.pool)
    .await
    .expect("count guests");
    assert_eq!(guests, 3);
    let quinn: (bool, Option<String>) =
        sqlx::query_as("SELECT guest, email FROM users WHERE display_name = 'Quinn'")
            .fetch_one(&app.pool)
            .await
            .expect("Quinn");
    assert!(
        !quinn.0 && quinn.1.as_deref().is_some_and(|e| e.starts_with("quinn-")),
        "{quinn:?}"
    );
}

/// Polls through the UI (tests/browser/polls.mjs): created by one browser, watched through its
/// share link by a visitor whose bar chart follows the other's votes without a reload; voting,
/// changing, closing, reopening, withdrawing and deleting as the two pages show them.
#[sqlx::test]
async fn a_phone_joins_from_the_screens_qr_code_and_the_screen_follows_a_whole_game(pool: PgPool) {
    let app: TestApp = spawn_app(pool).await;
    let report = run(
        "screen.mjs",
        json!({"base": app.base, "shots": screenshots()}),
    )
    .await;
    let qr = report["qr"].as_str().expect("the decoded QR code");
    assert!(
        qr.starts_with(&format!("{}/r/", app.base)),
        "the QR code holds this server's join link: {report}"
    );
}

#[sqlx::test]
async fn a_poll_is_created_shared_and_followed_live_through_the_ui(pool: PgPool) {
    let app: TestApp = spawn_app(pool).await;
    let report = run(
        "polls.mjs",
        json!({"base": app.base, "shots": screenshots()}),
    )
    .await;
    // The poll the UI deleted is gone on the server too.
    let id = report["poll"].as_str().expect("poll id");
    let (status, body) = app.get_poll(&app.register("Reader").await, &id).await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{body}");
}

/// A poll's presenter view (tests/browser/present.mjs): opened from the poll page's Present at
/// projector sizes, its QR code read off a screenshot is the poll's `/p/CODE` link, a phone
/// votes there and the presenter's bars follow live; it fits 1920×1080 and 1280×720.
#[sqlx::test]
async fn a_polls_presenter_view_shows_its_qr_code_and_follows_votes_live(pool: PgPool) {
    let app: TestApp = spawn_app(pool).await;
    let report = run(
        "present.mjs",
        json!({"base": app.base, "shots": screenshots()}),
    )
    .await;
    let code = report["code"].as_str().expect("the poll's code");
    assert_eq!(
        report["qr"],
        format!("{}/p/{code}", app.base),
        "the QR code holds the poll's short link"
    );
    // The server counted the two votes the pages cast and shows, by that code.
    let (status, body) = app.get_poll(&app.register("Reader").await, &code).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["id"], report["poll"]);
    assert_eq!(body["poll"]["total_votes"], 2, "{body}");
}

/// Finding polls through the UI (tests/browser/polls-browse.mjs): the browse page's tabs, category
/// filter and search as you type, a like that shows at once, live on another page and after a
/// reload, and the profile with the user's polls, vote and like.
#[sqlx::test]
async fn polls_are_browsed_searched_liked_and_profiled_through_the_ui(pool: PgPool) {
    // The page makes 21 filler polls from one account in a second, past the per-account limit.
    let app: TestApp = spawn_app_with(pool, unlimited_config(&fresh_prefix())).await;
    let report = run(
        "polls-browse.mjs",
        json!({"base": app.base, "shots": screenshots()}),
    )
    .await;
    // What the pages showed is what the server holds.
    let reader = app.register("Reader").await;
    let user = report["user"].as_str().expect("user id");
    let (status, body) = app
        .call("GET", &format!("/api/users/{user}"), &reader, None)
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(body["user"]["display_name"], "Ana", "{body}");
    assert_eq!(body["user"]["polls_created"], 2, "{body}");
    assert_eq!(body["user"]["votes_cast"], 1, "{body}");
    assert_eq!(body["user"]["likes_received"], 1, "{body}");
    let pastry = report["polls"][0].as_str().expect("poll id");
    let (status, body) = app.get_poll(&reader, &pastry).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["likes"], 1, "{body}");
    assert_eq!(body["poll"]["voters"], 1, "{body}");
}

/// Ranked polls through the UI (tests/browser/ranked.mjs): made with the form, ranked by
/// keyboard (each move announced) and by drag, the runoff chart live on both pages, and the
/// ranking kept in order after a reload.
#[sqlx::test]
async fn ranking_by_keyboard_and_by_drag_and_the_runoff_chart(pool: PgPool) {
    let app: TestApp = spawn_app(pool).await;
    let report = run(
        "ranked.mjs",
        json!({"base": app.base, "shots": screenshots()}),
    )
    .await;
    assert_eq!(report["winner"], "Fruit wins in round 3.", "{report}");
    // What the pages showed is what the server holds.
    let reader = app.register("Reader").await;
    let poll = report["poll"].as_str().expect("poll id");
    let (status, body) = app
        .call("GET", &format!("/api/polls/{poll}/results"), &reader, None)
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(body["voters"], 2, "{body}");
    assert_eq!(body["runoff"]["rounds"].as_array().map(Vec::len), Some(3));
    let (_, p) = app.get_poll(&reader, poll).await;
    assert_eq!(p["poll"]["kind"], "ranked");
    assert_eq!(
        body["runoff"]["winner"], p["poll"]["options"][1]["id"],
        "{body}"
    );
}

/// Open-answer polls through the UI (tests/browser/text.mjs): made with the form
/// (pre-moderated), answered from a phone without an account, one answer approved in the
/// creator's live queue, and the presenter view at 1920×1080 showing the approved words in its
/// cloud and not the held ones.
#[sqlx::test]
async fn text_answers_moderated_and_the_presenters_word_cloud(pool: PgPool) {
    let app: TestApp = spawn_app(pool).await;
    let report = run(
        "text.mjs",
        json!({"base": app.base, "shots": screenshots()}),
    )
    .await;
    assert_eq!(
        report["cloud"],
        json!(["beaches", "really", "sunny"]),
        "{report}"
    );
    // What the pages showed is what the server holds.
    let code = report["code"].as_str().expect("code");
    let (status, body) = app.get(None, &format!("/api/polls/{code}")).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let poll = &body["poll"];
    assert_eq!(poll["kind"], "text");
    assert_eq!(poll["text"]["moderation"], "pre");
    assert_eq!(poll["text"]["answers_per_voter"], 2);
    assert_eq!(poll["allow_anonymous"], true);
    assert_eq!(
        poll["text"]["results"]["answers"][0]["text"],
        "Sunny beaches, really!"
    );
    assert_eq!(poll["text"]["results"]["answer_count"], 1, "{body}");
    assert_eq!(poll["voters"], 1, "{body}");
}

/// Contract v2's additions through the UI (tests/browser/polls-more.mjs): new polls appearing
/// live on a visitor's list, voting without an account where the poll allows it (and kept across
/// a reload), the creator's stats panel, and the account settings (display name, password).
#[sqlx::test]
async fn live_feed_anonymous_votes_stats_and_settings_through_the_ui(pool: PgPool) {
    let app: TestApp = spawn_app(pool).await;
    let report = run(
        "polls-more.mjs",
        json!({"base": app.base, "shots": screenshots()}),
    )
    .await;
    // What the pages showed is what the server holds.
    let reader = app.register("Reader").await;
    let open = report["polls"][0].as_str().expect("poll id");
    let (status, body) = app.get_poll(&reader, &open).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["allow_anonymous"], true, "{body}");
    assert_eq!(body["poll"]["voters"], 1, "{body}");
    let members = report["polls"][1].as_str().expect("poll id");
    let (status, body) = app.get_poll(&reader, &members).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(body["poll"]["allow_anonymous"], false, "{body}");
    assert_eq!(body["poll"]["voters"], 0, "{body}");
    let user = report["user"].as_str().expect("user id");
    let (status, body) = app
        .call("GET", &format!("/api/users/{user}"), &reader, None)
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(body["user"]["display_name"], "Ana Lima", "{body}");
    // The new password signs in; the old one no longer does.
    let email = report["email"].as_str().expect("email");
    for (password, want) in [
        (report["password"].as_str().expect("password"), 200),
        ("password123", 401),
    ] {
        let res = reqwest::Client::new()
            .post(app.url("/api/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status().as_u16(), want, "login with {password}");
    }
}

#[sqlx::test]
async fn a_page_on_another_allowed_origin_plays_over_polling_then_websocket(pool: PgPool) {
    let page = bind().await;
    let page_origin = format!("http://{}", page.local_addr().expect("addr"));
    let app = spawn_app_with(pool, config_allowing(&page_origin)).await;
    let site = static_site(page, &app.base).await;
    let report = run(
        "origins.mjs",
        json!({"mode": "allowed", "api": app.base, "page": site.origin}),
    )
    .await;
    for name in ["Olu", "Ines"] {
        let t = &report["transports"][name];
        assert!(t["polling"].as_u64().unwrap_or(0) >= 1, "{report}");
        assert!(t["websocket"].as_u64().unwrap_or(0) >= 1, "{report}");
    }
}

#[sqlx::test]
async fn a_page_on_an_unlisted_origin_is_refused(pool: PgPool) {
    // The test server allows http://localhost:5173 only; the page comes from 127.0.0.1:<port>.
    let app = spawn_app(pool).await;
    let site = static_site(bind().await, &app.base).await;
    assert!(!app.config.allowed_origins.contains(&site.origin));
    let report = run(
        "origins.mjs",
        json!({"mode": "foreign", "api": app.base, "page": site.origin}),
    )
    .await;
    assert!(
        report["outcome"]
            .as_str()
            .is_some_and(|s| s.starts_with("connect_error")),
        "{report}"
    );
}

/// Login CSRF: a page on another site auto-submits a `text/plain` form that would sign the
/// visitor's browser into the attacker's account. Chromium sends it without a preflight; the
/// server refuses it (403 for the foreign origin; a non-JSON body would be 415 anyway) and the
/// browser is left with no session.
#[sqlx::test]
async fn a_foreign_page_cannot_sign_a_visitor_into_another_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    let attacker = app.register("Mallory").await;
    let site = static_site(bind().await, &app.base).await;
    let report = run(
        "origins.mjs",
        json!({"mode": "login-csrf", "api": app.base, "page": site.origin, "email": attacker.email}),
    )
    .await;
    assert_eq!(report["status"], 403, "{report}");
}

/// Cross-site WebSocket hijacking (issue 10, item 4): browsers apply no CORS to WebSockets and
/// send the same-site auth cookie along, so a page on any origin could open a socket as the
/// player; only the server's check of a cookie-authenticated handshake's Origin refuses it.
#[sqlx::test]
async fn a_cookie_websocket_from_an_unlisted_origin_is_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let site = static_site(bind().await, &app.base).await;
    let report = run(
        "origins.mjs",
        json!({"mode": "hijack", "api": app.base, "page": site.origin}),
    )
    .await;
    assert!(
        report["outcome"]
            .as_str()
            .is_some_and(|s| s.starts_with("connect_error")),
        "{report}"
    );
}
