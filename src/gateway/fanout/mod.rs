//! Per-room fan-out over Redis (issue 24): a node hears the broadcasts of the rooms, polls (and
//! their audiences and screens) it has sockets in, and not the others'. Before, every broadcast
//! went on the adapter's one request channel, so every node decoded and dropped every other
//! node's traffic (socket.io issue 5226): what a node received grew with the whole cluster's
//! rooms, not its own.
//!
//! The choice: an adapter of our own (`FanoutAdapter`) around socketioxide-redis's
//! `CustomRedisAdapter`, plus a registry of room channels (`RoomChannels`) fed by the gateway.
//! - socketioxide's `socket.join` is the local adapter's synchronous `add_all` (a concrete
//!   `CoreLocalAdapter` no adapter can hook), so the adapter never learns of a join: the
//!   gateway tells the registry instead, at each of the few places a socket joins a room,
//!   *before* it joins and before the state the client is sent is read
//!   (`RoomChannels::enter` returns once Redis has confirmed the subscription). So whatever
//!   is broadcast after that state was read is heard by this node, and none can slip between
//!   the snapshot and the subscription.
//! - Unsubscribing follows the local adapter itself rather than counts kept beside it: after a
//!   leave or a disconnect (and every `SWEEP_EVERY`, which catches the leaves another node
//!   orders, such as a deleted poll emptying its room), a channel none of whose rooms has a
//!   socket on this node any more, and that no join is entering, is unsubscribed.
//! - Publishing: a broadcast, disconnect or leave aimed at rooms that all share one channel
//!   goes there, encoded as the adapter's own request, and is handed to the wrapped adapter's
//!   request handler where heard, so it is applied exactly as before. Everything else (a
//!   user's or a session's sockets, the feed, requests that wait for answers: fetch_sockets,
//!   rooms, broadcasts with acks, the server count) stays on the wrapped adapter's request
//!   channels, which every node hears.
//! - Forking socketioxide-redis instead would have meant owning its request/response protocol;
//!   wrapping keeps it, and keeps every node compatible with the requests of any other.
//!
//! Channels: a game room's (`CODE`, `CODE#audience`, `CODE#screens`) is named with the hash
//! tag of the room's keys (`{rN}`, `store::keys`), a poll's with its id's, so on a Redis
//! Cluster a room's traffic stays on its own shard (SSUBSCRIBE/SPUBLISH), beside its state.
//! `REDIS_FANOUT=global` publishes on the request channel as before, but still listens on the
//! room channels: nodes can be switched from one to the other one at a time. With
//! `REDIS_URL=memory` there is no Redis and the registry does nothing.
//!
//! Limits: a remote *join* (`io.to(…).join(…)`) would put sockets in a room whose channel their
//! node does not listen to; the server never does one. On a cluster, order holds within a
//! channel, not between a room's channel and the request channel.

mod registry;

pub(crate) use registry::{Entered, RoomChannels};

use socketioxide_core::{
    Sid, Uid,
    adapter::{
        BroadcastOptions, CoreAdapter, CoreLocalAdapter, DefinedAdapter, RemoteSocketData, Room,
        RoomParam, SocketEmitter,
        errors::{AdapterError, BroadcastError},
        remote_packet::{RequestIn, RequestOut, RequestTypeOut},
        request::RemoteRequestHandler,
    },
    packet::Packet,
};
use socketioxide_redis::{
    CustomRedisAdapter, Error as RedisError, RedisAdapterCtr,
    drivers::{ChanItem, Driver},
};
use std::{
    sync::{Arc, Weak},
    time::Duration,
};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::{config::Fanout, domain::code, store::keys, store::pubsub::ManagedDriver};

type Inner<E> = CustomRedisAdapter<E, ManagedDriver>;
type Error = RedisError<ManagedDriver>;

/// The channel a Socket.IO room's broadcasts travel on, when not the request channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Channel {
    /// A game room's: its players, audience and screens (`CODE`, `CODE#…`).
    Room(String),
    /// A poll's watchers (`poll:ID`).
    Poll(Uuid),
}

impl Channel {
    /// The channel of Socket.IO room `room`; `None` for the request channel (a user's or a
    /// session's sockets, the feed).
    pub(crate) fn of(room: &str) -> Option<Channel> {
        if let Some(id) = room.strip_prefix("poll:") {
            return Uuid::parse_str(id).ok().map(Channel::Poll);
        }
        let code_part = room.split_once('#').map_or(room, |(c, _)| c);
        let is_code =
            code_part.len() == code::LEN && code_part.bytes().all(|b| code::ALPHABET.contains(&b));
        is_code.then(|| Channel::Room(code_part.to_string()))
    }

