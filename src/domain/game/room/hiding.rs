//! Hiding an answer: the host takes an answer off the ballot before it is voted on. A hidden
//! answer never receives a vote (votes it had are withdrawn, and those voters may vote again),
//! is left out of the answers shown for voting and of the results, earns nothing, and its
//! author is told.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Room;
use crate::domain::{DomainError, Event, RoundPhase, UserId};

impl Room {
    pub(super) fn hide_answer(
        &mut self,
        by: UserId,
        round_id: Uuid,
        answer_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        self.require_host(by)?;
        let round = match &self.round {
            Some(r) if r.id == round_id => r,
            _ => return Err(DomainError::StaleRound),
        };
        if round.phase == RoundPhase::Finished {
            return Err(DomainError::WrongPhase);
        }
        let author_id = round
            .answer(answer_id)
            .ok_or(DomainError::AnswerNotFound)?
            .author_id;
        if round.hidden.contains(&answer_id) {
            // Hiding twice changes nothing and tells nobody again.
            return Ok(Vec::new());
        }
        let Some(round) = self.round.as_mut() else {
            return Err(DomainError::StaleRound);
        };
        round.hidden.push(answer_id);
        let withdrawn: Vec<UserId> = round
            .votes
            .iter()
            .filter(|v| v.answer_id == answer_id)
            .map(|v| v.voter_id)
            .collect();
        round.votes.retain(|v| v.answer_id != answer_id);
        self.audience_ballot
            .votes
            .retain(|v| v.answer_id != answer_id);
        let mut events = vec![Event::AnswerHidden {
            round_id,
            answer_id,
            author_id,
            withdrawn,
        }];
        // Someone whose only choice was this answer has nothing left to vote for.
        events.extend(self.advance(now));
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Command, Settings};
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

    /// Round 1 of `players` in its answering phase (answer ids are 10 + author).
    fn answering(players: u128) -> Room {
        let mut room = Room::new(
            id(900),
            "ABCDEF".into(),
            id(HOST),
            "host".into(),
            Settings::default(),
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
        room.apply(Command::StartGame {
            by: id(HOST),
            round_id: id(ROUND),
            question: "q".into(),
            now: t(2),
        })
        .unwrap();
        room
    }

    fn answer(room: &mut Room, n: u128) {
        room.apply(Command::SubmitAnswer {
            by: id(n),
            round_id: id(ROUND),
            answer_id: id(10 + n),
            content: format!("answer {n}"),
            now: t(3),
        })
        .unwrap();
    }

    fn hide(by: u128, answer: u128) -> Command {
        Command::HideAnswer {
            by: id(by),
            round_id: id(ROUND),
            answer_id: id(answer),
            now: t(4),
        }
    }

    fn vote(by: u128, answer: u128) -> Command {
        Command::Vote {
            by: id(by),
            round_id: id(ROUND),
            answer_id: id(answer),
            now: t(5),
        }
    }

    #[test]
    fn a_hidden_answer_leaves_the_ballot_and_its_author_is_named_for_telling() {
        let mut room = answering(3);
        answer(&mut room, 2);
        assert_eq!(room.apply(hide(2, 12)), Err(DomainError::NotHost));
        let events = room.apply(hide(HOST, 12)).unwrap();
        assert_eq!(
            events,
            vec![Event::AnswerHidden {
                round_id: id(ROUND),
                answer_id: id(12),
                author_id: id(2),
                withdrawn: vec![],
            }]
        );
        assert_eq!(room.apply(hide(HOST, 12)), Ok(vec![]));
        answer(&mut room, 1);
        answer(&mut room, 3);
        assert_eq!(room.round.as_ref().unwrap().phase, RoundPhase::Voting);
        assert_eq!(room.apply(vote(3, 12)), Err(DomainError::AnswerHidden));
        assert_eq!(room.apply(hide(HOST, 99)), Err(DomainError::AnswerNotFound));
    }

    #[test]
    fn hiding_during_voting_withdraws_its_votes_and_those_voters_vote_again() {
        let mut room = answering(3);
        for n in 1..=3 {
            answer(&mut room, n);
        }
        room.apply(vote(3, 12)).unwrap();
        let events = room.apply(hide(HOST, 12)).unwrap();
        assert!(
            matches!(&events[0], Event::AnswerHidden { withdrawn, .. } if withdrawn == &vec![id(3)])
        );
        assert_eq!(room.round.as_ref().unwrap().vote_count(id(12)), 0);
        room.apply(vote(3, 11)).unwrap();
        room.apply(vote(1, 13)).unwrap();
        room.apply(vote(2, 11)).unwrap();
        let round = room.round.as_ref().unwrap();
        assert_eq!(round.phase, RoundPhase::Finished);
        assert!(round.results(&room).iter().all(|r| r.answer_id != id(12)));
        assert_eq!(room.scores[&id(2)], 0);
        assert_eq!(room.apply(hide(HOST, 11)), Err(DomainError::WrongPhase));
    }

    #[test]
    fn someone_whose_only_choice_was_hidden_no_longer_holds_voting_open() {
        let mut room = answering(2);
        answer(&mut room, 1);
        answer(&mut room, 2);
        // The host votes; player 2 can only vote for the host's answer, which is then hidden.
        room.apply(vote(HOST, 12)).unwrap();
        let events = room.apply(hide(HOST, 11)).unwrap();
        assert!(events.iter().any(|e| matches!(e, Event::RoundEnded { .. })));
    }

    proptest! {
        /// Whatever is answered, hidden and voted in whatever order, no hidden answer ever
        /// holds a vote, and refused commands change nothing.
        #[test]
        fn a_hidden_answer_never_receives_a_vote(
            players in 2u128..=5,
            steps in prop::collection::vec((0u8..3, 1u128..=5, 1u128..=5), 1..40),
        ) {
            let mut room = answering(players);
            for (kind, who, target) in steps {
                let cmd = match kind {
                    0 => Command::SubmitAnswer {
                        by: id(who), round_id: id(ROUND), answer_id: id(10 + who),
                        content: "x".into(), now: t(3),
                    },
                    1 => hide(HOST, 10 + target),
                    _ => vote(who, 10 + target),
                };
                let before = room.clone();
                if room.apply(cmd).is_err() {
                    prop_assert_eq!(&room, &before);
                }
                let round = room.round.as_ref().unwrap();
                for v in &round.votes {
                    prop_assert!(!round.hidden.contains(&v.answer_id), "a vote for a hidden answer");
                }
                for r in round.results(&room) {
                    prop_assert!(!round.hidden.contains(&r.answer_id));
                }
            }
        }
    }
}
