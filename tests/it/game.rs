//! The game end to end over real Socket.IO (WebSocket and long-polling) against the real
//! server, Postgres and Redis: four players, whole games, every refusal, reconnects, deadlines.

use crate::common::{
    assert_error, assert_invalid_field, id, socket::Sock, spawn_app, table::Table,
};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use std::collections::HashMap;
use tf_rust_socketio::TransportType;
use uuid::Uuid;

const FOUR: &[&str] = &["Host", "Ann", "Bob", "Cat"];

async fn answer_all(t: &Table, round_id: Uuid, who: &[usize]) -> HashMap<Uuid, usize> {
    let mut authors = HashMap::new();
    for &i in who {
        let data = t.socks[i]
            .ok("submit_answer", json!({"round_id": round_id, "room_code": t.code, "answer": format!("answer of {}", t.players[i].name)}))
            .await;
        authors.insert(id(&data["answer_id"]), i);
    }
    authors
}

async fn play_whole_game(transport: TransportType, pool: PgPool) {
    let t = Table::open_over(
        pool.clone(),
        FOUR,
        json!({"max_rounds": 2, "answer_seconds": 3, "vote_seconds": 3}),
        transport,
    )
    .await;
    let code = t.code.clone();
    let mut score = [0u32; 4];

    // Only the host starts the game.
    t.socks[1]
        .refused("start_game", json!({"room_code": code}), "not_host")
        .await;
    let data = t.socks[0]
        .ok("start_game", json!({"room_code": code}))
        .await;
    let round_id = id(&data["round"]["id"]);
    for s in &t.socks {
        let started = s.inbox.wait_for("game_started", |_| true).await;
        assert_eq!(started["round_id"], round_id.to_string());
        assert_eq!(started["round_number"], 1);
        assert_eq!(started["status"], "answering");
        assert_eq!(started["time_limit"], 3);
        assert!(started["question"].as_str().is_some_and(|q| q.len() > 5));
    }

    // Round 1 ends its phases because everyone acted.
    t.socks[1]
        .refused(
            "submit_vote",
            json!({"round_id": round_id, "room_code": code, "answer_id": Uuid::new_v4()}),
            "wrong_phase",
        )
        .await;
    let mut authors = answer_all(&t, round_id, &[0, 1, 2]).await;
    t.socks[1]
        .refused(
            "submit_answer",
            json!({"round_id": round_id, "room_code": code, "answer": "again"}),
            "already_answered",
        )
        .await;
    authors.extend(answer_all(&t, round_id, &[3]).await);
    t.socks[1]
        .refused(
            "submit_answer",
            json!({"round_id": round_id, "room_code": code, "answer": "late"}),
            "wrong_phase",
        )
        .await;
    let counts = t.socks[0].inbox.wait_count("answer_submitted", 4).await;
    assert!(
        counts
            .iter()
            .any(|c| c["submitted_count"] == 4 && c["total_players"] == 4)
    );
    assert!(
        counts
            .iter()
            .all(|c| c.get("content").is_none() && c.get("answer").is_none())
    );
    let voting = t.socks[2].inbox.wait_for("voting_started", |_| true).await;
    let shown = voting["answers"].as_array().expect("answers");
    assert_eq!(shown.len(), 4);
    assert!(
        shown
            .iter()
            .all(|a| a.as_object().is_some_and(|o| o.len() == 2)),
        "no authors while voting: {voting}"
    );

    let answer_of = |i: usize| {
        *authors
            .iter()
            .find(|(_, a)| **a == i)
            .map(|(id, _)| id)
            .expect("answer")
    };
    t.socks[1]
        .refused(
            "submit_vote",
            json!({"round_id": round_id, "room_code": code, "answer_id": answer_of(1)}),
            "own_answer",
        )
        .await;
    t.socks[1]
        .refused(
            "submit_vote",
            json!({"round_id": round_id, "room_code": code, "answer_id": Uuid::new_v4()}),
            "answer_not_found",
        )
        .await;
    t.socks[1]
        .refused(
            "submit_vote",
            json!({"round_id": Uuid::new_v4(), "room_code": code, "answer_id": answer_of(2)}),
            "stale_round",
        )
        .await;
    t.socks[0]
        .refused("next_round", json!({"room_code": code}), "wrong_phase")
        .await;
    // Ann and Bob and Cat vote for the host, the host for Ann.
    for (voter, target) in [(1, 0), (2, 0), (3, 0)] {
        let data = t.socks[voter]
            .ok(
                "submit_vote",
                json!({"round_id": round_id, "room_code": code, "answer_id": answer_of(target)}),
            )
            .await;
        assert_eq!(data["answer_id"], answer_of(target).to_string());
        score[target] += 1;
    }
    t.socks[2]
        .refused(
            "submit_vote",
            json!({"round_id": round_id, "room_code": code, "answer_id": answer_of(1)}),
            "already_voted",
        )
        .await;
    t.socks[0]
        .ok(
            "submit_vote",
            json!({"round_id": round_id, "room_code": code, "answer_id": answer_of(1)}),
        )
        .await;
    score[1] += 1;
    let updates = t.socks[3].inbox.wait_count("vote_update", 4).await;
    assert!(
        updates
            .iter()
            .any(|u| u["answer_id"] == answer_of(0).to_string() && u["vote_count"] == 3)
    );
    let ended = t.socks[3]
        .inbox
        .wait_for("round_ended", |v| v["round_number"] == 1)
        .await;
    let results = ended["results"].as_array().expect("results");
    assert_eq!(results[0]["author_id"], t.players[0].id.to_string());
    assert_eq!(results[0]["votes"], 3);
    assert_eq!(results[0]["display_name"], "Host");
    assert_eq!(
        ended["leaderboard"][0]["user_id"],
        t.players[0].id.to_string()
    );
    assert_eq!(ended["leaderboard"][0]["rank"], 1);
    assert_eq!(
        ended["leaderboard"][2]["rank"], 3,
        "ties share a rank: {}",
        ended["leaderboard"]
    );
    assert_eq!(ended["leaderboard"][3]["rank"], 3);

    // Round 2: the host ends answering early; voting ends at its deadline with no action.
    t.socks[1]
        .refused("next_round", json!({"room_code": code}), "not_host")
        .await;
    let data = t.socks[0]
        .ok("next_round", json!({"room_code": code}))
        .await;
    let round2 = id(&data["round"]["id"]);
    let started = t.socks[1].inbox.wait_for("round_started", |_| true).await;
    assert_eq!(started["round_number"], 2);
    assert_ne!(
        started["question"],
        t.socks[1].inbox.all("game_started")[0]["question"],
        "no repeated question"
    );
    t.socks[1]
        .refused(
            "submit_answer",
            json!({"round_id": round_id, "room_code": code, "answer": "late"}),
            "stale_round",
        )
        .await;
    let authors2 = answer_all(&t, round2, &[1, 2]).await;
    t.socks[1]
        .refused(
            "start_voting",
            json!({"round_id": round2, "room_code": code}),
            "not_host",
        )
        .await;
    let data = t.socks[0]
        .ok(
            "start_voting",
            json!({"round_id": round2, "room_code": code}),
        )
        .await;
    assert_eq!(data["round"]["status"], "voting");
    let a2 = *authors2
        .iter()
        .find(|(_, a)| **a == 2)
        .map(|(id, _)| id)
        .expect("bob's");
    t.socks[3]
        .ok(
            "submit_vote",
            json!({"round_id": round2, "room_code": code, "answer_id": a2}),
        )
        .await;
    score[2] += 1;
    let voting = t.socks[0]
        .inbox
        .wait_for("voting_started", |v| v["round_id"] == round2.to_string())
        .await;
    let deadline: DateTime<Utc> = voting["deadline"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .expect("deadline");
    let ended = t.socks[0]
        .inbox
        .wait_for("round_ended", |v| v["round_number"] == 2)
        .await;
    assert_eq!(ended["results"].as_array().map(Vec::len), Some(2));
    let late = Utc::now().signed_duration_since(deadline);
    assert!(
        late < chrono::Duration::milliseconds(900),
        "ended {late:?} after its deadline"
    );
    assert!(
        late > chrono::Duration::milliseconds(-50),
        "ended before its deadline: {late:?}"
    );

    // After the last round, next_round ends the game.
    let data = t.socks[0]
        .ok("next_round", json!({"room_code": code}))
        .await;
    let final_lb = data["final_leaderboard"].as_array().expect("final").clone();
    for s in &t.socks {
        let ended = s.inbox.wait_for("game_ended", |_| true).await;
        assert_eq!(ended["final_leaderboard"].as_array(), Some(&final_lb));
    }
    let got: HashMap<String, u64> = final_lb
        .iter()
        .map(|e| {
            (
                e["user_id"].as_str().unwrap_or_default().to_string(),
                e["score"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    for (i, p) in t.players.iter().enumerate() {
        assert_eq!(
            got.get(&p.id.to_string()).copied(),
            Some(u64::from(score[i])),
            "{}",
            p.name
        );
    }
    // The durable record agrees: scores equal votes received.
    let db_total: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(points), 0)::BIGINT FROM scores s JOIN rooms r ON r.id = s.room_id WHERE r.code = $1")
        .bind(&code)
        .fetch_one(&pool)
        .await
        .expect("scores");
    assert_eq!(db_total, i64::from(score.iter().sum::<u32>()));
    let votes: i64 = sqlx::query_scalar("SELECT count(*) FROM votes v JOIN rounds x ON x.id = v.round_id JOIN rooms r ON r.id = x.room_id WHERE r.code = $1")
        .bind(&code)
        .fetch_one(&pool)
        .await
        .expect("votes");
    assert_eq!(votes, db_total);
    t.socks[0]
        .refused("next_round", json!({"room_code": code}), "game_finished")
        .await;
    let outsider = t.app.register("Late").await;
    let (s, body) = t.app.join(&outsider, &code).await;
    assert_error(s, &body, StatusCode::CONFLICT, "game_finished");
}

#[sqlx::test]
async fn four_players_play_a_whole_two_round_game_over_websocket(pool: PgPool) {
    play_whole_game(TransportType::Websocket, pool).await;
}

#[sqlx::test]
async fn four_players_play_a_whole_two_round_game_over_long_polling(pool: PgPool) {
    play_whole_game(TransportType::Polling, pool).await;
}

#[sqlx::test]
async fn the_answering_phase_ends_at_its_deadline_with_nobody_acting(pool: PgPool) {
    let t = Table::open(pool, FOUR, json!({"answer_seconds": 3, "vote_seconds": 3})).await;
    t.socks[0]
        .ok("start_game", json!({"room_code": t.code}))
        .await;
    let started = t.socks[1].inbox.wait_for("game_started", |_| true).await;
    let deadline: DateTime<Utc> = started["deadline"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .expect("deadline");
    let voting = t.socks[1].inbox.wait_for("voting_started", |_| true).await;
    let late = Utc::now().signed_duration_since(deadline);
    assert!(
        late < chrono::Duration::milliseconds(900),
        "voting started {late:?} after the deadline"
    );
    assert!(late > chrono::Duration::milliseconds(-50));
    // With no answers, voting ends at once.
    assert_eq!(voting["answers"], json!([]));
    let ended = t.socks[1].inbox.wait_for("round_ended", |_| true).await;
    assert_eq!(ended["results"], json!([]));
}

#[sqlx::test]
async fn twenty_simultaneous_votes_from_one_player_count_once(pool: PgPool) {
    let t = Table::open(
        pool,
        FOUR,
        json!({"answer_seconds": 30, "vote_seconds": 30}),
    )
    .await;
    let data = t.socks[0]
        .ok("start_game", json!({"room_code": t.code}))
        .await;
    let round_id = id(&data["round"]["id"]);
    let authors = answer_all(&t, round_id, &[0, 1, 2, 3]).await;
    t.socks[0].inbox.wait_for("voting_started", |_| true).await;
    let target = *authors
        .iter()
        .find(|(_, a)| **a == 0)
        .map(|(id, _)| id)
        .expect("host answer");
    // Ten over the socket (no callback: failures come back as `error` events) and ten over
    // REST, all at once.
    let sock = &t.socks[1];
    let payload = json!({"round_id": round_id, "room_code": t.code, "answer_id": target});
    let socket_votes =
        futures::future::join_all((0..10).map(|_| sock.emit("submit_vote", payload.clone())));
    let rest_votes = futures::future::join_all(
        (0..10).map(|_| t.app.vote_answer(&t.players[1], &round_id, &target)),
    );
    let (_, rest) = tokio::join!(socket_votes, rest_votes);
    let created = rest
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let refused = rest
        .iter()
        .filter(|(s, b)| *s == StatusCode::CONFLICT && b["error"]["code"] == "already_voted")
        .count();
    assert_eq!(created + refused, 10);
    // Every socket vote is answered: one that counted by the room's `vote_update`, each refused
    // one by an `error` event; all twenty are in once the refusals make up the rest.
    let refusals = |i: &crate::common::socket::Inbox| {
        i.all("error")
            .into_iter()
            .filter(|e| e["code"] == "already_voted" && e["event"] == "submit_vote")
            .count()
    };
    t.socks[2].inbox.wait_count("vote_update", 1).await;
    sock.inbox
        .wait_until("the refusal of every socket vote but a counted one", |i| {
            refusals(i) + (1 - created.min(1)) >= 10
        })
        .await;
    let errors = sock
        .inbox
        .all("error")
        .into_iter()
        .filter(|e| e["code"] == "already_voted" && e["event"] == "submit_vote")
        .count();
    assert_eq!(
        created + (10 - errors),
        1,
        "exactly one of twenty votes counted"
    );
    let updates = t.socks[2].inbox.all("vote_update");
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0]["vote_count"], 1);
    let (_, board) = t.app.answers(&t.players[2], &round_id).await;
    assert!(
        board["answers"]
            .as_array()
            .is_some_and(|a| a.iter().all(|x| x.get("author_id").is_none())),
        "{board}"
    );
}

#[sqlx::test]
async fn malformed_payloads_get_an_error_and_the_socket_stays(pool: PgPool) {
    let t = Table::open(pool, FOUR, json!({})).await;
    let s = &t.socks[1];
    for (event, payload) in [
        ("join_room", json!("ABCDEF")),
        ("join_room", json!(42)),
        ("join_room", json!({"room_code": 7})),
        ("join_room", json!({})),
        (
            "submit_answer",
            json!({"round_id": "nope", "room_code": t.code, "answer": "x"}),
        ),
        (
            "submit_vote",
            json!({"round_id": Uuid::new_v4(), "room_code": t.code}),
        ),
        ("kick_player", json!({"room_code": t.code, "user_id": []})),
        ("start_game", json!(null)),
    ] {
        s.refused(event, payload, "malformed_request").await;
    }
    // Without a callback the failure arrives as an `error` event naming the event.
    s.emit("start_voting", json!([1, 2])).await;
    let err = s
        .inbox
        .wait_for("error", |e| e["event"] == "start_voting")
        .await;
    assert_eq!(err["code"], "malformed_request");
    s.refused(
        "join_room",
        json!({"room_code": "ZZZZZZ"}),
        "room_not_found",
    )
    .await;
    s.refused(
        "submit_answer",
        json!({"round_id": Uuid::new_v4(), "room_code": t.code, "answer": "x"}),
        "stale_round",
    )
    .await;
    // Still connected and served.
    s.ok("join_room", json!({"room_code": t.code})).await;
}

#[sqlx::test]
async fn connections_without_a_valid_token_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let p = app.register("Ann").await;
    let revoked = app.register("Bob").await;
    let (s, _) = app.call("POST", "/api/auth/logout", &revoked, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let mut tampered = p.token.clone();
    tampered.insert(20, 'x');
    // No credentials at all is an anonymous socket (contract v2: it may watch polls), which
    // every game event refuses.
    let anonymous = Sock::handshake(&app.base, Default::default())
        .await
        .expect("an anonymous socket connects");
    anonymous
        .refused("join_room", json!({"room_code": "ZZZZZZ"}), "unauthorized")
        .await;
    for token in [
        Some("garbage"),
        Some(tampered.as_str()),
        Some(revoked.token.as_str()),
    ] {
        let inbox = Sock::try_connect(&app.base, token).await;
        assert_eq!(inbox.count("connect"), 0, "{token:?} must not connect");
        assert!(
            inbox.count("error") >= 1,
            "{token:?} should see connect_error: {:?}",
            inbox.names()
        );
    }
    // The auth cookie on the handshake works like `auth: {token}`.
    let s = Sock::connect_with_cookie(&app.base, &p.token).await;
    s.refused(
        "join_room",
        json!({"room_code": "ZZZZZZ"}),
        "room_not_found",
    )
    .await;
}

#[sqlx::test]
async fn a_player_who_drops_mid_round_and_comes_back_finds_the_game_where_it_was(pool: PgPool) {
    let mut t = Table::open(
        pool,
        FOUR,
        json!({"answer_seconds": 60, "vote_seconds": 60}),
    )
    .await;
    let data = t.socks[0]
        .ok("start_game", json!({"room_code": t.code}))
        .await;
    let round_id = id(&data["round"]["id"]);
    let mine = t.socks[2]
        .ok(
            "submit_answer",
            json!({"round_id": round_id, "room_code": t.code, "answer": "I was here"}),
        )
        .await;
    let dropped = t.socks.remove(2);
    dropped.close().await;
    let gone = t.socks[0]
        .inbox
        .wait_for("player_disconnected", |_| true)
        .await;
    assert_eq!(gone["user_id"], t.players[2].id.to_string());
    let (_, room) = t.app.get_room(&t.players[0], &t.code).await;
    let bob = room["room"]["participants"]
        .as_array()
        .and_then(|l| l.iter().find(|p| p["display_name"] == "Bob").cloned())
        .expect("bob");
    assert_eq!(bob["connected"], false);

    let back = Sock::connect(&t.app.base, &t.players[2].token, TransportType::Websocket).await;
    back.ok("join_room", json!({"room_code": t.code})).await;
    let state = back.inbox.wait_for("room_state", |_| true).await;
    assert_eq!(state["round"]["id"], round_id.to_string());
    assert_eq!(state["round"]["status"], "answering");
    assert_eq!(state["my_answer_id"], mine["answer_id"]);
    assert_eq!(state["answers_submitted"], 1);
    assert_eq!(state["answers"], json!([]));
    assert!(state["my_vote"].is_null());
    assert_eq!(state["leaderboard"].as_array().map(Vec::len), Some(4));
    let again = t.socks[0]
        .inbox
        .wait_for("player_reconnected", |_| true)
        .await;
    assert_eq!(again["user_id"], t.players[2].id.to_string());
    let back_in = state["room"]["participants"]
        .as_array()
        .and_then(|l| l.iter().find(|p| p["display_name"] == "Bob").cloned())
        .expect("bob");
    assert_eq!(back_in["connected"], true);

    // The game goes on with them: the rest answer, voting starts, the voter sees it.
    for i in [0, 1, 2] {
        t.socks[i]
            .ok(
                "submit_answer",
                json!({"round_id": round_id, "room_code": t.code, "answer": format!("a{i}")}),
            )
            .await;
    }
    back.inbox.wait_for("voting_started", |_| true).await;
    let target = back.inbox.all("voting_started")[0]["answers"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["content"] != "I was here").cloned())
        .expect("another answer");
    back.ok(
        "submit_vote",
        json!({"round_id": round_id, "room_code": t.code, "answer_id": target["id"]}),
    )
    .await;
    let refreshed = Sock::connect(&t.app.base, &t.players[2].token, TransportType::Websocket).await;
    refreshed
        .ok("join_room", json!({"room_code": t.code}))
        .await;
    let state = refreshed.inbox.wait_for("room_state", |_| true).await;
    assert_eq!(state["round"]["status"], "voting");
    assert_eq!(state["my_vote"], target["id"]);
    let listed = state["answers"].as_array().expect("answers");
    assert_eq!(listed.len(), 4);
    assert!(
        listed
            .iter()
            .all(|a| a.get("author_id").is_none() && a.get("votes").is_some())
    );
}

#[sqlx::test]
async fn the_rest_mirror_plays_a_round_through_the_same_rules(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app
        .create_room(
            &host,
            json!({"max_rounds": 1, "answer_seconds": 60, "vote_seconds": 60}),
        )
        .await;
    let (s, body) = app.start_game(&host, &code).await;
    assert_error(s, &body, StatusCode::CONFLICT, "not_enough_players");
    app.join(&ann, &code).await;
    let (s, body) = app.start_game(&ann, &code).await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "not_host");
    let (s, body) = app.start_game(&host, &code).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let round = body["round"]["id"].as_str().expect("id").to_string();
    let (s, body) = app.answers(&ann, &round).await;
    assert_error(s, &body, StatusCode::CONFLICT, "wrong_phase");
    let (s, body) = app.answer(&ann, &round, "  ").await;
    assert_error(
        s,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (s, body) = app.answer(&ann, &round, "x".repeat(281)).await;
    assert_error(
        s,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (s, ann_answer) = app.answer(&ann, &round, "  Ann's  ").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, body) = app
        .call(
            "POST",
            &format!("/api/game/rounds/{round}/end"),
            &host,
            None,
        )
        .await;
    assert_error(s, &body, StatusCode::CONFLICT, "wrong_phase");
    let (s, body) = app.start_voting(&host, &round).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["round"]["status"], "voting");
    let (s, body) = app.answers(&host, &round).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        body["answers"],
        json!([{"id": ann_answer["answer_id"], "content": "Ann's"}])
    );
    let (s, body) = app
        .vote_answer(&ann, &round, &ann_answer["answer_id"])
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "own_answer");
    let (s, body) = app
        .vote_answer(&host, &round, &ann_answer["answer_id"])
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["vote_count"], 1);
    // Everyone who can vote has voted (Ann has nothing to vote for): the round is over.
    let (s, body) = app.answers(&host, &round).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["answers"][0]["author_id"], ann.id.to_string());
    assert_eq!(body["answers"][0]["display_name"], "Ann");
    assert_eq!(body["answers"][0]["votes"], 1);
    let (s, body) = app.leaderboard(&host, &code).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        body["leaderboard"][0],
        json!({"user_id": ann.id, "display_name": "Ann", "score": 1, "rank": 1})
    );
    let (s, body) = app.next_round(&host, &code).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["final_leaderboard"][0]["score"], 1);
    let (s, body) = app
        .vote_answer(&host, &Uuid::new_v4(), &Uuid::new_v4())
        .await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "round_not_found");
    let (s, body) = app
        .call(
            "POST",
            "/api/game/rounds/not-a-uuid/vote",
            &host,
            Some(json!({"answer_id": Uuid::new_v4()})),
        )
        .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "malformed_request");
}

