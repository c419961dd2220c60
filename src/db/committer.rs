//! Group commit: the rows of actions from many rooms, arriving at once, share one Postgres
//! transaction and so one commit (one WAL flush) instead of paying one each. A caller's
//! `commit` returns only once its rows are durable, so an action is still acknowledged only
//! after Postgres has it.

use sqlx::{PgConnection, PgPool, Postgres, pool::PoolConnection};
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::{DbError, writes::Write};

/// Actions' rows written in one transaction at most.
const MAX_GROUP: usize = 512;
/// How long a commit waits for company before it starts.
const LINGER: std::time::Duration = std::time::Duration::from_millis(2);

/// The committer's own connections, the most recently used last. Taken from the pool once and
/// kept: the pool hands its idle connections out in turn, so at light load each commit met a
/// backend that had slept since its last turn (statement, plan and foreign-key caches and CPU
/// caches cold; in Postgres's log a lone vote's insert took 2–3.6 ms, and 0.08–0.5 ms on a
/// kept connection). Kept, the same one or two backends take every commit and stay warm. At
/// most `in_flight` are kept; they skip the pool's `max_lifetime`, which matters only for
/// connections that go stale, and those fail once and are dropped (`write`).
type Hot = Arc<Mutex<Vec<PoolConnection<Postgres>>>>;

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
    let hot: Hot = Arc::default();
    while let Some(first) = rx.recv().await {
        // Waiting for a free slot is what lets the next group gather.
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        // A short wait lets the rows of other rooms' actions arriving at the same moment join
        // this commit: fewer, larger commits cost Postgres much less CPU per row. It only pays
        // when there is company: with no other commit in flight and nothing else queued, the
        // server is quiet, and a lone action (an idle room's vote) is written at once rather
        // than held back 2 ms for rows that are not coming.
        let company = permits.available_permits() + 1 < in_flight || !rx.is_empty();
        if !LINGER.is_zero() && company && rx.len() < MAX_GROUP / 4 {
            tokio::time::sleep(LINGER).await;
        }
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => group.push(p),
                Err(_) => break,
            }
        }
        crate::metrics::METRICS
            .commit_group_size
            .observe(group.len() as f64);
        let (pool, hot) = (pool.clone(), Arc::clone(&hot));
        tokio::spawn(async move {
            commit_group(&pool, &hot, group).await;
            drop(permit);
        });
    }
}

async fn commit_group(pool: &PgPool, hot: &Hot, group: Vec<Pending>) {
    let all: Vec<&Write> = group.iter().flat_map(|p| &p.writes).collect();
    match write(pool, hot, &all).await {
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
                let _ = p.done.send(write(pool, hot, &rows).await);
            }
        }
    }
}

async fn write(pool: &PgPool, hot: &Hot, writes: &[&Write]) -> Result<(), DbError> {
    let kept = hot.lock().ok().and_then(|mut h| h.pop());
    let mut conn = match kept {
        Some(conn) => conn,
        None => pool.acquire().await?,
    };
    let result = write_on(&mut conn, writes).await;
    // A connection that failed for Postgres being away (a restart, a timeout) is not kept, in
    // case it is broken: the next commit takes a new one from the pool.
    if !matches!(&result, Err(e) if e.is_unavailable())
        && let Ok(mut h) = hot.lock()
    {
        h.push(conn);
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
