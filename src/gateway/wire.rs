//! Every payload the gateway sends, as a type: the acknowledgement envelope, each ack's data
//! and each broadcast. Written once here (event names and client inputs are in `protocol`),
//! they are what the server serialises and what the web client's types are generated from
//! (`web/src/wire.ts`, see `http::typescript`), so the wire cannot drift from its description.
//!
//! Optional keys keep the contract's presence rules with `skip_serializing_if`: a key absent
//! before is absent now, a `null` sent before is still sent as `null`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::borrow::Cow;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{Room, RoundPhase, Settings, game::RoundResult},
    game::view::{self, AnswerView, LeaderboardView, RoomView, RoundView},
    polls::{discovery::PollSummary, view::PollView},
};

// --- The acknowledgement envelope --------------------------------------------------------------

/// `{ok: true, data}`: the event did what it asked.
#[derive(Debug, Serialize)]
pub(crate) struct AckOk<T> {
    pub ok: bool,
    pub data: T,
}

/// `{code, message}`: why an event failed, as REST's `{"error": {...}}` says it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorPayload {
    pub code: &'static str,
    pub message: String,
}

/// `{ok: false, error}`: the event failed.
#[derive(Debug, Serialize)]
pub(crate) struct AckErr {
    pub ok: bool,
    pub error: ErrorPayload,
}

/// The `error` event, for a failed event the client sent without a callback: the error and the
/// name of the event that failed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorEvent {
    #[serde(flatten)]
    pub error: ErrorPayload,
    pub event: &'static str,
}

// --- Acknowledgements' data --------------------------------------------------------------------

/// `{}`: done, nothing to tell.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Done {}

/// `join_room` / `join_audience`: the room joined (its full `room_state` follows).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Joined {
    pub room: RoomView,
}

/// `start_game` / `start_voting`: the round as it now is.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RoundAck {
    pub round: RoundView,
}

/// `submit_answer`: the id of the answer (the author's only way to know it).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Answered {
    pub answer_id: Uuid,
}

/// `subscribe_poll` / `vote_poll`'s ack, and the `poll_updated` broadcast: the whole poll.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PollMessage<'a> {
    pub poll: Cow<'a, PollView>,
}

/// `subscribe_feed`: the most recent public polls.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Feed {
    pub polls: Vec<PollSummary>,
}

// --- Broadcasts --------------------------------------------------------------------------------

/// `room_state`: everything a refreshed browser needs to redraw its screen.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RoomState {
    pub room: RoomView,
    pub round: Option<RoundView>,
    pub answers_submitted: usize,
    /// Who has answered this round (user ids, sorted by id: never in the order they answered),
    /// so a screen can tick names; never what they answered.
    pub answered: Vec<Uuid>,
    pub answers: Vec<AnswerView>,
    pub my_answer_id: Option<Uuid>,
    pub my_vote: Option<Uuid>,
    pub leaderboard: Vec<LeaderboardView>,
    /// While voting in a room that hides votes: the `votes_cast` tally, so a refreshed page
    /// shows "3 of 5 voted" as the others do. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub votes_cast: Option<VotesCast>,
}

impl RoomState {
    pub(crate) fn build(room: &Room, room_view: RoomView, me: Uuid) -> Self {
        let round = room.round.as_ref();
        RoomState {
            room: room_view,
            round: round.map(RoundView::from),
            answers_submitted: round.map_or(0, |r| r.answers.len()),
            answered: round.map_or_else(Vec::new, |r| {
                let mut ids: Vec<Uuid> = r.answers.iter().map(|a| a.author_id).collect();
                ids.sort();
                ids
            }),
            // A room that hides votes shows no counts until the reveal, not even on a refresh.
            answers: round
                .map(|r| view::answers(room, r, !room.settings.hide_votes))
                .unwrap_or_default(),
            my_answer_id: round.and_then(|r| r.answer_of(me)).map(|a| a.id),
            my_vote: round.and_then(|r| r.vote_of(me)).map(|v| v.answer_id),
            leaderboard: view::leaderboard(room),
            votes_cast: round
                .filter(|r| room.settings.hide_votes && r.phase == RoundPhase::Voting)
                .and_then(|_| room.vote_tally())
                .map(|(round_id, voted, total)| VotesCast {
                    round_id,
                    voted,
                    total,
                }),
        }
    }
}

