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
//! A node alone on its Redis publishes nothing either: Redis would only hand each message back
//! to its sender, which decodes it to drop it. Whether anyone else listens is learnt at start
//! and kept up to date three ways: a starting node counts the subscribers of the adapter's
//! request channel (every node of any version has one); it says `hello` on a control channel
//! and serves only once each node there has answered, and a node answers only after it has
//! started publishing, so no broadcast is withheld from a newcomer that has sockets; and while
//! alone, a node counts the request channel's subscribers again every second, which catches a
//! `hello` lost while its connection was being re-established. Once publishing, a node keeps
//! publishing (a node that goes away is not noticed, which only costs what it cost before).
//!
//! On a Redis Cluster the same runs on sharded pub/sub (SPUBLISH, SSUBSCRIBE, PUBSUB
//! SHARDNUMSUB) over the cluster connection, which re-subscribes by itself when a node comes
//! back or slots move. The adapter's own channels carry one hash tag (`channel_prefix`), so
//! counting the request channel's subscribers counts every node. The rooms' and polls' channels
//! (`gateway::fanout`) carry the tag of their room's (poll's) keys instead, so each lives on
//! its room's shard; the outbox sends one pipeline per hash tag (a cluster pipeline names one
//! slot), concurrently, so order holds within a channel and not across channels.
//!
//! Every message heard is counted, by kind of channel (`pubsub_received_*` metrics): what a
//! node receives is what it decodes, the cost that per-room channels cut.
//!
//! With `REDIS_URL=memory` there is one node and no Redis: `ManagedDriver::alone` publishes
//! nothing and counts itself as the only server, so the adapter delivers to this node's sockets
//! and never encodes a message for, or waits on, another node.

use redis::{FromRedisValue, PushInfo, PushKind, aio::ConnectionManager};

use super::conn::{RedisConn, cluster_client};
use crate::{config::RedisTarget, metrics::METRICS};
use prometheus::IntCounter;
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::sync::{Notify, mpsc};

