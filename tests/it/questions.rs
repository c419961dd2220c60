//! The AI question path through the running server, against a local fake OpenAI-compatible
//! server (wiremock speaking the chat-completions wire format): the next round's question is
//! asked for ahead and used, and a slow AI never delays a round. The provider's own cases
//! (slow, garbage, error statuses, repeats) are tested in `src/questions/tests.rs`.

use crate::common::{eventually, socket::Sock, spawn_app_with, test_config};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tf_rust_socketio::TransportType;
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

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
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
    // The question is prepared in the background right after the room is created, and kept in
    // the live store for the room's first round.
    let redis = crate::common::redis_of(&app).await;
    let key = crate::common::room_key(&app.prefix, "nextq", &code);
    eventually("the prepared question to be stored", || {
        let (mut redis, key) = (redis.clone(), key.clone());
        async move {
            redis::AsyncCommands::exists::<_, bool>(&mut redis, key)
                .await
                .expect("redis")
                .then_some(())
        }
    })
    .await;
    let (_, body) = app.start_game(&host, &code).await;
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
