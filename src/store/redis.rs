//! The Redis implementation of the live store. Each room is one hash `{prefix}room:{CODE}` with
//! its JSON state `s` and version `v`; a Lua script does the compare-and-swap and the deadline
//! index update together, so concurrent writers on any number of nodes never lose an update and
//! a deadline is never out of step with the state it belongs to.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::{AsyncCommands, Script, aio::ConnectionManager};
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};
use uuid::Uuid;

use super::{LiveStore, SessionState, StoreError, Stored};
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

/// Presence: one hash per room, `{user}@{node}` → that user's sockets in the room on that node,
/// so that a node's sockets can be told apart and dropped when the node dies. Changes a count
/// by ARGV[3], keeps the hash (and the node's list of rooms) alive for ARGV[4] seconds, and
/// returns the user's sockets in the room on live nodes (this one always counts as live).
const PRESENCE_LUA: &str = r#"
-- KEYS[1] presence hash, KEYS[2] node leases, KEYS[3] this node's rooms; ARGV: user, node,
-- delta, ttl seconds, room code
local field = ARGV[1] .. '@' .. ARGV[2]
local n = redis.call('HINCRBY', KEYS[1], field, tonumber(ARGV[3]))
if n <= 0 then redis.call('HDEL', KEYS[1], field) end
redis.call('EXPIRE', KEYS[1], ARGV[4])
if tonumber(ARGV[3]) > 0 then
  redis.call('SADD', KEYS[3], ARGV[5])
  redis.call('EXPIRE', KEYS[3], ARGV[4])
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mine = ARGV[1] .. '@'
local total = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, #mine) == mine then
    local node = string.sub(all[i], #mine + 1)
    local lease = redis.call('ZSCORE', KEYS[2], node)
    if node == ARGV[2] or (lease and tonumber(lease) > now) then
      total = total + tonumber(all[i + 1])
    end
  end
end
return total
"#;

/// The users with a socket in a room on a live node (ARGV[1], the asking node, counts as live).
const CONNECTED_LUA: &str = r#"
-- KEYS[1] presence hash, KEYS[2] node leases; ARGV: this node
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = {}
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local at = string.find(all[i], '@', 1, true)
  if at and tonumber(all[i + 1]) > 0 then
    local node = string.sub(all[i], at + 1)
    if live[node] == nil then
      local lease = redis.call('ZSCORE', KEYS[2], node)
      live[node] = node == ARGV[1] or (lease ~= false and tonumber(lease) > now)
    end
    if live[node] then table.insert(out, string.sub(all[i], 1, at - 1)) end
  end
end
return out
"#;

/// Renews this node's lease: live until Redis's clock passes now + ARGV[2] ms. Returns 1 when
/// the node was not in the index (just started, or taken for dead after a stall).
const HEARTBEAT_LUA: &str = r#"
-- KEYS[1] node leases; ARGV: node, lease ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
"#;

/// Claims up to ARGV[1] nodes whose lease has run out: each is taken out of the lease index
/// here, so exactly one caller cleans up after it. Returns node, expiry (ms) pairs.
const DEAD_NODES_LUA: &str = r#"
-- KEYS[1] node leases; ARGV: limit
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1]))
for i = 1, #dead, 2 do redis.call('ZREM', KEYS[1], dead[i]) end
return dead
"#;

/// Drops one node's entries from a room's presence hash; returns the users they were of.
const DROP_NODE_LUA: &str = r#"
-- KEYS[1] presence hash; ARGV: node
local suffix = '@' .. ARGV[1]
local users = {}
local all = redis.call('HKEYS', KEYS[1])
for _, field in ipairs(all) do
  if #field > #suffix and string.sub(field, -#suffix) == suffix then
    redis.call('HDEL', KEYS[1], field)
    table.insert(users, string.sub(field, 1, #field - #suffix))
  end
end
return users
"#;

/// A fresh version for a save. Versions are random rather than counted so that one can never
/// come back: nodes keep rooms cached and swap against the cached version, and a counter
/// restarted by a rebuild (after Redis lost the room) could meet an old cached number again
/// and let a stale state overwrite newer ones.
fn new_version() -> u64 {
    rand::random_range(1..=i64::MAX as u64)
}

pub(crate) struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    /// This process's id in presence entries and the node lease index.
    node: String,
    /// This node's own socket counts per room and user: what it writes back should another
    /// node have taken it for dead (a stall longer than its lease) and dropped its entries.
    /// Changes are serialised through it, which presence's rate (joins, disconnects) allows.
    local: tokio::sync::Mutex<HashMap<(String, UserId), i64>>,
    save: Script,
    throttle: Script,
    presence: Script,
    connected: Script,
    heartbeat: Script,
    dead_nodes: Script,
    drop_node: Script,
}

impl RedisStore {
    pub(crate) async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let conn = managed_connection(url).await?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_string(),
            node: Uuid::new_v4().simple().to_string(),
            local: tokio::sync::Mutex::default(),
            save: Script::new(SAVE_LUA),
            throttle: Script::new(THROTTLE_LUA),
            presence: Script::new(PRESENCE_LUA),
            connected: Script::new(CONNECTED_LUA),
            heartbeat: Script::new(HEARTBEAT_LUA),
            dead_nodes: Script::new(DEAD_NODES_LUA),
            drop_node: Script::new(DROP_NODE_LUA),
        })
    }

    fn room_key(&self, code: &str) -> String {
        format!("{}room:{}", self.prefix, code)
    }
    fn deadlines_key(&self) -> String {
        format!("{}deadlines", self.prefix)
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
    fn presence_key(&self, code: &str) -> String {
        format!("{}presence:{}", self.prefix, code)
    }
    fn leases_key(&self) -> String {
        format!("{}nodes", self.prefix)
    }
    fn node_rooms_key(&self, node: &str) -> String {
        format!("{}node_rooms:{node}", self.prefix)
    }

    /// Changes this node's count of `user`'s sockets in `code`; the user's live total after.
    async fn presence_change(
        &self,
        code: &str,
        user: UserId,
        delta: i64,
    ) -> Result<i64, StoreError> {
        let mut local = self.local.lock().await;
        // The socket came or went whatever Redis says: the count kept here follows it.
        let entry = local.entry((code.to_string(), user)).or_insert(0);
        *entry += delta;
        if *entry <= 0 {
            local.remove(&(code.to_string(), user));
        }
        let mut conn = self.conn.clone();
        self.presence
            .key(self.presence_key(code))
            .key(self.leases_key())
            .key(self.node_rooms_key(&self.node))
            .arg(user.to_string())
            .arg(&self.node)
            .arg(delta)
            .arg(ROOM_TTL_SECS)
            .arg(code)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)
    }
}