/// `votes_cast`: how many have voted of how many may, in a room that hides votes.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VotesCast {
    pub round_id: Uuid,
    pub voted: usize,
    pub total: usize,
}

/// `player_reconnected` / `player_disconnected`: whose socket came back or went.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserRef {
    pub user_id: Uuid,
}

/// `session_ended`: why (`signed_out`, `revoked`, `expired`); a disconnect follows.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionEnded {
    pub reason: &'static str,
}

/// `my_answer_hidden`, to the author's sockets only.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MyAnswerHidden {
    pub round_id: Uuid,
    pub answer_id: Uuid,
    pub room_code: String,
}

/// `player_joined`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlayerJoined {
    pub user_id: Uuid,
    pub display_name: String,
    pub participant_count: usize,
}

/// `player_left`: `host_id` is the host after the leave.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlayerLeft {
    pub user_id: Uuid,
    pub participant_count: usize,
    pub host_id: Uuid,
    pub kicked: bool,
}

/// `host_changed`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HostChanged {
    pub host_id: Uuid,
}

/// `game_started` (with `status: "answering"`) and `round_started` (without it).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RoundStarted {
    pub round_number: u32,
    pub question: String,
    pub round_id: Uuid,
    pub time_limit: u32,
    pub deadline: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
}

/// `answer_submitted`: who answered (so a screen can tick their name), never which answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AnswerSubmitted {
    pub user_id: Uuid,
    pub submitted_count: usize,
    pub total_players: usize,
}

/// An answer card while voting: never its author.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AnswerBrief {
    pub id: Uuid,
    pub content: String,
}

/// `voting_started`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VotingStarted {
    pub round_id: Uuid,
    pub answers: Vec<AnswerBrief>,
    pub time_limit: u32,
    pub deadline: DateTime<Utc>,
}

/// `vote_update`: an answer's player votes, at once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VoteUpdate {
    pub answer_id: Uuid,
    pub vote_count: u32,
}

/// `round_ended`: the round's answers with their authors, and the leaderboard after it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RoundEnded {
    pub round_number: u32,
    pub round_id: Uuid,
    pub results: Vec<RoundResult>,
    pub leaderboard: Vec<LeaderboardView>,
}

/// `game_ended`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GameEnded {
    pub final_leaderboard: Vec<LeaderboardView>,
}

/// `game_reset`: `play_again` began the room's next game; its `game_started` follows.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GameReset {
    pub game_id: Uuid,
    pub game_number: u32,
    pub settings: Settings,
    pub leaderboard: Vec<LeaderboardView>,
}

/// `answer_hidden`: to everyone, without its author.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AnswerHidden {
    pub round_id: Uuid,
    pub answer_id: Uuid,
}

/// `vote_totals`: the latest counts of the answers that changed since the last one.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VoteTotals {
    pub round_id: Uuid,
    pub answers: Vec<AnswerTotals>,
}

/// One answer's counts in `vote_totals`: only the counts that changed are present.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AnswerTotals {
    pub answer_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience_votes: Option<u32>,
}

/// A game broadcast of `protocol::broadcast_of`, whichever it is: each serialises as its own
/// payload (untagged; the event's name travels beside it).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Broadcast {
    VotesCast(VotesCast),
    PlayerJoined(PlayerJoined),
    PlayerLeft(PlayerLeft),
    HostChanged(HostChanged),
    RoundStarted(RoundStarted),
    AnswerSubmitted(AnswerSubmitted),
    VotingStarted(VotingStarted),
    VoteUpdate(VoteUpdate),
    RoundEnded(RoundEnded),
    GameEnded(GameEnded),
    GameReset(GameReset),
    AnswerHidden(AnswerHidden),
}

// --- Polls -------------------------------------------------------------------------------------

/// `poll_created`, to feed subscribers: a newly published public poll.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PollCreated<'a> {
    pub poll: Cow<'a, PollSummary>,
}

/// `poll_deleted`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PollDeleted {
    pub poll_id: Uuid,
}

/// `notification`, to a poll's creator: `type` is `poll_votes` or `poll_closed`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Notification<'a> {
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub poll_id: Uuid,
    pub total_votes: i64,
    pub likes: i64,
}

/// `poll_answer`, to a text poll's creator only: an answer as it now stands in their queue.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PollAnswer<'a> {
    pub answer: Cow<'a, crate::polls::view::QueuedAnswer>,
}
