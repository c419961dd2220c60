//! Who may open a Socket.IO connection: the connect middleware that runs before a socket
//! exists. It takes the token from `auth: {token}`, an `Authorization: Bearer` header or the
//! auth cookie, refuses a cookie sent by a page not allowed to use it (cross-site WebSocket
//! hijacking), and checks the token like every REST call does. A refusal reaches the client
//! as `connect_error` with the reason in its message.

use socketioxide::extract::{SocketRef, State, TryData};
use std::sync::Arc;

use super::{Adapter, GatewayState, SocketRooms};
use crate::{
    auth::{
        AuthUser, origin,
        token::{bearer_from_headers, cookie_from_headers},
    },
    error::Error,
    limits::SocketBudget,
};

#[derive(Debug, serde::Deserialize)]
pub(crate) struct HandshakeAuth {
    token: Option<String>,
}

/// Why a connection was refused; the message is what the client's `connect_error` carries.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    #[error("unauthorized: a valid token is required (auth cookie or auth.token)")]
    Unauthorized,
    #[error("cross-site connection refused: the auth cookie is only accepted from allowed origins")]
    Origin,
    #[error("service_unavailable: a backing service is unavailable; please retry shortly")]
    Unavailable,
}

/// Connect middleware: a valid, unrevoked token, and for the cookie an allowed page.
pub(crate) async fn authenticate(
    s: SocketRef<Adapter>,
    auth: TryData<HandshakeAuth>,
    State(state): State<GatewayState>,
) -> Result<(), Refused> {
    let headers = &s.req_parts().headers;
    let given = auth
        .0
        .ok()
        .and_then(|a| a.token)
        .filter(|t| !t.is_empty())
        .or_else(|| bearer_from_headers(headers));
    let token = match given {
        Some(token) => token,
        None => {
            let token = cookie_from_headers(headers).ok_or(Refused::Unauthorized)?;
            if !origin::cookie_allowed(headers, &state.allowed_origins) {
                return Err(Refused::Origin);
            }
            token
        }
    };
    let user: AuthUser = state.auth.authenticate(&token).await.map_err(|e| match e {
        Error::Unavailable(_) => Refused::Unavailable,
        _ => Refused::Unauthorized,
    })?;
    s.extensions.insert(user);
    s.extensions.insert(Arc::new(SocketRooms::default()));
    s.extensions
        .insert(Arc::new(SocketBudget::new(&state.limits.settings)));
    Ok(())
}
