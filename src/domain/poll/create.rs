//! What a new poll, an edit of one, and an option's text may be: every limit of the contract,
//! each refusal naming its field.

use chrono::{DateTime, Utc};

use super::{
    MAX_OPTIONS, MIN_OPTIONS, PollError, PollStatus,
    kind::PollKind,
    text::{TextSettings, TextSettingsInput},
};
use crate::domain::{DomainError, text::TextRule};

/// Questions and options are single lines, in NFC: options are told apart by what a reader
/// sees (`option_key`), and a question is shown as a heading.
pub(crate) const QUESTION: TextRule = TextRule {
    field: "question",
    max_chars: 200,
    nfc: true,
    multiline: false,
};

/// A description keeps its paragraphs, as typed.
pub(crate) const DESCRIPTION: TextRule = TextRule {
    field: "description",
    max_chars: 1_000,
    nfc: false,
    multiline: true,
};

pub(crate) const OPTION_TEXT: TextRule = TextRule {
    field: "text",
    max_chars: 100,
    nfc: true,
    multiline: false,
};

/// A new poll as the client asked for it (fields the contract makes optional are `Option`).
#[derive(Debug, Clone, Default)]
pub(crate) struct NewPollInput {
    pub question: String,
    pub description: Option<String>,
    pub options: Vec<String>,
    pub allow_multiple: Option<bool>,
    pub max_choices: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    /// `choice` when left out.
    pub kind: Option<PollKind>,
    /// A text poll's settings (refused on the other kinds).
    pub text: TextSettingsInput,
}

/// A new poll that keeps every rule: trimmed texts, unique options, a valid choice limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewPoll {
    pub question: String,
    pub description: String,
    pub options: Vec<String>,
    pub allow_multiple: bool,
    pub max_choices: u32,
    pub expires_at: Option<DateTime<Utc>>,
    pub kind: PollKind,
    /// `Some` exactly for a text poll.
    pub text: Option<TextSettings>,
}

/// How a new poll starts. What the client leaves out is the default: published (open), public,
/// and for signed-in voters only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Start {
    pub status: PollStatus,
    pub is_public: bool,
    pub allow_anonymous: bool,
}

impl Start {
    pub(crate) fn of(
        publish: Option<bool>,
        is_public: Option<bool>,
        allow_anonymous: Option<bool>,
    ) -> Start {
        Start {
            status: if publish.unwrap_or(true) {
                PollStatus::Open
            } else {
                PollStatus::Draft
            },
            is_public: is_public.unwrap_or(true),
            allow_anonymous: allow_anonymous.unwrap_or(false),
        }
    }
}

fn refused(e: DomainError) -> PollError {
    match e {
        DomainError::Validation { field, message } => PollError::Validation { field, message },
        other => PollError::validation("body", other.to_string()),
    }
}

pub(crate) fn question(raw: &str) -> Result<String, PollError> {
    QUESTION.check(raw).map_err(refused)
}

/// A description may be empty (then it is `""`).
pub(crate) fn description(raw: &str) -> Result<String, PollError> {
    if raw.trim().is_empty() && !raw.contains('\0') {
        return Ok(String::new());
    }
    DESCRIPTION.check(raw).map_err(refused)
}

/// One option's text, refused naming `field` (`text` for an added option, `options` in a new
/// poll's list).
pub(crate) fn option_text(raw: &str, field: &'static str) -> Result<String, PollError> {
    TextRule {
        field,
        ..OPTION_TEXT
    }
    .check(raw)
    .map_err(refused)
}

/// The form two options are compared in: two options a reader cannot tell apart (`é` typed
/// two ways, another case, a variation selector, doubled spaces) are the same option.
pub(crate) fn option_key(text: &str) -> String {
    crate::domain::text::lookalike_key(text)
}

