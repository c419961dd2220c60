//! Presence and node leases in Redis. Presence is one hash per room (`{prefix}presence:{rN}:
//! {CODE}`, in the room's slot), `{user}@{node}` → that user's sockets in the room on that node,
//! so that a node's sockets can be told apart and dropped when the node dies. Leases are one
//! sorted set (`{prefix}nodes`: node → when its lease runs out, by Redis's clock), and each node
//! keeps the list of rooms it has sockets in (`{prefix}node_rooms:{node}`).
//!
//! The three live in different slots of a cluster, so no script touches two of them: a change
//! of presence is one script on the room's hash, and whether the other nodes it names are alive
//! is a second one on the leases (asked only when another node is named). A node lists a room
//! before it counts a socket there, so a dead node's list covers every room it counted in.

use chrono::{DateTime, Utc};
use redis::{AsyncCommands, Script};
use std::{collections::HashSet, time::Duration};

use super::{ROOM_TTL_SECS, RedisStore};
use crate::{
    domain::UserId,
    store::{StoreError, conn::unavailable, keys},
};

/// Changes a user's count on this node by ARGV[3] and keeps the hash alive for ARGV[4] seconds;
/// returns that user's entries (node, count pairs) on every node.
const CHANGE_LUA: &str = r#"
-- KEYS[1] presence hash; ARGV: user, node, delta, ttl seconds
local field = ARGV[1] .. '@' .. ARGV[2]
local n = redis.call('HINCRBY', KEYS[1], field, tonumber(ARGV[3]))
if n <= 0 then redis.call('HDEL', KEYS[1], field) end
redis.call('EXPIRE', KEYS[1], ARGV[4])
local mine = ARGV[1] .. '@'
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, #mine) == mine then
    table.insert(out, string.sub(all[i], #mine + 1))
    table.insert(out, all[i + 1])
  end
end
return out
"#;

/// Which of the nodes ARGV names hold a live lease, by Redis's clock: 1 or 0 for each.
const LIVE_LUA: &str = r#"
-- KEYS[1] node leases; ARGV: nodes
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 1, #ARGV do
  local lease = redis.call('ZSCORE', KEYS[1], ARGV[i])
  out[i] = (lease and tonumber(lease) > now) and 1 or 0
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

pub(super) struct Scripts {
    change: Script,
    live: Script,
    heartbeat: Script,
    dead_nodes: Script,
    drop_node: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Scripts {
            change: Script::new(CHANGE_LUA),
            live: Script::new(LIVE_LUA),
            heartbeat: Script::new(HEARTBEAT_LUA),
            dead_nodes: Script::new(DEAD_NODES_LUA),
            drop_node: Script::new(DROP_NODE_LUA),
        }
    }
}

impl RedisStore {
    fn presence_key(&self, code: &str) -> String {
        keys::room(&self.prefix, "presence", code)
    }
    fn leases_key(&self) -> String {
        format!("{}nodes", self.prefix)
    }
    pub(super) fn node_rooms_key(&self, node: &str) -> String {
        format!("{}node_rooms:{node}", self.prefix)
    }

    /// Of `nodes`, those alive: this one always, the others while their lease runs.
    async fn live_nodes(&self, nodes: HashSet<String>) -> Result<HashSet<String>, StoreError> {
        let others: Vec<String> = nodes.into_iter().filter(|n| *n != self.node).collect();
        let mut live = HashSet::from([self.node.clone()]);
        if others.is_empty() {
            return Ok(live);
        }
        let mut conn = self.conn.clone();
        let flags: Vec<i64> = self
            .presence
            .live
            .key(self.leases_key())
            .arg(&others)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        live.extend(
            others
                .into_iter()
                .zip(flags)
                .filter_map(|(node, flag)| (flag == 1).then_some(node)),
        );
        Ok(live)
    }

    /// Changes this node's count of `user`'s sockets in `code`; the user's live total after.
    pub(super) async fn presence_change(
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
        if delta > 0 {
            let rooms = self.node_rooms_key(&self.node);
            redis::pipe()
                .sadd(&rooms, code)
                .ignore()
                .expire(&rooms, ROOM_TTL_SECS)
                .ignore()
                .query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)?;
        }
        let entries: Vec<(String, i64)> = self
            .presence
            .change
            .key(self.presence_key(code))
            .arg(user.to_string())
            .arg(&self.node)
            .arg(delta)
            .arg(ROOM_TTL_SECS)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        drop(local);
        let live = self
            .live_nodes(entries.iter().map(|(node, _)| node.clone()).collect())
            .await?;
        Ok(entries
            .iter()
            .filter(|(node, _)| live.contains(node))
            .map(|(_, n)| *n)
            .sum())
    }

    /// The users with a socket in `code` on a live node.
    pub(super) async fn connected(&self, code: &str) -> Result<HashSet<UserId>, StoreError> {
        let mut conn = self.conn.clone();
        let all: Vec<(String, i64)> = conn
            .hgetall(self.presence_key(code))
            .await
            .map_err(unavailable)?;
        let entries: Vec<(&str, &str)> = all
            .iter()
            .filter(|(_, n)| *n > 0)
            .filter_map(|(field, _)| field.split_once('@'))
            .collect();
        let live = self
            .live_nodes(entries.iter().map(|(_, node)| node.to_string()).collect())
            .await?;
        Ok(entries
            .into_iter()
            .filter(|(_, node)| live.contains(*node))
            .filter_map(|(user, _)| user.parse().ok())
            .collect())
    }

    pub(super) async fn renew_lease(&self, lease: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let local = self.local.lock().await;
        let new: i64 = self
            .presence
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
        // Taken for dead while alive: put this node's sockets back, the room list first. One
        // pipeline per key, each in one slot of a cluster.
        tracing::warn!(node = %self.node, "this node's lease had run out; restoring its presence");
        let rooms_key = self.node_rooms_key(&self.node);
        let mut rooms = redis::pipe();
        for (code, _) in local.keys() {
            rooms.sadd(&rooms_key, code).ignore();
        }
        rooms.expire(&rooms_key, ROOM_TTL_SECS).ignore();
        rooms
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)?;
        let restores = local.iter().map(|((code, user), n)| {
            let key = self.presence_key(code);
            let mut pipe = redis::pipe();
            pipe.hset(&key, format!("{user}@{}", self.node), *n)
                .ignore()
                .expire(&key, ROOM_TTL_SECS)
                .ignore();
            let mut conn = self.conn.clone();
            async move { pipe.query_async::<()>(&mut conn).await }
        });
        futures::future::try_join_all(restores)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    pub(super) async fn claim_dead_nodes(
        &self,
        limit: usize,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let mut conn = self.conn.clone();
        let dead: Vec<(String, f64)> = self
            .presence
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

    pub(super) async fn drop_presence_of(
        &self,
        code: &str,
        node: &str,
    ) -> Result<Vec<UserId>, StoreError> {
        let mut conn = self.conn.clone();
        let users: Vec<String> = self
            .presence
            .drop_node
            .key(self.presence_key(code))
            .arg(node)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(users.iter().filter_map(|u| u.parse().ok()).collect())
    }
}
