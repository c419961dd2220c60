//! Games in Postgres: one row per game a room plays (`play_again` starts another), written
//! when its first round starts and marked when it ends; and the room's audience.

use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use super::DbError;
use crate::domain::{Settings, UserId};

/// Records a game that just started, and the room's settings as the game uses them.
pub(crate) async fn start(
    conn: &mut PgConnection,
    game_id: Uuid,
    room_id: Uuid,
    number: u32,
    host_id: UserId,
    settings: &Settings,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO games (id, room_id, number, host_id, settings) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(game_id)
    .bind(room_id)
    .bind(i32::try_from(number).unwrap_or(i32::MAX))
    .bind(host_id)
    .bind(Json(settings))
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE rooms SET settings = $2 WHERE id = $1")
        .bind(room_id)
        .bind(Json(settings))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Marks a game ended and, the first time, enqueues its `game_ended` webhook deliveries in the
/// same transaction (their payload is completed with the results when sent: `webhooks`).
pub(crate) async fn end(conn: &mut PgConnection, game_id: Uuid) -> Result<(), DbError> {
    let ended: Option<(Uuid, Uuid)> = sqlx::query_as(
        "UPDATE games SET ended_at = now() WHERE id = $1 AND ended_at IS NULL \
         RETURNING room_id, host_id",
    )
    .bind(game_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((room, host)) = ended {
        super::webhooks::game_ended(conn, game_id, room, host).await?;
    }
    Ok(())
}

pub(crate) async fn join_audience(
    conn: &mut PgConnection,
    room_id: Uuid,
    user_id: UserId,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO room_audience (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(room_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn leave_audience(
    conn: &mut PgConnection,
    room_id: Uuid,
    user_id: UserId,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM room_audience WHERE room_id = $1 AND user_id = $2")
        .bind(room_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}
