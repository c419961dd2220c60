//! One database, one kind of deployment: a single in-process node (`REDIS_URL=memory`) keeps
//! rooms' live state in its own memory, so a second node on the same database (of either kind)
//! would run the same rooms from a different copy and lose updates. Every node therefore holds
//! a Postgres advisory lock for its whole life on a connection of its own: the single node
//! exclusively, nodes sharing Redis in shared mode. The second of two incompatible nodes does
//! not start. A node that dies (even `kill -9`) drops its connection and so its lock.

use sqlx::{PgConnection, PgPool, pool::PoolConnection};
use std::time::Duration;

use super::DbError;

/// The lock's key, in the two-int form so it never meets the one-bigint keys of
/// `ballots.rs` (Postgres keeps the two key spaces apart).
const CLASS: i32 = 0x76_67; // "vg"
const OBJECT: i32 = 1;

/// A held node lock: dropping it closes its connection, which releases the lock.
pub(crate) struct NodeLock {
    _conn: PgConnection,
}

/// How long a starting node waits for an incompatible holder to go: a node restarted right
/// after `kill -9` may start before Postgres has noticed the old connection close.
const WAIT: Duration = Duration::from_secs(5);
const RETRY: Duration = Duration::from_millis(250);

/// Takes the node lock, exclusive for a single in-process node, else shared, waiting up to
/// `WAIT` for it. `Ok(None)` when an incompatible node still holds it.
pub(crate) async fn acquire(pool: &PgPool, exclusive: bool) -> Result<Option<NodeLock>, DbError> {
    let until = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(lock) = try_acquire(pool, exclusive).await? {
            return Ok(Some(lock));
        }
        if tokio::time::Instant::now() >= until {
            return Ok(None);
        }
        tokio::time::sleep(RETRY).await;
    }
}

async fn try_acquire(pool: &PgPool, exclusive: bool) -> Result<Option<NodeLock>, DbError> {
    // Its own connection, out of the pool: the lock lives as long as the connection does.
    let mut conn = PoolConnection::detach(pool.acquire().await?);
    let sql = if exclusive {
        "SELECT pg_try_advisory_lock($1, $2)"
    } else {
        "SELECT pg_try_advisory_lock_shared($1, $2)"
    };
    let held: bool = sqlx::query_scalar(sql)
        .bind(CLASS)
        .bind(OBJECT)
        .fetch_one(&mut conn)
        .await?;
    Ok(held.then_some(NodeLock { _conn: conn }))
}
