//! The read models both transports send: a room, a round, answers and the leaderboard in the
//! contract's JSON shapes. Built from the domain state plus presence, never revealing an
//! author before the round ends.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashSet;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{
    LeaderboardEntry, Room, RoomStatus, Round, RoundPhase, Settings, UserId,
    game::{RoundResult, lookup::Preview},
};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoomView {
    pub code: String,
    pub host_id: Uuid,
    /// The host, who may not be among `participants` (contract v3, `host_plays` off).
    pub host: HostView,
    #[schema(value_type = String, example = "lobby")]
    pub status: RoomStatus,
    pub settings: Settings,
    pub participants: Vec<ParticipantView>,
    pub current_round: Option<RoundView>,
    /// How many are watching as audience.
    pub audience_count: usize,
    /// Which of the room's games this is (1, then one more per `play_again`).
    pub game_number: u32,
    /// The current (or last) game's id, for `GET /api/games/{id}`; null before the first game.
    pub game_id: Option<Uuid>,
}

/// Who hosts the room, whether or not they play.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostView {
    pub user_id: Uuid,
    pub display_name: String,
    /// Whether the host is one of the players. False while a host who chose not to play
    /// (`settings.host_plays` false) holds the room; true again once it passed to a player.
    pub plays: bool,
    pub connected: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantView {
    pub user_id: Uuid,
    pub display_name: String,
    pub is_host: bool,
    pub connected: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundView {
    pub id: Uuid,
    pub round_number: u32,
    pub question: String,
    #[schema(value_type = String, example = "answering")]
    pub status: RoundPhase,
    pub time_limit: u32,
    pub deadline: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeaderboardView {
    pub user_id: Uuid,
    pub display_name: String,
    pub score: u32,
    pub rank: u32,
}

impl From<LeaderboardEntry> for LeaderboardView {
    fn from(e: LeaderboardEntry) -> Self {
        LeaderboardView {
            user_id: e.user_id,
            display_name: e.display_name,
            score: e.score,
            rank: e.rank,
        }
    }
}

pub(crate) fn leaderboard(room: &Room) -> Vec<LeaderboardView> {
    room.leaderboard()
        .into_iter()
        .map(LeaderboardView::from)
        .collect()
}

/// An answer as players see it: while voting no author; once the round ended, everything.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnswerView {
    pub id: Uuid,
    pub content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub votes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The audience's votes, apart from the players' (`votes`); shown whenever `votes` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience_votes: Option<u32>,
    /// Who voted for it (`[{user_id, display_name}]`), once the round ended in a room that
    /// hides votes until the reveal; not sent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub voters: Vec<crate::domain::game::VoterRef>,
}

/// A finished round's answer from the live state.
impl From<RoundResult> for AnswerView {
    fn from(r: RoundResult) -> Self {
        AnswerView {
            id: r.answer_id,
            content: r.content,
            votes: Some(r.votes),
            author_id: Some(r.author_id),
            display_name: Some(r.display_name),
            audience_votes: Some(r.audience_votes),
            voters: r.voters,
        }
    }
}

/// A finished round's answer from Postgres (a round that is no longer the room's current one).
impl From<crate::db::rounds::AnswerResultRow> for AnswerView {
    fn from(r: crate::db::rounds::AnswerResultRow) -> Self {
        AnswerView {
            id: r.id,
            content: r.content,
            votes: Some(u32::try_from(r.votes).unwrap_or(u32::MAX)),
            author_id: Some(r.author_id),
            display_name: Some(r.display_name),
            audience_votes: Some(u32::try_from(r.audience_votes).unwrap_or(u32::MAX)),
            voters: Vec::new(),
        }
    }
}

/// What `next_round` did: `{round}` for a new round, `{final_leaderboard}` once the last round
/// is over.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum NextRound {
    Started {
        round: RoundView,
    },
    Finished {
        final_leaderboard: Vec<LeaderboardView>,
    },
}

