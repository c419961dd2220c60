//! Durable state in Postgres: the pool, the embedded migrations, and one error type that tells
//! "the database is down" (a 503 for the client) apart from a constraint a write ran into.

pub(crate) mod answers;
pub(crate) mod audit;
pub(crate) mod ballots;
pub(crate) mod committer;
pub(crate) mod discovery;
pub(crate) mod exports;
pub(crate) mod games;
pub(crate) mod history;
pub(crate) mod likes;
pub(crate) mod node_lock;
pub(crate) mod polls;
pub(crate) mod reads;
pub(crate) mod repair;
pub(crate) mod rooms;
pub(crate) mod rounds;
pub(crate) mod screens;
pub(crate) mod sessions;
pub(crate) mod snapshot;
pub(crate) mod stats;
pub(crate) mod unavailable;
pub(crate) mod users;
pub(crate) mod webhooks;
pub(crate) mod writes;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::{str::FromStr, sync::Arc, time::Duration};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Why a database call failed. The sqlx error is kept whole as the source (shared, since one
/// failed group commit is every member's error).
#[derive(Debug, Clone, thiserror::Error)]
pub enum DbError {
    /// Postgres cannot be reached or the pool is exhausted: retrying later may work.
    #[error("database unavailable")]
    Unavailable(#[source] Arc<sqlx::Error>),
    /// The group committer's task is gone (the server is shutting down).
    #[error("the group committer has stopped")]
    CommitterStopped,
    /// A unique constraint refused a write; carries the constraint's name.
    #[error("unique constraint {0} violated")]
    Unique(String),
    #[error("database error")]
    Other(#[source] Arc<sqlx::Error>),
    #[error("migrations failed")]
    Migrate(#[source] Arc<sqlx::migrate::MigrateError>),
}

impl DbError {
    /// Whether the database, rather than the statement, is the problem: a 503 for the client.
    /// A statement ran past `statement_timeout` (see [`STATEMENT_TIMEOUT`]): more likely one
    /// statement's wait than Postgres being away.
    pub fn is_statement_timeout(&self) -> bool {
        match self {
            DbError::Unavailable(e) | DbError::Other(e) => matches!(
                e.as_ref(),
                sqlx::Error::Database(db) if db.code().is_some_and(|c| c == "57014")
            ),
            _ => false,
        }
    }

    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            DbError::Unavailable(_) | DbError::CommitterStopped | DbError::Migrate(_)
        )
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                DbError::Unique(db.constraint().unwrap_or_default().to_string())
            }
            _ if unavailable::is_unavailable(&e) => DbError::Unavailable(Arc::new(e)),
            _ => DbError::Other(Arc::new(e)),
        }
    }
}

/// Pooled connections per process: the group commit keeps a few busy, reads take the rest.
const MAX_CONNECTIONS: u32 = 20;
/// How long a call waits for a pooled connection before it is a 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A lazy pool: the server starts (and `/ready` reports) even while Postgres is still coming up.
/// The short acquire timeout turns an outage into a quick 503 instead of a hung request.
pub fn pool(url: &str) -> Result<PgPool, DbError> {
    let options = PgConnectOptions::from_str(url).map_err(DbError::from)?;
    Ok(pool_with(options))
}

/// The longest any one statement may run, unless `DATABASE_URL` sets its own
/// (`?options=-c%20statement_timeout%3D30s`). A statement that hangs rather than fails (one
/// waiting on a lock an operator holds) would otherwise hold every action whose rows share its
/// group commit for as long as it hangs; with this bound the group fails after it and the
/// committer writes each action on its own, so only the hung one waits again. Migrations run
/// without it (`migrate`).
const STATEMENT_TIMEOUT: &str = "10s";

/// [`pool`] for options already parsed (tests hand the server their throwaway database's).
pub fn pool_with(options: PgConnectOptions) -> PgPool {
    let has_own = options
        .get_options()
        .is_some_and(|o| o.contains("statement_timeout"));
    let options = if has_own {
        options
    } else {
        options.options([("statement_timeout", STATEMENT_TIMEOUT)])
    };
    PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // No ping before each use: it was one more round trip (and Postgres wake-up) in front
        // of every commit on the hot path. A connection broken by a Postgres restart fails its
        // one action with a 503 and is dropped from the pool; the next one reconnects.
        .test_before_acquire(false)
        .connect_lazy_with(options)
}

/// Runs the migrations on one connection without the statement timeout: building an index on
/// a large table may rightly take longer than any request should.
pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *conn)
        .await?;
    let migrated = MIGRATOR
        .run(&mut *conn)
        .await
        .map_err(|e| DbError::Migrate(Arc::new(e)));
    if sqlx::query("RESET statement_timeout")
        .execute(&mut *conn)
        .await
        .is_err()
    {
        // Never give the pool a connection without the bound.
        conn.close_on_drop();
    }
    migrated
}

pub async fn ping(pool: &PgPool) -> Result<(), DbError> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}
