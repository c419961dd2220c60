//! REST routes of the audience: join or leave a room's audience, vote as audience.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};

use super::{
    AppState,
    error::{ApiResult, ErrorBody},
    extract::{ApiJson, CodePath, IdPath},
    game::VoteRequest,
    rooms::RoomResponse,
};
use crate::{auth::AuthUser, game::view::AudienceVoteCount};

#[utoipa::path(post, path = "/api/rooms/{code}/audience", tag = "rooms", params(("code" = String, Path)),
    responses((status = 200, body = RoomResponse),
              (status = 403, body = ErrorBody, description = "kicked"),
              (status = 404, body = ErrorBody, description = "room_not_found"),
              (status = 409, body = ErrorBody, description = "audience_closed (the room has places for players), audience_full")))]
pub(crate) async fn join(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
) -> ApiResult<Json<RoomResponse>> {
    state.limits.join(user.id)?;
    let out = state.game.join_audience(user.id, &code).await?;
    Ok(Json(RoomResponse {
        room: state.game.view(&out.room).await?,
    }))
}

#[utoipa::path(delete, path = "/api/rooms/{code}/audience", tag = "rooms", params(("code" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody, description = "not_audience")))]
pub(crate) async fn leave(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
) -> ApiResult<StatusCode> {
    state.game.leave_audience(user.id, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/game/rounds/{id}/audience-vote", tag = "game", request_body = VoteRequest,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = AudienceVoteCount),
              (status = 403, body = ErrorBody, description = "not_audience"),
              (status = 409, body = ErrorBody, description = "already_voted, wrong_phase, answer_hidden")))]
pub(crate) async fn vote(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(round_id): IdPath,
    ApiJson(req): ApiJson<VoteRequest>,
) -> ApiResult<impl IntoResponse> {
    let counted = state
        .game
        .audience_vote(user.id, None, round_id, req.answer_id)
        .await?;
    Ok((StatusCode::CREATED, Json(counted)))
}
