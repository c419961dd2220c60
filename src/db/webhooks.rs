//! Webhooks and their outbox in Postgres (see the `webhooks` migration): registration, the
//! enqueueing of an event's deliveries on the caller's transaction, the workers' claim (a lease,
//! taken `FOR UPDATE SKIP LOCKED`, so two nodes never send one delivery at once), each
//! attempt's record and the delivery log.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use uuid::Uuid;

use super::DbError;

/// What a webhook listens to: one poll, one room, or everything of its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Poll(Uuid),
    Room(Uuid),
    Owner,
}

impl Scope {
    fn ids(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Scope::Poll(p) => (Some(p), None),
            Scope::Room(r) => (None, Some(r)),
            Scope::Owner => (None, None),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct WebhookRow {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AttemptRow {
    pub webhook_id: Uuid,
    pub delivery_id: Uuid,
    pub event: String,
    pub attempt: i32,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub at: DateTime<Utc>,
}

/// A new webhook; `Ok(None)` when the scope already has `limit` of them (nothing written).
/// Registrations of one owner are serialised by an advisory lock, so two at once cannot both
/// pass the limit.
pub(crate) async fn insert(
    pool: &PgPool,
    owner: Uuid,
    scope: Scope,
    url: &str,
    secret: &str,
    events: &[String],
    limit: i64,
) -> Result<Option<WebhookRow>, DbError> {
    let (poll, room) = scope.ids();
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || $1::text, 0))")
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    let taken: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM webhooks WHERE owner_id = $1 AND retired_at IS NULL \
         AND poll_id IS NOT DISTINCT FROM $2 AND room_id IS NOT DISTINCT FROM $3",
    )
    .bind(owner)
    .bind(poll)
    .bind(room)
    .fetch_one(&mut *tx)
    .await?;
    if taken >= limit {
        return Ok(None);
    }
    let row = sqlx::query_as::<_, WebhookRow>(
        "INSERT INTO webhooks (id, owner_id, poll_id, room_id, url, secret, events) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, url, events, created_at",
    )
    .bind(Uuid::new_v4())
    .bind(owner)
    .bind(poll)
    .bind(room)
    .bind(url)
    .bind(secret)
    .bind(events)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}

/// The live webhooks of `owner` in `scope`, oldest first.
pub(crate) async fn list(
    pool: &PgPool,
    owner: Uuid,
    scope: Scope,
) -> Result<Vec<WebhookRow>, DbError> {
    let (poll, room) = scope.ids();
    Ok(sqlx::query_as::<_, WebhookRow>(
        "SELECT id, url, events, created_at FROM webhooks WHERE owner_id = $1 \
         AND retired_at IS NULL AND poll_id IS NOT DISTINCT FROM $2 \
         AND room_id IS NOT DISTINCT FROM $3 ORDER BY created_at, id",
    )
    .bind(owner)
    .bind(poll)
    .bind(room)
    .fetch_all(pool)
    .await?)
}

/// The last `per_hook` attempts of each of `hooks`, newest first.
pub(crate) async fn attempts(
    pool: &PgPool,
    hooks: &[Uuid],
    per_hook: i64,
) -> Result<Vec<AttemptRow>, DbError> {
    Ok(sqlx::query_as::<_, AttemptRow>(
        "SELECT a.webhook_id, a.delivery_id, a.event, a.attempt, a.status, a.error, \
         a.duration_ms, a.at FROM unnest($1::uuid[]) AS h(id) CROSS JOIN LATERAL \
         (SELECT * FROM webhook_attempts x WHERE x.webhook_id = h.id ORDER BY x.id DESC LIMIT $2) a \
         ORDER BY a.webhook_id, a.id DESC",
    )
    .bind(hooks)
    .bind(per_hook)
    .fetch_all(pool)
    .await?)
}

/// How many deliveries of each of `hooks` are still to be sent.
pub(crate) async fn pending(pool: &PgPool, hooks: &[Uuid]) -> Result<Vec<(Uuid, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT webhook_id, count(*) FROM webhook_deliveries \
         WHERE webhook_id = ANY($1) AND state = 'pending' GROUP BY webhook_id",
    )
    .bind(hooks)
    .fetch_all(pool)
    .await?)
}

/// Deletes a webhook of `owner` in `scope` (its outbox and log go with it); whether there was one.
pub(crate) async fn delete(
    pool: &PgPool,
    owner: Uuid,
    scope: Scope,
    id: Uuid,
) -> Result<bool, DbError> {
    let (poll, room) = scope.ids();
    let n = sqlx::query(
        "DELETE FROM webhooks WHERE id = $1 AND owner_id = $2 AND retired_at IS NULL \
         AND poll_id IS NOT DISTINCT FROM $3 AND room_id IS NOT DISTINCT FROM $4",
    )
    .bind(id)
    .bind(owner)
    .bind(poll)
    .bind(room)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Whether `owner` has a live webhook on room `room` (a host who has since handed it over).
pub(crate) async fn owns_in_room(pool: &PgPool, room: Uuid, owner: Uuid) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM webhooks \
         WHERE room_id = $1 AND owner_id = $2 AND retired_at IS NULL)",
    )
    .bind(room)
    .bind(owner)
    .fetch_one(pool)
    .await?)
}

