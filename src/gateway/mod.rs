//! The Socket.IO gateway at `/socket.io`: authenticates each connection, routes client events
//! to the game service, and publishes the game's events to the rooms' sockets.

pub(crate) mod ack;
pub(crate) mod coalesce;
pub(crate) mod connect;
pub(crate) mod events;
pub(crate) mod fanout;
pub(crate) mod handle;
pub(crate) mod handlers;
pub(crate) mod handshake;
pub(crate) mod polls;
pub(crate) mod protocol;
pub(crate) mod screen;
pub(crate) mod session;
pub(crate) mod wire;

use async_trait::async_trait;
use socketioxide::{
    ParserConfig, SocketIo, adapter::Emitter, handler::ConnectHandler, layer::SocketIoLayer,
};
use socketioxide_redis::{RedisAdapterConfig, RedisAdapterCtr};
use std::{sync::Arc, time::Duration};
use uuid::Uuid;

use crate::{
    auth::AuthService,
    config::Config,
    domain::{Event, Room},
    game::{GameService, Publisher},
    limits::Limits,
    store::pubsub::ManagedDriver,
};

/// The adapter that fans broadcasts out to the other nodes through Redis pub/sub: a room's to
/// the nodes with sockets in it (`fanout`).
pub(crate) type Adapter = fanout::FanoutAdapter<Emitter>;
pub(crate) type Io = SocketIo<Adapter>;

/// How long the server waits for a client's acknowledgement of one of its own emits.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest Socket.IO message accepted; a bigger one closes that socket only.
pub(crate) const MAX_PAYLOAD_BYTES: u64 = 16 * 1024;
/// What a WebSocket reads from the kernel at once, allocated per socket when it opens
/// (engineioxide's default is 4 KiB). A client's messages are a few hundred bytes (a vote is
/// ≈ 120 with its framing), so 512 bytes hold most whole; a frame's header says its length and
/// tungstenite grows that socket's buffer for a bigger one as it arrives. Measured: 4 → 1 KiB
/// saved 3 KB per idle socket, 1 KiB → 512 B another 0.5 (docs/benchmarks.md, "Memory per
/// connection").
const WS_READ_BUFFER_BYTES: usize = 512;
/// Binary attachments accepted per message: none. The game never sends binary, and the parser
/// would otherwise buffer up to 10 MB of attachments per socket (socketioxide's default)
/// before the message is complete. A binary event closes that socket only.
pub(crate) const MAX_BINARY_ATTACHMENTS: usize = 0;
pub(crate) const MAX_BINARY_BYTES: usize = 0;

#[derive(Clone)]
pub(crate) struct GatewayState {
    pub auth: Arc<AuthService>,
    pub game: Arc<GameService>,
    pub polls: Arc<crate::polls::PollService>,
    pub limits: Arc<Limits>,
    /// Pages allowed to open a cookie-authenticated connection (besides the server's own).
    pub allowed_origins: Arc<Vec<String>>,
    /// The room channels this node listens to: entered before a socket joins a room.
    pub channels: Arc<fanout::RoomChannels>,
}

impl GatewayState {
    /// Listens to the channels of `rooms` (see `fanout::RoomChannels::enter`); Redis failing
    /// is the client's `service_unavailable`.
    pub(crate) async fn enter(
        &self,
        rooms: &[String],
    ) -> Result<fanout::Entered, crate::error::Error> {
        self.channels.enter(rooms).await.map_err(|e| {
            crate::error::Error::Unavailable(crate::error::Failure::because("redis pub/sub", e))
        })
    }

    /// Stops listening to the channels of `rooms` no socket here is in any more (but
    /// `leaving`), in the background.
    pub(crate) fn release(&self, rooms: Vec<String>, leaving: Option<socketioxide::socket::Sid>) {
        let channels = Arc::clone(&self.channels);
        tokio::spawn(async move { channels.release(&rooms, leaving).await });
    }
}

/// Every socket of a user is in this room, so "all of this user's sockets" is one broadcast
/// target on every node.
pub(crate) fn user_room(user: Uuid) -> String {
    format!("user:{user}")
}

/// The rooms this socket joined, so a disconnect can update presence in each.
#[derive(Default)]
pub(crate) struct SocketRooms(pub std::sync::Mutex<Vec<String>>);

