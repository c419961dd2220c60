//! The room aggregate: who is in it and how far its game has got. `Room::apply` is the single
//! door through which every rule of the game is enforced.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Answer, Command, DomainError, Event, LeaderboardEntry, Round, RoundPhase, Settings, UserId,
    Vote,
};
use super::{moderation, scoring};
use crate::domain::text;

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
        Room {
            id,
            code,
            host_id,
            status: RoomStatus::Lobby,
            settings: settings.normalized(),
            participants: vec![Participant {
                user_id: host_id,
                display_name: host_name.trim().to_string(),
                joined_at: now,
                active: true,
                kicked: false,
            }],
            round: None,
            scores: BTreeMap::from([(host_id, 0)]),
            used_questions: Vec::new(),
            closed: false,
            created_at: now,
            game_number: replay::first_game(),
            game_id: None,
            audience: BTreeSet::new(),
            audience_ballot: audience::AudienceBallot::default(),
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
    /// (not kicked) may, except while the round is still collecting them.
    pub fn answers_access(
        &self,
        user: UserId,
        round_id: Uuid,
    ) -> Result<AnswersAccess<'_>, DomainError> {
        if self.participant(user).is_none_or(|p| p.kicked) {
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

    fn require_host(&self, by: UserId) -> Result<(), DomainError> {
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

    /// Whether `user` (`None`: someone who has never been in the room) may join it now as a
    /// player, and if not, the refusal a join would get. The rule `join` applies, also read
    /// by the room's preview before anyone signs in.
    pub fn may_join(&self, user: Option<UserId>) -> Result<(), DomainError> {
        let full = self.active_count() >= self.settings.max_players as usize;
        if let Some(p) = user.and_then(|u| self.participant(u)) {
            return if p.kicked {
                Err(DomainError::Kicked)
            } else if !p.active && full {
                // A returning player reclaims their old place, but never beyond capacity.
                Err(DomainError::RoomFull)
            } else {
                Ok(())
            };
        }
        match self.status {
            RoomStatus::Finished => Err(DomainError::GameFinished),
            RoomStatus::Playing => Err(DomainError::GameInProgress),
            RoomStatus::Lobby if full => Err(DomainError::RoomFull),
            RoomStatus::Lobby => Ok(()),
        }
    }

    fn join(
        &mut self,
        user_id: UserId,
        display_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        self.may_join(Some(user_id))?;
        if let Some(p) = self.participants.iter_mut().find(|p| p.user_id == user_id) {
            if p.active {
                return Ok(Vec::new());
            }
            p.active = true;
            let display_name = p.display_name.clone();
            return Ok(vec![
                Event::PlayerRejoined { user_id },
                Event::PlayerJoined {
                    user_id,
                    display_name,
                    participant_count: self.active_count(),
                },
            ]);
        }
        let display_name = text::DISPLAY_NAME.check(display_name)?;
        self.participants.push(Participant {
            user_id,
            display_name: display_name.clone(),
            joined_at: now,
            active: true,
            kicked: false,
        });
        self.scores.entry(user_id).or_insert(0);
        Ok(vec![Event::PlayerJoined {
            user_id,
            display_name,
            participant_count: self.active_count(),
        }])
    }

    fn leave(&mut self, user_id: UserId, now: DateTime<Utc>) -> Result<Vec<Event>, DomainError> {
        self.require_member(user_id)?;
        self.deactivate(user_id, false);
        let mut events = Vec::new();
        if self.active_count() == 0 {
            self.closed = true;
            self.status = RoomStatus::Finished;
            events.push(Event::PlayerLeft {
                user_id,
                participant_count: 0,
                host_id: self.host_id,
                kicked: false,
            });
            events.push(Event::RoomClosed);
            return Ok(events);
        }
        if self.host_id == user_id
            && let Some(heir) = self.participants.iter().find(|p| p.active)
        {
            self.host_id = heir.user_id;
            events.push(Event::HostChanged {
                host_id: self.host_id,
            });
        }
        self.forget_lobby_leavers();
        events.push(Event::PlayerLeft {
            user_id,
            participant_count: self.active_count(),
            host_id: self.host_id,
            kicked: false,
        });
        events.extend(self.advance(now));
        Ok(events)
    }

    fn kick(
        &mut self,
        by: UserId,
        target: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        self.require_host(by)?;
        if target == by {
            return Err(DomainError::CannotKickSelf);
        }
        self.require_member(target)?;
        self.deactivate(target, true);
        let mut events = vec![Event::PlayerLeft {
            user_id: target,
            participant_count: self.active_count(),
            host_id: self.host_id,
            kicked: true,
        }];
        events.extend(self.advance(now));
        Ok(events)
    }

    fn hand_over_host(&mut self, from: UserId, to: UserId) -> Result<Vec<Event>, DomainError> {
        self.require_host(from)?;
        if to == from {
            return Err(DomainError::validation(
                "to",
                "the host cannot hand over to themselves",
            ));
        }
        self.require_member(to)?;
        self.host_id = to;
        Ok(vec![Event::HostChanged { host_id: to }])
    }

    /// Before the first round leavers have nothing to keep (no points, no answers), so only
    /// the last `max_players` of them are remembered (to rejoin with their place): players
    /// coming and going never grow the room's state past that.
    fn forget_lobby_leavers(&mut self) {
        if self.status != RoomStatus::Lobby || self.round.is_some() {
            return;
        }
        let leavers = |p: &Participant| !p.active && !p.kicked;
        let keep = self.settings.max_players as usize;
        let mut excess = self
            .participants
            .iter()
            .filter(|p| leavers(p))
            .count()
            .saturating_sub(keep);
        let scores = &mut self.scores;
        self.participants.retain(|p| {
            if excess > 0 && leavers(p) {
                excess -= 1;
                scores.remove(&p.user_id);
                false
            } else {
                true
            }
        });
    }

    fn deactivate(&mut self, user: UserId, kicked: bool) {
        if let Some(p) = self.participants.iter_mut().find(|p| p.user_id == user) {
            p.active = false;
            p.kicked |= kicked;
        }
    }

    fn start_game(
        &mut self,
        by: UserId,
        round_id: Uuid,
        question: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        self.require_host(by)?;
        match self.status {
            RoomStatus::Playing => return Err(DomainError::GameInProgress),
            RoomStatus::Finished => return Err(DomainError::GameFinished),
            RoomStatus::Lobby => {}
        }
        if self.active_count() < 2 {
            return Err(DomainError::NotEnoughPlayers);
        }
        let question = self.fresh_question(round_id, question)?;
        Ok(vec![self.begin_round(round_id, 1, question, now)])
    }

    fn next_round(
        &mut self,
        by: UserId,
        round_id: Uuid,
        question: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        self.require_host(by)?;
        match self.status {
            RoomStatus::Finished => return Err(DomainError::GameFinished),
            RoomStatus::Lobby => return Err(DomainError::WrongPhase),
            RoomStatus::Playing => {}
        }
        let number = match &self.round {
            Some(round) if round.phase == RoundPhase::Finished => round.number,
            _ => return Err(DomainError::WrongPhase),
        };
        if number >= self.settings.max_rounds {
            self.status = RoomStatus::Finished;
            return Ok(vec![Event::GameEnded {
                final_leaderboard: self.leaderboard(),
            }]);
        }
        let question = self.fresh_question(round_id, question)?;
        Ok(vec![self.begin_round(round_id, number + 1, question, now)])
    }

    /// The trimmed question, refused if blank or already asked in this room, and the round
    /// id, refused if it is the current round's (it would make stale requests look current).
    fn fresh_question(&self, round_id: Uuid, question: &str) -> Result<String, DomainError> {
        if self.round.as_ref().is_some_and(|r| r.id == round_id) {
            return Err(DomainError::validation(
                "round_id",
                "a new round needs a new id",
            ));
        }
        let question = question.trim();
        if question.is_empty() {
            return Err(DomainError::validation("question", "must not be empty"));
        }
        if text::already_asked(question, &self.used_questions) {
            return Err(DomainError::validation(
                "question",
                "this room has already had this question",
            ));
        }
        Ok(moderation::screen_question(
            self.settings.profanity_filter,
            question.to_string(),
        ))
    }

    fn begin_round(
        &mut self,
        round_id: Uuid,
        number: u32,
        question: String,
        now: DateTime<Utc>,
    ) -> Event {
        let players: Vec<UserId> = self
            .participants
            .iter()
            .filter(|p| p.active)
            .map(|p| p.user_id)
            .collect();
        for p in &players {
            self.scores.entry(*p).or_insert(0);
        }
        let time_limit = self.settings.answer_seconds;
        let deadline = after(now, time_limit);
        self.round = Some(Round {
            id: round_id,
            number,
            question: question.clone(),
            phase: RoundPhase::Answering,
            time_limit,
            deadline: Some(deadline),
            answers: Vec::new(),
            votes: Vec::new(),
            players,
            hidden: Vec::new(),
        });
        self.used_questions.push(question.clone());
        self.status = RoomStatus::Playing;
        if number == 1 {
            self.game_id = Some(round_id);
        }
        Event::RoundStarted {
            round_id,
            round_number: number,
            question,
            time_limit,
            deadline,
            first: number == 1,
        }
    }

    fn submit_answer(
        &mut self,
        by: UserId,
        round_id: Uuid,
        answer_id: Uuid,
        content: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        self.require_member(by)?;
        let round = self.current_round(round_id, RoundPhase::Answering)?;
        if !round.open_at(now) {
            return Err(DomainError::WrongPhase);
        }
        if round.answer_of(by).is_some() {
            return Err(DomainError::AlreadyAnswered);
        }
        let content = text::ANSWER.check(content)?;
        let content = moderation::screen_answer(self.settings.profanity_filter, content)?;
        if round.answer(answer_id).is_some() {
            return Err(DomainError::validation(
                "answer_id",
                "an answer with this id already exists",
            ));
        }
        let total_players = self.awaited_players();
        let Some(round) = self.round.as_mut() else {
            return Err(DomainError::StaleRound);
        };
        round.answers.push(Answer {
            id: answer_id,
            author_id: by,
            content,
        });
        let mut events = vec![Event::AnswerSubmitted {
            answer_id,
            author_id: by,
            submitted_count: round.answers.len(),
            total_players,
        }];
        events.extend(self.advance(now));
        Ok(events)
    }

    fn vote(
        &mut self,
        by: UserId,
        round_id: Uuid,
        answer_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        self.require_member(by)?;
        let round = self.current_round(round_id, RoundPhase::Voting)?;
        if !round.open_at(now) {
            return Err(DomainError::WrongPhase);
        }
        if round.vote_of(by).is_some() {
            return Err(DomainError::AlreadyVoted);
        }
        let answer = round.answer(answer_id).ok_or(DomainError::AnswerNotFound)?;
        if round.hidden.contains(&answer_id) {
            return Err(DomainError::AnswerHidden);
        }
        if answer.author_id == by {
            return Err(DomainError::OwnAnswer);
        }
        let Some(round) = self.round.as_mut() else {
            return Err(DomainError::StaleRound);
        };
        round.votes.push(Vote {
            voter_id: by,
            answer_id,
        });
        let mut events = vec![Event::VoteCast {
            voter_id: by,
            answer_id,
            vote_count: round.vote_count(answer_id),
        }];
        events.extend(self.advance(now));
        Ok(events)
    }

    fn tick(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        let Some(deadline) = self.deadline() else {
            return Vec::new();
        };
        if now < deadline {
            return Vec::new();
        }
        match self.round.as_ref().map(|r| r.phase) {
            Some(RoundPhase::Answering) => self.start_voting(now),
            Some(RoundPhase::Voting) => self.end_round(),
            _ => Vec::new(),
        }
    }

    /// Round players still in the room: the answers the answering phase waits for.
    fn awaited_players(&self) -> usize {
        self.round.as_ref().map_or(0, |r| {
            r.players.iter().filter(|p| self.is_member(**p)).count()
        })
    }

    fn everyone_answered(&self, round: &Round) -> bool {
        round
            .players
            .iter()
            .filter(|p| self.is_member(**p))
            .all(|p| round.answer_of(*p).is_some())
    }

    /// Whether everyone who can vote has; vacuously true when nobody can (e.g. no answers).
    fn everyone_voted(&self, round: &Round) -> bool {
        self.participants
            .iter()
            .filter(|p| p.active && round.can_vote(p.user_id))
            .all(|p| round.vote_of(p.user_id).is_some())
    }

    /// Ends the current phase if nobody is left to wait for, after an answer, vote or leave.
    fn advance(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        if self.closed || self.status != RoomStatus::Playing {
            return Vec::new();
        }
        let Some(round) = &self.round else {
            return Vec::new();
        };
        match round.phase {
            RoundPhase::Answering if self.everyone_answered(round) => self.start_voting(now),
            RoundPhase::Voting if self.everyone_voted(round) => self.end_round(),
            _ => Vec::new(),
        }
    }

    /// Moves the round to voting; if nobody can vote, the round ends in the same breath.
    fn start_voting(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        let time_limit = self.settings.vote_seconds;
        let deadline = after(now, time_limit);
        let Some(round) = self.round.as_mut() else {
            return Vec::new();
        };
        round.phase = RoundPhase::Voting;
        round.time_limit = time_limit;
        round.deadline = Some(deadline);
        let mut answers: Vec<(Uuid, String)> = round
            .answers
            .iter()
            .filter(|a| !round.hidden.contains(&a.id))
            .map(|a| (a.id, a.content.clone()))
            .collect();
        answers.sort_by_key(|(id, _)| *id);
        let mut events = vec![Event::VotingStarted {
            round_id: round.id,
            answers,
            time_limit,
            deadline,
        }];
        if self.round.as_ref().is_some_and(|r| self.everyone_voted(r)) {
            events.extend(self.end_round());
        }
        events
    }

    /// Finishes the round and credits each author one point per vote.
    fn end_round(&mut self) -> Vec<Event> {
        let Some(round) = self.round.as_mut() else {
            return Vec::new();
        };
        round.phase = RoundPhase::Finished;
        round.deadline = None;
        let (round_id, round_number) = (round.id, round.number);
        let mut points = scoring::round_points(round);
        audience::add_bonus(
            &mut points,
            round,
            &self.audience_ballot,
            self.settings.audience_bonus,
        );
        for (user, earned) in &points {
            *self.scores.entry(*user).or_insert(0) += earned;
        }
        let results = self
            .round
            .as_ref()
            .map(|r| r.results(self))
            .unwrap_or_default();
        vec![Event::RoundEnded {
            round_id,
            round_number,
            results,
            leaderboard: self.leaderboard(),
            points,
        }]
    }
}

pub(crate) mod audience;
mod hiding;
mod replay;
pub(crate) use replay::patched_settings;
#[cfg(test)]
mod tests;
