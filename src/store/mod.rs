//! Live state: every room's state machine, the deadline index that lets any node end a phase,
//! the token deny-list and socket presence. A trait so the game layer sees operations, not Redis.
//! `poll_cache` is the polls' part of it: each poll's counts, kept where every node reads them.

pub(crate) mod conn;
pub(crate) mod keys;
pub(crate) mod memory;
pub(crate) mod poll_cache;
pub(crate) mod pubsub;
pub(crate) mod redis;

#[cfg(test)]
mod contract;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::{collections::HashSet, sync::Arc, time::Duration};
use uuid::Uuid;

use crate::domain::{Room, UserId};

/// Why a live-store call failed, with the underlying error kept as the source.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("live store unavailable")]
    Unavailable(#[source] Arc<dyn std::error::Error + Send + Sync>),
    /// State that does not read back as what was written (or cannot be written as JSON).
    #[error("stored state is corrupt: {what}")]
    Corrupt {
        what: String,
        #[source]
        source: Arc<serde_json::Error>,
    },
}

/// A room as stored, with the version its next compare-and-swap must name (an opaque token:
/// equal means unchanged, nothing more).
#[derive(Debug, Clone)]
pub struct Stored {
    pub room: Room,
    pub version: u64,
}

/// What the session cache knows of a token id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Live, and whose: a token naming this session but another user is refused.
    Live { user: Uuid },
    /// Revoked, or never issued here.
    Revoked,
}

#[async_trait]
pub trait LiveStore: Send + Sync {
    async fn load_room(&self, code: &str) -> Result<Option<Stored>, StoreError>;

    /// Saves `room` only if its stored version is still `expected` (0: no room stored yet), and
    /// in the same atomic step puts its phase deadline in (or takes it out of) the deadline
    /// index. `Ok(None)` means another writer got there first: load again and re-decide.
    async fn save_room(&self, room: &Room, expected: u64) -> Result<Option<u64>, StoreError>;

    /// Drops a room's live state, so that the next load rebuilds it from Postgres.
    async fn forget_room(&self, code: &str) -> Result<(), StoreError>;

    /// Codes of rooms whose phase deadline is at or before `now`, oldest first.
    async fn due_rooms(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<String>, StoreError>;

    /// Notes that the room's host has no live socket; `hand_over_at` is when the grace ends.
    async fn host_away(&self, code: &str, hand_over_at: DateTime<Utc>) -> Result<(), StoreError>;
    /// The host is back (or no longer host): no hand-over pending.
    async fn host_back(&self, code: &str) -> Result<(), StoreError>;
    /// Rooms whose host has been away past the grace period.
    async fn hosts_gone(&self, now: DateTime<Utc>, limit: usize)
    -> Result<Vec<String>, StoreError>;

    /// Moves a room that is in the deadline index to `at` (a failing room backs off).
    async fn defer_deadline(&self, code: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Takes a room out of the deadline index (its live state is gone).
    async fn clear_deadline(&self, code: &str) -> Result<(), StoreError>;

    /// A session's cached state, `None` when not cached (Postgres, the durable record, must be
    /// asked).
    async fn session_cached(&self, jti: Uuid) -> Result<Option<SessionState>, StoreError>;
    /// Caches a session's state as read from Postgres for `ttl`, unless the cache already has
    /// one: a revocation cached meanwhile must never be overwritten by an older read.
    async fn cache_session(
        &self,
        jti: Uuid,
        state: SessionState,
        ttl: Duration,
    ) -> Result<(), StoreError>;
    /// Caches sessions as revoked (overwriting), each for its own time to live.
    async fn revoke_sessions(&self, sessions: &[(Uuid, Duration)]) -> Result<(), StoreError>;

    /// Counts one more live socket of `user` in `code`; returns the user's socket count after.
    async fn presence_add(&self, code: &str, user: UserId) -> Result<i64, StoreError>;
    /// Counts one socket fewer; returns the count after (0: the user has gone).
    async fn presence_remove(&self, code: &str, user: UserId) -> Result<i64, StoreError>;
    /// Users with a live socket in `code`: on this node, or on another whose lease is live.
    async fn connected_users(&self, code: &str) -> Result<HashSet<UserId>, StoreError>;

    /// Renews this node's lease for `lease`: presence counted on a node whose lease has run
    /// out (a crashed process) no longer counts, and its rooms are cleaned up after it.
    async fn heartbeat(&self, lease: Duration) -> Result<(), StoreError>;
    /// Claims up to `limit` nodes whose lease ran out (each is handed to one caller only),
    /// with when it ran out.
    async fn dead_nodes(&self, limit: usize) -> Result<Vec<(String, DateTime<Utc>)>, StoreError>;
    /// The rooms in which `node` had sockets.
    async fn node_rooms(&self, node: &str) -> Result<Vec<String>, StoreError>;
    /// Drops `node`'s presence entries in room `code`; returns the users they were of.
    async fn drop_node_presence(&self, code: &str, node: &str) -> Result<Vec<UserId>, StoreError>;
    /// Drops what is left of a dead node (its list of rooms).
    async fn forget_node(&self, node: &str) -> Result<(), StoreError>;

    /// A question prepared ahead for the room's next round (taken at most once).
    async fn put_next_question(&self, code: &str, question: &str) -> Result<(), StoreError>;
    async fn take_next_question(&self, code: &str) -> Result<Option<String>, StoreError>;

    /// Counts one attempt against a cluster-wide limit of `burst` attempts per `period`
    /// (a GCRA: they come back one every `period / burst`); `Some(wait)` when over it.
    async fn throttle(
        &self,
        key: &str,
        burst: u32,
        period: Duration,
    ) -> Result<Option<Duration>, StoreError>;

    async fn ping(&self) -> Result<(), StoreError>;
}
