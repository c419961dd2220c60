//! Accounts: the only place that reads or writes the `users` table.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::DbError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    /// `None` for a guest (and so is the password hash).
    pub email: Option<String>,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub guest: bool,
    pub created_at: DateTime<Utc>,
}

const USER_COLUMNS: &str = "id, email, display_name, password_hash, guest, created_at";

pub(crate) async fn insert(
    pool: &PgPool,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<UserRow, DbError> {
    let row = sqlx::query_as::<_, UserRow>(
        // The `user_registered` audit entry is written by the same statement.
        "WITH u AS (INSERT INTO users (id, email, display_name, password_hash) \
         VALUES ($1, $2, $3, $4) RETURNING id, email, display_name, password_hash, guest, \
         created_at), \
         a AS (INSERT INTO audit_log (actor_id, action, target_type, target_id) \
         SELECT id, 'user_registered', 'user', id FROM u) \
         SELECT id, email, display_name, password_hash, guest, created_at FROM u",
    )
    .bind(Uuid::new_v4())
    .bind(email)
    .bind(display_name)
    .bind(password_hash)
    .fetch_one(pool)
    .await?;
    Ok(row)
}

pub(crate) async fn by_email(pool: &PgPool, email: &str) -> Result<Option<UserRow>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(
        "SELECT id, email, display_name, password_hash, guest, created_at FROM users \
         WHERE lower(email) = lower($1)",
    )
    .bind(email)
    .fetch_optional(pool)
    .await?)
}

pub(crate) async fn by_id(pool: &PgPool, id: Uuid) -> Result<Option<UserRow>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(
        "SELECT id, email, display_name, password_hash, guest, created_at FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// The account's stored password hash, with its row locked until the transaction ends, so a
/// password change compares against the hash it replaces (two concurrent changes: one waits).
pub(crate) async fn lock_hash(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<String>, DbError> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "SELECT password_hash FROM users WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// Changes the display name and/or the password hash (`None` keeps the stored one); returns the
/// account as it now is (`None`: no such account).
pub(crate) async fn update_account(
    conn: &mut PgConnection,
    id: Uuid,
    display_name: Option<&str>,
    password_hash: Option<&str>,
) -> Result<Option<UserRow>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(
        "UPDATE users SET display_name = coalesce($2, display_name), \
         password_hash = coalesce($3, password_hash) WHERE id = $1 \
         RETURNING id, email, display_name, password_hash, guest, created_at",
    )
    .bind(id)
    .bind(display_name)
    .bind(password_hash)
    .fetch_optional(conn)
    .await?)
}

/// A guest (no email, no password), with the `guest_joined` audit entry in the same statement.
pub(crate) async fn insert_guest(pool: &PgPool, display_name: &str) -> Result<UserRow, DbError> {
    let sql = format!(
        "WITH u AS (INSERT INTO users (id, display_name, guest) VALUES ($1, $2, true) \
         RETURNING {USER_COLUMNS}), \
         a AS (INSERT INTO audit_log (actor_id, action, target_type, target_id) \
         SELECT id, 'guest_joined', 'user', id FROM u) \
         SELECT {USER_COLUMNS} FROM u"
    );
    // Built from constants only: no client input in the text.
    Ok(sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::new_v4())
        .bind(display_name)
        .fetch_one(pool)
        .await?)
}

/// Turns a guest into an account in place: the same id, so their games, votes and likes stay
/// theirs. `None` when `id` is no guest (an account already, or gone). A taken email is
/// `DbError::Unique`.
pub(crate) async fn upgrade_guest(
    pool: &PgPool,
    id: Uuid,
    email: &str,
    password_hash: &str,
) -> Result<Option<UserRow>, DbError> {
    let sql = format!(
        "WITH u AS (UPDATE users SET email = $2, password_hash = $3, guest = false \
         WHERE id = $1 AND guest RETURNING {USER_COLUMNS}), \
         a AS (INSERT INTO audit_log (actor_id, action, target_type, target_id) \
         SELECT id, 'guest_upgraded', 'user', id FROM u) \
         SELECT {USER_COLUMNS} FROM u"
    );
    Ok(sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(email)
        .bind(password_hash)
        .fetch_optional(pool)
        .await?)
}

/// Whether `id` is a guest (`None`: no such user).
pub(crate) async fn is_guest(pool: &PgPool, id: Uuid) -> Result<Option<bool>, DbError> {
    Ok(
        sqlx::query_scalar::<_, bool>("SELECT guest FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Deletes guests who joined before `before`, have no live session, and left nothing that
/// names them (no room, game or audience seat, no answer, no poll; their poll ballots keep
/// counting under their voter key and lose only the account link). Returns how many.
pub(crate) async fn delete_unused_guests(
    pool: &PgPool,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<u64, DbError> {
    Ok(sqlx::query(
        "DELETE FROM users WHERE id IN ( \
           SELECT u.id FROM users u WHERE u.guest AND u.created_at < $1 \
           AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id \
                           AND s.revoked_at IS NULL AND s.expires_at > now()) \
           AND NOT EXISTS (SELECT 1 FROM room_participants r WHERE r.user_id = u.id) \
           AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.user_id = u.id) \
           AND NOT EXISTS (SELECT 1 FROM room_audience m WHERE m.user_id = u.id) \
           ORDER BY u.created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
    )
    .bind(before)
    .bind(limit)
    .execute(pool)
    .await?
    .rows_affected())
}
