//! Ten thousand malformed, mistyped, oversized and out-of-order payloads to every game and poll
//! socket event and to the game, account and poll REST routes (a real room and a real poll among
//! the ids they name), among them text that JSON parsers or Postgres refuse (lone surrogates, NUL,
//! noncharacters, bidi controls, numbers out of range, deep nesting): never a 5xx, never a
//! dropped socket for a sane-sized message, and a normal game still plays afterwards.

use crate::common::{fresh_prefix, socket::Sock, spawn_app_with, unlimited_config, wire::Wire};
use futures::StreamExt;
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
use reqwest::{Client, StatusCode};
use serde_json::{Map, Value, json};
use sqlx::PgPool;
use tf_rust_socketio::TransportType;
use uuid::Uuid;

const FIELDS: &[&str] = &[
    "room_code",
    "round_id",
    "answer",
    "answer_id",
    "user_id",
    "settings",
    "email",
    "password",
    "display_name",
    "max_rounds",
    "theme",
    "token",
    "__proto__",
    "",
];
const EVENTS: &[&str] = &[
    "join_room",
    "leave_room",
    "start_game",
    "submit_answer",
    "start_voting",
    "submit_vote",
    "end_round",
    "next_round",
    "kick_player",
    "subscribe_poll",
    "unsubscribe_poll",
    "vote_poll",
    "subscribe_feed",
    "unsubscribe_feed",
    "no_such_event",
    "error",
    "connect",
];

/// JSON text (not values: a `serde_json::Value` cannot hold most of these) that Postgres or a
/// JSON parser refuses, or that is merely odd: lone surrogates, NUL, noncharacters, bidi and
/// zero-width controls, numbers out of range, nesting past any parser's limit.
const NASTY: &[&str] = &[
    r#""\ud800""#,
    r#""x\udc00y""#,
    r#""\udbff\u0041""#,
    r#""\u0000""#,
    r#""a\u0000b""#,
    r#""\ufffe""#,
    r#""\uffff""#,
    "\"\u{fffe}\u{ffff}\"",
    r#""\u202eevil\u2066x\u2069""#,
    "\"\u{202e}\u{200b}\u{2028}\u{feff}\"",
    r#""\u200b""#,
    "1e400",
    "-1e400",
    "1e-400",
    "123456789012345678901234567890123",
    "-0",
    "18446744073709551616",
    "\"é🎲\"",
    "\"\"",
    "null",
];

/// Events that take an acknowledgement.
const ACKED: &[&str] = &[
    "join_room",
    "leave_room",
    "start_game",
    "submit_answer",
    "start_voting",
    "submit_vote",
    "end_round",
    "next_round",
    "kick_player",
    "subscribe_poll",
    "unsubscribe_poll",
    "vote_poll",
    "subscribe_feed",
    "unsubscribe_feed",
];
/// Payloads by kind: 1,500 socket events through the client library, `RAW_FRAMES` raw
/// Socket.IO frames and `REST_REQUESTS` REST requests (half of them raw nasty text): 10,000.
const SOCKET_EVENTS: usize = 1_500;
const RAW_FRAMES: u64 = 4_000;
/// Raw frames in flight at once: well under the server's per-socket send buffer (128 packets
/// in socketioxide), which each ack and any `room_state` take a place in.
const RAW_CHUNK: u64 = 50;
const REST_REQUESTS: usize = 4_500;

struct Gen {
    rng: StdRng,
    ids: Vec<Value>,
    code: String,
}

impl Gen {
    fn string(&mut self, max: usize) -> String {
        let len = self.rng.random_range(0..=max);
        match self.rng.random_range(0..5) {
            0 => "x".repeat(len),
            1 => "é🎲\u{0}\u{202e}<script>"
                .chars()
                .cycle()
                .take(len)
                .collect(),
            2 => self.code.to_lowercase(),
            3 => "   ".to_string(),
            _ => (0..len)
                .map(|_| char::from(self.rng.random_range(32u8..127)))
                .collect(),
        }
    }

    fn value(&mut self, depth: u32, max_str: usize) -> Value {
        match self.rng.random_range(0..11) {
            0 => Value::Null,
            1 => json!(self.rng.random_bool(0.5)),
            2 => json!(self.rng.random_range(i64::MIN..i64::MAX)),
            3 => json!(self.rng.random_range(-1e300..1e300)),
            4 | 5 => json!(self.string(max_str)),
            6 => self
                .ids
                .choose(&mut self.rng)
                .cloned()
                .unwrap_or(Value::Null),
            7 => json!(Uuid::new_v4()),
            8 if depth < 3 => {
                let n = self.rng.random_range(0..4);
                Value::Array((0..n).map(|_| self.value(depth + 1, max_str)).collect())
            }
            _ if depth < 3 => self.object(depth + 1, max_str),
            _ => json!(self.code),
        }
    }

    fn object(&mut self, depth: u32, max_str: usize) -> Value {
        let mut map = Map::new();
        for _ in 0..self.rng.random_range(0..6) {
            let key = FIELDS
                .choose(&mut self.rng)
                .copied()
                .unwrap_or("x")
                .to_string();
            map.insert(key, self.value(depth, max_str));
        }
        Value::Object(map)
    }

