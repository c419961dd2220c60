//! The REST mirror of the Socket.IO game actions, through the same game service.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    AppState,
    error::{ApiResult, ErrorBody},
    extract::{ApiJson, CodePath, IdPath},
};
use crate::{
    auth::AuthUser,
    game::view::{
        AnswerView, GameStart, LeaderboardView, NextRound, RoundEnd, RoundView, VoteCount,
    },
};

#[derive(Deserialize, ToSchema)]
pub(crate) struct AnswerRequest {
    pub answer: String,
}

// Named apart from the polls' `VoteRequest` (`{option_ids}`): with one name, the document
// described both votes with whichever schema was registered last.
#[derive(Deserialize, ToSchema)]
#[schema(as = AnswerVoteRequest)]
pub(crate) struct VoteRequest {
    pub answer_id: Uuid,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct HideRequest {
    pub answer_id: Uuid,
}

#[derive(Deserialize, Default, ToSchema)]
pub(crate) struct PlayAgainRequest {
    /// Only the settings to change (any of the room settings); the others are kept.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RoundResponse {
    pub round: RoundView,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AnswerIdResponse {
    pub answer_id: Uuid,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AnswersResponse {
    pub answers: Vec<AnswerView>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LeaderboardResponse {
    pub leaderboard: Vec<LeaderboardView>,
}

#[utoipa::path(post, path = "/api/game/{code}/start", tag = "game", params(("code" = String, Path)),
    responses((status = 200, body = RoundResponse),
              (status = 403, body = ErrorBody, description = "not_host"),
              (status = 409, body = ErrorBody, description = "not_enough_players, game_in_progress")))]
pub(crate) async fn start(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
) -> ApiResult<Json<RoundResponse>> {
    Ok(Json(RoundResponse {
        round: state.game.start_game(user.id, &code).await?,
    }))
}

#[utoipa::path(post, path = "/api/game/rounds/{id}/answer", tag = "game", request_body = AnswerRequest,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = AnswerIdResponse),
              (status = 409, body = ErrorBody, description = "already_answered, wrong_phase, stale_round"),
              (status = 422, body = ErrorBody)))]
pub(crate) async fn answer(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(round_id): IdPath,
    ApiJson(req): ApiJson<AnswerRequest>,
) -> ApiResult<impl IntoResponse> {
    let answer_id = state
        .game
        .submit_answer(user.id, None, round_id, &req.answer)
        .await?;
    Ok((StatusCode::CREATED, Json(AnswerIdResponse { answer_id })))
}

#[utoipa::path(get, path = "/api/game/rounds/{id}/answers", tag = "game", params(("id" = Uuid, Path)),
    responses((status = 200, body = AnswersResponse),
              (status = 409, body = ErrorBody, description = "wrong_phase while answering")))]
pub(crate) async fn answers(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(round_id): IdPath,
) -> ApiResult<Json<AnswersResponse>> {
    Ok(Json(AnswersResponse {
        answers: state.game.answers(user.id, round_id).await?,
    }))
}

#[utoipa::path(post, path = "/api/game/rounds/{id}/vote", tag = "game", request_body = VoteRequest,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = VoteCount),
              (status = 403, body = ErrorBody, description = "own_answer"),
              (status = 409, body = ErrorBody, description = "already_voted, wrong_phase")))]
pub(crate) async fn vote(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(round_id): IdPath,
    ApiJson(req): ApiJson<VoteRequest>,
) -> ApiResult<impl IntoResponse> {
    let counted = state
        .game
        .vote(user.id, None, round_id, req.answer_id)
        .await?;
    Ok((StatusCode::CREATED, Json(counted)))
}

#[utoipa::path(post, path = "/api/game/rounds/{id}/voting", tag = "game", params(("id" = Uuid, Path)),
    responses((status = 200, body = RoundResponse), (status = 403, body = ErrorBody)))]
pub(crate) async fn start_voting(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(round_id): IdPath,
) -> ApiResult<Json<RoundResponse>> {
    Ok(Json(RoundResponse {
        round: state.game.start_voting(user.id, None, round_id).await?,
    }))
}

#[utoipa::path(post, path = "/api/game/rounds/{id}/end", tag = "game", params(("id" = Uuid, Path)),
    responses((status = 200, body = RoundEnd), (status = 403, body = ErrorBody)))]
pub(crate) async fn end_round(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(round_id): IdPath,
) -> ApiResult<Json<RoundEnd>> {
    Ok(Json(state.game.end_round(user.id, None, round_id).await?))
}

#[utoipa::path(post, path = "/api/game/{code}/next", tag = "game", params(("code" = String, Path)),
    responses((status = 200, body = NextRound), (status = 403, body = ErrorBody)))]
pub(crate) async fn next(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
) -> ApiResult<Json<NextRound>> {
    Ok(Json(state.game.next_round(user.id, &code).await?))
}

#[utoipa::path(get, path = "/api/game/{code}/leaderboard", tag = "game", params(("code" = String, Path)),
    responses((status = 200, body = LeaderboardResponse), (status = 404, body = ErrorBody)))]
pub(crate) async fn leaderboard(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
) -> ApiResult<Json<LeaderboardResponse>> {
    Ok(Json(LeaderboardResponse {
        leaderboard: state.game.leaderboard(user.id, &code).await?,
    }))
}

#[utoipa::path(post, path = "/api/game/{code}/play-again", tag = "game", request_body = PlayAgainRequest,
    params(("code" = String, Path)),
    responses((status = 200, body = GameStart),
              (status = 403, body = ErrorBody, description = "not_host"),
              (status = 409, body = ErrorBody, description = "game_in_progress, wrong_phase (lobby), not_enough_players"),
              (status = 422, body = ErrorBody, description = "a setting out of range")))]
pub(crate) async fn play_again(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
    ApiJson(req): ApiJson<PlayAgainRequest>,
) -> ApiResult<Json<GameStart>> {
    Ok(Json(
        state.game.play_again(user.id, &code, req.settings).await?,
    ))
}

#[utoipa::path(post, path = "/api/game/rounds/{id}/hide", tag = "game", request_body = HideRequest,
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "hidden (again: no change)"),
              (status = 403, body = ErrorBody, description = "not_host"),
              (status = 404, body = ErrorBody, description = "answer_not_found"),
              (status = 409, body = ErrorBody, description = "wrong_phase (the round ended), stale_round")))]
pub(crate) async fn hide_answer(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(round_id): IdPath,
    ApiJson(req): ApiJson<HideRequest>,
) -> ApiResult<StatusCode> {
    state
        .game
        .hide_answer(user.id, None, round_id, req.answer_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