#[sqlx::test]
async fn an_answer_holding_a_nul_is_refused_naming_the_field_and_the_round_goes_on(pool: PgPool) {
    let t = Table::open(pool, FOUR, json!({})).await;
    let data = t.socks[0]
        .ok("start_game", json!({"room_code": t.code}))
        .await;
    let round_id = data["round"]["id"].as_str().expect("round id").to_string();
    let (s, body) = t
        .app
        .answer(&t.players[1], &round_id, "bad\u{0}answer")
        .await;
    assert_invalid_field(s, &body, "answer");
    let ack = t.socks[2]
        .request(
            "submit_answer",
            json!({"round_id": round_id, "room_code": t.code, "answer": "\u{0}"}),
        )
        .await;
    assert_eq!(ack["error"]["code"], "validation_failed", "{ack}");
    // The same players answer normally afterwards: nothing of the refused text got anywhere.
    for i in [1, 2] {
        let (s, body) = t.app.answer(&t.players[i], &round_id, "fine").await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
}

#[sqlx::test]
async fn game_texts_refuse_invisible_and_direction_characters_and_keep_emoji(pool: PgPool) {
    let app = spawn_app(pool).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    // A theme with a zero-width space in it, and one spelt backwards by an override.
    for theme in ["Space\u{200b}ships", "\u{202e}spihsecaps"] {
        let (s, body) = app
            .post_room(&host, json!({"settings": {"theme": theme}}))
            .await;
        assert_invalid_field(s, &body, "theme");
    }
    let code = app.create_room(&host, json!({})).await;
    app.join(&ann, &code).await;
    let (s, body) = app.start_game(&host, &code).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let round = body["round"]["id"].as_str().expect("round").to_string();
    for bad in [
        "Pickled\u{2066} herring",
        "Pick\u{200d}led herring",
        "A\u{feff}",
    ] {
        let (s, body) = app.answer(&ann, &round, &bad).await;
        assert_invalid_field(s, &body, "answer");
    }
    // An answer over two lines with an emoji family in it is taken as typed.
    let family = "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}";
    let answer = format!("The whole {family}\nat once");
    let (s, body) = app.answer(&ann, &round, &answer).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app.start_voting(&host, &round).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app.answers(&host, &round).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["answers"][0]["content"], answer.as_str());
}
