//! The profanity filter a host turns on per room. The word list is `rustrict`'s (maintained
//! upstream, with the usual evasions: look-alike letters, spacing, repeated letters), not a
//! list typed here. Answers that match are refused or masked, as the host chose; questions,
//! from the AI or the bank, are masked under either choice, since a round cannot go without one.

use rustrict::CensorStr;
use serde::{Deserialize, Serialize};

use super::DomainError;

/// What a room does with text its word list matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfanityFilter {
    /// No filtering (the default).
    #[default]
    Off,
    /// Matching answers are refused with `inappropriate_content`.
    Refuse,
    /// Matching words are replaced with `*`, keeping the rest of the answer.
    Mask,
}

/// Whether the word list matches `text` (profane, offensive, sexual or mean, at moderate
/// severity or worse: `rustrict`'s "inappropriate").
pub(crate) fn matches(text: &str) -> bool {
    text.is_inappropriate()
}

/// `text` with every matching word masked.
fn masked(text: &str) -> String {
    text.censor()
}

/// An answer (already length-checked) as the room's filter lets it through.
pub(crate) fn screen_answer(
    filter: ProfanityFilter,
    answer: String,
) -> Result<String, DomainError> {
    match filter {
        ProfanityFilter::Off => Ok(answer),
        ProfanityFilter::Refuse if matches(&answer) => {
            Err(DomainError::Inappropriate { field: "answer" })
        }
        ProfanityFilter::Refuse => Ok(answer),
        ProfanityFilter::Mask if matches(&answer) => Ok(masked(&answer)),
        ProfanityFilter::Mask => Ok(answer),
    }
}

/// A player's name as the room shows it: refused (`inappropriate_content` naming
/// `display_name`) or masked as the room's filter says, like an answer. A guest picks their
/// name at the door, so the room's filter is the only check it meets.
pub(crate) fn screen_name(filter: ProfanityFilter, name: String) -> Result<String, DomainError> {
    match filter {
        ProfanityFilter::Refuse if matches(&name) => Err(DomainError::Inappropriate {
            field: "display_name",
        }),
        ProfanityFilter::Mask if matches(&name) => Ok(masked(&name)),
        _ => Ok(name),
    }
}

/// A question as the room asks it: masked where it matches, whenever the filter is on.
pub(crate) fn screen_question(filter: ProfanityFilter, question: String) -> String {
    if filter != ProfanityFilter::Off && matches(&question) {
        masked(&question)
    } else {
        question
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_answer_passes_untouched_while_the_filter_is_off() {
        let rude = "you are a fucking idiot".to_string();
        assert_eq!(
            screen_answer(ProfanityFilter::Off, rude.clone()),
            Ok(rude.clone())
        );
        assert_eq!(screen_question(ProfanityFilter::Off, rude.clone()), rude);
    }

    #[test]
    fn a_matching_answer_is_refused_or_masked_as_the_host_chose() {
        let rude = "you are a fucking idiot".to_string();
        assert_eq!(
            screen_answer(ProfanityFilter::Refuse, rude.clone()),
            Err(DomainError::Inappropriate { field: "answer" })
        );
        let masked = screen_answer(ProfanityFilter::Mask, rude).unwrap();
        assert!(masked.starts_with("you are a f***"), "{masked}");
        assert!(!masked.contains("fuck"), "{masked}");
    }

    #[test]
    fn evasions_are_caught_and_clean_answers_pass() {
        assert!(matches("f u c k"));
        assert!(matches("sh1t"));
        for clean in [
            "a duck",
            "Scunthorpe",
            "an assassin's class",
            "Ça va très bien",
        ] {
            assert_eq!(
                screen_answer(ProfanityFilter::Refuse, clean.to_string()),
                Ok(clean.to_string())
            );
        }
    }

    #[test]
    fn questions_are_masked_under_either_choice() {
        let q = "What is the shittiest gift?".to_string();
        for filter in [ProfanityFilter::Refuse, ProfanityFilter::Mask] {
            let got = screen_question(filter, q.clone());
            assert!(got.contains('*') && !got.contains("shit"), "{got}");
        }
    }

    #[test]
    fn the_filter_setting_reads_in_snake_case() {
        let f: ProfanityFilter = serde_json::from_str(r#""mask""#).unwrap();
        assert_eq!(f, ProfanityFilter::Mask);
        assert!(serde_json::from_str::<ProfanityFilter>(r#""loud""#).is_err());
    }

    proptest! {
        /// Whatever is typed, masking only ever turns characters into `*` (nothing else is
        /// rewritten, nothing added or dropped), and an answer that does not match comes
        /// through either choice unchanged.
        #[test]
        fn masking_only_stars_out_characters(text in "[a-z !1*]{1,40}") {
            let out = screen_answer(ProfanityFilter::Mask, text.clone()).unwrap();
            prop_assert_eq!(out.chars().count(), text.chars().count(), "{:?} → {:?}", text, out);
            for (a, b) in text.chars().zip(out.chars()) {
                prop_assert!(a == b || b == '*', "{:?} → {:?}", text, out);
            }
            if !matches(&text) {
                prop_assert_eq!(&out, &text);
                prop_assert_eq!(screen_answer(ProfanityFilter::Refuse, text.clone()), Ok(text));
            }
        }
    }
}
