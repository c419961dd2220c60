//! Ballots (one row per voter per poll, see the migration) and the counts derived from them.
//!
//! The Redis counts (`store::poll_cache`) are kept by deltas applied after each commit. A rebuild
//! from these rows must never meet a delta half-way (counted in its snapshot and then applied
//! again on top), so every vote holds a shared advisory lock on its poll from before its
//! commit until its delta is applied, and a rebuild takes the same lock exclusively. Shared
//! holders never wait on each other: the lock costs voters nothing unless a rebuild runs.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::DbError;

/// The advisory lock key of a poll's counts: its id's first 64 bits (a collision between two
/// polls only makes one wait for the other's rebuild).
pub(crate) fn lock_key(poll: Uuid) -> i64 {
    let b = poll.as_bytes();
    i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// Releases the shared counts lock a text answer's call takes (`submit_text_answer`), once its
/// delta is in Redis (ballots release theirs in bulk, `unlock_all`).
pub(crate) async fn unlock_counts_shared(
    conn: &mut PgConnection,
    poll: Uuid,
) -> Result<(), DbError> {
    sqlx::query("SELECT pg_advisory_unlock_shared($1)")
        .bind(lock_key(poll))
        .execute(conn)
        .await?;
    Ok(())
}

/// Held by a rebuild while it counts and installs: no vote is between commit and delta then.
pub(crate) async fn lock_counts(conn: &mut PgConnection, poll: Uuid) -> Result<(), DbError> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(lock_key(poll))
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn unlock_counts(conn: &mut PgConnection, poll: Uuid) -> Result<(), DbError> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(lock_key(poll))
        .execute(conn)
        .await?;
    Ok(())
}

/// What `cast_ballots` did with one ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Cast,
    Changed,
    Withdrawn,
    /// The same choice again: nothing written.
    Same,
    /// A withdrawal without a ballot.
    NoVote,
    /// Refused on the poll as it is now (a concurrent edit moved it after the caller checked
    /// its rules, see the `cast_ballots` migration); nothing written.
    Refused(Refusal),
}

/// Why `cast_ballots` refused a ballot the caller had found valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The poll was deleted.
    Gone,
    /// Closed, back to draft, or past its expiry.
    Closed,
    /// A chosen option is no longer the poll's.
    OptionGone,
    /// More choices than the poll now allows (the limit in force).
    TooMany(u32),
    /// An anonymous ballot, and the poll no longer allows them.
    Anonymous,
}

/// One ballot of a group (`cast_many`): `options` `None` withdraws.
#[derive(Debug, Clone)]
pub(crate) struct BallotRow {
    pub poll: Uuid,
    pub voter: Uuid,
    pub user: Option<Uuid>,
    pub options: Option<Vec<Uuid>>,
}

/// What `cast_ballots` answered for one ballot.
#[derive(Debug, Clone)]
pub(crate) struct Cast {
    pub outcome: Outcome,
    /// The ballot it replaced.
    pub previous: Option<Vec<Uuid>>,
    /// The poll's `updated_at` as the ballot was checked (`None`: the poll is gone): a node
    /// whose cached rules are older reloads them.
    pub version: Option<DateTime<Utc>>,
    pub likes: i64,
    /// Whether the voter (an account) likes the poll.
    pub liked: bool,
}

#[derive(sqlx::FromRow)]
struct CastRow {
    idx: i32,
    outcome: String,
    previous: Option<Vec<Uuid>>,
    max_choices: Option<i32>,
    version: Option<DateTime<Utc>>,
    likes: Option<i64>,
    liked: Option<bool>,
}

/// Writes every ballot of `rows`, in their order, and their audit entries, in one round trip
/// and one transaction (the `cast_ballots` function, see its migration): one answer per row,
/// in the same order. The caller orders `rows` by poll, then voter, then arrival. Takes each
/// poll's shared counts lock at session level: the caller must call [`unlock_all`]
/// afterwards, whatever this returned.
pub(crate) async fn cast_many(
    conn: &mut PgConnection,
    rows: &[&BallotRow],
) -> Result<Vec<Cast>, DbError> {
    let polls: Vec<Uuid> = rows.iter().map(|r| r.poll).collect();
    let voters: Vec<Uuid> = rows.iter().map(|r| r.voter).collect();
    let users: Vec<Option<Uuid>> = rows.iter().map(|r| r.user).collect();
    let counts: Vec<i32> = rows
        .iter()
        .map(|r| {
            r.options
                .as_ref()
                .map_or(-1, |o| i32::try_from(o.len()).unwrap_or(i32::MAX))
        })
        .collect();
    let options: Vec<Uuid> = rows
        .iter()
        .flat_map(|r| r.options.iter().flatten().copied())
        .collect();
    let locks: Vec<i64> = rows.iter().map(|r| lock_key(r.poll)).collect();
    let mut answers: Vec<CastRow> = sqlx::query_as(
        "SELECT idx, outcome, previous, max_choices, version, likes, liked \
         FROM cast_ballots($1, $2, $3, $4, $5, $6)",
    )
    .bind(&polls)
    .bind(&voters)
    .bind(&users)
    .bind(&counts)
    .bind(&options)
    .bind(&locks)
    .fetch_all(conn)
    .await?;
    answers.sort_by_key(|a| a.idx);
    if answers.len() != rows.len() {
        return Err(DbError::Other(std::sync::Arc::new(sqlx::Error::Protocol(
            format!(
                "cast_ballots answered {} rows for {} ballots",
                answers.len(),
                rows.len()
            ),
        ))));
    }
    Ok(answers.into_iter().map(CastRow::into_cast).collect())
}