    /// A JSON text from `NASTY`, a real id or code, or a nesting `depth` levels deep.
    fn nasty_value(&mut self) -> String {
        match self.rng.random_range(0..10) {
            0 => {
                let depth = *[64usize, 129, 1_000].choose(&mut self.rng).unwrap_or(&129);
                format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
            }
            1 => {
                let depth = *[64usize, 129, 500].choose(&mut self.rng).unwrap_or(&129);
                format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
            }
            2 => self
                .ids
                .choose(&mut self.rng)
                .map(Value::to_string)
                .unwrap_or_default(),
            _ => NASTY
                .choose(&mut self.rng)
                .copied()
                .unwrap_or("null")
                .to_string(),
        }
    }

    /// A JSON object text whose fields (duplicates allowed) hold nasty values; under 16 KiB,
    /// so a Socket.IO frame of it is within the server's message limit.
    fn nasty_payload(&mut self) -> String {
        let fields: Vec<String> = (0..self.rng.random_range(1..5))
            .map(|_| {
                let key = FIELDS.choose(&mut self.rng).copied().unwrap_or("x");
                format!("\"{key}\":{}", self.nasty_value())
            })
            .collect();
        format!("{{{}}}", fields.join(","))
    }

    fn payload(&mut self, max_str: usize) -> Value {
        if self.rng.random_bool(0.7) {
            self.object(0, max_str)
        } else {
            self.value(0, max_str)
        }
    }
}

