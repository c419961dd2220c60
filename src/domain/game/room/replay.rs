//! Play again: after a game has ended, the host starts the room's next game with the players
//! still in it. Scores start afresh, settings are kept or replaced, and questions keep being
//! drawn from what the room has never had (`used_questions` spans every game of the room).

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

use super::{Room, RoomStatus};
use crate::domain::{DomainError, Event, Settings, UserId};

/// The number of a room's first game.
pub(crate) fn first_game() -> u32 {
    1
}

/// The room's settings with the fields of `patch` (a JSON object, possibly partial) laid over
/// them: what a host sends to change some settings and keep the rest. A field set to `null`
/// takes its default, as when creating a room.
pub(crate) fn patched_settings(current: &Settings, patch: &Value) -> Result<Settings, DomainError> {
    let Value::Object(fields) = patch else {
        return Err(DomainError::validation("settings", "must be an object"));
    };
    let mut merged = match serde_json::to_value(current) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    for (k, v) in fields {
        merged.insert(k.clone(), v.clone());
    }
    serde_json::from_value::<Settings>(Value::Object(merged))
        .map(Settings::normalized)
        .map_err(|e| DomainError::validation("settings", e.to_string()))
}

impl Room {
    /// Starts game `game_number + 1` with round 1 asking `question`. Only the host, only once
    /// the game has ended, and with at least two players still in the room.
    pub(super) fn play_again(
        &mut self,
        by: UserId,
        round_id: Uuid,
        question: &str,
        settings: Option<Settings>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        self.require_host(by)?;
        match self.status {
            RoomStatus::Finished => {}
            RoomStatus::Playing => return Err(DomainError::GameInProgress),
            RoomStatus::Lobby => return Err(DomainError::WrongPhase),
        }
        if let Some(settings) = settings {
            let settings = settings.normalized();
            settings.validate()?;
            self.keeps_host_plays(settings.host_plays)?;
            if (settings.max_players as usize) < self.active_count() {
                return Err(DomainError::validation(
                    "max_players",
                    "is below the number of players in the room",
                ));
            }
            self.settings = settings;
        }
        if self.active_count() < 2 {
            return Err(DomainError::NotEnoughPlayers);
        }
        let question = self.fresh_question(round_id, question)?;
        // Only the people here now: anyone who left before the new game drops off the board.
        self.scores = self
            .participants
            .iter()
            .filter(|p| p.active)
            .map(|p| (p.user_id, 0))
            .collect::<BTreeMap<_, _>>();
        self.game_number = self.game_number.saturating_add(1);
        let reset = Event::GameReset {
            game_id: round_id,
            game_number: self.game_number,
            settings: self.settings.clone(),
            leaderboard: self.leaderboard(),
        };
        let started = self.begin_round(round_id, 1, question, now);
        Ok(vec![reset, started])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Command, RoundPhase};
    use chrono::TimeDelta;
    use proptest::prelude::*;
    use serde_json::json;

