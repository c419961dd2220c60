//! Where reads that may trail the latest write by a moment go: the read replica
//! (`DATABASE_READ_URL`) when one is configured, else the primary. Only reads that nobody
//! needs to see their own write in use it — poll lists, search, trending, others' profiles,
//! site stats, categories (see `PollService`); everything else keeps the primary pool, so a
//! user's own write is visible to that user at once.
//!
//! A replica that is down is not an outage: the read runs on the primary instead (the answer is
//! the same, only fresher), and the replica is left alone for [`REST`] so that list reads do
//! not each wait out its acquire timeout first. Only connection-level failures fall back: a
//! statement that ran past its timeout on the replica would most likely be as slow on the
//! primary, so it stays the 503 it is rather than a second slow run where the writes are.

use sqlx::PgPool;
use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use super::DbError;

/// How long reads skip a replica that failed them (a down replica costs one acquire timeout
/// per this period, not one per read).
const REST: Duration = Duration::from_secs(5);

/// The pools reads may use.
pub(crate) struct Reads {
    primary: PgPool,
    replica: Option<Replica>,
}

struct Replica {
    pool: PgPool,
    /// Until when reads skip it, after a failure.
    resting_until: Mutex<Option<Instant>>,
}

impl Replica {
    fn usable(&self) -> bool {
        let mut until = self.resting_until.lock().unwrap_or_else(|e| e.into_inner());
        match *until {
            Some(t) if Instant::now() < t => false,
            Some(_) => {
                *until = None;
                true
            }
            None => true,
        }
    }

    fn rest(&self, error: &DbError) {
        let mut until = self.resting_until.lock().unwrap_or_else(|e| e.into_inner());
        if until.is_none() {
            tracing::warn!(error = %error, source = ?std::error::Error::source(error),
                "the read replica failed a read; reading from the primary for {REST:?}");
        }
        *until = Some(Instant::now() + REST);
    }
}

impl Reads {
    /// Reads on `primary`, or on `replica` when there is one. Migrations never run on it: only
    /// the primary is migrated (`app::build_with_pool`), and the replica follows by replication.
    pub(crate) fn new(primary: PgPool, replica: Option<PgPool>) -> Reads {
        Reads {
            primary,
            replica: replica.map(|pool| Replica {
                pool,
                resting_until: Mutex::new(None),
            }),
        }
    }

    /// Runs `read` on the replica, or on the primary when there is no replica, it is resting,
    /// or it cannot be reached now.
    pub(crate) async fn run<T, F, Fut>(&self, read: F) -> Result<T, DbError>
    where
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = Result<T, DbError>>,
    {
        if let Some(replica) = self.replica.as_ref().filter(|r| r.usable()) {
            match read(replica.pool.clone()).await {
                Err(e) if e.is_unavailable() && !e.is_statement_timeout() => replica.rest(&e),
                done => return done,
            }
        }
        read(self.primary.clone()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    fn lazy(port: u16) -> PgPool {
        PgPool::connect_lazy(&format!("postgres://postgres@127.0.0.1:{port}/x")).expect("url")
    }

    /// Which pool a read ran on (by port); the replica (port 2) answers as its `replica` says.
    async fn read(
        pool: PgPool,
        replica: Result<&'static str, DbError>,
    ) -> Result<&'static str, DbError> {
        match pool.connect_options().get_port() {
            2 => replica,
            _ => Ok("primary"),
        }
    }

    fn down() -> DbError {
        DbError::Unavailable(Arc::new(sqlx::Error::PoolTimedOut))
    }

    #[tokio::test]
    async fn reads_use_the_replica_and_fall_back_to_the_primary_while_it_is_down() {
        let alone = Reads::new(lazy(1), None);
        assert_eq!(
            alone.run(|p| read(p, Ok("replica"))).await.ok(),
            Some("primary")
        );

        let reads = Reads::new(lazy(1), Some(lazy(2)));
        assert_eq!(
            reads.run(|p| read(p, Ok("replica"))).await.ok(),
            Some("replica")
        );
        // Down: this read is the primary's, and so are the next ones, without asking it.
        assert_eq!(
            reads.run(|p| read(p, Err(down()))).await.ok(),
            Some("primary")
        );
        let asked = AtomicUsize::new(0);
        let counted = |p: PgPool| {
            if p.connect_options().get_port() == 2 {
                asked.fetch_add(1, Ordering::SeqCst);
            }
            read(p, Ok("replica"))
        };
        assert_eq!(reads.run(counted).await.ok(), Some("primary"));
        assert_eq!(asked.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_statement_error_on_the_replica_is_its_answer() {
        let reads = Reads::new(lazy(1), Some(lazy(2)));
        let bug = || DbError::Other(Arc::new(sqlx::Error::RowNotFound));
        assert!(matches!(
            reads.run(|p| read(p, Err(bug()))).await,
            Err(DbError::Other(_))
        ));
        assert_eq!(
            reads.run(|p| read(p, Ok("replica"))).await.ok(),
            Some("replica")
        );
    }
}