    /// The one channel of all of `rooms`, if they share one.
    fn of_all(rooms: &[Room]) -> Option<Channel> {
        let (first, rest) = rooms.split_first()?;
        let chan = Channel::of(first)?;
        rest.iter()
            .all(|r| Channel::of(r).as_ref() == Some(&chan))
            .then_some(chan)
    }

    /// Its name in Redis under key prefix `prefix`, tagged like the room's (poll's) keys.
    pub(crate) fn name(&self, prefix: &str) -> String {
        match self {
            Channel::Room(code) => keys::room(prefix, "socket.io-room", code),
            Channel::Poll(id) => keys::poll(prefix, *id, "socket.io"),
        }
    }
}

/// What the adapter is built from: the wrapped adapter's constructor and the registry.
pub(crate) struct FanoutCtr {
    pub(crate) inner: RedisAdapterCtr<ManagedDriver>,
    pub(crate) channels: Arc<RoomChannels>,
}

/// socketioxide-redis's adapter, with room broadcasts on the rooms' channels.
pub(crate) struct FanoutAdapter<E> {
    inner: Arc<Inner<E>>,
    channels: Arc<RoomChannels>,
    uid: Uid,
}

/// Whether any local socket but `leaving` is in one of `rooms` (the registry asks).
pub(crate) trait Occupancy: Send + Sync {
    fn occupied(&self, rooms: &[String], leaving: Option<Sid>) -> bool;
}

impl<E: SocketEmitter> Occupancy for FanoutAdapter<E> {
    fn occupied(&self, rooms: &[String], leaving: Option<Sid>) -> bool {
        let mut opts = BroadcastOptions::default();
        opts.rooms = rooms.iter().map(|r| Room::Owned(r.clone())).collect();
        self.inner
            .get_local()
            .sockets(opts)
            .iter()
            .any(|s| Some(*s) != leaving)
    }
}

impl<E: SocketEmitter> FanoutAdapter<E> {
    /// The room channel `opts` goes on, when it goes on one.
    fn room_channel(&self, opts: &BroadcastOptions) -> Option<String> {
        if self.channels.fanout() != Fanout::Room
            || opts.server_id.is_some()
            || opts.is_local(self.uid)
        {
            return None;
        }
        Channel::of_all(&opts.rooms).map(|c| c.name(self.channels.prefix()))
    }

    async fn publish(&self, chan: String, req: RequestOut<'_>) -> Result<(), Error> {
        // A node alone on its Redis sends nothing: no encoding of the whole packet either.
        if !self.channels.driver().publishes() {
            return Ok(());
        }
        let bytes = rmp_serde::to_vec(&req)?;
        self.channels
            .driver()
            .publish(chan, bytes)
            .await
            .map_err(RedisError::Driver)
    }
}

/// Hands what the rooms' channels carry to the wrapped adapter's request handler, as if heard
/// on its request channel (its own messages, heard back, it ignores).
async fn deliver<E: SocketEmitter>(inner: Weak<Inner<E>>, mut heard: mpsc::Receiver<ChanItem>) {
    while let Some((chan, item)) = heard.recv().await {
        let Some(inner) = inner.upgrade() else {
            return;
        };
        match rmp_serde::from_slice::<RequestIn>(&item) {
            Ok(req) => RemoteRequestHandler::recv_req(&inner, req),
            Err(e) => tracing::warn!(%chan, error = %e, "unreadable message on a room channel"),
        }
    }
}

/// How often channels are checked for rooms left without a local socket.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

impl<E> DefinedAdapter for FanoutAdapter<E> {}

impl<E: SocketEmitter> CoreAdapter<E> for FanoutAdapter<E> {
    type Error = Error;
    type State = FanoutCtr;
    type AckStream = <Inner<E> as CoreAdapter<E>>::AckStream;
    type InitRes = <Inner<E> as CoreAdapter<E>>::InitRes;

    fn new(state: &FanoutCtr, local: CoreLocalAdapter<E>) -> Self {
        let uid = local.server_id();
        FanoutAdapter {
            inner: Arc::new(<Inner<E> as CoreAdapter<E>>::new(&state.inner, local)),
            channels: Arc::clone(&state.channels),
            uid,
        }
    }

    fn init(self: Arc<Self>, on_success: impl FnOnce() + Send + 'static) -> Self::InitRes {
        let me: Weak<dyn Occupancy> = Arc::downgrade(&self) as Weak<dyn Occupancy>;
        if let Some(heard) = self.channels.attach(me) {
            tokio::spawn(deliver(Arc::downgrade(&self.inner), heard));
            tokio::spawn(registry::sweep(Arc::downgrade(&self.channels), SWEEP_EVERY));
        }
        Arc::clone(&self.inner).init(on_success)
    }