pub(crate) async fn layer(
    config: &Config,
    auth: Arc<AuthService>,
    game: Arc<GameService>,
    polls: Arc<crate::polls::PollService>,
    limits: Arc<Limits>,
) -> Result<(SocketIoLayer<Adapter>, Io), String> {
    // Channels carry the deployment's key prefix, so separate deployments on one Redis (and
    // parallel test servers) never hear each other's broadcasts.
    let channels = crate::store::pubsub::channel_prefix(&config.redis_url, &config.redis_prefix);
    let driver = if config.single_node() {
        ManagedDriver::alone()
    } else {
        ManagedDriver::connect(&config.redis_url, &channels)
            .await
            .map_err(|e| e.to_string())?
    };
    let rooms =
        fanout::RoomChannels::new(driver.clone(), &config.redis_prefix, config.redis_fanout);
    let state = GatewayState {
        auth: Arc::clone(&auth),
        game: Arc::clone(&game),
        polls: Arc::clone(&polls),
        limits,
        allowed_origins: Arc::new(config.allowed_origins.clone()),
        channels: Arc::clone(&rooms),
    };
    let adapter = fanout::FanoutCtr {
        inner: RedisAdapterCtr::new_with_driver(
            driver,
            RedisAdapterConfig::new().with_prefix(channels),
        ),
        channels: rooms,
    };
    let parser = ParserConfig::common()
        .max_incoming_binaries(MAX_BINARY_ATTACHMENTS)
        .max_incoming_binary_buf_size(MAX_BINARY_BYTES)
        .packet_completion_timeout(Duration::from_secs(1));
    let (layer, io) = SocketIo::builder()
        .with_state(state)
        .with_parser(parser)
        .max_payload(MAX_PAYLOAD_BYTES)
        .ws_max_message_size(usize::try_from(MAX_PAYLOAD_BYTES).unwrap_or(usize::MAX))
        .ws_read_buffer_size(WS_READ_BUFFER_BYTES)
        .ack_timeout(ACK_TIMEOUT)
        .with_adapter::<Adapter>(adapter)
        .build_layer();
    io.ns("/", handlers::on_connect.with(connect::authenticate))
        .await
        .map_err(|e| e.to_string())?;
    game.set_publisher(Arc::new(SocketPublisher {
        io: io.clone(),
        counts: coalesce::Coalescer::new(io.clone()),
    }));
    polls.set_publisher(Arc::new(polls::Publisher(polls::SocketPollPublisher::new(
        io.clone(),
        &polls,
    ))));
    auth.set_session_ender(Arc::new(session::SocketSessions { io: io.clone() }));
    Ok((layer, io))
}

/// The game's publisher: each domain event becomes the contract's broadcast to the room.
struct SocketPublisher {
    io: Io,
    /// Vote counts for the audience (and the audience's for the players), at most 10/s.
    counts: Arc<coalesce::Coalescer>,
}

#[async_trait]
impl Publisher for SocketPublisher {
    async fn disconnected(&self, code: &str, user: crate::domain::UserId) {
        let payload = wire::UserRef { user_id: user };
        if let Err(e) = self
            .io
            .to(code.to_string())
            .emit(protocol::PLAYER_DISCONNECTED, &payload)
            .await
        {
            tracing::warn!(%code, error = %e, "could not say a dead node's player is gone");
        }
    }

    async fn screens_revoked(&self, code: &str) {
        // Through the adapter: the room's screens on every node hear why, then are closed.
        let to = screen::screen_room(code);
        let payload = wire::SessionEnded {
            reason: crate::auth::EndReason::Revoked.as_str(),
        };
        if let Err(e) = self
            .io
            .to(to.clone())
            .emit(protocol::SESSION_ENDED, &payload)
            .await
        {
            tracing::warn!(%code, error = %e, "could not tell screens their link was revoked");
        }
        if let Err(e) = self.io.to(to).disconnect().await {
            tracing::warn!(%code, error = %e, "could not close the screens of a revoked link");
        }
    }

    async fn publish(&self, room: &Room, events: &[Event]) {
        for event in events {
            let broadcast = protocol::broadcast_of(event, room);
            if let Some((name, _)) = &broadcast {
                crate::metrics::event("out", name);
            }
            // Everything reaches the audience too, except each vote's count: that is
            // coalesced (a hidden vote's tally says nothing, and reaches everyone).
            let to = if matches!(event, Event::VoteCast { .. }) && !room.settings.hide_votes {
                vec![room.code.clone()]
            } else {
                vec![room.code.clone(), protocol::audience_room(&room.code)]
            };
            self.counts.note(room, event);
            if let Some((name, payload)) = broadcast
                && let Err(e) = self.io.to(to).emit(name, &payload).await
            {
                tracing::warn!(code = %room.code, event = name, error = %e, "broadcast failed");
            }
            // A player leaving mid-vote changes who may vote: in a room that hides votes the
            // tally goes out again, or every screen would keep counting the one who left.
            if matches!(event, Event::PlayerLeft { .. })
                && room.settings.hide_votes
                && room
                    .round
                    .as_ref()
                    .is_some_and(|r| r.phase == crate::domain::RoundPhase::Voting)
                && let Some((round_id, voted, total)) = room.vote_tally()
                && let Err(e) = self
                    .io
                    .to(vec![room.code.clone(), protocol::audience_room(&room.code)])
                    .emit(
                        protocol::VOTES_CAST,
                        &wire::VotesCast {
                            round_id,
                            voted,
                            total,
                        },
                    )
                    .await
            {
                tracing::warn!(code = %room.code, error = %e, "could not send the tally after a leave");
            }
            // Only the author hears that it was their answer.
            if let Event::AnswerHidden {
                round_id,
                answer_id,
                author_id,
                ..
            } = event
                && let Err(e) = self
                    .io
                    .to(user_room(*author_id))
                    .emit(
                        protocol::MY_ANSWER_HIDDEN,
                        &wire::MyAnswerHidden {
                            round_id: *round_id,
                            answer_id: *answer_id,
                            room_code: room.code.clone(),
                        },
                    )
                    .await
            {
                tracing::warn!(code = %room.code, error = %e, "could not tell an author their answer was hidden");
            }
            // A player who left or was kicked stops getting the room's events on every socket.
            if let Event::PlayerLeft { user_id, .. } = event
                && let Err(e) = self
                    .io
                    .to(user_room(*user_id))
                    .leave(room.code.clone())
                    .await
            {
                tracing::warn!(code = %room.code, error = %e, "could not remove a leaver's sockets");
            }
        }
    }
}
