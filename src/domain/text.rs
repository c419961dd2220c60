//! The rules for text a client sends (names, answers, themes, and whatever polls add), in one
//! place: what is trimmed, how length is counted, which characters are refused, and when two
//! questions are "the same". Each kind of text is a [`TextRule`]; a refusal names its field.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::DomainError;

/// How one kind of client text is checked and normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TextRule {
    /// The field a refusal names.
    pub field: &'static str,
    /// Most Unicode characters (scalar values) allowed after trimming; at least one is needed.
    pub max_chars: usize,
    /// Whether the text is put in Unicode normalisation form C, so that one name typed two
    /// ways (`é` precomposed or `e` + combining accent) is one name.
    pub nfc: bool,
    /// Whether control (`Cc`) and format (`Cf`: zero-width, bidirectional overrides) characters
    /// are refused: they make a name look like another one, or reorder the text around it.
    pub visible_only: bool,
}

/// A player's display name: what everyone else sees beside a score.
pub(crate) const DISPLAY_NAME: TextRule = TextRule {
    field: "display_name",
    max_chars: 32,
    nfc: true,
    visible_only: true,
};

/// An answer to a round's question.
pub(crate) const ANSWER: TextRule = TextRule {
    field: "answer",
    max_chars: 280,
    nfc: false,
    visible_only: false,
};

/// A room's question theme.
pub(crate) const THEME: TextRule = TextRule {
    field: "theme",
    max_chars: 100,
    nfc: false,
    visible_only: false,
};

/// Characters no text may hold: Postgres `text` cannot store U+0000. (JSON carries every
/// Unicode scalar value, and a payload with a lone surrogate never decodes into a `str`.)
fn unstorable(c: char) -> bool {
    c == '\0'
}

fn invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control | GeneralCategory::Format
    )
}

impl TextRule {
    /// The text as it is kept: normalised (if the rule says so) and trimmed; refused, naming
    /// the field, if it is empty or too long then, or holds a character the rule refuses.
    pub(crate) fn check(&self, raw: &str) -> Result<String, DomainError> {
        if raw.chars().any(unstorable) {
            return Err(DomainError::validation(
                self.field,
                "must not contain the NUL character (U+0000)",
            ));
        }
        let text: String = if self.nfc {
            raw.trim().nfc().collect::<String>().trim().to_string()
        } else {
            raw.trim().to_string()
        };
        let len = text.chars().count();
        if !(1..=self.max_chars).contains(&len) {
            return Err(DomainError::validation(
                self.field,
                format!("must be 1–{} characters after trimming", self.max_chars),
            ));
        }
        if self.visible_only && text.chars().any(invisible) {
            return Err(DomainError::validation(
                self.field,
                "must not contain control or invisible formatting characters",
            ));
        }
        Ok(text)
    }
}

/// The comparison every "never the same question twice" check uses: trimmed and
/// case-insensitive, Unicode-aware (`Ça` equals `ça`).
pub(crate) fn same_question(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    // The common case, and cheap (it compares lengths first).
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// The form [`same_question`] compares: trimmed and lowercased, so a set of keys answers "is it
/// one of these?" in one lookup.
pub(crate) fn question_key(question: &str) -> String {
    question
        .trim()
        .chars()
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `question` is one of `asked` under [`same_question`].
pub(crate) fn already_asked(question: &str, asked: &[String]) -> bool {
    asked.iter().any(|q| same_question(q, question))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_field(result: Result<String, DomainError>) -> (&'static str, String) {
        match result {
            Err(DomainError::Validation { field, message }) => (field, message),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_display_name_is_trimmed_and_measured_in_characters() {
        assert_eq!(DISPLAY_NAME.check("  Zoë  ").as_deref(), Ok("Zoë"));
        assert!(DISPLAY_NAME.check(&"é".repeat(32)).is_ok());
        assert_eq!(
            refused_field(DISPLAY_NAME.check(&"é".repeat(33))).0,
            "display_name"
        );
        assert_eq!(refused_field(DISPLAY_NAME.check(" \t ")).0, "display_name");
    }

    #[test]
    fn a_display_name_is_normalised_to_nfc() {
        let decomposed = "Zoe\u{0308}";
        assert_eq!(DISPLAY_NAME.check(decomposed).as_deref(), Ok("Zo\u{00eb}"));
        // 32 characters once composed, 64 as typed: counted after normalising.
        assert!(DISPLAY_NAME.check(&"e\u{0301}".repeat(32)).is_ok());
    }

    #[test]
    fn a_display_name_refuses_control_and_format_characters() {
        for bad in [
            "Ann\u{200b}",          // zero-width space
            "A\u{200d}nn",          // zero-width joiner
            "\u{202e}nnA",          // right-to-left override
            "Ann\u{2066}x\u{2069}", // bidi isolates
            "An\u{00ad}n",          // soft hyphen
            "\u{feff}Ann",          // byte-order mark
            "An\u{0007}n",          // bell
            "Ann\nBob",             // a line break inside
        ] {
            let (field, message) = refused_field(DISPLAY_NAME.check(bad));
            assert_eq!(field, "display_name", "{bad:?}");
            assert!(message.contains("invisible"), "{bad:?}: {message}");
        }
    }

    #[test]
    fn every_text_refuses_nul_naming_its_field() {
        for rule in [DISPLAY_NAME, ANSWER, THEME] {
            let (field, message) = refused_field(rule.check("a\u{0}b"));
            assert_eq!(field, rule.field);
            assert!(message.contains("NUL"), "{message}");
            // Also at the edges, where trimming would not remove it.
            assert_eq!(refused_field(rule.check("ab\u{0}")).0, rule.field);
        }
    }

    #[test]
    fn answers_and_themes_keep_what_was_typed_inside_the_trimmed_text() {
        assert_eq!(ANSWER.check("  a\nduck  ").as_deref(), Ok("a\nduck"));
        assert_eq!(
            ANSWER.check("e\u{0301}").as_deref(),
            Ok("e\u{0301}"),
            "answers are not renormalised"
        );
        assert!(ANSWER.check(&"x".repeat(280)).is_ok());
        assert_eq!(refused_field(ANSWER.check(&"x".repeat(281))).0, "answer");
        assert!(THEME.check(&"é".repeat(100)).is_ok());
        assert_eq!(refused_field(THEME.check(&"é".repeat(101))).0, "theme");
    }

    #[test]
    fn the_same_question_ignores_case_and_surrounding_space_in_any_script() {
        assert!(same_question(" What? ", "what?"));
        assert!(same_question("Ça va ?", "ça va ?"));
        assert!(same_question("ΣΟΦΊΑ", "σοφία"));
        assert!(!same_question("What?", "What!"));
        assert_eq!(question_key("  Ça VA "), "ça va");
        assert!(already_asked("ÇA", &["x".into(), "ça".into()]));
        assert!(!already_asked("ça", &[]));
    }
}
