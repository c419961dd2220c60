//! Everything a room can be asked to do, as plain data; ids and times come from the caller so
//! the rules stay deterministic.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Settings, UserId};

/// One request to change a room, handed to [`super::Room::apply`]. Every command carries the
/// caller's `now` because any of them may end a phase and so start the next phase's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    Join {
        user_id: UserId,
        display_name: String,
        now: DateTime<Utc>,
    },
    Leave {
        user_id: UserId,
        now: DateTime<Utc>,
    },
    Kick {
        by: UserId,
        target: UserId,
        now: DateTime<Utc>,
    },
    /// The host has been gone past the grace period: the room passes to `to`. Refused unless
    /// `from` is still the host, so a late or duplicate timer cannot move it twice.
    HandOverHost {
        from: UserId,
        to: UserId,
        now: DateTime<Utc>,
    },
    StartGame {
        by: UserId,
        round_id: Uuid,
        question: String,
        now: DateTime<Utc>,
    },
    SubmitAnswer {
        by: UserId,
        round_id: Uuid,
        answer_id: Uuid,
        content: String,
        now: DateTime<Utc>,
    },
    StartVoting {
        by: UserId,
        round_id: Uuid,
        now: DateTime<Utc>,
    },
    Vote {
        by: UserId,
        round_id: Uuid,
        answer_id: Uuid,
        now: DateTime<Utc>,
    },
    EndRound {
        by: UserId,
        round_id: Uuid,
        now: DateTime<Utc>,
    },
    /// After the last round this ends the game and `round_id`/`question` go unused.
    NextRound {
        by: UserId,
        round_id: Uuid,
        question: String,
        now: DateTime<Utc>,
    },
    /// After a game ended: a new game in the same room with the same players, scores at zero,
    /// `settings` replacing the room's when given; its first round starts at once.
    PlayAgain {
        by: UserId,
        round_id: Uuid,
        question: String,
        settings: Option<Settings>,
        now: DateTime<Utc>,
    },
    /// The host hides an answer before it is voted on (answering or voting): it leaves the
    /// ballot, any votes it had are withdrawn, and its author is told.
    HideAnswer {
        by: UserId,
        round_id: Uuid,
        answer_id: Uuid,
        now: DateTime<Utc>,
    },
    /// Joins the audience (see `room/audience.rs` for when that is allowed).
    JoinAudience {
        user_id: UserId,
        now: DateTime<Utc>,
    },
    LeaveAudience {
        user_id: UserId,
        now: DateTime<Utc>,
    },
    /// An audience member's vote, counted apart from the players'.
    AudienceVote {
        by: UserId,
        round_id: Uuid,
        answer_id: Uuid,
        now: DateTime<Utc>,
    },
    /// A deadline may have passed: ends the phase if so, otherwise does nothing.
    Tick {
        now: DateTime<Utc>,
    },
}

impl Command {
    /// The time the caller saw when issuing the command.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Command::Join { now, .. }
            | Command::Leave { now, .. }
            | Command::Kick { now, .. }
            | Command::HandOverHost { now, .. }
            | Command::StartGame { now, .. }
            | Command::SubmitAnswer { now, .. }
            | Command::StartVoting { now, .. }
            | Command::Vote { now, .. }
            | Command::EndRound { now, .. }
            | Command::NextRound { now, .. }
            | Command::PlayAgain { now, .. }
            | Command::HideAnswer { now, .. }
            | Command::JoinAudience { now, .. }
            | Command::LeaveAudience { now, .. }
            | Command::AudienceVote { now, .. }
            | Command::Tick { now } => *now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_command_reports_the_time_it_was_issued() {
        let now = Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap();
        let user = Uuid::from_u128(1);
        let cmds = [
            Command::Leave { user_id: user, now },
            Command::Tick { now },
            Command::EndRound {
                by: user,
                round_id: Uuid::from_u128(2),
                now,
            },
        ];
        for cmd in cmds {
            assert_eq!(cmd.now(), now);
        }
    }

    #[test]
    fn a_command_survives_a_json_round_trip() {
        let now = Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap();
        let cmd = Command::SubmitAnswer {
            by: Uuid::from_u128(1),
            round_id: Uuid::from_u128(2),
            answer_id: Uuid::from_u128(3),
            content: "a duck".into(),
            now,
        };
        let json = serde_json::to_string(&cmd).unwrap();
        assert!(json.contains(r#""type":"submit_answer""#));
        assert_eq!(serde_json::from_str::<Command>(&json).unwrap(), cmd);
    }
}
