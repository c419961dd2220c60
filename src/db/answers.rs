//! A text poll's answers (`poll_answers`, see the text polls migration): taking one under the
//! voter's limit, the creator's queue and moderation, and the reads the results and exports
//! make. Only [`approved`] and [`approved_texts`] feed what voters and watchers see.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{DbError, ballots::lock_key};

/// One answer as the creator (and its author) sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AnswerRow {
    pub id: Uuid,
    pub poll_id: Uuid,
    pub voter_key: Uuid,
    pub user_id: Option<Uuid>,
    pub display_name: Option<String>,
    pub body: String,
    pub status: String,
    pub flagged: bool,
    pub created_at: DateTime<Utc>,
    pub moderated_at: Option<DateTime<Utc>>,
}

const ANSWER_COLUMNS: &str = "a.id, a.poll_id, a.voter_key, a.user_id, u.display_name, a.body, \
    a.status, a.flagged, a.created_at, a.moderated_at \
    FROM poll_answers a LEFT JOIN users u ON u.id = a.user_id";

/// What [`submit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Submitted {
    /// Taken; `first`: the voter's first answer in this poll.
    Taken {
        first: bool,
    },
    Gone,
    Closed,
    WrongKind,
    /// The voter has given `limit` answers already.
    Limit(u32),
}

/// The new answer row's fields.
pub(crate) struct NewAnswerRow<'a> {
    pub id: Uuid,
    pub poll: Uuid,
    pub voter: Uuid,
    pub user: Option<Uuid>,
    pub body: &'a str,
    pub status: &'a str,
    pub flagged: bool,
}

/// Takes an answer with its audit entry (the `submit_text_answer` function), checking the poll
/// as it is now and the voter's limit. Takes the poll's shared counts lock first, as
/// `ballots::cast` does: the caller must call `ballots::unlock_counts_shared` afterwards,
/// whatever this returned.
pub(crate) async fn submit(
    conn: &mut PgConnection,
    a: &NewAnswerRow<'_>,
) -> Result<Submitted, DbError> {
    let (outcome, limit, first): (String, Option<i32>, bool) = sqlx::query_as(
        "SELECT outcome, answer_limit, first FROM submit_text_answer($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.poll)
    .bind(a.voter)
    .bind(a.user)
    .bind(a.id)
    .bind(a.body)
    .bind(a.status)
    .bind(a.flagged)
    .bind(lock_key(a.poll))
    .fetch_one(conn)
    .await?;
    Ok(match outcome.as_str() {
        "taken" => Submitted::Taken { first },
        "gone" => Submitted::Gone,
        "wrong_kind" => Submitted::WrongKind,
        "limit" => Submitted::Limit(limit.and_then(|n| u32::try_from(n).ok()).unwrap_or(1)),
        _ => Submitted::Closed,
    })
}

/// One answer of `poll`, with its row locked until the transaction ends.
pub(crate) async fn lock(
    conn: &mut PgConnection,
    poll: Uuid,
    id: Uuid,
) -> Result<Option<AnswerRow>, DbError> {
    let sql = format!("SELECT {ANSWER_COLUMNS} WHERE a.poll_id = $1 AND a.id = $2 FOR UPDATE OF a");
    Ok(sqlx::query_as::<_, AnswerRow>(sqlx::AssertSqlSafe(sql))
        .bind(poll)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub(crate) async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
) -> Result<AnswerRow, DbError> {
    sqlx::query("UPDATE poll_answers SET status = $2, moderated_at = now() WHERE id = $1")
        .bind(id)
        .bind(status)
        .execute(&mut *conn)
        .await?;
    let sql = format!("SELECT {ANSWER_COLUMNS} WHERE a.id = $1");
    Ok(sqlx::query_as::<_, AnswerRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(conn)
        .await?)
}

pub(crate) async fn get(pool: &PgPool, id: Uuid) -> Result<Option<AnswerRow>, DbError> {
    let sql = format!("SELECT {ANSWER_COLUMNS} WHERE a.id = $1");
    Ok(sqlx::query_as::<_, AnswerRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?)
}

/// The creator's queue: the poll's answers with `status` (all of them for `None`), oldest
/// first (the order they came in), at most `limit`.
pub(crate) async fn queue(
    pool: &PgPool,
    poll: Uuid,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<AnswerRow>, DbError> {
    let sql = format!(
        "SELECT {ANSWER_COLUMNS} WHERE a.poll_id = $1 AND ($2::text IS NULL OR a.status = $2) \
         ORDER BY a.created_at, a.id LIMIT $3"
    );
    Ok(sqlx::query_as::<_, AnswerRow>(sqlx::AssertSqlSafe(sql))
        .bind(poll)
        .bind(status)
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

/// How many of the poll's answers have each status.
pub(crate) async fn status_counts(
    pool: &PgPool,
    poll: Uuid,
) -> Result<Vec<(String, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT status, count(*) FROM poll_answers WHERE poll_id = $1 GROUP BY status",
    )
    .bind(poll)
    .fetch_all(pool)
    .await?)
}

/// A voter's own answers in a poll, whatever their status (their "my answers"), oldest first.
pub(crate) async fn of_voter(
    pool: &PgPool,
    poll: Uuid,
    voter: Uuid,
) -> Result<Vec<AnswerRow>, DbError> {
    let sql = format!(
        "SELECT {ANSWER_COLUMNS} WHERE a.poll_id = $1 AND a.voter_key = $2 ORDER BY a.created_at, a.id"
    );
    Ok(sqlx::query_as::<_, AnswerRow>(sqlx::AssertSqlSafe(sql))
        .bind(poll)
        .bind(voter)
        .fetch_all(pool)
        .await?)
}

/// The approved answers shown with the results: `(id, body, created_at)`, newest first, at
/// most `limit`; and how many approved answers there are.
pub(crate) async fn approved(
    pool: &PgPool,
    poll: Uuid,
    limit: i64,
) -> Result<(Vec<(Uuid, String, DateTime<Utc>)>, i64), DbError> {
    // One statement, so the page and the total agree (the window counts before the LIMIT).
    let rows: Vec<(Uuid, String, DateTime<Utc>, i64)> = sqlx::query_as(
        "SELECT id, body, created_at, count(*) OVER () FROM poll_answers \
         WHERE poll_id = $1 AND status = 'approved' ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(poll)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let total = rows.first().map_or(0, |r| r.3);
    Ok((
        rows.into_iter().map(|(i, b, c, _)| (i, b, c)).collect(),
        total,
    ))
}

/// Every approved answer's text, for the word counts. Reads all of them (a text poll's results
/// cost this query each time they are read or broadcast, at most `poll_results`' rate per
/// poll); each is at most 280 characters.
pub(crate) async fn approved_texts(pool: &PgPool, poll: Uuid) -> Result<Vec<String>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT body FROM poll_answers WHERE poll_id = $1 AND status = 'approved'",
    )
    .bind(poll)
    .fetch_all(pool)
    .await?)
}

/// Every answer of the poll for its creator's export, in the order they came in.
pub(crate) async fn all(pool: &PgPool, poll: Uuid) -> Result<Vec<AnswerRow>, DbError> {
    let sql = format!("SELECT {ANSWER_COLUMNS} WHERE a.poll_id = $1 ORDER BY a.created_at, a.id");
    Ok(sqlx::query_as::<_, AnswerRow>(sqlx::AssertSqlSafe(sql))
        .bind(poll)
        .fetch_all(pool)
        .await?)
}
