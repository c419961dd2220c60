//! What a category may be: a slug (the name lists filter by, in URLs) of 1–40 characters of
//! `a–z`, `0–9` and `-`, a single-line name of up to 50 characters, a description as a poll's.
//! Only an administrator adds one (the service checks); these say what is acceptable.

use super::{PollError, create};
use crate::domain::text::TextRule;

/// Longest slug, in bytes (it is ASCII).
const MAX_SLUG: usize = 40;

/// A category's display name.
const NAME: TextRule = TextRule {
    field: "name",
    max_chars: 50,
    nfc: true,
    multiline: false,
};

/// A new category that keeps every rule: the slug lowercased, the texts checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewCategory {
    pub slug: String,
    pub name: String,
    pub description: String,
}

impl NewCategory {
    /// Checks a new category, slug first, then name, then description; the first refusal
    /// names its field.
    pub(crate) fn check(
        slug: &str,
        name: &str,
        description: Option<&str>,
    ) -> Result<NewCategory, PollError> {
        let slug = slug.trim().to_lowercase();
        if slug.is_empty()
            || slug.len() > MAX_SLUG
            || !slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(PollError::validation(
                "slug",
                "must be 1–40 characters of a–z, 0–9 and -",
            ));
        }
        // The text rules' refusals are worded `field: …` already; the category's wording has
        // always put its field in front once more.
        let name = NAME
            .check(name)
            .map_err(|e| PollError::validation("name", e.to_string()))?;
        let description = create::description(description.unwrap_or(""))
            .map_err(|e| PollError::validation("description", e.to_string()))?;
        Ok(NewCategory {
            slug,
            name,
            description,
        })
    }
}

/// Whether `slug` could name a category at all: one with a control character (NUL above all,
/// which Postgres refuses in text) cannot, so it is refused before any query.
pub(crate) fn could_be_slug(slug: &str) -> bool {
    !slug.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: PollError) -> &'static str {
        match e {
            PollError::Validation { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_slug_is_lowercased_and_keeps_to_its_alphabet() {
        let c = NewCategory::check(" Board-Games2 ", " Board games ", None).expect("valid");
        assert_eq!(
            c,
            NewCategory {
                slug: "board-games2".into(),
                name: "Board games".into(),
                description: String::new(),
            }
        );
        for bad in ["", "  ", "a b", "a_b", "é", &"a".repeat(41)] {
            let e = NewCategory::check(bad, "Name", None).expect_err(bad);
            assert_eq!(field(e), "slug", "{bad:?}");
        }
        assert!(NewCategory::check(&"a".repeat(40), "Name", None).is_ok());
    }

    #[test]
    fn the_name_and_description_are_checked_after_the_slug() {
        assert_eq!(
            field(NewCategory::check("x", "", None).expect_err("name")),
            "name"
        );
        assert_eq!(
            field(NewCategory::check("x", &"n".repeat(51), None).expect_err("name")),
            "name"
        );
        let long = "d".repeat(1_001);
        assert_eq!(
            field(NewCategory::check("x", "Name", Some(&long)).expect_err("description")),
            "description"
        );
        assert_eq!(
            field(NewCategory::check("x y", "", None).expect_err("slug")),
            "slug"
        );
        assert_eq!(
            NewCategory::check("x", "Name", Some("  ")).map(|c| c.description),
            Ok(String::new())
        );
    }

    #[test]
    fn a_slug_with_a_control_character_could_name_nothing() {
        assert!(could_be_slug("board-games"));
        assert!(!could_be_slug("a\u{0}b"));
        assert!(!could_be_slug("a\nb"));
    }
}
