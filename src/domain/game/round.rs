//! One question's life: answers are collected, then voted on, then revealed with their votes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Room, RoundResult, UserId, VoterRef};

/// Phases in the only order a round goes through them; `Ord` follows that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundPhase {
    Answering,
    Voting,
    Finished,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub id: Uuid,
    pub author_id: UserId,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub voter_id: UserId,
    pub answer_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub id: Uuid,
    pub number: u32,
    pub question: String,
    pub phase: RoundPhase,
    /// Length of the current phase in seconds.
    pub time_limit: u32,
    /// End of the current phase; `None` once the round is finished.
    pub deadline: Option<DateTime<Utc>>,
    /// In submission order; anything shown to players while voting must be re-sorted.
    pub answers: Vec<Answer>,
    pub votes: Vec<Vote>,
    /// The active participants when the round started: the ones whose answers are awaited.
    pub players: Vec<UserId>,
    /// Answers the host hid (`hide_answer`): never shown for voting, never voted for.
    #[serde(default)]
    pub hidden: Vec<Uuid>,
}

impl Round {
    pub fn vote_count(&self, answer: Uuid) -> u32 {
        let n = self.votes.iter().filter(|v| v.answer_id == answer).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    pub fn answer(&self, id: Uuid) -> Option<&Answer> {
        self.answers.iter().find(|a| a.id == id)
    }

    pub fn answer_of(&self, user: UserId) -> Option<&Answer> {
        self.answers.iter().find(|a| a.author_id == user)
    }

    pub fn vote_of(&self, user: UserId) -> Option<&Vote> {
        self.votes.iter().find(|v| v.voter_id == user)
    }

    /// Whether the current phase still takes answers or votes arriving at `at`: a phase ends
    /// at its deadline whether or not the timer that moves the room on has run yet.
    pub fn open_at(&self, at: DateTime<Utc>) -> bool {
        self.deadline.is_none_or(|deadline| at < deadline)
    }

    /// Whether `user` has something to vote for: an answer that is not their own or hidden.
    pub fn can_vote(&self, user: UserId) -> bool {
        self.answers
            .iter()
            .any(|a| a.author_id != user && !self.hidden.contains(&a.id))
    }

    /// The answers with their authors and votes, most votes first; equal votes keep the
    /// (author-neutral) id order so the list is the same on every call.
    pub fn results(&self, room: &Room) -> Vec<RoundResult> {
        let mut results: Vec<RoundResult> = self
            .answers
            .iter()
            .filter(|a| !self.hidden.contains(&a.id))
            .map(|a| RoundResult {
                answer_id: a.id,
                content: a.content.clone(),
                author_id: a.author_id,
                // Authors stay in `participants` even after leaving or being kicked.
                display_name: room
                    .participant(a.author_id)
                    .map(|p| p.display_name.clone())
                    .unwrap_or_default(),
                votes: self.vote_count(a.id),
                audience_votes: room.audience_ballot.count(self.id, a.id),
                voters: if room.settings.hide_votes {
                    self.votes
                        .iter()
                        .filter(|v| v.answer_id == a.id)
                        .map(|v| VoterRef {
                            user_id: v.voter_id,
                            display_name: room
                                .participant(v.voter_id)
                                .map(|p| p.display_name.clone())
                                .unwrap_or_default(),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
            })
            .collect();
        results.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.answer_id.cmp(&b.answer_id)));
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Settings;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn sample() -> (Room, Round) {
        let mut room = Room::new(
            id(900),
            "ABCDEF".into(),
            id(1),
            "ann".into(),
            Settings::default(),
            DateTime::<Utc>::UNIX_EPOCH,
        );
        for (n, name) in [(2, "bob"), (3, "cy")] {
            room.apply(crate::domain::Command::Join {
                user_id: id(n),
                display_name: name.into(),
                now: DateTime::<Utc>::UNIX_EPOCH,
            })
            .unwrap();
        }
        let round = Round {
            id: id(100),
            number: 1,
            question: "q".into(),
            phase: RoundPhase::Finished,
            time_limit: 45,
            deadline: None,
            answers: vec![
                Answer {
                    id: id(12),
                    author_id: id(1),
                    content: "one".into(),
                },
                Answer {
                    id: id(11),
                    author_id: id(2),
                    content: "two".into(),
                },
                Answer {
                    id: id(13),
                    author_id: id(3),
                    content: "three".into(),
                },
            ],
            votes: vec![
                Vote {
                    voter_id: id(1),
                    answer_id: id(13),
                },
                Vote {
                    voter_id: id(2),
                    answer_id: id(13),
                },
                Vote {
                    voter_id: id(3),
                    answer_id: id(12),
                },
            ],
            players: vec![id(1), id(2), id(3)],
            hidden: vec![],
        };
        (room, round)
    }

    #[test]
    fn votes_are_counted_per_answer() {
        let (_, round) = sample();
        assert_eq!(round.vote_count(id(13)), 2);
        assert_eq!(round.vote_count(id(12)), 1);
        assert_eq!(round.vote_count(id(11)), 0);
        assert_eq!(round.vote_count(id(999)), 0);
    }

    #[test]
    fn a_players_answer_and_vote_can_be_looked_up() {
        let (_, round) = sample();
        assert_eq!(round.answer_of(id(2)).map(|a| a.id), Some(id(11)));
        assert_eq!(round.vote_of(id(3)).map(|v| v.answer_id), Some(id(12)));
        assert!(round.answer_of(id(4)).is_none());
        assert!(round.vote_of(id(4)).is_none());
    }

    #[test]
    fn results_name_the_authors_and_put_the_most_voted_first() {
        let (room, round) = sample();
        let results = round.results(&room);
        let order: Vec<(Uuid, &str, u32)> = results
            .iter()
            .map(|r| (r.answer_id, r.display_name.as_str(), r.votes))
            .collect();
        assert_eq!(
            order,
            vec![(id(13), "cy", 2), (id(12), "ann", 1), (id(11), "bob", 0)]
        );
    }

    #[test]
    fn only_someone_with_another_players_answer_can_vote() {
        let (_, mut round) = sample();
        assert!(round.can_vote(id(4)));
        round.answers.retain(|a| a.author_id == id(1));
        assert!(!round.can_vote(id(1)));
        assert!(round.can_vote(id(2)));
    }

    #[test]
    fn phases_are_ordered_as_they_happen_and_serialize_in_snake_case() {
        assert!(RoundPhase::Answering < RoundPhase::Voting);
        assert!(RoundPhase::Voting < RoundPhase::Finished);
        assert_eq!(
            serde_json::to_string(&RoundPhase::Answering).unwrap(),
            r#""answering""#
        );
    }
}
