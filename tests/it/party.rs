//! What party hosts expect around the game, end to end against the real server, Postgres and
//! Redis: playing again in the same room, the history and export of finished games,
//! moderation, an audience, the big screen, and a host who does not play.

use crate::common::{
    Player, TestApp, assert_error, id,
    socket::Sock,
    spawn_app,
    table::{Table, seat},
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use tf_rust_socketio::TransportType;
use uuid::Uuid;

impl Table {
    /// Every seated player answers `text(i)` over their socket; the answer ids in seat order.
    async fn answer_each(&self, round_id: Uuid, text: impl Fn(usize) -> String) -> Vec<Uuid> {
        let mut answers = Vec::new();
        for (i, s) in self.socks.iter().enumerate() {
            let data = s
                .ok(
                    "submit_answer",
                    json!({"round_id": round_id, "room_code": self.code, "answer": text(i)}),
                )
                .await;
            answers.push(id(&data["answer_id"]));
        }
        answers
    }

    /// Everyone answers (`answer i`), then player i votes for player i+1's answer, so everyone
    /// scores one point; returns the answer ids in player order.
    async fn play_round(&self, round_id: Uuid) -> Vec<Uuid> {
        let answers = self
            .answer_each(round_id, |i| format!("answer {i} of {round_id}"))
            .await;
        for s in &self.socks {
            s.inbox
                .wait_for("voting_started", |v| v["round_id"] == round_id.to_string())
                .await;
        }
        let n = self.socks.len();
        for (i, s) in self.socks.iter().enumerate() {
            s.ok(
                "submit_vote",
                json!({"round_id": round_id, "room_code": self.code, "answer_id": answers[(i + 1) % n]}),
            )
            .await;
        }
        for s in &self.socks {
            s.inbox
                .wait_for("round_ended", |v| v["round_id"] == round_id.to_string())
                .await;
        }
        answers
    }

    /// Starts game 1 and plays its one round to `game_ended`; returns the round id.
    async fn play_one_round_game(&self) -> Uuid {
        let data = self.socks[0]
            .ok("start_game", json!({"room_code": self.code}))
            .await;
        let round_id = id(&data["round"]["id"]);
        self.play_round(round_id).await;
        let end = self.socks[0]
            .ok("next_round", json!({"room_code": self.code}))
            .await;
        assert!(end["final_leaderboard"].is_array(), "{end}");
        for s in &self.socks {
            s.inbox.wait_for("game_ended", |_| true).await;
        }
        round_id
    }
}

#[sqlx::test]
async fn the_host_plays_again_with_the_same_players_and_fresh_scores(pool: PgPool) {
    let p = Table::open(
        pool.clone(),
        &["Host", "Ann", "Bob"],
        json!({"max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60}),
    )
    .await;
    // Not before the game has ended.
    p.socks[0]
        .refused("play_again", json!({"room_code": p.code}), "wrong_phase")
        .await;
    let first_round = p.play_one_round_game().await;
    let first_question =
        p.socks[1].inbox.wait_for("game_started", |_| true).await["question"].clone();

    p.socks[1]
        .refused("play_again", json!({"room_code": p.code}), "not_host")
        .await;
    p.socks[0]
        .refused(
            "play_again",
            json!({"room_code": p.code, "settings": {"max_rounds": 0}}),
            "validation_failed",
        )
        .await;
    let data = p.socks[0]
        .ok(
            "play_again",
            json!({"room_code": p.code, "settings": {"max_rounds": 2}}),
        )
        .await;
    assert_eq!(data["game_number"], 2);
    assert_eq!(data["settings"]["max_rounds"], 2);
    // Settings not named are kept.
    assert_eq!(data["settings"]["answer_seconds"], 60);
    assert_eq!(data["round"]["round_number"], 1);
    let game_id = id(&data["game_id"]);
    let round_id = id(&data["round"]["id"]);
    assert_eq!(game_id, round_id, "a game's id is its first round's");

    // Every client hears of the new game without joining again, scores back at zero.
    for s in &p.socks {
        let reset = s.inbox.wait_for("game_reset", |_| true).await;
        assert_eq!(reset["game_number"], 2);
        assert_eq!(reset["game_id"], game_id.to_string());
        let board = reset["leaderboard"].as_array().expect("leaderboard");
        assert_eq!(board.len(), 3);
        assert!(board.iter().all(|e| e["score"] == 0), "{reset}");
        let started = s
            .inbox
            .wait_for("game_started", |v| v["round_id"] == round_id.to_string())
            .await;
        assert_ne!(started["question"], first_question, "a question came twice");
    }
    // The new game is played by the same sockets.
    p.play_round(round_id).await;
    let (status, body) = p.app.leaderboard(&p.players[1], &p.code).await;
    assert_eq!(status, StatusCode::OK);
    let board = body["leaderboard"].as_array().expect("leaderboard");
    assert!(board.iter().all(|e| e["score"] == 1), "{body}");

    // The REST mirror: refused while the new game runs.
    let (status, body) = p
        .app
        .call(
            "POST",
            &format!("/api/game/{}/play-again", p.code),
            &p.players[0],
            None,
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "game_in_progress");
    let (status, body) = p.app.get_room(&p.players[2], &p.code).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["room"]["game_number"], 2);
    assert_eq!(body["room"]["game_id"], game_id.to_string());

    // Postgres keeps both games, each with its own round 1.
    let games: Vec<(Uuid, i32, bool)> = sqlx::query_as(
        "SELECT g.id, g.number, g.ended_at IS NOT NULL FROM games g JOIN rooms r ON r.id = g.room_id \
         WHERE r.code = $1 ORDER BY g.number",
    )
    .bind(&p.code)
    .fetch_all(&pool)
    .await
    .expect("games");
    assert_eq!(games, vec![(first_round, 1, true), (game_id, 2, false)]);
    let rounds: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM rounds WHERE game_id = ANY($1) AND round_number = 1",
    )
    .bind(vec![first_round, game_id])
    .fetch_one(&pool)
    .await
    .expect("rounds");
    assert_eq!(rounds, 2);
}

#[sqlx::test]
async fn play_again_over_rest_takes_a_partial_settings_object(pool: PgPool) {
    let p = Table::open(
        pool,
        &["Host", "Ann"],
        json!({"max_rounds": 1, "theme": "animals"}),
    )
    .await;
    p.play_one_round_game().await;
    let path = format!("/api/game/{}/play-again", p.code);
    let (status, body) = p
        .app
        .call(
            "POST",
            &path,
            &p.players[0],
            Some(json!({"settings": {"vote_seconds": 9}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["game_number"], 2);
    assert_eq!(body["settings"]["vote_seconds"], 9);
    assert_eq!(body["settings"]["theme"], "animals");
    assert_eq!(body["round"]["status"], "answering");
    p.socks[1].inbox.wait_for("game_reset", |_| true).await;
}

#[sqlx::test]
async fn finished_games_are_listed_read_and_exported_by_the_right_people(pool: PgPool) {
    let p = Table::open(
        pool,
        &["Host", "Ann", "Bob"],
        json!({"max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60}),
    )
    .await;
    let first = p.play_one_round_game().await;
    p.socks[0]
        .ok("play_again", json!({"room_code": p.code}))
        .await;
    let reset = p.socks[0].inbox.wait_for("game_reset", |_| true).await;
    let second = id(&reset["game_id"]);
    let outsider = p.app.register("Eve").await;

    // Newest first, paged, with the caller's own score.
    let (status, body) = p
        .app
        .get(Some(&p.players[1]), "/api/me/games?per_page=1")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 2);
    assert_eq!(
        (body["page"].clone(), body["per_page"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(body["games"][0]["id"], second.to_string());
    assert_eq!(body["games"][0]["status"], "playing");
    let (_, body) = p
        .app
        .get(Some(&p.players[1]), "/api/me/games?page=2&per_page=1")
        .await;
    let listed = &body["games"][0];
    assert_eq!(listed["id"], first.to_string());
    assert_eq!(listed["status"], "finished");
    assert_eq!(listed["game_number"], 1);
    assert_eq!(listed["room_code"], p.code);
    assert_eq!(listed["rounds"], 1);
    assert_eq!(listed["my_score"], 1);
    let (_, body) = p.app.get(Some(&outsider), "/api/me/games").await;
    assert_eq!(body["total"], 0);
    let (status, body) = p
        .app
        .get(Some(&outsider), "/api/me/games?per_page=101")
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, body) = p.app.get(Some(&outsider), "/api/me/games?page=x").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    // The record: every round's question, answers with authors and voters, final scores.
    let (status, body) = p
        .app
        .get(Some(&p.players[2]), &format!("/api/games/{first}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let game = &body["game"];
    assert_eq!(game["game_number"], 1);
    assert_eq!(game["status"], "finished");
    let rounds = game["rounds"].as_array().expect("rounds");
    assert_eq!(rounds.len(), 1);
    assert!(
        rounds[0]["question"]
            .as_str()
            .is_some_and(|q| !q.is_empty())
    );
    let answers = rounds[0]["answers"].as_array().expect("answers");
    assert_eq!(answers.len(), 3);
    for a in answers {
        assert_eq!(a["votes"], 1, "{a}");
        assert_eq!(a["voters"].as_array().map(Vec::len), Some(1));
        assert!(a["display_name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(
            a["content"]
                .as_str()
                .is_some_and(|c| c.starts_with("answer "))
        );
    }
    let scores = game["final_scores"].as_array().expect("scores");
    assert_eq!(scores.len(), 3);
    assert!(scores.iter().all(|s| s["score"] == 1 && s["rank"] == 1));
    // The running game shows no round yet: nothing is revealed before a round ends.
    let (status, body) = p
        .app
        .get(Some(&p.players[1]), &format!("/api/games/{second}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["game"]["rounds"], json!([]));

    let (status, body) = p
        .app
        .get(Some(&outsider), &format!("/api/games/{first}"))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_participant");
    let (status, body) = p
        .app
        .get(Some(&outsider), &format!("/api/games/{}", Uuid::new_v4()))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "game_not_found");

    // The export is the host's.
    let export = format!("/api/games/{first}/export");
    let (status, body) = p
        .app
        .get(Some(&p.players[1]), &format!("{export}?format=csv"))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_host");
    let (status, body) = p
        .app
        .get(Some(&outsider), &format!("{export}?format=csv"))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_participant");
    let (status, body) = p
        .app
        .get(Some(&p.players[0]), &format!("{export}?format=xml"))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, body) = p
        .app
        .get(Some(&p.players[0]), &format!("{export}?format=json"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["game"]["id"], first.to_string());

    let res = reqwest::Client::new()
        .get(p.app.url(&format!("{export}?format=csv")))
        .bearer_auth(&p.players[0].token)
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), StatusCode::OK);
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert!(header("content-type").starts_with("text/csv"));
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"game-{}-1.csv\"", p.code)
    );
    let csv = res.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("game_number,round_number,question,answer_id,answer,"));
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with("1,1,"), "{csv}");
}

#[sqlx::test]
async fn the_room_filter_refuses_or_masks_and_the_host_hides_an_answer(pool: PgPool) {
    let p = Table::open(
        pool,
        &["Host", "Ann", "Bob"],
        json!({"max_rounds": 2, "answer_seconds": 60, "vote_seconds": 60, "profanity_filter": "refuse"}),
    )
    .await;
    let data = p.socks[0]
        .ok("start_game", json!({"room_code": p.code}))
        .await;
    assert_eq!(data["round"]["round_number"], 1);
    let round_id = id(&data["round"]["id"]);
    let (status, room) = p.app.get_room(&p.players[1], &p.code).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(room["room"]["settings"]["profanity_filter"], "refuse");

    // Refused with a clear code; a clean answer goes through.
    p.socks[1]
        .refused(
            "submit_answer",
            json!({"round_id": round_id, "room_code": p.code, "answer": "you fucking idiot"}),
            "inappropriate_content",
        )
        .await;
    let answers = p
        .answer_each(round_id, |i| format!("clean answer {i}"))
        .await;
    let voting = p.socks[1].inbox.wait_for("voting_started", |_| true).await;
    assert_eq!(voting["answers"].as_array().map(Vec::len), Some(3));

    // Bob votes for Ann's answer; the host then hides it: the vote is withdrawn, Ann is told.
    p.socks[2]
        .ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[1]}),
        )
        .await;
    p.socks[1]
        .refused(
            "hide_answer",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[1]}),
            "not_host",
        )
        .await;
    let (status, _) = p
        .app
        .call(
            "POST",
            &format!("/api/game/rounds/{round_id}/hide"),
            &p.players[0],
            Some(json!({"answer_id": answers[1]})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for s in &p.socks {
        let hidden = s.inbox.wait_for("answer_hidden", |_| true).await;
        assert_eq!(hidden["answer_id"], answers[1].to_string());
        assert!(hidden.get("author_id").is_none(), "{hidden}");
    }
    let told = p.socks[1]
        .inbox
        .wait_for("my_answer_hidden", |_| true)
        .await;
    assert_eq!(told["answer_id"], answers[1].to_string());
    assert_eq!(p.socks[2].inbox.count("my_answer_hidden"), 0);
    p.socks[2]
        .refused(
            "submit_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[1]}),
            "answer_hidden",
        )
        .await;
    // Bob's vote was withdrawn, so he votes again; the round ends when all have voted.
    p.socks[1]
        .ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[0]}),
        )
        .await;
    p.socks[2]
        .ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[0]}),
        )
        .await;
    p.socks[0]
        .ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[2]}),
        )
        .await;
    let ended = p.socks[1].inbox.wait_for("round_ended", |_| true).await;
    let results = ended["results"].as_array().expect("results");
    assert_eq!(
        results.len(),
        2,
        "the hidden answer is not in the results: {ended}"
    );
    assert!(
        results
            .iter()
            .all(|r| r["answer_id"] != answers[1].to_string())
    );
    let (_, body) = p
        .app
        .get(
            Some(&p.players[1]),
            &format!("/api/game/rounds/{round_id}/answers"),
        )
        .await;
    assert_eq!(body["answers"].as_array().map(Vec::len), Some(2), "{body}");
}

