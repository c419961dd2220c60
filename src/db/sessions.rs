//! Sessions: the only place that reads or writes the `sessions` table, the durable record of
//! which tokens were issued and which were revoked (Redis only caches it).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::DbError;

/// Records a token just issued.
pub(crate) async fn insert(
    pool: &PgPool,
    jti: Uuid,
    user_id: Uuid,
    expires_at: DateTime<Utc>,
    password_hash: Option<&str>,
) -> Result<bool, DbError> {
    // Only while the account's password is still the one just verified, holding a share lock
    // on the user's row until this commits: a password change (which locks the row for update,
    // then revokes every other session) either comes first, and this finds a different hash
    // and records nothing, or waits for this session and then revokes it. Without it, a login
    // with the old password racing a change could open a session the change never saw.
    // The `login` audit entry is written by the same statement, so neither exists alone.
    let written = sqlx::query(
        "WITH u AS (SELECT id FROM users WHERE id = $2 AND password_hash IS NOT DISTINCT FROM $4 \
         FOR SHARE), \
         s AS (INSERT INTO sessions (jti, user_id, expires_at) SELECT $1, id, $3 FROM u \
         RETURNING jti, user_id) \
         INSERT INTO audit_log (actor_id, action, target_type, target_id, details) \
         SELECT user_id, 'login', 'user', user_id, jsonb_build_object('session', jti) FROM s",
    )
    .bind(jti)
    .bind(user_id)
    .bind(expires_at)
    .bind(password_hash)
    .execute(pool)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// A session's owner and whether it is revoked; `None` if it was never issued (or pruned).
/// Looked up by the token id alone, so that a token naming someone else's session is seen as
/// what it is (see `AuthService::revoked`).
pub(crate) async fn state(pool: &PgPool, jti: Uuid) -> Result<Option<(Uuid, bool)>, DbError> {
    Ok(sqlx::query_as::<_, (Uuid, bool)>(
        "SELECT user_id, revoked_at IS NOT NULL FROM sessions WHERE jti = $1",
    )
    .bind(jti)
    .fetch_optional(pool)
    .await?)
}

/// Revokes one session (idempotent: a second revocation keeps the first time).
pub(crate) async fn revoke(pool: &PgPool, jti: Uuid) -> Result<(), DbError> {
    // The `logout` audit entry comes with the first revocation only, in the same statement.
    sqlx::query(
        "WITH s AS (UPDATE sessions SET revoked_at = now() WHERE jti = $1 AND revoked_at IS NULL \
         RETURNING jti, user_id) \
         INSERT INTO audit_log (actor_id, action, target_type, target_id, details) \
         SELECT user_id, 'logout', 'user', user_id, jsonb_build_object('session', jti) FROM s",
    )
    .bind(jti)
    .execute(pool)
    .await?;
    Ok(())
}

/// Revokes every unexpired live session of a user; returns their ids and expiry times.
pub(crate) async fn revoke_all(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, DbError> {
    Ok(sqlx::query_as::<_, (Uuid, DateTime<Utc>)>(
        "UPDATE sessions SET revoked_at = now() \
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() \
         RETURNING jti, expires_at",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?)
}

/// Revokes every unexpired live session of a user but `keep` (the caller's own, on a password
/// change), on the change's transaction; returns their ids and expiry times.
pub(crate) async fn revoke_others(
    conn: &mut PgConnection,
    user_id: Uuid,
    keep: Uuid,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, DbError> {
    Ok(sqlx::query_as::<_, (Uuid, DateTime<Utc>)>(
        "UPDATE sessions SET revoked_at = now() \
         WHERE user_id = $1 AND jti <> $2 AND revoked_at IS NULL AND expires_at > now() \
         RETURNING jti, expires_at",
    )
    .bind(user_id)
    .bind(keep)
    .fetch_all(conn)
    .await?)
}

/// Deletes sessions whose token expired before `before` (an expired token is refused by its
/// signature check alone, so its row has nothing left to say).
pub(crate) async fn prune(pool: &PgPool, before: DateTime<Utc>) -> Result<u64, DbError> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected())
}
