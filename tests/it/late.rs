//! A phase ends at its deadline (issue 10, item 9): an answer or vote arriving after it is
//! refused with `wrong_phase` even when the timer that moves the room on has not run. The
//! server's deadline poll is set to an hour, so no tick lands during the test.

use crate::common::{fresh_prefix, spawn_app_with, test_config};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

/// Waits until the wall clock is past `deadline` (an RFC 3339 time from the server).
async fn wait_past(deadline: &str) {
    let deadline: chrono::DateTime<chrono::Utc> = deadline.parse().expect("deadline");
    let left = (deadline - chrono::Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO);
    tokio::time::sleep(left + Duration::from_millis(50)).await;
}

#[sqlx::test]
async fn answers_and_votes_after_the_deadline_are_refused_without_a_tick(pool: PgPool) {
    let mut config = test_config(&fresh_prefix());
    config.deadline_poll = Duration::from_secs(3_600);
    let app = spawn_app_with(pool, config).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let code = app
        .create_room(&host, json!({"answer_seconds": 3, "vote_seconds": 3}))
        .await;
    for p in [&ann, &bob] {
        assert_eq!(app.join(p, &code).await.0, StatusCode::OK);
    }
    let (status, body) = app.start_game(&host, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let round = body["round"]["id"].as_str().expect("round id").to_string();
    let answering_ends = body["round"]["deadline"]
        .as_str()
        .expect("deadline")
        .to_string();
    let answer = |text: &'static str| json!({ "answer": text });
    let path = format!("/api/game/rounds/{round}/answer");

    let (status, body) = app.call("POST", &path, &ann, Some(answer("in time"))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ann_answer = body["answer_id"].as_str().expect("answer id").to_string();
    wait_past(&answering_ends).await;
    let (status, body) = app
        .call("POST", &path, &bob, Some(answer("too late")))
        .await;
    crate::common::assert_error(status, &body, StatusCode::CONFLICT, "wrong_phase");

    // The host ends answering (the timer never will); votes then close at their deadline.
    let (status, body) = app.start_voting(&host, &round).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let voting_ends = body["round"]["deadline"]
        .as_str()
        .expect("deadline")
        .to_string();
    let vote = json!({ "answer_id": ann_answer });
    let vote_path = format!("/api/game/rounds/{round}/vote");
    let (status, body) = app
        .call("POST", &vote_path, &host, Some(vote.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    wait_past(&voting_ends).await;
    let (status, body) = app.call("POST", &vote_path, &bob, Some(vote)).await;
    crate::common::assert_error(status, &body, StatusCode::CONFLICT, "wrong_phase");
}
