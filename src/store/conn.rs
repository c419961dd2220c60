//! One connection type for a single Redis server and a Redis Cluster, so the stores are written
//! once. Both variants reconnect by themselves: `ConnectionManager` after a server restart, the
//! cluster connection after a node restarts or the slots move (it re-reads the topology).
//!
//! On a cluster a command or script may only touch keys of one hash slot; the stores' keys are
//! laid out for that (see `keys`). What still names keys of several slots at once (a batch of
//! session revocations, the counts of many polls) goes through `each`, which pipelines on a
//! single server and sends the commands one by one, concurrently, on a cluster.

use redis::{
    Cmd, Pipeline, RedisFuture, Value,
    aio::{ConnectionLike, ConnectionManager},
    cluster::ClusterClient,
    cluster_async::ClusterConnection,
};
use std::time::Duration;

use super::StoreError;
use crate::config::RedisTarget;

/// How long to connect or wait for an answer, and how often to retry, on the request path.
const TIMEOUT: Duration = Duration::from_secs(3);
const RETRIES: u32 = 2;

#[derive(Clone)]
pub(crate) enum RedisConn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl RedisConn {
    /// Connects to what `url` (a `REDIS_URL`) names.
    pub(crate) async fn connect(url: &str) -> Result<RedisConn, StoreError> {
        match RedisTarget::parse(url).map_err(|e| invalid(&e))? {
            RedisTarget::Memory => Err(invalid("REDIS_URL=memory has no Redis to connect to")),
            RedisTarget::Single(url) => {
                let client = redis::Client::open(url).map_err(unavailable)?;
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(TIMEOUT))
                    .set_response_timeout(Some(TIMEOUT))
                    .set_number_of_retries(RETRIES as usize);
                ConnectionManager::new_with_config(client, config)
                    .await
                    .map(RedisConn::Single)
                    .map_err(unavailable)
            }
            RedisTarget::Cluster(nodes) => cluster_client(&nodes, false)?
                .get_async_connection()
                .await
                .map(RedisConn::Cluster)
                .map_err(unavailable),
        }
    }

    /// Runs commands that may name keys of different slots, answers in order.
    pub(crate) async fn each<T: redis::FromRedisValue>(
        &self,
        cmds: Vec<Cmd>,
    ) -> Result<Vec<T>, StoreError> {
        if cmds.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            RedisConn::Single(conn) => {
                let mut pipe = redis::pipe();
                for cmd in cmds {
                    pipe.add_command(cmd);
                }
                pipe.query_async(&mut conn.clone())
                    .await
                    .map_err(unavailable)
            }
            RedisConn::Cluster(conn) => {
                futures::future::try_join_all(cmds.into_iter().map(|cmd| {
                    let mut conn = conn.clone();
                    async move { cmd.query_async::<T>(&mut conn).await }
                }))
                .await
                .map_err(unavailable)
            }
        }
    }
}

/// A cluster client over `nodes` with the request path's bounds; `resp3` for pub/sub pushes.
pub(crate) fn cluster_client(nodes: &[String], resp3: bool) -> Result<ClusterClient, StoreError> {
    let mut builder = ClusterClient::builder(nodes.iter().map(String::as_str))
        .connection_timeout(TIMEOUT)
        .response_timeout(TIMEOUT)
        .retries(RETRIES);
    if resp3 {
        builder = builder.use_protocol(redis::ProtocolVersion::RESP3);
    }
    builder.build().map_err(unavailable)
}

pub(crate) fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(std::sync::Arc::new(e))
}

fn invalid(what: &str) -> StoreError {
    StoreError::Unavailable(std::sync::Arc::new(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        what.to_string(),
    )))
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            RedisConn::Single(c) => c.req_packed_command(cmd),
            RedisConn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            RedisConn::Single(c) => c.req_packed_commands(cmd, offset, count),
            RedisConn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            RedisConn::Single(c) => c.get_db(),
            RedisConn::Cluster(c) => c.get_db(),
        }
    }
}
