//! A game's rounds from the players' side: starting the game and each next round (with a
//! question the room has never had), then the answers and votes a round collects. Split from
//! `room.rs`; how a round moves from phase to phase is in `phases.rs`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Room, RoomStatus, after};
use crate::domain::game::moderation;
use crate::domain::{Answer, DomainError, Event, Round, RoundPhase, UserId, Vote, text};

impl Room {
    pub(super) fn start_game(
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

    pub(super) fn next_round(
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
    pub(super) fn fresh_question(
        &self,
        round_id: Uuid,
        question: &str,
    ) -> Result<String, DomainError> {
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

    pub(super) fn begin_round(
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

    pub(super) fn submit_answer(
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

    pub(super) fn vote(
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
}
