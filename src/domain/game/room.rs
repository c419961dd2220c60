//! The room aggregate: who is in it and how far its game has got. `Room::apply` is the single
//! door through which every rule of the game is enforced; the rules behind it are in `room/`,
//! one file per subject (membership, rounds, phases, hiding, audience, replay).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::scoring;
use super::{Command, DomainError, Event, LeaderboardEntry, Round, RoundPhase, Settings, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomStatus {
    Lobby,
    Playing,
    Finished,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub user_id: UserId,
    pub display_name: String,
    pub joined_at: DateTime<Utc>,
    /// False once they left or were kicked; they keep their entry so their score and place
    /// survive a leave.
    pub active: bool,
    pub kicked: bool,
}

/// Where the answers a participant asked for are (see [`Room::answers_access`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswersAccess<'a> {
    /// The room's current round, past answering.
    Current(&'a Round),
    /// An earlier round of this room: finished, so its results are in the durable record.
    Earlier,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    pub id: Uuid,
    pub code: String,
    pub host_id: UserId,
    pub status: RoomStatus,
    pub settings: Settings,
    /// In join order: index 0 is the longest-standing, which decides host hand-over.
    pub participants: Vec<Participant>,
    /// The current round, or the last one once the game has ended.
    pub round: Option<Round>,
    /// Total points over the game; always the votes each user's answers received.
    pub scores: BTreeMap<UserId, u32>,
    /// Every question this room has had, so callers never pick one twice.
    pub used_questions: Vec<String>,
    /// Set when the last participant left; a closed room accepts nothing but ticks.
    pub closed: bool,
    pub created_at: DateTime<Utc>,
    /// Which of the room's games this is: 1 for the first, one more for each `play_again`.
    /// Defaults so that live state written before games were counted still reads.
    #[serde(default = "replay::first_game")]
    pub game_number: u32,
    /// The current (or last) game's id, which is the id of its first round (fresh and unique
    /// already); `None` before the first game starts.
    #[serde(default)]
    pub game_id: Option<Uuid>,
    /// Audience members (never participants; see `room/audience.rs`).
    #[serde(default)]
    pub audience: BTreeSet<UserId>,
    /// The audience's votes in the current round.
    #[serde(default)]
    pub audience_ballot: audience::AudienceBallot,
    /// The display name of a host who runs the room without playing (`host_plays` off; see
    /// `room/outside_host.rs`): such a host is no participant, so their name lives here. `None`
    /// whenever the host is a player, which is also what live state from before reads as.
    #[serde(default)]
    pub host_outside: Option<String>,
}

/// `now + seconds`, saturating instead of panicking on an absurd date.
fn after(now: DateTime<Utc>, seconds: u32) -> DateTime<Utc> {
    now.checked_add_signed(TimeDelta::seconds(i64::from(seconds)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Room {
    /// A lobby whose only participant is its host. `settings` are expected to be validated.
    pub fn new(
        id: Uuid,
        code: String,
        host_id: UserId,
        host_name: String,
        settings: Settings,
        now: DateTime<Utc>,
    ) -> Room {
        let host_name = host_name.trim().to_string();
        let settings = settings.normalized();
        // A host who does not play has no seat and no score: they run the room from outside.
        let (participants, scores, host_outside) = if settings.host_plays {
            let seat = Participant {
                user_id: host_id,
                display_name: host_name,
                joined_at: now,
                active: true,
                kicked: false,
            };
            (vec![seat], BTreeMap::from([(host_id, 0)]), None)
        } else {
            (Vec::new(), BTreeMap::new(), Some(host_name))
        };
        Room {
            id,
            code,
            host_id,
            status: RoomStatus::Lobby,
            settings,
            participants,
            round: None,
            scores,
            used_questions: Vec::new(),
            closed: false,
            created_at: now,
            game_number: replay::first_game(),
            game_id: None,
            audience: BTreeSet::new(),
            audience_ballot: audience::AudienceBallot::default(),
            host_outside,
        }
    }

    /// Applies `cmd` and returns what happened, in order. A refused command leaves the room
    /// exactly as it was: the work is done on a copy that replaces `self` only on success.
    pub fn apply(&mut self, cmd: Command) -> Result<Vec<Event>, DomainError> {
        if self.closed {
            // Timers may still fire for a room that just closed; that is not an error.
            return match cmd {
                Command::Tick { .. } => Ok(Vec::new()),
                _ => Err(DomainError::RoomClosed),
            };
        }
        if audience::changes_only_when_allowed(&cmd) {
            // No copy: with thousands watching, copying the room for each of their joins and
            // votes made every one cost as much as the whole audience (measured: loadgen
            // --audience 5000, README).
            return self.execute(cmd);
        }
        let mut next = self.clone();
        let events = next.execute(cmd)?;
        *self = next;
        Ok(events)
    }

    /// When the current phase ends, while a round is collecting answers or votes.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        if self.closed || self.status != RoomStatus::Playing {
            return None;
        }
        self.round
            .as_ref()
            .filter(|r| r.phase != RoundPhase::Finished)
            .and_then(|r| r.deadline)
    }

    pub fn participant(&self, user: UserId) -> Option<&Participant> {
        self.participants.iter().find(|p| p.user_id == user)
    }

    /// Whether `user` is currently in the room (not left, not kicked).
    pub fn is_member(&self, user: UserId) -> bool {
        self.participant(user).is_some_and(|p| p.active)
    }

    pub fn active_count(&self) -> usize {
        self.participants.iter().filter(|p| p.active).count()
    }

    /// Which answers of round `round_id` `user` may read: anyone who has been in the room
    /// (not kicked) may, and its host, except while the round is still collecting them.
    pub fn answers_access(
        &self,
        user: UserId,
        round_id: Uuid,
    ) -> Result<AnswersAccess<'_>, DomainError> {
        if !self.runs_from_outside(user) && self.participant(user).is_none_or(|p| p.kicked) {
            return Err(DomainError::NotParticipant);
        }
        match &self.round {
            Some(round) if round.id == round_id => {
                if round.phase == RoundPhase::Answering {
                    Err(DomainError::WrongPhase)
                } else {
                    Ok(AnswersAccess::Current(round))
                }
            }
            _ => Ok(AnswersAccess::Earlier),
        }
    }

    /// Whether the current round is not the game's last, so another question will be needed.
    pub fn has_more_rounds(&self) -> bool {
        self.round
            .as_ref()
            .is_some_and(|r| r.number < self.settings.max_rounds)
    }

    pub fn leaderboard(&self) -> Vec<LeaderboardEntry> {
        scoring::leaderboard(&self.participants, &self.scores)
    }

    fn execute(&mut self, cmd: Command) -> Result<Vec<Event>, DomainError> {
        match cmd {
            Command::Join {
                user_id,
                display_name,
                now,
            } => self.join(user_id, &display_name, now),
            Command::Leave { user_id, now } => self.leave(user_id, now),
            Command::Kick { by, target, now } => self.kick(by, target, now),
            Command::HandOverHost { from, to, .. } => self.hand_over_host(from, to),
            Command::StartGame {
                by,
                round_id,
                question,
                now,
            } => self.start_game(by, round_id, &question, now),
            Command::SubmitAnswer {
                by,
                round_id,
                answer_id,
                content,
                now,
            } => self.submit_answer(by, round_id, answer_id, &content, now),
            Command::StartVoting { by, round_id, now } => {
                self.require_host(by)?;
                self.current_round(round_id, RoundPhase::Answering)?;
                Ok(self.start_voting(now))
            }
            Command::Vote {
                by,
                round_id,
                answer_id,
                now,
            } => self.vote(by, round_id, answer_id, now),
            Command::EndRound { by, round_id, .. } => {
                self.require_host(by)?;
                self.current_round(round_id, RoundPhase::Voting)?;
                Ok(self.end_round())
            }
            Command::NextRound {
                by,
                round_id,
                question,
                now,
            } => self.next_round(by, round_id, &question, now),
            Command::Tick { now } => Ok(self.tick(now)),
            Command::PlayAgain {
                by,
                round_id,
                question,
                settings,
                now,
            } => self.play_again(by, round_id, &question, settings, now),
            Command::HideAnswer {
                by,
                round_id,
                answer_id,
                now,
            } => self.hide_answer(by, round_id, answer_id, now),
            Command::JoinAudience { user_id, .. } => self.join_audience(user_id),
            Command::LeaveAudience { user_id, .. } => self.leave_audience(user_id),
            Command::AudienceVote {
                by,
                round_id,
                answer_id,
                now,
            } => self.audience_vote(by, round_id, answer_id, now),
        }
    }

    /// Only the host may run the game, kick, or open and revoke the room's screen link.
    pub fn require_host(&self, by: UserId) -> Result<(), DomainError> {
        if by == self.host_id {
            Ok(())
        } else {
            Err(DomainError::NotHost)
        }
    }

    fn require_member(&self, user: UserId) -> Result<(), DomainError> {
        if self.is_member(user) {
            Ok(())
        } else {
            Err(DomainError::NotParticipant)
        }
    }

    /// The room's round if `round_id` names it and it is in `phase`.
    fn current_round(&self, round_id: Uuid, phase: RoundPhase) -> Result<&Round, DomainError> {
        match &self.round {
            Some(round) if round.id == round_id => {
                if round.phase == phase {
                    Ok(round)
                } else {
                    Err(DomainError::WrongPhase)
                }
            }
            _ => Err(DomainError::StaleRound),
        }
    }
}

pub(crate) mod audience;
mod hiding;
mod membership;
mod outside_host;
mod phases;
mod replay;
mod rounds;
pub(crate) use replay::patched_settings;
#[cfg(test)]
mod tests;
