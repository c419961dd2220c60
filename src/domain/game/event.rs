//! What a command changed, in order, so the caller can broadcast it and persist it without
//! diffing rooms.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Settings, UserId};

/// One line of a leaderboard; `rank` is shared by equal scores (5, 5, 3 → 1, 1, 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderboardEntry {
    pub user_id: UserId,
    pub display_name: String,
    pub score: u32,
    pub rank: u32,
}

/// One answer of a finished round, no longer anonymous. (`ToSchema` so the wire's description
/// of `round_ended` can name it; a derive, no I/O.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoundResult {
    pub answer_id: Uuid,
    pub content: String,
    #[schema(value_type = Uuid)]
    pub author_id: UserId,
    pub display_name: String,
    pub votes: u32,
    /// The audience's votes, shown apart (they earn no points, only the host's bonus).
    #[serde(default)]
    pub audience_votes: u32,
    /// Who voted for it, in the order they voted: only in rooms that hide votes until the
    /// reveal (`Settings::hide_votes`), where the reveal shows it; empty (and not sent) else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub voters: Vec<VoterRef>,
}

/// A player who voted for an answer, as the reveal names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VoterRef {
    #[schema(value_type = Uuid)]
    pub user_id: UserId,
    pub display_name: String,
}

/// Something that happened to a room. `Room::apply` returns them in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    PlayerJoined {
        user_id: UserId,
        display_name: String,
        participant_count: usize,
    },
    /// A former participant came back; always followed by their `PlayerJoined`.
    PlayerRejoined {
        user_id: UserId,
    },
    /// `host_id` is the host after the leave, so a preceding `HostChanged` is already reflected.
    PlayerLeft {
        user_id: UserId,
        participant_count: usize,
        host_id: UserId,
        kicked: bool,
    },
    HostChanged {
        host_id: UserId,
    },
    RoomClosed,
    /// `first` marks the game's first round (the caller announces it as `game_started`).
    RoundStarted {
        round_id: Uuid,
        round_number: u32,
        question: String,
        time_limit: u32,
        deadline: DateTime<Utc>,
        first: bool,
    },
    AnswerSubmitted {
        answer_id: Uuid,
        author_id: UserId,
        submitted_count: usize,
        total_players: usize,
    },
    /// `answers` are `(id, content)` sorted by id, which says nothing about who wrote them.
    VotingStarted {
        round_id: Uuid,
        answers: Vec<(Uuid, String)>,
        time_limit: u32,
        deadline: DateTime<Utc>,
    },
    VoteCast {
        voter_id: UserId,
        answer_id: Uuid,
        vote_count: u32,
    },
    /// `points` lists every author of the round with the points earned in it (possibly 0).
    RoundEnded {
        round_id: Uuid,
        round_number: u32,
        results: Vec<RoundResult>,
        leaderboard: Vec<LeaderboardEntry>,
        points: Vec<(UserId, u32)>,
    },
    GameEnded {
        final_leaderboard: Vec<LeaderboardEntry>,
    },
    /// The host hid an answer; `withdrawn` are the voters whose vote for it was taken back
    /// (they may vote again). `author_id` is for telling the author only, never broadcast.
    AnswerHidden {
        round_id: Uuid,
        answer_id: Uuid,
        author_id: UserId,
        withdrawn: Vec<UserId>,
    },
    AudienceJoined {
        user_id: UserId,
        audience_count: usize,
    },
    AudienceLeft {
        user_id: UserId,
        audience_count: usize,
    },
    AudienceVoteCast {
        voter_id: UserId,
        round_id: Uuid,
        answer_id: Uuid,
        audience_votes: u32,
    },
    /// `play_again` began game `game_number` (id `game_id`) with `settings` and everyone back
    /// at zero; its first `RoundStarted` follows in the same breath.
    GameReset {
        game_id: Uuid,
        game_number: u32,
        settings: Settings,
        leaderboard: Vec<LeaderboardEntry>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_in_snake_case_and_survive_a_json_round_trip() {
        let events = [
            Event::RoomClosed,
            Event::HostChanged {
                host_id: Uuid::from_u128(7),
            },
            Event::VotingStarted {
                round_id: Uuid::from_u128(1),
                answers: vec![(Uuid::from_u128(2), "a cat".into())],
                time_limit: 45,
                deadline: DateTime::<Utc>::UNIX_EPOCH,
            },
        ];
        let json = serde_json::to_string(&events[0]).unwrap();
        assert_eq!(json, r#"{"type":"room_closed"}"#);
        for e in events {
            let back: Event = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
            assert_eq!(back, e);
        }
    }
}
