//! Bringing Postgres up to the live state. A room's actions are swapped into Redis before
//! their rows are committed, so a process that dies between the two leaves live state that
//! Postgres lacks (a round, an answer), and the next action whose rows refer to it would fail
//! a foreign key. A node that starts a room's worker checks the live round against Postgres,
//! and a foreign-key failure is caught too; either way the live room's own rows are written
//! (every write is idempotent): what was live stays, and no client sees an error.
//! Every kind of live row belongs here (games, audience, hidden answers included).

use super::writes::Write;
use crate::domain::{Room, RoundPhase, game::scoring};

/// Whether a write failed because a row it refers to is missing (SQLSTATE 23503).
pub(crate) fn missing_reference(e: &super::DbError) -> bool {
    match e {
        super::DbError::Other(e) => e
            .as_database_error()
            .is_some_and(|d| d.is_foreign_key_violation()),
        _ => false,
    }
}

/// Whether Postgres has the live room's current round with all its answers and votes (the
/// rows a crash between swap and commit would leave missing).
pub(crate) async fn is_recorded(pool: &sqlx::PgPool, room: &Room) -> Result<bool, super::DbError> {
    let Some(round) = &room.round else {
        return Ok(true);
    };
    let (exists, answers, votes): (bool, i64, i64) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM rounds WHERE id = $1),
                (SELECT count(*) FROM answers WHERE round_id = $1),
                (SELECT count(*) FROM votes WHERE round_id = $1)",
    )
    .bind(round.id)
    .fetch_one(pool)
    .await?;
    let live = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(exists && answers >= live(round.answers.len()) && votes >= live(round.votes.len()))
}

/// The rows that record `room` as it is live: its participants (leavers as left), host and
/// status, and its current round with its answers, votes and, once finished, its points.
pub(crate) fn rows_of(room: &Room) -> Vec<Write> {
    let mut out = Vec::new();
    for p in &room.participants {
        out.push(Write::Participant {
            room_id: room.id,
            user_id: p.user_id,
            display_name: p.display_name.clone(),
            joined_at: Some(p.joined_at),
        });
        if !p.active {
            out.push(Write::Left {
                room_id: room.id,
                user_id: p.user_id,
                kicked: p.kicked,
            });
        }
    }
    out.push(Write::Host {
        room_id: room.id,
        host_id: room.host_id,
    });
    out.push(Write::Status {
        room_id: room.id,
        status: room.status,
        closed: room.closed,
    });
    for user_id in &room.audience {
        out.push(Write::AudienceJoined {
            room_id: room.id,
            user_id: *user_id,
        });
    }
    // The game row before its rounds (a crash may also have lost the first round's group,
    // which carries it).
    if let Some(game_id) = room.game_id {
        out.push(Write::Game {
            game_id,
            room_id: room.id,
            number: room.game_number,
            host_id: room.host_id,
            settings: Box::new(room.settings.clone()),
        });
    }
    let Some(round) = &room.round else {
        return out;
    };
    let mut bare = round.clone();
    bare.answers.clear();
    bare.votes.clear();
    out.push(Write::Round {
        room_id: room.id,
        game_id: room.game_id,
        round: Box::new(bare),
    });
    for a in &round.answers {
        out.push(Write::Answer {
            round_id: round.id,
            answer_id: a.id,
            author: a.author_id,
            content: a.content.clone(),
        });
    }
    if round.phase == RoundPhase::Voting
        && let Some(deadline) = round.deadline
    {
        out.push(Write::VotingStarted {
            round_id: round.id,
            time_limit: round.time_limit,
            deadline,
        });
    }
    for v in &round.votes {
        out.push(Write::Vote {
            round_id: round.id,
            voter: v.voter_id,
            answer_id: v.answer_id,
        });
    }
    for answer_id in &round.hidden {
        out.push(Write::AnswerHidden {
            answer_id: *answer_id,
        });
    }
    if room.audience_ballot.round_id == Some(round.id) {
        for v in &room.audience_ballot.votes {
            out.push(Write::AudienceVote {
                round_id: round.id,
                voter: v.voter_id,
                answer_id: v.answer_id,
            });
        }
    }
    if round.phase == RoundPhase::Finished {
        out.push(Write::RoundFinished {
            room_id: room.id,
            round_id: round.id,
            points: scoring::round_points(round),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Command, Settings};
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn a_live_round_is_written_with_every_answer_and_vote_it_holds() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut room = Room::new(
            id(9),
            "ABCDEF".into(),
            id(1),
            "h".into(),
            Settings::default(),
            now,
        );
        for n in [2, 3] {
            room.apply(Command::Join {
                user_id: id(n),
                display_name: format!("p{n}"),
                now,
            })
            .unwrap();
        }
        room.apply(Command::StartGame {
            by: id(1),
            round_id: id(100),
            question: "q".into(),
            now,
        })
        .unwrap();
        for n in [1, 2, 3] {
            room.apply(Command::SubmitAnswer {
                by: id(n),
                round_id: id(100),
                answer_id: id(10 + n),
                content: "a".into(),
                now,
            })
            .unwrap();
        }
        room.apply(Command::Vote {
            by: id(1),
            round_id: id(100),
            answer_id: id(12),
            now,
        })
        .unwrap();
        let rows = rows_of(&room);
        let count = |f: fn(&Write) -> bool| rows.iter().filter(|w| f(w)).count();
        assert_eq!(count(|w| matches!(w, Write::Participant { .. })), 3);
        assert_eq!(
            count(|w| matches!(w, Write::Round { round, .. } if round.answers.is_empty())),
            1
        );
        assert_eq!(count(|w| matches!(w, Write::Answer { .. })), 3);
        assert_eq!(count(|w| matches!(w, Write::VotingStarted { .. })), 1);
        assert_eq!(count(|w| matches!(w, Write::Vote { .. })), 1);
        assert_eq!(count(|w| matches!(w, Write::RoundFinished { .. })), 0);
    }
}
