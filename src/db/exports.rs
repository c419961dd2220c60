//! The rows of a poll's ballots export (`exports`): every ballot with its voter's account, if
//! any, in the order they were cast.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::DbError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct BallotRow {
    /// The account id, or an anonymous voter's cookie id (never shown as such).
    pub voter_key: Uuid,
    pub user_id: Option<Uuid>,
    pub display_name: Option<String>,
    /// In the order the voter gave them (a ranked ballot's ranking).
    pub option_ids: Vec<Uuid>,
    pub voted_at: DateTime<Utc>,
}

pub(crate) async fn ballots(pool: &PgPool, poll: Uuid) -> Result<Vec<BallotRow>, DbError> {
    Ok(sqlx::query_as::<_, BallotRow>(
        "SELECT b.voter_key, b.user_id, u.display_name, b.option_ids, b.voted_at \
         FROM poll_ballots b LEFT JOIN users u ON u.id = b.user_id \
         WHERE b.poll_id = $1 ORDER BY b.voted_at, b.voter_key",
    )
    .bind(poll)
    .fetch_all(pool)
    .await?)
}
