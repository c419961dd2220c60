//! The audience: people beyond the players who watch and vote. They join when the room has no
//! place for another player (full, or its game under way or over) or when the host opened it
//! to an audience; at most [`MAX_AUDIENCE`] per room. They are never participants, so by
//! construction they never answer, never count toward "everyone has acted" and are never on
//! the leaderboard. Their votes are counted apart (`audience_votes` per answer, one per member
//! per round) and may earn the answers they liked best a bonus the host chooses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Room, RoomStatus};
use crate::domain::{Command, DomainError, Event, Round, RoundPhase, UserId, Vote};

/// Audience members one room takes at most.
pub(crate) const MAX_AUDIENCE: usize = 10_000;

/// The audience's votes in one round (the room keeps only the current round's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceBallot {
    pub round_id: Option<Uuid>,
    pub votes: Vec<Vote>,
}

impl AudienceBallot {
    /// Audience votes for `answer_id` of round `round_id`.
    pub(crate) fn count(&self, round_id: Uuid, answer_id: Uuid) -> u32 {
        if self.round_id != Some(round_id) {
            return 0;
        }
        let n = self
            .votes
            .iter()
            .filter(|v| v.answer_id == answer_id)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// Adds the audience bonus to `points` (every author of `round`, as `round_points` lists them):
/// `bonus` to the author of each answer with the most audience votes, when it has any.
pub(crate) fn add_bonus(
    points: &mut [(UserId, u32)],
    round: &Round,
    ballot: &AudienceBallot,
    bonus: u32,
) {
    if bonus == 0 {
        return;
    }
    let counts: Vec<(UserId, u32)> = round
        .answers
        .iter()
        .filter(|a| !round.hidden.contains(&a.id))
        .map(|a| (a.author_id, ballot.count(round.id, a.id)))
        .collect();
    let Some(best) = counts.iter().map(|(_, c)| *c).max().filter(|c| *c > 0) else {
        return;
    };
    for (author, _) in counts.iter().filter(|(_, c)| *c == best) {
        if let Some(entry) = points.iter_mut().find(|(u, _)| u == author) {
            entry.1 = entry.1.saturating_add(bonus);
        }
    }
}

/// Whether `cmd` is an audience command: each of them checks everything before it changes
/// anything, so a refusal leaves the room as it was without working on a copy (the property
/// test below checks exactly that).
pub(crate) fn changes_only_when_allowed(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::JoinAudience { .. } | Command::LeaveAudience { .. } | Command::AudienceVote { .. }
    )
}

impl Room {
    /// Whether someone new could join as a player right now.
    fn has_player_place(&self) -> bool {
        self.status == RoomStatus::Lobby && self.active_count() < self.settings.max_players as usize
    }

    /// Whether `user` (`None`: someone who has never been in the room) may watch it as
    /// audience now, and if not, the refusal `join_audience` would give. A player, or someone
    /// already watching, may: joining changes nothing for them.
    pub fn may_watch(&self, user: Option<UserId>) -> Result<(), DomainError> {
        if let Some(p) = user.and_then(|u| self.participant(u)) {
            if p.kicked {
                return Err(DomainError::Kicked);
            }
            if p.active {
                return Ok(());
            }
        }
        if user.is_some_and(|u| self.audience.contains(&u) || self.runs_from_outside(u)) {
            return Ok(());
        }
        if !self.settings.audience_open && self.has_player_place() {
            return Err(DomainError::AudienceClosed);
        }
        if self.audience.len() >= MAX_AUDIENCE {
            return Err(DomainError::AudienceFull);
        }
        Ok(())
    }

    pub(super) fn join_audience(&mut self, user_id: UserId) -> Result<Vec<Event>, DomainError> {
        self.may_watch(Some(user_id))?;
        // Already a player or the host (they see everything anyway) or already watching.
        if self.is_inside(user_id) || self.audience.contains(&user_id) {
            return Ok(Vec::new());
        }
        self.audience.insert(user_id);
        Ok(vec![Event::AudienceJoined {
            user_id,
            audience_count: self.audience.len(),
        }])
    }

