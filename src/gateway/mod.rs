//! The Socket.IO gateway at `/socket.io`: authenticates each connection, routes client events
//! to the game service, and publishes the game's events to the rooms' sockets.

pub(crate) mod ack;
pub(crate) mod handlers;
pub(crate) mod protocol;

use async_trait::async_trait;
use socketioxide::{
    SocketIo,
    adapter::Emitter,
    extract::{SocketRef, State},
    handler::ConnectHandler,
    layer::SocketIoLayer,
};
use socketioxide_redis::{CustomRedisAdapter, RedisAdapterConfig, RedisAdapterCtr};
use std::{sync::Arc, time::Duration};

use crate::{
    auth::{AuthService, AuthUser, token::token_from_headers},
    config::Config,
    domain::{Event, Room},
    game::{GameService, Publisher},
    limits::{Limits, SocketBudget},
    store::pubsub::ManagedDriver,
};

/// The adapter that fans broadcasts out to every node through Redis pub/sub.
pub(crate) type Adapter = CustomRedisAdapter<Emitter, ManagedDriver>;
pub(crate) type Io = SocketIo<Adapter>;

/// How long the server waits for a client's acknowledgement of one of its own emits.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest Socket.IO message accepted; a bigger one closes that socket only.
pub(crate) const MAX_PAYLOAD_BYTES: u64 = 16 * 1024;

#[derive(Clone)]
pub(crate) struct GatewayState {
    pub auth: Arc<AuthService>,
    pub game: Arc<GameService>,
    pub limits: Arc<Limits>,
}

/// The rooms this socket joined, so a disconnect can update presence in each.
#[derive(Default)]
pub(crate) struct SocketRooms(pub std::sync::Mutex<Vec<String>>);

pub(crate) async fn layer(
    config: &Config,
    auth: Arc<AuthService>,
    game: Arc<GameService>,
    limits: Arc<Limits>,
) -> Result<(SocketIoLayer<Adapter>, Io), String> {
    let state = GatewayState {
        auth,
        game: Arc::clone(&game),
        limits,
    };
    let driver = ManagedDriver::connect(&config.redis_url)
        .await
        .map_err(|e| e.to_string())?;
    // Channels carry the deployment's key prefix, so separate deployments on one Redis (and
    // parallel test servers) never hear each other's broadcasts.
    let adapter = RedisAdapterCtr::new_with_driver(
        driver,
        RedisAdapterConfig::new().with_prefix(format!("{}socket.io", config.redis_prefix)),
    );
    let (layer, io) = SocketIo::builder()
        .with_state(state)
        .max_payload(MAX_PAYLOAD_BYTES)
        .ws_max_message_size(usize::try_from(MAX_PAYLOAD_BYTES).unwrap_or(usize::MAX))
        .ack_timeout(ACK_TIMEOUT)
        .with_adapter::<Adapter>(adapter)
        .build_layer();
    io.ns("/", handlers::on_connect.with(authenticate))
        .await
        .map_err(|e| e.to_string())?;
    game.set_publisher(Arc::new(SocketPublisher { io: io.clone() }));
    Ok((layer, io))
}

#[derive(Debug, serde::Deserialize)]
struct HandshakeAuth {
    token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("unauthorized: a valid token is required (auth cookie or auth.token)")]
struct Refused;

/// Connect middleware: a token from `auth: {token}` or the handshake's cookie/Bearer header,
/// valid and not revoked; otherwise the client gets `connect_error`.
async fn authenticate(
    s: SocketRef<Adapter>,
    auth: socketioxide::extract::TryData<HandshakeAuth>,
    State(state): State<GatewayState>,
) -> Result<(), Refused> {
    let token = auth
        .0
        .ok()
        .and_then(|a| a.token)
        .filter(|t| !t.is_empty())
        .or_else(|| token_from_headers(&s.req_parts().headers))
        .ok_or(Refused)?;
    let user: AuthUser = state.auth.authenticate(&token).await.map_err(|_| Refused)?;
    s.extensions.insert(user);
    s.extensions.insert(Arc::new(SocketRooms::default()));
    s.extensions
        .insert(Arc::new(SocketBudget::new(&state.limits.settings)));
    Ok(())
}

/// The game's publisher: each domain event becomes the contract's broadcast to the room.
struct SocketPublisher {
    io: Io,
}

#[async_trait]
impl Publisher for SocketPublisher {
    async fn publish(&self, room: &Room, events: &[Event]) {
        for event in events {
            let broadcast = protocol::broadcast_of(event);
            if let Some((name, _)) = &broadcast {
                crate::metrics::event("out", name);
            }
            if let Some((name, payload)) = broadcast
                && let Err(e) = self.io.to(room.code.clone()).emit(name, &payload).await
            {
                tracing::warn!(code = %room.code, event = name, error = %e, "broadcast failed");
            }
            // A player who left or was kicked stops getting the room's events on every socket.
            if let Event::PlayerLeft { user_id, .. } = event
                && let Err(e) = self
                    .io
                    .to(handlers::user_room(*user_id))
                    .leave(room.code.clone())
                    .await
            {
                tracing::warn!(code = %room.code, error = %e, "could not remove a leaver's sockets");
            }
        }
    }
}
