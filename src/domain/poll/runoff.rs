//! The instant runoff of a ranked poll, as a pure function of its ballots: every transport
//! (the results read, `poll_results`, the plain WebSocket, the poll body) shows the same
//! rounds because they all call this one function.
//!
//! The rules (the README states them):
//! - Each round, a ballot counts for its highest-ranked option still in the running; a ballot
//!   with none left is exhausted and counts for no one from then on.
//! - An option with more than half of the round's counted (not exhausted) ballots wins.
//! - Otherwise options are eliminated: every option with no votes at all, if some option has
//!   votes (eliminating them together changes no count, it only saves rounds); else the one
//!   option with the fewest votes. A tie for fewest goes to the option with fewer votes in the
//!   latest earlier round where the tied options differ; if they never differed, the option
//!   later in the poll's order is eliminated.
//! - No ballots: no winner (one round of zeros).
//!
//! One option is eliminated per round (or all zero-vote ones together), so with at least one
//! ballot there is always a winner: at worst the last option left holds every counted ballot.

use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// One option's count in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct RunoffTally {
    pub option_id: Uuid,
    pub votes: u64,
    /// Votes this option gained from the options eliminated in the previous round (0 in the
    /// first round): where the eliminated options' votes went.
    pub transferred: u64,
}

/// One round of the runoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct RunoffRound {
    /// The options still in the running, in the poll's order.
    pub tallies: Vec<RunoffTally>,
    /// Ballots that rank none of the options still in the running.
    pub exhausted: u64,
    /// The options eliminated at the end of this round (empty in the last round).
    pub eliminated: Vec<Uuid>,
}

/// The whole runoff: its rounds, and the winner (`None` only without ballots).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct Runoff {
    pub rounds: Vec<RunoffRound>,
    pub winner: Option<Uuid>,
}

/// Runs the instant runoff over `ballots` (each an ordering of option ids, most preferred
/// first, with how many voters cast exactly it) for a poll whose options are `options` in
/// position order. Ids on a ballot that are not among `options` are skipped.
pub(crate) fn runoff(options: &[Uuid], ballots: &[(Vec<Uuid>, u64)]) -> Runoff {
    let mut continuing: Vec<Uuid> = options.to_vec();
    let mut rounds: Vec<RunoffRound> = Vec::new();
    // Every earlier round's votes per option, for the tie rule.
    let mut history: Vec<HashMap<Uuid, u64>> = Vec::new();
    loop {
        let mut votes: HashMap<Uuid, u64> = continuing.iter().map(|o| (*o, 0)).collect();
        let mut exhausted = 0u64;
        for (ballot, weight) in ballots {
            match ballot.iter().find(|o| votes.contains_key(o)) {
                Some(top) => *votes.entry(*top).or_default() += weight,
                None => exhausted += weight,
            }
        }
        let previous = history.last();
        let tallies: Vec<RunoffTally> = continuing
            .iter()
            .map(|o| {
                let v = votes.get(o).copied().unwrap_or(0);
                RunoffTally {
                    option_id: *o,
                    votes: v,
                    transferred: previous
                        .and_then(|p| p.get(o))
                        .map_or(0, |before| v.saturating_sub(*before)),
                }
            })
            .collect();
        let counted: u64 = tallies.iter().map(|t| t.votes).sum();
        let majority = tallies
            .iter()
            .find(|t| t.votes.saturating_mul(2) > counted)
            .map(|t| t.option_id);
        if counted == 0 || majority.is_some() || continuing.len() <= 1 {
            rounds.push(RunoffRound {
                tallies,
                exhausted,
                eliminated: Vec::new(),
            });
            return Runoff {
                rounds,
                winner: majority,
            };
        }
        let zeros: Vec<Uuid> = tallies
            .iter()
            .filter(|t| t.votes == 0)
            .map(|t| t.option_id)
            .collect();
        let eliminated = if zeros.is_empty() {
            vec![loser(&continuing, &votes, &history)]
        } else {
            zeros
        };
        continuing.retain(|o| !eliminated.contains(o));
        rounds.push(RunoffRound {
            tallies,
            exhausted,
            eliminated,
        });
        history.push(votes);
    }
}