#[sqlx::test]
async fn a_masking_room_stars_out_what_its_filter_matches(pool: PgPool) {
    let p = Table::open(
        pool,
        &["Host", "Ann"],
        json!({"max_rounds": 1, "profanity_filter": "mask"}),
    )
    .await;
    let data = p.socks[0]
        .ok("start_game", json!({"room_code": p.code}))
        .await;
    let round_id = id(&data["round"]["id"]);
    for (i, text) in ["what the shit", "a duck"].iter().enumerate() {
        p.socks[i]
            .ok(
                "submit_answer",
                json!({"round_id": round_id, "room_code": p.code, "answer": text}),
            )
            .await;
    }
    let voting = p.socks[0].inbox.wait_for("voting_started", |_| true).await;
    let shown: Vec<&str> = voting["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .filter_map(|a| a["content"].as_str())
        .collect();
    assert!(shown.contains(&"a duck"), "{voting}");
    assert!(
        shown
            .iter()
            .any(|a| a.starts_with("what the ") && a.contains('*') && !a.contains("shit")),
        "{voting}"
    );
}

#[sqlx::test]
async fn the_audience_watches_and_votes_apart_without_holding_the_game(pool: PgPool) {
    let p = Table::open(
        pool,
        &["Host", "Ann"],
        json!({"max_players": 2, "max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60, "audience_bonus": 3}),
    )
    .await;
    // The room is full: newcomers may watch. One over Socket.IO, one over REST.
    let fans = [p.app.register("Fan").await, p.app.register("Fon").await];
    let watcher = Sock::connect(&p.app.base, &fans[0].token, TransportType::Websocket).await;
    let data = watcher
        .ok("join_audience", json!({"room_code": p.code}))
        .await;
    assert_eq!(data["room"]["audience_count"], 1);
    assert_eq!(
        data["room"]["participants"].as_array().map(Vec::len),
        Some(2)
    );
    watcher.inbox.wait_for("room_state", |_| true).await;
    let (status, body) = p
        .app
        .call(
            "POST",
            &format!("/api/rooms/{}/audience", p.code),
            &fans[1],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["room"]["audience_count"], 2);
    let (status, body) = p.app.join(&fans[1], &p.code).await;
    assert_error(status, &body, StatusCode::CONFLICT, "room_full");

    let data = p.socks[0]
        .ok("start_game", json!({"room_code": p.code}))
        .await;
    let round_id = id(&data["round"]["id"]);
    watcher.inbox.wait_for("game_started", |_| true).await;
    watcher
        .refused(
            "submit_answer",
            json!({"round_id": round_id, "room_code": p.code, "answer": "me too"}),
            "not_participant",
        )
        .await;
    let answers = p.answer_each(round_id, |i| format!("answer {i}")).await;
    // Voting opened by the players alone; the audience sees it too.
    let voting = watcher.inbox.wait_for("voting_started", |_| true).await;
    assert_eq!(voting["answers"].as_array().map(Vec::len), Some(2));

    let counted = watcher
        .ok(
            "audience_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[1]}),
        )
        .await;
    assert_eq!(counted["audience_votes"], 1);
    watcher
        .refused(
            "audience_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[0]}),
            "already_voted",
        )
        .await;
    watcher
        .refused(
            "submit_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[0]}),
            "not_participant",
        )
        .await;
    p.socks[0]
        .refused(
            "audience_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[1]}),
            "not_audience",
        )
        .await;
    let (status, body) = p
        .app
        .call(
            "POST",
            &format!("/api/game/rounds/{round_id}/audience-vote"),
            &fans[1],
            Some(json!({"answer_id": answers[1]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["audience_votes"], 2);
    // Players hear the audience's counts (coalesced), apart from their own votes.
    p.socks[0]
        .inbox
        .wait_for("vote_totals", |v| {
            v["answers"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["audience_votes"] == 2))
        })
        .await;
    assert_eq!(p.socks[0].inbox.count("vote_update"), 0);
    // The audience voted, yet the round waits for the players.
    let (_, body) = p.app.get_room(&p.players[1], &p.code).await;
    assert_eq!(body["room"]["current_round"]["status"], "voting");

    p.socks[0]
        .ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[1]}),
        )
        .await;
    // The audience gets the players' votes as coalesced totals, not one by one.
    watcher
        .inbox
        .wait_for("vote_totals", |v| {
            v["answers"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["vote_count"] == 1))
        })
        .await;
    assert_eq!(watcher.inbox.count("vote_update"), 0);
    p.socks[1]
        .ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[0]}),
        )
        .await;
    let ended = watcher.inbox.wait_for("round_ended", |_| true).await;
    let results = ended["results"].as_array().expect("results");
    let of = |a: Uuid| {
        results
            .iter()
            .find(|r| r["answer_id"] == a.to_string())
            .cloned()
            .expect("result")
    };
    assert_eq!(
        (
            of(answers[1])["votes"].clone(),
            of(answers[1])["audience_votes"].clone()
        ),
        (json!(1), json!(2))
    );
    assert_eq!(of(answers[0])["audience_votes"], 0);
    // Ann's answer was the audience favourite: 1 vote + the host's bonus of 3.
    let board = ended["leaderboard"].as_array().expect("leaderboard");
    assert_eq!(
        board.len(),
        2,
        "the audience is not on the leaderboard: {ended}"
    );
    let ann = board
        .iter()
        .find(|e| e["user_id"] == p.players[1].id.to_string())
        .expect("ann");
    assert_eq!(ann["score"], 4);
}

