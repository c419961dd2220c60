//! Durable state in Postgres: the pool, the embedded migrations, and one error type that tells
//! "the database is down" (a 503 for the client) apart from a constraint a write ran into.

pub mod rooms;
pub mod rounds;
pub mod snapshot;
pub mod users;

use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Postgres cannot be reached or the pool is exhausted: retrying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint refused a write; carries the constraint's name.
    #[error("unique constraint {0} violated")]
    Unique(String),
    #[error("database error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                DbError::Unique(db.constraint().unwrap_or_default().to_string())
            }
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => DbError::Unavailable(e.to_string()),
            _ => DbError::Other(e.to_string()),
        }
    }
}

/// A lazy pool: the server starts (and `/ready` reports) even while Postgres is still coming up.
/// The short acquire timeout turns an outage into a quick 503 instead of a hung request.
pub fn pool(url: &str) -> Result<PgPool, DbError> {
    PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy(url)
        .map_err(DbError::from)
}

pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| DbError::Unavailable(e.to_string()))
}

pub async fn ping(pool: &PgPool) -> Result<(), DbError> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

use crate::domain::{Event, Room};

/// Writes what a command did (its domain events, read with the room state after it) to
/// Postgres on `conn`, which the caller holds inside a transaction. Each write is idempotent.
pub async fn persist_events(
    conn: &mut sqlx::PgConnection,
    room: &Room,
    events: &[Event],
) -> Result<(), DbError> {
    for event in events {
        match event {
            Event::PlayerJoined {
                user_id,
                display_name,
                ..
            } => {
                let joined = room.participant(*user_id).map(|p| p.joined_at);
                rooms::upsert_participant(conn, room.id, *user_id, display_name, joined).await?;
            }
            Event::PlayerRejoined { .. } => {}
            Event::PlayerLeft {
                user_id, kicked, ..
            } => {
                rooms::mark_left(conn, room.id, *user_id, *kicked).await?;
            }
            Event::HostChanged { host_id } => rooms::set_host(conn, room.id, *host_id).await?,
            Event::RoomClosed => rooms::set_status(conn, room.id, room.status, true).await?,
            Event::RoundStarted {
                round_id, first, ..
            } => {
                if *first {
                    rooms::set_status(conn, room.id, room.status, false).await?;
                }
                if let Some(round) = room.round.as_ref().filter(|r| r.id == *round_id) {
                    rounds::insert_round(conn, room.id, round).await?;
                }
            }
            Event::AnswerSubmitted {
                answer_id,
                author_id,
                ..
            } => {
                let Some(round) = &room.round else { continue };
                let Some(answer) = round.answers.iter().find(|a| a.id == *answer_id) else {
                    continue;
                };
                rounds::insert_answer(conn, round.id, *answer_id, *author_id, &answer.content)
                    .await?;
            }
            Event::VotingStarted {
                round_id,
                time_limit,
                deadline,
                ..
            } => {
                rounds::start_voting(conn, *round_id, *time_limit, *deadline).await?;
            }
            Event::VoteCast {
                voter_id,
                answer_id,
                ..
            } => {
                let Some(round) = &room.round else { continue };
                rounds::insert_vote(conn, round.id, *voter_id, *answer_id).await?;
            }
            Event::RoundEnded {
                round_id, points, ..
            } => {
                rounds::finish_round(conn, room.id, *round_id, points).await?;
            }
            Event::GameEnded { .. } => {
                rooms::set_status(conn, room.id, room.status, room.closed).await?
            }
        }
    }
    Ok(())
}
