//! The rules for text a client sends (names, answers, themes, and whatever polls add), in one
//! place: what is trimmed, how length is counted, which characters are refused, and when two
//! questions are "the same". Each kind of text is a [`TextRule`]; a refusal names its field.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeEmoji, UnicodeGeneralCategory};

use super::DomainError;

/// How one kind of client text is checked and normalised.
///
/// Every rule refuses what can make two texts look alike, or reorder the text around them:
/// control characters (`Cc`), format characters (`Cf`: bidirectional controls and isolates,
/// zero-width spaces and joiners, the soft hyphen, the byte-order mark, tag characters), the
/// Unicode line and paragraph separators, and the invisible fillers (Hangul fillers, the
/// combining grapheme joiner). Two things a person types are kept: a zero-width joiner inside an
/// emoji ZWJ sequence (a family, the rainbow flag) and the tags of the three subdivision flags
/// (England, Scotland, Wales). A multi-line text (answers, descriptions) also keeps line breaks
/// and tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TextRule {
    /// The field a refusal names.
    pub field: &'static str,
    /// Most Unicode characters (scalar values) allowed after trimming; at least one is needed.
    pub max_chars: usize,
    /// Whether the text is put in Unicode normalisation form C, so that one name typed two
    /// ways (`é` precomposed or `e` + combining accent) is one name.
    pub nfc: bool,
    /// Whether line breaks (`\n`, `\r`) and tabs may appear inside the text.
    pub multiline: bool,
}

/// A player's display name: what everyone else sees beside a score.
pub(crate) const DISPLAY_NAME: TextRule = TextRule {
    field: "display_name",
    max_chars: 32,
    nfc: true,
    multiline: false,
};

/// An answer to a round's question. Kept as typed (not renormalised): it is shown, never
/// compared.
pub(crate) const ANSWER: TextRule = TextRule {
    field: "answer",
    max_chars: 280,
    nfc: false,
    multiline: true,
};

/// A room's question theme.
pub(crate) const THEME: TextRule = TextRule {
    field: "theme",
    max_chars: 100,
    nfc: true,
    multiline: false,
};

/// Characters no text may hold: Postgres `text` cannot store U+0000. (JSON carries every
/// Unicode scalar value, and a payload with a lone surrogate never decodes into a `str`.)
fn unstorable(c: char) -> bool {
    c == '\0'
}

const ZWJ: char = '\u{200d}';
const BLACK_FLAG: char = '\u{1f3f4}';
const CANCEL_TAG: char = '\u{e007f}';
/// The subdivision flags Unicode recommends (England, Scotland, Wales), spelt in tag
/// characters after a black flag. Only these: any other tag text would be invisible.
const SUBDIVISION_FLAGS: [&str; 3] = ["gbeng", "gbsct", "gbwls"];

/// Characters that show nothing, or change how the text around them is ordered or joined.
fn refused(c: char, multiline: bool) -> bool {
    if multiline && matches!(c, '\n' | '\r' | '\t') {
        return false;
    }
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || matches!(
        c,
        // Combining grapheme joiner, Hangul fillers, Khmer inherent vowels: letters and marks
        // by category, blank on screen.
        '\u{034f}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}' | '\u{3164}' | '\u{ffa0}'
    )
}

/// A character an emoji ZWJ sequence joins: an emoji that is not ASCII (digits, `#` and `*`
/// are emoji only in keycaps), nor a regional indicator or a skin-tone modifier (which only
/// follow another emoji).
fn pictograph(c: char) -> bool {
    !c.is_ascii()
        && c.is_emoji_char()
        && !matches!(c, '\u{1f1e6}'..='\u{1f1ff}' | '\u{1f3fb}'..='\u{1f3ff}')
}

/// Whether the ZWJ at `chars[at]` joins two emoji: a pictograph before it (after any
/// presentation selector or skin-tone modifier of its own) and one right after it. Between
/// letters a ZWJ only hides itself.
fn joins_emoji(chars: &[char], at: usize) -> bool {
    let before = chars[..at]
        .iter()
        .rev()
        .find(|c| !matches!(c, '\u{fe0e}' | '\u{fe0f}' | '\u{1f3fb}'..='\u{1f3ff}'));
    before.is_some_and(|c| pictograph(*c)) && chars.get(at + 1).is_some_and(|c| pictograph(*c))
}

/// How many characters after a black flag spell one of [`SUBDIVISION_FLAGS`] in tags,
/// cancel tag included.
fn subdivision_tags(after_flag: &[char]) -> Option<usize> {
    SUBDIVISION_FLAGS.iter().find_map(|name| {
        let n = name.len();
        let spelt = after_flag.len() > n
            && after_flag[..n]
                .iter()
                .zip(name.chars())
                .all(|(tag, letter)| *tag as u32 == 0xe0000 + letter as u32)
            && after_flag[n] == CANCEL_TAG;
        spelt.then_some(n + 1)
    })
}

/// The first character of `text` a rule refuses (see [`TextRule`]).
fn first_refused(text: &str, multiline: bool) -> Option<char> {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        if c == BLACK_FLAG
            && let Some(tags) = subdivision_tags(&chars[at + 1..])
        {
            at += 1 + tags;
            continue;
        }
        if refused(c, multiline) && !(c == ZWJ && joins_emoji(&chars, at)) {
            return Some(c);
        }
        at += 1;
    }
    None
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
        if let Some(c) = first_refused(&text, self.multiline) {
            let what = if self.multiline {
                "control (other than line breaks and tabs), invisible or text-direction characters"
            } else {
                "line breaks, control, invisible or text-direction characters"
            };
            return Err(DomainError::validation(
                self.field,
                format!("must not contain {what} (found U+{:04X})", c as u32),
            ));
        }
        Ok(text)
    }
}

