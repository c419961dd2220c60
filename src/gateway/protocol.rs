//! Every Socket.IO event name and payload of the contract, in one place: what clients send,
//! what they get back, and how a domain event becomes the broadcast players see.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    domain::{Event, Room, RoundPhase},
    game::view::{self, AnswerView, LeaderboardView, RoomView, RoundView},
};

// Client → server event names.
pub(crate) const JOIN_ROOM: &str = "join_room";
pub(crate) const LEAVE_ROOM: &str = "leave_room";
pub(crate) const START_GAME: &str = "start_game";
pub(crate) const SUBMIT_ANSWER: &str = "submit_answer";
pub(crate) const START_VOTING: &str = "start_voting";
pub(crate) const SUBMIT_VOTE: &str = "submit_vote";
pub(crate) const END_ROUND: &str = "end_round";
pub(crate) const NEXT_ROUND: &str = "next_round";
pub(crate) const KICK_PLAYER: &str = "kick_player";
pub(crate) const PLAY_AGAIN: &str = "play_again";
pub(crate) const HIDE_ANSWER: &str = "hide_answer";
pub(crate) const JOIN_AUDIENCE: &str = "join_audience";
pub(crate) const LEAVE_AUDIENCE: &str = "leave_audience";
pub(crate) const AUDIENCE_VOTE: &str = "audience_vote";

// Server → client event names.
pub(crate) const ROOM_STATE: &str = "room_state";
pub(crate) const ERROR: &str = "error";
pub(crate) const PLAYER_JOINED: &str = "player_joined";
pub(crate) const PLAYER_LEFT: &str = "player_left";
pub(crate) const PLAYER_DISCONNECTED: &str = "player_disconnected";
pub(crate) const PLAYER_RECONNECTED: &str = "player_reconnected";
pub(crate) const HOST_CHANGED: &str = "host_changed";
pub(crate) const GAME_STARTED: &str = "game_started";
pub(crate) const ANSWER_SUBMITTED: &str = "answer_submitted";
pub(crate) const VOTING_STARTED: &str = "voting_started";
pub(crate) const VOTE_UPDATE: &str = "vote_update";
/// A vote in a room that hides votes (contract v3): how many have voted, not for what.
pub(crate) const VOTES_CAST: &str = "votes_cast";
pub(crate) const ROUND_ENDED: &str = "round_ended";
pub(crate) const ROUND_STARTED: &str = "round_started";
pub(crate) const GAME_ENDED: &str = "game_ended";
/// `play_again` began the room's next game; its `game_started` follows.
pub(crate) const GAME_RESET: &str = "game_reset";
/// The host hid an answer (to everyone, without its author).
pub(crate) const ANSWER_HIDDEN: &str = "answer_hidden";
/// To the author's sockets only: the host hid their answer.
pub(crate) const MY_ANSWER_HIDDEN: &str = "my_answer_hidden";
/// Vote counts, coalesced: to the audience for every vote, to players for audience votes.
pub(crate) const VOTE_TOTALS: &str = "vote_totals";

/// The Socket.IO room of a room's audience: apart from the players' room, so that each vote
/// reaches the players at once while the audience gets the coalesced `vote_totals`.
pub(crate) fn audience_room(code: &str) -> String {
    format!("{code}#audience")
}
/// The connection's token was signed out, revoked or expired; a disconnect follows.
pub(crate) const SESSION_ENDED: &str = "session_ended";

