//! Poll lists in Postgres: one query per page, built from constant fragments (the client's
//! values are only ever bound), each sort served by its own index (see the discovery migration).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::DbError;
use crate::domain::poll::discovery::{ListParams, MAX_OFFSET, SEARCH_MAX, Sort, StatusFilter};

/// A poll as a list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SummaryRow {
    pub id: Uuid,
    pub code: String,
    pub creator_id: Uuid,
    pub creator_name: String,
    pub question: String,
    pub kind: String,
    pub status: String,
    pub allow_multiple: bool,
    pub max_choices: i32,
    pub is_public: bool,
    pub allow_anonymous: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub category_id: Option<Uuid>,
    pub category_slug: Option<String>,
    pub category_name: Option<String>,
    pub category_description: Option<String>,
    pub voters_count: i64,
    pub votes_count: i64,
    pub likes_count: i64,
    pub option_count: i64,
}

const SUMMARY_COLUMNS: &str = "p.id, p.code, p.creator_id, u.display_name AS creator_name, p.question, \
    p.kind, p.status, p.allow_multiple, p.max_choices, p.is_public, p.allow_anonymous, p.expires_at, \
    p.created_at, p.updated_at, p.closed_at, c.id AS category_id, c.slug AS category_slug, \
    c.name AS category_name, c.description AS category_description, p.voters_count, \
    p.votes_count, p.likes_count, \
    (SELECT count(*) FROM poll_options o WHERE o.poll_id = p.id) AS option_count";

/// The value a `$n` in the built query stands for.
enum Bind {
    Uuid(Uuid),
    Text(String),
}

/// `WHERE` (on `p` only) and `ORDER BY` for a list, with its binds in `$n` order. `huge`: a
/// search with more than `SEARCH_MAX` matches, whose relevance order is popularity instead.
fn clauses(params: &ListParams, viewer: Option<Uuid>, huge: bool) -> (String, String, Vec<Bind>) {
    let mut binds = Vec::new();
    let mut push = |b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let mut conds: Vec<String> = Vec::new();
    match params.creator {
        // A creator's own list: drafts and unlisted polls too.
        Some(c) if Some(c) == viewer => {
            conds.push(format!("p.creator_id = {}", push(Bind::Uuid(c))))
        }
        Some(c) => {
            conds.push("p.is_public AND p.status <> 'draft'".into());
            conds.push(format!("p.creator_id = {}", push(Bind::Uuid(c))));
        }
        None => conds.push("p.is_public AND p.status <> 'draft'".into()),
    }
    if let Some(slug) = &params.category {
        conds.push(format!(
            "p.category_id = (SELECT id FROM poll_categories WHERE slug = {})",
            push(Bind::Text(slug.clone()))
        ));
    }
    match params.status {
        Some(StatusFilter::Open) => {
            conds.push(
                "p.status = 'open' AND (p.expires_at IS NULL OR p.expires_at > now())".into(),
            );
        }
        Some(StatusFilter::Closed) => conds
            .push("(p.status = 'closed' OR (p.status = 'open' AND p.expires_at <= now()))".into()),
        None => {}
    }
    let mut rank = None;
    if let Some(q) = &params.tsquery {
        let n = push(Bind::Text(q.clone()));
        conds.push(format!("p.search_doc @@ to_tsquery('english', {n})"));
        rank = Some(n);
    }
    // Every order ends on the id, so it is total and pages neither repeat nor skip.
    let order = match (params.sort, rank) {
        (Sort::Relevance, Some(n)) if !huge => {
            format!("ts_rank_cd(p.search_doc, to_tsquery('english', {n})) DESC, p.id")
        }
        (Sort::Popular, _) | (Sort::Relevance, Some(_)) => "p.voters_count DESC, p.id".into(),
        (Sort::Trending, _) => "p.trend_score DESC, p.id".into(),
        (Sort::Recent | Sort::Relevance, _) => "p.created_at DESC, p.id".into(),
    };
    (conds.join(" AND "), order, binds)
}

fn bind_all<'q, O>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    binds: Vec<Bind>,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    for b in binds {
        q = match b {
            Bind::Uuid(u) => q.bind(u),
            Bind::Text(t) => q.bind(t),
        };
    }
    q
}

