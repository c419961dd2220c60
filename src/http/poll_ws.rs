//! `GET /ws/polls/{id}`: a plain WebSocket for clients without Socket.IO (the first polling
//! seed). It sends `{"type": "poll_update", "poll"}` on connect and on every change (at most
//! ten a second), and `{"type": "poll_deleted"}` before closing when the poll is deleted. It
//! takes no input; the auth cookie (or for an anonymous voter the `voter_id` cookie) is
//! optional and only fills `my_votes`.

use axum::{
    extract::{
        State,
        ws::{Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    http::HeaderMap,
    response::Response,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    AppState,
    error::{ApiError, ApiResult},
    extract::IdPath,
    polls::MaybeUser,
};
use crate::{db, polls::watch::Watched};

#[utoipa::path(get, path = "/ws/polls/{id}", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 101, description = "WebSocket: poll_update and poll_deleted messages"),
              (status = 400, body = super::error::ErrorBody, description = "not a WebSocket handshake"),
              (status = 404, body = super::error::ErrorBody)))]
pub(crate) async fn ws(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    IdPath(id): IdPath,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    // A request that is no WebSocket handshake (a plain GET, a missing key) is refused in the
    // contract's shape, with the status axum gives it.
    let upgrade = upgrade.map_err(|e| ApiError::of_status(e.status(), &e.body_text()))?;
    // Refused before the upgrade: an unknown poll (or another's draft) is a plain 404.
    let (first, ballot) = match user {
        Some(u) => (state.polls.get(Some(u.id), id).await?, Some(u.id)),
        None => {
            let voter = state.auth.keys().voters().voter_of(&headers);
            (state.polls.get_anonymous(voter, id).await?, voter)
        }
    };
    Ok(upgrade.on_upgrade(move |socket| serve(state, socket, id, ballot, first)))
}

/// `ballot`: the key `my_votes` is read under (the account, or the anonymous voter id).
async fn serve(
    state: AppState,
    mut socket: WebSocket,
    id: Uuid,
    ballot: Option<Uuid>,
    first: crate::polls::view::PollView,
) {
    let mut changes = state.poll_watchers.watch(&state.polls, id);
    let update = |poll: &crate::polls::view::PollView| {
        Message::Text(
            json!({"type": "poll_update", "poll": poll})
                .to_string()
                .into(),
        )
    };
    if socket.send(update(&first)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    break;
                }
                let next = changes.borrow_and_update().clone();
                match next {
                    Some(Watched::Poll(mut poll)) => {
                        if let Some(v) = ballot
                            && let Ok(Some(mine)) = db::ballots::ballot(&state.db, id, v).await
                        {
                            poll.my_votes = mine;
                        }
                        if socket.send(update(&poll)).await.is_err() {
                            break;
                        }
                    }
                    Some(Watched::Deleted) => {
                        let bye = json!({"type": "poll_deleted"}).to_string();
                        let _ = socket.send(Message::Text(bye.into())).await;
                        let _ = socket.send(Message::Close(None)).await;
                        break;
                    }
                    None => {}
                }
            }
            incoming = socket.recv() => match incoming {
                // Input is ignored; pings are answered by axum.
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
}
