//! The AI question path against a local fake OpenAI-compatible server (wiremock speaking the
//! chat-completions wire format): good answers are used, everything else falls back to the
//! bank quickly, and a slow AI never delays a round.

mod common;

use common::{socket::Sock, spawn_app_with, test_config};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tf_rust_socketio::TransportType;
use voting_game::questions::{
    FallbackProvider, QuestionProvider, QuestionSource,
    bank::Bank,
    openai::{OpenAiConfig, OpenAiGenerator},
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_763_800_000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}
    })
}

fn provider(server: &MockServer, timeout: Duration) -> FallbackProvider {
    FallbackProvider::new(
        Some(OpenAiGenerator::new(OpenAiConfig {
            api_key: "sk-test".into(),
            base_url: Some(server.uri()),
            model: "test-model".into(),
            timeout,
        })),
        Bank::shipped(),
    )
}

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_good_ai_answer_is_used_and_the_request_carries_theme_and_earlier_questions() {
    let q = "What would a robot bring to a picnic?";
    let server = answering(
        ResponseTemplate::new(200).set_body_json(completion(&format!("{{\"question\": \"{q}\"}}"))),
    )
    .await;
    let p = provider(&server, Duration::from_secs(2));
    let earlier = vec!["Name a terrible flavor for toothpaste.".to_string()];
    let got = p.question(Some("robots"), &earlier).await;
    assert_eq!(got.text, q);
    assert_eq!(got.source, QuestionSource::Ai);
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 1);
    let body: Value = serde_json::from_slice(&requests[0].body).expect("json body");
    assert_eq!(body["model"], "test-model");
    let sent = body.to_string();
    assert!(sent.contains("robots"), "theme missing: {sent}");
    assert!(sent.contains("toothpaste"), "exclusions missing: {sent}");
    assert_eq!(
        requests[0]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer sk-test")
    );
    assert_eq!(p.stats().ai_ok, 1);
}

#[tokio::test]
async fn a_slow_ai_falls_back_to_the_bank_within_its_timeout() {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_json(completion("{\"question\": \"What is taking so long?\"}"))
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    let p = provider(&server, Duration::from_millis(300));
    let started = Instant::now();
    let got = p.question(None, &[]).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(got.source, QuestionSource::Bank);
    assert_eq!(p.stats().ai_failed, 1);
}

#[tokio::test]
async fn garbage_answers_fall_back_to_the_bank() {
    for content in [
        "",
        "lol",
        "{\"question\": \"\"}",
        "What is one?\nWhat is two?",
        &"a very long question ".repeat(20),
        "{\"not_question\": \"What is a question?\"}",
    ] {
        let server = answering(ResponseTemplate::new(200).set_body_json(completion(content))).await;
        let got = provider(&server, Duration::from_secs(2))
            .question(None, &[])
            .await;
        assert_eq!(got.source, QuestionSource::Bank, "{content:?} was accepted");
    }
}

#[tokio::test]
async fn a_body_that_is_not_the_wire_format_falls_back() {
    let server = answering(ResponseTemplate::new(200).set_body_string("<html>oops</html>")).await;
    let got = provider(&server, Duration::from_secs(2))
        .question(None, &[])
        .await;
    assert_eq!(got.source, QuestionSource::Bank);
}

#[tokio::test]
async fn error_statuses_fall_back_to_the_bank() {
    for status in [500, 429, 401] {
        let server = answering(ResponseTemplate::new(status).set_body_json(json!({
            "error": {"message": "nope", "type": "server_error", "param": null, "code": null}
        })))
        .await;
        let started = Instant::now();
        let got = provider(&server, Duration::from_secs(2))
            .question(None, &[])
            .await;
        assert_eq!(got.source, QuestionSource::Bank, "status {status}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "status {status} retried for {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn an_ai_repeat_of_an_earlier_question_falls_back() {
    let q = "Name a terrible flavor for toothpaste.";
    let server = answering(ResponseTemplate::new(200).set_body_json(completion(q))).await;
    let earlier = vec![q.to_uppercase()];
    let got = provider(&server, Duration::from_secs(2))
        .question(None, &earlier)
        .await;
    assert_eq!(got.source, QuestionSource::Bank);
    assert_ne!(got.text.to_lowercase(), q.to_lowercase());
}

fn ai_config(prefix: &str, server: &MockServer) -> voting_game::config::Config {
    let mut c = test_config(prefix);
    c.openai = Some(voting_game::config::OpenAiSettings {
        api_key: "sk-test".into(),
        base_url: Some(server.uri()),
        model: "test-model".into(),
        timeout: Duration::from_secs(8),
    });
    c
}

#[sqlx::test]
async fn the_server_asks_the_ai_ahead_and_uses_its_question_for_a_round(pool: PgPool) {
    let q = "What would a lighthouse keeper order for dinner?";
    let server = answering(
        ResponseTemplate::new(200).set_body_json(completion(&format!("{{\"question\": \"{q}\"}}"))),
    )
    .await;
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(pool, ai_config(&prefix, &server)).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app.create_room(&host, json!({"theme": "the sea"})).await;
    app.join(&ann, &code).await;
    // The question is prepared in the background right after the room is created.
    for _ in 0..50 {
        if !server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, body) = app
        .call("POST", &format!("/api/game/{code}/start"), &host, None)
        .await;
    assert_eq!(body["round"]["question"], q, "{body}");
    let sent =
        String::from_utf8_lossy(&server.received_requests().await.expect("recorded")[0].body)
            .to_string();
    assert!(sent.contains("the sea"));
}

#[sqlx::test]
async fn a_slow_ai_never_delays_the_start_of_a_round(pool: PgPool) {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_json(completion(
                "{\"question\": \"What is slower than this AI?\"}",
            ))
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(pool, ai_config(&prefix, &server)).await;
    let host = app.register("Host").await;
    let ann = app.register("Ann").await;
    let code = app
        .create_room(
            &host,
            json!({"max_rounds": 2, "answer_seconds": 3, "vote_seconds": 3}),
        )
        .await;
    app.join(&ann, &code).await;
    let s = Sock::connect(&app.base, &host.token, TransportType::Websocket).await;
    s.ok("join_room", json!({"room_code": code})).await;
    let started = Instant::now();
    let data = s.ok("start_game", json!({"room_code": code})).await;
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "start took {:?}",
        started.elapsed()
    );
    assert!(
        data["round"]["question"]
            .as_str()
            .is_some_and(|q| !q.is_empty())
    );
}
