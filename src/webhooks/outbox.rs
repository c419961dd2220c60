//! Enqueueing poll events: the calls the poll service makes inside the transaction of the change
//! (created, published, closed, reopened, deleted), so a committed change always has its
//! deliveries and a rolled-back one never; and the vote thresholds, noticed after a vote's
//! commit from the counts it produced, enqueued once per webhook and threshold whichever node
//! notices (a dedupe key).

use chrono::Utc;
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::Event;
use crate::db::{
    self, DbError,
    polls::PollRecord,
    webhooks::{Audience, enqueue, listening},
};

/// Ballot counts that are news: the first vote, then each power of ten.
pub(crate) const THRESHOLDS: [i64; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// The poll as a webhook's payload carries it, with its counts at the moment of the event.
fn poll_payload(r: &PollRecord, options: &[(Uuid, i64)], voters: i64) -> Value {
    let p = &r.poll;
    let votes = |id: Uuid| {
        options
            .iter()
            .find(|(o, _)| *o == id)
            .map_or(0, |(_, n)| *n)
    };
    let opts: Vec<Value> = r
        .options
        .iter()
        .map(|o| json!({"id": o.id, "text": o.text, "position": o.position, "votes": votes(o.id)}))
        .collect();
    json!({
        "id": p.id,
        "code": p.code,
        "question": p.question,
        "description": p.description,
        "status": p.status,
        "creator_id": p.creator_id,
        "is_public": p.is_public,
        "allow_multiple": p.allow_multiple,
        "max_choices": p.max_choices,
        "created_at": p.created_at,
        "closed_at": p.closed_at,
        "expires_at": p.expires_at,
        "options": opts,
        "total_votes": r.options.iter().map(|o| votes(o.id)).sum::<i64>(),
        "voters": voters,
    })
}

/// Enqueues `event` for poll `id` on the caller's transaction, with the poll as it is in that
/// transaction. Costs one read of the poll and one `EXISTS` when nobody listens.
pub(crate) async fn poll_event(
    conn: &mut PgConnection,
    id: Uuid,
    event: Event,
) -> Result<(), DbError> {
    poll_event_with(conn, id, event, None, json!({})).await
}

async fn poll_event_with(
    conn: &mut PgConnection,
    id: Uuid,
    event: Event,
    dedupe: Option<&str>,
    extra: Value,
) -> Result<(), DbError> {
    let Some(record) = db::polls::load(conn, id, false).await? else {
        return Ok(());
    };
    let to = Audience {
        poll: Some(id),
        room: None,
        owner: record.poll.creator_id,
    };
    if !listening(conn, to, event.as_str()).await? {
        return Ok(());
    }
    let (options, voters) = db::ballots::count(conn, id).await?;
    let mut payload = json!({"poll": poll_payload(&record, &options, voters)});
    if let (Some(obj), Value::Object(more)) = (payload.as_object_mut(), extra) {
        obj.extend(more);
    }
    enqueue(conn, to, event.as_str(), &payload, dedupe).await?;
    Ok(())
}

/// `poll_deleted`, then the poll's own webhooks are retired (they take nothing more, and go
/// once this last delivery is done). Call before the poll's row is deleted.
pub(crate) async fn poll_deleted(conn: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    poll_event(conn, id, Event::PollDeleted).await?;
    db::webhooks::retire_poll(conn, id).await
}

/// After a vote's commit: when the poll's ballot count is exactly a threshold, enqueues
/// `poll_votes_reached` behind the answer (once per webhook and threshold, whoever notices:
/// a withdrawn vote and a new one reach it again, and two nodes may both see it).
pub(crate) fn votes_counted(pool: &PgPool, poll: Uuid, voters: i64) {
    if !THRESHOLDS.contains(&voters) {
        return;
    }
    let pool = pool.clone();
    tokio::spawn(async move {
        let result = async {
            let mut tx = pool.begin().await?;
            // Per poll: an account-wide webhook hears every poll of its owner reach each
            // threshold, not only the first.
            let key = format!("votes:{poll}:{voters}");
            let extra = json!({"threshold": voters, "reached_at": Utc::now()});
            poll_event_with(&mut tx, poll, Event::VotesReached, Some(&key), extra).await?;
            tx.commit().await?;
            Ok::<_, DbError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, poll = %poll, voters, "a vote threshold's webhook event was not enqueued");
        }
    });
}
