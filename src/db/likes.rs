//! Likes in Postgres: one row per user per poll (the primary key is what counts a like once,
//! however many requests race), and the poll's `likes_count` moved in the same transaction.

use sqlx::PgConnection;
use uuid::Uuid;

use super::DbError;

/// Adds the like; `true` if it is new. Concurrent likes by one user wait on each other's
/// insert of the same key, and all but one find it there.
pub(crate) async fn like(conn: &mut PgConnection, poll: Uuid, user: Uuid) -> Result<bool, DbError> {
    let inserted = sqlx::query(
        "INSERT INTO poll_likes (poll_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(poll)
    .bind(user)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        bump(conn, poll, 1).await?;
    }
    Ok(inserted)
}

/// Removes the like; `true` if there was one.
pub(crate) async fn unlike(
    conn: &mut PgConnection,
    poll: Uuid,
    user: Uuid,
) -> Result<bool, DbError> {
    let deleted = sqlx::query("DELETE FROM poll_likes WHERE poll_id = $1 AND user_id = $2")
        .bind(poll)
        .bind(user)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1;
    if deleted {
        bump(conn, poll, -1).await?;
    }
    Ok(deleted)
}

async fn bump(conn: &mut PgConnection, poll: Uuid, by: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE polls SET likes_count = likes_count + $2 WHERE id = $1")
        .bind(poll)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}

/// The poll's like count and whether `user` likes it.
pub(crate) async fn state(
    conn: &mut PgConnection,
    poll: Uuid,
    user: Option<Uuid>,
) -> Result<(i64, bool), DbError> {
    let row: Option<(i64, bool)> = sqlx::query_as(
        "SELECT p.likes_count, EXISTS (SELECT 1 FROM poll_likes l \
           WHERE l.poll_id = p.id AND l.user_id = $2) FROM polls p WHERE p.id = $1",
    )
    .bind(poll)
    .bind(user)
    .fetch_optional(conn)
    .await?;
    Ok(row.unwrap_or((0, false)))
}
