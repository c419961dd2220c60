//! The shipped question bank (`bank.txt`, compiled into the binary with `include_str!`): always
//! available, instant, and the stand-in for every AI failure. Topic tags and a few aliases let a
//! room's theme steer the pick without any model.

use rand::seq::IndexedRandom;
use std::collections::HashSet;

use super::{already_asked, question_key};

const SHIPPED: &str = include_str!("bank.txt");

/// Asked only when the bank itself is empty (a custom `Bank::parse` of nothing), so that
/// [`Bank::pick_or_variant`] can still always answer.
const LAST_RESORT: &str = "What is the best answer to a question nobody asked?";

/// Extra theme words per tag, so a theme like "pets" or "the sea" finds `[animals]` or
/// `[ocean]` questions. Kept here rather than in `bank.txt` so the text file stays one question
/// per line.
#[rustfmt::skip] // a data table: one tag per line reads better than rustfmt's columns
const ALIASES: &[(&str, &[&str])] = &[
    ("food", &["eat", "eating", "cooking", "kitchen", "snack", "dinner", "lunch", "breakfast", "restaurant", "pizza", "cake", "dessert"]),
    ("animals", &["animal", "pet", "dog", "cat", "zoo", "wildlife", "farm", "bird", "dinosaur"]),
    ("work", &["office", "job", "career", "boss", "business", "meeting"]),
    ("travel", &["vacation", "trip", "adventure", "hotel", "flight", "road"]),
    ("school", &["class", "classroom", "teacher", "homework", "kid", "student"]),
    ("tech", &["technology", "computer", "internet", "phone", "robot", "ai", "gaming", "gadget", "app"]),
    ("movies", &["movie", "film", "cinema", "hollywood", "tv", "television", "show"]),
    ("sports", &["sport", "olympics", "fitness", "football", "soccer", "game"]),
    ("holidays", &["holiday", "christmas", "halloween", "birthday", "party", "celebration", "winter", "gift"]),
    ("science", &["chemistry", "physics", "lab", "experiment", "invention"]),
    ("space", &["astronaut", "planet", "alien", "moon", "rocket", "star"]),
    ("ocean", &["sea", "beach", "pirate", "fish", "boat", "ship", "underwater"]),
    ("weather", &["rain", "snow", "sun", "storm", "cloud", "summer", "wind"]),
    ("history", &["past", "ancient", "museum", "caveman", "viking", "pyramid", "knight"]),
    ("music", &["song", "band", "concert", "singing", "dance"]),
    ("home", &["house", "family", "chore", "furniture", "garden"]),
    ("fantasy", &["magic", "dragon", "wizard", "fairy", "medieval", "knight", "castle"]),
];

/// Theme words that carry no topic ("a theme about the sea" is about "sea").
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "with", "about", "from", "that", "this", "all", "any", "our", "your",
    "some", "stuff", "things", "theme", "topic", "random", "anything", "everything",
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// Lowercase tags from a leading `[tag]` or `[tag, other]`; empty when untagged.
    topics: Vec<String>,
    text: String,
    /// `question_key(text)`, computed once.
    key: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Bank {
    entries: Vec<Entry>,
}

impl Bank {
    /// The bank compiled into the binary.
    pub(crate) fn shipped() -> Self {
        Self::parse(SHIPPED)
    }