/// The option to eliminate: the fewest votes now; a tie goes back through earlier rounds
/// (latest first) to the first where the tied options differ; then the later position loses.
fn loser(continuing: &[Uuid], now: &HashMap<Uuid, u64>, history: &[HashMap<Uuid, u64>]) -> Uuid {
    let rounds = || std::iter::once(now).chain(history.iter().rev());
    let key = |o: &Uuid| -> Vec<u64> { rounds().map(|r| r.get(o).copied().unwrap_or(0)).collect() };
    // `continuing` is in position order: among equal keys `min_by` keeps the first, so walk it
    // backwards to keep the latest position.
    continuing
        .iter()
        .rev()
        .min_by(|a, b| key(a).cmp(&key(b)))
        .copied()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn b(ids: &[u128], n: u64) -> (Vec<Uuid>, u64) {
        (ids.iter().map(|i| o(*i)).collect(), n)
    }

    fn votes(r: &RunoffRound) -> Vec<(Uuid, u64)> {
        r.tallies.iter().map(|t| (t.option_id, t.votes)).collect()
    }

    #[test]
    fn three_rounds_with_transfers_and_an_exhausted_ballot() {
        let opts = [o(1), o(2), o(3), o(4)];
        let ballots = [
            b(&[1], 4),
            b(&[2, 1], 3),
            b(&[3, 2], 2),
            b(&[4, 3], 1),
            b(&[4], 1),
        ];
        let r = runoff(&opts, &ballots);
        assert_eq!(r.rounds.len(), 3, "{r:?}");
        // RunoffRound 1: 4,3,2,2 of 11: option 4 and 3 tie at 2; 3 had no earlier round, so the
        // later position (4) goes.
        assert_eq!(
            votes(&r.rounds[0]),
            vec![(o(1), 4), (o(2), 3), (o(3), 2), (o(4), 2)]
        );
        assert_eq!(r.rounds[0].eliminated, vec![o(4)]);
        // RunoffRound 2: 4's ballots: one goes to 3, one is exhausted.
        assert_eq!(votes(&r.rounds[1]), vec![(o(1), 4), (o(2), 3), (o(3), 3)]);
        assert_eq!(r.rounds[1].exhausted, 1);
        assert_eq!(r.rounds[1].tallies[2].transferred, 1);
        // 2 and 3 tie at 3; in round 1 option 3 had fewer (2 < 3): 3 goes.
        assert_eq!(r.rounds[1].eliminated, vec![o(3)]);
        // RunoffRound 3: 3's three ballots: two go to 2, one is exhausted; 2 has 5 of 9 counted.
        assert_eq!(votes(&r.rounds[2]), vec![(o(1), 4), (o(2), 5)]);
        assert_eq!(r.rounds[2].tallies[1].transferred, 2);
        assert_eq!(r.rounds[2].exhausted, 2);
        assert!(r.rounds[2].eliminated.is_empty());
        assert_eq!(r.winner, Some(o(2)));
    }

    #[test]
    fn a_first_round_majority_wins_at_once() {
        let r = runoff(&[o(1), o(2)], &[b(&[2], 2), b(&[1, 2], 1)]);
        assert_eq!(r.rounds.len(), 1);
        assert_eq!(r.winner, Some(o(2)));
    }

    #[test]
    fn no_ballots_no_winner_and_options_without_votes_go_together() {
        let r = runoff(&[o(1), o(2)], &[]);
        assert_eq!(r.winner, None);
        assert_eq!(r.rounds.len(), 1);
        assert_eq!(votes(&r.rounds[0]), vec![(o(1), 0), (o(2), 0)]);

        let r = runoff(
            &[o(1), o(2), o(3), o(4), o(5)],
            &[b(&[1], 2), b(&[2], 2), b(&[3, 1], 1)],
        );
        assert_eq!(r.rounds[0].eliminated, vec![o(4), o(5)]);
        assert_eq!(r.rounds[1].eliminated, vec![o(3)]);
        assert_eq!(r.winner, Some(o(1)));
    }

    #[test]
    fn a_complete_tie_keeps_the_earlier_option() {
        let r = runoff(&[o(1), o(2)], &[b(&[2], 1), b(&[1], 1)]);
        assert_eq!(r.rounds[0].eliminated, vec![o(2)]);
        assert_eq!(r.winner, Some(o(1)));
    }

    #[test]
    fn foreign_ids_on_a_ballot_are_skipped() {
        let r = runoff(&[o(1), o(2)], &[b(&[9, 2], 1)]);
        assert_eq!(r.winner, Some(o(2)));
    }
}
