//! How votes become points and points become a ranked leaderboard, kept apart from the phase
//! machinery so the arithmetic is tested on its own.

use std::collections::BTreeMap;

use super::{LeaderboardEntry, Participant, Round, UserId};

/// Points each author earned in `round`: one per vote their answer received, zero included so
/// the caller can record every author. In submission order.
pub(crate) fn round_points(round: &Round) -> Vec<(UserId, u32)> {
    round
        .answers
        .iter()
        .map(|a| (a.author_id, round.vote_count(a.id)))
        .collect()
}

/// Everyone in the current game except the kicked: whoever is in the room, and whoever left
/// it during this game (they have a score; a `play_again` starts the scores afresh with only
/// those present, so people gone before it drop off). Highest score first, then by display
/// name and id so the order never depends on storage order. Ranks follow competition ranking:
/// equal scores share a rank and the next rank skips (5, 5, 3 → 1, 1, 3).
pub(crate) fn leaderboard(
    participants: &[Participant],
    scores: &BTreeMap<UserId, u32>,
) -> Vec<LeaderboardEntry> {
    let mut entries: Vec<LeaderboardEntry> = participants
        .iter()
        .filter(|p| !p.kicked && (p.active || scores.contains_key(&p.user_id)))
        .map(|p| LeaderboardEntry {
            user_id: p.user_id,
            display_name: p.display_name.clone(),
            score: scores.get(&p.user_id).copied().unwrap_or(0),
            rank: 0,
        })
        .collect();
    entries.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.display_name.cmp(&b.display_name))
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
    let mut previous: Option<(u32, u32)> = None; // (score, rank) of the entry above
    for (position, entry) in (1u32..).zip(entries.iter_mut()) {
        entry.rank = match previous {
            Some((score, rank)) if score == entry.score => rank,
            _ => position,
        };
        previous = Some((entry.score, entry.rank));
    }
    entries
}

/// A room's scores rebuilt from its record, for when the live room is lost: who is on the
/// current game's board as the live room keeps them, and their points. On it: everyone not
/// kicked, on the first game everyone who ever joined (joining puts one on it), on a later one
/// those present (a `play_again` starts from those present when it began); everyone `dealt` into
/// one of the game's rounds; and everyone with `points` in it, those points theirs.
pub(crate) fn rebuilt_board(
    participants: &[Participant],
    game_number: u32,
    dealt: impl IntoIterator<Item = UserId>,
    points: impl IntoIterator<Item = (UserId, u32)>,
) -> BTreeMap<UserId, u32> {
    let mut board: BTreeMap<UserId, u32> = participants
        .iter()
        .filter(|p| !p.kicked && (game_number == 1 || p.active))
        .map(|p| (p.user_id, 0))
        .collect();
    for user in dealt {
        board.insert(user, 0);
    }
    board.extend(points);
    board
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Answer, RoundPhase, Vote};
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    fn person(n: u128, name: &str, kicked: bool) -> Participant {
        Participant {
            user_id: Uuid::from_u128(n),
            display_name: name.into(),
            joined_at: DateTime::<Utc>::UNIX_EPOCH,
            active: !kicked,
            kicked,
        }
    }

    fn scores(list: &[(u128, u32)]) -> BTreeMap<UserId, u32> {
        list.iter().map(|&(n, s)| (Uuid::from_u128(n), s)).collect()
    }

    #[test]
    fn a_rebuilt_board_keeps_whom_the_live_room_keeps() {
        let id = Uuid::from_u128;
        let mut gone = person(2, "bob", false);
        gone.active = false;
        let people = [person(1, "ann", false), gone, person(3, "cy", true)];
        // The first game: everyone who joined and was not kicked, at zero.
        assert_eq!(rebuilt_board(&people, 1, [], []), scores(&[(1, 0), (2, 0)]));
        // A later game: those present, those dealt in (a kicked player dealt in before the
        // kick too), and the points earned.
        assert_eq!(rebuilt_board(&people, 2, [], []), scores(&[(1, 0)]));
        assert_eq!(
            rebuilt_board(&people, 2, [id(3)], [(id(1), 4), (id(9), 2)]),
            scores(&[(1, 4), (3, 0), (9, 2)])
        );
        // Points win over a dealt player's zero, whatever the order.
        assert_eq!(
            rebuilt_board(&people, 2, [id(1)], [(id(1), 7)]),
            scores(&[(1, 7)])
        );
    }

    #[test]
    fn equal_scores_share_a_rank_and_the_next_rank_skips() {
        let people = [
            person(1, "ann", false),
            person(2, "bob", false),
            person(3, "cy", false),
        ];
        let board = leaderboard(&people, &scores(&[(1, 5), (2, 5), (3, 3)]));
        let ranks: Vec<u32> = board.iter().map(|e| e.rank).collect();
        assert_eq!(ranks, vec![1, 1, 3]);
    }

    #[test]
    fn the_leaderboard_orders_by_score_then_name_then_id() {
        let people = [
            person(4, "zed", false),
            person(3, "amy", false),
            person(2, "amy", false),
            person(1, "bea", false),
        ];
        let board = leaderboard(&people, &scores(&[(4, 9)]));
        let order: Vec<u128> = board.iter().map(|e| e.user_id.as_u128()).collect();
        assert_eq!(order, vec![4, 2, 3, 1]);
        assert_eq!(board[1].rank, 2);
        assert_eq!(board[3].rank, 2);
    }

    #[test]
    fn kicked_participants_are_left_off_the_leaderboard_but_leavers_stay() {
        let mut left = person(2, "left", false);
        left.active = false;
        let people = [person(1, "kicked", true), left];
        let board = leaderboard(&people, &scores(&[(1, 10), (2, 1)]));
        assert_eq!(board.len(), 1);
        assert_eq!(board[0].user_id, Uuid::from_u128(2));
        assert_eq!(board[0].rank, 1);
    }

    #[test]
    fn each_author_earns_one_point_per_vote_and_zero_points_are_listed() {
        let (a1, a2) = (Uuid::from_u128(11), Uuid::from_u128(12));
        let round = Round {
            id: Uuid::from_u128(100),
            number: 1,
            question: "q".into(),
            phase: RoundPhase::Voting,
            time_limit: 45,
            deadline: None,
            answers: vec![
                Answer {
                    id: a1,
                    author_id: Uuid::from_u128(1),
                    content: "x".into(),
                },
                Answer {
                    id: a2,
                    author_id: Uuid::from_u128(2),
                    content: "y".into(),
                },
            ],
            votes: vec![
                Vote {
                    voter_id: Uuid::from_u128(2),
                    answer_id: a1,
                },
                Vote {
                    voter_id: Uuid::from_u128(3),
                    answer_id: a1,
                },
            ],
            players: vec![],
            hidden: vec![],
        };
        assert_eq!(
            round_points(&round),
            vec![(Uuid::from_u128(1), 2), (Uuid::from_u128(2), 0)]
        );
    }
}
