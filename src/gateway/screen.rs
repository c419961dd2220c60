//! A big screen's socket (contract v3): what marks a socket as a room's screen, the Socket.IO
//! room all of a room's screens are in (so a revoked link closes them on every node), and what
//! a screen gets once connected. Apart from `connect.rs` (which admits it) so that the connect
//! handler (`handlers.rs`) can call it without the two files needing each other.

use socketioxide::extract::SocketRef;
use std::sync::Arc;
use uuid::Uuid;

use super::{Adapter, GatewayState, protocol as p, session::end};
use crate::auth::EndReason;

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
                &super::wire::RoomState::build(&room, view, Uuid::nil()),
            );
        }
        Err(e) => {
            tracing::debug!(code = %screen.code, error = %e, "no room_state for a new screen")
        }
    }
}
