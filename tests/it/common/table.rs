//! The fixture most game stories start from: signed-in players, each with a socket in one room
//! and holding its state. One fixture for every story (it was written once per story before,
//! as `Party` and `Table` and two `seat`s), so what "seated" means is checked in one place.

use super::{Player, TestApp, socket::Sock, spawn_app};
use serde_json::{Value, json};
use sqlx::PgPool;
use tf_rust_socketio::TransportType;

/// Players seated in one room on their own server; `players[0]` is the host, and `socks[i]`
/// is `players[i]`'s socket (a story that seats a host outside the game says so).
pub struct Table {
    pub app: TestApp,
    pub players: Vec<Player>,
    pub socks: Vec<Sock>,
    pub code: String,
}

impl Table {
    /// `names.len()` players over WebSocket in a room made with `settings`.
    pub async fn open(pool: PgPool, names: &[&str], settings: Value) -> Table {
        Self::open_over(pool, names, settings, TransportType::Websocket).await
    }

    /// As [`Table::open`], the sockets over `transport`.
    pub async fn open_over(
        pool: PgPool,
        names: &[&str],
        settings: Value,
        transport: TransportType,
    ) -> Table {
        let app = spawn_app(pool).await;
        let (players, socks, code) = gather(&[&app], names, settings, transport).await;
        Table {
            app,
            players,
            socks,
            code,
        }
    }
}

/// Registers `names` on `apps[0]`, where the first makes a room with `settings`, and seats
/// them with their sockets spread over the apps in turn (player i on `apps[i % apps.len()]`).
/// Returns once the first has seen the last one arrive.
pub async fn gather(
    apps: &[&TestApp],
    names: &[&str],
    settings: Value,
    transport: TransportType,
) -> (Vec<Player>, Vec<Sock>, String) {
    let mut players = Vec::new();
    for name in names {
        players.push(apps[0].register(name).await);
    }
    let code = apps[0].create_room(&players[0], settings).await;
    let bases: Vec<&str> = apps.iter().map(|a| a.base.as_str()).collect();
    let socks = seat(&bases, &players, &code, transport).await;
    if socks.len() > 1 {
        socks[0]
            .inbox
            .wait_for("player_joined", |v| v["participant_count"] == socks.len())
            .await;
    }
    (players, socks, code)
}

/// A socket for each of `players` in room `code`, on the servers at `bases` in turn, once it
/// holds the room's state. Each joins by the code in lower case (codes are read in any case);
/// from the second on, each join's room has one participant more than the one before.
pub async fn seat(
    bases: &[&str],
    players: &[Player],
    code: &str,
    transport: TransportType,
) -> Vec<Sock> {
    let mut socks = Vec::new();
    let mut before: Option<usize> = None;
    for (i, p) in players.iter().enumerate() {
        let s = Sock::connect(bases[i % bases.len()], &p.token, transport.clone()).await;
        let data = s
            .ok("join_room", json!({"room_code": code.to_lowercase()}))
            .await;
        assert_eq!(data["room"]["code"], code, "{data}");
        let count = data["room"]["participants"].as_array().map(Vec::len);
        if let Some(before) = before {
            assert_eq!(count, Some(before + 1), "{data}");
        }
        before = count;
        let state = s.inbox.wait_for("room_state", |_| true).await;
        assert_eq!(state["room"]["code"], code, "{state}");
        socks.push(s);
    }
    socks
}

/// Players answer, then each votes for another's answer; returns once all heard the round end.
pub async fn play_round(socks: &[&Sock], code: &str) {
    let data = socks[0].ok("start_game", json!({"room_code": code})).await;
    let round_id = data["round"]["id"].clone();
    for (i, s) in socks.iter().enumerate() {
        s.ok(
            "submit_answer",
            json!({"round_id": round_id, "room_code": code, "answer": format!("answer {i}")}),
        )
        .await;
    }
    let voting = socks[0].inbox.wait_for("voting_started", |_| true).await;
    let answers: Vec<Value> = voting["answers"].as_array().cloned().unwrap_or_default();
    for (i, s) in socks.iter().enumerate() {
        let target = answers
            .iter()
            .find(|a| a["content"] != format!("answer {i}"))
            .expect("someone else's answer");
        s.ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": code, "answer_id": target["id"]}),
        )
        .await;
    }
    for s in socks {
        s.inbox.wait_for("round_ended", |_| true).await;
    }
}
