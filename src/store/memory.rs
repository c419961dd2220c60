//! The in-process live store, for a single node (`REDIS_URL=memory`): the same operations as
//! `redis.rs` with the same semantics, held in this process's memory. Nothing crosses a socket,
//! so a room's swap costs a clone instead of a JSON round trip to Redis; the price is that
//! exactly one node may run against the database, and a restart loses what Redis would have
//! kept (live state, presence, the deny-list cache), all of which is rebuilt from Postgres as
//! after a Redis flush.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::{Duration, Instant},
};
use uuid::Uuid;

use super::{LiveStore, SessionState, StoreError, Stored};
use crate::domain::{Room, UserId};

/// Same lifetimes as the Redis store's keys (see `redis.rs`).
const CLOSED_ROOM_TTL: Duration = Duration::from_secs(3_600);
const ROOM_TTL: Duration = Duration::from_secs(7 * 86_400);

struct Entry<T> {
    value: T,
    expires: Instant,
}

impl<T> Entry<T> {
    fn live(&self, now: Instant) -> bool {
        self.expires > now
    }
}

#[derive(Default)]
struct State {
    rooms: HashMap<String, Entry<Stored>>,
    /// Phase deadlines (ms since the epoch) by room; small enough to scan (one per live room).
    deadlines: HashMap<String, i64>,
    hosts_away: HashMap<String, i64>,
    sessions: HashMap<Uuid, Entry<SessionState>>,
    /// Sockets per room and user.
    presence: HashMap<String, HashMap<UserId, i64>>,
    next_questions: HashMap<String, Entry<String>>,
    /// GCRA theoretical arrival times.
    throttles: HashMap<String, Instant>,
}

impl State {
    /// Drops what has expired; called with each heartbeat (a few times a second at most).
    fn purge(&mut self, now: Instant) {
        self.rooms.retain(|_, e| e.live(now));
        self.sessions.retain(|_, e| e.live(now));
        self.next_questions.retain(|_, e| e.live(now));
        self.throttles.retain(|_, tat| *tat > now);
        self.presence.retain(|_, users| !users.is_empty());
    }
}

/// Up to `limit` keys whose score is at or before `now_ms`, earliest first.
fn due(index: &HashMap<String, i64>, now_ms: i64, limit: usize) -> Vec<String> {
    let mut hits: Vec<(&String, i64)> = index
        .iter()
        .filter(|(_, at)| **at <= now_ms)
        .map(|(k, at)| (k, *at))
        .collect();
    hits.sort_unstable_by(|(ka, a), (kb, b)| a.cmp(b).then_with(|| ka.cmp(kb)));
    hits.into_iter()
        .take(limit)
        .map(|(k, _)| k.clone())
        .collect()
}

#[derive(Default)]
pub(crate) struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on the state. A panic elsewhere while holding the lock leaves data that is
    /// still consistent per operation (each is one short critical section), so a poisoned lock
    /// is taken over rather than failing every later call.
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut state)
    }
}

/// A fresh version, random for the reason `redis.rs` gives.
fn new_version() -> u64 {
    rand::random_range(1..=i64::MAX as u64)
}

#[async_trait]
impl LiveStore for MemoryStore {
    async fn load_room(&self, code: &str) -> Result<Option<Stored>, StoreError> {
        let now = Instant::now();
        Ok(self.with(|s| {
            s.rooms
                .get(code)
                .filter(|e| e.live(now))
                .map(|e| e.value.clone())
        }))
    }

    async fn save_room(&self, room: &Room, expected: u64) -> Result<Option<u64>, StoreError> {
        let now = Instant::now();
        let ttl = if room.closed {
            CLOSED_ROOM_TTL
        } else {
            ROOM_TTL
        };
        // The copy is made before the lock is taken: every room shares the lock, and a room
        // with thousands of audience members takes a while to copy.
        let version = new_version();
        let entry = Entry {
            value: Stored {
                room: room.clone(),
                version,
            },
            expires: now + ttl,
        };
        let deadline = room.deadline().map(|at| at.timestamp_millis());
        Ok(self.with(|s| {
            let current = s
                .rooms
                .get(&room.code)
                .filter(|e| e.live(now))
                .map_or(0, |e| e.value.version);
            if current != expected {
                return None;
            }
            s.rooms.insert(room.code.clone(), entry);
            match deadline {
                Some(at) => {
                    s.deadlines.insert(room.code.clone(), at);
                }
                None => {
                    s.deadlines.remove(&room.code);
                }
            }
            Some(version)
        }))
    }

    async fn forget_room(&self, code: &str) -> Result<(), StoreError> {
        self.with(|s| s.rooms.remove(code));
        Ok(())
    }

