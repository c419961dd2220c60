//! The Redis implementation of the live store, on one server or a cluster (`conn`). Each room
//! is one hash `{prefix}room:{rN}:{CODE}` with its JSON state `s` and version `v`; a Lua script
//! does the compare-and-swap and the update of the room's shard of the deadline index together
//! (one slot: see `keys`), so concurrent writers on any number of nodes never lose an update
//! and a deadline is never out of step with the state it belongs to. Presence is in `presence`.

mod presence;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::{AsyncCommands, Script};
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};
use uuid::Uuid;

use super::{
    LiveStore, SessionState, StoreError, Stored,
    conn::{RedisConn, unavailable},
    keys,
};
use crate::domain::{Room, UserId};

/// How long a closed room's live state lingers, so late readers see it closed rather than gone.
const CLOSED_ROOM_TTL_SECS: i64 = 3_600;
/// Live state of rooms nobody touches for this long is dropped; Postgres keeps the record.
const ROOM_TTL_SECS: i64 = 7 * 86_400;

const SAVE_LUA: &str = r#"
-- KEYS[1] room hash, KEYS[2] deadline index; ARGV: expected version, state json,
-- deadline in ms ('' for none), index member, ttl seconds, new version
local current = redis.call('HGET', KEYS[1], 'v')
if (current or '0') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[6], 's', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[5])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[2], ARGV[4])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
end
return 1
"#;

/// A GCRA (generic cell rate algorithm) limiter in one atomic step, on Redis's own clock so
/// that nodes' clocks need not agree. The key holds the theoretical arrival time (µs).
const THROTTLE_LUA: &str = r#"
-- KEYS[1] limiter; ARGV: emission interval (µs), burst
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local over = new_tat - (now + burst * interval)
if over > 0 then
  return math.ceil(over / 1000)
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return 0
"#;

/// A fresh version for a save. Versions are random rather than counted so that one can never
/// come back: nodes keep rooms cached and swap against the cached version, and a counter
/// restarted by a rebuild (after Redis lost the room) could meet an old cached number again
/// and let a stale state overwrite newer ones.
fn new_version() -> u64 {
    rand::random_range(1..=i64::MAX as u64)
}

pub(crate) struct RedisStore {
    conn: RedisConn,
    prefix: String,
    /// This process's id in presence entries and the node lease index.
    node: String,
    /// This node's own socket counts per room and user: what it writes back should another
    /// node have taken it for dead (a stall longer than its lease) and dropped its entries.
    /// Changes are serialised through it, which presence's rate (joins, disconnects) allows.
    local: tokio::sync::Mutex<HashMap<(String, UserId), i64>>,
    save: Script,
    throttle: Script,
    presence: presence::Scripts,
}

impl RedisStore {
    pub(crate) async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let conn = RedisConn::connect(url).await?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_string(),
            node: Uuid::new_v4().simple().to_string(),
            local: tokio::sync::Mutex::default(),
            save: Script::new(SAVE_LUA),
            throttle: Script::new(THROTTLE_LUA),
            presence: presence::Scripts::new(),
        })
    }

    fn room_key(&self, code: &str) -> String {
        keys::room(&self.prefix, "room", code)
    }
    fn deadlines_key(&self, code: &str) -> String {
        keys::deadlines(&self.prefix, keys::room_shard(code))
    }
    fn host_away_key(&self) -> String {
        format!("{}host_away", self.prefix)
    }
    /// `session2:`: the value changed shape (the owner's id, not `0`), so it has a key of its
    /// own; a node of the version before keeps reading and writing `session:` during a rolling
    /// deploy without either misreading the other (each falls back to Postgres, the record).
    fn session_key(&self, jti: Uuid) -> String {
        format!("{}session2:{jti}", self.prefix)
    }
    fn next_question_key(&self, code: &str) -> String {
        keys::room(&self.prefix, "nextq", code)
    }
}

#[async_trait]
impl LiveStore for RedisStore {
    async fn load_room(&self, code: &str) -> Result<Option<Stored>, StoreError> {
        let mut conn = self.conn.clone();
        let (version, state): (Option<u64>, Option<String>) = redis::cmd("HMGET")
            .arg(self.room_key(code))
            .arg("v")
            .arg("s")
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        match (version, state) {
            (Some(version), Some(state)) => {
                let room = serde_json::from_str(&state).map_err(|e| StoreError::Corrupt {
                    what: format!("room {code}"),
                    source: Arc::new(e),
                })?;
                Ok(Some(Stored { room, version }))
            }
            _ => Ok(None),
        }
    }

    async fn save_room(&self, room: &Room, expected: u64) -> Result<Option<u64>, StoreError> {
        let state = serde_json::to_string(room).map_err(|e| StoreError::Corrupt {
            what: format!("room {}", room.code),
            source: Arc::new(e),
        })?;
        let deadline = room
            .deadline()
            .map(|d| d.timestamp_millis().to_string())
            .unwrap_or_default();
        let ttl = if room.closed {
            CLOSED_ROOM_TTL_SECS
        } else {
            ROOM_TTL_SECS
        };
        let version = new_version();
        let mut conn = self.conn.clone();
        let result: i64 = self
            .save
            .key(self.room_key(&room.code))
            .key(self.deadlines_key(&room.code))
            .arg(expected)
            .arg(state)
            .arg(deadline)
            .arg(&room.code)
            .arg(ttl)
            .arg(version)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok((result == 1).then_some(version))
    }

