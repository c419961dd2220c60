//! The results cache: each poll's counts, kept where every node reads them. In Redis
//! (`RedisCache`) each poll's counts are one hash `{prefix}poll:{ID}:counts` (the braces are
//! part of the name: the poll id is the key's hash tag, see `keys`), a field per option id,
//! `voters`, and `seq`, bumped by every change. Votes add their delta with one
//! Lua script after their commit, so counts are exact the moment a vote is acknowledged, on any
//! node (one Redis). A missing hash (flushed, restarted, expired) is never patched by a delta:
//! the next reader rebuilds it from Postgres (see `db::ballots` for why the two never cross).

use async_trait::async_trait;
use redis::Script;
use std::{collections::HashMap, sync::Arc, time::Duration};
use uuid::Uuid;

use super::{
    StoreError,
    conn::{RedisConn, unavailable},
    keys,
};
use crate::domain::poll::vote::Delta;

#[cfg(test)]
mod contract;
pub(crate) mod memory;

/// Counts of polls nobody votes on or reads expire; the next read rebuilds them.
const COUNTS_TTL_SECS: i64 = 24 * 3_600;

const APPLY_LUA: &str = r#"
-- KEYS[1] counts hash; ARGV: ttl, voters delta, then option id / delta pairs.
-- Returns nil when the hash is missing (a reader rebuilds it), else the hash after.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
redis.call('HINCRBY', KEYS[1], 'voters', ARGV[2])
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('EXPIRE', KEYS[1], ARGV[1])
return redis.call('HGETALL', KEYS[1])
"#;

const INSTALL_LUA: &str = r#"
-- KEYS[1] counts hash; ARGV: ttl, voters, then option id / count pairs. Replaces the hash
-- (the caller holds the poll's exclusive rebuild lock). `seq` continues from Redis's clock so
-- that it never goes back after a rebuild.
local t = redis.call('TIME')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'voters', ARGV[2], 'seq', tonumber(t[1]) * 1000000 + tonumber(t[2]))
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return redis.call('HGETALL', KEYS[1])
"#;

const SLOT_LUA: &str = r#"
-- KEYS[1] slot key; ARGV[1] period in ms. Takes the slot (0) or says how long it is held (ms).
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 0
end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then return 1 end
return left
"#;

/// A poll's counts as cached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub options: HashMap<Uuid, i64>,
    pub voters: i64,
    /// Grows with every change (a rebuild jumps it forward): newer counts have a larger one.
    pub seq: i64,
}

impl Counts {
    fn from_pairs(pairs: Vec<(String, i64)>) -> Counts {
        let mut c = Counts::default();
        for (k, v) in pairs {
            match k.as_str() {
                "voters" => c.voters = v,
                "seq" => c.seq = v,
                other => {
                    if let Ok(id) = other.parse() {
                        c.options.insert(id, v);
                    }
                }
            }
        }
        c
    }

    /// Adds a delta in place (the Lua script's HINCRBYs, for the in-process cache).
    fn add(&mut self, delta: &Delta) {
        self.voters += delta.voters;
        for (id, d) in &delta.options {
            *self.options.entry(*id).or_insert(0) += *d;
        }
        self.seq += 1;
    }

    pub(crate) fn votes(&self, option: Uuid) -> i64 {
        self.options.get(&option).copied().unwrap_or(0).max(0)
    }
}

/// What the poll service needs of the cache. Two implementations with one meaning: `RedisCache`
/// (any number of nodes) and `memory::MemoryCache` (one node, `REDIS_URL=memory`).
#[async_trait]
pub(crate) trait ResultsCache: Send + Sync {
    async fn get(&self, poll: Uuid) -> Result<Option<Counts>, StoreError>;
    /// Each poll's `seq` (`None`: not cached), in one round trip: how a node watching many
    /// polls for plain WebSockets (`polls::watch`) sees which changed.
    async fn seqs(&self, polls: &[Uuid]) -> Result<Vec<Option<i64>>, StoreError>;
    /// Adds a committed vote's delta; `None` when the counts are not cached (nothing to patch).
    async fn apply(&self, poll: Uuid, delta: &Delta) -> Result<Option<Counts>, StoreError>;
    /// Replaces the cached counts with a fresh count from Postgres; `seq` never goes back.
    async fn install(
        &self,
        poll: Uuid,
        options: &[(Uuid, i64)],
        voters: i64,
    ) -> Result<Counts, StoreError>;
    /// A cluster-wide rate slot: `None` if this caller took the slot `what` of `poll` for
    /// `period`, else how long until it frees. Bounds a poll's broadcasts across all nodes.
    async fn take_slot(
        &self,
        poll: Uuid,
        what: &str,
        period: Duration,
    ) -> Result<Option<Duration>, StoreError>;
    /// Puts an open poll's expiry in the deadline index (or takes it out: `None`).
    async fn schedule_expiry(
        &self,
        poll: Uuid,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), StoreError>;
    /// Polls whose indexed expiry is at or before `now`, at most `limit`.
    async fn due_expiries(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, StoreError>;
    async fn forget(&self, poll: Uuid) -> Result<(), StoreError>;
}

/// The cache as the poll service holds it.
pub(crate) type PollCache = Arc<dyn ResultsCache>;

pub(crate) struct RedisCache {
    conn: RedisConn,
    prefix: Arc<str>,
    apply: Arc<Script>,
    install: Arc<Script>,
    slot: Arc<Script>,
}

impl RedisCache {
    pub(crate) async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let conn = RedisConn::connect(url).await?;
        Ok(RedisCache {
            conn,
            prefix: prefix.into(),
            apply: Arc::new(Script::new(APPLY_LUA)),
            install: Arc::new(Script::new(INSTALL_LUA)),
            slot: Arc::new(Script::new(SLOT_LUA)),
        })
    }