/// One page of polls and the list's total (counted up to `MAX_OFFSET` + the page, so a count
/// never scans more than the deepest page could).
pub(crate) async fn list(
    pool: &PgPool,
    params: &ListParams,
    viewer: Option<Uuid>,
) -> Result<(Vec<SummaryRow>, i64), DbError> {
    if params.tsquery.is_some() {
        return search(pool, params, viewer).await;
    }
    let (conds, order, binds) = clauses(params, viewer, false);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM polls p JOIN users u ON u.id = p.creator_id \
         LEFT JOIN poll_categories c ON c.id = p.category_id WHERE {conds} ORDER BY {order} \
         LIMIT {} OFFSET {}",
        params.paging.per_page,
        params.paging.offset()
    );
    // Built from constant fragments and validated integers; client text is only bound.
    let rows = bind_all(
        sqlx::query_as::<_, SummaryRow>(sqlx::AssertSqlSafe(sql)),
        binds,
    )
    .fetch_all(pool)
    .await?;
    let (conds, _, binds) = clauses(params, viewer, false);
    let cap = MAX_OFFSET + params.paging.per_page;
    let sql = format!("SELECT count(*) FROM (SELECT 1 FROM polls p WHERE {conds} LIMIT {cap}) t");
    let (total,): (i64,) = bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), binds)
        .fetch_one(pool)
        .await?;
    Ok((rows, total))
}

/// A page of a search: its matches counted up to `SEARCH_MAX + 1`, then ranked when there are
/// at most `SEARCH_MAX`, listed by popularity when there are more (see `SEARCH_MAX` for why).
/// The total is capped at `SEARCH_MAX`.
async fn search(
    pool: &PgPool,
    params: &ListParams,
    viewer: Option<Uuid>,
) -> Result<(Vec<SummaryRow>, i64), DbError> {
    let (conds, order, binds) = clauses(params, viewer, false);
    let offset = params.paging.offset();
    let matches = if params.sort == Sort::Relevance {
        // Counted and, when there are few enough, ranked in one pass over the matches (the
        // recheck and the rank are what a search costs; reading them twice doubled it). The
        // CTE is named `p` so that `order` applies to it.
        let sql = format!(
            "WITH m AS MATERIALIZED (SELECT p.id, p.search_doc FROM polls p WHERE {conds} \
               LIMIT {cap}), n AS (SELECT count(*) AS n FROM m) \
             SELECT n.n, CASE WHEN n.n <= {max} THEN ARRAY(SELECT p.id FROM m p \
               ORDER BY {order} LIMIT {per_page} OFFSET {offset}) END FROM n",
            cap = SEARCH_MAX + 1,
            max = SEARCH_MAX,
            per_page = params.paging.per_page,
        );
        // Built from constant fragments; client text is only bound.
        let (matches, ranked): (i64, Option<Vec<Uuid>>) =
            bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), binds)
                .fetch_one(pool)
                .await?;
        if let Some(ids) = ranked {
            let mut rows = summaries(pool, &ids).await?;
            rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
            return Ok((rows, matches));
        }
        matches
    } else {
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM polls p WHERE {conds} LIMIT {}) t",
            SEARCH_MAX + 1
        );
        // Built from constant fragments; client text is only bound.
        let (matches,): (i64,) = bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), binds)
            .fetch_one(pool)
            .await?;
        matches
    };
    let total = matches.min(i64::from(SEARCH_MAX));
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    let limit = i64::from(params.paging.per_page).min(total - offset);
    let (conds, order, binds) = clauses(params, viewer, matches > total);
    // The page's ids first, then their details: joined in one query, the planner (which cannot
    // estimate a prefix search's matches) hashed all 50,000 users for a page of 27 matches.
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM (SELECT p.id FROM polls p WHERE {conds} \
           ORDER BY {order} LIMIT {limit} OFFSET {offset}) page \
         JOIN polls p ON p.id = page.id JOIN users u ON u.id = p.creator_id \
         LEFT JOIN poll_categories c ON c.id = p.category_id ORDER BY {order}"
    );
    let rows = bind_all(
        sqlx::query_as::<_, SummaryRow>(sqlx::AssertSqlSafe(sql)),
        binds,
    )
    .fetch_all(pool)
    .await?;
    Ok((rows, total))
}

