//! A text poll's word cloud, as a pure function of its approved answers: every transport (the
//! poll body, `GET …/results`, `poll_results`, the plain WebSocket, the export) shows the same
//! counts because they all call this one function.
//!
//! The rules (the README states them):
//! - A word is a run of letters, digits and marks (so `é` typed as `e` + accent stays inside
//!   its word), with apostrophes inside it kept (`don't`); every other character (punctuation,
//!   symbols, emoji, spaces) separates words.
//! - Words are compared in Unicode NFKC, lowercased (`Ｐｉｚｚａ`, `PIZZA` and `pizza` are one
//!   word); a curly apostrophe is a straight one.
//! - English stop words (`the`, `and`, `it's`...) and words of one character are left out.
//! - A word counts once per answer that contains it: an answer of "pizza pizza pizza" is one
//!   voice for pizza, so no one inflates a word by repeating it.
//! - The most frequent [`TOP_WORDS`] are kept, most frequent first, ties by the word's order.

use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The most words a cloud carries (a cloud of more is unreadable, and its size stays bounded
/// however many answers there are).
pub(crate) const TOP_WORDS: usize = 100;

/// One word and in how many approved answers it appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct WordCount {
    pub word: String,
    pub count: u64,
}

/// Common English words that say nothing in a cloud (the usual list of function words, in the
/// normalised form: lowercase, straight apostrophes).
const STOP_WORDS: &[&str] = &[
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "aren't",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "can't",
    "cannot",
    "could",
    "couldn't",
    "did",
    "didn't",
    "do",
    "does",
    "doesn't",
    "doing",
    "don't",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "hadn't",
    "has",
    "hasn't",
    "have",
    "haven't",
    "having",
    "he",
    "he'd",
    "he'll",
    "he's",
    "her",
    "here",
    "here's",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "how's",
    "i'd",
    "i'll",
    "i'm",
    "i've",
    "if",
    "in",
    "into",
    "is",
    "isn't",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "let's",
    "me",
    "more",
    "most",
    "mustn't",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "ought",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "shan't",
    "she",
    "she'd",
    "she'll",
    "she's",
    "should",
    "shouldn't",
    "so",
    "some",
    "such",
    "than",
    "that",
    "that's",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "there's",
    "these",
    "they",
    "they'd",
    "they'll",
    "they're",
    "they've",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "wasn't",
    "we",
    "we'd",
    "we'll",
    "we're",
    "we've",
    "were",
    "weren't",
    "what",
    "what's",
    "when",
    "when's",
    "where",
    "where's",
    "which",
    "while",
    "who",
    "who's",
    "whom",
    "why",
    "why's",
    "will",
    "with",
    "won't",
    "would",
    "wouldn't",
    "you",
    "you'd",
    "you'll",
    "you're",
    "you've",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

fn stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// Whether `c` belongs inside a word (letters, marks, digits).
fn word_char(c: char) -> bool {
    use GeneralCategory as G;
    matches!(
        c.general_category(),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
            | G::NonspacingMark
            | G::SpacingMark
            | G::EnclosingMark
            | G::DecimalNumber
            | G::LetterNumber
            | G::OtherNumber
    )
}

/// The words of one answer, normalised, stop words left out, each once.
pub(crate) fn words_of(text: &str) -> BTreeSet<String> {
    let normal: String = text
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| {
            if matches!(c, '\u{2019}' | '\u{2018}') {
                '\''
            } else {
                c
            }
        })
        .collect();
    let mut out = BTreeSet::new();
    for raw in normal.split(|c: char| !(word_char(c) || c == '\'')) {
        let word = raw.trim_matches('\'');
        if word.chars().count() < 2 || stop_word(word) {
            continue;
        }
        // Two apostrophes in a row are punctuation, not one word ('' quoting).
        if word.contains("''") {
            for part in word.split("''") {
                let part = part.trim_matches('\'');
                if part.chars().count() >= 2 && !stop_word(part) {
                    out.insert(part.to_string());
                }
            }
            continue;
        }
        out.insert(word.to_string());
    }
    out
}