    fn counts_key(&self, poll: Uuid) -> String {
        keys::poll(&self.prefix, poll, "counts")
    }

    fn expiries_key(&self) -> String {
        format!("{}poll_expiries", self.prefix)
    }
}

#[async_trait]
impl ResultsCache for RedisCache {
    async fn get(&self, poll: Uuid) -> Result<Option<Counts>, StoreError> {
        let mut conn = self.conn.clone();
        let pairs: Vec<(String, i64)> = redis::cmd("HGETALL")
            .arg(self.counts_key(poll))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok((!pairs.is_empty()).then(|| Counts::from_pairs(pairs)))
    }

    async fn seqs(&self, polls: &[Uuid]) -> Result<Vec<Option<i64>>, StoreError> {
        if polls.is_empty() {
            return Ok(Vec::new());
        }
        // One pipeline on a single server; each poll is in a slot of its own on a cluster.
        let cmds = polls
            .iter()
            .map(|poll| {
                let mut cmd = redis::cmd("HGET");
                cmd.arg(self.counts_key(*poll)).arg("seq");
                cmd
            })
            .collect();
        self.conn.each(cmds).await
    }

    async fn apply(&self, poll: Uuid, delta: &Delta) -> Result<Option<Counts>, StoreError> {
        let mut conn = self.conn.clone();
        let mut inv = self.apply.key(self.counts_key(poll));
        inv.arg(COUNTS_TTL_SECS).arg(delta.voters);
        for (id, d) in &delta.options {
            inv.arg(id.to_string()).arg(*d);
        }
        let pairs: Option<Vec<(String, i64)>> =
            inv.invoke_async(&mut conn).await.map_err(unavailable)?;
        Ok(pairs.map(Counts::from_pairs))
    }

    async fn install(
        &self,
        poll: Uuid,
        options: &[(Uuid, i64)],
        voters: i64,
    ) -> Result<Counts, StoreError> {
        let mut conn = self.conn.clone();
        let mut inv = self.install.key(self.counts_key(poll));
        inv.arg(COUNTS_TTL_SECS).arg(voters);
        for (id, n) in options {
            inv.arg(id.to_string()).arg(*n);
        }
        let pairs: Vec<(String, i64)> = inv.invoke_async(&mut conn).await.map_err(unavailable)?;
        Ok(Counts::from_pairs(pairs))
    }

    async fn take_slot(
        &self,
        poll: Uuid,
        what: &str,
        period: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        let mut conn = self.conn.clone();
        let ms = u64::try_from(period.as_millis()).unwrap_or(u64::MAX);
        let left: u64 = self
            .slot
            .key(keys::poll(&self.prefix, poll, what))
            .arg(ms)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok((left > 0).then(|| Duration::from_millis(left)))
    }

    async fn schedule_expiry(
        &self,
        poll: Uuid,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let mut cmd = match at {
            Some(at) => {
                let mut c = redis::cmd("ZADD");
                c.arg(self.expiries_key()).arg(at.timestamp_millis());
                c
            }
            None => {
                let mut c = redis::cmd("ZREM");
                c.arg(self.expiries_key());
                c
            }
        };
        cmd.arg(poll.to_string())
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn due_expiries(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut conn = self.conn.clone();
        let ids: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(self.expiries_key())
            .arg("-inf")
            .arg(now.timestamp_millis())
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(ids.iter().filter_map(|i| i.parse().ok()).collect())
    }

    async fn forget(&self, poll: Uuid) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("DEL")
            .arg(self.counts_key(poll))
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }
}
