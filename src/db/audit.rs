//! The audit log: one row per poll, option, vote and account action, always written on the
//! connection of the action's own transaction, so there is never an action without its entry
//! or an entry without its action.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::DbError;

/// What an entry is about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub kind: &'static str,
    pub id: Option<Uuid>,
    /// The poll the entry belongs to, for `GET /api/polls/{id}/audit`.
    pub poll_id: Option<Uuid>,
}

impl Target {
    pub(crate) fn poll(id: Uuid) -> Target {
        Target {
            kind: "poll",
            id: Some(id),
            poll_id: Some(id),
        }
    }

    pub(crate) fn option(poll: Uuid, option: Uuid) -> Target {
        Target {
            kind: "option",
            id: Some(option),
            poll_id: Some(poll),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub id: i64,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub details: Value,
    pub at: DateTime<Utc>,
}

/// Writes one entry on `conn`, which must be the action's transaction.
pub(crate) async fn record(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    action: &str,
    target: Target,
    details: Value,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, action, target_type, target_id, poll_id, details) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(actor)
    .bind(action)
    .bind(target.kind)
    .bind(target.id)
    .bind(target.poll_id)
    .bind(sqlx::types::Json(details))
    .execute(conn)
    .await?;
    Ok(())
}

/// A poll's entries, newest first.
pub(crate) async fn for_poll(
    pool: &PgPool,
    poll: Uuid,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    Ok(sqlx::query_as::<_, AuditRow>(
        "SELECT id, actor_id, action, target_type, target_id, details, at FROM audit_log \
         WHERE poll_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(poll)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// What `actor` did, newest first.
pub(crate) async fn for_actor(
    pool: &PgPool,
    actor: Uuid,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    Ok(sqlx::query_as::<_, AuditRow>(
        "SELECT id, actor_id, action, target_type, target_id, details, at FROM audit_log \
         WHERE actor_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(actor)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