/// Whose webhooks an event goes to: those of its poll, those of its room that its host
/// registered (a host who handed the room over hears no more of its games), and the
/// owner-wide ones of `owner` (the poll's creator, the game's host).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Audience {
    pub poll: Option<Uuid>,
    pub room: Option<Uuid>,
    pub owner: Uuid,
}

const MATCH: &str = "w.retired_at IS NULL AND $4 = ANY(w.events) AND \
    (($1::uuid IS NOT NULL AND w.poll_id = $1) \
     OR ($2::uuid IS NOT NULL AND w.room_id = $2 AND w.owner_id = $3) \
     OR (w.poll_id IS NULL AND w.room_id IS NULL AND w.owner_id = $3))";

/// Whether any webhook takes `event` for `to` (so the caller builds a payload only then).
pub(crate) async fn listening(
    conn: &mut PgConnection,
    to: Audience,
    event: &str,
) -> Result<bool, DbError> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM webhooks w WHERE {MATCH})");
    // Built from constants only.
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(to.poll)
        .bind(to.room)
        .bind(to.owner)
        .bind(event)
        .fetch_one(conn)
        .await?)
}

/// Writes one delivery of `event` per webhook that takes it, on the caller's transaction (so the
/// event is enqueued if and only if its change commits). Each takes its webhook's next
/// sequence number, which locks the webhook's row until the transaction ends: per webhook,
/// sequence order is commit order. The rows are locked in id order first (`FOR UPDATE`
/// behind `ORDER BY`): two events whose audiences share webhooks (two polls of one owner with
/// account-wide webhooks, a game's end beside a poll's close) would otherwise lock them in
/// whatever order each plan scans them, and could deadlock. With `dedupe`, a webhook that
/// already has a delivery with that key gets none. Returns how many were written.
pub(crate) async fn enqueue(
    conn: &mut PgConnection,
    to: Audience,
    event: &str,
    payload: &Value,
    dedupe: Option<&str>,
) -> Result<u64, DbError> {
    let sql = format!(
        "WITH locked AS (SELECT w.id FROM webhooks w WHERE {MATCH} ORDER BY w.id FOR UPDATE), \
              hooks AS (UPDATE webhooks w SET next_seq = w.next_seq + 1 FROM locked \
                        WHERE w.id = locked.id RETURNING w.id, w.next_seq) \
         INSERT INTO webhook_deliveries (id, webhook_id, seq, event, payload, dedupe_key) \
         SELECT gen_random_uuid(), h.id, h.next_seq, $4, $5, $6 FROM hooks h \
         ON CONFLICT (webhook_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to.poll)
        .bind(to.room)
        .bind(to.owner)
        .bind(event)
        .bind(payload)
        .bind(dedupe)
        .execute(conn)
        .await?
        .rows_affected())
}

/// A deleted poll's webhooks take no further events; they are removed once their outbox is
/// empty (`prune`).
pub(crate) async fn retire_poll(conn: &mut PgConnection, poll: Uuid) -> Result<(), DbError> {
    sqlx::query("UPDATE webhooks SET retired_at = now() WHERE poll_id = $1 AND retired_at IS NULL")
        .bind(poll)
        .execute(conn)
        .await?;
    Ok(())
}

/// A delivery a worker holds the lease of, with what it needs to send it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Claimed {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    pub payload: Value,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub url: String,
    pub secret: String,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Leases up to `limit` due deliveries for `lease`: of each webhook only its pending delivery
