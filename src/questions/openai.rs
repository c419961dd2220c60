//! Questions from an OpenAI-compatible chat model (OpenAI itself, or Ollama, vLLM, llama.cpp
//! through `OPENAI_BASE_URL`). Everything that comes back is distrusted: the call has a hard
//! timeout, the reply is parsed defensively, and anything but one sensible, new question is an
//! error the caller answers with the bank.

use async_openai::{
    Client,
    config::OpenAIConfig,
    types::chat::{
        ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs,
        CreateChatCompletionRequestArgs,
    },
};
use std::time::Duration;

use super::same_question;

/// At most this many earlier questions are listed in the prompt (the prompt stays small; the
/// result is checked against all of them anyway).
const MAX_LISTED: usize = 20;
const MIN_CHARS: usize = 10;
const MAX_CHARS: usize = 200;

#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    pub api_key: String,
    pub base_url: Option<String>,
    pub model: String,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum QuestionError {
    #[error("the model did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the model's API failed: {0}")]
    Api(String),
    #[error("the model's answer is not usable: {0}")]
    Invalid(String),
}

pub struct OpenAiGenerator {
    client: Client<OpenAIConfig>,
    model: String,
    timeout: Duration,
}

impl OpenAiGenerator {
    pub fn new(config: OpenAiConfig) -> Self {
        let mut c = OpenAIConfig::new().with_api_key(config.api_key);
        if let Some(base) = config.base_url {
            c = c.with_api_base(base.trim_end_matches('/').to_string());
        }
        OpenAiGenerator {
            client: Client::with_config(c),
            model: config.model,
            timeout: config.timeout,
        }
    }

    pub async fn generate(
        &self,
        theme: Option<&str>,
        exclude: &[String],
    ) -> Result<String, QuestionError> {
        let call = self.ask(theme, exclude);
        let raw = tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| QuestionError::Timeout(self.timeout))??;
        let question = extract(&raw)?;
        if exclude.iter().any(|x| same_question(x, &question)) {
            return Err(QuestionError::Invalid(
                "the model repeated an earlier question".into(),
            ));
        }
        Ok(question)
    }

    async fn ask(&self, theme: Option<&str>, exclude: &[String]) -> Result<String, QuestionError> {
        let api = |e: async_openai::error::OpenAIError| QuestionError::Api(e.to_string());
        let mut user = String::from("Write one new question for the party game.");
        if let Some(theme) = theme {
            user.push_str(&format!(" Theme: {theme}."));
        }
        let listed: Vec<&String> = exclude.iter().rev().take(MAX_LISTED).collect();
        if !listed.is_empty() {
            user.push_str(" Do not repeat or rephrase any of these earlier questions:");
            for q in listed {
                user.push_str(&format!("\n- {q}"));
            }
        }
        let request = CreateChatCompletionRequestArgs::default()
            .model(self.model.clone())
            .max_completion_tokens(120u32)
            .messages([
                ChatCompletionRequestSystemMessageArgs::default()
                    .content(
                        "You write prompts for a family-friendly party game: players write a short, \
                         funny answer and vote for the best one. Reply with JSON only, exactly \
                         {\"question\": \"...\"}: one open-ended question under 150 characters, \
                         suitable for all ages.",
                    )
                    .build()
                    .map_err(api)?
                    .into(),
                ChatCompletionRequestUserMessageArgs::default().content(user).build().map_err(api)?.into(),
            ])
            .build()
            .map_err(api)?;
        let response = self.client.chat().create(request).await.map_err(api)?;
        response
            .choices
            .into_iter()
            .find_map(|c| c.message.content)
            .ok_or_else(|| QuestionError::Invalid("no content in the reply".into()))
    }
}

/// One question out of whatever the model said: `{"question": …}` JSON (bare or in a fenced
/// block), or a single plain line. Quotes are stripped; length and shape are checked.
pub fn extract(raw: &str) -> Result<String, QuestionError> {
    let invalid = |m: &str| QuestionError::Invalid(m.to_string());
    let mut text = raw.trim();
    if let Some(rest) = text.strip_prefix("```") {
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        text = rest
            .rsplit_once("```")
            .map_or(rest, |(body, _)| body)
            .trim();
    }
    let candidate = if text.starts_with('{') {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|_| invalid("malformed JSON"))?;
        value
            .get("question")
            .and_then(|q| q.as_str())
            .map(str::to_string)
            .ok_or_else(|| invalid("JSON without a \"question\" string"))?
    } else {
        text.to_string()
    };
    let question = candidate
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '“' || c == '”')
        .trim();
    if question.contains('\n') {
        return Err(invalid("more than one line"));
    }
    let n = question.chars().count();
    if n < MIN_CHARS {
        return Err(invalid("too short"));
    }
    if n > MAX_CHARS {
        return Err(invalid("too long"));
    }
    if question.chars().any(char::is_control) {
        return Err(invalid("control characters"));
    }
    Ok(question.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fenced_json_and_plain_lines_are_understood() {
        let q = "What would a cat buy with a credit card?";
        for raw in [
            format!("{{\"question\": \"{q}\"}}"),
            format!("```json\n{{\"question\": \"{q}\"}}\n```"),
            format!("  \"{q}\"  "),
            q.to_string(),
        ] {
            assert_eq!(extract(&raw).ok().as_deref(), Some(q), "{raw}");
        }
    }

    #[test]
    fn garbage_is_refused() {
        for raw in [
            "",
            "ok",
            "{\"answer\": \"What is this question doing here?\"}",
            "{\"question\": 42}",
            "{not json",
            "What is one question?\nWhat is another one?",
            &"Why? ".repeat(60),
        ] {
            assert!(extract(raw).is_err(), "{raw:?} should be refused");
        }
    }
}