    const HOST: u128 = 1;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(1_700_000_000 + s)
    }

    /// A room of `players` whose one-round game has been played to its end: everyone answered,
    /// everyone voted for the host's answer (the host for player 2's).
    fn ended(players: u128, first_round: u128) -> Room {
        let mut room = Room::new(
            id(900),
            "ABCDEF".into(),
            id(HOST),
            "host".into(),
            Settings {
                max_rounds: 1,
                ..Settings::default()
            },
            t(0),
        );
        for n in 2..=players {
            room.apply(Command::Join {
                user_id: id(n),
                display_name: format!("p{n}"),
                now: t(1),
            })
            .unwrap();
        }
        room.apply(Command::StartGame {
            by: id(HOST),
            round_id: id(first_round),
            question: "first question".into(),
            now: t(2),
        })
        .unwrap();
        finish_game(&mut room, players, first_round);
        room
    }

    fn finish_game(room: &mut Room, players: u128, round: u128) {
        for n in 1..=players {
            room.apply(Command::SubmitAnswer {
                by: id(n),
                round_id: id(round),
                answer_id: id(round * 100 + n),
                content: format!("answer {n}"),
                now: t(3),
            })
            .unwrap();
        }
        for n in 1..=players {
            let target = if n == HOST { 2 } else { HOST };
            room.apply(Command::Vote {
                by: id(n),
                round_id: id(round),
                answer_id: id(round * 100 + target),
                now: t(4),
            })
            .unwrap();
        }
        room.apply(Command::NextRound {
            by: id(HOST),
            round_id: id(round + 1),
            question: "unused".into(),
            now: t(5),
        })
        .unwrap();
        assert_eq!(room.status, RoomStatus::Finished);
    }

    fn again(by: u128, round: u128, question: &str, settings: Option<Settings>) -> Command {
        Command::PlayAgain {
            by: id(by),
            round_id: id(round),
            question: question.into(),
            settings,
            now: t(10),
        }
    }

    #[test]
    fn play_again_starts_the_next_game_with_everyone_at_zero() {
        let mut room = ended(3, 100);
        assert_eq!(room.scores[&id(HOST)], 2);
        assert_eq!(room.game_id, Some(id(100)));
        let events = room
            .apply(again(HOST, 200, "second question", None))
            .unwrap();
        assert!(matches!(
            &events[0],
            Event::GameReset { game_id, game_number: 2, leaderboard, .. }
                if *game_id == id(200) && leaderboard.iter().all(|e| e.score == 0 && e.rank == 1)
        ));
        assert!(matches!(
            &events[1],
            Event::RoundStarted {
                round_number: 1,
                first: true,
                ..
            }
        ));
        assert_eq!(room.status, RoomStatus::Playing);
        assert_eq!((room.game_number, room.game_id), (2, Some(id(200))));
        assert!(room.scores.values().all(|s| *s == 0));
        let round = room.round.as_ref().unwrap();
        assert_eq!((round.number, round.phase), (1, RoundPhase::Answering));
        assert_eq!(round.players, vec![id(1), id(2), id(3)]);
    }

    #[test]
    fn only_the_host_may_play_again_and_only_after_the_game_ended() {
        let mut room = ended(3, 100);
        assert_eq!(
            room.apply(again(2, 200, "q2", None)),
            Err(DomainError::NotHost)
        );
        room.apply(again(HOST, 200, "q2", None)).unwrap();
        assert_eq!(
            room.apply(again(HOST, 300, "q3", None)),
            Err(DomainError::GameInProgress)
        );
        let mut lobby = Room::new(
            id(901),
            "ABCDEG".into(),
            id(HOST),
            "host".into(),
            Settings::default(),
            t(0),
        );
        assert_eq!(
            lobby.apply(again(HOST, 200, "q2", None)),
            Err(DomainError::WrongPhase)
        );
    }

    #[test]
    fn a_question_the_room_already_had_is_refused_in_a_later_game() {
        let mut room = ended(2, 100);
        let before = room.clone();
        assert!(matches!(
            room.apply(again(HOST, 200, "  First Question ", None)),
            Err(DomainError::Validation {
                field: "question",
                ..
            })
        ));
        assert_eq!(room, before);
    }

    #[test]
    fn new_settings_are_checked_and_must_fit_the_players_present() {
        let mut room = ended(3, 100);
        let too_small = Settings {
            max_players: 2,
            ..Settings::default()
        };
        assert!(matches!(
            room.apply(again(HOST, 200, "q2", Some(too_small))),
            Err(DomainError::Validation {
                field: "max_players",
                ..
            })
        ));
        let bad = Settings {
            max_rounds: 0,
            ..Settings::default()
        };
        assert!(matches!(
            room.apply(again(HOST, 200, "q2", Some(bad))),
            Err(DomainError::Validation {
                field: "max_rounds",
                ..
            })
        ));
        let changed = Settings {
            max_rounds: 5,
            theme: Some(" space ".into()),
            ..Settings::default()
        };
        room.apply(again(HOST, 200, "q2", Some(changed))).unwrap();
        assert_eq!(room.settings.max_rounds, 5);
        assert_eq!(room.settings.theme.as_deref(), Some("space"));
    }

    #[test]
    fn play_again_needs_two_players_still_in_the_room() {
        let mut room = ended(2, 100);
        room.apply(Command::Leave {
            user_id: id(2),
            now: t(6),
        })
        .unwrap();
        assert_eq!(
            room.apply(again(HOST, 200, "q2", None)),
            Err(DomainError::NotEnoughPlayers)
        );
    }

    #[test]
    fn someone_who_left_before_the_new_game_is_not_on_its_leaderboard() {
        let mut room = ended(3, 100);
        // Player 3 left after the game: still on that game's final board.
        room.apply(Command::Leave {
            user_id: id(3),
            now: t(6),
        })
        .unwrap();
        assert!(room.leaderboard().iter().any(|e| e.user_id == id(3)));
        room.apply(again(HOST, 200, "q2", None)).unwrap();
        let board: Vec<UserId> = room.leaderboard().iter().map(|e| e.user_id).collect();
        assert_eq!(board.len(), 2);
        assert!(!board.contains(&id(3)));
    }

    #[test]
    fn a_settings_patch_keeps_what_it_does_not_name() {
        let current = Settings {
            max_rounds: 7,
            theme: Some("sea".into()),
            ..Settings::default()
        };
        let s = patched_settings(&current, &json!({"vote_seconds": 9})).unwrap();
        assert_eq!(
            (s.max_rounds, s.vote_seconds, s.theme.as_deref()),
            (7, 9, Some("sea"))
        );
        let s = patched_settings(&current, &json!({"theme": null})).unwrap();
        assert_eq!(s.theme, None);
        assert!(patched_settings(&current, &json!([1])).is_err());
        assert!(patched_settings(&current, &json!({"max_rounds": "x"})).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Whatever the games played, each new game starts with every present player at zero,
        /// counts up, and no question is ever asked twice in the room.
        #[test]
        fn games_in_a_room_never_repeat_a_question_and_start_at_zero(
            players in 2u128..=6,
            games in 1usize..6,
            questions in prop::collection::vec("[a-e]{1,3}", 1..12),
        ) {
            let mut room = ended(players, 100);
            let mut round = 1000u128;
            let mut asked = vec!["first question".to_string()];
            for (game, q) in questions.iter().cycle().take(games).enumerate() {
                round += 10;
                let before = room.clone();
                match room.apply(again(HOST, round, q, None)) {
                    Ok(_) => {
                        prop_assert!(!asked.iter().any(|a| a.eq_ignore_ascii_case(q)), "{} asked twice", q);
                        asked.push(q.clone());
                        prop_assert!(room.scores.values().all(|s| *s == 0));
                        prop_assert_eq!(room.game_id, Some(id(round)));
                        prop_assert!(room.game_number >= 2 && room.game_number as usize <= game + 2);
                        finish_game(&mut room, players, round);
                    }
                    Err(_) => prop_assert_eq!(&room, &before),
                }
                prop_assert_eq!(room.used_questions.len(), asked.len());
            }
        }
    }
}
