//! What a vote may choose, and how replacing a voter's ballot moves the counts: the old
//! choice's options lose one each, the new one's gain one each, and the voter count changes
//! only when a ballot appears or disappears. Counts are kept as sums of such deltas (see
//! `store::poll_cache`), so a change is never counted twice or lost. And who a voter is
//! (`Voter`): an account, or an anonymous voter id.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use uuid::Uuid;

use super::{PollError, PollState, PollStatus, kind::PollKind};

/// Who votes: the account, and the key their ballot is filed under (the account id, or for an
/// anonymous voter the id of their signed `voter_id` cookie, `auth::voter`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Voter {
    pub user: Option<Uuid>,
    pub key: Uuid,
}

impl Voter {
    pub(crate) fn user(id: Uuid) -> Voter {
        Voter {
            user: Some(id),
            key: id,
        }
    }

    /// An anonymous voter (only on polls with `allow_anonymous`). Their ballot sits in the same
    /// table under their voter id, with no account: one vote per voter id per poll, replaced
    /// like anyone's, and counted like anyone's (the counts never ask who voted).
    pub(crate) fn anonymous(voter_id: Uuid) -> Voter {
        Voter {
            user: None,
            key: voter_id,
        }
    }
}

impl PollState {
    /// Whether votes are taken at `now` (open, and not past its expiry even if no timer has
    /// closed it yet).
    pub(crate) fn ensure_votable(&self, now: DateTime<Utc>) -> Result<(), PollError> {
        if self.status_at(now) == PollStatus::Open {
            Ok(())
        } else {
            Err(PollError::PollClosed)
        }
    }

    /// The ballot `option_ids` makes. A choice poll's is in a canonical order (sorted), so that
    /// the same choice sent again is recognised as no change; a ranked poll's is the ranking as
    /// sent, most preferred first (1 to all of the options, each once; `allow_multiple` and
    /// `max_choices` do not apply to ranked polls).
    pub(crate) fn choice(
        &self,
        option_ids: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, PollError> {
        if self.kind == PollKind::Text {
            // A text poll's ballots are answers: refused whatever its status, saying so.
            self.ensure_kind(PollKind::Choice)?;
        }
        self.ensure_votable(now)?;
        if option_ids.is_empty() {
            return Err(PollError::validation(
                "option_ids",
                "choose at least one option",
            ));
        }
        let mut ballot = option_ids.to_vec();
        ballot.sort_unstable();
        ballot.dedup();
        if ballot.len() != option_ids.len() {
            return Err(PollError::validation(
                "option_ids",
                "an option may be chosen once",
            ));
        }
        if let Some(_foreign) = ballot.iter().find(|id| !self.option_ids.contains(id)) {
            return Err(PollError::OptionNotFound);
        }
        if self.kind == PollKind::Ranked {
            return Ok(option_ids.to_vec());
        }
        let limit = if self.allow_multiple {
            self.max_choices
        } else {
            1
        };
        if ballot.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
            return Err(PollError::TooManyChoices(limit));
        }
        Ok(ballot)
    }
}

/// How one ballot change moves a poll's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Delta {
    /// +1 a new voter, -1 a withdrawn ballot, 0 a change (or nothing).
    pub voters: i64,
    /// Per option, the change of its count; options that did not move are left out.
    pub options: BTreeMap<Uuid, i64>,
}

impl Delta {
    /// The change from ballot `old` to ballot `new` (`None`: no ballot).
    pub(crate) fn between(old: Option<&[Uuid]>, new: Option<&[Uuid]>) -> Delta {
        let mut options: BTreeMap<Uuid, i64> = BTreeMap::new();
        for id in old.unwrap_or_default() {
            *options.entry(*id).or_default() -= 1;
        }
        for id in new.unwrap_or_default() {
            *options.entry(*id).or_default() += 1;
        }
        options.retain(|_, d| *d != 0);
        let voters = i64::from(new.is_some()) - i64::from(old.is_some());
        Delta { voters, options }
    }

    /// The change of counts a poll of `kind` shows: a ranked poll counts first choices only
    /// (its `votes` per option are first preferences; the runoff reads the whole ballots).
    pub(crate) fn of_kind(kind: PollKind, old: Option<&[Uuid]>, new: Option<&[Uuid]>) -> Delta {
        match kind {
            PollKind::Ranked => Delta::between(old.map(first), new.map(first)),
            _ => Delta::between(old, new),
        }
    }

    /// Adds `other` to this change: the change of a group of ballots written together.
    pub(crate) fn add(&mut self, other: &Delta) {
        self.voters += other.voters;
        for (id, d) in &other.options {
            *self.options.entry(*id).or_default() += *d;
        }
        self.options.retain(|_, d| *d != 0);
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.voters == 0 && self.options.is_empty()
    }
}

