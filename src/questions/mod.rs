//! Where each round's question comes from: an OpenAI-compatible chat model when one is
//! configured, the shipped bank otherwise and whenever the model is slow, down or says something
//! unusable. Asking for a question never fails and never repeats one of the room's earlier
//! questions, so the game layer needs no error path for it.
//!
//! - [`bank`]: the built-in prompts (`bank.txt`), instant and always available.
//! - [`openai`]: one bounded, distrusted chat-completion call per question.
//! - [`FallbackProvider`]: the AI first, the bank on any failure, timed and counted in metrics.

pub(crate) mod bank;
pub(crate) mod openai;

#[cfg(test)]
mod tests;

use async_trait::async_trait;
use std::time::Instant;

use crate::domain::text::{already_asked, question_key};
pub(crate) use bank::Bank;
pub(crate) use openai::OpenAiGenerator;

#[async_trait]
pub trait QuestionProvider: Send + Sync {
    /// A question for a room: never one in `exclude` (the room's earlier questions, compared
    /// by [`crate::domain::text::same_question`]), steered by `theme` when given. Never fails: falls
    /// back to the bank.
    async fn question(&self, theme: Option<&str>, exclude: &[String]) -> Question;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub text: String,
    pub source: QuestionSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionSource {
    Ai,
    Bank,
}

/// The AI first (when configured), the bank on any failure; each AI call is timed and counted in
/// the Prometheus metrics (`ai_question_seconds`, `questions_total`). Holds no lock, so it is
/// shared behind an `Arc` and asked concurrently.
pub(crate) struct FallbackProvider {
    ai: Option<OpenAiGenerator>,
    bank: Bank,
}

impl FallbackProvider {
    pub(crate) fn new(ai: Option<OpenAiGenerator>, bank: Bank) -> Self {
        FallbackProvider { ai, bank }
    }

    /// The shipped bank alone: instant, for callers that must not wait on a network.
    pub(crate) fn bank_only() -> Self {
        Self::new(None, Bank::shipped())
    }

    /// One AI attempt, counted and timed. `None` means "use the bank".
    async fn ask_ai(
        &self,
        ai: &OpenAiGenerator,
        theme: Option<&str>,
        exclude: &[String],
    ) -> Option<String> {
        let started = Instant::now();
        let result = ai.generate(theme, exclude).await;
        let elapsed = started.elapsed();
        let millis = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let outcome = if result.is_ok() { "ok" } else { "failed" };
        crate::metrics::METRICS
            .ai_seconds
            .with_label_values(&[outcome])
            .observe(elapsed.as_secs_f64());
        match result {
            Ok(text) => Some(text),
            Err(e) => {
                // A warning, not an error: the room still gets a question. The error text never
                // holds the API key (see `openai::QuestionError`).
                tracing::warn!(error = %e, millis, "AI question failed; using the bank");
                None
            }
        }
    }
}

#[async_trait]
impl QuestionProvider for FallbackProvider {
    async fn question(&self, theme: Option<&str>, exclude: &[String]) -> Question {
        if let Some(ai) = &self.ai
            && let Some(text) = self.ask_ai(ai, theme, exclude).await
        {
            crate::metrics::METRICS
                .ai_questions
                .with_label_values(&["ai"])
                .inc();
            return Question {
                text,
                source: QuestionSource::Ai,
            };
        }
        // "bank_fallback" tells operators the AI is configured but not delivering.
        let source = if self.ai.is_some() {
            "bank_fallback"
        } else {
            "bank"
        };
        crate::metrics::METRICS
            .ai_questions
            .with_label_values(&[source])
            .inc();
        Question {
            text: self.bank.pick_or_variant(theme, exclude),
            source: QuestionSource::Bank,
        }
    }
}
