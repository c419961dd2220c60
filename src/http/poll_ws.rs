//! `GET /ws/polls/{id}`: a plain WebSocket for clients without Socket.IO (the first polling
//! seed). It sends `{"type": "poll_update", "poll"}` on connect and on every change (at most
//! ten a second), and `{"type": "poll_deleted"}` before closing when the poll is deleted. It
//! takes no input; the auth cookie or a Bearer token (or for an anonymous voter the `voter_id`
//! cookie) is optional and only fills `my_votes`.
//!
//! It keeps the rules a Socket.IO connection keeps: a handshake identified by a cookie must
//! come from an allowed page (else 403, before the upgrade: another site must not read a
//! visitor's `my_votes`); it counts against the same per-user and per-address connection caps
//! (429 beyond them) and the per-address request budget; and a signed-in socket ends when its
//! session does (`{"type": "session_ended", "reason"}`, then a close): at its token's expiry,
//! and within a second of a logout or revocation on any node, which it reads from the session
//! cache every second. Watching costs one shared loop per node (`polls::watch`).

use axum::{
    extract::{
        State,
        ws::{Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    http::{HeaderMap, StatusCode},
    response::Response,
};
use std::time::Duration;
use uuid::Uuid;

use super::{
    AppState,
    error::{ApiError, ApiResult},
    extract::{ClientIp, IdPath},
    polls::MaybeUser,
};
use crate::{
    auth::{
        AuthUser, EndReason, origin, session,
        token::{bearer_from_headers, cookie_from_headers},
        voter,
    },
    limits::sockets::{CapExceeded, SocketSlot},
    polls::{view::PollView, watch::Watched},
};

/// How often a signed-in socket looks whether its session was revoked.
const SESSION_EVERY: Duration = Duration::from_secs(1);

#[utoipa::path(get, path = "/ws/polls/{id}", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 101, description = "WebSocket: poll_update, poll_deleted and session_ended messages"),
              (status = 400, body = super::error::ErrorBody, description = "not a WebSocket handshake"),
              (status = 403, body = super::error::ErrorBody, description = "csrf_rejected: a cookie sent by a page that may not use it"),
              (status = 404, body = super::error::ErrorBody),
              (status = 429, body = super::error::ErrorBody, description = "too_many_connections")))]
pub(crate) async fn ws(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    IdPath(id): IdPath,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    // A request that is no WebSocket handshake (a plain GET, a missing key) is refused in the
    // contract's shape, with the status axum gives it.
    let upgrade = upgrade.map_err(|e| ApiError::of_status(e.status(), &e.body_text()))?;
    let by_cookie = bearer_from_headers(&headers).is_none()
        && (cookie_from_headers(&headers).is_some() || voter::has_cookie(&headers));
    if by_cookie && !origin::cookie_allowed(&headers, &state.allowed_origins) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_rejected",
            "cookie-authenticated connections from this origin are not accepted",
        ));
    }
    let slot = state
        .limits
        .sockets
        // An anonymous socket counts against its address only.
        .acquire(user.map_or_else(Uuid::new_v4, |u| u.id), ip)
        .map_err(|cap| {
            let message = match cap {
                CapExceeded::PerUser(n) => {
                    format!("too many connections for this account (at most {n} at once)")
                }
                CapExceeded::PerIp(n) => {
                    format!("too many connections from this address (at most {n} at once)")
                }
            };
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_connections",
                message,
            )
        })?;
    // Refused before the upgrade: an unknown poll (or another's draft) is a plain 404.
    let voter = state
        .auth
        .keys()
        .voters()
        .resolve(user.map(|u| u.id), &headers);
    let first = state.polls.get_as(voter, id).await?;
    let ballot = voter.map(|v| v.key);
    Ok(upgrade
        .on_upgrade(move |socket| serve(state, socket, Watcher { id, ballot, user }, first, slot)))
}

/// Who watches which poll.
struct Watcher {
    id: Uuid,
    /// The key `my_votes` is read under (the account, or the anonymous voter id).
    ballot: Option<Uuid>,
    user: Option<AuthUser>,
}

/// What this socket sends, tagged by `type`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum WsMessage<'a> {
    PollUpdate { poll: &'a PollView },
    PollDeleted,
    SessionEnded { reason: &'static str },
}

fn text(message: &WsMessage<'_>) -> Message {
    // Plain structs of strings and numbers: serialising them cannot fail.
    Message::Text(serde_json::to_string(message).unwrap_or_default().into())
}

fn update(poll: &PollView) -> Message {
    text(&WsMessage::PollUpdate { poll })
}

/// Runs one socket. `_slot` holds its place under the connection caps until it ends.
async fn serve(
    state: AppState,
    mut socket: WebSocket,
    who: Watcher,
    first: PollView,
    _slot: SocketSlot,
) {
    let mut sub = state.poll_watchers.watch(&state.polls, who.id, who.ballot);
    if socket.send(update(&first)).await.is_err() {
        return;
    }
    let mut session_check = tokio::time::interval(SESSION_EVERY);
    session_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let expiry = tokio::time::sleep(who.user.map_or(Duration::MAX, |u| session::until(u.exp)));
    tokio::pin!(expiry);
    let ended = loop {
        tokio::select! {
            changed = sub.changes.changed() => {
                if changed.is_err() {
                    break None;
                }
                let next = sub.changes.borrow_and_update().clone();
                match next {
                    Some(Watched::Poll(u)) => {
                        if let Some(poll) = u.for_voter(who.ballot)
                            && socket.send(update(&poll)).await.is_err()
                        {
                            break None;
                        }
                    }
                    Some(Watched::Deleted) => {
                        let _ = socket.send(text(&WsMessage::PollDeleted)).await;
                        break None;
                    }
                    None => {}
                }
            }
            _ = session_check.tick(), if who.user.is_some() => {
                if let Some(u) = who.user
                    && matches!(state.auth.revoked(u.jti, u.id, u.exp).await, Ok(true))
                {
                    break Some(EndReason::Revoked);
                }
            }
            () = &mut expiry, if who.user.is_some() => break Some(EndReason::Expired),
            incoming = socket.recv() => match incoming {
                // Input is ignored; pings are answered by axum.
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    };
    if let Some(reason) = ended {
        let bye = WsMessage::SessionEnded {
            reason: reason.as_str(),
        };
        let _ = socket.send(text(&bye)).await;
    }
    let _ = socket.send(Message::Close(None)).await;
}
