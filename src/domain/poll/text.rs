//! Open-answer ("text") polls: what their settings may be, what an answer may be, which status
//! a new answer starts in, and which moderation changes the creator may make. The word counts
//! of their results are `words`.

use serde::{Deserialize, Serialize};

use super::{PollError, PollState, kind::PollKind};
use crate::domain::{DomainError, game::moderation, text::TextRule};

/// An answer's length limit when the creator sets none (a tweet's old length: short enough for
/// a wall of answers, long enough for a sentence), and the most one may set.
pub(crate) const DEFAULT_MAX_LENGTH: u32 = 140;
pub(crate) const MAX_MAX_LENGTH: u32 = 280;
/// Answers per voter when the creator sets none, and the most one may set (a brainstorm's
/// "give up to N ideas" without letting one voter fill the wall).
pub(crate) const DEFAULT_ANSWERS_PER_VOTER: u32 = 1;
pub(crate) const MAX_ANSWERS_PER_VOTER: u32 = 10;

/// When voters see an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Moderation {
    /// Held until the creator approves it.
    Pre,
    /// Shown at once; the creator may hide it (the default, as in live-audience tools).
    #[default]
    Post,
}

impl Moderation {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Moderation::Pre => "pre",
            Moderation::Post => "post",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Moderation> {
        [Moderation::Pre, Moderation::Post]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// Where an answer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AnswerStatus {
    /// Held for the creator: shown to no one else.
    Pending,
    /// Shown to everyone and counted in the words.
    Approved,
    /// Taken down by the creator: shown to no one else.
    Hidden,
}

impl AnswerStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AnswerStatus::Pending => "pending",
            AnswerStatus::Approved => "approved",
            AnswerStatus::Hidden => "hidden",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<AnswerStatus> {
        [
            AnswerStatus::Pending,
            AnswerStatus::Approved,
            AnswerStatus::Hidden,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// A text poll's settings as the client asked for them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TextSettingsInput {
    pub max_length: Option<i64>,
    pub answers_per_voter: Option<i64>,
    pub moderation: Option<Moderation>,
}

/// A text poll's settings, within their bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct TextSettings {
    /// Characters an answer may have after trimming (1–280, default 140).
    pub max_length: u32,
    /// Answers one voter may give (1–10, default 1).
    pub answers_per_voter: u32,
    pub moderation: Moderation,
}

fn bounded(
    value: Option<i64>,
    default: u32,
    max: u32,
    field: &'static str,
) -> Result<u32, PollError> {
    match value {
        None => Ok(default),
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| PollError::validation(field, format!("must be 1–{max}"))),
    }
}

impl TextSettingsInput {
    /// Whether the client set any of them (a poll of another kind must not).
    pub(crate) fn any(&self) -> bool {
        self.max_length.is_some() || self.answers_per_voter.is_some() || self.moderation.is_some()
    }

    pub(crate) fn validate(self) -> Result<TextSettings, PollError> {
        Ok(TextSettings {
            max_length: bounded(
                self.max_length,
                DEFAULT_MAX_LENGTH,
                MAX_MAX_LENGTH,
                "max_length",
            )?,
            answers_per_voter: bounded(
                self.answers_per_voter,
                DEFAULT_ANSWERS_PER_VOTER,
                MAX_ANSWERS_PER_VOTER,
                "answers_per_voter",
            )?,
            moderation: self.moderation.unwrap_or_default(),
        })
    }
}

/// An answer as it will be kept, and the status it starts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewAnswer {
    pub text: String,
    pub status: AnswerStatus,
    /// The word filter matched it: held for the creator whatever the moderation.
    pub flagged: bool,
}

impl TextSettings {
    /// An answer checked by the rules of every client text (`domain::text`: NUL, invisible and
    /// direction characters, line breaks; NFC, so that the words count one spelling), at most
    /// `max_length` characters. A flagged answer is held (`pending`) even under
    /// post-moderation, not masked: a masked insult still lands on the presenter's screen, and
    /// the filter is wrong often enough (names, places) that the creator should decide.
    pub(crate) fn answer(&self, raw: &str) -> Result<NewAnswer, PollError> {
        let rule = TextRule {
            field: "text",
            max_chars: usize::try_from(self.max_length).unwrap_or(usize::MAX),
            nfc: true,
            multiline: false,
        };
        let text = rule.check(raw).map_err(|e| match e {
            DomainError::Validation { field, message } => PollError::Validation { field, message },
            other => PollError::validation("text", other.to_string()),
        })?;
        let flagged = moderation::matches(&text);
        let status = if flagged || self.moderation == Moderation::Pre {
            AnswerStatus::Pending
        } else {
            AnswerStatus::Approved
        };
        Ok(NewAnswer {
            text,
            status,
            flagged,
        })
    }
}