    async fn due_rooms(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<String>, StoreError> {
        Ok(self.with(|s| due(&s.deadlines, now.timestamp_millis(), limit)))
    }

    async fn host_away(&self, code: &str, hand_over_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.with(|s| {
            s.hosts_away
                .insert(code.to_string(), hand_over_at.timestamp_millis())
        });
        Ok(())
    }

    async fn host_back(&self, code: &str) -> Result<(), StoreError> {
        self.with(|s| s.hosts_away.remove(code));
        Ok(())
    }

    async fn hosts_gone(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self.with(|s| due(&s.hosts_away, now.timestamp_millis(), limit)))
    }

    async fn defer_deadline(&self, code: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        // As ZADD XX: only a room that is in the index moves.
        self.with(|s| {
            if let Some(d) = s.deadlines.get_mut(code) {
                *d = at.timestamp_millis();
            }
        });
        Ok(())
    }

    async fn clear_deadline(&self, code: &str) -> Result<(), StoreError> {
        self.with(|s| s.deadlines.remove(code));
        Ok(())
    }

    async fn session_cached(&self, jti: Uuid) -> Result<Option<SessionState>, StoreError> {
        let now = Instant::now();
        Ok(self.with(|s| {
            s.sessions
                .get(&jti)
                .filter(|e| e.live(now))
                .map(|e| e.value)
        }))
    }

    async fn cache_session(
        &self,
        jti: Uuid,
        state: SessionState,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let now = Instant::now();
        self.with(|s| {
            // As SET NX: a live entry (a revocation cached meanwhile) is never overwritten.
            if s.sessions.get(&jti).is_some_and(|e| e.live(now)) {
                return;
            }
            s.sessions.insert(
                jti,
                Entry {
                    value: state,
                    expires: now + ttl.max(Duration::from_millis(1)),
                },
            );
        });
        Ok(())
    }

    async fn revoke_sessions(&self, sessions: &[(Uuid, Duration)]) -> Result<(), StoreError> {
        let now = Instant::now();
        self.with(|s| {
            for (jti, ttl) in sessions {
                s.sessions.insert(
                    *jti,
                    Entry {
                        value: SessionState::Revoked,
                        expires: now + (*ttl).max(Duration::from_millis(1)),
                    },
                );
            }
        });
        Ok(())
    }

    async fn presence_add(&self, code: &str, user: UserId) -> Result<i64, StoreError> {
        Ok(self.with(|s| {
            let n = s
                .presence
                .entry(code.to_string())
                .or_default()
                .entry(user)
                .or_insert(0);
            *n += 1;
            *n
        }))
    }

    async fn presence_remove(&self, code: &str, user: UserId) -> Result<i64, StoreError> {
        Ok(self.with(|s| {
            let Some(users) = s.presence.get_mut(code) else {
                return 0;
            };
            let left = users.get(&user).map_or(0, |n| n - 1);
            if left <= 0 {
                users.remove(&user);
            } else {
                users.insert(user, left);
            }
            left.max(0)
        }))
    }

    async fn connected_users(&self, code: &str) -> Result<HashSet<UserId>, StoreError> {
        Ok(self.with(|s| {
            s.presence
                .get(code)
                .map(|users| users.keys().copied().collect())
                .unwrap_or_default()
        }))
    }

    /// One node: there is no lease to renew, so the heartbeat only drops expired entries.
    async fn heartbeat(&self, _lease: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        self.with(|s| s.purge(now));
        Ok(())
    }

    async fn dead_nodes(&self, _limit: usize) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        Ok(Vec::new())
    }

    async fn node_rooms(&self, _node: &str) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }

    async fn drop_node_presence(
        &self,
        _code: &str,
        _node: &str,
    ) -> Result<Vec<UserId>, StoreError> {
        Ok(Vec::new())
    }

    async fn forget_node(&self, _node: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn put_next_question(&self, code: &str, question: &str) -> Result<(), StoreError> {
        let expires = Instant::now() + ROOM_TTL;
        self.with(|s| {
            s.next_questions.insert(
                code.to_string(),
                Entry {
                    value: question.to_string(),
                    expires,
                },
            )
        });
        Ok(())
    }

    async fn take_next_question(&self, code: &str) -> Result<Option<String>, StoreError> {
        let now = Instant::now();
        Ok(self.with(|s| {
            s.next_questions
                .remove(code)
                .filter(|e| e.live(now))
                .map(|e| e.value)
        }))
    }

    async fn throttle(
        &self,
        key: &str,
        burst: u32,
        period: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        // The GCRA of `redis.rs`, on this process's monotonic clock.
        let burst = burst.max(1);
        let interval = (period / burst).max(Duration::from_micros(1));
        let now = Instant::now();
        Ok(self.with(|s| {
            let tat = s.throttles.get(key).copied().unwrap_or(now).max(now);
            let new_tat = tat + interval;
            let allowed_until = now + interval * burst;
            if new_tat > allowed_until {
                let over = new_tat - allowed_until;
                // Whole milliseconds, rounded up, as the Redis store answers.
                let ms = over.as_micros().div_ceil(1_000);
                return Some(Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)));
            }
            s.throttles.insert(key.to_string(), new_tat);
            None
        }))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