#[sqlx::test]
async fn thousands_of_hostile_payloads_break_nothing(pool: PgPool) {
    // The point here is the handlers, not the rate limits.
    let app = spawn_app_with(pool, unlimited_config(&fresh_prefix())).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app
        .create_room(&host, json!({"answer_seconds": 3, "vote_seconds": 3}))
        .await;
    app.join(&ann, &code).await;
    // A poll anyone may vote in, so that the poll events and routes meet a real one too.
    let (s, poll) = app
        .post_poll(
            &host,
            json!({"question": "Fuzz?", "options": ["A", "B", "C"],
                        "allow_multiple": true, "allow_anonymous": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{poll}");
    let poll_id = poll["poll"]["id"].as_str().unwrap_or_default().to_string();
    let mut fz = Gen {
        rng: StdRng::seed_from_u64(0x5eed),
        ids: vec![
            json!(host.id),
            json!(ann.id),
            json!(code),
            json!(poll_id),
            poll["poll"]["options"][0]["id"].clone(),
        ],
        code: code.clone(),
    };

    // Socket.IO: every event, half with a callback (the ack must come back well-formed).
    let sock = Sock::connect(&app.base, &ann.token, TransportType::Websocket).await;
    for i in 0..SOCKET_EVENTS {
        let event = *EVENTS.choose(&mut fz.rng).unwrap_or(&"join_room");
        let payload = fz.payload(2_000);
        // Events without a callback, and the reserved names, are fire-and-forget (an unknown
        // name with a callback is answered like any other).
        if i % 2 == 0 || matches!(event, "error" | "connect") {
            sock.emit(event, payload).await;
        } else {
            let ack = sock.request(event, payload.clone()).await;
            assert!(ack["ok"].is_boolean(), "{event} {payload} → {ack}");
            if ack["ok"] == false {
                let code = ack["error"]["code"].as_str().unwrap_or_default();
                assert!(
                    !code.is_empty() && code != "internal_error",
                    "{event} {payload} → {ack}"
                );
            }
        }
    }
    // Still connected and served.
    sock.ok("join_room", json!({"room_code": code})).await;

    // Raw frames whose text no JSON value can hold, sent in pipelined chunks: every one is
    // acknowledged, never with an internal error, and the socket stays connected.
    let mut wire = Wire::connect(&app.base, &ann.token).await;
    let mut sent = 0u64;
    while sent < RAW_FRAMES {
        let chunk = RAW_CHUNK.min(RAW_FRAMES - sent);
        for id in sent..sent + chunk {
            let event = *ACKED.choose(&mut fz.rng).unwrap_or(&"join_room");
            let frame = format!("42{id}[\"{event}\",{}]", fz.nasty_payload());
            wire.send_text(&frame).await;
        }
        let mut acked = 0;
        while acked < chunk {
            let frame = wire
                .next_frame()
                .await
                .unwrap_or_else(|| panic!("the socket was dropped after {sent} raw frames"));
            if frame.starts_with("43") {
                acked += 1;
                assert!(
                    !frame.contains("internal_error") && frame.contains("\"ok\""),
                    "{frame}"
                );
            }
        }
        sent += chunk;
    }
    let ack = wire
        .request(sent, "join_room", json!({"room_code": code}))
        .await;
    assert!(ack.contains("\"ok\":true"), "{ack}");

    // REST: every route, random bodies and path segments, some oversized.
    let routes: Vec<(&str, String)> = vec![
        ("POST", "/api/auth/register".into()),
        ("POST", "/api/auth/login".into()),
        ("GET", "/api/auth/me".into()),
        ("POST", "/api/rooms".into()),
        ("POST", "/api/rooms/join".into()),
        ("GET", "/api/rooms/{code}".into()),
        ("POST", "/api/rooms/{code}/kick".into()),
        ("DELETE", "/api/rooms/{code}/leave".into()),
        ("POST", "/api/rooms/{code}/screen".into()),
        ("DELETE", "/api/rooms/{code}/screen".into()),
        ("POST", "/api/game/{code}/start".into()),
        ("POST", "/api/game/{code}/next".into()),
        ("GET", "/api/game/{code}/leaderboard".into()),
        ("POST", "/api/game/rounds/{id}/answer".into()),
        ("GET", "/api/game/rounds/{id}/answers".into()),
        ("POST", "/api/game/rounds/{id}/vote".into()),
        ("POST", "/api/game/rounds/{id}/voting".into()),
        ("POST", "/api/game/rounds/{id}/end".into()),
        ("PATCH", "/api/auth/me".into()),
        ("POST", "/api/polls".into()),
        (
            "GET",
            "/api/polls?q={id}&sort={code}&category={id}&page={id}".into(),
        ),
        ("GET", "/api/polls/{poll}".into()),
        ("PATCH", "/api/polls/{poll}".into()),
        ("PUT", "/api/polls/{poll}/vote".into()),
        ("DELETE", "/api/polls/{poll}/vote".into()),
        ("PUT", "/api/polls/{poll}/like".into()),
        ("POST", "/api/polls/{poll}/options".into()),
        ("PATCH", "/api/polls/{poll}/options/{id}".into()),
        ("GET", "/api/polls/{poll}/stats".into()),
        ("GET", "/api/polls/{poll}/results".into()),
        ("POST", "/api/polls/{poll}/close".into()),
        ("POST", "/api/categories".into()),
        ("GET", "/api/users/{id}".into()),
        ("GET", "/api/me/votes?page={id}".into()),
        ("GET", "/api/me/games?page={id}&page={code}".into()),
        (
            "GET",
            "/api/games/{id}/export?format={code}&format=csv".into(),
        ),
        ("GET", "/ws/polls/{poll}".into()),
    ];
    let mut requests: Vec<(&str, String, String, String)> = Vec::new();
    for i in 0..REST_REQUESTS {
        let (method, template): (&str, String) = routes
            .choose(&mut fz.rng)
            .cloned()
            .unwrap_or_else(|| routes[0].clone());
        let segment: String = match fz.rng.random_range(0..5) {
            0 => code.to_lowercase(),
            4 => poll_id.clone(),
            1 => Uuid::new_v4().to_string(),
            2 => "%F0%9F%8E%B2..%2F".to_string(),
            _ => fz
                .string(40)
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect(),
        };
        let path = template
            .replace("{code}", &segment)
            .replace("{id}", &segment)
            .replace("{poll}", &segment);
        let body = match i % 10 {
            0 => "{\"unterminated".to_string(),
            1 => "x".repeat(70_000),
            // Text no JSON value can hold (lone surrogates, 1e400, deep nesting, NUL).
            _ if i >= 1500 => fz.nasty_payload(),
            _ => fz.payload(500).to_string(),
        };
        let token = if i % 7 == 0 {
            "garbage".to_string()
        } else {
            host.token.clone()
        };
        requests.push((method, path, body, token));
    }
    let client = Client::new();
    let results: Vec<(StatusCode, String, String)> = futures::stream::iter(requests)
        .map(|(method, path, body, token)| {
            let client = client.clone();
            let url = app.url(&path);
            async move {
                let res = client
                    .request(method.parse().expect("method"), url)
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("the server answers");
                let status = res.status();
                (status, path, res.text().await.unwrap_or_default())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for (status, path, body) in &results {
        assert!(status.as_u16() < 500, "{status} for {path}: {body}");
        if status.is_client_error() {
            let v: Value = serde_json::from_str(body)
                .unwrap_or_else(|_| panic!("{status} {path} not JSON: {body}"));
            assert!(v["error"]["code"].is_string(), "{path}: {body}");
        }
    }

    // A normal game still plays (a new host: the fuzzing one may have used up its rooms).
    let host = app.register("Fresh").await;
    let fresh = app.create_room(&host, json!({"max_rounds": 1})).await;
    let player = app.register("Zed").await;
    app.join(&player, &fresh).await;
    let (s, body) = app.start_game(&host, &fresh).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let round = body["round"]["id"].as_str().expect("round").to_string();
    let (s, answer) = app.answer(&player, &round, "still here").await;
    assert_eq!(s, StatusCode::CREATED);
    app.start_voting(&host, &round).await;
    let (s, _) = app.vote_answer(&host, &round, &answer["answer_id"]).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, board) = app.leaderboard(&host, &fresh).await;
    assert_eq!(board["leaderboard"][0]["score"], 1);
}