type Handlers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PubSubError {
    #[error("redis pub/sub: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis has been unreachable long enough for the outbox to fill.
    #[error("redis pub/sub: outbox full, message dropped")]
    OutboxFull,
    #[error("redis pub/sub: {0}")]
    Connect(#[from] super::StoreError),
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
    conn: RedisConn,
    outbox: mpsc::Sender<(String, Vec<u8>)>,
    peers: Arc<Peers>,
}

/// What this node knows of the others on its Redis (see the module's comment).
struct Peers {
    /// This node's name on the control channel.
    me: String,
    control: String,
    /// The adapter's channel prefix: its request and response channels start with it.
    channels: String,
    /// Messages and payload bytes heard, by kind of channel (see `Heard`).
    heard: [(IntCounter, IntCounter); 4],
    /// The adapter's request channel, which every node subscribes to.
    requests: String,
    /// Whether another node listens: broadcasts are published only then.
    others: AtomicBool,
    /// `hello`s heard from other nodes, so a decision to stay quiet taken meanwhile is undone.
    hellos: AtomicUsize,
    /// Answers to this node's `hello` so far, and a wake-up for each.
    answers: AtomicUsize,
    answered: Notify,
}

/// How long a starting node waits for the others' answers before serving anyway (a node that
/// stalls that long would have lost its Redis connection's messages too).
const HELLO_WAIT: Duration = Duration::from_secs(3);
/// How often a node that believes itself alone counts the other nodes again.
const RECOUNT_EVERY: Duration = Duration::from_secs(1);

impl ManagedDriver {
    /// Connects with RESP3 (pub/sub messages arrive as pushes on the same connection), and
    /// returns once every other node listening under `prefix` (the adapter's channel prefix,
    /// `…socket.io`) knows this one is there.
    pub(crate) async fn connect(url: &str, prefix: &str) -> Result<Self, PubSubError> {
        let handlers: Handlers = Arc::default();
        let (outbox, pending) = mpsc::channel(OUTBOX);
        let peers = Arc::new(Peers {
            me: uuid::Uuid::new_v4().simple().to_string(),
            control: format!("{prefix}-nodes"),
            channels: prefix.to_string(),
            heard: Heard::ALL.map(|kind| {
                let label = [kind.label()];
                (
                    METRICS.pubsub_messages.with_label_values(&label),
                    METRICS.pubsub_bytes.with_label_values(&label),
                )
            }),
            // socketioxide-redis's request channel of the one namespace, "/".
            requests: format!("{prefix}-request#/#"),
            // Until counted, as if others listened: nothing is withheld meanwhile.
            others: AtomicBool::new(true),
            hellos: AtomicUsize::new(0),
            answers: AtomicUsize::new(0),
            answered: Notify::new(),
        });
        let sink = Arc::clone(&handlers);
        let (heard, answer) = (Arc::clone(&peers), outbox.clone());
        let push = move |msg: PushInfo| {
            route(msg, &sink, &heard, &answer);
            Ok::<(), std::convert::Infallible>(())
        };
        let mut conn = connect(url, push).await?;
        tokio::spawn(send_outbox(conn.clone(), pending));
        subscribe(&mut conn, &peers.control).await?;
        introduce(&mut conn, &peers).await?;
        tokio::spawn(recount(conn.clone(), Arc::downgrade(&peers)));
        Ok(ManagedDriver {
            handlers,
            remote: Some(Remote {
                conn,
                outbox,
                peers,
            }),
        })
    }

    /// The driver of a node that is the only one: nothing to publish to, nobody to hear from.
    pub(crate) fn alone() -> Self {
        ManagedDriver {
            handlers: Arc::default(),
            remote: None,
        }
    }

    /// Whether a message published now would be sent: there is a Redis and another node
    /// listens. A caller checks it before encoding a message nobody would receive (`publish`
    /// reads the same flag, so checking first changes nothing but the wasted encoding).
    pub(crate) fn publishes(&self) -> bool {
        self.remote
            .as_ref()
            .is_some_and(|r| r.peers.others.load(Ordering::SeqCst))
    }

    /// Whether there is a Redis (and other nodes may be heard): not for `alone`.
    pub(crate) fn has_redis(&self) -> bool {
        self.remote.is_some()
    }

    /// Subscribes to `chan` (SSUBSCRIBE on a cluster), its messages going to `sink`: many
    /// channels share one stream (the rooms' channels, see `gateway::fanout`). Returns once
    /// Redis has confirmed it, so whatever is published from then on is heard.
    pub(crate) async fn listen(
        &self,
        chan: &str,
        sink: &mpsc::Sender<ChanItem>,
    ) -> Result<(), PubSubError> {
        if let Ok(mut h) = self.handlers.write() {
            h.insert(chan.to_string(), sink.clone());
        }
        if let Some(remote) = &self.remote {
            subscribe(&mut remote.conn.clone(), chan).await?;
        }
        Ok(())
    }

    /// Unsubscribes from a channel `listen` subscribed to.
    pub(crate) async fn unlisten(&self, chan: &str) -> Result<(), PubSubError> {
        Driver::unsubscribe(self, chan.to_string()).await
    }
}

/// The kinds of channel a message is counted under.
#[derive(Clone, Copy)]
enum Heard {
    /// The adapter's request channels (every node's, and this node's own).
    Request,
    /// Answers to this node's requests.
    Response,
    /// The nodes' `hello`s and answers.
    Control,
    /// A room's or a poll's channel.
    Room,
}

impl Heard {
    const ALL: [Heard; 4] = [Heard::Request, Heard::Response, Heard::Control, Heard::Room];

    fn label(self) -> &'static str {
        match self {
            Heard::Request => "request",
            Heard::Response => "response",
            Heard::Control => "control",
            Heard::Room => "room",
        }
    }

    fn of(chan: &str, peers: &Peers) -> Heard {
        match chan.strip_prefix(peers.channels.as_str()) {
            _ if chan == peers.control => Heard::Control,
            Some(rest) if rest.starts_with("-request#") => Heard::Request,
            Some(rest) if rest.starts_with("-response#") => Heard::Response,
            _ => Heard::Room,
        }
    }
}

/// The adapter's channel prefix for key prefix `prefix`: on a cluster in braces, one hash tag
/// for every channel (see the module's comment).
pub(crate) fn channel_prefix(url: &str, prefix: &str) -> String {
    match RedisTarget::parse(url) {
        Ok(RedisTarget::Cluster(_)) => format!("{{{prefix}socket.io}}"),
        _ => format!("{prefix}socket.io"),
    }
}

