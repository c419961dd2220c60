//! The routes the stories call most, by name: `app.get_room(&who, &code)` rather than
//! `app.call("GET", &format!("/api/rooms/{code}"), &who, None)`. Each gives back the status and
//! body as `call` does, so a story asserts on them as it would on a raw call; `call` stays for
//! the requests whose point is their raw shape (a malformed path or body, an unusual method).
//! Room codes, round and poll ids go into the path as they display (`&str`, `String`, `Uuid`).

use super::{Player, TestApp};
use reqwest::{Client, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Display;

impl TestApp {
    /// A GET as `who` (no `Authorization` when `None`); the body is `Null` when not JSON.
    pub async fn get(&self, who: Option<&Player>, path: &str) -> (StatusCode, Value) {
        let mut req = Client::new().get(self.url(path));
        if let Some(p) = who {
            req = req.bearer_auth(&p.token);
        }
        let res = req.send().await.expect("get");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// `GET /api/auth/me` with a bare token (one that may have been revoked): its status.
    pub async fn me_status(&self, token: &str) -> StatusCode {
        Client::new()
            .get(self.url("/api/auth/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("me")
            .status()
    }

    pub async fn me(&self, who: &Player) -> (StatusCode, Value) {
        self.call("GET", "/api/auth/me", who, None).await
    }

    // Rooms and the game's REST mirror.

    /// `POST /api/rooms` with this body as it stands (`{"settings": …}`, or not).
    pub async fn post_room(&self, who: &Player, body: Value) -> (StatusCode, Value) {
        self.call("POST", "/api/rooms", who, Some(body)).await
    }

    pub async fn get_room(&self, who: &Player, code: impl Display) -> (StatusCode, Value) {
        self.call("GET", &format!("/api/rooms/{code}"), who, None)
            .await
    }

    pub async fn leave_room(&self, who: &Player, code: impl Display) -> (StatusCode, Value) {
        self.call("DELETE", &format!("/api/rooms/{code}/leave"), who, None)
            .await
    }

    pub async fn start_game(&self, who: &Player, code: impl Display) -> (StatusCode, Value) {
        self.call("POST", &format!("/api/game/{code}/start"), who, None)
            .await
    }

    pub async fn next_round(&self, who: &Player, code: impl Display) -> (StatusCode, Value) {
        self.call("POST", &format!("/api/game/{code}/next"), who, None)
            .await
    }

    pub async fn leaderboard(&self, who: &Player, code: impl Display) -> (StatusCode, Value) {
        self.call("GET", &format!("/api/game/{code}/leaderboard"), who, None)
            .await
    }

    pub async fn answer(
        &self,
        who: &Player,
        round: impl Display,
        text: impl Serialize,
    ) -> (StatusCode, Value) {
        self.call(
            "POST",
            &format!("/api/game/rounds/{round}/answer"),
            who,
            Some(json!({ "answer": text })),
        )
        .await
    }

    pub async fn answers(&self, who: &Player, round: impl Display) -> (StatusCode, Value) {
        self.call(
            "GET",
            &format!("/api/game/rounds/{round}/answers"),
            who,
            None,
        )
        .await
    }

    pub async fn start_voting(&self, who: &Player, round: impl Display) -> (StatusCode, Value) {
        self.call(
            "POST",
            &format!("/api/game/rounds/{round}/voting"),
            who,
            None,
        )
        .await
    }

    pub async fn vote_answer(
        &self,
        who: &Player,
        round: impl Display,
        answer_id: impl Serialize,
    ) -> (StatusCode, Value) {
        self.call(
            "POST",
            &format!("/api/game/rounds/{round}/vote"),
            who,
            Some(json!({ "answer_id": answer_id })),
        )
        .await
    }

    // Polls.

    pub async fn post_poll(&self, who: &Player, body: Value) -> (StatusCode, Value) {
        self.call("POST", "/api/polls", who, Some(body)).await
    }

    /// A poll made as `body` says, which must be created; its `poll` object.
    pub async fn create_poll(&self, who: &Player, body: Value) -> Value {
        let (s, b) = self.post_poll(who, body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b["poll"].clone()
    }

    pub async fn get_poll(&self, who: &Player, poll: impl Display) -> (StatusCode, Value) {
        self.call("GET", &format!("/api/polls/{poll}"), who, None)
            .await
    }

    /// `PUT /api/polls/{poll}/vote` with these `option_ids` (a JSON array, or anything else a
    /// story sends there).
    pub async fn vote(
        &self,
        who: &Player,
        poll: impl Display,
        option_ids: Value,
    ) -> (StatusCode, Value) {
        self.call(
            "PUT",
            &format!("/api/polls/{poll}/vote"),
            who,
            Some(json!({ "option_ids": option_ids })),
        )
        .await
    }

    pub async fn like(&self, who: &Player, poll: impl Display) -> (StatusCode, Value) {
        self.call("PUT", &format!("/api/polls/{poll}/like"), who, None)
            .await
    }
}

/// A poll's id (`poll["id"]`).
pub fn poll_id(poll: &Value) -> String {
    poll["id"].as_str().expect("poll id").to_string()
}

/// The id of a poll's `n`th option.
pub fn option_id(poll: &Value, n: usize) -> String {
    poll["options"][n]["id"]
        .as_str()
        .expect("option id")
        .to_string()
}
