//! Finished games as a record: who may read a game's record (its participants: the host who
//! started it and every player dealt into one of its rounds), who may export it (that host),
//! and its final ranking, by the same rule as the live leaderboard.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{DomainError, LeaderboardEntry, Participant, UserId, scoring};

/// Who took part in a game, as its record keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GameParties<'a> {
    /// The host when the game started.
    pub host_id: UserId,
    /// Everyone dealt into at least one of its rounds.
    pub players: &'a [UserId],
}

impl GameParties<'_> {
    /// A game's record is for those who were in it; anyone else is told `not_participant`.
    pub(crate) fn may_read(&self, user: UserId) -> Result<(), DomainError> {
        if self.host_id == user || self.players.contains(&user) {
            Ok(())
        } else {
            Err(DomainError::NotParticipant)
        }
    }

    /// The export (the host's report) is for the game's host only.
    pub(crate) fn may_export(&self, user: UserId) -> Result<(), DomainError> {
        self.may_read(user)?;
        if self.host_id == user {
            Ok(())
        } else {
            Err(DomainError::NotHost)
        }
    }
}

/// One player of a finished game with the points they earned in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FinalScore {
    pub user_id: UserId,
    pub display_name: String,
    pub points: u32,
    /// Kicked players are left off, as on the live leaderboard.
    pub kicked: bool,
}

/// The game's final ranking: the live leaderboard's order and shared ranks.
pub(crate) fn final_ranking(players: Vec<FinalScore>) -> Vec<LeaderboardEntry> {
    let scores: BTreeMap<UserId, u32> = players.iter().map(|p| (p.user_id, p.points)).collect();
    let participants: Vec<Participant> = players
        .into_iter()
        .map(|p| Participant {
            user_id: p.user_id,
            display_name: p.display_name,
            joined_at: DateTime::<Utc>::UNIX_EPOCH,
            active: !p.kicked,
            kicked: p.kicked,
        })
        .collect();
    scoring::leaderboard(&participants, &scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn id(n: u128) -> UserId {
        Uuid::from_u128(n)
    }

    #[test]
    fn players_and_the_host_may_read_a_game_and_only_the_host_may_export_it() {
        let players = [id(1), id(2)];
        let game = GameParties {
            host_id: id(1),
            players: &players,
        };
        assert_eq!(game.may_read(id(1)), Ok(()));
        assert_eq!(game.may_read(id(2)), Ok(()));
        assert_eq!(game.may_read(id(3)), Err(DomainError::NotParticipant));
        assert_eq!(game.may_export(id(1)), Ok(()));
        assert_eq!(game.may_export(id(2)), Err(DomainError::NotHost));
        assert_eq!(game.may_export(id(3)), Err(DomainError::NotParticipant));
        // A host who handed over mid-game and was never dealt in still owns the record.
        let game = GameParties {
            host_id: id(9),
            players: &players,
        };
        assert_eq!(game.may_export(id(9)), Ok(()));
    }

    #[test]
    fn the_final_ranking_shares_ranks_and_leaves_out_the_kicked() {
        let score = |n, name: &str, points, kicked| FinalScore {
            user_id: id(n),
            display_name: name.into(),
            points,
            kicked,
        };
        let board = final_ranking(vec![
            score(1, "ann", 3, false),
            score(2, "bob", 5, false),
            score(3, "cy", 3, false),
            score(4, "dan", 9, true),
        ]);
        let got: Vec<(UserId, u32, u32)> =
            board.iter().map(|e| (e.user_id, e.score, e.rank)).collect();
        assert_eq!(got, vec![(id(2), 5, 1), (id(1), 3, 2), (id(3), 3, 2)]);
    }
}
