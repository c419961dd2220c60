//! Accounts: the only place that reads or writes the `users` table.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::DbError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) async fn insert(
    pool: &PgPool,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<UserRow, DbError> {
    let row = sqlx::query_as::<_, UserRow>(
        // The `user_registered` audit entry is written by the same statement.
        "WITH u AS (INSERT INTO users (id, email, display_name, password_hash) \
         VALUES ($1, $2, $3, $4) RETURNING id, email, display_name, password_hash, created_at), \
         a AS (INSERT INTO audit_log (actor_id, action, target_type, target_id) \
         SELECT id, 'user_registered', 'user', id FROM u) \
         SELECT id, email, display_name, password_hash, created_at FROM u",
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
        "SELECT id, email, display_name, password_hash, created_at FROM users \
         WHERE lower(email) = lower($1)",
    )
    .bind(email)
    .fetch_optional(pool)
    .await?)
}

pub(crate) async fn by_id(pool: &PgPool, id: Uuid) -> Result<Option<UserRow>, DbError> {
    Ok(sqlx::query_as::<_, UserRow>(
        "SELECT id, email, display_name, password_hash, created_at FROM users WHERE id = $1",
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
    Ok(
        sqlx::query_scalar::<_, String>("SELECT password_hash FROM users WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
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
         RETURNING id, email, display_name, password_hash, created_at",
    )
    .bind(id)
    .bind(display_name)
    .bind(password_hash)
    .fetch_optional(conn)
    .await?)
}
