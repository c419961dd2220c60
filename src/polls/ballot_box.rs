//! Group commit of ballots (issue 23: a hot poll at thousands of votes a second). The ballots
//! that arrive while earlier groups are being written gather into the next group, which is
//! written in one round trip and one transaction (`db::ballots::cast_many`, the
//! `cast_ballots` function): one commit, one WAL flush, one Redis delta per poll and one
//! unlock for the whole group, where each vote paid all of them on its own. Each caller is
//! answered with its own ballot's outcome, and only once the group is durable and its deltas
//! are in the cached counts: an acknowledged vote is committed, and any read after the answer
//! sees it (read-your-writes on any node), as before.
//!
//! The group size follows the load by itself, as in the game's committer (`db::committer`): at
//! most `IN_FLIGHT` groups are written at once, a lone ballot on a quiet server is written at
//! once, and a short linger lets company join only when there is some.

use sqlx::{PgPool, Postgres, pool::PoolConnection};
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::sync::{Semaphore, mpsc, oneshot};
use uuid::Uuid;

use crate::{
    db::{
        DbError,
        ballots::{self, BallotRow, Cast, Outcome},
        committer::{Warm, next_group},
    },
    domain::poll::{kind::PollKind, vote::Delta},
    error::Error,
    store::poll_cache::{Counts, PollCache},
};

/// Ballots written in one call at most.
const MAX_GROUP: usize = 512;
/// How long a group waits for company before it is written (only when there is company).
const LINGER: Duration = Duration::from_millis(2);
/// Groups written at once at most. Three keep a two-core Postgres busy while the next group
/// gathers; more would only split the same ballots into smaller groups.
const IN_FLIGHT: usize = 3;

/// One ballot as the vote path hands it over: `kind` is the poll's (fixed at creation), which
/// says how the ballot moves the counts.
pub(super) struct Ballot {
    pub row: BallotRow,
    pub kind: PollKind,
}

/// What writing a ballot did to the counts.
#[derive(Debug)]
pub(super) enum Written {
    /// Nothing (the same choice again, a refusal): nothing to note or announce.
    Unchanged,
    /// The counts moved: the counts after its group's delta, when they were cached (`None`:
    /// not cached, the next read rebuilds them). Their vote thresholds' webhook events are
    /// already enqueued.
    Changed(Option<Counts>),
}

struct Pending {
    ballot: Ballot,
    done: oneshot::Sender<Result<(Cast, Written), Error>>,
}

/// A handle on the ballot writer; the task stops when every handle is gone.
#[derive(Clone)]
pub(crate) struct BallotBox {
    queue: mpsc::UnboundedSender<Pending>,
}

impl BallotBox {
    /// Starts the writer on the current runtime.
    pub(crate) fn start(pool: PgPool, cache: PollCache) -> Self {
        let (queue, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, cache, rx));
        BallotBox { queue }
    }

    /// Writes `ballot` with whatever else is waiting: its outcome once it is durable and its
    /// delta is in the cached counts. A refusal is an outcome, not an error.
    pub(super) async fn cast(&self, ballot: Ballot) -> Result<(Cast, Written), Error> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Pending { ballot, done })
            .map_err(|_| Error::from(DbError::CommitterStopped))?;
        answer
            .await
            .unwrap_or_else(|_| Err(DbError::CommitterStopped.into()))
    }
}

async fn run(pool: PgPool, cache: PollCache, mut rx: mpsc::UnboundedReceiver<Pending>) {
    // The ballots' own connections, kept warm (see `db::committer` for why).
    let warm = Warm::default();
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some((group, permit)) =
        next_group(&mut rx, &permits, IN_FLIGHT, MAX_GROUP, LINGER).await
    {
        crate::metrics::METRICS
            .ballot_group_size
            .observe(group.len() as f64);
        let (pool, cache, warm) = (pool.clone(), Arc::clone(&cache), warm.clone());
        tokio::spawn(async move {
            write_group(&pool, &cache, &warm, group).await;
            drop(permit);
        });
    }
}