    pub(super) fn leave_audience(&mut self, user_id: UserId) -> Result<Vec<Event>, DomainError> {
        if !self.audience.remove(&user_id) {
            return Err(DomainError::NotAudience);
        }
        Ok(vec![Event::AudienceLeft {
            user_id,
            audience_count: self.audience.len(),
        }])
    }

    /// An audience member's vote: once per round, for a shown answer, while voting. It never
    /// ends the phase (the audience holds nothing open), so it does not call `advance`.
    pub(super) fn audience_vote(
        &mut self,
        by: UserId,
        round_id: Uuid,
        answer_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        if !self.audience.contains(&by) || self.is_member(by) {
            return Err(DomainError::NotAudience);
        }
        let round = self.current_round(round_id, RoundPhase::Voting)?;
        // The deadline is the phase's end even before the timer closing it has run.
        if round.deadline.is_some_and(|d| now >= d) {
            return Err(DomainError::WrongPhase);
        }
        if round.answer(answer_id).is_none() {
            return Err(DomainError::AnswerNotFound);
        }
        if round.hidden.contains(&answer_id) {
            return Err(DomainError::AnswerHidden);
        }
        if self.audience_ballot.round_id != Some(round_id) {
            self.audience_ballot = AudienceBallot {
                round_id: Some(round_id),
                votes: Vec::new(),
            };
        }
        if self.audience_ballot.votes.iter().any(|v| v.voter_id == by) {
            return Err(DomainError::AlreadyVoted);
        }
        self.audience_ballot.votes.push(Vote {
            voter_id: by,
            answer_id,
        });
        Ok(vec![Event::AudienceVoteCast {
            voter_id: by,
            round_id,
            answer_id,
            audience_votes: self.audience_ballot.count(round_id, answer_id),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Settings;
    use chrono::TimeDelta;
    use proptest::prelude::*;

    const HOST: u128 = 1;
    const ROUND: u128 = 100;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(1_700_000_000 + s)
    }

    /// Audience members are users 1000 and up.
    fn fan(n: u128) -> UserId {
        id(1000 + n)
    }

    fn room(players: u128, settings: Settings) -> Room {
        let mut room = Room::new(
            id(900),
            "ABCDEF".into(),
            id(HOST),
            "host".into(),
            settings,
            t(0),
        );
        for n in 2..=players {
            room.apply(Command::Join {
                user_id: id(n),
                display_name: format!("p{n}"),
                now: t(1),
            })
            .unwrap();
        }
        room
    }

    fn start(room: &mut Room) {
        room.apply(Command::StartGame {
            by: id(HOST),
            round_id: id(ROUND),
            question: "q".into(),
            now: t(2),
        })
        .unwrap();
    }

    fn join(n: u128) -> Command {
        Command::JoinAudience {
            user_id: fan(n),
            now: t(3),
        }
    }

    fn audience_vote(n: u128, answer: u128) -> Command {
        Command::AudienceVote {
            by: fan(n),
            round_id: id(ROUND),
            answer_id: id(answer),
            now: t(6),
        }
    }

    #[test]
    fn the_audience_opens_when_no_player_can_join_or_the_host_opened_it() {
        let mut lobby = room(2, Settings::default());
        assert_eq!(lobby.apply(join(1)), Err(DomainError::AudienceClosed));
        let mut full = room(
            2,
            Settings {
                max_players: 2,
                ..Settings::default()
            },
        );
        assert!(full.apply(join(1)).is_ok());
        let mut open = room(
            2,
            Settings {
                audience_open: true,
                ..Settings::default()
            },
        );
        assert!(open.apply(join(1)).is_ok());
        start(&mut lobby);
        let events = lobby.apply(join(1)).unwrap();
        assert_eq!(
            events,
            vec![Event::AudienceJoined {
                user_id: fan(1),
                audience_count: 1
            }]
        );
        assert_eq!(lobby.apply(join(1)), Ok(vec![]));
        // A player joining the audience stays a player.
        assert_eq!(
            lobby.apply(Command::JoinAudience {
                user_id: id(2),
                now: t(3)
            }),
            Ok(vec![])
        );
        assert!(!lobby.audience.contains(&id(2)));
    }

    #[test]
    fn the_audience_is_capped() {
        let mut r = room(2, Settings::default());
        start(&mut r);
        for n in 0..MAX_AUDIENCE as u128 {
            r.audience.insert(fan(n));
        }
        assert_eq!(
            r.apply(join(MAX_AUDIENCE as u128)),
            Err(DomainError::AudienceFull)
        );
    }

    #[test]
    fn audience_votes_are_counted_apart_once_each_and_only_while_voting() {
        let mut r = room(2, Settings::default());
        start(&mut r);
        r.apply(join(1)).unwrap();
        r.apply(join(2)).unwrap();
        assert_eq!(r.apply(audience_vote(1, 11)), Err(DomainError::WrongPhase));
        for n in 1..=2 {
            r.apply(Command::SubmitAnswer {
                by: id(n),
                round_id: id(ROUND),
                answer_id: id(10 + n),
                content: format!("a{n}"),
                now: t(4),
            })
            .unwrap();
        }
        let events = r.apply(audience_vote(1, 11)).unwrap();
        assert!(matches!(
            events[..],
            [Event::AudienceVoteCast {
                audience_votes: 1,
                ..
            }]
        ));
        assert_eq!(
            r.apply(audience_vote(1, 12)),
            Err(DomainError::AlreadyVoted)
        );
        assert_eq!(
            r.apply(audience_vote(2, 99)),
            Err(DomainError::AnswerNotFound)
        );
        assert_eq!(
            r.apply(Command::AudienceVote {
                by: id(2),
                round_id: id(ROUND),
                answer_id: id(11),
                now: t(6)
            }),
            Err(DomainError::NotAudience)
        );
        r.apply(audience_vote(2, 11)).unwrap();
        let round = r.round.as_ref().unwrap();
        assert_eq!(round.vote_count(id(11)), 0, "players' votes are apart");
        assert_eq!(r.audience_ballot.count(id(ROUND), id(11)), 2);
        // Past the deadline, refused even before the timer runs.
        r.apply(join(3)).unwrap();
        assert_eq!(
            r.apply(Command::AudienceVote {
                by: fan(3),
                round_id: id(ROUND),
                answer_id: id(11),
                now: t(10_000)
            }),
            Err(DomainError::WrongPhase)
        );
    }

    #[test]
    fn the_audience_favourite_earns_the_bonus_the_host_chose() {
        let mut r = room(
            3,
            Settings {
                audience_bonus: 5,
                ..Settings::default()
            },
        );
        start(&mut r);
        for n in 1..=3 {
            r.apply(Command::SubmitAnswer {
                by: id(n),
                round_id: id(ROUND),
                answer_id: id(10 + n),
                content: format!("a{n}"),
                now: t(4),
            })
            .unwrap();
        }
        for (fan_n, answer) in [(1, 12), (2, 12), (3, 13)] {
            r.apply(join(fan_n)).unwrap();
            r.apply(audience_vote(fan_n, answer)).unwrap();
        }
        for (voter, answer) in [(1, 13), (2, 13), (3, 11)] {
            r.apply(Command::Vote {
                by: id(voter),
                round_id: id(ROUND),
                answer_id: id(answer),
                now: t(7),
            })
            .unwrap();
        }
        // Player 3: two player votes; player 2: the audience favourite, +5; player 1: one vote.
        assert_eq!(r.scores[&id(3)], 2);
        assert_eq!(r.scores[&id(2)], 5);
        assert_eq!(r.scores[&id(1)], 1);
        let results = r.round.as_ref().unwrap().results(&r);
        let of = |a: u128| results.iter().find(|x| x.answer_id == id(a)).unwrap();
        assert_eq!((of(12).votes, of(12).audience_votes), (0, 2));
        assert_eq!((of(13).votes, of(13).audience_votes), (2, 1));
    }

    #[derive(Debug, Clone)]
    enum Step {
        Answer(u8),
        Vote(u8, u8),
        FanJoin(u8),
        FanVote(u8, u8),
        FanLeave(u8),
        Tick(u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0u8..5).prop_map(Step::Answer),
            (0u8..5, 0u8..5).prop_map(|(a, b)| Step::Vote(a, b)),
            (0u8..20).prop_map(Step::FanJoin),
            (0u8..20, 0u8..5).prop_map(|(a, b)| Step::FanVote(a, b)),
            (0u8..20).prop_map(Step::FanLeave),
            (0u8..3).prop_map(Step::Tick),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Two copies of a game get the same player commands; one also gets any audience
        /// traffic. With no bonus they never differ in phase, round or scores: the audience
        /// never holds a phase open, never closes one, and is never on the leaderboard.
        #[test]
        fn the_audience_never_affects_quorum_or_the_leaderboard(
            players in 2u128..=5,
            steps in prop::collection::vec(step(), 1..80),
        ) {
            let settings = Settings { audience_open: true, ..Settings::default() };
            let mut with = room(players, settings.clone());
            let mut without = room(players, settings);
            start(&mut with);
            start(&mut without);
            let mut now = 4i64;
            for s in steps {
                now += 1;
                let player = |n: u8| id(1 + u128::from(n) % players);
                let answer = |n: u8| id(11 + u128::from(n) % players);
                let (cmd, audience_only) = match s {
                    Step::Answer(p) => (Command::SubmitAnswer {
                        by: player(p), round_id: id(ROUND), answer_id: id(10 + 1 + u128::from(p) % players),
                        content: "x".into(), now: t(now) }, false),
                    Step::Vote(p, a) => (Command::Vote {
                        by: player(p), round_id: id(ROUND), answer_id: answer(a), now: t(now) }, false),
                    Step::Tick(k) => (Command::Tick { now: t(now + i64::from(k) * 30) }, false),
                    Step::FanJoin(f) => (Command::JoinAudience { user_id: fan(u128::from(f)), now: t(now) }, true),
                    Step::FanLeave(f) => (Command::LeaveAudience { user_id: fan(u128::from(f)), now: t(now) }, true),
                    Step::FanVote(f, a) => (Command::AudienceVote {
                        by: fan(u128::from(f)), round_id: id(ROUND), answer_id: answer(a), now: t(now) }, true),
                };
                let before = with.clone();
                let outcome = with.apply(cmd.clone());
                if outcome.is_err() {
                    prop_assert_eq!(&with, &before);
                }
                if audience_only {
                    if let Ok(events) = &outcome {
                        let only_audience = events.iter().all(|e| matches!(e,
                            Event::AudienceJoined { .. } | Event::AudienceLeft { .. } | Event::AudienceVoteCast { .. }));
                        prop_assert!(only_audience);
                    }
                } else {
                    let other = without.apply(cmd);
                    prop_assert_eq!(outcome.is_ok(), other.is_ok());
                }
                let (a, b) = (with.round.as_ref().unwrap(), without.round.as_ref().unwrap());
                prop_assert_eq!((a.phase, a.number, &a.votes), (b.phase, b.number, &b.votes));
                prop_assert_eq!(&with.scores, &without.scores);
                prop_assert_eq!(with.leaderboard(), without.leaderboard());
                prop_assert!(with.leaderboard().iter().all(|e| e.user_id.as_u128() < 1000));
                prop_assert!(with.participants.iter().all(|p| p.user_id.as_u128() < 1000));
            }
        }
    }
}
