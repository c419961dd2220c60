//! Ballots (one row per voter per poll, see the migration) and the counts derived from them.
//!
//! The Redis counts (`store::poll_cache`) are kept by deltas applied after each commit. A rebuild
//! from these rows must never meet a delta half-way (counted in its snapshot and then applied
//! again on top), so every vote holds a shared advisory lock on its poll from before its
//! commit until its delta is applied, and a rebuild takes the same lock exclusively. Shared
//! holders never wait on each other: the lock costs voters nothing unless a rebuild runs.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::DbError;

/// The advisory lock key of a poll's counts: its id's first 64 bits (a collision between two
/// polls only makes one wait for the other's rebuild).
fn lock_key(poll: Uuid) -> i64 {
    let b = poll.as_bytes();
    i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// Lets go of the shared counts lock [`cast`] took, once the vote's delta is in Redis.
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

/// What [`cast`] did.
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
    /// its rules, see the `cast_ballot` migration); nothing written.
    Refused(Refusal),
}

/// Why `cast_ballot` refused a ballot the caller had found valid.
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
}

/// Replaces the voter's ballot with `options` (`None` withdraws) and writes the audit entry, in
/// one round trip and one transaction (the `cast_ballot` function, see its migration). Takes
/// the poll's shared counts lock first, at session level: the caller must call
/// [`unlock_counts_shared`] afterwards, whatever this returned. Gives the earlier choice.
pub(crate) async fn cast(
    conn: &mut PgConnection,
    poll: Uuid,
    voter: Uuid,
    user: Option<Uuid>,
    options: Option<&[Uuid]>,
) -> Result<(Outcome, Option<Vec<Uuid>>), DbError> {
    let (outcome, previous, limit): (String, Option<Vec<Uuid>>, Option<i32>) = sqlx::query_as(
        "SELECT outcome, previous, max_choices FROM cast_ballot($1, $2, $3, $4, $5)",
    )
    .bind(poll)
    .bind(voter)
    .bind(user)
    .bind(options)
    .bind(lock_key(poll))
    .fetch_one(conn)
    .await?;
    let outcome = match outcome.as_str() {
        "cast" => Outcome::Cast,
        "changed" => Outcome::Changed,
        "withdrawn" => Outcome::Withdrawn,
        "same" => Outcome::Same,
        "no_vote" => Outcome::NoVote,
        "gone" => Outcome::Refused(Refusal::Gone),
        "option_gone" => Outcome::Refused(Refusal::OptionGone),
        "too_many" => Outcome::Refused(Refusal::TooMany(
            limit.and_then(|n| u32::try_from(n).ok()).unwrap_or(1),
        )),
        _ => Outcome::Refused(Refusal::Closed),
    };
    Ok((outcome, previous))
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
    let voters: i64 = sqlx::query_scalar("SELECT count(*) FROM poll_ballots WHERE poll_id = $1")
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
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM poll_ballots WHERE poll_id = $1)")
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
