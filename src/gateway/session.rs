//! The session's watch over its sockets: each socket is in its session's room
//! (`session:{jti}`), so revoking a session ends its sockets on every node with one broadcast
//! (`session_ended`, then a disconnect), and a timer ends the socket when its token expires.
//! Apart from `connect.rs` (which admits a socket) so that the connect and disconnect handlers
//! (`handlers.rs`) can start and stop the watch without the two files needing each other.

use async_trait::async_trait;
use socketioxide::extract::SocketRef;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Adapter, GatewayState, Io, protocol as p, wire::SessionEnded};
use crate::{
    auth::{AuthUser, EndReason, SessionEnder, session},
    limits::sockets::SocketSlot,
};

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
        let payload = SessionEnded {
            reason: reason.as_str(),
        };
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
pub(crate) fn end(s: &SocketRef<Adapter>, reason: EndReason) {
    let _ = s.emit(
        p::SESSION_ENDED,
        &SessionEnded {
            reason: reason.as_str(),
        },
    );
    let _ = s.clone().disconnect();
}
