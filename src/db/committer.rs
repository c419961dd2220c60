//! Group commit: the rows of actions from many rooms, arriving at once, share one Postgres
//! transaction and so one commit (one WAL flush) instead of paying one each. A caller's
//! `commit` returns only once its rows are durable, so an action is still acknowledged only
//! after Postgres has it.

use sqlx::{PgConnection, PgPool, Postgres, pool::PoolConnection};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use super::{DbError, writes::Write};

/// Actions' rows written in one transaction at most.
const MAX_GROUP: usize = 512;
/// How long a commit waits for company before it starts.
const LINGER: Duration = Duration::from_millis(2);

/// A group writer's own connections, the most recently used last. Taken from the pool once and
/// kept: the pool hands its idle connections out in turn, so at light load each commit met a
/// backend that had slept since its last turn (statement, plan and foreign-key caches and CPU
/// caches cold; in Postgres's log a lone vote's insert took 2–3.6 ms, and 0.08–0.5 ms on a
/// kept connection). Kept, the same one or two backends take every commit and stay warm. At
/// most as many as groups in flight are kept; they skip the pool's `max_lifetime`, which
/// matters only for connections that go stale, and those fail once and are not kept again.
/// Shared by this committer and the polls' ballot box (`polls::ballot_box`).
#[derive(Clone, Default)]
pub(crate) struct Warm(Arc<Mutex<Vec<PoolConnection<Postgres>>>>);

impl Warm {
    /// A kept connection, or a new one from the pool.
    pub(crate) async fn take(&self, pool: &PgPool) -> Result<PoolConnection<Postgres>, DbError> {
        let kept = self.0.lock().ok().and_then(|mut h| h.pop());
        match kept {
            Some(conn) => Ok(conn),
            None => Ok(pool.acquire().await?),
        }
    }

    /// Keeps `conn` for the next group (only one known to be sound).
    pub(crate) fn keep(&self, conn: PoolConnection<Postgres>) {
        if let Ok(mut h) = self.0.lock() {
            h.push(conn);
        }
    }
}

/// The next group of a group writer (this committer, the polls' ballot box): waits for one of
/// `permits` (while groups are in flight, new arrivals gather), then, when there is company
/// (another group in flight or more waiting), lingers a moment so that rows arriving at the
/// same moment join: fewer, larger commits cost Postgres much less CPU per row. A lone action
/// on a quiet server is written at once rather than held back for rows that are not coming.
/// `None` once every sender is gone or the permits are closed.
pub(crate) async fn next_group<T>(
    rx: &mut mpsc::UnboundedReceiver<T>,
    permits: &Arc<Semaphore>,
    in_flight: usize,
    max: usize,
    linger: Duration,
) -> Option<(Vec<T>, OwnedSemaphorePermit)> {
    let first = rx.recv().await?;
    let permit = Arc::clone(permits).acquire_owned().await.ok()?;
    let company = permits.available_permits() + 1 < in_flight || !rx.is_empty();
    if !linger.is_zero() && company && rx.len() < max / 4 {
        tokio::time::sleep(linger).await;
    }
    let mut group = vec![first];
    while group.len() < max {
        match rx.try_recv() {
            Ok(p) => group.push(p),
            Err(_) => break,
        }
    }
    Some((group, permit))
}

struct Pending {
    writes: Vec<Write>,
    done: oneshot::Sender<Result<(), DbError>>,
}

/// A handle on the committer task; cheap to clone. The task stops when every handle is gone.
#[derive(Clone)]
pub(crate) struct Committer {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Committer {
    /// Starts the committer on the current runtime. `in_flight` transactions run at once at
    /// most: while they do, new arrivals gather into the next group, so the group size grows
    /// with the load by itself and a lone action is never held back waiting for company.
    pub(crate) fn start(pool: PgPool, in_flight: usize) -> Self {
        let (queue, rx) = mpsc::unbounded_channel();
        let in_flight = in_flight.max(1);
        tokio::spawn(run(
            pool,
            rx,
            Arc::new(Semaphore::new(in_flight)),
            in_flight,
        ));
        Committer { queue }
    }

    /// Writes `writes` durably (with whatever else is waiting), or says why not.
    pub(crate) async fn commit(&self, writes: Vec<Write>) -> Result<(), DbError> {
        if writes.is_empty() {
            return Ok(());
        }
        let (done, result) = oneshot::channel();
        self.queue
            .send(Pending { writes, done })
            .map_err(|_| DbError::CommitterStopped)?;
        result
            .await
            .unwrap_or_else(|_| Err(DbError::CommitterStopped))
    }
}

async fn run(
    pool: PgPool,
    mut rx: mpsc::UnboundedReceiver<Pending>,
    permits: Arc<Semaphore>,
    in_flight: usize,
) {
    let warm = Warm::default();
    while let Some((group, permit)) =
        next_group(&mut rx, &permits, in_flight, MAX_GROUP, LINGER).await
    {
        crate::metrics::METRICS
            .commit_group_size
            .observe(group.len() as f64);
        let (pool, warm) = (pool.clone(), warm.clone());
        tokio::spawn(async move {
            commit_group(&pool, &warm, group).await;
            drop(permit);
        });
    }
}

async fn commit_group(pool: &PgPool, warm: &Warm, group: Vec<Pending>) {
    let all: Vec<&Write> = group.iter().flat_map(|p| &p.writes).collect();
    match write(pool, warm, &all).await {
        Ok(()) => {
            for p in group {
                let _ = p.done.send(Ok(()));
            }
        }
        // Postgres is away, or there is only one action: the error is everyone's. A statement
        // that ran out of time is rather one action's wait (a lock): split as for a refusal.
        Err(e) if group.len() == 1 || (e.is_unavailable() && !e.is_statement_timeout()) => {
            for p in group {
                let _ = p.done.send(Err(e.clone()));
            }
        }
        // One action's rows were refused: write each on its own so that only it fails.
        Err(_) => {
            for p in group {
                let rows: Vec<&Write> = p.writes.iter().collect();
                let _ = p.done.send(write(pool, warm, &rows).await);
            }
        }
    }
}

async fn write(pool: &PgPool, warm: &Warm, writes: &[&Write]) -> Result<(), DbError> {
    let mut conn = warm.take(pool).await?;
    let result = write_on(&mut conn, writes).await;
    // A connection that failed for Postgres being away (a restart, a timeout) is not kept, in
    // case it is broken: the next commit takes a new one from the pool.
    if !matches!(&result, Err(e) if e.is_unavailable()) {
        warm.keep(conn);
    }
    result
}

async fn write_on(conn: &mut PgConnection, writes: &[&Write]) -> Result<(), DbError> {
    if super::writes::single_statement(writes) {
        // Autocommit: one round trip instead of three (BEGIN, the insert, COMMIT).
        return super::writes::apply(conn, writes).await;
    }
    let mut tx = sqlx::Connection::begin(conn).await?;
    super::writes::apply(&mut tx, writes).await?;
    tx.commit().await?;
    Ok(())
}
