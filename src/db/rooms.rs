//! Rooms and their participants in Postgres: creation, and the membership events of the
//! domain (join, leave, kick, host hand-over, close) written as rows.

use sqlx::{PgConnection, PgPool, types::Json};
use uuid::Uuid;

use super::DbError;
use crate::domain::{Room, RoomStatus, UserId};

/// Inserts a new room with its host as first participant, in one transaction. A clash on the
/// room code comes back as `DbError::Unique("rooms_code_key")` so the caller can draw another.
pub(crate) async fn create(pool: &PgPool, room: &Room) -> Result<(), DbError> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO rooms (id, code, host_id, status, settings, created_at) \
         VALUES ($1, $2, $3, 'lobby', $4, $5)",
    )
    .bind(room.id)
    .bind(&room.code)
    .bind(room.host_id)
    .bind(Json(&room.settings))
    .bind(room.created_at)
    .execute(&mut *tx)
    .await?;
    for p in &room.participants {
        upsert_participant(
            &mut tx,
            room.id,
            p.user_id,
            &p.display_name,
            Some(p.joined_at),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn upsert_participant(
    conn: &mut PgConnection,
    room_id: Uuid,
    user_id: UserId,
    display_name: &str,
    joined_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO room_participants (room_id, user_id, display_name, joined_at) \
         VALUES ($1, $2, $3, COALESCE($4, now())) \
         ON CONFLICT (room_id, user_id) DO UPDATE SET active = TRUE, left_at = NULL",
    )
    .bind(room_id)
    .bind(user_id)
    .bind(display_name)
    .bind(joined_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn mark_left(
    conn: &mut PgConnection,
    room_id: Uuid,
    user_id: UserId,
    kicked: bool,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE room_participants SET active = FALSE, kicked = kicked OR $3, left_at = now() \
         WHERE room_id = $1 AND user_id = $2",
    )
    .bind(room_id)
    .bind(user_id)
    .bind(kicked)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn set_host(
    conn: &mut PgConnection,
    room_id: Uuid,
    host: UserId,
) -> Result<(), DbError> {
    sqlx::query("UPDATE rooms SET host_id = $2 WHERE id = $1")
        .bind(room_id)
        .bind(host)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn set_status(
    conn: &mut PgConnection,
    room_id: Uuid,
    status: RoomStatus,
    closed: bool,
) -> Result<(), DbError> {
    let status = match status {
        RoomStatus::Lobby => "lobby",
        RoomStatus::Playing => "playing",
        RoomStatus::Finished => "finished",
    };
    sqlx::query(
        "UPDATE rooms SET status = $2, \
         closed_at = CASE WHEN $3 THEN COALESCE(closed_at, now()) ELSE closed_at END \
         WHERE id = $1",
    )
    .bind(room_id)
    .bind(status)
    .bind(closed)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many open rooms a user hosts; bounds room creation per user.
pub(crate) async fn open_rooms_hosted(pool: &PgPool, user: UserId) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM rooms WHERE host_id = $1 AND closed_at IS NULL AND status <> 'finished'",
    )
    .bind(user)
    .fetch_one(pool)
    .await?)
}

/// Open rooms in the lobby or playing (the `active_rooms` metric).
pub(crate) async fn count_active(pool: &PgPool) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM rooms WHERE closed_at IS NULL AND status IN ('lobby', 'playing')",
    )
    .fetch_one(pool)
    .await?)
}