    async fn forget_room(&self, code: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.del::<_, ()>(self.room_key(code))
            .await
            .map_err(unavailable)
    }

    /// Reads every shard of the index (one pipeline on a single server, concurrent reads on a
    /// cluster) and merges them, oldest first.
    async fn due_rooms(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<String>, StoreError> {
        let cmds = (0..keys::ROOM_SHARDS)
            .map(|shard| {
                let mut cmd = redis::cmd("ZRANGEBYSCORE");
                cmd.arg(keys::deadlines(&self.prefix, shard))
                    .arg("-inf")
                    .arg(now.timestamp_millis())
                    .arg("WITHSCORES")
                    .arg("LIMIT")
                    .arg(0)
                    .arg(limit);
                cmd
            })
            .collect();
        let shards: Vec<Vec<(String, f64)>> = self.conn.each(cmds).await?;
        let mut due: Vec<(String, f64)> = shards.into_iter().flatten().collect();
        due.sort_by(|a, b| a.1.total_cmp(&b.1));
        Ok(due.into_iter().take(limit).map(|(code, _)| code).collect())
    }

    async fn host_away(&self, code: &str, hand_over_at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.zadd(self.host_away_key(), code, hand_over_at.timestamp_millis())
            .await
            .map_err(unavailable)
    }

    async fn host_back(&self, code: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.zrem(self.host_away_key(), code)
            .await
            .map_err(unavailable)
    }

    async fn hosts_gone(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.clone();
        let limit = isize::try_from(limit).unwrap_or(isize::MAX);
        conn.zrangebyscore_limit(
            self.host_away_key(),
            "-inf",
            now.timestamp_millis(),
            0,
            limit,
        )
        .await
        .map_err(unavailable)
    }

    async fn defer_deadline(&self, code: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("ZADD")
            .arg(self.deadlines_key(code))
            .arg("XX")
            .arg(at.timestamp_millis())
            .arg(code)
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn clear_deadline(&self, code: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.zrem(self.deadlines_key(code), code)
            .await
            .map_err(unavailable)
    }

    /// Stored as `1` for a revoked session and the owner's id for a live one.
    async fn session_cached(&self, jti: Uuid) -> Result<Option<SessionState>, StoreError> {
        let mut conn = self.conn.clone();
        let state: Option<String> = conn.get(self.session_key(jti)).await.map_err(unavailable)?;
        Ok(match state.as_deref() {
            Some("1") => Some(SessionState::Revoked),
            Some(owner) => owner.parse().ok().map(|user| SessionState::Live { user }),
            None => None,
        })
    }

    async fn cache_session(
        &self,
        jti: Uuid,
        state: SessionState,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let value = match state {
            SessionState::Revoked => "1".to_string(),
            SessionState::Live { user } => user.to_string(),
        };
        redis::cmd("SET")
            .arg(self.session_key(jti))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis().max(1).to_string())
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn revoke_sessions(&self, sessions: &[(Uuid, Duration)]) -> Result<(), StoreError> {
        if sessions.is_empty() {
            return Ok(());
        }
        // Each session's key is in a slot of its own on a cluster.
        let cmds = sessions
            .iter()
            .map(|(jti, ttl)| {
                let mut cmd = redis::cmd("SET");
                cmd.arg(self.session_key(*jti))
                    .arg(1u8)
                    .arg("PX")
                    .arg(ttl.as_millis().max(1).to_string());
                cmd
            })
            .collect();
        self.conn.each::<()>(cmds).await.map(|_| ())
    }

    async fn presence_add(&self, code: &str, user: UserId) -> Result<i64, StoreError> {
        self.presence_change(code, user, 1).await
    }

    async fn presence_remove(&self, code: &str, user: UserId) -> Result<i64, StoreError> {
        Ok(self.presence_change(code, user, -1).await?.max(0))
    }

    async fn connected_users(&self, code: &str) -> Result<HashSet<UserId>, StoreError> {
        self.connected(code).await
    }

    async fn heartbeat(&self, lease: Duration) -> Result<(), StoreError> {
        self.renew_lease(lease).await
    }

    async fn dead_nodes(&self, limit: usize) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        self.claim_dead_nodes(limit).await
    }

    async fn node_rooms(&self, node: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.clone();
        conn.smembers(self.node_rooms_key(node))
            .await
            .map_err(unavailable)
    }

    async fn drop_node_presence(&self, code: &str, node: &str) -> Result<Vec<UserId>, StoreError> {
        self.drop_presence_of(code, node).await
    }

    async fn forget_node(&self, node: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.del::<_, ()>(self.node_rooms_key(node))
            .await
            .map_err(unavailable)
    }

    async fn put_next_question(&self, code: &str, question: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.set_ex::<_, _, ()>(
            self.next_question_key(code),
            question,
            u64::try_from(ROOM_TTL_SECS).unwrap_or(86_400),
        )
        .await
        .map_err(unavailable)
    }

    async fn take_next_question(&self, code: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn.clone();
        conn.get_del(self.next_question_key(code))
            .await
            .map_err(unavailable)
    }

    async fn throttle(
        &self,
        key: &str,
        burst: u32,
        period: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        let burst = burst.max(1);
        let interval = (period.as_micros() / u128::from(burst)).max(1);
        let mut conn = self.conn.clone();
        let wait_ms: u64 = self
            .throttle
            .key(format!("{}throttle:{key}", self.prefix))
            .arg(u64::try_from(interval).unwrap_or(u64::MAX))
            .arg(burst)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok((wait_ms > 0).then(|| Duration::from_millis(wait_ms)))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}