impl CastRow {
    fn into_cast(self) -> Cast {
        let outcome = match self.outcome.as_str() {
            "cast" => Outcome::Cast,
            "changed" => Outcome::Changed,
            "withdrawn" => Outcome::Withdrawn,
            "same" => Outcome::Same,
            "no_vote" => Outcome::NoVote,
            "gone" => Outcome::Refused(Refusal::Gone),
            "option_gone" => Outcome::Refused(Refusal::OptionGone),
            "anonymous" => Outcome::Refused(Refusal::Anonymous),
            "too_many" => Outcome::Refused(Refusal::TooMany(
                self.max_choices
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(1),
            )),
            _ => Outcome::Refused(Refusal::Closed),
        };
        Cast {
            outcome,
            previous: self.previous,
            version: self.version,
            likes: self.likes.unwrap_or(0),
            liked: self.liked.unwrap_or(false),
        }
    }
}

/// Lets go of every counts lock [`cast_many`] took on `conn` (session-level advisory locks are
/// the only ones a ballot connection holds), once the group's deltas are in Redis.
pub(crate) async fn unlock_all(conn: &mut PgConnection) -> Result<(), DbError> {
    sqlx::query("SELECT pg_advisory_unlock_all()")
        .execute(conn)
        .await?;
    Ok(())
}

/// The voter's ballot, unlocked (for `my_votes`).
pub(crate) async fn ballot(
    pool: &PgPool,
    poll: Uuid,
    voter: Uuid,
) -> Result<Option<Vec<Uuid>>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT option_ids FROM poll_ballots WHERE poll_id = $1 AND voter_key = $2",
    )
    .bind(poll)
    .bind(voter)
    .fetch_optional(pool)
    .await?)
}

/// The ballots of `voters` (those who have one) in one poll, in one query: the `my_votes` of
/// everyone watching a poll over the plain WebSocket.
pub(crate) async fn ballots_of(
    pool: &PgPool,
    poll: Uuid,
    voters: &[Uuid],
) -> Result<Vec<(Uuid, Vec<Uuid>)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT voter_key, option_ids FROM poll_ballots WHERE poll_id = $1 AND voter_key = ANY($2)",
    )
    .bind(poll)
    .bind(voters)
    .fetch_all(pool)
    .await?)
}

/// Per option of the poll, how many ballots chose it (a ranked poll: ranked it first); and how
/// many ballots there are.
pub(crate) async fn count(
    conn: &mut PgConnection,
    poll: Uuid,
) -> Result<(Vec<(Uuid, i64)>, i64), DbError> {
    // A ranked poll's counts are first choices (`domain::poll::vote::Delta::of_kind`).
    let options: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT o, count(*) FROM poll_ballots b JOIN polls p ON p.id = b.poll_id, \
         unnest(CASE WHEN p.kind = 'ranked' THEN b.option_ids[1:1] ELSE b.option_ids END) AS o \
         WHERE b.poll_id = $1 GROUP BY o",
    )
    .bind(poll)
    .fetch_all(&mut *conn)
    .await?;
    // A text poll has no ballots: its voters are the people who answered (whatever became of
    // their answers: a count, not what they said).
    let voters: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM poll_ballots WHERE poll_id = $1) \
         + (SELECT count(DISTINCT voter_key) FROM poll_answers WHERE poll_id = $1)",
    )
    .bind(poll)
    .fetch_one(conn)
    .await?;
    Ok((options, voters))
}

/// A ranked poll's ballots for its runoff: each distinct ranking once, with how many voters
/// cast it. Reads every ballot of the poll (grouped in Postgres, so what crosses the wire is
/// the distinct rankings); the results of a ranked poll cost this query each time they are
/// read or broadcast, at most `poll_results`' rate per poll.
pub(crate) async fn rankings(pool: &PgPool, poll: Uuid) -> Result<Vec<(Vec<Uuid>, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT option_ids, count(*) FROM poll_ballots WHERE poll_id = $1 GROUP BY option_ids",
    )
    .bind(poll)
    .fetch_all(pool)
    .await?)
}

pub(crate) async fn poll_has_votes(conn: &mut PgConnection, poll: Uuid) -> Result<bool, DbError> {
    Ok(
        // A text poll's answers are its ballots.
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM poll_ballots WHERE poll_id = $1) \
             OR EXISTS (SELECT 1 FROM poll_answers WHERE poll_id = $1)",
        )
        .bind(poll)
        .fetch_one(conn)
        .await?,
    )
}

pub(crate) async fn option_has_votes(
    conn: &mut PgConnection,
    poll: Uuid,
    option: Uuid,
) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM poll_ballots WHERE poll_id = $1 AND $2 = ANY(option_ids))",
    )
    .bind(poll)
    .bind(option)
    .fetch_one(conn)
    .await?)
}
