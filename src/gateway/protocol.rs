//! Every Socket.IO event name of the contract and what clients send, in one place, and how a
//! domain event becomes the broadcast players see (the payloads' types are in `wire`).

use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::wire::{self as w, Broadcast};
use crate::{
    domain::{Event, Room},
    game::view::LeaderboardView,
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

/// The broadcast for one domain event, if players see it: `(event name, payload)`. `room` is
/// the room after the event: in a room that hides votes, a vote is told as the tally
/// (`votes_cast {round_id, voted, total}`) rather than as its answer's count.
pub(crate) fn broadcast_of(event: &Event, room: &Room) -> Option<(&'static str, Broadcast)> {
    if let Event::VoteCast { .. } = event
        && room.settings.hide_votes
    {
        let (round_id, voted, total) = room.vote_tally()?;
        return Some((
            VOTES_CAST,
            Broadcast::VotesCast(w::VotesCast {
                round_id,
                voted,
                total,
            }),
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
            Broadcast::PlayerJoined(w::PlayerJoined {
                user_id: *user_id,
                display_name: display_name.clone(),
                participant_count: *participant_count,
            }),
        ),
        Event::PlayerLeft {
            user_id,
            participant_count,
            host_id,
            kicked,
        } => (
            PLAYER_LEFT,
            Broadcast::PlayerLeft(w::PlayerLeft {
                user_id: *user_id,
                participant_count: *participant_count,
                host_id: *host_id,
                kicked: *kicked,
            }),
        ),
        Event::HostChanged { host_id } => (
            HOST_CHANGED,
            Broadcast::HostChanged(w::HostChanged { host_id: *host_id }),
        ),
        Event::RoundStarted {
            round_id,
            round_number,
            question,
            time_limit,
            deadline,
            first,
        } => (
            if *first { GAME_STARTED } else { ROUND_STARTED },
            Broadcast::RoundStarted(w::RoundStarted {
                round_number: *round_number,
                question: question.clone(),
                round_id: *round_id,
                time_limit: *time_limit,
                deadline: *deadline,
                // The game's first round says the game is now answering; later ones do not.
                status: first.then_some("answering"),
            }),
        ),
        // Who answered (so a screen can tick their name), never which answer is theirs.
        Event::AnswerSubmitted {
            author_id,
            submitted_count,
            total_players,
            ..
        } => (
            ANSWER_SUBMITTED,
            Broadcast::AnswerSubmitted(w::AnswerSubmitted {
                user_id: *author_id,
                submitted_count: *submitted_count,
                total_players: *total_players,
            }),
        ),
        Event::VotingStarted {
            round_id,
            answers,
            time_limit,
            deadline,
        } => (
            VOTING_STARTED,
            Broadcast::VotingStarted(w::VotingStarted {
                round_id: *round_id,
                answers: answers
                    .iter()
                    .map(|(id, content)| w::AnswerBrief {
                        id: *id,
                        content: content.clone(),
                    })
                    .collect(),
                time_limit: *time_limit,
                deadline: *deadline,
            }),
        ),
        Event::VoteCast {
            answer_id,
            vote_count,
            ..
        } => (
            VOTE_UPDATE,
            Broadcast::VoteUpdate(w::VoteUpdate {
                answer_id: *answer_id,
                vote_count: *vote_count,
            }),
        ),
        Event::RoundEnded {
            round_id,
            round_number,
            results,
            leaderboard,
            ..
        } => (
            ROUND_ENDED,
            Broadcast::RoundEnded(w::RoundEnded {
                round_number: *round_number,
                round_id: *round_id,
                results: results.clone(),
                leaderboard: lb(leaderboard),
            }),
        ),
        Event::GameEnded { final_leaderboard } => (
            GAME_ENDED,
            Broadcast::GameEnded(w::GameEnded {
                final_leaderboard: lb(final_leaderboard),
            }),
        ),
        Event::GameReset {
            game_id,
            game_number,
            settings,
            leaderboard,
        } => (
            GAME_RESET,
            Broadcast::GameReset(w::GameReset {
                game_id: *game_id,
                game_number: *game_number,
                settings: settings.clone(),
                leaderboard: lb(leaderboard),
            }),
        ),
        Event::AnswerHidden {
            round_id,
            answer_id,
            ..
        } => (
            ANSWER_HIDDEN,
            Broadcast::AnswerHidden(w::AnswerHidden {
                round_id: *round_id,
                answer_id: *answer_id,
            }),
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
/// A text poll's answer: `{poll_id, text}`, acked with `{answer, poll}`.
pub(crate) const ANSWER_POLL: &str = "answer_poll";
pub(crate) const SUBSCRIBE_FEED: &str = "subscribe_feed";
pub(crate) const UNSUBSCRIBE_FEED: &str = "unsubscribe_feed";
// Server → client:
pub(crate) const POLL_RESULTS: &str = "poll_results";
pub(crate) const POLL_UPDATED: &str = "poll_updated";
pub(crate) const POLL_DELETED: &str = "poll_deleted";
pub(crate) const NOTIFICATION: &str = "notification";
/// To a text poll's creator's sockets: `{answer}` each time one comes in or is moderated.
pub(crate) const POLL_ANSWER: &str = "poll_answer";
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

#[derive(Debug, Deserialize)]
pub(crate) struct AnswerPoll {
    pub poll_id: Uuid,
    pub text: String,
}
