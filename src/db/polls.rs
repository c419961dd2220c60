//! Polls, their options and the categories in Postgres. Every write takes the caller's
//! transaction, so the service can add the audit entry to the same one.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::DbError;
use crate::domain::poll::{
    PollState, PollStatus,
    kind::PollKind,
    text::{Moderation, TextSettings},
};

const POLL_COLUMNS: &str = "p.id, p.code, p.creator_id, u.display_name AS creator_name, p.question, \
    p.description, p.kind, p.status, p.allow_multiple, p.max_choices, p.is_public, p.allow_anonymous, \
    p.expires_at, p.created_at, p.updated_at, p.closed_at, \
    p.text_max_length, p.text_answers_per_voter, p.text_moderation, \
    c.id AS category_id, c.slug AS category_slug, c.name AS category_name, \
    c.description AS category_description";

const POLL_FROM: &str = "FROM polls p JOIN users u ON u.id = p.creator_id \
    LEFT JOIN poll_categories c ON c.id = p.category_id";

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PollRow {
    pub id: Uuid,
    /// The short code (`/p/CODE`).
    pub code: String,
    pub creator_id: Uuid,
    pub creator_name: String,
    pub question: String,
    pub description: String,
    /// `choice`, `ranked` or `text` (`domain::poll::kind`).
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
    /// A text poll's settings (NULL on the other kinds, see the text polls migration).
    pub text_max_length: Option<i32>,
    pub text_answers_per_voter: Option<i32>,
    pub text_moderation: Option<String>,
    pub category_id: Option<Uuid>,
    pub category_slug: Option<String>,
    pub category_name: Option<String>,
    pub category_description: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct OptionRow {
    pub id: Uuid,
    pub text: String,
    pub position: i32,
}

/// A poll with its options in position order.
#[derive(Debug, Clone)]
pub(crate) struct PollRecord {
    pub poll: PollRow,
    pub options: Vec<OptionRow>,
    /// Who it was read for (`get_as`), and for them: the poll's likes and whether they like
    /// it, read with the poll so that a vote's answer needs no further round trip.
    pub reader: Option<Uuid>,
    pub likes: i64,
    pub liked_by_me: bool,
}

impl PollRecord {
    /// What the domain rules need (`has_votes` is the caller's to fill when it matters).
    pub(crate) fn state(&self, has_votes: bool) -> PollState {
        PollState {
            creator_id: self.poll.creator_id,
            kind: PollKind::parse(&self.poll.kind).unwrap_or_default(),
            status: PollStatus::parse(&self.poll.status).unwrap_or(PollStatus::Closed),
            allow_multiple: self.poll.allow_multiple,
            max_choices: u32::try_from(self.poll.max_choices).unwrap_or(1),
            expires_at: self.poll.expires_at,
            option_ids: self.options.iter().map(|o| o.id).collect(),
            has_votes,
        }
    }
}

impl PollRow {
    /// A text poll's settings (`None` for the other kinds).
    pub(crate) fn text_settings(&self) -> Option<TextSettings> {
        Some(TextSettings {
            max_length: u32::try_from(self.text_max_length?).ok()?,
            answers_per_voter: u32::try_from(self.text_answers_per_voter?).ok()?,
            moderation: Moderation::parse(self.text_moderation.as_deref()?)?,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CategoryRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub poll_count: i64,
}

/// The poll row with its options folded in as parallel arrays, so that a poll is one round
/// trip: this read is in front of every vote.
#[derive(sqlx::FromRow)]
struct PollWithOptions {
    #[sqlx(flatten)]
    poll: PollRow,
    option_ids: Vec<Uuid>,
    option_texts: Vec<String>,
    option_positions: Vec<i32>,
    likes_count: i64,
    liked_by_me: bool,
}

const OPTION_ARRAYS: &str = "\
    ARRAY(SELECT o.id FROM poll_options o WHERE o.poll_id = p.id ORDER BY o.position, o.id) \
        AS option_ids, \
    ARRAY(SELECT o.text FROM poll_options o WHERE o.poll_id = p.id ORDER BY o.position, o.id) \
        AS option_texts, \
    ARRAY(SELECT o.position FROM poll_options o WHERE o.poll_id = p.id \
        ORDER BY o.position, o.id) AS option_positions";

/// A poll and its options, read on `conn` (`lock`: and the poll row locked until the
/// transaction ends, so edits of one poll happen one at a time).
pub(crate) async fn load(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<PollRecord>, DbError> {
    load_as(conn, id, lock, None).await
}

/// [`load`], with the likes as `reader` sees them.
async fn load_as(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
    reader: Option<Uuid>,
) -> Result<Option<PollRecord>, DbError> {
    let sql = format!(
        "SELECT {POLL_COLUMNS}, {OPTION_ARRAYS}, p.likes_count, \
         EXISTS (SELECT 1 FROM poll_likes l WHERE l.poll_id = p.id AND l.user_id = $2) \
         AS liked_by_me {POLL_FROM} WHERE p.id = $1{}",
        if lock { " FOR UPDATE OF p" } else { "" }
    );
    // Built from constants only: no client input in the text.
    let Some(row) = sqlx::query_as::<_, PollWithOptions>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(reader)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let options = row
        .option_ids
        .into_iter()
        .zip(row.option_texts)
        .zip(row.option_positions)
        .map(|((id, text), position)| OptionRow { id, text, position })
        .collect();
    Ok(Some(PollRecord {
        poll: row.poll,
        options,
        reader,
        likes: row.likes_count,
        liked_by_me: row.liked_by_me,
    }))
}

pub(crate) async fn get(pool: &PgPool, id: Uuid) -> Result<Option<PollRecord>, DbError> {
    get_as(pool, id, None).await
}

/// [`get`] for `reader`: the record's `liked_by_me` is theirs.
pub(crate) async fn get_as(
    pool: &PgPool,
    id: Uuid,
    reader: Option<Uuid>,
) -> Result<Option<PollRecord>, DbError> {
    let mut conn = pool.acquire().await?;
    load_as(&mut conn, id, false, reader).await
}

/// The id of the poll with `code` (normalised: upper case), if any.
pub(crate) async fn id_by_code(pool: &PgPool, code: &str) -> Result<Option<Uuid>, DbError> {
    Ok(sqlx::query_scalar("SELECT id FROM polls WHERE code = $1")
        .bind(code)
        .fetch_optional(pool)
        .await?)
}

/// The fields of a new poll row.
pub(crate) struct NewPollRow<'a> {
    pub id: Uuid,
    pub code: &'a str,
    pub creator_id: Uuid,
    pub question: &'a str,
    pub description: &'a str,
    pub category_id: Option<Uuid>,
    pub status: PollStatus,
    pub kind: PollKind,
    pub allow_multiple: bool,
    pub max_choices: u32,
    pub is_public: bool,
    pub allow_anonymous: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub text: Option<TextSettings>,
}

/// Writes a new poll and its options; `Ok(false)`, with nothing written, when another poll
/// has `p.code` (the caller draws another). `ON CONFLICT` rather than a caught unique
/// violation: that would abort the caller's transaction. Two creations racing for one code are
/// ordered by the unique index: the second waits for the first and then writes nothing.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    p: &NewPollRow<'_>,
    options: &[String],
) -> Result<bool, DbError> {
    let written = sqlx::query(
        "INSERT INTO polls (id, creator_id, question, description, category_id, status, \
         allow_multiple, max_choices, is_public, allow_anonymous, expires_at, code, kind, \
         text_max_length, text_answers_per_voter, text_moderation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(p.id)
    .bind(p.creator_id)
    .bind(p.question)
    .bind(p.description)
    .bind(p.category_id)
    .bind(p.status.as_str())
    .bind(p.allow_multiple)
    .bind(i32::try_from(p.max_choices).unwrap_or(1))
    .bind(p.is_public)
    .bind(p.allow_anonymous)
    .bind(p.expires_at)
    .bind(p.code)
    .bind(p.kind.as_str())
    .bind(p.text.and_then(|t| i32::try_from(t.max_length).ok()))
    .bind(p.text.and_then(|t| i32::try_from(t.answers_per_voter).ok()))
    .bind(p.text.map(|t| t.moderation.as_str()))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if written == 0 {
        return Ok(false);
    }
    let ids: Vec<Uuid> = options.iter().map(|_| Uuid::new_v4()).collect();
    let positions: Vec<i32> = (0..options.len())
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect();
    sqlx::query(
        "INSERT INTO poll_options (id, poll_id, text, position) \
         SELECT o.id, $1, o.text, o.position FROM unnest($2::uuid[], $3::text[], $4::int[]) \
         AS o(id, text, position)",
    )
    .bind(p.id)
    .bind(&ids)
    .bind(options)
    .bind(&positions)
    .execute(conn)
    .await?;
    Ok(true)
}

/// The editable fields of a poll; `None` leaves one unchanged (`Some(None)` clears a nullable).
#[derive(Debug, Default)]
pub(crate) struct PollChanges {
    pub question: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<Option<Uuid>>,
    pub is_public: Option<bool>,
    pub allow_anonymous: Option<bool>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
    pub max_choices: Option<u32>,
}

pub(crate) async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    c: &PollChanges,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE polls SET question = COALESCE($2, question), \
         description = COALESCE($3, description), \
         category_id = CASE WHEN $4 THEN $5 ELSE category_id END, \
         is_public = COALESCE($6, is_public), allow_anonymous = COALESCE($7, allow_anonymous), \
         expires_at = CASE WHEN $8 THEN $9 ELSE expires_at END, \
         max_choices = COALESCE($10, max_choices), updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(c.question.as_deref())
    .bind(c.description.as_deref())
    .bind(c.category_id.is_some())
    .bind(c.category_id.flatten())
    .bind(c.is_public)
    .bind(c.allow_anonymous)
    .bind(c.expires_at.is_some())
    .bind(c.expires_at.flatten())
    .bind(c.max_choices.and_then(|n| i32::try_from(n).ok()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a poll changed (an option added, edited or removed): `updated_at` is what watchers
/// of the poll look at (`polls::watch`).
pub(crate) async fn touch(conn: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    sqlx::query("UPDATE polls SET updated_at = now() WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// When each of `ids` that still exists was last changed, in one query.
pub(crate) async fn updated_at(
    pool: &PgPool,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, DateTime<Utc>>, DbError> {
    let rows: Vec<(Uuid, DateTime<Utc>)> =
        sqlx::query_as("SELECT id, updated_at FROM polls WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().collect())
}

pub(crate) async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: PollStatus,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE polls SET status = $2, updated_at = now(), \
         closed_at = CASE WHEN $2 = 'closed' THEN now() ELSE NULL END WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn delete(conn: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    sqlx::query("DELETE FROM polls WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Closes open polls whose expiry has passed (among `only`, or any), at most `limit`; returns
/// their ids. The `WHERE status = 'open'` and `SKIP LOCKED` make each close happen once,
/// whichever node's sweep runs it.
pub(crate) async fn close_expired(
    conn: &mut PgConnection,
    only: Option<&[Uuid]>,
    limit: i64,
) -> Result<Vec<Uuid>, DbError> {
    Ok(sqlx::query_scalar(
        "UPDATE polls SET status = 'closed', closed_at = expires_at, updated_at = now() \
         WHERE id IN (SELECT id FROM polls WHERE status = 'open' AND expires_at <= now() \
                      AND ($1::uuid[] IS NULL OR id = ANY($1)) \
                      ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         AND status = 'open' RETURNING id",
    )
    .bind(only)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

// Options.

pub(crate) async fn insert_option(
    conn: &mut PgConnection,
    poll: Uuid,
    text: &str,
) -> Result<OptionRow, DbError> {
    Ok(sqlx::query_as::<_, OptionRow>(
        "INSERT INTO poll_options (id, poll_id, text, position) \
         SELECT $1, $2, $3, COALESCE(max(position) + 1, 0) FROM poll_options WHERE poll_id = $2 \
         RETURNING id, text, position",
    )
    .bind(Uuid::new_v4())
    .bind(poll)
    .bind(text)
    .fetch_one(conn)
    .await?)
}

pub(crate) async fn update_option(
    conn: &mut PgConnection,
    option: Uuid,
    text: &str,
) -> Result<OptionRow, DbError> {
    Ok(sqlx::query_as::<_, OptionRow>(
        "UPDATE poll_options SET text = $2 WHERE id = $1 RETURNING id, text, position",
    )
    .bind(option)
    .bind(text)
    .fetch_one(conn)
    .await?)
}

pub(crate) async fn delete_option(conn: &mut PgConnection, option: Uuid) -> Result<(), DbError> {
    sqlx::query("DELETE FROM poll_options WHERE id = $1")
        .bind(option)
        .execute(conn)
        .await?;
    Ok(())
}

// Categories.

pub(crate) async fn categories(pool: &PgPool) -> Result<Vec<CategoryRow>, DbError> {
    Ok(sqlx::query_as::<_, CategoryRow>(
        "SELECT c.id, c.slug, c.name, c.description, \
         (SELECT count(*) FROM polls p WHERE p.category_id = c.id AND p.is_public \
          AND p.status <> 'draft') AS poll_count \
         FROM poll_categories c ORDER BY c.slug",
    )
    .fetch_all(pool)
    .await?)
}

pub(crate) async fn category_id(pool: &PgPool, slug: &str) -> Result<Option<Uuid>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM poll_categories WHERE slug = $1")
            .bind(slug)
            .fetch_optional(pool)
            .await?,
    )
}

pub(crate) async fn insert_category(
    pool: &PgPool,
    slug: &str,
    name: &str,
    description: &str,
) -> Result<CategoryRow, DbError> {
    Ok(sqlx::query_as::<_, CategoryRow>(
        "INSERT INTO poll_categories (slug, name, description) VALUES ($1, $2, $3) \
         RETURNING id, slug, name, description, 0::bigint AS poll_count",
    )
    .bind(slug)
    .bind(name)
    .bind(description)
    .fetch_one(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    //! The code clash path of [`insert`], which a random draw almost never takes: here the
    //! clash is made on purpose.

    use super::*;

    async fn account(pool: &PgPool) -> Uuid {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, 'A', 'x')",
        )
        .bind(id)
        .bind(format!("{id}@example.com"))
        .execute(pool)
        .await
        .expect("user");
        id
    }

    fn row(creator_id: Uuid, code: &str) -> NewPollRow<'_> {
        NewPollRow {
            id: Uuid::new_v4(),
            code,
            creator_id,
            question: "Q?",
            description: "",
            category_id: None,
            status: PollStatus::Open,
            kind: PollKind::Choice,
            allow_multiple: false,
            max_choices: 1,
            is_public: true,
            allow_anonymous: false,
            expires_at: None,
            text: None,
        }
    }

    fn options() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    #[sqlx::test]
    async fn a_taken_code_writes_nothing_and_the_transaction_goes_on(pool: PgPool) {
        let who = account(&pool).await;
        let mut tx = pool.begin().await.expect("begin");
        assert!(
            insert(&mut tx, &row(who, "K7M2QX"), &options())
                .await
                .expect("first")
        );
        let clash = row(who, "K7M2QX");
        assert!(!insert(&mut tx, &clash, &options()).await.expect("clash"));
        // The same transaction still writes: a second draw needs no new one.
        let again = row(who, "K7M2QY");
        assert!(insert(&mut tx, &again, &options()).await.expect("again"));
        tx.commit().await.expect("commit");
        let mut conn = pool.acquire().await.expect("conn");
        assert!(
            load(&mut conn, clash.id, false)
                .await
                .expect("load")
                .is_none()
        );
        let read = load(&mut conn, again.id, false).await.expect("load");
        assert_eq!(
            read.map(|r| (r.poll.code, r.options.len())),
            Some(("K7M2QY".into(), 2))
        );
        let first = id_by_code(&pool, "K7M2QX").await.expect("by code");
        assert!(first.is_some_and(|id| id != clash.id));
    }

    #[sqlx::test]
    async fn two_creations_racing_for_one_code_write_one_poll(pool: PgPool) {
        let who = account(&pool).await;
        let opts = options();
        let race = |r: NewPollRow<'static>| {
            let pool = pool.clone();
            let opts = opts.clone();
            async move {
                let mut tx = pool.begin().await.expect("begin");
                let won = insert(&mut tx, &r, &opts).await.expect("insert");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                tx.commit().await.expect("commit");
                won
            }
        };
        let (a, b) = tokio::join!(race(row(who, "PQ7RST")), race(row(who, "PQ7RST")));
        assert!(a ^ b, "exactly one wins: {a} {b}");
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM polls WHERE code = 'PQ7RST'")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(n, 1);
    }
}
