//! The shipped question bank (`bank.txt`, compiled into the binary): always available, instant,
//! and the fallback for every AI failure. Topic tags let a room's theme steer the pick.

use rand::seq::IndexedRandom;

use super::same_question;

const SHIPPED: &str = include_str!("bank.txt");

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    topic: Option<String>,
    text: String,
}

#[derive(Debug, Clone)]
pub struct Bank {
    entries: Vec<Entry>,
}

impl Bank {
    pub fn shipped() -> Self {
        Self::parse(SHIPPED)
    }

    /// One question per line, optionally `[topic] ` first; `#` lines are comments.
    pub fn parse(text: &str) -> Self {
        let entries = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(
                |line| match line.strip_prefix('[').and_then(|r| r.split_once(']')) {
                    Some((topic, rest)) => Entry {
                        topic: Some(topic.trim().to_lowercase()),
                        text: rest.trim().to_string(),
                    },
                    None => Entry {
                        topic: None,
                        text: line.to_string(),
                    },
                },
            )
            .filter(|e| !e.text.is_empty())
            .collect();
        Bank { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A random question not in `exclude`, preferring ones whose topic or text matches a word
    /// of `theme`. When a room has used the whole bank (more rounds than questions, over many
    /// games), a used question comes back marked with a number so it is still a new question.
    pub fn pick(&self, theme: Option<&str>, exclude: &[String]) -> String {
        let unused: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| !exclude.iter().any(|x| same_question(x, &e.text)))
            .collect();
        let words: Vec<String> = theme
            .map(|t| {
                t.split(|c: char| !c.is_alphanumeric())
                    .filter(|w| w.chars().count() >= 3)
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        let themed: Vec<&Entry> = unused
            .iter()
            .copied()
            .filter(|e| {
                words.iter().any(|w| {
                    e.topic
                        .as_deref()
                        .is_some_and(|t| t.starts_with(w.as_str()) || w.starts_with(t))
                        || e.text.to_lowercase().contains(w.as_str())
                })
            })
            .collect();
        let mut rng = rand::rng();
        let pool = if themed.is_empty() { &unused } else { &themed };
        if let Some(entry) = pool.choose(&mut rng) {
            return entry.text.clone();
        }
        // Everything used: number a repeat until it is new to this room.
        for n in 2.. {
            if let Some(entry) = self.entries.choose(&mut rng) {
                let text = format!("{} (take {n})", entry.text);
                if !exclude.iter().any(|x| same_question(x, &text)) {
                    return text;
                }
            } else {
                break;
            }
        }
        "What is the best answer to a question nobody asked?".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_shipped_bank_has_at_least_150_distinct_sensible_questions() {
        let bank = Bank::shipped();
        assert!(bank.len() >= 150, "only {}", bank.len());
        let distinct: HashSet<String> =
            bank.entries.iter().map(|e| e.text.to_lowercase()).collect();
        assert_eq!(distinct.len(), bank.len(), "duplicates in bank.txt");
        for e in &bank.entries {
            let n = e.text.chars().count();
            assert!((10..=200).contains(&n), "{:?}", e.text);
            assert!(
                e.text.ends_with('?') || e.text.ends_with('.'),
                "{:?}",
                e.text
            );
        }
    }

    #[test]
    fn the_bank_never_returns_an_excluded_question() {
        let bank = Bank::shipped();
        let mut used: Vec<String> = Vec::new();
        for _ in 0..bank.len() + 20 {
            let q = bank.pick(None, &used);
            assert!(!used.iter().any(|u| same_question(u, &q)), "repeated {q}");
            used.push(q);
        }
    }

    #[test]
    fn a_theme_steers_the_pick() {
        let bank = Bank::shipped();
        for _ in 0..30 {
            let q = bank.pick(Some("Animals"), &[]);
            let entry = bank
                .entries
                .iter()
                .find(|e| e.text == q)
                .expect("from the bank");
            assert!(
                entry.topic.as_deref() == Some("animals") || q.to_lowercase().contains("animal"),
                "{q}"
            );
        }
    }

    #[test]
    fn an_unknown_theme_still_gives_a_question() {
        let bank = Bank::shipped();
        assert!(!bank.pick(Some("zzqx"), &[]).is_empty());
    }
}