impl PollState {
    /// Refuses a call made for another kind of poll (a vote on a text poll, an answer to a
    /// choice poll, options on a text poll), naming what the poll takes instead.
    pub(crate) fn ensure_kind(&self, wanted: PollKind) -> Result<(), PollError> {
        if self.kind == wanted {
            return Ok(());
        }
        Err(PollError::WrongKind(match self.kind {
            PollKind::Text => "this is a text poll: send an answer (POST /api/polls/{id}/answers)",
            PollKind::Choice | PollKind::Ranked => {
                "this poll takes votes on its options (PUT /api/polls/{id}/vote), not text answers"
            }
        }))
    }
}

/// The statuses the creator may set: approve or hide (either way, and again); an answer is
/// never put back to pending.
pub(crate) fn moderation_target(status: AnswerStatus) -> Result<AnswerStatus, PollError> {
    match status {
        AnswerStatus::Approved | AnswerStatus::Hidden => Ok(status),
        AnswerStatus::Pending => Err(PollError::validation(
            "status",
            "must be approved or hidden",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(moderation: Moderation) -> TextSettings {
        TextSettingsInput {
            moderation: Some(moderation),
            ..TextSettingsInput::default()
        }
        .validate()
        .expect("valid")
    }

    fn field(r: Result<impl std::fmt::Debug, PollError>) -> &'static str {
        match r {
            Err(PollError::Validation { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn settings_default_and_keep_their_bounds() {
        let s = TextSettingsInput::default().validate().expect("valid");
        assert_eq!(
            s,
            TextSettings {
                max_length: 140,
                answers_per_voter: 1,
                moderation: Moderation::Post
            }
        );
        let edge = TextSettingsInput {
            max_length: Some(280),
            answers_per_voter: Some(10),
            moderation: Some(Moderation::Pre),
        };
        assert!(edge.validate().is_ok());
        for (max_length, per_voter, name) in [
            (Some(0), None, "max_length"),
            (Some(281), None, "max_length"),
            (Some(-1), None, "max_length"),
            (None, Some(0), "answers_per_voter"),
            (None, Some(11), "answers_per_voter"),
        ] {
            let i = TextSettingsInput {
                max_length,
                answers_per_voter: per_voter,
                moderation: None,
            };
            assert_eq!(field(i.validate()), name);
        }
    }

    #[test]
    fn an_answer_is_trimmed_normalised_and_bounded() {
        let s = TextSettingsInput {
            max_length: Some(5),
            ..TextSettingsInput::default()
        }
        .validate()
        .expect("valid");
        assert_eq!(s.answer("  Cafe\u{301} ").expect("ok").text, "Caf\u{e9}");
        assert!(s.answer("Café!").is_ok());
        assert_eq!(field(s.answer("Cafés!")), "text");
        assert_eq!(field(s.answer("   ")), "text");
        assert_eq!(field(s.answer("a\0b")), "text");
        assert_eq!(field(s.answer("a\u{202e}b")), "text");
        assert_eq!(field(s.answer("a\nb")), "text");
    }

    #[test]
    fn moderation_decides_the_starting_status_and_the_filter_holds_either_way() {
        let post = settings(Moderation::Post);
        let pre = settings(Moderation::Pre);
        assert_eq!(
            post.answer("pizza").expect("ok").status,
            AnswerStatus::Approved
        );
        assert_eq!(
            pre.answer("pizza").expect("ok").status,
            AnswerStatus::Pending
        );
        for s in [post, pre] {
            let a = s.answer("you fucking idiot").expect("taken, not refused");
            assert_eq!(a.status, AnswerStatus::Pending);
            assert!(a.flagged);
            assert_eq!(a.text, "you fucking idiot", "kept as typed for the creator");
        }
        assert!(!post.answer("Scunthorpe").expect("ok").flagged);
    }

    #[test]
    fn the_creator_approves_or_hides_but_never_re_queues() {
        assert_eq!(
            moderation_target(AnswerStatus::Approved),
            Ok(AnswerStatus::Approved)
        );
        assert_eq!(
            moderation_target(AnswerStatus::Hidden),
            Ok(AnswerStatus::Hidden)
        );
        assert_eq!(field(moderation_target(AnswerStatus::Pending)), "status");
    }

    #[test]
    fn names_round_trip() {
        for m in [Moderation::Pre, Moderation::Post] {
            assert_eq!(Moderation::parse(m.as_str()), Some(m));
        }
        for s in [
            AnswerStatus::Pending,
            AnswerStatus::Approved,
            AnswerStatus::Hidden,
        ] {
            assert_eq!(AnswerStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
    }
}
