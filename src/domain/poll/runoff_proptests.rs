//! Property tests of the instant runoff (`runoff`), with properties that hold for instant
//! runoff as such (it is not monotonic, so "ranking the winner higher never hurts" is left
//! out on purpose):
//! - an option ranked first by more than half of the ballots wins;
//! - removing a ballot that ranks a losing option first never makes it win (while that option
//!   runs, the ballot only adds to it, so without it every round is the same except that
//!   option has one vote fewer: it is eliminated no later and reaches a majority no sooner);
//! - every round accounts for every ballot (tallies plus exhausted), and the winner holds a
//!   majority of the last round;
//! - the order in which ballots arrive changes nothing.

use proptest::prelude::*;
use uuid::Uuid;

use super::runoff::runoff;

fn opt(n: u8) -> Uuid {
    Uuid::from_u128(500 + u128::from(n))
}

/// A poll of 2..=6 options and up to 40 ballots, each a distinct ordering of 1..=n of them.
fn profile() -> impl Strategy<Value = (Vec<Uuid>, Vec<Vec<Uuid>>)> {
    (2u8..=6).prop_flat_map(|n| {
        let ballot = Just((0..n).collect::<Vec<u8>>())
            .prop_shuffle()
            .prop_flat_map(move |order| {
                (1..=order.len()).prop_map(move |k| order[..k].iter().map(|i| opt(*i)).collect())
            });
        (
            Just((0..n).map(opt).collect::<Vec<Uuid>>()),
            proptest::collection::vec(ballot, 0..40),
        )
    })
}

fn weighted(ballots: &[Vec<Uuid>]) -> Vec<(Vec<Uuid>, u64)> {
    ballots.iter().map(|b| (b.clone(), 1)).collect()
}

proptest! {
    #[test]
    fn a_majority_first_choice_always_wins((options, ballots) in profile()) {
        let r = runoff(&options, &weighted(&ballots));
        for o in &options {
            let first = ballots.iter().filter(|b| b.first() == Some(o)).count();
            if first * 2 > ballots.len() {
                prop_assert_eq!(r.winner, Some(*o));
                prop_assert_eq!(r.rounds.len(), 1);
            }
        }
    }

    #[test]
    fn removing_a_ballot_for_a_loser_never_makes_it_win(
        (options, ballots) in profile(),
        pick in any::<prop::sample::Index>(),
    ) {
        let r = runoff(&options, &weighted(&ballots));
        let losers: Vec<usize> = ballots
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.is_empty() && b.first() != r.winner.as_ref())
            .map(|(i, _)| i)
            .collect();
        if !losers.is_empty() {
            let i = losers[pick.index(losers.len())];
            let loser = ballots[i][0];
            let mut fewer = ballots.clone();
            fewer.remove(i);
            prop_assert_ne!(runoff(&options, &weighted(&fewer)).winner, Some(loser));
        }
    }

    #[test]
    fn every_round_accounts_for_every_ballot((options, ballots) in profile()) {
        let r = runoff(&options, &weighted(&ballots));
        let total = ballots.len() as u64;
        for round in &r.rounds {
            let counted: u64 = round.tallies.iter().map(|t| t.votes).sum();
            prop_assert_eq!(counted + round.exhausted, total);
        }
        prop_assert_eq!(r.winner.is_some(), !ballots.is_empty());
        if let (Some(w), Some(last)) = (r.winner, r.rounds.last()) {
            let counted: u64 = last.tallies.iter().map(|t| t.votes).sum();
            let won = last.tallies.iter().find(|t| t.option_id == w).map_or(0, |t| t.votes);
            prop_assert!(won * 2 > counted);
            prop_assert!(last.eliminated.is_empty());
        }
    }

    #[test]
    fn the_order_of_ballots_changes_nothing(
        (options, ballots) in profile(),
        seed in any::<u64>(),
    ) {
        let mut shuffled = ballots.clone();
        // A deterministic rotation and reversal stand in for a shuffle.
        if !shuffled.is_empty() {
            let k = usize::try_from(seed % shuffled.len() as u64).unwrap_or(0);
            shuffled.rotate_left(k);
            shuffled.reverse();
        }
        prop_assert_eq!(
            runoff(&options, &weighted(&ballots)),
            runoff(&options, &weighted(&shuffled))
        );
    }
}