/// Connects with RESP3 (pub/sub messages arrive as pushes on the same connection), handing
/// every push to `push`.
async fn connect(
    url: &str,
    push: impl redis::aio::AsyncPushSender,
) -> Result<RedisConn, PubSubError> {
    match RedisTarget::parse(url) {
        Ok(RedisTarget::Cluster(nodes)) => {
            let config = redis::cluster::ClusterConfig::new()
                .set_connection_timeout(Duration::from_secs(3))
                .set_response_timeout(Duration::from_secs(3))
                .set_push_sender(push);
            let conn = cluster_client(&nodes, true)?
                .get_async_connection_with_config(config)
                .await?;
            Ok(RedisConn::Cluster(conn))
        }
        _ => {
            let url = if url.contains("protocol=") {
                url.to_string()
            } else if url.contains('?') {
                format!("{url}&protocol=resp3")
            } else {
                format!("{url}?protocol=resp3")
            };
            let client = redis::Client::open(url)?;
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(3)))
                .set_response_timeout(Some(Duration::from_secs(3)))
                .set_automatic_resubscription()
                .set_push_sender(push);
            let conn = ConnectionManager::new_with_config(client, config).await?;
            Ok(RedisConn::Single(conn))
        }
    }
}

/// PUBLISH, or SPUBLISH on a cluster.
fn publish_cmd(conn: &RedisConn) -> &'static str {
    match conn {
        RedisConn::Single(_) => "PUBLISH",
        RedisConn::Cluster(_) => "SPUBLISH",
    }
}

async fn subscribe(conn: &mut RedisConn, chan: &str) -> Result<(), redis::RedisError> {
    match conn {
        RedisConn::Single(c) => c.subscribe(chan).await,
        RedisConn::Cluster(c) => c.ssubscribe(chan).await,
    }
}

async fn unsubscribe(conn: &mut RedisConn, chan: &str) -> Result<(), redis::RedisError> {
    match conn {
        RedisConn::Single(c) => c.unsubscribe(chan).await,
        RedisConn::Cluster(c) => c.sunsubscribe(chan).await,
    }
}

/// Publishes the outbox in order: whatever gathered while the last pipeline was in flight goes
/// out as the next one. On a cluster, one pipeline per hash tag (all sent at once): a cluster
/// pipeline may name one slot only. Ends when every driver handle is gone.
async fn send_outbox(conn: RedisConn, mut pending: mpsc::Receiver<(String, Vec<u8>)>) {
    let mut batch = Vec::with_capacity(PIPELINE);
    let publish = publish_cmd(&conn);
    while pending.recv_many(&mut batch, PIPELINE).await > 0 {
        let mut pipes: Vec<(String, redis::Pipeline)> = Vec::new();
        for (chan, val) in batch.drain(..) {
            let tag = match conn {
                RedisConn::Single(_) => "",
                RedisConn::Cluster(_) => hash_tag(&chan),
            };
            let at = match pipes.iter().position(|(t, _)| t == tag) {
                Some(at) => at,
                None => {
                    pipes.push((tag.to_string(), redis::pipe()));
                    pipes.len() - 1
                }
            };
            pipes[at].1.cmd(publish).arg(chan).arg(val).ignore();
        }
        let sent = futures::future::join_all(pipes.iter().map(|(_, pipe)| {
            let mut conn = conn.clone();
            async move { pipe.query_async::<()>(&mut conn).await }
        }))
        .await;
        for e in sent.into_iter().filter_map(Result::err) {
            crate::metrics::dependency_error("redis");
            tracing::warn!(error = %e, "could not publish to the other nodes");
        }
    }
}

/// What a cluster hashes of `name`: between the first `{` and the next `}` when not empty,
/// else all of it.
fn hash_tag(name: &str) -> &str {
    name.split_once('{')
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(tag, _)| tag)
        .filter(|tag| !tag.is_empty())
        .unwrap_or(name)
}

/// Subscribers of `channel`.
async fn subscribers(conn: &mut RedisConn, channel: &str) -> Result<usize, PubSubError> {
    let numsub = match conn {
        RedisConn::Single(_) => "NUMSUB",
        RedisConn::Cluster(_) => "SHARDNUMSUB",
    };
    let (_, count): (String, usize) = redis::cmd("PUBSUB")
        .arg(numsub)
        .arg(channel)
        .query_async(conn)
        .await?;
    Ok(count)
}

