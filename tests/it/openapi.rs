//! `/openapi.json` as served: every REST route is in it once, with the method it answers, and
//! every route it documents is one the server routes (each handler is registered once, with its
//! entry, so the two cannot drift apart).

use crate::common::spawn_app;
use reqwest::{Client, Method};
use serde_json::Value;
use sqlx::PgPool;
use std::collections::BTreeSet;

/// The documented routes, as the document listed them before routes registered their own
/// entries, and the exports and webhooks since: the same set must stay documented.
const DOCUMENTED: &[(&str, &str)] = &[
    ("post", "/api/auth/guest"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("get", "/api/auth/me"),
    ("patch", "/api/auth/me"),
    ("post", "/api/auth/register"),
    ("post", "/api/auth/upgrade"),
    ("get", "/api/categories"),
    ("post", "/api/categories"),
    ("post", "/api/game/rounds/{id}/answer"),
    ("get", "/api/game/rounds/{id}/answers"),
    ("post", "/api/game/rounds/{id}/audience-vote"),
    ("post", "/api/game/rounds/{id}/end"),
    ("post", "/api/game/rounds/{id}/hide"),
    ("post", "/api/game/rounds/{id}/vote"),
    ("post", "/api/game/rounds/{id}/voting"),
    ("get", "/api/game/{code}/leaderboard"),
    ("post", "/api/game/{code}/next"),
    ("post", "/api/game/{code}/play-again"),
    ("post", "/api/game/{code}/start"),
    ("get", "/api/games/{id}"),
    ("get", "/api/games/{id}/export"),
    ("get", "/api/me/audit"),
    ("get", "/api/me/games"),
    ("get", "/api/me/likes"),
    ("get", "/api/me/votes"),
    ("get", "/api/me/webhooks"),
    ("post", "/api/me/webhooks"),
    ("delete", "/api/me/webhooks/{webhook_id}"),
    ("get", "/api/polls"),
    ("post", "/api/polls"),
    ("get", "/api/polls/popular"),
    ("get", "/api/polls/recent"),
    ("get", "/api/polls/search"),
    ("get", "/api/polls/stats"),
    ("get", "/api/polls/trending"),
    ("delete", "/api/polls/{id}"),
    ("get", "/api/polls/{id}"),
    ("patch", "/api/polls/{id}"),
    ("get", "/api/polls/{id}/answers"),
    ("post", "/api/polls/{id}/answers"),
    ("patch", "/api/polls/{id}/answers/{answer_id}"),
    ("get", "/api/polls/{id}/audit"),
    ("get", "/api/polls/{id}/ballots"),
    ("post", "/api/polls/{id}/close"),
    ("get", "/api/polls/{id}/export"),
    ("delete", "/api/polls/{id}/like"),
    ("put", "/api/polls/{id}/like"),
    ("post", "/api/polls/{id}/options"),
    ("delete", "/api/polls/{id}/options/{option_id}"),
    ("patch", "/api/polls/{id}/options/{option_id}"),
    ("post", "/api/polls/{id}/publish"),
    ("post", "/api/polls/{id}/reopen"),
    ("get", "/api/polls/{id}/results"),
    ("get", "/api/polls/{id}/stats"),
    ("delete", "/api/polls/{id}/vote"),
    ("put", "/api/polls/{id}/vote"),
    ("get", "/api/polls/{id}/webhooks"),
    ("post", "/api/polls/{id}/webhooks"),
    ("delete", "/api/polls/{id}/webhooks/{webhook_id}"),
    ("post", "/api/rooms"),
    ("post", "/api/rooms/join"),
    ("get", "/api/rooms/{code}"),
    ("delete", "/api/rooms/{code}/audience"),
    ("post", "/api/rooms/{code}/audience"),
    ("post", "/api/rooms/{code}/kick"),
    ("delete", "/api/rooms/{code}/leave"),
    ("get", "/api/rooms/{code}/preview"),
    ("delete", "/api/rooms/{code}/screen"),
    ("post", "/api/rooms/{code}/screen"),
    ("get", "/api/rooms/{code}/webhooks"),
    ("post", "/api/rooms/{code}/webhooks"),
    ("delete", "/api/rooms/{code}/webhooks/{webhook_id}"),
    ("get", "/api/users/{id}"),
    ("get", "/api/users/{id}/polls"),
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/ws/polls/{id}"),
];

async fn spec(app: &crate::common::TestApp) -> Value {
    reqwest::get(app.url("/openapi.json"))
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json")
}

/// A concrete path for a templated one: ids that name nothing, which a routed handler answers
/// with its own error, never the router's "no such route".
fn concrete(path: &str) -> String {
    path.replace("{code}", "ZZZZZZ")
        .replace("{id}", "00000000-0000-0000-0000-000000000000")
        .replace("{option_id}", "00000000-0000-0000-0000-000000000000")
}

#[sqlx::test]
async fn every_documented_route_is_served_and_every_route_stays_documented(pool: PgPool) {
    let app = spawn_app(pool).await;
    let spec = spec(&app).await;
    let mut served = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            served.insert((method.clone(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = DOCUMENTED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(served, expected);

    let client = Client::new();
    for (method, path) in DOCUMENTED {
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let res = client
            .request(method.clone(), app.url(&concrete(path)))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        let code = body["error"]["code"].as_str().unwrap_or_default();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            status != 405 && code != "method_not_allowed" && message != "no such route",
            "{method} {path} is documented but not routed: {status} {body}"
        );
    }
}

/// The game's vote and the poll's vote take different bodies, and the document says so: one
/// shared schema name once described both with the poll's `{option_ids}`.
#[sqlx::test]
async fn the_game_vote_and_the_poll_vote_document_their_own_bodies(pool: PgPool) {
    let app = spawn_app(pool).await;
    let spec = spec(&app).await;
    let body_of = |method: &str, path: &str| {
        let reference = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"]
            .as_str()
            .expect("a schema reference")
            .rsplit('/')
            .next()
            .expect("a name")
            .to_string();
        spec["components"]["schemas"][reference]["properties"].clone()
    };
    assert!(body_of("post", "/api/game/rounds/{id}/vote")["answer_id"].is_object());
    assert!(body_of("post", "/api/game/rounds/{id}/audience-vote")["answer_id"].is_object());
    assert!(body_of("put", "/api/polls/{id}/vote")["option_ids"].is_object());
}