/// with the lowest sequence number (the next one is not sent before it succeeds or is given
/// up). Rows another node is claiming are skipped; one another node holds the lease of is not
/// due. The conditions are checked again on the row itself, so a claim that raced another's
/// sees that one's lease.
pub(crate) async fn claim(
    pool: &PgPool,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Claimed>, DbError> {
    Ok(sqlx::query_as::<_, Claimed>(
        "WITH heads AS (SELECT DISTINCT ON (webhook_id) id FROM webhook_deliveries \
                        WHERE state = 'pending' ORDER BY webhook_id, seq), \
         due AS (SELECT d.id FROM webhook_deliveries d JOIN heads h ON h.id = d.id \
                 WHERE d.state = 'pending' AND d.next_attempt_at <= now() \
                 AND (d.leased_until IS NULL OR d.leased_until < now()) \
                 ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED) \
         UPDATE webhook_deliveries d \
         SET leased_until = now() + $1 * interval '1 millisecond', attempts = d.attempts + 1 \
         FROM due, webhooks w WHERE d.id = due.id AND w.id = d.webhook_id \
         AND d.state = 'pending' AND (d.leased_until IS NULL OR d.leased_until < now()) \
         RETURNING d.id, d.webhook_id, d.event, d.payload, d.attempts, d.created_at, w.url, w.secret",
    )
    .bind(millis(lease))
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Replaces a claimed delivery's payload (a `game_ended` completed with the game's results
/// before its first attempt), so every attempt sends the same body.
pub(crate) async fn set_payload(pool: &PgPool, id: Uuid, payload: &Value) -> Result<(), DbError> {
    sqlx::query("UPDATE webhook_deliveries SET payload = $2 WHERE id = $1")
        .bind(id)
        .bind(payload)
        .execute(pool)
        .await?;
    Ok(())
}

/// How one attempt went: the answer's status, or the error when there was none.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub took: Duration,
    /// A 2xx answer.
    pub delivered: bool,
    /// When to try again if it failed.
    pub retry_in: Duration,
}

/// Attempts kept per webhook in the log.
const LOG_KEPT: i64 = 50;

/// Records an attempt of a claimed delivery and lets go of its lease: delivered, due again
/// after `retry_in`, or (older than `max_age`) failed for good. Returns the delivery's state.
pub(crate) async fn record(
    pool: &PgPool,
    d: &Claimed,
    a: &Attempt,
    max_age: Duration,
) -> Result<String, DbError> {
    let status = a.status.map(i32::from);
    let mut tx = pool.begin().await?;
    let state: String = sqlx::query_scalar(
        "UPDATE webhook_deliveries SET leased_until = NULL, last_status = $2, last_error = $3, \
         state = CASE WHEN $4 THEN 'delivered' \
                      WHEN created_at < now() - $5 * interval '1 millisecond' THEN 'failed' \
                      ELSE 'pending' END, \
         delivered_at = CASE WHEN $4 THEN now() END, \
         next_attempt_at = now() + $6 * interval '1 millisecond' \
         WHERE id = $1 AND state = 'pending' AND attempts = $7 RETURNING state",
    )
    .bind(d.id)
    .bind(status)
    .bind(a.error.as_deref())
    .bind(a.delivered)
    .bind(millis(max_age))
    .bind(millis(a.retry_in))
    .bind(d.attempts)
    .fetch_optional(&mut *tx)
    .await?
    // Nothing to record: the webhook was deleted meanwhile, or this attempt overran its lease
    // and another claim (attempts moved on) has taken the delivery over, perhaps delivered it.
    // Recording it would set a delivered row back to pending and send it once more.
    .unwrap_or_else(|| "stale".into());
    if state != "stale" {
        sqlx::query(
            "INSERT INTO webhook_attempts (webhook_id, delivery_id, event, attempt, status, \
             error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(d.webhook_id)
        .bind(d.id)
        .bind(&d.event)
        .bind(d.attempts)
        .bind(status)
        .bind(a.error.as_deref())
        .bind(i32::try_from(a.took.as_millis()).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE webhook_id = $1 AND id < \
             (SELECT id FROM webhook_attempts WHERE webhook_id = $1 ORDER BY id DESC \
              OFFSET $2 - 1 LIMIT 1)",
        )
        .bind(d.webhook_id)
        .bind(LOG_KEPT)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(state)
}

/// Forgets deliveries done (sent or given up) more than `keep` ago, and retired webhooks with
/// nothing left to send.
pub(crate) async fn prune(pool: &PgPool, keep: Duration) -> Result<(), DbError> {
    sqlx::query(
        "DELETE FROM webhook_deliveries WHERE state <> 'pending' \
         AND created_at < now() - $1 * interval '1 millisecond'",
    )
    .bind(millis(keep))
    .execute(pool)
    .await?;
    sqlx::query(
        "DELETE FROM webhooks w WHERE retired_at IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 'pending')",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The event a game's end enqueues (on the group commit's transaction), for the webhooks of its
/// room and its host's own. The payload names the game; the results are added when it is sent.
pub(crate) async fn game_ended(
    conn: &mut PgConnection,
    game: Uuid,
    room: Uuid,
    host: Uuid,
) -> Result<(), DbError> {
    let to = Audience {
        poll: None,
        room: Some(room),
        owner: host,
    };
    let payload = serde_json::json!({"game": {"id": game}});
    enqueue(conn, to, GAME_ENDED, &payload, None).await?;
    Ok(())
}

/// The event name of a game's end.
pub(crate) const GAME_ENDED: &str = "game_ended";

/// A room by its code (upper case): its id, its host, and whether it is closed.
pub(crate) async fn room(pool: &PgPool, code: &str) -> Result<Option<(Uuid, Uuid, bool)>, DbError> {
    Ok(
        sqlx::query_as("SELECT id, host_id, closed_at IS NOT NULL FROM rooms WHERE code = $1")
            .bind(code)
            .fetch_optional(pool)
            .await?,
    )
}