/// A vote as counted: the answer voted for and its count right after this vote. In a room that
/// hides votes the count is left out: the voter would learn how many picked the same answer.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct VoteCount {
    pub answer_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote_count: Option<u32>,
}

/// A round ended by its host: the round's final state and the leaderboard after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundEnd {
    pub round: RoundView,
    pub leaderboard: Vec<LeaderboardView>,
}

impl RoomView {
    pub fn build(room: &Room, connected: &HashSet<UserId>) -> Self {
        RoomView {
            code: room.code.clone(),
            host_id: room.host_id,
            host: HostView {
                user_id: room.host_id,
                display_name: room.host_name(),
                plays: room.host_plays(),
                connected: connected.contains(&room.host_id),
            },
            status: room.status,
            settings: room.settings.clone(),
            participants: room
                .participants
                .iter()
                .filter(|p| p.active)
                .map(|p| ParticipantView {
                    user_id: p.user_id,
                    display_name: p.display_name.clone(),
                    is_host: p.user_id == room.host_id,
                    connected: connected.contains(&p.user_id),
                })
                .collect(),
            current_round: room.round.as_ref().map(RoundView::from),
            audience_count: room.audience.len(),
            game_number: room.game_number,
            game_id: room.game_id,
        }
    }
}

impl From<&Round> for RoundView {
    fn from(r: &Round) -> Self {
        RoundView {
            id: r.id,
            round_number: r.number,
            question: r.question.clone(),
            status: r.phase,
            time_limit: r.time_limit,
            deadline: r.deadline,
        }
    }
}

/// The answers of the room's current round as `viewer`-independent public data: `[]` while
/// answering, anonymous with vote counts while voting (`with_votes`), full results after.
pub(crate) fn answers(room: &Room, round: &Round, with_votes: bool) -> Vec<AnswerView> {
    match round.phase {
        RoundPhase::Answering => Vec::new(),
        RoundPhase::Voting => {
            let mut list: Vec<AnswerView> = round
                .answers
                .iter()
                .filter(|a| !round.hidden.contains(&a.id))
                .map(|a| AnswerView {
                    id: a.id,
                    content: a.content.clone(),
                    votes: with_votes.then(|| round.vote_count(a.id)),
                    author_id: None,
                    display_name: None,
                    audience_votes: with_votes.then(|| room.audience_ballot.count(round.id, a.id)),
                    voters: Vec::new(),
                })
                .collect();
            // Submission order would hint at authors; id order is meaningless.
            list.sort_by_key(|a| a.id);
            list
        }
        RoundPhase::Finished => round
            .results(room)
            .into_iter()
            .map(AnswerView::from)
            .collect(),
    }
}

/// `GET /api/rooms/{code}/preview`: a room as someone about to join it sees it, before signing
/// in too. The host's name, how full it is, and what the caller could do there right now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoomPreview {
    pub code: String,
    pub host_name: String,
    #[schema(value_type = String, example = "lobby")]
    pub status: RoomStatus,
    /// Players in the room now.
    pub players: usize,
    pub max_players: u32,
    /// The error code a join by the caller would get now (`room_full`, `game_in_progress`,
    /// `game_finished`, `kicked`); null when joining would succeed.
    #[schema(example = json!(null))]
    pub join_refused: Option<&'static str>,
    /// Whether the caller could join the room's audience now (the host opened it, or there is
    /// no place left to play).
    pub audience_open: bool,
}

impl RoomPreview {
    pub(crate) fn build(code: &str, p: Preview) -> Self {
        RoomPreview {
            code: code.to_string(),
            host_name: p.host_name,
            status: p.status,
            players: p.players,
            max_players: p.max_players,
            join_refused: p.join_refused.map(|e| e.code()),
            audience_open: p.audience_open,
        }
    }
}

/// What `play_again` started: the new game and its first round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GameStart {
    pub game_id: Uuid,
    pub game_number: u32,
    pub settings: Settings,
    pub round: RoundView,
}

/// An audience vote as counted: the answer and its audience votes right after this vote.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct AudienceVoteCount {
    pub answer_id: Uuid,
    pub audience_votes: u32,
}
