//! Rounds, answers, votes and scores in Postgres: the round events of the domain written as
//! rows. Every insert is keyed so that a retried write is a no-op, never a second row.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::DbError;
use crate::domain::{Round, UserId};

/// Records a round that just started (answering).
pub async fn insert_round(
    conn: &mut PgConnection,
    room_id: Uuid,
    round: &Round,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO rounds (id, room_id, round_number, question, status, time_limit, deadline, players) \
         VALUES ($1, $2, $3, $4, 'answering', $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(round.id)
    .bind(room_id)
    .bind(to_i32(round.number))
    .bind(&round.question)
    .bind(to_i32(round.time_limit))
    .bind(round.deadline)
    .bind(&round.players)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn start_voting(
    conn: &mut PgConnection,
    round_id: Uuid,
    time_limit: u32,
    deadline: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE rounds SET status = 'voting', time_limit = $2, deadline = $3 WHERE id = $1",
    )
    .bind(round_id)
    .bind(to_i32(time_limit))
    .bind(deadline)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_answer(
    conn: &mut PgConnection,
    round_id: Uuid,
    answer_id: Uuid,
    author: UserId,
    content: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO answers (id, round_id, user_id, content) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(answer_id)
    .bind(round_id)
    .bind(author)
    .bind(content)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_vote(
    conn: &mut PgConnection,
    round_id: Uuid,
    voter: UserId,
    answer_id: Uuid,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO votes (id, round_id, voter_id, answer_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (round_id, voter_id) DO NOTHING",
    )
    .bind(Uuid::new_v4())
    .bind(round_id)
    .bind(voter)
    .bind(answer_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn finish_round(
    conn: &mut PgConnection,
    room_id: Uuid,
    round_id: Uuid,
    points: &[(UserId, u32)],
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE rounds SET status = 'finished', deadline = NULL, ended_at = COALESCE(ended_at, now()) \
         WHERE id = $1",
    )
    .bind(round_id)
    .execute(&mut *conn)
    .await?;
    for (user, pts) in points {
        sqlx::query(
            "INSERT INTO scores (room_id, round_id, user_id, points) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (round_id, user_id) DO NOTHING",
        )
        .bind(room_id)
        .bind(round_id)
        .bind(user)
        .bind(to_i32(*pts))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Domain counts are small (rounds ≤ 20, seconds ≤ 600, votes ≤ players); saturate rather
/// than fail on the impossible overflow.
fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// The room code a round belongs to, for the REST routes that name only the round.
pub async fn room_code_of(pool: &sqlx::PgPool, round_id: Uuid) -> Result<Option<String>, DbError> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT r.code FROM rounds x JOIN rooms r ON r.id = x.room_id WHERE x.id = $1",
    )
    .bind(round_id)
    .fetch_optional(pool)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerResultRow {
    pub id: Uuid,
    pub content: String,
    pub author_id: Uuid,
    pub display_name: String,
    pub votes: i64,
}

/// A finished round's answers with authors and votes, most votes first (for rounds that are
/// no longer the room's current one, which live only here).
pub async fn results(pool: &sqlx::PgPool, round_id: Uuid) -> Result<Vec<AnswerResultRow>, DbError> {
    Ok(sqlx::query_as::<_, AnswerResultRow>(
        "SELECT a.id, a.content, a.user_id AS author_id, \
                COALESCE(p.display_name, u.display_name) AS display_name, \
                (SELECT count(*) FROM votes v WHERE v.answer_id = a.id) AS votes \
         FROM answers a \
         JOIN rounds x ON x.id = a.round_id \
         JOIN users u ON u.id = a.user_id \
         LEFT JOIN room_participants p ON p.room_id = x.room_id AND p.user_id = a.user_id \
         WHERE a.round_id = $1 AND x.status = 'finished' \
         ORDER BY votes DESC, a.id",
    )
    .bind(round_id)
    .fetch_all(pool)
    .await?)
}

/// Codes of open rooms whose running phase is past its deadline by more than `grace`: the
/// rooms whose deadline the live store may have lost (a Redis flush or restart).
pub async fn overdue_rooms(
    pool: &sqlx::PgPool,
    grace: std::time::Duration,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT r.code FROM rounds x JOIN rooms r ON r.id = x.room_id \
         WHERE x.status <> 'finished' AND r.closed_at IS NULL \
           AND x.deadline < now() - make_interval(secs => $1::double precision / 1000) \
         ORDER BY x.deadline LIMIT $2",
    )
    .bind(grace_ms)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
