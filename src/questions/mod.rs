//! Where each round's question comes from: an OpenAI-compatible model when one is configured,
//! the shipped bank otherwise and whenever the model is slow, down or talks nonsense. A room
//! never gets the same question twice.

pub mod bank;
pub mod openai;

use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bank::Bank;
use openai::OpenAiGenerator;

#[async_trait]
pub trait QuestionProvider: Send + Sync {
    /// A question for a room: never one in `exclude` (its earlier questions, compared
    /// case-insensitively after trimming), steered by `theme` when given. Never fails.
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

/// Counters for operators: how often the AI answered, how often the bank stood in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuestionStats {
    pub ai_ok: u64,
    pub ai_failed: u64,
    pub ai_millis_total: u64,
}

/// The AI first (if configured), the bank on any failure.
pub struct FallbackProvider {
    ai: Option<OpenAiGenerator>,
    bank: Bank,
    ai_ok: AtomicU64,
    ai_failed: AtomicU64,
    ai_millis: AtomicU64,
}

impl FallbackProvider {
    pub fn new(ai: Option<OpenAiGenerator>, bank: Bank) -> Self {
        FallbackProvider {
            ai,
            bank,
            ai_ok: AtomicU64::new(0),
            ai_failed: AtomicU64::new(0),
            ai_millis: AtomicU64::new(0),
        }
    }

    pub fn bank_only() -> Self {
        Self::new(None, Bank::shipped())
    }

    pub fn stats(&self) -> QuestionStats {
        QuestionStats {
            ai_ok: self.ai_ok.load(Ordering::Relaxed),
            ai_failed: self.ai_failed.load(Ordering::Relaxed),
            ai_millis_total: self.ai_millis.load(Ordering::Relaxed),
        }
    }
}

#[async_trait]
impl QuestionProvider for FallbackProvider {
    async fn question(&self, theme: Option<&str>, exclude: &[String]) -> Question {
        if let Some(ai) = &self.ai {
            let started = Instant::now();
            let result = ai.generate(theme, exclude).await;
            let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.ai_millis.fetch_add(millis, Ordering::Relaxed);
            let outcome = if result.is_ok() { "ok" } else { "failed" };
            crate::metrics::METRICS
                .ai_seconds
                .with_label_values(&[outcome])
                .observe(started.elapsed().as_secs_f64());
            match result {
                Ok(text) => {
                    self.ai_ok.fetch_add(1, Ordering::Relaxed);
                    crate::metrics::METRICS
                        .ai_questions
                        .with_label_values(&["ai"])
                        .inc();
                    return Question {
                        text,
                        source: QuestionSource::Ai,
                    };
                }
                Err(e) => {
                    self.ai_failed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, millis, "AI question failed; using the bank");
                }
            }
        }
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
            text: self.bank.pick(theme, exclude),
            source: QuestionSource::Bank,
        }
    }
}

/// The comparison every "never twice" check uses.
pub fn same_question(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}