/// Counts the nodes already there and says `hello`; waits until each node on the control channel
/// has answered (so each publishes from now on), or `HELLO_WAIT`. Alone, it publishes nothing
/// from then on. Called before the adapter subscribes this node to its request channel.
async fn introduce(conn: &mut RedisConn, peers: &Peers) -> Result<(), PubSubError> {
    let heard_before = peers.hellos.load(Ordering::SeqCst);
    // Nodes of any version (an older one never answers a hello, but always listens here).
    let listening = subscribers(conn, &peers.requests).await?;
    let hello = format!("hello:{}", peers.me);
    // PUBLISH answers how many subscribers it reached; this node is one of them.
    let reached: usize = redis::cmd(publish_cmd(conn))
        .arg(&peers.control)
        .arg(hello)
        .query_async(conn)
        .await?;
    let answering = reached.saturating_sub(1);
    if listening == 0 && answering == 0 {
        peers.others.store(false, Ordering::SeqCst);
        // A hello heard while deciding (another node starting at the same moment) wins.
        if peers.hellos.load(Ordering::SeqCst) != heard_before {
            peers.others.store(true, Ordering::SeqCst);
        }
        return Ok(());
    }
    let all_answered = async {
        loop {
            // Registered before the count is read, so an answer in between is not missed.
            let answered = peers.answered.notified();
            if peers.answers.load(Ordering::SeqCst) >= answering {
                return;
            }
            answered.await;
        }
    };
    if tokio::time::timeout(HELLO_WAIT, all_answered)
        .await
        .is_err()
    {
        tracing::warn!(
            answering,
            "not every node answered this node's hello in time"
        );
    }
    Ok(())
}

/// While this node believes itself alone, counts the request channel's subscribers every
/// `RECOUNT_EVERY` (this node is one): a second means a node whose `hello` was lost (sent while
/// this node's connection was being re-established). Ends with the driver.
async fn recount(mut conn: RedisConn, peers: std::sync::Weak<Peers>) {
    let mut every = tokio::time::interval(RECOUNT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(peers) = peers.upgrade() else {
            return;
        };
        if peers.others.load(Ordering::SeqCst) {
            continue;
        }
        match subscribers(&mut conn, &peers.requests).await {
            Ok(n) if n > 1 => {
                tracing::info!("another node listens; publishing to it from now on");
                peers.others.store(true, Ordering::SeqCst);
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "could not count the other nodes"),
        }
    }
}

/// A message on the control channel: another node's `hello` (from now on there is someone to
/// publish to; answer it) or an answer to this node's own.
fn control(payload: &[u8], peers: &Peers, outbox: &mpsc::Sender<(String, Vec<u8>)>) {
    let text = String::from_utf8_lossy(payload);
    if let Some(node) = text.strip_prefix("hello:") {
        if node != peers.me {
            // Publishing starts before the answer leaves, so the newcomer, once answered,
            // misses nothing.
            peers.hellos.fetch_add(1, Ordering::SeqCst);
            peers.others.store(true, Ordering::SeqCst);
            let answer = format!("welcome:{node}").into_bytes();
            if outbox.try_send((peers.control.clone(), answer)).is_err() {
                tracing::warn!("could not answer a new node's hello");
            }
        }
    } else if text.strip_prefix("welcome:") == Some(peers.me.as_str()) {
        peers.answers.fetch_add(1, Ordering::SeqCst);
        peers.answered.notify_waiters();
    }
}

/// Hands a pushed message to the stream of its channel. Never blocks the connection: a full
/// stream drops the message with a warning (the adapter's buffer is sized for bursts).
fn route(
    msg: PushInfo,
    handlers: &Handlers,
    peers: &Peers,
    outbox: &mpsc::Sender<(String, Vec<u8>)>,
) {
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
    let (messages, bytes) = &peers.heard[Heard::of(&chan, peers) as usize];
    messages.inc();
    bytes.inc_by(payload.len() as u64);
    if chan == peers.control {
        control(&payload, peers, outbox);
        return;
    }
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
        let Some(remote) = self
            .remote
            .as_ref()
            .filter(|r| r.peers.others.load(Ordering::SeqCst))
        else {
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
            subscribe(&mut remote.conn.clone(), &chan).await?;
        }
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), Self::Error> {
        if let Ok(mut h) = self.handlers.write() {
            h.remove(&chan);
        }
        if let Some(remote) = &self.remote {
            unsubscribe(&mut remote.conn.clone(), &chan).await?;
        }
        Ok(())
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, Self::Error> {
        let Some(remote) = &self.remote else {
            return Ok(1);
        };
        let count = subscribers(&mut remote.conn.clone(), chan).await?;
        Ok(u16::try_from(count).unwrap_or(u16::MAX))
    }
}