    async fn close(&self) -> Result<(), Error> {
        self.inner.close().await
    }

    async fn server_count(&self) -> Result<u16, Error> {
        self.inner.server_count().await
    }

    async fn broadcast(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
    ) -> Result<(), BroadcastError> {
        let Some(chan) = self.room_channel(&opts) else {
            return self.inner.broadcast(packet, opts).await;
        };
        let req = RequestOut::new(self.uid, RequestTypeOut::Broadcast(&packet), &opts);
        self.publish(chan, req).await.map_err(AdapterError::from)?;
        self.inner.get_local().broadcast(packet, opts)?;
        Ok(())
    }

    async fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
        timeout: Option<Duration>,
    ) -> Result<Self::AckStream, Error> {
        self.inner.broadcast_with_ack(packet, opts, timeout).await
    }

    async fn add_sockets(
        &self,
        opts: BroadcastOptions,
        rooms: impl RoomParam,
    ) -> Result<(), Error> {
        self.inner.add_sockets(opts, rooms).await
    }

    async fn del_sockets(
        &self,
        opts: BroadcastOptions,
        rooms: impl RoomParam,
    ) -> Result<(), Error> {
        let Some(chan) = self.room_channel(&opts) else {
            return self.inner.del_sockets(opts, rooms).await;
        };
        let rooms: Vec<Room> = rooms.into_room_iter().collect();
        let req = RequestOut::new(self.uid, RequestTypeOut::DelSockets(&rooms), &opts);
        self.publish(chan, req).await?;
        self.inner.get_local().del_sockets(opts, rooms);
        Ok(())
    }

    async fn disconnect_socket(&self, opts: BroadcastOptions) -> Result<(), BroadcastError> {
        let Some(chan) = self.room_channel(&opts) else {
            return self.inner.disconnect_socket(opts).await;
        };
        let req = RequestOut::new(self.uid, RequestTypeOut::DisconnectSockets, &opts);
        self.publish(chan, req).await.map_err(AdapterError::from)?;
        self.inner
            .get_local()
            .disconnect_socket(opts)
            .map_err(BroadcastError::Socket)
    }

    async fn rooms(&self, opts: BroadcastOptions) -> Result<Vec<Room>, Error> {
        self.inner.rooms(opts).await
    }

    async fn fetch_sockets(&self, opts: BroadcastOptions) -> Result<Vec<RemoteSocketData>, Error> {
        self.inner.fetch_sockets(opts).await
    }

    fn get_local(&self) -> &CoreLocalAdapter<E> {
        self.inner.get_local()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_game_room_its_audience_and_screens_share_one_channel() {
        let code = "K7M2QX";
        let chan = Some(Channel::Room(code.to_string()));
        for room in [
            code.to_string(),
            format!("{code}#audience"),
            format!("{code}#screens"),
        ] {
            assert_eq!(Channel::of(&room), chan, "{room}");
        }
        // The tag of the room's keys: on a cluster, the room's shard.
        let name = chan.map(|c| c.name("vg:")).unwrap_or_default();
        assert_eq!(
            name,
            format!("vg:socket.io-room:{{r{}}}:{code}", keys::room_shard(code))
        );
    }

    #[test]
    fn a_poll_has_its_own_channel_and_the_rest_none() {
        let id = Uuid::new_v4();
        assert_eq!(Channel::of(&format!("poll:{id}")), Some(Channel::Poll(id)));
        assert_eq!(
            Channel::Poll(id).name("vg:"),
            format!("vg:poll:{{{id}}}:socket.io")
        );
        for room in [
            format!("user:{id}"),
            format!("session:{id}"),
            "feed".to_string(),
            "poll:nope".to_string(),
            "k7m2qx".to_string(),
            "K7M2Q".to_string(),
            String::new(),
        ] {
            assert_eq!(Channel::of(&room), None, "{room}");
        }
    }

    #[test]
    fn a_broadcast_takes_a_room_channel_only_when_all_its_rooms_share_it() {
        let room = |s: &str| Room::Owned(s.to_string());
        let both = [room("K7M2QX"), room("K7M2QX#audience")];
        assert_eq!(Channel::of_all(&both), Some(Channel::Room("K7M2QX".into())));
        assert_eq!(Channel::of_all(&[room("K7M2QX"), room("ABCDEF")]), None);
        assert_eq!(Channel::of_all(&[room("K7M2QX"), room("feed")]), None);
        assert_eq!(Channel::of_all(&[]), None);
    }
}
