//! How a round moves on: from answering to voting to finished, when its deadline passes or
//! nobody is left to wait for, and the scoring at its end. Split from `room.rs`, so the timing
//! rules are read in one place.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Room, RoomStatus, after, audience};
use crate::domain::game::scoring;
use crate::domain::{Event, Round, RoundPhase};

impl Room {
    pub(super) fn tick(&mut self, now: DateTime<Utc>) -> Vec<Event> {
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
    pub(super) fn awaited_players(&self) -> usize {
        self.round.as_ref().map_or(0, |r| {
            r.players.iter().filter(|p| self.is_member(**p)).count()
        })
    }

    pub(super) fn everyone_answered(&self, round: &Round) -> bool {
        round
            .players
            .iter()
            .filter(|p| self.is_member(**p))
            .all(|p| round.answer_of(*p).is_some())
    }

    /// The current round's vote tally as a room that hides votes shows it: the round, how
    /// many players have voted, and how many can (the ones voting waits for).
    pub fn vote_tally(&self) -> Option<(Uuid, usize, usize)> {
        let round = self.round.as_ref()?;
        let eligible = self
            .participants
            .iter()
            .filter(|p| p.active && round.can_vote(p.user_id));
        let (mut voted, mut total) = (0, 0);
        for p in eligible {
            total += 1;
            voted += usize::from(round.vote_of(p.user_id).is_some());
        }
        Some((round.id, voted, total))
    }

    /// Whether everyone who can vote has; vacuously true when nobody can (e.g. no answers).
    pub(super) fn everyone_voted(&self, round: &Round) -> bool {
        self.participants
            .iter()
            .filter(|p| p.active && round.can_vote(p.user_id))
            .all(|p| round.vote_of(p.user_id).is_some())
    }

    /// Ends the current phase if nobody is left to wait for, after an answer, vote or leave.
    pub(super) fn advance(&mut self, now: DateTime<Utc>) -> Vec<Event> {
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
    pub(super) fn start_voting(&mut self, now: DateTime<Utc>) -> Vec<Event> {
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
    pub(super) fn end_round(&mut self) -> Vec<Event> {
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