async fn write_group(pool: &PgPool, cache: &PollCache, warm: &Warm, mut group: Vec<Pending>) {
    // By poll, then voter; a stable sort keeps one voter's ballots in their order of arrival
    // (see the migration for why this order).
    group.sort_by_key(|p| (p.ballot.row.poll, p.ballot.row.voter));
    let mut conn = match warm.take(pool).await {
        Ok(conn) => conn,
        Err(e) => {
            let e = Error::from(e);
            for p in group {
                let _ = p.done.send(Err(e.clone()));
            }
            return;
        }
    };
    let casts = cast_all(&mut conn, &group).await;
    let counts = apply_deltas(pool, cache, &group, &casts).await;
    let mut broken = false;
    for (p, cast) in group.into_iter().zip(casts) {
        let answer = match cast {
            Ok(cast) if moves(cast.outcome) => match counts.get(&p.ballot.row.poll) {
                Some(Ok(after)) => Ok((cast, Written::Changed(after.clone()))),
                Some(Err(e)) => Err(e.clone()),
                None => Ok((cast, Written::Changed(None))),
            },
            Ok(cast) => Ok((cast, Written::Unchanged)),
            Err(e) => {
                broken |= e.is_unavailable();
                Err(e.into())
            }
        };
        let _ = p.done.send(answer);
    }
    // Behind the answers: the counts locks go once the deltas are in (`db::ballots`).
    if ballots::unlock_all(&mut conn).await.is_err() {
        // Never hand a connection that may hold a lock to anyone.
        conn.close_on_drop();
        return;
    }
    if !broken {
        warm.keep(conn);
    }
}

fn moves(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Cast | Outcome::Changed | Outcome::Withdrawn
    )
}

/// Every ballot's outcome, in the group's order: one call for the group; if it fails for
/// anything but Postgres being away, one call per ballot, so that only a faulty ballot fails.
async fn cast_all(
    conn: &mut PoolConnection<Postgres>,
    group: &[Pending],
) -> Vec<Result<Cast, DbError>> {
    let rows: Vec<&BallotRow> = group.iter().map(|p| &p.ballot.row).collect();
    match ballots::cast_many(conn, &rows).await {
        Ok(casts) => casts.into_iter().map(Ok).collect(),
        Err(e) if rows.len() == 1 || (e.is_unavailable() && !e.is_statement_timeout()) => {
            vec![Err(e); rows.len()]
        }
        Err(_) => {
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(ballots::cast_many(conn, &[row]).await.and_then(|c| {
                    c.into_iter()
                        .next()
                        // One row in, one outcome out: none would be a bug, not a panic.
                        .ok_or_else(|| DbError::Other(Arc::new(sqlx::Error::RowNotFound)))
                }));
            }
            out
        }
    }
}

/// Adds each poll's share of the group to its cached counts, in one call per poll (a ballot
/// the poll's counts do not show, such as a ranked ballot re-ordered below its first choice,
/// still bumps their `seq`, which is how watchers on every node learn the results changed).
/// Per poll: the counts after (`None`: not cached), or why they could not be patched (the
/// votes are committed; the counts are dropped so the next read rebuilds them).
async fn apply_deltas(
    pool: &PgPool,
    cache: &PollCache,
    group: &[Pending],
    casts: &[Result<Cast, DbError>],
) -> BTreeMap<Uuid, Result<Option<Counts>, Error>> {
    let mut deltas: BTreeMap<Uuid, Delta> = BTreeMap::new();
    for (p, cast) in group.iter().zip(casts) {
        if let Ok(cast) = cast
            && moves(cast.outcome)
        {
            let b = &p.ballot;
            let delta = Delta::of_kind(b.kind, cast.previous.as_deref(), b.row.options.as_deref());
            deltas.entry(b.row.poll).or_default().add(&delta);
        }
    }
    let applied = futures::future::join_all(deltas.into_iter().map(|(poll, delta)| async move {
        let result = match cache.apply(poll, &delta).await {
            Ok(after) => {
                if let Some(c) = &after {
                    // Each vote threshold the group passed (it may pass one mid-group).
                    for voters in (c.voters - delta.voters + 1)..=c.voters {
                        crate::webhooks::outbox::votes_counted(pool, poll, voters);
                    }
                }
                Ok(after)
            }
            Err(e) => {
                forget_later(cache, poll);
                Err(Error::from(e))
            }
        };
        (poll, result)
    }))
    .await;
    applied.into_iter().collect()
}

/// Drops a poll's cached counts that missed a committed delta, retrying behind.
fn forget_later(cache: &PollCache, poll: Uuid) {
    let cache = Arc::clone(cache);
    tokio::spawn(async move {
        for _ in 0..60 {
            if cache.forget(poll).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        tracing::warn!(poll = %poll, "cached counts may be stale until they expire");
    });
}
