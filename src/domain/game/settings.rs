//! A room's game settings and their allowed ranges, checked once when a room is created.

use serde::{Deserialize, Serialize};

use super::{DomainError, moderation::ProfanityFilter};
use crate::domain::text;

/// How a room's game is played. Missing (or `null`) fields take their defaults, so a client may
/// send only the ones it changes. The one definition of settings: REST reads it, the views and
/// the OpenAPI document show it (`ToSchema` is a derive, no I/O), the stores keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(from = "SettingsInput")]
pub struct Settings {
    pub max_rounds: u32,
    pub answer_seconds: u32,
    pub vote_seconds: u32,
    pub max_players: u32,
    pub theme: Option<String>,
    /// What the room does with answers (and questions) its word list matches.
    pub profanity_filter: ProfanityFilter,
    /// Whether people may join as audience even while the room has places for players
    /// (they always may once it has none).
    pub audience_open: bool,
    /// Points to the author of the answer(s) the audience voted for most in a round (0–1000).
    pub audience_bonus: u32,
    /// Votes hidden until the reveal (contract v3): while voting, everyone sees how many have
    /// voted (`votes_cast`), not for what; the round's results then say who voted for each
    /// answer. Off by default, so clients of the first contract keep live counts.
    pub hide_votes: bool,
    /// Whether the host is a player (contract v3). Off, the host runs the room from outside
    /// the game: no seat, no score, counted in no quorum, yet still the host. On by default,
    /// so clients of the first contract see no change. Fixed when the room is created.
    pub host_plays: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_rounds: 3,
            answer_seconds: 60,
            vote_seconds: 45,
            max_players: 8,
            theme: None,
            profanity_filter: ProfanityFilter::Off,
            audience_open: false,
            audience_bonus: 0,
            hide_votes: false,
            host_plays: true,
        }
    }
}

/// Settings as read: every field optional, a missing or `null` one meaning its default.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsInput {
    max_rounds: Option<u32>,
    answer_seconds: Option<u32>,
    vote_seconds: Option<u32>,
    max_players: Option<u32>,
    theme: Option<String>,
    profanity_filter: Option<ProfanityFilter>,
    audience_open: Option<bool>,
    audience_bonus: Option<u32>,
    hide_votes: Option<bool>,
    host_plays: Option<bool>,
}

impl From<SettingsInput> for Settings {
    fn from(input: SettingsInput) -> Self {
        let d = Settings::default();
        Settings {
            max_rounds: input.max_rounds.unwrap_or(d.max_rounds),
            answer_seconds: input.answer_seconds.unwrap_or(d.answer_seconds),
            vote_seconds: input.vote_seconds.unwrap_or(d.vote_seconds),
            max_players: input.max_players.unwrap_or(d.max_players),
            theme: input.theme,
            profanity_filter: input.profanity_filter.unwrap_or(d.profanity_filter),
            audience_open: input.audience_open.unwrap_or(d.audience_open),
            audience_bonus: input.audience_bonus.unwrap_or(d.audience_bonus),
            hide_votes: input.hide_votes.unwrap_or(d.hide_votes),
            host_plays: input.host_plays.unwrap_or(d.host_plays),
        }
    }
}

fn in_range(field: &'static str, value: u32, min: u32, max: u32) -> Result<(), DomainError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(DomainError::validation(
            field,
            format!("must be between {min} and {max}, got {value}"),
        ))
    }
}

impl Settings {
    /// Checks every field against the contract's ranges. A blank theme is refused here; call
    /// [`Settings::normalized`] first to treat it as "no theme" instead.
    pub fn validate(&self) -> Result<(), DomainError> {
        in_range("max_rounds", self.max_rounds, 1, 20)?;
        in_range("answer_seconds", self.answer_seconds, 3, 600)?;
        in_range("vote_seconds", self.vote_seconds, 3, 600)?;
        in_range("max_players", self.max_players, 2, 100)?;
        in_range("audience_bonus", self.audience_bonus, 0, 1000)?;
        if let Some(theme) = &self.theme {
            text::THEME.check(theme)?;
        }
        Ok(())
    }

