//! Poll and site statistics in Postgres: a poll's votes by hour (from the audit log, whose
//! `vote_cast` entries are the history of when ballots arrived), and the site's totals over
//! public, published polls (from the list counters on the poll rows).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::DbError;

/// A poll's vote history: ballots cast per hour (oldest first), and the first and last time
/// anyone cast or changed a ballot.
#[derive(Debug, Clone, Default)]
pub(crate) struct VoteHistory {
    pub by_hour: Vec<(DateTime<Utc>, i64)>,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

/// Reads the poll's `vote_cast` / `vote_changed` entries (the audit index on `poll_id`).
pub(crate) async fn vote_history(pool: &PgPool, poll: Uuid) -> Result<VoteHistory, DbError> {
    let by_hour: Vec<(DateTime<Utc>, i64)> = sqlx::query_as(
        "SELECT date_trunc('hour', at) AS hour, count(*) AS votes FROM audit_log \
         WHERE poll_id = $1 AND action = 'vote_cast' GROUP BY 1 ORDER BY 1",
    )
    .bind(poll)
    .fetch_all(pool)
    .await?;
    let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT min(at), max(at) FROM audit_log \
         WHERE poll_id = $1 AND action IN ('vote_cast', 'vote_changed')",
    )
    .bind(poll)
    .fetch_one(pool)
    .await?;
    Ok(VoteHistory {
        by_hour,
        first,
        last,
    })
}

/// The stored view count (this node's and other nodes' unflushed views are not in it).
pub(crate) async fn views(pool: &PgPool, poll: Uuid) -> Result<i64, DbError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT views_count FROM polls WHERE id = $1")
            .bind(poll)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0),
    )
}

/// Adds buffered views: `ids[i]` got `counts[i]` more.
pub(crate) async fn add_views(pool: &PgPool, ids: &[Uuid], counts: &[i64]) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE polls p SET views_count = p.views_count + a.n \
         FROM unnest($1::uuid[], $2::int8[]) AS a(id, n) WHERE p.id = a.id",
    )
    .bind(ids)
    .bind(counts)
    .execute(pool)
    .await?;
    Ok(())
}

/// The site's totals over public, published polls of one category (`None`: no category).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub(crate) struct SiteGroup {
    pub category_id: Option<Uuid>,
    pub polls: i64,
    pub open_polls: i64,
    pub votes: i64,
    pub voters: i64,
    pub likes: i64,
}

/// A category as the site stats name it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CategoryName {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// The site's figures: one pass over the public polls (the rows of their partial indexes)
/// grouped by category, which gives both the totals and the categories' counts; the chosen
/// options of ballots cast or changed in the last 24 h (found through the BRIN index); and the
/// names of the categories that have public polls.
pub(crate) async fn site(
    pool: &PgPool,
) -> Result<(Vec<SiteGroup>, i64, Vec<CategoryName>), DbError> {
    let groups = sqlx::query_as::<_, SiteGroup>(
        "SELECT category_id, count(*) AS polls, \
           count(*) FILTER (WHERE status = 'open' AND (expires_at IS NULL OR expires_at > now())) \
             AS open_polls, \
           coalesce(sum(votes_count), 0)::int8 AS votes, \
           coalesce(sum(voters_count), 0)::int8 AS voters, \
           coalesce(sum(likes_count), 0)::int8 AS likes \
         FROM polls WHERE is_public AND status <> 'draft' GROUP BY category_id",
    )
    .fetch_all(pool)
    .await?;
    let last_day: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(cardinality(b.option_ids)), 0)::int8 FROM poll_ballots b \
         JOIN polls p ON p.id = b.poll_id \
         WHERE b.voted_at > now() - interval '24 hours' AND p.is_public AND p.status <> 'draft'",
    )
    .fetch_one(pool)
    .await?;
    let ids: Vec<Uuid> = groups.iter().filter_map(|g| g.category_id).collect();
    let names = sqlx::query_as::<_, CategoryName>(
        "SELECT id, slug, name, description FROM poll_categories WHERE id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    Ok((groups, last_day, names))
}
