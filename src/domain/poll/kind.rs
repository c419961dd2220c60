//! What a poll asks for (contract v3): options to pick (`choice`), options to rank (`ranked`),
//! or a short text (`text`). Fixed when the poll is made. Its own module because every rule
//! that differs by kind (what a ballot is, what the results are) asks it.

use serde::{Deserialize, Serialize};

/// The kind of a poll, as the wire and Postgres name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PollKind {
    /// Pick one option, or up to `max_choices` (every poll of the first two contracts).
    #[default]
    Choice,
    /// Order some or all options; results are an instant runoff.
    Ranked,
    /// A short text answer; results are approved answers and word counts.
    Text,
}

impl PollKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PollKind::Choice => "choice",
            PollKind::Ranked => "ranked",
            PollKind::Text => "text",
        }
    }

    /// The kind a stored name means (`None`: a name this build does not know).
    pub(crate) fn parse(s: &str) -> Option<PollKind> {
        [PollKind::Choice, PollKind::Ranked, PollKind::Text]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_and_postgres_name_each_kind_alike() {
        for k in [PollKind::Choice, PollKind::Ranked, PollKind::Text] {
            assert_eq!(
                serde_json::to_value(k).ok(),
                Some(serde_json::json!(k.as_str()))
            );
            let back: Option<PollKind> = serde_json::from_value(serde_json::json!(k.as_str())).ok();
            assert_eq!(back, Some(k));
            assert_eq!(PollKind::parse(k.as_str()), Some(k));
        }
        assert!(serde_json::from_value::<PollKind>(serde_json::json!("Choice")).is_err());
        assert_eq!(PollKind::default(), PollKind::Choice);
    }
}