/// The word cloud of `answers` (the approved ones): each word with the number of answers it
/// appears in, the [`TOP_WORDS`] most frequent, most frequent first, ties by word.
pub(crate) fn word_counts<'a>(answers: impl IntoIterator<Item = &'a str>) -> Vec<WordCount> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    for answer in answers {
        for word in words_of(answer) {
            *counts.entry(word).or_default() += 1;
        }
    }
    let mut all: Vec<WordCount> = counts
        .into_iter()
        .map(|(word, count)| WordCount { word, count })
        .collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.word.cmp(&b.word)));
    all.truncate(TOP_WORDS);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn wc(word: &str, count: u64) -> WordCount {
        WordCount {
            word: word.into(),
            count,
        }
    }

    #[test]
    fn the_stop_list_is_sorted_for_its_search() {
        assert!(
            STOP_WORDS.windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
    }

    #[test]
    fn words_are_lowercased_width_folded_and_stripped_of_punctuation() {
        let got = word_counts([
            "Pizza!",
            "PIZZA, pasta.",
            "\u{ff30}\u{ff49}\u{ff5a}\u{ff5a}\u{ff41}?",
        ]);
        assert_eq!(got, vec![wc("pizza", 3), wc("pasta", 1)]);
    }

    #[test]
    fn stop_words_and_single_letters_are_left_out_and_contractions_kept_whole() {
        let got = word_counts([
            "I don\u{2019}t like the rain",
            "It's a rainy day, isn't it?",
        ]);
        assert_eq!(
            got,
            vec![wc("day", 1), wc("like", 1), wc("rain", 1), wc("rainy", 1)]
        );
    }

    #[test]
    fn a_word_counts_once_per_answer() {
        assert_eq!(
            word_counts(["pizza pizza pizza", "pizza"]),
            vec![wc("pizza", 2)]
        );
    }

    #[test]
    fn accents_in_either_form_and_other_scripts_are_words() {
        let got = word_counts([
            "Caf\u{e9} cr\u{e8}me",
            "cafe\u{301}",
            "\u{65e5}\u{672c}\u{8a9e} 東京",
        ]);
        assert_eq!(got[0], wc("caf\u{e9}", 2));
        assert!(got.contains(&wc("cr\u{e8}me", 1)));
        assert!(got.contains(&wc("\u{65e5}\u{672c}\u{8a9e}", 1)));
        assert!(got.contains(&wc("東京", 1)));
    }

    #[test]
    fn emoji_and_symbols_separate_words() {
        assert_eq!(
            word_counts(["tea\u{2615}coffee", "''tea''", "#tea"]),
            vec![wc("tea", 3), wc("coffee", 1)]
        );
    }

    #[test]
    fn the_cloud_keeps_the_most_frequent_words_ties_by_word() {
        let answers: Vec<String> = (0..150).map(|n| format!("w{n:03} common")).collect();
        let got = word_counts(answers.iter().map(String::as_str));
        assert_eq!(got.len(), TOP_WORDS);
        assert_eq!(got[0], wc("common", 150));
        assert_eq!(got[1], wc("w000", 1));
        assert_eq!(got[99], wc("w098", 1));
        assert!(word_counts(Vec::<&str>::new()).is_empty());
    }

    proptest! {
        /// Whatever the answers: at most TOP_WORDS words, sorted, none empty or a stop word, no
        /// count above the number of answers, and the order of answers does not matter.
        #[test]
        fn a_cloud_is_bounded_sorted_and_order_free(
            answers in proptest::collection::vec("[a-zA-Z' ,.!éÉ\u{2019}\u{ff21}-\u{ff3a}]{0,40}", 0..40)
        ) {
            let refs: Vec<&str> = answers.iter().map(String::as_str).collect();
            let got = word_counts(refs.iter().copied());
            prop_assert!(got.len() <= TOP_WORDS);
            for w in &got {
                prop_assert!(w.count >= 1 && w.count <= answers.len() as u64);
                prop_assert!(w.word.chars().count() >= 2);
                prop_assert!(!stop_word(&w.word));
                prop_assert_eq!(w.word.to_lowercase(), w.word.clone());
                prop_assert!(!w.word.starts_with('\'') && !w.word.ends_with('\''));
            }
            prop_assert!(got.windows(2).all(|p| p[0].count > p[1].count
                || (p[0].count == p[1].count && p[0].word < p[1].word)));
            let mut reversed = refs.clone();
            reversed.reverse();
            prop_assert_eq!(word_counts(reversed), got);
        }

        /// A word's count is the number of answers whose own words contain it.
        #[test]
        fn counts_are_answers_containing_the_word(
            answers in proptest::collection::vec("[a-c ]{0,12}", 0..20)
        ) {
            let got = word_counts(answers.iter().map(String::as_str));
            for w in got {
                let n = answers.iter().filter(|a| words_of(a).contains(&w.word)).count();
                prop_assert_eq!(w.count, n as u64);
            }
        }
    }
}