/// An expiry, if set, must be in the future.
pub(crate) fn expiry(
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, PollError> {
    match at {
        Some(at) if at <= now => Err(PollError::validation("expires_at", "must be in the future")),
        other => Ok(other),
    }
}

/// The choice limit: 1 for a single-choice poll; 1..=option count for a multiple-choice one,
/// the option count when not given.
pub(crate) fn max_choices(
    allow_multiple: bool,
    requested: Option<i64>,
    option_count: usize,
) -> Result<u32, PollError> {
    let count = u32::try_from(option_count).unwrap_or(u32::MAX);
    match (allow_multiple, requested) {
        (false, None | Some(1)) => Ok(1),
        (false, Some(_)) => Err(PollError::validation(
            "max_choices",
            "must be 1 for a single-choice poll",
        )),
        (true, None) => Ok(count),
        (true, Some(n)) => match u32::try_from(n) {
            Ok(n) if (1..=count).contains(&n) => Ok(n),
            _ => Err(PollError::validation(
                "max_choices",
                format!("must be 1–{count} (the number of options)"),
            )),
        },
    }
}

impl NewPollInput {
    pub(crate) fn validate(self, now: DateTime<Utc>) -> Result<NewPoll, PollError> {
        let question = question(&self.question)?;
        let description = description(self.description.as_deref().unwrap_or(""))?;
        let kind = self.kind.unwrap_or_default();
        if kind == PollKind::Text {
            return self.validate_text(question, description, now);
        }
        if self.text.any() {
            return Err(PollError::validation(
                "kind",
                "max_length, answers_per_voter and moderation are for text polls",
            ));
        }
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&self.options.len()) {
            return Err(PollError::validation(
                "options",
                format!("a poll has {MIN_OPTIONS}–{MAX_OPTIONS} options"),
            ));
        }
        let mut options = Vec::with_capacity(self.options.len());
        let mut keys = std::collections::HashSet::new();
        for raw in &self.options {
            let text = option_text(raw, "options")?;
            if !keys.insert(option_key(&text)) {
                return Err(PollError::validation(
                    "options",
                    format!("options must be unique (\"{text}\" is there twice)"),
                ));
            }
            options.push(text);
        }
        let allow_multiple = self.allow_multiple.unwrap_or(false);
        let max_choices = max_choices(allow_multiple, self.max_choices, options.len())?;
        let expires_at = expiry(self.expires_at, now)?;
        Ok(NewPoll {
            question,
            description,
            options,
            allow_multiple,
            max_choices,
            expires_at,
            kind,
            text: None,
        })
    }

    /// A text poll has no options and no choice limit: its ballots are answers.
    fn validate_text(
        self,
        question: String,
        description: String,
        now: DateTime<Utc>,
    ) -> Result<NewPoll, PollError> {
        if !self.options.is_empty() {
            return Err(PollError::validation(
                "options",
                "a text poll has no options (voters answer in their own words)",
            ));
        }
        if self.allow_multiple == Some(true) || self.max_choices.is_some_and(|n| n != 1) {
            return Err(PollError::validation(
                "allow_multiple",
                "a text poll has no choices (answers_per_voter sets how many answers one voter gives)",
            ));
        }
        let text = self.text.validate()?;
        let expires_at = expiry(self.expires_at, now)?;
        Ok(NewPoll {
            question,
            description,
            options: Vec::new(),
            allow_multiple: false,
            max_choices: 1,
            expires_at,
            kind: PollKind::Text,
            text: Some(text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_poll_starts_open_public_and_for_accounts_unless_asked_otherwise() {
        assert_eq!(
            Start::of(None, None, None),
            Start {
                status: PollStatus::Open,
                is_public: true,
                allow_anonymous: false,
            }
        );
        assert_eq!(
            Start::of(Some(false), Some(false), Some(true)),
            Start {
                status: PollStatus::Draft,
                is_public: false,
                allow_anonymous: true,
            }
        );
        assert_eq!(Start::of(Some(true), None, None).status, PollStatus::Open);
    }
    use chrono::TimeDelta;

    fn input() -> NewPollInput {
        NewPollInput {
            question: "Tea or coffee?".into(),
            options: vec!["Tea".into(), "Coffee".into()],
            ..NewPollInput::default()
        }
    }

    fn field_of(r: Result<NewPoll, PollError>) -> &'static str {
        match r {
            Err(PollError::Validation { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_plain_poll_is_single_choice_and_trimmed() {
        let mut i = input();
        i.question = "  Tea or coffee?  ".into();
        let p = i.validate(Utc::now()).expect("valid");
        assert_eq!(p.question, "Tea or coffee?");
        assert_eq!(p.description, "");
        assert!(!p.allow_multiple);
        assert_eq!(p.max_choices, 1);
    }

    #[test]
    fn every_limit_names_its_field() {
        let now = Utc::now();
        let mut i = input();
        i.question = "q".repeat(201);
        assert_eq!(field_of(i.validate(now)), "question");
        let mut i = input();
        i.question = "  ".into();
        assert_eq!(field_of(i.validate(now)), "question");
        let mut i = input();
        i.description = Some("d".repeat(1_001));
        assert_eq!(field_of(i.validate(now)), "description");
        let mut i = input();
        i.options = vec!["only".into()];
        assert_eq!(field_of(i.validate(now)), "options");
        let mut i = input();
        i.options = (0..21).map(|n| n.to_string()).collect();
        assert_eq!(field_of(i.validate(now)), "options");
        let mut i = input();
        i.options = vec!["a".into(), "o".repeat(101)];
        assert_eq!(field_of(i.validate(now)), "options");
        let mut i = input();
        i.options = vec![" Tea".into(), "tEA ".into()];
        assert_eq!(field_of(i.validate(now)), "options");
        let mut i = input();
        i.max_choices = Some(2);
        assert_eq!(field_of(i.validate(now)), "max_choices");
        let mut i = input();
        i.allow_multiple = Some(true);
        i.max_choices = Some(3);
        assert_eq!(field_of(i.validate(now)), "max_choices");
        let mut i = input();
        i.allow_multiple = Some(true);
        i.max_choices = Some(0);
        assert_eq!(field_of(i.validate(now)), "max_choices");
        let mut i = input();
        i.expires_at = Some(now - TimeDelta::seconds(1));
        assert_eq!(field_of(i.validate(now)), "expires_at");
        let mut i = input();
        i.expires_at = Some(now);
        assert_eq!(field_of(i.validate(now)), "expires_at");
    }

    #[test]
    fn the_edges_of_every_limit_are_accepted() {
        let now = Utc::now();
        let mut i = input();
        i.question = "é".repeat(200);
        i.description = Some("d".repeat(1_000));
        i.options = (0..20).map(|n| format!("{n}{}", "o".repeat(98))).collect();
        i.allow_multiple = Some(true);
        i.expires_at = Some(now + TimeDelta::seconds(1));
        let p = i.validate(now).expect("valid at the edges");
        assert_eq!(p.max_choices, 20, "defaults to the option count");
    }

    #[test]
    fn poll_texts_refuse_invisible_characters_naming_their_field() {
        let now = Utc::now();
        let mut i = input();
        i.question = "Tea\u{202e}?".into();
        assert_eq!(field_of(i.validate(now)), "question");
        let mut i = input();
        i.question = "Tea\nor coffee?".into();
        assert_eq!(field_of(i.validate(now)), "question");
        let mut i = input();
        i.description = Some("line one\n\u{200b}".into());
        assert_eq!(field_of(i.validate(now)), "description");
        let mut i = input();
        i.options = vec!["Tea".into(), "Tea\u{200b}".into()];
        assert_eq!(field_of(i.validate(now)), "options");
        assert!(matches!(
            option_text("Te\u{2060}a", "text"),
            Err(PollError::Validation { field: "text", .. })
        ));
    }

    #[test]
    fn descriptions_keep_their_lines_and_emoji_options_their_joiners() {
        let mut i = input();
        i.description = Some("First line\n\tthen an indented one".into());
        let family = "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}";
        i.options = vec![family.into(), "\u{1f468}\u{1f469}\u{1f467}".into()];
        let p = i.validate(Utc::now()).expect("valid");
        assert_eq!(p.description, "First line\n\tthen an indented one");
        assert_eq!(p.options[0], family);
    }

    #[test]
    fn options_typed_two_ways_are_one_option() {
        let now = Utc::now();
        for pair in [
            ["Caf\u{e9}", "cafe\u{301}"],
            ["\u{2764}", "\u{2764}\u{fe0f}"],
            ["Tea time", "tea  time"],
        ] {
            let mut i = input();
            i.options = vec![pair[0].into(), pair[1].into()];
            assert_eq!(field_of(i.validate(now)), "options", "{pair:?}");
        }
        let mut i = input();
        i.options = vec!["Cafe\u{301}".into(), "Tea".into()];
        let p = i.validate(now).expect("valid");
        assert_eq!(p.options[0], "Caf\u{e9}", "kept in NFC");
    }

    #[test]
    fn a_text_poll_has_settings_and_no_options() {
        let now = Utc::now();
        let text = || NewPollInput {
            question: "One word for today?".into(),
            kind: Some(PollKind::Text),
            ..NewPollInput::default()
        };
        let p = text().validate(now).expect("valid");
        assert!(p.options.is_empty());
        assert_eq!(p.text.map(|t| t.max_length), Some(140));
        let mut i = text();
        i.options = vec!["a".into(), "b".into()];
        assert_eq!(field_of(i.validate(now)), "options");
        let mut i = text();
        i.allow_multiple = Some(true);
        assert_eq!(field_of(i.validate(now)), "allow_multiple");
        let mut i = text();
        i.text.max_length = Some(281);
        assert_eq!(field_of(i.validate(now)), "max_length");
        let mut i = input();
        i.text.answers_per_voter = Some(3);
        assert_eq!(
            field_of(i.validate(now)),
            "kind",
            "settings of a text poll on a choice poll"
        );
        assert_eq!(input().validate(now).expect("valid").text, None);
    }

    #[test]
    fn nul_is_refused_in_every_text() {
        let now = Utc::now();
        let mut i = input();
        i.description = Some("\0".into());
        assert_eq!(field_of(i.validate(now)), "description");
        let mut i = input();
        i.options = vec!["a\0".into(), "b".into()];
        assert_eq!(field_of(i.validate(now)), "options");
    }
}
