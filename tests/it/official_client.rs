//! The official JavaScript `socket.io-client` (4.x from npm, pinned in `tests/js/package.json`,
//! run by Node.js) plays a whole two-round game against the real server, over WebSocket and over
//! HTTP long-polling, authenticated by the auth cookie on the handshake (as a browser) or by
//! `auth: {token}`. The game itself is driven by `tests/js/play_game.mjs`; these tests set up
//! the server, players and room, run it, and check what it reports.
//!
//! Needs `node` and `npm` (Debian: `apt-get install nodejs npm`); installs the pinned client
//! with `npm ci --prefix tests/js` when `tests/js/node_modules` is missing.

use crate::common::{Player, js::CLIENT, spawn_app};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::{collections::HashMap, time::Duration};

/// The JS game must end well before this (it gives up by itself after 30 s).
const GAME_TIMEOUT: Duration = Duration::from_secs(45);

/// Plays a game with the JS client; players listed in `cookie_for` authenticate with the auth
/// cookie, the others with `auth: {token}`. Returns the script's report.
async fn play(pool: PgPool, transport: &str, cookie_for: &[usize]) -> (Vec<Player>, Value) {
    let app = spawn_app(pool).await;
    let mut players = Vec::new();
    for name in ["Host", "Ann", "Bob", "Cat"] {
        players.push(app.register(name).await);
    }
    let code = app
        .create_room(
            &players[0],
            json!({"max_rounds": 2, "answer_seconds": 30, "vote_seconds": 30}),
        )
        .await;
    let config = json!({
        "base": app.base,
        "code": code,
        "transport": transport,
        "players": players.iter().enumerate().map(|(i, p)| json!({
            "token": p.token, "id": p.id, "name": p.name, "use_cookie": cookie_for.contains(&i),
        })).collect::<Vec<_>>(),
    });
    let report = CLIENT.run("play_game.mjs", &config, GAME_TIMEOUT).await;
    (players, report)
}

/// The final leaderboard holds exactly the four players with the scores their votes earned,
/// and every player's socket got `game_ended` with that same leaderboard.
fn check_report(players: &[Player], report: &Value) {
    let board = report["final_leaderboard"]
        .as_array()
        .unwrap_or_else(|| panic!("no final leaderboard: {report}"));
    let got: HashMap<String, u64> = board
        .iter()
        .map(|e| {
            (
                e["user_id"].as_str().expect("user_id").to_string(),
                e["score"].as_u64().expect("score"),
            )
        })
        .collect();
    let expected: HashMap<String, u64> = report["expected_scores"]
        .as_object()
        .expect("expected_scores")
        .iter()
        .map(|(id, n)| (id.clone(), n.as_u64().expect("expected score")))
        .collect();
    assert_eq!(board.len(), players.len(), "{report}");
    assert_eq!(got, expected, "final leaderboard vs votes cast: {report}");
    // Host 1, Ann 2, Bob 2, Cat 1: the votes the script casts.
    assert_eq!(expected.values().sum::<u64>(), 6, "{report}");
    let scores: Vec<u64> = board.iter().filter_map(|e| e["score"].as_u64()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "highest score first: {report}"
    );
    for p in players {
        assert_eq!(
            report["game_ended_by"][p.id.to_string()],
            report["final_leaderboard"],
            "{}'s game_ended: {report}",
            p.name
        );
    }
    let events = &report["events"];
    assert_eq!(events["room_state"], 4, "{events}");
    assert_eq!(events["game_started"], 4, "{events}");
    assert_eq!(events["voting_started"], 8, "{events}");
    assert_eq!(events["round_ended"], 8, "{events}");
    assert_eq!(events["round_started"], 4, "{events}");
    assert_eq!(events["game_ended"], 4, "{events}");
}

#[sqlx::test]
async fn the_official_client_plays_a_whole_game_over_websocket_with_cookies_and_tokens(
    pool: PgPool,
) {
    // The host and Bob authenticate with the cookie, Ann and Cat with `auth: {token}`.
    let (players, report) = play(pool, "websocket", &[0, 2]).await;
    check_report(&players, &report);
}

#[sqlx::test]
async fn the_official_client_plays_a_whole_game_over_long_polling(pool: PgPool) {
    // Ann authenticates with the cookie, the rest with `auth: {token}`.
    let (players, report) = play(pool, "polling", &[1]).await;
    check_report(&players, &report);
}

/// The first event a client sends from its `connect` handler is answered, every time: fresh
/// signed-in connections, many at a time, each subscribing to a poll right on `connect`.
/// (The event handlers used to be registered by the async connect handler, which socketioxide
/// runs after the connect packet has gone out: 1-7 % of such first events got no answer.)
#[sqlx::test]
async fn the_first_event_sent_on_connect_is_always_answered(pool: PgPool) {
    const CLIENTS: u64 = 3;
    const CONNECTIONS: u64 = 400;
    // The server as it runs in production, a process on the multi-threaded runtime: in the
    // tests' own single-threaded runtime the connect task always ran before the next event.
    let prefix = crate::common::fresh_prefix();
    let node = crate::common::node::Node::start(
        &crate::common::database_url(&pool),
        &prefix,
        &[("MAX_SOCKETS_PER_USER", "1000")],
    )
    .await;
    let app = crate::common::spawn_app_with(pool, crate::common::unlimited_config(&prefix)).await;
    let mut voters = Vec::new();
    for n in 0..20 {
        voters.push(app.register(&format!("Fresh{n}")).await);
    }
    let (status, body) = app
        .post_poll(
            &voters[0],
            json!({"question": "First?", "options": ["yes", "no"]}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let config = json!({
        "base": node.base,
        "poll_id": body["poll"]["id"],
        "tokens": voters.iter().map(|p| p.token.clone()).collect::<Vec<_>>(),
        "connections": CONNECTIONS,
        "at_once": 25,
    });
    // Three clients at once keep both cores busy, as a party's worth of phones connecting
    // does: the race needed the connect task to wait for a core.
    let run = || CLIENT.run("first_event.mjs", &config, Duration::from_secs(90));
    let reports = futures::future::join_all((0..CLIENTS).map(|_| run())).await;
    let (mut acked, mut missed, mut refused) = (0, 0, 0);
    for report in reports {
        acked += report["acked"].as_u64().unwrap_or(0);
        missed += report["missed"].as_u64().unwrap_or(0);
        refused += report["refused"].as_u64().unwrap_or(0);
    }
    assert_eq!(missed, 0, "first events with no answer ({acked} answered)");
    assert_eq!(refused, 0);
    assert_eq!(acked, CLIENTS * CONNECTIONS);
}
