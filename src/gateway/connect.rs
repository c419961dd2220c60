//! Who may open a Socket.IO connection: the connect middleware that runs before a socket
//! exists. It takes the token from `auth: {token}`, an `Authorization: Bearer` header or the
//! auth cookie, refuses a cookie sent by a page not allowed to use it (cross-site WebSocket
//! hijacking), checks the token like every REST call does, and holds the connection to the
//! per-user and per-address caps. A refusal reaches the client as `connect_error` with the
//! reason in its message.
//!
//! A big screen (contract v3) shows `auth: {screen: "{code}:{key}"}` instead: no user, a
//! place under the per-address cap, and the room's broadcasts (see [`Screen`]).
//!
//! Then the session's watch: each socket is in its session's room (`session:{jti}`), so
//! revoking a session ends its sockets on every node with one broadcast (`session_ended`, then
//! a disconnect), and a timer ends the socket when its token expires.

use async_trait::async_trait;
use axum::extract::ConnectInfo;
use serde_json::json;
use socketioxide::extract::{SocketRef, State, TryData};
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Adapter, GatewayState, Io, SocketRooms, protocol as p};
use crate::{
    auth::{
        AuthUser, EndReason, SessionEnder, origin, session,
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

/// On a socket opened with a screen link: the room it shows. It has no user, so every game
/// event answers it `unauthorized`; it is in no participant or audience list, so it holds no
/// seat and counts in no quorum.
pub(crate) struct Screen {
    pub(crate) code: String,
    pub(crate) credential: String,
}

/// Every screen of a room is in this Socket.IO room, so a revoked link closes them all (on
/// every node) with one broadcast.
pub(crate) fn screen_room(code: &str) -> String {
    format!("{code}#screens")
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
        s.join([super::handlers::user_room(user.id), session_room(user.jti)]);
    }
    s.extensions.insert(Arc::new(SocketRooms::default()));
    s.extensions
        .insert(Arc::new(SocketBudget::new(&state.limits.settings)));
    // Every event is registered before the connect packet goes out (`handlers::register`).
    super::polls::register(&s);
    super::handlers::register(&s);
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
/// `room_state` follows once it is connected ([`screen_connected`]).
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
    s.join([
        room.code.clone(),
        p::audience_room(&room.code),
        screen_room(&room.code),
    ]);
    s.extensions.insert(Arc::new(Screen {
        code: room.code,
        credential,
    }));
    s.extensions.insert(Arc::new(SocketRooms::default()));
    s.extensions
        .insert(Arc::new(SocketBudget::new(&state.limits.settings)));
    super::polls::register(s);
    super::handlers::register(s);
    Ok(())
}

/// A screen is connected: it gets the room as a viewer with no seat sees it. The key is looked
/// at once more, as the session's watch does: a revocation broadcast while the handshake ran
/// went out before this socket was in the room to hear it.
pub(crate) async fn screen_connected(s: &SocketRef<Adapter>, st: &GatewayState) {
    let Some(screen) = s.extensions.get::<Arc<Screen>>() else {
        return;
    };
    let room = match st.game.screen_room(&screen.credential).await {
        Ok(Some(room)) => room,
        Ok(None) => return end(s, EndReason::Revoked),
        Err(e) => {
            tracing::debug!(code = %screen.code, error = %e, "could not re-check a new screen");
            return;
        }
    };
    match st.game.view(&room).await {
        Ok(view) => {
            let _ = s.emit(
                p::ROOM_STATE,
                &p::RoomState::build(&room, view, Uuid::nil()),
            );
        }
        Err(e) => {
            tracing::debug!(code = %screen.code, error = %e, "no room_state for a new screen")
        }
    }
}

/// The room every socket opened with one token is in, on whichever node.
pub(crate) fn session_room(jti: Uuid) -> String {
    format!("session:{jti}")
}

/// Ends sessions' sockets on every node: the adapter carries both the event and the
/// disconnect to the other nodes, in order, so each socket hears why before it is closed.
pub(crate) struct SocketSessions {
    pub io: Io,
}

#[async_trait]
impl SessionEnder for SocketSessions {
    async fn end_sessions(&self, jtis: &[Uuid], reason: EndReason) {
        let rooms: Vec<String> = jtis.iter().map(|j| session_room(*j)).collect();
        let payload = json!({"reason": reason.as_str()});
        if let Err(e) = self
            .io
            .to(rooms.clone())
            .emit(p::SESSION_ENDED, &payload)
            .await
        {
            tracing::warn!(error = %e, "could not tell sockets their session ended");
        }
        if let Err(e) = self.io.to(rooms).disconnect().await {
            tracing::warn!(error = %e, "could not disconnect the sockets of ended sessions");
        }
    }
}

/// Cancels the socket's expiry timer when it disconnects first.
#[derive(Clone)]
struct ExpiryTimer(CancellationToken);

/// Called once the socket is connected (it joined its session's room in the middleware):
/// starts the timer that ends it at its token's expiry, and looks once more whether the session was revoked while the
/// handshake ran (that broadcast went out before this socket was in the room to hear it).
pub(crate) async fn watch_session(s: &SocketRef<Adapter>, st: &GatewayState) {
    let Some(user) = s.extensions.get::<AuthUser>() else {
        return;
    };
    // Gone already (its disconnect ran first): no timer to hold it until its token expires.
    if !s.connected() {
        return;
    }
    let cancel = CancellationToken::new();
    s.extensions.insert(ExpiryTimer(cancel.clone()));
    let socket = s.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = tokio::time::sleep(session::until(user.exp)) => end(&socket, EndReason::Expired),
        }
    });
    match st.auth.revoked(user.jti, user.id, user.exp).await {
        Ok(false) => {}
        Ok(true) => end(s, EndReason::Revoked),
        Err(e) => tracing::debug!(error = %e, "could not re-check a new socket's session"),
    }
}

/// The socket disconnected: stops its expiry timer and frees its place under the caps.
pub(crate) fn unwatch_session(s: &SocketRef<Adapter>) {
    if let Some(ExpiryTimer(cancel)) = s.extensions.remove::<ExpiryTimer>() {
        cancel.cancel();
    }
    drop(s.extensions.remove::<Arc<SocketSlot>>());
}

/// Ends one socket on this node: `session_ended`, then a disconnect.
fn end(s: &SocketRef<Adapter>, reason: EndReason) {
    let _ = s.emit(p::SESSION_ENDED, &json!({"reason": reason.as_str()}));
    let _ = s.clone().disconnect();
}
