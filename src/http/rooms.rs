//! REST room routes: create, join by code, read, preview, kick, leave, and the host's screen
//! link.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    AppState,
    error::{ApiResult, ErrorBody},
    extract::{ApiJson, ClientIp, CodePath},
};
use crate::{
    auth::{AuthUser, token::token_from_headers},
    domain::Settings,
    error::Error,
    game::{
        Looker,
        view::{RoomPreview, RoomView},
    },
};

#[derive(Deserialize, Default, ToSchema)]
pub(crate) struct CreateRoomRequest {
    /// Every setting is optional; missing ones take the contract's defaults.
    #[serde(default)]
    pub settings: Option<Settings>,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct JoinRoomRequest {
    pub room_code: String,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct KickRequest {
    pub user_id: Uuid,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RoomResponse {
    pub room: RoomView,
}

#[utoipa::path(post, path = "/api/rooms", tag = "rooms", request_body = CreateRoomRequest,
    responses((status = 201, body = RoomResponse), (status = 401, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "a setting out of range")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateRoomRequest>,
) -> ApiResult<impl IntoResponse> {
    state.auth.require_account(user.id).await?;
    let settings = req.settings.unwrap_or_default();
    let room = state.game.create_room(user.id, settings).await?;
    Ok((StatusCode::CREATED, Json(RoomResponse { room })))
}

#[utoipa::path(post, path = "/api/rooms/join", tag = "rooms", request_body = JoinRoomRequest,
    responses((status = 200, body = RoomResponse),
              (status = 403, body = ErrorBody, description = "kicked"),
              (status = 404, body = ErrorBody, description = "room_not_found"),
              (status = 409, body = ErrorBody, description = "room_full, game_in_progress, game_finished")))]
pub(crate) async fn join(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<JoinRoomRequest>,
) -> ApiResult<Json<RoomResponse>> {
    state.limits.join(user.id)?;
    let room = state.game.join(user.id, &req.room_code).await?;
    Ok(Json(RoomResponse { room }))
}

#[utoipa::path(get, path = "/api/rooms/{code}", tag = "rooms",
    params(("code" = String, Path, description = "room code, any case")),
    responses((status = 200, body = RoomResponse), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
) -> ApiResult<Json<RoomResponse>> {
    Ok(Json(RoomResponse {
        room: state.game.get(user.id, &code).await?,
    }))
}

/// A room as someone about to join it sees it: open without a session, so that a share link
/// can show whose room it is before the visitor picks a nickname. It costs what any lookup by
/// code costs: a signed-in caller spends their join budget (when they were never in the room),
/// a visitor without a session spends their address's `RATE_LIMIT_PREVIEWS_PER_MINUTE`. A
/// stale or revoked cookie reads as no session (the browser keeps sending it until the next
/// sign-in replaces it, and it should not lock the visitor out of the invite).
#[utoipa::path(get, path = "/api/rooms/{code}/preview", tag = "rooms",
    params(("code" = String, Path, description = "room code, any case")),
    security((), ("cookie" = []), ("bearer" = [])),
    responses((status = 200, body = RoomPreview),
              (status = 404, body = ErrorBody, description = "room_not_found"),
              (status = 429, body = ErrorBody, description = "rate_limited: the join budget, or the address's preview budget")))]
pub(crate) async fn preview(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CodePath(code): CodePath,
) -> ApiResult<Json<RoomPreview>> {
    let who = match token_from_headers(&headers) {
        None => Looker::Visitor(ip),
        Some(token) => match state.auth.authenticate(&token).await {
            Ok(user) => Looker::User(user.id),
            Err(Error::Unauthorized) => Looker::Visitor(ip),
            Err(e) => return Err(e.into()),
        },
    };
    Ok(Json(state.game.preview(who, &code).await?))
}

#[utoipa::path(post, path = "/api/rooms/{code}/kick", tag = "rooms", request_body = KickRequest,
    params(("code" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody, description = "not_host"),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn kick(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
    ApiJson(req): ApiJson<KickRequest>,
) -> ApiResult<StatusCode> {
    state.game.kick(user.id, &code, req.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/rooms/{code}/leave", tag = "rooms",
    params(("code" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody, description = "not_participant"),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn leave(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
) -> ApiResult<StatusCode> {
    state.game.leave(user.id, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ScreenResponse {
    /// The key a screen shows in its handshake, as `auth: {screen: "{code}:{key}"}`.
    pub screen_key: String,
    /// The web client's screen view, `/screen/{code}#{key}`: the key rides in the fragment,
    /// which browsers never send, so it stays out of access logs.
    pub path: String,
}

#[utoipa::path(post, path = "/api/rooms/{code}/screen", tag = "rooms",
    params(("code" = String, Path)),
    responses((status = 201, body = ScreenResponse,
               description = "a new screen link; the room's earlier one stops working and its screens are closed"),
              (status = 403, body = ErrorBody, description = "not_host"),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn create_screen(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
) -> ApiResult<impl IntoResponse> {
    let link = state.game.create_screen(user.id, &code).await?;
    let path = link.path();
    Ok((
        StatusCode::CREATED,
        Json(ScreenResponse {
            screen_key: link.key,
            path,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/rooms/{code}/screen", tag = "rooms",
    params(("code" = String, Path)),
    responses((status = 204, description = "the screen link is revoked and its screens closed"),
              (status = 403, body = ErrorBody, description = "not_host"),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn revoke_screen(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
) -> ApiResult<StatusCode> {
    state.game.revoke_screen(user.id, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}