/// Which of `polls` `user` likes.
pub(crate) async fn liked_among(
    pool: &PgPool,
    user: Uuid,
    polls: &[Uuid],
) -> Result<Vec<Uuid>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT poll_id FROM poll_likes WHERE user_id = $1 AND poll_id = ANY($2)",
    )
    .bind(user)
    .bind(polls)
    .fetch_all(pool)
    .await?)
}

/// Writes the activity buffered since the last flush: the latest exact counts each poll's
/// votes reported, and the log-space trending weight to add (see `domain::poll::discovery`).
pub(crate) async fn apply_activity(
    pool: &PgPool,
    ids: &[Uuid],
    voters: &[i64],
    votes: &[i64],
    weights: &[Option<f64>],
) -> Result<(), DbError> {
    // voters/votes < 0: no vote seen (likes only), keep the stored count; a NULL weight: no
    // trend weight to add (counters only). The log-space sum is `max + ln(1 + exp(-|a - b|))`;
    // Postgres raises on `exp` underflow, and past 700 the term is below 1e-300 anyway, hence
    // the `LEAST`.
    sqlx::query(
        "UPDATE polls p SET \
           voters_count = CASE WHEN a.voters < 0 THEN p.voters_count ELSE a.voters END, \
           votes_count = CASE WHEN a.votes < 0 THEN p.votes_count ELSE a.votes END, \
           trend_score = CASE WHEN a.w IS NULL THEN p.trend_score ELSE \
             GREATEST(p.trend_score, a.w) \
             + ln(1 + exp(-LEAST(abs(p.trend_score - a.w), 700))) END \
         FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::float8[]) AS a(id, voters, votes, w) \
         WHERE p.id = a.id",
    )
    .bind(ids)
    .bind(voters)
    .bind(votes)
    .bind(weights)
    .execute(pool)
    .await?;
    Ok(())
}

/// A public profile: never the email; counts over public, published polls only.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ProfileRow {
    pub id: Uuid,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub polls_created: i64,
    pub votes_cast: i64,
    pub likes_received: i64,
}

pub(crate) async fn profile(pool: &PgPool, id: Uuid) -> Result<Option<ProfileRow>, DbError> {
    Ok(sqlx::query_as::<_, ProfileRow>(
        "SELECT u.id, u.display_name, u.created_at, \
           (SELECT count(*) FROM polls p WHERE p.creator_id = u.id \
              AND p.is_public AND p.status <> 'draft') AS polls_created, \
           (SELECT count(*) FROM poll_ballots b JOIN polls p ON p.id = b.poll_id \
              WHERE b.user_id = u.id AND p.is_public AND p.status <> 'draft') AS votes_cast, \
           (SELECT coalesce(sum(p.likes_count), 0)::int8 FROM polls p WHERE p.creator_id = u.id \
              AND p.is_public AND p.status <> 'draft') AS likes_received \
         FROM users u WHERE u.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// The summaries of `ids` (in no particular order).
pub(crate) async fn summaries(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<SummaryRow>, DbError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM polls p JOIN users u ON u.id = p.creator_id \
         LEFT JOIN poll_categories c ON c.id = p.category_id WHERE p.id = ANY($1)"
    );
    // Built from constants only.
    Ok(sqlx::query_as::<_, SummaryRow>(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .fetch_all(pool)
        .await?)
}

/// A user's ballots, newest first (ties by poll id): poll, chosen options, when.
pub(crate) async fn votes_of(
    pool: &PgPool,
    user: Uuid,
    limit: u32,
    offset: i64,
) -> Result<Vec<(Uuid, Vec<Uuid>, DateTime<Utc>)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT poll_id, option_ids, voted_at FROM poll_ballots WHERE user_id = $1 \
         ORDER BY voted_at DESC, poll_id LIMIT $2 OFFSET $3",
    )
    .bind(user)
    .bind(i64::from(limit))
    .bind(offset)
    .fetch_all(pool)
    .await?)
}

/// The polls a user likes, most recently liked first (ties by poll id).
pub(crate) async fn likes_of(
    pool: &PgPool,
    user: Uuid,
    limit: u32,
    offset: i64,
) -> Result<Vec<Uuid>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT poll_id FROM poll_likes WHERE user_id = $1 \
         ORDER BY liked_at DESC, poll_id LIMIT $2 OFFSET $3",
    )
    .bind(user)
    .bind(i64::from(limit))
    .bind(offset)
    .fetch_all(pool)
    .await?)
}