    /// One question per line, optionally `[topic] ` (or `[topic, other] `) first; blank lines
    /// and `#` comment lines are skipped, and so is a repeat of an earlier line (compared like
    /// room questions), so a careless edit of `bank.txt` cannot make the bank repeat itself.
    pub(crate) fn parse(text: &str) -> Self {
        let mut entries: Vec<Entry> = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (topics, question) = match line.strip_prefix('[').and_then(|r| r.split_once(']')) {
                Some((tags, rest)) => (
                    tags.split(',')
                        .map(|t| t.trim().to_lowercase())
                        .filter(|t| !t.is_empty())
                        .collect(),
                    rest.trim(),
                ),
                None => (Vec::new(), line),
            };
            if question.is_empty() || entries.iter().any(|e| e.key == question_key(question)) {
                continue;
            }
            entries.push(Entry {
                topics,
                text: question.to_string(),
                key: question_key(question),
            });
        }
        Bank { entries }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every question, in file order (without tags).
    #[cfg(test)]
    pub(crate) fn questions(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.text.as_str())
    }

    /// A random question not in `exclude`, preferring those whose tag (or a tag's alias) or
    /// text matches a word of `theme`, case-insensitively; any unused question when none
    /// matches. `None` only when every question is in `exclude`.
    pub(crate) fn pick(&self, theme: Option<&str>, exclude: &[String]) -> Option<String> {
        // One set lookup per question instead of a scan of `exclude` for each.
        let used: HashSet<String> = exclude.iter().map(|x| question_key(x)).collect();
        let unused: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| !used.contains(&e.key))
            .collect();
        let words = theme_words(theme);
        let themed: Vec<&Entry> = unused
            .iter()
            .copied()
            .filter(|e| e.matches(&words))
            .collect();
        let pool = if themed.is_empty() { &unused } else { &themed };
        pool.choose(&mut rand::rng()).map(|e| e.text.clone())
    }

    /// As [`Bank::pick`], but always answers. When a room has used every question (more rounds
    /// than the bank holds, over many games), a question comes back with a ` (take N)` suffix,
    /// N = 2, 3, …: the smallest N that makes it new to the room. Players see an honest repeat
    /// rather than an error, and the "never twice" rule still holds word for word.
    pub(crate) fn pick_or_variant(&self, theme: Option<&str>, exclude: &[String]) -> String {
        if let Some(q) = self.pick(theme, exclude) {
            return q;
        }
        let words = theme_words(theme);
        let themed: Vec<&Entry> = self.entries.iter().filter(|e| e.matches(&words)).collect();
        let pool: Vec<&Entry> = if themed.is_empty() {
            self.entries.iter().collect()
        } else {
            themed
        };
        let base = pool
            .choose(&mut rand::rng())
            .map_or(LAST_RESORT, |e| e.text.as_str());
        // `exclude` holds finitely many strings, so among the `exclude.len() + 1` suffixes tried
        // here at least one is free (pigeonhole): the loop always returns.
        for n in 2..=exclude.len() + 2 {
            let text = format!("{base} (take {n})");
            if !already_asked(&text, exclude) {
                return text;
            }
        }
        format!("{base} (take {})", exclude.len() + 3)
    }
}

impl Entry {
    fn matches(&self, words: &[String]) -> bool {
        if words.is_empty() {
            return false;
        }
        let topic_hit = self.topics.iter().any(|topic| {
            let aliases = ALIASES
                .iter()
                .find(|(tag, _)| tag == topic)
                .map_or(&[][..], |(_, a)| a);
            words
                .iter()
                .any(|w| same_word(w, topic) || aliases.iter().any(|alias| same_word(w, alias)))
        });
        topic_hit
            || self
                .text
                .split(|c: char| !c.is_alphanumeric())
                .any(|t| words.iter().any(|w| same_word(w, &t.to_lowercase())))
    }
}

