//! The provider end to end against a local fake OpenAI-compatible server (wiremock speaking the
//! chat-completions wire format): good answers are used, and everything else (slow, failing,
//! malformed, repeated) falls back to the bank quickly and without retries.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use super::*;
use crate::config::OpenAiSettings;
use crate::domain::text::same_question;

/// A generous timeout for tests that expect an answer; slow-path tests set their own.
const PATIENT: Duration = Duration::from_secs(5);
/// What "falls back quickly" means here: far below `PATIENT` and below any retry backoff.
const QUICK: Duration = Duration::from_millis(1500);

/// A chat-completions response body as OpenAI sends it.
fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_763_800_000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70},
        "system_fingerprint": "fp_test"
    })
}

fn json_question(q: &str) -> String {
    json!({ "question": q }).to_string()
}

fn config(base_url: String, timeout: Duration) -> OpenAiSettings {
    OpenAiSettings {
        api_key: "sk-test".into(),
        base_url: Some(base_url),
        model: "test-model".into(),
        timeout,
    }
}

fn provider(server: &MockServer, timeout: Duration) -> FallbackProvider {
    FallbackProvider::new(
        Some(OpenAiGenerator::new(config(server.uri(), timeout))),
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

async fn requests_to(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap_or_default()
}

fn from_bank(q: &Question) -> bool {
    q.source == QuestionSource::Bank && Bank::shipped().questions().any(|b| b == q.text)
}

#[tokio::test]
async fn a_good_ai_answer_is_used() {
    let q = "What would a robot bring to a picnic?";
    let server =
        answering(ResponseTemplate::new(200).set_body_json(completion(&json_question(q)))).await;
    let p = provider(&server, PATIENT);
    let got = p.question(None, &[]).await;
    assert_eq!(
        got,
        Question {
            text: q.into(),
            source: QuestionSource::Ai
        }
    );
    assert_eq!(requests_to(&server).await.len(), 1, "the AI was asked once");
}

#[tokio::test]
async fn the_request_carries_the_model_the_theme_and_the_earlier_questions() {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_json(completion(&json_question("What do robots do on weekends?"))),
    )
    .await;
    let earlier = vec![
        "Name a terrible flavor for toothpaste.".to_string(),
        "What is a cat secretly planning?".to_string(),
    ];
    provider(&server, PATIENT)
        .question(Some("robots"), &earlier)
        .await;
    let requests = requests_to(&server).await;
    assert_eq!(requests.len(), 1);
    let body: Value = serde_json::from_slice(&requests[0].body).expect("a JSON request body");
    assert_eq!(body["model"], "test-model");
    let sent = body["messages"].to_string();
    assert!(sent.contains("robots"), "theme missing: {sent}");
    assert!(sent.contains("toothpaste"), "exclusion missing: {sent}");
    assert!(
        sent.contains("secretly planning"),
        "exclusion missing: {sent}"
    );
    assert!(
        !body.to_string().contains("sk-test"),
        "the key is in the body"
    );
    assert_eq!(
        requests[0]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer sk-test")
    );
}

#[tokio::test]
async fn a_fenced_json_answer_is_used_too() {
    let q = "Invent a sport for very sleepy cats.";
    let fenced = format!("```json\n{}\n```", json_question(q));
    let server = answering(ResponseTemplate::new(200).set_body_json(completion(&fenced))).await;
    let got = provider(&server, PATIENT).question(None, &[]).await;
    assert_eq!((got.text.as_str(), got.source), (q, QuestionSource::Ai));
}

#[tokio::test]
async fn a_base_url_with_a_trailing_slash_still_reaches_chat_completions() {
    let q = "What is the moon's favorite snack?";
    let server = answering(ResponseTemplate::new(200).set_body_json(completion(q))).await;
    let p = FallbackProvider::new(
        Some(OpenAiGenerator::new(config(
            format!("{}/", server.uri()),
            PATIENT,
        ))),
        Bank::shipped(),
    );
    assert_eq!(p.question(None, &[]).await.source, QuestionSource::Ai);
}

#[tokio::test]
async fn a_slow_ai_falls_back_to_the_bank_within_its_timeout() {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_json(completion(&json_question("What is taking so long?")))
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    let p = provider(&server, Duration::from_millis(300));
    let started = Instant::now();
    let got = p.question(None, &[]).await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "took only {took:?}");
    assert!(took < Duration::from_millis(1000), "took {took:?}");
    assert!(from_bank(&got), "{got:?}");
    assert_eq!(requests_to(&server).await.len(), 1, "the AI was asked once");
}

#[tokio::test]
async fn garbage_content_falls_back_to_the_bank() {
    let too_long = format!("What is {}?", "a very long question ".repeat(12));
    for content in [
        String::new(),
        "lol".into(),
        "Sorry, I can't help with that request.".into(),
        json_question(""),
        json_question("What is one?\nWhat is two?"),
        "What is one question?\nWhat is another question?".into(),
        json_question(&too_long),
        too_long.clone(),
        "{\"not_question\": \"What is a question?\"}".into(),
        "{\"question\": [\"What is a list doing here?\"]}".into(),
    ] {
        let server =
            answering(ResponseTemplate::new(200).set_body_json(completion(&content))).await;
        let p = provider(&server, PATIENT);
        let got = p.question(None, &[]).await;
        assert!(from_bank(&got), "{content:?} was accepted as {got:?}");
        assert_eq!(requests_to(&server).await.len(), 1, "the AI was asked once");
    }
}

