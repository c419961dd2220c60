//! The Redis implementation of the live store. Each room is one hash `{prefix}room:{CODE}` with
//! its JSON state `s` and version `v`; a Lua script does the compare-and-swap and the deadline
//! index update together, so concurrent writers on any number of nodes never lose an update and
//! a deadline is never out of step with the state it belongs to.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::{AsyncCommands, Script, aio::ConnectionManager};
use std::{collections::HashSet, sync::Arc, time::Duration};
use uuid::Uuid;

use super::{LiveStore, StoreError, Stored};
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
    conn: ConnectionManager,
    prefix: String,
    save: Script,
    throttle: Script,
}

impl RedisStore {
    /// Connects with a `ConnectionManager`, which reconnects by itself after a Redis restart.
    pub(crate) async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(unavailable)?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_string(),
            save: Script::new(SAVE_LUA),
            throttle: Script::new(THROTTLE_LUA),
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
    fn session_key(&self, jti: Uuid) -> String {
        format!("{}session:{jti}", self.prefix)
    }
    fn presence_key(&self, code: &str) -> String {
        format!("{}presence:{}", self.prefix, code)
    }
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(Arc::new(e))
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

    async fn clear_deadline(&self, code: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.zrem(self.deadlines_key(), code)
            .await
            .map_err(unavailable)
    }

    async fn session_cached(&self, jti: Uuid) -> Result<Option<bool>, StoreError> {
        let mut conn = self.conn.clone();
        let state: Option<u8> = conn.get(self.session_key(jti)).await.map_err(unavailable)?;
        Ok(state.map(|s| s == 1))
    }

    async fn cache_session(
        &self,
        jti: Uuid,
        revoked: bool,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(self.session_key(jti))
            .arg(u8::from(revoked))
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
        let mut conn = self.conn.clone();
        conn.hincr(self.presence_key(code), user.to_string(), 1)
            .await
            .map_err(unavailable)
    }

    async fn presence_remove(&self, code: &str, user: UserId) -> Result<i64, StoreError> {
        let mut conn = self.conn.clone();
        let key = self.presence_key(code);
        let left: i64 = conn
            .hincr(&key, user.to_string(), -1)
            .await
            .map_err(unavailable)?;
        if left <= 0 {
            // Drop the field so the hash only names users who are here.
            let _: () = conn
                .hdel(&key, user.to_string())
                .await
                .map_err(unavailable)?;
        }
        Ok(left.max(0))
    }

    async fn connected_users(&self, code: &str) -> Result<HashSet<UserId>, StoreError> {
        let mut conn = self.conn.clone();
        let counts: Vec<(String, i64)> = conn
            .hgetall(self.presence_key(code))
            .await
            .map_err(unavailable)?;
        Ok(counts
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .filter_map(|(u, _)| u.parse().ok())
            .collect())
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
