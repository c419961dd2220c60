//! The official JavaScript `socket.io-client` (4.x, from npm, run by Node) plays a whole game
//! against the server, over WebSocket and over HTTP long-polling, authenticated by the auth
//! cookie on the handshake (as a browser) or by `auth: {token}`.

mod common;

use common::spawn_app;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::{path::PathBuf, time::Duration};
use tokio::{process::Command, sync::OnceCell};

static NPM_READY: OnceCell<()> = OnceCell::const_new();

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Installs the pinned client from `package-lock.json` once per test run if it is missing.
async fn ensure_client() {
    NPM_READY
        .get_or_init(|| async {
            let node = Command::new("node").arg("--version").output().await;
            assert!(
                node.is_ok_and(|o| o.status.success()),
                "Node.js is needed for this test: install the Debian packages `nodejs npm`"
            );
            if !js_dir().join("node_modules/socket.io-client").exists() {
                let status = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                    .arg(js_dir())
                    .status()
                    .await
                    .expect("npm runs");
                assert!(status.success(), "npm ci failed in tests/js");
            }
        })
        .await;
}

async fn play(pool: PgPool, transport: &str, cookie_for: &[usize]) {
    ensure_client().await;
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
            "token": p.token, "id": p.id, "name": p.name, "use_cookie": cookie_for.contains(&i)
        })).collect::<Vec<_>>(),
    });
    let path = std::env::temp_dir().join(format!("vg-js-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, config.to_string()).expect("write config");
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new("node")
            .arg(js_dir().join("play_game.mjs"))
            .arg(&path)
            .output(),
    )
    .await
    .expect("the JS client finishes")
    .expect("node runs");
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "JS client failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .expect("result line");
    assert_eq!(result["ok"], true);
    let board = result["final_leaderboard"]
        .as_array()
        .expect("final leaderboard");
    assert_eq!(board.len(), 4);
    for entry in board {
        let id = entry["user_id"].as_str().expect("id");
        assert_eq!(entry["score"], result["expected_scores"][id], "{result}");
    }
    assert_eq!(result["events"]["game_ended"], 4);
    assert_eq!(result["events"]["room_state"], 4);
}

#[sqlx::test]
async fn the_official_client_plays_a_whole_game_over_websocket_with_cookies_and_tokens(
    pool: PgPool,
) {
    play(pool, "websocket", &[0, 2]).await;
}

#[sqlx::test]
async fn the_official_client_plays_a_whole_game_over_long_polling(pool: PgPool) {
    play(pool, "polling", &[1]).await;
}