/// Variation selectors choose a glyph's style (text or emoji ❤︎/❤️, a CJK variant): the same
/// character to a reader.
fn variation_selector(c: char) -> bool {
    matches!(c, '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}')
}

/// The form in which two short texts that a reader cannot tell apart are equal (poll options):
/// NFC (`é` precomposed or `e` + accent), lowercased, variation selectors dropped, every run of
/// white space one space (a page shows `a  b` as `a b`), trimmed.
pub(crate) fn lookalike_key(text: &str) -> String {
    let folded: String = text
        .nfc()
        .flat_map(char::to_lowercase)
        .nfc()
        .filter(|c| !variation_selector(*c))
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
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
    fn a_display_name_refuses_control_characters() {
        for bad in ["An\u{0007}n", "Ann\nBob"] {
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

    /// A family, a rainbow flag, a technologist with a skin tone, people holding hands, a
    /// red-haired man, Scotland's flag: emoji that need a zero-width joiner or tags.
    const EMOJI_SEQUENCES: [&str; 6] = [
        "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}\u{200d}\u{1f466}",
        "\u{1f3f3}\u{fe0f}\u{200d}\u{1f308}",
        "\u{1f469}\u{1f3fd}\u{200d}\u{1f4bb}",
        "\u{1f9d1}\u{200d}\u{1f91d}\u{200d}\u{1f9d1}",
        "\u{1f468}\u{200d}\u{1f9b0}",
        "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}",
    ];

    /// Text that looks like `Ann` (or an empty string) but is not, one way each.
    const LOOKALIKES: [&str; 14] = [
        "Ann\u{200b}",          // zero-width space
        "A\u{200c}nn",          // zero-width non-joiner
        "A\u{200d}nn",          // zero-width joiner between letters
        "An\u{2060}n",          // word joiner
        "\u{202e}nnA",          // right-to-left override
        "Ann\u{2066}x\u{2069}", // bidi isolates
        "\u{200f}Ann",          // right-to-left mark
        "Ann\u{061c}",          // Arabic letter mark
        "An\u{00ad}n",          // soft hyphen
        "\u{feff}Ann",          // byte-order mark
        "Ann\u{e0041}",         // a tag character on its own
        "A\u{034f}nn",          // combining grapheme joiner
        "Ann\u{3164}",          // Hangul filler
        "Ann\u{2028}x",         // line separator
    ];

    #[test]
    fn every_text_refuses_invisible_and_direction_characters_naming_its_field() {
        for rule in [DISPLAY_NAME, ANSWER, THEME] {
            for bad in LOOKALIKES {
                let (field, message) = refused_field(rule.check(bad));
                assert_eq!(field, rule.field, "{bad:?}");
                assert!(message.contains("invisible"), "{bad:?}: {message}");
            }
        }
    }

    #[test]
    fn emoji_sequences_keep_their_joiners_everywhere() {
        for rule in [DISPLAY_NAME, ANSWER, THEME] {
            for emoji in EMOJI_SEQUENCES {
                assert_eq!(rule.check(emoji).as_deref(), Ok(emoji), "{emoji:?}");
                let inside = format!("Team {emoji} wins");
                assert!(rule.check(&inside).is_ok(), "{inside:?}");
            }
        }
    }

    #[test]
    fn a_joiner_or_tag_outside_an_emoji_sequence_is_refused() {
        for bad in [
            "\u{1f468}\u{200d}",  // nothing to join to
            "\u{200d}\u{1f468}",  // nothing joined from
            "\u{1f468}\u{200d}x", // a letter after it
            "x\u{200d}\u{1f468}", // a letter before it
            "1\u{200d}2",         // digits are emoji only in keycaps
            "\u{1f468}\u{200d}\u{200d}\u{1f469}",
            // A black flag spelling a made-up subdivision, and one with no cancel tag.
            "\u{1f3f4}\u{e0078}\u{e0078}\u{e007f}",
            "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}",
        ] {
            assert_eq!(refused_field(THEME.check(bad)).0, "theme", "{bad:?}");
            assert_eq!(refused_field(ANSWER.check(bad)).0, "answer", "{bad:?}");
        }
    }

    #[test]
    fn multi_line_texts_keep_line_breaks_and_tabs_and_single_line_texts_do_not() {
        assert_eq!(
            ANSWER.check("a\r\nduck\tand\na goose").as_deref(),
            Ok("a\r\nduck\tand\na goose")
        );
        for bad in ["a\u{7}duck", "a\u{1b}[31mduck", "a\u{85}duck"] {
            assert_eq!(refused_field(ANSWER.check(bad)).0, "answer", "{bad:?}");
        }
        for bad in ["a\nduck", "a\tduck", "a\rduck"] {
            assert_eq!(refused_field(THEME.check(bad)).0, "theme", "{bad:?}");
            assert_eq!(
                refused_field(DISPLAY_NAME.check(bad)).0,
                "display_name",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn lookalike_keys_match_what_a_reader_cannot_tell_apart() {
        let key = lookalike_key;
        assert_eq!(key("Caf\u{e9}"), key("Cafe\u{301}"));
        assert_eq!(key(" TEA "), key("tea"));
        assert_eq!(key("\u{2764}\u{fe0f}"), key("\u{2764}"));
        assert_eq!(key("a  b"), key("a\u{a0}b"));
        assert_eq!(key("\u{130}"), key("i\u{307}"));
        assert_ne!(key("Tea"), key("Teas"));
        assert_ne!(key("r\u{e9}sum\u{e9}"), key("resume"));
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
