//! Who may open a Socket.IO connection: the connect middleware that runs before a socket
//! exists. It takes the token from `auth: {token}`, an `Authorization: Bearer` header or the
//! auth cookie, refuses a cookie sent by a page not allowed to use it (cross-site WebSocket
//! hijacking), checks the token like every REST call does, and holds the connection to the
//! per-user and per-address caps. A refusal reaches the client as `connect_error` with the
//! reason in its message. A signed-in socket joins its user's and its session's rooms here;
//! the session's watch that follows is in `session.rs`.
//!
//! A big screen (contract v3) shows `auth: {screen: "{code}:{key}"}` instead: no user, a
//! place under the per-address cap, and the room's broadcasts (see `screen.rs`).

use axum::extract::ConnectInfo;
use socketioxide::extract::{SocketRef, State, TryData};
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
};
use uuid::Uuid;

use super::{
    Adapter, GatewayState, SocketRooms, protocol as p,
    screen::{Screen, screen_room},
    session::session_room,
    user_room,
};
use crate::{
    auth::{
        AuthUser, origin,
        token::{bearer_from_headers, cookie_from_headers},
    },
    error::Error,
    limits::{
        SocketBudget,
        sockets::{CapExceeded, SocketSlot},
    },
};

#[derive(Debug, serde::Deserialize)]
pub(crate) struct HandshakeAuth {
    token: Option<String>,
    /// A room's screen credential, `{code}:{key}`, from the screen link.
    screen: Option<String>,
}

/// Why a connection was refused; the message is what the client's `connect_error` carries.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    #[error("unauthorized: a valid token is required (auth cookie or auth.token)")]
    Unauthorized,
    #[error("unauthorized: this screen link is not (or no longer) valid")]
    Screen,
    #[error("cross-site connection refused: the auth cookie is only accepted from allowed origins")]
    Origin,
    #[error("service_unavailable: a backing service is unavailable; please retry shortly")]
    Unavailable,
    #[error("too many connections for this account (at most {0} at once)")]
    TooManyForUser(u32),
    #[error("too many connections from this address (at most {0} at once)")]
    TooManyForAddress(u32),
}

/// Connect middleware: a valid, unrevoked token, and for the cookie an allowed page. A
/// connection with no credentials at all is let in anonymously (contract v2): it may only watch
/// polls (`gateway::polls`); every game event answers it `unauthorized`.
pub(crate) async fn authenticate(
    s: SocketRef<Adapter>,
    auth: TryData<HandshakeAuth>,
    State(state): State<GatewayState>,
) -> Result<(), Refused> {
    let headers = &s.req_parts().headers;
    let (given, screen) = match auth.0 {
        Ok(a) => (a.token, a.screen),
        Err(_) => (None, None),
    };
    if let Some(credential) = screen {
        return present(&s, &state, credential).await;
    }
    let given = given
        .filter(|t| !t.is_empty())
        .or_else(|| bearer_from_headers(headers));
    let token = match given {
        Some(token) => Some(token),
        None => match cookie_from_headers(headers) {
            Some(_) if !origin::cookie_allowed(headers, &state.allowed_origins) => {
                return Err(Refused::Origin);
            }
            other => other,
        },
    };
    let user: Option<AuthUser> = match token {
        Some(token) => Some(state.auth.authenticate(&token).await.map_err(|e| match e {
            Error::Unavailable(_) => Refused::Unavailable,
            _ => Refused::Unauthorized,
        })?),
        None => None,
    };
    // An anonymous socket counts against its address only.
    let slot = acquire(&s, &state, user.map_or_else(Uuid::new_v4, |u| u.id))?;
    s.extensions.insert(Arc::new(slot));
    if let Some(user) = user {
        s.extensions.insert(user);
        // In its rooms before it hears it is connected: a revocation or a message to the user
        // sent from then on reaches it.
        s.join([user_room(user.id), session_room(user.jti)]);
    }
    s.extensions.insert(Arc::new(SocketRooms::default()));
    s.extensions
        .insert(Arc::new(SocketBudget::new(&state.limits.settings)));
    // Every event is registered before the connect packet goes out (`events::register`).
    super::events::register(&s);
    Ok(())
}

/// A place under the caps for a new socket of `owner` from the handshake's address.
fn acquire(
    s: &SocketRef<Adapter>,
    state: &GatewayState,
    owner: Uuid,
) -> Result<SocketSlot, Refused> {
    let peer = s
        .req_parts()
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let ip = state.limits.client_ip(peer, &s.req_parts().headers);
    state
        .limits
        .sockets
        .acquire(owner, ip)
        .map_err(|cap| match cap {
            CapExceeded::PerUser(n) => Refused::TooManyForUser(n),
            CapExceeded::PerIp(n) => Refused::TooManyForAddress(n),
        })
}

/// A screen's handshake: the room's current key, a place under its address's cap, and the
/// room's broadcasts (players' and audience's both: a screen shows what either sees). Its
/// `room_state` follows once it is connected (`screen::screen_connected`).
async fn present(
    s: &SocketRef<Adapter>,
    state: &GatewayState,
    credential: String,
) -> Result<(), Refused> {
    let room = match state.game.screen_room(&credential).await {
        Ok(Some(room)) => room,
        Ok(None) => return Err(Refused::Screen),
        Err(Error::Unavailable(_)) => return Err(Refused::Unavailable),
        Err(_) => return Err(Refused::Screen),
    };
    // A screen is nobody: it counts against its address only.
    let slot = acquire(s, state, Uuid::new_v4())?;
    s.extensions.insert(Arc::new(slot));
    let rooms = [
        room.code.clone(),
        p::audience_room(&room.code),
        screen_room(&room.code),
    ];
    // Listening to the room's channel before joining (its state is read once connected).
    let entered = state
        .channels
        .enter(&rooms)
        .await
        .map_err(|_| Refused::Unavailable)?;
    s.join(rooms);
    drop(entered);
    s.extensions.insert(Arc::new(Screen {
        code: room.code,
        credential,
    }));
    s.extensions.insert(Arc::new(SocketRooms::default()));
    s.extensions
        .insert(Arc::new(SocketBudget::new(&state.limits.settings)));
    super::events::register(s);
    Ok(())
}