pub(crate) fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(Arc::new(e))
}

/// A `ConnectionManager` (it reconnects by itself after a Redis restart) with the bounds every
/// request-path use of Redis shares: 3 s to connect or answer, two retries.
pub(crate) async fn managed_connection(url: &str) -> Result<ConnectionManager, StoreError> {
    let client = redis::Client::open(url).map_err(unavailable)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(3)))
        .set_number_of_retries(2);
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(unavailable)
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
            .key(self.deadlines_key())
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

    async fn due_rooms(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.clone();
        let limit = isize::try_from(limit).unwrap_or(isize::MAX);
        conn.zrangebyscore_limit(
            self.deadlines_key(),
            "-inf",
            now.timestamp_millis(),
            0,
            limit,
        )
        .await
        .map_err(unavailable)
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
            .arg(self.deadlines_key())
            .arg("XX")
            .arg(at.timestamp_millis())
            .arg(code)
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn clear_deadline(&self, code: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.zrem(self.deadlines_key(), code)
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
        let mut pipe = redis::pipe();
        for (jti, ttl) in sessions {
            pipe.cmd("SET")
                .arg(self.session_key(*jti))
                .arg(1u8)
                .arg("PX")
                .arg(ttl.as_millis().max(1).to_string())
                .ignore();
        }
        let mut conn = self.conn.clone();
        pipe.query_async::<()>(&mut conn).await.map_err(unavailable)
    }

    async fn presence_add(&self, code: &str, user: UserId) -> Result<i64, StoreError> {
        self.presence_change(code, user, 1).await
    }

    async fn presence_remove(&self, code: &str, user: UserId) -> Result<i64, StoreError> {
        Ok(self.presence_change(code, user, -1).await?.max(0))
    }

    async fn connected_users(&self, code: &str) -> Result<HashSet<UserId>, StoreError> {
        let mut conn = self.conn.clone();
        let users: Vec<String> = self
            .connected
            .key(self.presence_key(code))
            .key(self.leases_key())
            .arg(&self.node)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(users.into_iter().filter_map(|u| u.parse().ok()).collect())
    }

    async fn heartbeat(&self, lease: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let local = self.local.lock().await;
        let new: i64 = self
            .heartbeat
            .key(self.leases_key())
            .arg(&self.node)
            .arg(u64::try_from(lease.as_millis()).unwrap_or(u64::MAX))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        if new == 0 || local.is_empty() {
            return Ok(());
        }
        // Taken for dead while alive: put this node's sockets back.
        tracing::warn!(node = %self.node, "this node's lease had run out; restoring its presence");
        let mut pipe = redis::pipe();
        for ((code, user), n) in local.iter() {
            let key = self.presence_key(code);
            pipe.hset(&key, format!("{user}@{}", self.node), *n)
                .ignore()
                .expire(&key, ROOM_TTL_SECS)
                .ignore()
                .sadd(self.node_rooms_key(&self.node), code)
                .ignore();
        }
        pipe.expire(self.node_rooms_key(&self.node), ROOM_TTL_SECS)
            .ignore();
        pipe.query_async::<()>(&mut conn).await.map_err(unavailable)
    }

    async fn dead_nodes(&self, limit: usize) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let mut conn = self.conn.clone();
        let dead: Vec<(String, f64)> = self
            .dead_nodes
            .key(self.leases_key())
            .arg(limit)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(dead
            .into_iter()
            .map(|(node, ms)| {
                let expired = DateTime::<Utc>::from_timestamp_millis(ms as i64).unwrap_or_default();
                (node, expired)
            })
            .collect())
    }

    async fn node_rooms(&self, node: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.clone();
        conn.smembers(self.node_rooms_key(node))
            .await
            .map_err(unavailable)
    }

    async fn drop_node_presence(&self, code: &str, node: &str) -> Result<Vec<UserId>, StoreError> {
        let mut conn = self.conn.clone();
        let users: Vec<String> = self
            .drop_node
            .key(self.presence_key(code))
            .arg(node)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(users.iter().filter_map(|u| u.parse().ok()).collect())
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
            format!("{}nextq:{code}", self.prefix),
            question,
            u64::try_from(ROOM_TTL_SECS).unwrap_or(86_400),
        )
        .await
        .map_err(unavailable)
    }

    async fn take_next_question(&self, code: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn.clone();
        conn.get_del(format!("{}nextq:{code}", self.prefix))
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
