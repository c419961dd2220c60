//! Property tests: any sequence of votes, changes and withdrawals keeps the counts equal to a
//! recount of the ballots; any choice accepted keeps the poll's limits; any sequence of status
//! changes by anyone keeps the lifecycle's rules.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

use super::{PollState, PollStatus, lifecycle::Transition, vote::Delta};

fn opt(n: u8) -> Uuid {
    Uuid::from_u128(100 + u128::from(n))
}

fn poll(allow_multiple: bool, max_choices: u32, options: u8) -> PollState {
    PollState {
        creator_id: Uuid::from_u128(1),
        kind: super::kind::PollKind::Choice,
        status: PollStatus::Open,
        allow_multiple,
        max_choices,
        expires_at: None,
        option_ids: (0..options).map(opt).collect(),
        has_votes: false,
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Voter n sends these option indexes (some may be foreign: index ≥ option count).
    Vote(u8, Vec<u8>),
    Withdraw(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..6, proptest::collection::vec(0u8..8, 0..5)).prop_map(|(v, c)| Op::Vote(v, c)),
        1 => (0u8..6).prop_map(Op::Withdraw),
    ]
}

proptest! {
    #[test]
    fn counts_kept_by_deltas_equal_a_recount(
        allow_multiple in any::<bool>(),
        max in 1u32..6,
        options in 2u8..6,
        ops in proptest::collection::vec(op(), 0..60),
    ) {
        let max = if allow_multiple { max.min(u32::from(options)) } else { 1 };
        let p = poll(allow_multiple, max, options);
        let now = Utc::now();
        let mut ballots: HashMap<u8, Vec<Uuid>> = HashMap::new();
        let mut counts: BTreeMap<Uuid, i64> = BTreeMap::new();
        let mut voters = 0i64;
        for op in ops {
            let (voter, new) = match op {
                Op::Vote(v, picks) => {
                    let ids: Vec<Uuid> = picks.into_iter().map(opt).collect();
                    match p.choice(&ids, now) {
                        Ok(ballot) => {
                            prop_assert!(ballot.len() <= max as usize);
                            prop_assert!(ballot.windows(2).all(|w| w[0] < w[1]));
                            prop_assert!(ballot.iter().all(|id| p.option_ids.contains(id)));
                            (v, Some(ballot))
                        }
                        Err(_) => continue,
                    }
                }
                Op::Withdraw(v) => (v, None),
            };
            let old = ballots.get(&voter).cloned();
            let d = Delta::between(old.as_deref(), new.as_deref());
            voters += d.voters;
            for (id, n) in &d.options {
                *counts.entry(*id).or_default() += n;
            }
            match new {
                Some(b) => { ballots.insert(voter, b); }
                None => { ballots.remove(&voter); }
            }
        }
        let mut recount: BTreeMap<Uuid, i64> = BTreeMap::new();
        for b in ballots.values() {
            for id in b {
                *recount.entry(*id).or_default() += 1;
            }
        }
        counts.retain(|_, n| *n != 0);
        prop_assert_eq!(counts, recount);
        prop_assert_eq!(voters, i64::try_from(ballots.len()).unwrap_or(i64::MAX));
    }

    #[test]
    fn status_changes_keep_the_lifecycle(
        ops in proptest::collection::vec((0u8..3, any::<bool>(), 0i64..4), 0..40),
        expiry in proptest::option::of(1i64..4),
    ) {
        let start: DateTime<Utc> = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut p = poll(false, 1, 2);
        p.status = PollStatus::Draft;
        p.expires_at = expiry.map(|s| start + TimeDelta::seconds(s));
        let creator = p.creator_id;
        let mut now = start;
        let mut was_published = false;
        for (which, by_creator, advance) in ops {
            now += TimeDelta::seconds(advance);
            let t = match which { 0 => Transition::Publish, 1 => Transition::Close, _ => Transition::Reopen };
            let actor = if by_creator { creator } else { Uuid::from_u128(2) };
            let before = p.status;
            match p.transition(actor, t, now) {
                Ok(next) => {
                    prop_assert!(by_creator, "only the creator changes the status");
                    prop_assert!(next != PollStatus::Draft, "nothing goes back to draft");
                    prop_assert!(!(next == PollStatus::Open && p.expired(now)), "an expired poll never opens");
                    p.status = next;
                    was_published |= next == PollStatus::Open;
                }
                Err(_) => prop_assert_eq!(p.status, before),
            }
            if was_published {
                prop_assert!(p.status != PollStatus::Draft);
            }
            // Votes are taken exactly when the poll is open and not expired.
            prop_assert_eq!(
                p.ensure_votable(now).is_ok(),
                p.status == PollStatus::Open && !p.expired(now)
            );
        }
    }
}