#[sqlx::test]
async fn a_later_game_with_its_audience_and_hidden_answer_is_rebuilt_from_postgres(pool: PgPool) {
    let p = Table::open(
        pool,
        &["Host", "Ann"],
        json!({"max_players": 2, "max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60}),
    )
    .await;
    p.play_one_round_game().await;
    let fan = p.app.register("Fan").await;
    let (status, _) = p
        .app
        .call(
            "POST",
            &format!("/api/rooms/{}/audience", p.code),
            &fan,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let data = p.socks[0]
        .ok("play_again", json!({"room_code": p.code}))
        .await;
    let round_id = id(&data["round"]["id"]);
    let ann = p.socks[1]
        .ok(
            "submit_answer",
            json!({"round_id": round_id, "room_code": p.code, "answer": "hide me"}),
        )
        .await;
    p.socks[0]
        .ok(
            "hide_answer",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": ann["answer_id"]}),
        )
        .await;

    // Redis loses the room: it comes back from Postgres as it was.
    crate::common::redis_server::flush_prefix(&p.app.config.redis_url, &p.app.prefix).await;
    let (status, body) = p.app.get_room(&p.players[1], &p.code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let room = &body["room"];
    assert_eq!(room["game_number"], 2);
    assert_eq!(room["game_id"], round_id.to_string());
    assert_eq!(room["audience_count"], 1);
    assert_eq!(room["current_round"]["round_number"], 1);
    let (_, body) = p
        .app
        .get(
            Some(&p.players[1]),
            &format!("/api/game/{}/leaderboard", p.code),
        )
        .await;
    let board = body["leaderboard"].as_array().expect("leaderboard");
    assert_eq!(board.len(), 2);
    assert!(board.iter().all(|e| e["score"] == 0), "{body}");
    // The hidden answer stays off the ballot.
    p.socks[0]
        .ok(
            "submit_answer",
            json!({"round_id": round_id, "room_code": p.code, "answer": "kept"}),
        )
        .await;
    let voting = p.socks[1]
        .inbox
        .wait_for("voting_started", |v| v["round_id"] == round_id.to_string())
        .await;
    let shown = voting["answers"].as_array().expect("answers");
    assert_eq!(shown.len(), 1, "{voting}");
    assert_eq!(shown[0]["content"], "kept");
}

/// `POST /api/auth/guest` for `name`: status, body, and whether the auth cookie was set.
async fn guest(app: &TestApp, name: &str) -> (StatusCode, Value, bool) {
    let res = reqwest::Client::new()
        .post(app.url("/api/auth/guest"))
        .json(&json!({"display_name": name}))
        .send()
        .await
        .expect("guest");
    let cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .any(|c| c.to_str().is_ok_and(|c| c.starts_with("access_token=")));
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null), cookie)
}

fn guest_player(body: &Value, name: &str) -> Player {
    Player {
        id: id(&body["user"]["id"]),
        token: body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string(),
        email: String::new(),
        name: name.to_string(),
    }
}

/// A guest joins with a nickname only (a session like a login's: cookie and token), plays a
/// whole game beside an account, may not host a room or create a poll, and then upgrades in
/// place: the same user, so the game is still in their history, and they sign in by email.
#[sqlx::test]
async fn a_guest_plays_with_a_nickname_and_keeps_their_game_when_they_upgrade(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (s, body, cookie) = guest(&app, "  Gus  ").await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert!(cookie, "a guest gets the auth cookie, as a login does");
    assert_eq!(body["user"]["guest"], true, "{body}");
    assert_eq!(body["user"]["email"], Value::Null, "{body}");
    assert_eq!(body["user"]["display_name"], "Gus");
    assert_eq!(body["token_type"], "bearer");
    let gus = guest_player(&body, "Gus");
    for bad in ["", "G\u{200b}us", &"x".repeat(33)] {
        let (s, b, cookie) = guest(&app, bad).await;
        assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(!cookie);
    }

    // Hosting and creating polls need an account; so does a password.
    let (s, b) = app.post_room(&gus, json!({"settings": {}})).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "account_required");
    let poll = json!({"question": "Tea?", "options": ["yes", "no"]});
    let (s, b) = app.post_poll(&gus, poll.clone()).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "account_required");
    let (s, b) = app
        .call(
            "PATCH",
            "/api/auth/me",
            &gus,
            Some(json!({"password": "password123", "current_password": "x"})),
        )
        .await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "account_required");

    // A game with an account host and the guest.
    let host = app.register("Hana").await;
    let code = app
        .create_room(
            &host,
            json!({"max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60}),
        )
        .await;
    let players = vec![host, gus];
    let socks = seat(&[&app.base], &players, &code, TransportType::Websocket).await;
    let party = Table {
        app,
        players,
        socks,
        code,
    };
    let round = party.play_one_round_game().await;
    let gus = &party.players[1];
    let (s, games) = party.app.get(Some(gus), "/api/me/games").await;
    assert_eq!(s, StatusCode::OK, "{games}");
    assert_eq!(games["total"], 1, "{games}");
    assert_eq!(games["games"][0]["my_score"], 1, "{games}");
    let game_id = games["games"][0]["id"].clone();

    // The upgrade: same user, same history, a real sign-in from now on.
    let email = format!("gus-{}@example.com", Uuid::new_v4().simple());
    let (s, up) = party
        .app
        .call(
            "POST",
            "/api/auth/upgrade",
            gus,
            Some(json!({"email": email, "password": "password123"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{up}");
    assert_eq!(up["user"]["id"], gus.id.to_string());
    assert_eq!(up["user"]["guest"], false);
    assert_eq!(up["user"]["email"], email);
    let again = party.app.login(&email, "Gus").await;
    assert_eq!(again.id, gus.id, "the same user");
    let (_, games) = party.app.get(Some(&again), "/api/me/games").await;
    assert_eq!(games["games"][0]["id"], game_id, "{games}");
    let (s, record) = party
        .app
        .get(Some(&again), &format!("/api/games/{}", id(&game_id)))
        .await;
    assert_eq!(s, StatusCode::OK, "{record}");
    assert!(record.to_string().contains(&round.to_string()), "{record}");
    // Now an account: hosting works, a second upgrade does not.
    let (s, b) = party.app.post_poll(&again, poll).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = party
        .app
        .call(
            "POST",
            "/api/auth/upgrade",
            &again,
            Some(json!({"email": "other@example.com", "password": "password123"})),
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "not_guest");
    // Another guest cannot take that email.
    let (_, body, _) = guest(&party.app, "Ivy").await;
    let ivy = guest_player(&body, "Ivy");
    let (s, b) = party
        .app
        .call(
            "POST",
            "/api/auth/upgrade",
            &ivy,
            Some(json!({"email": email.to_uppercase(), "password": "password123"})),
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "email_taken");
}

/// A class behind one school address: 60 guests sign in and join one room within a minute
/// with the default limits (sign-ups and logins alone allow 30 a minute per address); a flood
/// of guest sign-ins from that address then meets `429` with `Retry-After`.
#[sqlx::test]
async fn sixty_guests_behind_one_address_get_into_one_room_and_a_flood_is_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let teacher = app.register("Teacher").await;
    let code = app.create_room(&teacher, json!({"max_players": 100})).await;
    let started = std::time::Instant::now();
    // Twenty arrive each second, as a class does after the code goes up on the board.
    let mut joined = 0;
    for wave in 0..3 {
        let arrivals = (0..20).map(|n| {
            let (app, code) = (&app, &code);
            async move {
                let name = format!("Pupil {}", wave * 20 + n);
                let (s, body, _) = guest(app, &name).await;
                assert_eq!(s, StatusCode::CREATED, "{name}: {body}");
                let pupil = guest_player(&body, &name);
                let (s, body) = app.join(&pupil, code).await;
                assert_eq!(s, StatusCode::OK, "{name}: {body}");
            }
        });
        futures::future::join_all(arrivals).await;
        joined += 20;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    let took = started.elapsed();
    assert_eq!(joined, 60);
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
    let (s, room) = app.get_room(&teacher, &code).await;
    assert_eq!(s, StatusCode::OK, "{room}");
    let names: Vec<&str> = room["room"]["participants"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["display_name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names.len(), 61, "{room}");
    assert!(names.contains(&"Pupil 59"), "{names:?}");

    // The same address keeps minting guests: refused once its budget (120 a minute, coming
    // back at 2 a second) is spent.
    let flood = std::time::Instant::now();
    let mut refused = 0;
    for n in 0..150 {
        let res = reqwest::Client::new()
            .post(app.url("/api/auth/guest"))
            .json(&json!({"display_name": format!("Bot {n}")}))
            .send()
            .await
            .expect("guest");
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers().contains_key("retry-after"));
            let body: Value = res.json().await.expect("json");
            assert_eq!(body["error"]["code"], "rate_limited");
            refused += 1;
        }
    }
    let allowed = 150 - refused;
    let refill = 2 * (started.elapsed().as_secs() + 1);
    assert!(
        allowed <= 60 + refill,
        "{allowed} of a flood of 150 let in after 60 ({:?})",
        flood.elapsed()
    );
    eprintln!("60 guests in the room after {took:?}; {refused} of the flood refused");
}

/// A player who leaves mid-vote in a room that hides votes is no longer counted: everyone hears
/// the new tally at once ("1 of 3 voted", not "1 of 4" until the round ends).
#[sqlx::test]
async fn a_player_leaving_mid_vote_lowers_the_hidden_tally_for_everyone(pool: PgPool) {
    let p = Table::open(
        pool,
        &["Host", "Ann", "Bob", "Cy"],
        json!({"max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60, "hide_votes": true}),
    )
    .await;
    let data = p.socks[0]
        .ok("start_game", json!({"room_code": p.code}))
        .await;
    let round_id = id(&data["round"]["id"]);
    let answers = p.answer_each(round_id, |i| format!("answer {i}")).await;
    for s in &p.socks {
        s.inbox.wait_for("voting_started", |_| true).await;
    }
    p.socks[0]
        .ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[1]}),
        )
        .await;
    for s in &p.socks {
        let tally = s.inbox.wait_for("votes_cast", |v| v["voted"] == 1).await;
        assert_eq!(tally["total"], 4, "{tally}");
    }
    let (status, body) = p.app.leave_room(&p.players[3], &p.code).await;
    assert!(status.is_success(), "{status} {body}");
    for s in &p.socks[..3] {
        let tally = s.inbox.wait_for("votes_cast", |v| v["total"] == 3).await;
        assert_eq!(tally["voted"], 1, "{tally}");
        assert_eq!(tally["round_id"], round_id.to_string(), "{tally}");
    }
}

/// A room that hides votes until the reveal (contract v3): while voting, every player hears
/// how many have voted (`votes_cast`), never a count per answer (no `vote_update`, and a
/// refreshed `room_state` shows none); the round's results then name who voted for each
/// answer. The same game with the setting off still sends `vote_update` (the v1 contract).
#[sqlx::test]
async fn a_room_that_hides_votes_tells_how_many_voted_and_reveals_who_voted_for_what(pool: PgPool) {
    let p = Table::open(
        pool,
        &["Host", "Ann", "Bob"],
        json!({"max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60, "hide_votes": true}),
    )
    .await;
    assert_eq!(
        p.socks[0].inbox.wait_for("room_state", |_| true).await["room"]["settings"]["hide_votes"],
        true
    );
    let data = p.socks[0]
        .ok("start_game", json!({"room_code": p.code}))
        .await;
    let round_id = id(&data["round"]["id"]);
    let answers = p.answer_each(round_id, |i| format!("answer {i}")).await;
    for s in &p.socks {
        s.inbox.wait_for("voting_started", |_| true).await;
    }
    // Host and Ann vote for Bob's answer; everyone hears 1 of 3, then 2 of 3.
    for (n, voter) in [0usize, 1].into_iter().enumerate() {
        let ack = p.socks[voter]
            .ok(
                "submit_vote",
                json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[2]}),
            )
            .await;
        // Not even the voter's own ack tells how many picked that answer.
        assert_eq!(ack["answer_id"], answers[2].to_string(), "{ack}");
        assert!(ack.get("vote_count").is_none(), "{ack}");
        for s in &p.socks {
            let tally = s
                .inbox
                .wait_for("votes_cast", |v| v["voted"] == n + 1)
                .await;
            assert_eq!(tally["total"], 3, "{tally}");
            assert_eq!(tally["round_id"], round_id.to_string());
        }
    }
    // A refresh mid-vote shows the answers without counts.
    let fresh = Sock::connect(&p.app.base, &p.players[2].token, TransportType::Websocket).await;
    fresh.ok("join_room", json!({"room_code": p.code})).await;
    let state = fresh.inbox.wait_for("room_state", |_| true).await;
    let listed = state["answers"].as_array().expect("answers").clone();
    assert_eq!(listed.len(), 3, "{state}");
    assert!(listed.iter().all(|a| a.get("votes").is_none()), "{state}");
    // Bob votes for Ann's: the round ends and the reveal names the voters.
    p.socks[2]
        .ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": p.code, "answer_id": answers[1]}),
        )
        .await;
    let ended = p.socks[1]
        .inbox
        .wait_for("round_ended", |v| v["round_id"] == round_id.to_string())
        .await;
    let results = ended["results"].as_array().expect("results");
    let of = |answer: Uuid| {
        results
            .iter()
            .find(|r| r["answer_id"] == answer.to_string())
            .unwrap_or_else(|| panic!("{answer} in {ended}"))
    };
    let names = |r: &Value| -> Vec<String> {
        r["voters"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|x| x["display_name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(of(answers[2])["votes"], 2);
    assert_eq!(names(of(answers[2])), vec!["Host", "Ann"], "{ended}");
    assert_eq!(names(of(answers[1])), vec!["Bob"], "{ended}");
    assert!(names(of(answers[0])).is_empty(), "{ended}");
    for s in &p.socks {
        assert_eq!(
            s.inbox.count("vote_update"),
            0,
            "a count leaked while voting"
        );
    }
}

/// Two guests who pick one name are told apart in the room, and a room that refuses rude
/// words refuses them in a guest's name too (a guest's name meets no other check).
#[sqlx::test]
async fn guests_of_one_name_are_told_apart_and_the_rooms_filter_screens_names(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Hana").await;
    let code = app
        .create_room(&host, json!({"profanity_filter": "refuse"}))
        .await;
    let mut shown = Vec::new();
    for name in ["Sam", "sam"] {
        let (_, body, _) = guest(&app, name).await;
        let (s, body) = app.join(&guest_player(&body, name), &code).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let me = body["room"]["participants"]
            .as_array()
            .and_then(|ps| ps.last())
            .map(|p| p["display_name"].clone());
        shown.push(me.expect("the joiner is listed"));
    }
    assert_eq!(shown, vec![json!("Sam"), json!("sam 2")]);
    let (_, body, _) = guest(&app, "fuck face").await;
    let (s, body) = app.join(&guest_player(&body, "rude"), &code).await;
    assert_error(
        s,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "inappropriate_content",
    );
}

/// Makes the room's screen link as `who`; returns the status and body.
async fn screen_link(app: &TestApp, who: &Player, code: &str) -> (StatusCode, Value) {
    app.call("POST", &format!("/api/rooms/{code}/screen"), who, None)
        .await
}

#[sqlx::test]
async fn a_screen_shows_the_whole_round_without_a_seat_and_its_link_can_be_revoked(pool: PgPool) {
    let p = Table::open(
        pool,
        &["Host", "Ann", "Bob"],
        json!({"max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60}),
    )
    .await;
    // Only the host makes the screen link.
    let (status, body) = screen_link(&p.app, &p.players[1], &p.code).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_host");
    let (status, body) = screen_link(&p.app, &p.players[0], &p.code).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let key = body["screen_key"].as_str().expect("screen_key").to_string();
    assert_eq!(body["path"], format!("/screen/{}#{key}", p.code));
    let credential = format!("{}:{key}", p.code);

    // The screen connects, sees the room as nobody in it, and may not play.
    let screen = Sock::screen(&p.app.base, &credential)
        .await
        .expect("the screen connects");
    let state = screen.inbox.wait_for("room_state", |_| true).await;
    assert_eq!(state["room"]["code"], p.code);
    assert_eq!(
        state["room"]["participants"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(state["room"]["audience_count"], 0, "{state}");
    screen
        .refused("start_game", json!({"room_code": p.code}), "unauthorized")
        .await;
    screen
        .refused("join_room", json!({"room_code": p.code}), "unauthorized")
        .await;

    // A whole round: voting starts when the three players have answered, as without a screen,
    // and the round ends when the three have voted.
    let data = p.socks[0]
        .ok("start_game", json!({"room_code": p.code}))
        .await;
    let round_id = id(&data["round"]["id"]);
    let started = screen.inbox.wait_for("game_started", |_| true).await;
    assert_eq!(started["round_id"], round_id.to_string());
    assert!(started["question"].as_str().is_some_and(|q| !q.is_empty()));
    p.play_round(round_id).await;
    let ticks = screen.inbox.wait_count("answer_submitted", 3).await;
    let mut who: Vec<String> = ticks
        .iter()
        .map(|t| t["user_id"].as_str().unwrap_or_default().to_string())
        .collect();
    who.sort();
    let mut players: Vec<String> = p.players.iter().map(|pl| pl.id.to_string()).collect();
    players.sort();
    assert_eq!(who, players, "the screen ticks each player who answered");
    assert!(
        ticks
            .iter()
            .all(|t| t.get("answer").is_none() && t.get("content").is_none())
    );
    assert_eq!(
        ticks[2]["total_players"], 3,
        "the screen is no player: {ticks:?}"
    );
    let voting = screen.inbox.wait_for("voting_started", |_| true).await;
    assert_eq!(voting["answers"].as_array().map(Vec::len), Some(3));
    assert_eq!(screen.inbox.wait_count("vote_update", 3).await.len(), 3);
    let ended = screen
        .inbox
        .wait_for("round_ended", |v| v["round_id"] == round_id.to_string())
        .await;
    assert_eq!(ended["results"].as_array().map(Vec::len), Some(3));
    p.socks[0]
        .ok("next_round", json!({"room_code": p.code}))
        .await;
    let end = screen.inbox.wait_for("game_ended", |_| true).await;
    assert_eq!(end["final_leaderboard"].as_array().map(Vec::len), Some(3));

    // A wrong key, a mangled credential and another room's key open nothing.
    let wrong = format!("{}:{}", p.code, "0".repeat(64));
    assert!(Sock::screen(&p.app.base, &wrong).await.is_err());
    assert!(Sock::screen(&p.app.base, &key).await.is_err());
    let other = p.app.create_room(&p.players[1], json!({})).await;
    let (_, body) = screen_link(&p.app, &p.players[1], &other).await;
    let other_key = body["screen_key"].as_str().expect("screen_key");
    assert!(
        Sock::screen(&p.app.base, &format!("{}:{other_key}", p.code))
            .await
            .is_err()
    );
    assert!(
        Sock::screen(&p.app.base, &format!("{other}:{other_key}"))
            .await
            .is_ok()
    );

    // A new link replaces the old: the open screen is closed and its key refused.
    let (status, body) = screen_link(&p.app, &p.players[0], &p.code).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // (The server says `session_ended {reason: "revoked"}` first; this client may drop an
    // event that comes right before its disconnect, so the close is what is asserted.)
    screen.inbox.wait_for("close", |_| true).await;
    assert!(Sock::screen(&p.app.base, &credential).await.is_err());
    let second = format!("{}:{}", p.code, body["screen_key"].as_str().expect("key"));
    let screen = Sock::screen(&p.app.base, &second)
        .await
        .expect("the new link opens a screen");
    screen.inbox.wait_for("room_state", |_| true).await;

    // Revoking: only the host; then the open screen closes and the key opens nothing.
    let path = format!("/api/rooms/{}/screen", p.code);
    let (status, body) = p.app.call("DELETE", &path, &p.players[2], None).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_host");
    let (status, _) = p.app.call("DELETE", &path, &p.players[0], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    screen.inbox.wait_for("close", |_| true).await;
    assert!(Sock::screen(&p.app.base, &second).await.is_err());
}

/// The players of a `host_plays: false` room (contract v3): Ann, Bob and Cy, each with a
/// socket in the room; the host with a socket of their own that joined by the room's code.
async fn outside_host_room(pool: PgPool) -> (Table, Sock) {
    let app = spawn_app(pool).await;
    let host = app.register("Quizmaster").await;
    let (status, body) = app
        .post_room(&host, json!({"settings": {"host_plays": "no"}}))
        .await;
    // As for any setting of the wrong type: 400, naming the field.
    assert_error(status, &body, StatusCode::BAD_REQUEST, "malformed_request");
    assert!(body.to_string().contains("host_plays"), "{body}");
    let code = app
        .create_room(
            &host,
            json!({"host_plays": false, "max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60}),
        )
        .await;
    let host_sock = seat(
        &[&app.base],
        std::slice::from_ref(&host),
        &code,
        TransportType::Websocket,
    )
    .await
    .remove(0);
    let mut players = Vec::new();
    for name in ["Ann", "Bob", "Cy"] {
        players.push(app.register(name).await);
    }
    let socks = seat(&[&app.base], &players, &code, TransportType::Websocket).await;
    players.insert(0, host);
    let party = Table {
        app,
        players,
        socks,
        code,
    };
    (party, host_sock)
}

fn user_ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|e| e["user_id"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

/// A host who does not play (contract v3, `host_plays: false`) runs the game from a phone:
/// they are no participant, the start needs players without them, each phase ends once the
/// three players acted, their own answer and vote are refused, and no board or record lists
/// them; yet their socket hears everything and they host throughout.
#[sqlx::test]
async fn a_host_who_does_not_play_runs_the_game_from_outside_it(pool: PgPool) {
    let (p, host) = outside_host_room(pool).await;
    let host_id = p.players[0].id.to_string();
    let three: Vec<String> = {
        let mut ids: Vec<String> = p.players[1..].iter().map(|u| u.id.to_string()).collect();
        ids.sort();
        ids
    };
    // Their own room_state names them as host without a seat; it then hears every join.
    let state = host.inbox.wait_for("room_state", |_| true).await;
    assert_eq!(state["room"]["participants"], json!([]), "{state}");
    assert_eq!(
        state["room"]["host"],
        json!({"user_id": host_id, "display_name": "Quizmaster", "plays": false, "connected": true})
    );
    assert_eq!(state["room"]["settings"]["host_plays"], false);
    host.inbox.wait_count("player_joined", 3).await;
    // Opening their own join link over REST changes nothing: still the host, still no player.
    let (status, body) = p.app.join(&p.players[0], &p.code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(user_ids(&body["room"]["participants"]), three);
    assert_eq!(body["room"]["host_id"], host_id);

    let data = host.ok("start_game", json!({"room_code": p.code})).await;
    let round_id = id(&data["round"]["id"]);
    let round = json!({"round_id": round_id, "room_code": p.code});
    let mut ask = round.clone();
    ask["answer"] = json!("the host's own");
    host.refused("submit_answer", ask, "not_participant").await;
    let mut answers = Vec::new();
    for (i, s) in p.socks.iter().enumerate() {
        let mut ask = round.clone();
        ask["answer"] = json!(format!("answer {i}"));
        answers.push(id(&s.ok("submit_answer", ask).await["answer_id"]));
    }
    // Three answers were all the round waited for (its clock has most of a minute left).
    let voting = host.inbox.wait_for("voting_started", |_| true).await;
    assert_eq!(voting["answers"].as_array().map(Vec::len), Some(3));
    let mut ballot = round.clone();
    ballot["answer_id"] = json!(answers[0]);
    host.refused("submit_vote", ballot, "not_participant").await;
    for (i, s) in p.socks.iter().enumerate() {
        let mut ballot = round.clone();
        ballot["answer_id"] = json!(answers[(i + 1) % 3]);
        s.ok("submit_vote", ballot).await;
    }
    let ended = host.inbox.wait_for("round_ended", |_| true).await;
    assert_eq!(user_ids(&ended["leaderboard"]), three, "{ended}");
    let end = host.ok("next_round", json!({"room_code": p.code})).await;
    assert_eq!(user_ids(&end["final_leaderboard"]), three, "{end}");
    let over = host.inbox.wait_for("game_ended", |_| true).await;
    assert_eq!(user_ids(&over["final_leaderboard"]), three, "{over}");

    // The finished game's record, which its host may read, lists the three alone.
    let (status, body) = p
        .app
        .get(Some(&p.players[0]), &format!("/api/games/{round_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(user_ids(&body["game"]["final_scores"]), three, "{body}");

    // Play again: whether the host plays is fixed with the room; the next game is the three's.
    host.refused(
        "play_again",
        json!({"room_code": p.code, "settings": {"host_plays": true}}),
        "validation_failed",
    )
    .await;
    host.ok("play_again", json!({"room_code": p.code})).await;
    let reset = host.inbox.wait_for("game_reset", |_| true).await;
    assert_eq!(user_ids(&reset["leaderboard"]), three, "{reset}");

    // Still the host: they kick, and when they leave the room passes to its longest-standing
    // player, who plays on as its host.
    host.ok(
        "kick_player",
        json!({"room_code": p.code, "user_id": p.players[3].id}),
    )
    .await;
    host.ok("leave_room", json!({"room_code": p.code})).await;
    let ann = p.players[1].id.to_string();
    p.socks[1]
        .inbox
        .wait_for("host_changed", |v| v["host_id"] == ann)
        .await;
    let (_, body) = p.app.get_room(&p.players[1], &p.code).await;
    assert_eq!(body["room"]["host"]["plays"], true, "{body}");
    assert_eq!(body["room"]["host"]["display_name"], "Ann");
}

/// Redis loses a `host_plays: false` room mid-round: rebuilt from Postgres, its host is still
/// its host and still no player, and the round still waits for the players alone.
#[sqlx::test]
async fn a_host_who_does_not_play_is_rebuilt_from_postgres_without_a_seat(pool: PgPool) {
    let (p, host) = outside_host_room(pool).await;
    let data = host.ok("start_game", json!({"room_code": p.code})).await;
    let round_id = id(&data["round"]["id"]);
    p.socks[0]
        .ok(
            "submit_answer",
            json!({"round_id": round_id, "room_code": p.code, "answer": "before the loss"}),
        )
        .await;

    crate::common::redis_server::flush_prefix(&p.app.config.redis_url, &p.app.prefix).await;
    let (status, body) = p.app.get_room(&p.players[0], &p.code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let room = &body["room"];
    assert_eq!(
        room["participants"].as_array().map(Vec::len),
        Some(3),
        "{body}"
    );
    assert_eq!(room["host"]["plays"], false, "{body}");
    assert_eq!(room["host"]["display_name"], "Quizmaster");
    host.refused(
        "submit_answer",
        json!({"round_id": round_id, "room_code": p.code, "answer": "mine"}),
        "not_participant",
    )
    .await;
    for s in &p.socks[1..] {
        s.ok(
            "submit_answer",
            json!({"round_id": round_id, "room_code": p.code, "answer": "after"}),
        )
        .await;
    }
    host.inbox.wait_for("voting_started", |_| true).await;
}