#[derive(Debug, Deserialize)]
pub(crate) struct RoomCode {
    pub room_code: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SubmitAnswer {
    pub round_id: Uuid,
    pub room_code: String,
    pub answer: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RoundRef {
    pub round_id: Uuid,
    pub room_code: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SubmitVote {
    pub round_id: Uuid,
    pub room_code: String,
    pub answer_id: Uuid,
}

#[derive(Debug, Deserialize)]
pub(crate) struct HideAnswer {
    pub round_id: Uuid,
    pub room_code: String,
    pub answer_id: Uuid,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlayAgain {
    pub room_code: String,
    /// Only the settings to change; the rest are kept.
    #[serde(default)]
    pub settings: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct KickPlayer {
    pub room_code: String,
    pub user_id: Uuid,
}

/// `room_state`: everything a refreshed browser needs to redraw its screen.
#[derive(Debug, Serialize)]
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

/// How many have voted of how many may, in a room that hides votes (`votes_cast`).
#[derive(Debug, Serialize)]
pub(crate) struct VotesCast {
    pub round_id: Uuid,
    pub voted: usize,
    pub total: usize,
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

#[derive(Debug, Serialize)]
struct AnswerBrief<'a> {
    id: Uuid,
    content: &'a str,
}

fn deadline_json(d: &DateTime<Utc>) -> Value {
    json!(d)
}

/// The broadcast for one domain event, if players see it: `(event name, payload)`. `room` is
/// the room after the event: in a room that hides votes, a vote is told as the tally
/// (`votes_cast {round_id, voted, total}`) rather than as its answer's count.
pub(crate) fn broadcast_of(event: &Event, room: &Room) -> Option<(&'static str, Value)> {
    if let Event::VoteCast { .. } = event
        && room.settings.hide_votes
    {
        let (round_id, voted, total) = room.vote_tally()?;
        return Some((
            VOTES_CAST,
            json!({"round_id": round_id, "voted": voted, "total": total}),
        ));
    }
    let lb = |l: &[crate::domain::LeaderboardEntry]| -> Vec<LeaderboardView> {
        l.iter().cloned().map(LeaderboardView::from).collect()
    };
    Some(match event {
        Event::PlayerJoined {
            user_id,
            display_name,
            participant_count,
        } => (
            PLAYER_JOINED,
            json!({"user_id": user_id, "display_name": display_name, "participant_count": participant_count}),
        ),
        Event::PlayerLeft {
            user_id,
            participant_count,
            host_id,
            kicked,
        } => (
            PLAYER_LEFT,
            json!({"user_id": user_id, "participant_count": participant_count, "host_id": host_id, "kicked": kicked}),
        ),
        Event::HostChanged { host_id } => (HOST_CHANGED, json!({"host_id": host_id})),
        Event::RoundStarted {
            round_id,
            round_number,
            question,
            time_limit,
            deadline,
            first,
        } => {
            let mut payload = json!({
                "round_number": round_number, "question": question, "round_id": round_id,
                "time_limit": time_limit, "deadline": deadline_json(deadline),
            });
            if *first {
                payload["status"] = json!("answering");
                (GAME_STARTED, payload)
            } else {
                (ROUND_STARTED, payload)
            }
        }
        // Who answered (so a screen can tick their name), never which answer is theirs.
        Event::AnswerSubmitted {
            author_id,
            submitted_count,
            total_players,
            ..
        } => (
            ANSWER_SUBMITTED,
            json!({"user_id": author_id, "submitted_count": submitted_count, "total_players": total_players}),
        ),
        Event::VotingStarted {
            round_id,
            answers,
            time_limit,
            deadline,
        } => {
            let answers: Vec<AnswerBrief<'_>> = answers
                .iter()
                .map(|(id, content)| AnswerBrief { id: *id, content })
                .collect();
            (
                VOTING_STARTED,
                json!({"round_id": round_id, "answers": answers, "time_limit": time_limit,
                       "deadline": deadline_json(deadline)}),
            )
        }
        Event::VoteCast {
            answer_id,
            vote_count,
            ..
        } => (
            VOTE_UPDATE,
            json!({"answer_id": answer_id, "vote_count": vote_count}),
        ),
        Event::RoundEnded {
            round_id,
            round_number,
            results,
            leaderboard,
            ..
        } => (
            ROUND_ENDED,
            json!({"round_number": round_number, "round_id": round_id, "results": results,
                   "leaderboard": lb(leaderboard)}),
        ),
        Event::GameEnded { final_leaderboard } => (
            GAME_ENDED,
            json!({"final_leaderboard": lb(final_leaderboard)}),
        ),
        Event::GameReset {
            game_id,
            game_number,
            settings,
            leaderboard,
        } => (
            GAME_RESET,
            json!({"game_id": game_id, "game_number": game_number, "settings": settings,
                   "leaderboard": lb(leaderboard)}),
        ),
        Event::AnswerHidden {
            round_id,
            answer_id,
            ..
        } => (
            ANSWER_HIDDEN,
            json!({"round_id": round_id, "answer_id": answer_id}),
        ),
        // Counts go out coalesced (`gateway::coalesce`); the audience's size is in `room`.
        Event::PlayerRejoined { .. }
        | Event::RoomClosed
        | Event::AudienceJoined { .. }
        | Event::AudienceLeft { .. }
        | Event::AudienceVoteCast { .. } => return None,
    })
}

// Polls (contract v2). Client → server:
pub(crate) const SUBSCRIBE_POLL: &str = "subscribe_poll";
pub(crate) const UNSUBSCRIBE_POLL: &str = "unsubscribe_poll";
pub(crate) const VOTE_POLL: &str = "vote_poll";
pub(crate) const SUBSCRIBE_FEED: &str = "subscribe_feed";
pub(crate) const UNSUBSCRIBE_FEED: &str = "unsubscribe_feed";
// Server → client:
pub(crate) const POLL_RESULTS: &str = "poll_results";
pub(crate) const POLL_UPDATED: &str = "poll_updated";
pub(crate) const POLL_DELETED: &str = "poll_deleted";
pub(crate) const NOTIFICATION: &str = "notification";
/// To feed subscribers: `{poll: poll_summary}` for each newly published public poll.
pub(crate) const POLL_CREATED: &str = "poll_created";

#[derive(Debug, Deserialize)]
pub(crate) struct PollRef {
    pub poll_id: Uuid,
}

/// `subscribe_feed` / `unsubscribe_feed`: `{}` (any fields are ignored).
#[derive(Debug, Deserialize)]
pub(crate) struct FeedRef {}

#[derive(Debug, Deserialize)]
pub(crate) struct VotePoll {
    pub poll_id: Uuid,
    pub option_ids: Vec<Uuid>,
}