/// A ranking's first choice, as a ballot of one (empty for an empty ranking).
fn first(ranking: &[Uuid]) -> &[Uuid] {
    &ranking[..ranking.len().min(1)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn poll(allow_multiple: bool, max_choices: u32) -> PollState {
        PollState {
            creator_id: Uuid::from_u128(1),
            kind: PollKind::Choice,
            status: PollStatus::Open,
            allow_multiple,
            max_choices,
            expires_at: None,
            option_ids: (10..14).map(Uuid::from_u128).collect(),
            has_votes: false,
        }
    }

    fn o(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn a_group_of_changes_adds_up_to_the_change_from_first_to_last() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        // One voter: none → a → b → c, written in one group; another: a withdrawn.
        let mut sum = Delta::default();
        sum.add(&Delta::between(None, Some(&[a])));
        sum.add(&Delta::between(Some(&[a]), Some(&[b])));
        sum.add(&Delta::between(Some(&[b]), Some(&[c])));
        assert_eq!(sum, Delta::between(None, Some(&[c])));
        sum.add(&Delta::between(Some(&[a]), None));
        assert_eq!(sum.voters, 0);
        assert_eq!(sum.options.get(&a), Some(&-1));
        assert_eq!(sum.options.get(&c), Some(&1));
        assert!(
            !sum.options.contains_key(&b),
            "options that net out are left out"
        );
    }

    #[test]
    fn a_choice_is_checked_and_canonical() {
        let now = Utc::now();
        let p = poll(true, 2);
        assert_eq!(p.choice(&[o(12), o(10)], now), Ok(vec![o(10), o(12)]));
        assert_eq!(
            p.choice(&[o(10), o(11), o(12)], now),
            Err(PollError::TooManyChoices(2))
        );
        assert_eq!(p.choice(&[o(99)], now), Err(PollError::OptionNotFound));
        assert!(matches!(
            p.choice(&[], now),
            Err(PollError::Validation {
                field: "option_ids",
                ..
            })
        ));
        assert!(matches!(
            p.choice(&[o(10), o(10)], now),
            Err(PollError::Validation {
                field: "option_ids",
                ..
            })
        ));
        assert_eq!(
            poll(false, 1).choice(&[o(10), o(11)], now),
            Err(PollError::TooManyChoices(1))
        );
    }

    #[test]
    fn a_ranking_keeps_its_order_and_is_checked() {
        let now = Utc::now();
        let mut p = poll(false, 1);
        p.kind = PollKind::Ranked;
        assert_eq!(
            p.choice(&[o(12), o(10), o(13)], now),
            Ok(vec![o(12), o(10), o(13)])
        );
        assert_eq!(p.choice(&[o(13)], now), Ok(vec![o(13)]));
        assert_eq!(
            p.choice(&[o(12), o(99)], now),
            Err(PollError::OptionNotFound)
        );
        for bad in [vec![], vec![o(10), o(11), o(10)]] {
            assert!(matches!(
                p.choice(&bad, now),
                Err(PollError::Validation {
                    field: "option_ids",
                    ..
                })
            ));
        }
    }

    #[test]
    fn a_ranked_poll_counts_first_choices() {
        let d = Delta::of_kind(
            PollKind::Ranked,
            Some(&[o(10), o(11)]),
            Some(&[o(10), o(12)]),
        );
        assert!(d.is_empty());
        let d = Delta::of_kind(
            PollKind::Ranked,
            Some(&[o(10), o(11)]),
            Some(&[o(11), o(10)]),
        );
        assert_eq!(d.options, BTreeMap::from([(o(10), -1), (o(11), 1)]));
        let d = Delta::of_kind(PollKind::Ranked, None, Some(&[o(11), o(10)]));
        assert_eq!((d.voters, d.options), (1, BTreeMap::from([(o(11), 1)])));
    }

    #[test]
    fn closed_draft_and_expired_polls_refuse_votes() {
        let now = Utc::now();
        for status in [PollStatus::Draft, PollStatus::Closed] {
            let mut p = poll(false, 1);
            p.status = status;
            assert_eq!(p.choice(&[o(10)], now), Err(PollError::PollClosed));
        }
        let mut p = poll(false, 1);
        p.expires_at = Some(now - TimeDelta::milliseconds(1));
        assert_eq!(p.choice(&[o(10)], now), Err(PollError::PollClosed));
    }

    #[test]
    fn a_change_of_vote_moves_one_count_from_old_to_new() {
        let d = Delta::between(Some(&[o(10)]), Some(&[o(11)]));
        assert_eq!(d.voters, 0);
        assert_eq!(d.options, BTreeMap::from([(o(10), -1), (o(11), 1)]));
        assert!(Delta::between(Some(&[o(10)]), Some(&[o(10)])).is_empty());
        let first = Delta::between(None, Some(&[o(10), o(11)]));
        assert_eq!(first.voters, 1);
        assert_eq!(first.options, BTreeMap::from([(o(10), 1), (o(11), 1)]));
        let gone = Delta::between(Some(&[o(10)]), None);
        assert_eq!(gone.voters, -1);
        assert_eq!(gone.options, BTreeMap::from([(o(10), -1)]));
    }
}
