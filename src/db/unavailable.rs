//! Which Postgres failures mean "Postgres is unavailable" (the client gets a 503 and may retry)
//! rather than "this statement is wrong" (a bug: a 500). Postgres can be away in many ways: the
//! connection refused or reset, a session terminated by an administrator or a crash, a server
//! shutting down or starting up, no connection slot or memory left, a timeout, a failover to a
//! read-only standby. None of them is the request's fault.

use sqlx::postgres::{PgDatabaseError, PgSeverity};

/// Whether `e` says that Postgres (or the way to it) is unavailable right now.
pub(crate) fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        // The connection broke mid-message (the server went away while answering).
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            // FATAL and PANIC end the session itself: never a statement's own fault.
            let ends_session = db
                .try_downcast_ref::<PgDatabaseError>()
                .is_some_and(|pg| matches!(pg.severity(), PgSeverity::Fatal | PgSeverity::Panic));
            ends_session || db.code().is_some_and(|c| sqlstate_unavailable(&c))
        }
        _ => false,
    }
}

/// SQLSTATE codes (Postgres manual, appendix A) of a server that is away, overloaded, shutting
/// down, or gave up waiting: retrying later may succeed.
pub(crate) fn sqlstate_unavailable(code: &str) -> bool {
    matches!(
        code.get(..2),
        // 08: connection exception (refused, failure, cannot establish); 53: insufficient
        // resources (53100 disk full, 53200 out of memory, 53300 too many connections);
        // 58: system error (I/O error) outside Postgres.
        Some("08" | "53" | "58")
    ) || matches!(
        code,
        // admin_shutdown, crash_shutdown, cannot_connect_now, idle_session_timeout
        "57P01" | "57P02" | "57P03" | "57P05"
        // query_canceled (statement_timeout), lock_not_available (lock_timeout),
        // idle_in_transaction_session_timeout
        | "57014" | "55P03" | "25P03"
        // read_only_sql_transaction: connected to a standby after a failover
        | "25006"
        // serialization_failure, deadlock_detected: transient, a retry succeeds
        | "40001" | "40P01"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_postgres_can_be_away_is_unavailable() {
        for code in [
            "08000", "08001", "08003", "08004", "08006", "57P01", "57P02", "57P03", "57P05",
            "53000", "53100", "53200", "53300", "57014", "55P03", "25P03", "25006", "40001",
            "40P01", "58000", "58030",
        ] {
            assert!(sqlstate_unavailable(code), "{code}");
        }
    }

    #[test]
    fn a_statement_postgres_refuses_is_not_unavailable() {
        // unique, foreign key, not null, check violations; bad text; syntax; undefined table
        for code in [
            "23505", "23503", "23502", "23514", "22021", "22P05", "42601", "42P01", "57P04",
        ] {
            assert!(!sqlstate_unavailable(code), "{code}");
        }
    }

    #[test]
    fn connection_level_failures_are_unavailable() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_unavailable(&sqlx::Error::Io(refused)));
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::PoolClosed));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
    }
}