    /// Trims the theme; a theme that is only white space means no theme.
    pub fn normalized(mut self) -> Self {
        self.theme = self
            .theme
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<(), DomainError>) -> &'static str {
        match result {
            Err(DomainError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn the_defaults_are_three_rounds_sixty_and_forty_five_seconds_eight_players() {
        let s = Settings::default();
        assert_eq!(
            (
                s.max_rounds,
                s.answer_seconds,
                s.vote_seconds,
                s.max_players
            ),
            (3, 60, 45, 8)
        );
        assert_eq!(s.theme, None);
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn the_range_limits_themselves_are_accepted() {
        for (rounds, answer, vote, players) in [(1, 3, 3, 2), (20, 600, 600, 100)] {
            let s = Settings {
                max_rounds: rounds,
                answer_seconds: answer,
                vote_seconds: vote,
                max_players: players,
                ..Settings::default()
            };
            assert_eq!(s.validate(), Ok(()));
        }
    }

    #[test]
    fn each_field_outside_its_range_is_refused_by_name() {
        let base = Settings::default;
        let cases = [
            (
                Settings {
                    max_rounds: 0,
                    ..base()
                },
                "max_rounds",
            ),
            (
                Settings {
                    max_rounds: 21,
                    ..base()
                },
                "max_rounds",
            ),
            (
                Settings {
                    answer_seconds: 2,
                    ..base()
                },
                "answer_seconds",
            ),
            (
                Settings {
                    answer_seconds: 601,
                    ..base()
                },
                "answer_seconds",
            ),
            (
                Settings {
                    vote_seconds: 2,
                    ..base()
                },
                "vote_seconds",
            ),
            (
                Settings {
                    vote_seconds: 601,
                    ..base()
                },
                "vote_seconds",
            ),
            (
                Settings {
                    max_players: 1,
                    ..base()
                },
                "max_players",
            ),
            (
                Settings {
                    max_players: 101,
                    ..base()
                },
                "max_players",
            ),
        ];
        for (settings, field) in cases {
            assert_eq!(field_of(settings.validate()), field);
        }
    }

    #[test]
    fn a_theme_is_measured_in_unicode_characters_after_trimming() {
        let ok = Settings {
            theme: Some(format!("  {}  ", "é".repeat(100))),
            ..Settings::default()
        };
        assert_eq!(ok.validate(), Ok(()));
        let long = Settings {
            theme: Some("é".repeat(101)),
            ..Settings::default()
        };
        assert_eq!(field_of(long.validate()), "theme");
        let blank = Settings {
            theme: Some("   ".into()),
            ..Settings::default()
        };
        assert_eq!(field_of(blank.validate()), "theme");
    }

    #[test]
    fn normalizing_trims_the_theme_and_drops_a_blank_one() {
        let s = Settings {
            theme: Some("  animals ".into()),
            ..Settings::default()
        };
        assert_eq!(s.normalized().theme.as_deref(), Some("animals"));
        let blank = Settings {
            theme: Some(" \t ".into()),
            ..Settings::default()
        };
        assert_eq!(blank.normalized().theme, None);
    }

    #[test]
    fn null_fields_take_their_defaults_too_and_a_full_object_reads_back_as_itself() {
        let s: Settings =
            serde_json::from_str(r#"{"max_rounds": null, "vote_seconds": 9, "theme": null}"#)
                .unwrap();
        assert_eq!(
            s,
            Settings {
                vote_seconds: 9,
                ..Settings::default()
            }
        );
        let full = Settings {
            theme: Some("sea".into()),
            ..s
        };
        let back: Settings = serde_json::from_str(&serde_json::to_string(&full).unwrap()).unwrap();
        assert_eq!(back, full);
    }

    #[test]
    fn missing_fields_take_their_defaults_when_read_from_json() {
        let s: Settings = serde_json::from_str(r#"{"max_rounds": 5}"#).unwrap();
        assert_eq!(
            s,
            Settings {
                max_rounds: 5,
                ..Settings::default()
            }
        );
    }
}
