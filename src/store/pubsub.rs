//! The Redis pub/sub driver behind the Socket.IO adapter, so broadcasts reach sockets on every
//! node. socketioxide-redis's stock driver keeps one multiplexed connection that stays broken
//! after a Redis restart; this one rides on `ConnectionManager`, which reconnects by itself and
//! re-subscribes every channel (`set_automatic_resubscription`), so a restart costs the
//! messages published while Redis was down and nothing after.
//!
//! Publishing does not wait for Redis: the adapter publishes a broadcast to the other nodes
//! *before* delivering it to this node's sockets, so a waited-for PUBLISH would put a Redis
//! round trip in front of every local delivery. Messages go to an outbox instead, which one
//! task sends in order, as one pipeline per burst.
//!
//! With `REDIS_URL=memory` there is one node and no Redis: `ManagedDriver::alone` publishes
//! nothing and counts itself as the only server, so the adapter delivers to this node's sockets
//! and never encodes a message for, or waits on, another node.

use redis::{FromRedisValue, PushInfo, PushKind, aio::ConnectionManager};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Duration,
};
use tokio::sync::mpsc;

type Handlers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PubSubError {
    #[error("redis pub/sub: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis has been unreachable long enough for the outbox to fill.
    #[error("redis pub/sub: outbox full, message dropped")]
    OutboxFull,
}

/// Messages waiting to be published at most; beyond that (Redis away) they are dropped.
const OUTBOX: usize = 65_536;
/// Messages sent in one pipeline at most.
const PIPELINE: usize = 512;

#[derive(Clone)]
pub(crate) struct ManagedDriver {
    handlers: Handlers,
    /// `None`: a single node without Redis (see `alone`).
    remote: Option<Remote>,
}

#[derive(Clone)]
struct Remote {
    conn: ConnectionManager,
    outbox: mpsc::Sender<(String, Vec<u8>)>,
}

impl ManagedDriver {
    /// Connects with RESP3 (pub/sub messages arrive as pushes on the same connection).
    pub(crate) async fn connect(url: &str) -> Result<Self, PubSubError> {
        let url = if url.contains("protocol=") {
            url.to_string()
        } else if url.contains('?') {
            format!("{url}&protocol=resp3")
        } else {
            format!("{url}?protocol=resp3")
        };
        let client = redis::Client::open(url)?;
        let handlers: Handlers = Arc::default();
        let sink = Arc::clone(&handlers);
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_automatic_resubscription()
            .set_push_sender(move |msg: PushInfo| {
                route(msg, &sink);
                Ok::<(), std::convert::Infallible>(())
            });
        let conn = ConnectionManager::new_with_config(client, config).await?;
        let (outbox, pending) = mpsc::channel(OUTBOX);
        tokio::spawn(send_outbox(conn.clone(), pending));
        Ok(ManagedDriver {
            handlers,
            remote: Some(Remote { conn, outbox }),
        })
    }

    /// The driver of a node that is the only one: nothing to publish to, nobody to hear from.
    pub(crate) fn alone() -> Self {
        ManagedDriver {
            handlers: Arc::default(),
            remote: None,
        }
    }
}

/// Publishes the outbox in order: whatever gathered while the last pipeline was in flight goes
/// out as the next one. Ends when every driver handle is gone.
async fn send_outbox(mut conn: ConnectionManager, mut pending: mpsc::Receiver<(String, Vec<u8>)>) {
    let mut batch = Vec::with_capacity(PIPELINE);
    while pending.recv_many(&mut batch, PIPELINE).await > 0 {
        let mut pipe = redis::pipe();
        for (chan, val) in batch.drain(..) {
            pipe.publish(chan, val).ignore();
        }
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            crate::metrics::dependency_error("redis");
            tracing::warn!(error = %e, "could not publish to the other nodes");
        }
    }
}

/// Hands a pushed message to the stream of its channel. Never blocks the connection: a full
/// stream drops the message with a warning (the adapter's buffer is sized for bursts).
fn route(msg: PushInfo, handlers: &Handlers) {
    if !matches!(msg.kind, PushKind::Message | PushKind::SMessage) || msg.data.len() < 2 {
        return;
    }
    let mut data = msg.data.into_iter();
    let (Some(chan), Some(payload)) = (data.next(), data.next()) else {
        return;
    };
    let (Ok(chan), Ok(payload)) = (
        String::from_redis_value(chan),
        Vec::<u8>::from_redis_value(payload),
    ) else {
        tracing::warn!("unreadable pub/sub message");
        return;
    };
    let Ok(handlers) = handlers.read() else {
        return;
    };
    if let Some(tx) = handlers.get(&chan)
        && let Err(e) = tx.try_send((chan, payload))
    {
        tracing::warn!(error = %e, "pub/sub stream full; message dropped");
    }
}

impl Driver for ManagedDriver {
    type Error = PubSubError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), Self::Error> {
        let Some(remote) = &self.remote else {
            return Ok(());
        };
        remote
            .outbox
            .try_send((chan, val))
            .map_err(|_| PubSubError::OutboxFull)
    }

    async fn subscribe(
        &self,
        chan: String,
        size: usize,
    ) -> Result<MessageStream<ChanItem>, Self::Error> {
        let (tx, rx) = mpsc::channel(size);
        // Kept even alone: the stream stays open (and silent) for as long as the handler lives.
        if let Ok(mut h) = self.handlers.write() {
            h.insert(chan.clone(), tx);
        }
        if let Some(remote) = &self.remote {
            remote.conn.clone().subscribe(chan).await?;
        }
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), Self::Error> {
        if let Ok(mut h) = self.handlers.write() {
            h.remove(&chan);
        }
        if let Some(remote) = &self.remote {
            remote.conn.clone().unsubscribe(chan).await?;
        }
        Ok(())
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, Self::Error> {
        let Some(remote) = &self.remote else {
            return Ok(1);
        };
        let (_, count): (String, u16) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(chan)
            .query_async(&mut remote.conn.clone())
            .await?;
        Ok(count)
    }
}