#[tokio::test]
async fn a_reply_without_content_falls_back_to_the_bank() {
    let mut body = completion("unused");
    body["choices"][0]["message"]["content"] = Value::Null;
    body["choices"][0]["message"]["refusal"] = json!("I can't do that.");
    let server = answering(ResponseTemplate::new(200).set_body_json(body)).await;
    assert!(from_bank(
        &provider(&server, PATIENT).question(None, &[]).await
    ));

    let mut body = completion("unused");
    body["choices"] = json!([]);
    let server = answering(ResponseTemplate::new(200).set_body_json(body)).await;
    assert!(from_bank(
        &provider(&server, PATIENT).question(None, &[]).await
    ));
}

#[tokio::test]
async fn a_body_that_is_not_json_falls_back_to_the_bank() {
    for body in ["<html>oops</html>", "{\"id\": \"truncated", ""] {
        let server = answering(
            ResponseTemplate::new(200)
                .set_body_string(body)
                .insert_header("content-type", "application/json"),
        )
        .await;
        let got = provider(&server, PATIENT).question(None, &[]).await;
        assert!(from_bank(&got), "{body:?} gave {got:?}");
    }
}

/// An error status must reach the bank at once: one request, no backoff, even when the server
/// asks for a long `Retry-After`.
async fn assert_status_falls_back_at_once(status: u16) {
    let server = answering(
        ResponseTemplate::new(status)
            .insert_header("retry-after", "30")
            .set_body_json(json!({
                "error": {
                    "message": "try again later",
                    "type": if status == 429 { "rate_limit_error" } else { "server_error" },
                    "param": null,
                    "code": null
                }
            })),
    )
    .await;
    let p = provider(&server, PATIENT);
    let started = Instant::now();
    let got = p.question(None, &[]).await;
    let took = started.elapsed();
    assert!(from_bank(&got), "status {status} gave {got:?}");
    assert!(took < QUICK, "status {status} took {took:?}");
    assert_eq!(
        requests_to(&server).await.len(),
        1,
        "status {status} retried"
    );
}

#[tokio::test]
async fn a_500_falls_back_to_the_bank_at_once_without_retrying() {
    assert_status_falls_back_at_once(500).await;
}

#[tokio::test]
async fn a_429_falls_back_to_the_bank_at_once_without_retrying() {
    assert_status_falls_back_at_once(429).await;
}

#[tokio::test]
async fn a_401_falls_back_to_the_bank() {
    assert_status_falls_back_at_once(401).await;
}

#[tokio::test]
async fn an_unreachable_server_falls_back_to_the_bank_at_once() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let p = FallbackProvider::new(
        Some(OpenAiGenerator::new(config(
            format!("http://127.0.0.1:{port}/v1"),
            PATIENT,
        ))),
        Bank::shipped(),
    );
    let started = Instant::now();
    let got = p.question(None, &[]).await;
    assert!(from_bank(&got), "{got:?}");
    assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn an_ai_repeat_of_an_earlier_question_falls_back_to_the_bank() {
    let q = "Name a terrible flavor for toothpaste.";
    let server = answering(ResponseTemplate::new(200).set_body_json(completion(q))).await;
    // Same question, other case and spacing: still a repeat.
    let earlier = vec![format!("  {}  ", q.to_uppercase())];
    let got = provider(&server, PATIENT).question(None, &earlier).await;
    assert!(from_bank(&got), "{got:?}");
    assert!(!same_question(&got.text, q), "{got:?}");
}

#[tokio::test]
async fn the_fallback_never_repeats_a_question_even_after_the_bank_runs_out() {
    let p = FallbackProvider::bank_only();
    let mut used: Vec<String> = Vec::new();
    for _ in 0..Bank::shipped().len() + 30 {
        let got = p.question(Some("food"), &used).await;
        assert_eq!(got.source, QuestionSource::Bank);
        assert!(!already_asked(&got.text, &used), "repeated {:?}", got.text);
        used.push(got.text);
    }
}

#[tokio::test]
async fn a_theme_steers_the_bank_fallback_too() {
    let server = answering(ResponseTemplate::new(500)).await;
    let p = provider(&server, PATIENT);
    // "sea" is an alias of the `[ocean]` tag.
    let ocean: Vec<&str> = include_str!("bank.txt")
        .lines()
        .filter_map(|l| l.strip_prefix("[ocean]"))
        .map(str::trim)
        .collect();
    assert!(ocean.len() >= 8, "{ocean:?}");
    let got = p.question(Some("the sea"), &[]).await;
    assert!(ocean.contains(&got.text.as_str()), "{got:?}");
}

#[test]
fn questions_compare_trimmed_and_case_insensitively() {
    assert!(same_question("  What is IT? ", "what is it?"));
    assert!(same_question("ÇA VA?", "ça va?"));
    assert!(!same_question("What is it?", "What is it"));
}