/// The topic-bearing words of a theme: lowercase, at least two letters, no stop words.
fn theme_words(theme: Option<&str>) -> Vec<String> {
    theme
        .map(|t| {
            t.split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .filter(|w| w.chars().count() >= 2 && !STOP_WORDS.contains(&w.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// Equal up to an English plural ("cat"/"cats", "beach"/"beaches"): loose enough to catch the
/// obvious forms, strict enough that "sea" does not match "season".
fn same_word(a: &str, b: &str) -> bool {
    let plural_of = |long: &str, short: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest == "s" || rest == "es")
    };
    a == b || plural_of(a, b) || plural_of(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_shipped_bank_has_at_least_150_distinct_sensible_questions() {
        let raw_lines = SHIPPED
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .count();
        let bank = Bank::shipped();
        // `parse` drops repeats silently; the shipped file must not rely on that.
        assert_eq!(bank.len(), raw_lines, "bank.txt has a duplicate line");
        assert!(bank.len() >= 150, "only {}", bank.len());
        let distinct: HashSet<String> = bank.questions().map(str::to_lowercase).collect();
        assert_eq!(distinct.len(), bank.len(), "case-insensitive duplicates");
        for q in bank.questions() {
            let n = q.chars().count();
            assert!(!q.trim().is_empty());
            assert!((10..=200).contains(&n), "length {n}: {q:?}");
            assert!(q.ends_with('?') || q.ends_with('.'), "{q:?}");
            assert!(!q.contains('['), "stray tag in {q:?}");
        }
    }

    #[test]
    fn every_shipped_question_carries_a_known_topic_tag() {
        let bank = Bank::shipped();
        let known: HashSet<&str> = ALIASES
            .iter()
            .map(|(t, _)| *t)
            .chain(["everyday"])
            .collect();
        for e in &bank.entries {
            assert!(!e.topics.is_empty(), "untagged: {:?}", e.text);
            for t in &e.topics {
                assert!(known.contains(t.as_str()), "unknown tag {t:?}");
            }
        }
    }

    #[test]
    fn the_bank_never_returns_an_excluded_question_even_after_many_picks() {
        let bank = Bank::shipped();
        let mut used: Vec<String> = Vec::new();
        // Past the bank's size, into the numbered variants.
        for _ in 0..bank.len() + 60 {
            let q = bank.pick_or_variant(Some("animals"), &used);
            assert!(!already_asked(&q, &used), "repeated {q}");
            used.push(q);
        }
        assert_eq!(bank.pick(None, &used), None);
    }

    #[test]
    fn pick_says_none_only_once_every_question_is_used() {
        let bank = Bank::parse("[food] What is for dinner?\n[food] What is for lunch?");
        let mut used = vec!["  WHAT IS FOR DINNER?  ".to_string()];
        assert_eq!(
            bank.pick(None, &used).as_deref(),
            Some("What is for lunch?")
        );
        used.push("what is for lunch?".into());
        assert_eq!(bank.pick(None, &used), None);
    }

    #[test]
    fn an_exhausted_bank_answers_with_the_smallest_free_take_number() {
        let bank = Bank::parse("What is for dinner?");
        let mut used = vec!["What is for dinner?".to_string()];
        assert_eq!(
            bank.pick_or_variant(None, &used),
            "What is for dinner? (take 2)"
        );
        used.push("what is for dinner? (TAKE 2)".into());
        assert_eq!(
            bank.pick_or_variant(None, &used),
            "What is for dinner? (take 3)"
        );
    }

    #[test]
    fn an_empty_bank_still_answers() {
        let bank = Bank::parse("# nothing here\n\n");
        assert!(bank.is_empty());
        assert_eq!(bank.pick(None, &[]), None);
        let q = bank.pick_or_variant(None, &[]);
        assert!(q.starts_with(LAST_RESORT), "{q}");
        assert!(!already_asked(&q, &[]));
    }

    #[test]
    fn a_theme_prefers_questions_tagged_with_it() {
        let bank = Bank::shipped();
        for _ in 0..40 {
            let q = bank.pick(Some("Animals"), &[]).expect("a question");
            let entry = bank
                .entries
                .iter()
                .find(|e| e.text == q)
                .expect("from bank");
            assert!(
                entry.topics.iter().any(|t| t == "animals") || entry.matches(&["animals".into()]),
                "{q}"
            );
        }
    }

    #[test]
    fn a_theme_alias_finds_the_tag_it_stands_for() {
        let bank = Bank::parse("[animals] What would a llama say?\n[work] What is in the stapler?");
        for _ in 0..20 {
            assert_eq!(
                bank.pick(Some("our pets!"), &[]).as_deref(),
                Some("What would a llama say?")
            );
            assert_eq!(
                bank.pick(Some("The Office"), &[]).as_deref(),
                Some("What is in the stapler?")
            );
        }
    }

    #[test]
    fn a_theme_word_in_the_text_counts_even_without_a_tag() {
        let bank = Bank::parse("What do penguins dream of?\nWhat is in the fridge?");
        for _ in 0..20 {
            assert_eq!(
                bank.pick(Some("penguin"), &[]).as_deref(),
                Some("What do penguins dream of?")
            );
        }
    }

    #[test]
    fn a_theme_whose_questions_are_used_falls_back_to_any_unused_one() {
        let bank = Bank::parse("[animals] What would a llama say?\n[work] What is in the stapler?");
        let used = vec!["What would a llama say?".to_string()];
        assert_eq!(
            bank.pick(Some("animals"), &used).as_deref(),
            Some("What is in the stapler?")
        );
    }

    #[test]
    fn an_unknown_theme_still_gives_a_question() {
        let bank = Bank::shipped();
        assert!(bank.pick(Some("zzqx"), &[]).is_some());
        assert!(bank.pick(Some("   "), &[]).is_some());
    }

    #[test]
    fn parsing_reads_tags_and_skips_comments_blanks_and_repeats() {
        let bank = Bank::parse(
            "# comment\n\n[Food, Home] What is in the fridge?\nUntagged question here?\n\
             [food]   what is in the FRIDGE?   \n[] Empty tag list here?\n[food]\n",
        );
        assert_eq!(
            bank.questions().collect::<Vec<_>>(),
            [
                "What is in the fridge?",
                "Untagged question here?",
                "Empty tag list here?"
            ]
        );
        assert_eq!(bank.entries[0].topics, ["food", "home"]);
        assert!(bank.entries[1].topics.is_empty());
    }

    #[test]
    fn plural_forms_match_but_longer_words_do_not() {
        assert!(same_word("cat", "cats"));
        assert!(same_word("beaches", "beach"));
        assert!(!same_word("sea", "season"));
        assert!(!same_word("sea", "seal"));
    }
}
