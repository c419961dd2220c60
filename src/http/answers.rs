//! REST routes of text polls (contract v3): answering, and the creator's moderation queue.
//! Thin: parse, call `PollService`, shape the reply.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiQuery, ClientIp, IdPath},
    polls::{MaybeUser, OptionPath, rest_voter, voter_cookie},
};
use crate::{
    auth::AuthUser,
    domain::poll::{PollError, text::AnswerStatus},
    polls::{
        answers::{AnswerQueue, AnswerTaken},
        view::QueuedAnswer,
    },
};

#[derive(Deserialize, ToSchema)]
pub(crate) struct AnswerRequest {
    /// 1 to the poll's `max_length` characters after trimming, one line.
    pub text: String,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct ModerateRequest {
    /// `approved` or `hidden`.
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct QueuedAnswerResponse {
    pub answer: QueuedAnswer,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct QueueQuery {
    /// `pending`, `approved` or `hidden` (default: all).
    pub status: Option<String>,
}

fn status(raw: &str) -> Result<AnswerStatus, ApiError> {
    AnswerStatus::parse(raw).ok_or_else(|| {
        ApiError::from(crate::error::Error::from(PollError::validation(
            "status",
            "must be pending, approved or hidden",
        )))
    })
}

#[utoipa::path(post, path = "/api/polls/{id}/answers", tag = "polls", params(("id" = Uuid, Path)),
    request_body = AnswerRequest,
    responses((status = 201, body = AnswerTaken,
               description = "the answer (approved, or pending when held: pre-moderation or the word filter) and the poll; without sign-in on an allow_anonymous poll the first answer sets the voter_id cookie"),
              (status = 401, body = ErrorBody, description = "anonymous, and the poll does not allow_anonymous"),
              (status = 404, body = ErrorBody, description = "poll_not_found"),
              (status = 409, body = ErrorBody, description = "poll_closed, answer_limit_reached, wrong_kind (not a text poll)"),
              (status = 422, body = ErrorBody, description = "validation_failed naming text")))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<AnswerRequest>,
) -> ApiResult<impl IntoResponse> {
    let (voter, minted) = rest_voter(&state, user, &headers, Some(ip))?;
    let taken = state.polls.submit_answer(voter, id, &req.text).await?;
    let jar = voter_cookie(&state, jar, voter, minted);
    Ok((StatusCode::CREATED, jar, Json(taken)))
}

#[utoipa::path(get, path = "/api/polls/{id}/answers", tag = "polls",
    params(("id" = Uuid, Path), QueueQuery),
    responses((status = 200, body = AnswerQueue),
              (status = 403, body = ErrorBody, description = "not_creator"),
              (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "wrong_kind (not a text poll)"),
              (status = 422, body = ErrorBody, description = "a bad status")))]
pub(crate) async fn queue(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<AnswerQueue>> {
    let wanted = q.status.as_deref().map(status).transpose()?;
    Ok(Json(state.polls.answer_queue(user.id, id, wanted).await?))
}

#[utoipa::path(patch, path = "/api/polls/{id}/answers/{answer_id}", tag = "polls",
    params(("id" = Uuid, Path), ("answer_id" = Uuid, Path)), request_body = ModerateRequest,
    responses((status = 200, body = QueuedAnswerResponse),
              (status = 403, body = ErrorBody, description = "not_creator"),
              (status = 404, body = ErrorBody, description = "poll_not_found, answer_not_found"),
              (status = 409, body = ErrorBody, description = "wrong_kind"),
              (status = 422, body = ErrorBody, description = "status is not approved or hidden")))]
pub(crate) async fn moderate(
    State(state): State<AppState>,
    user: AuthUser,
    OptionPath(id, answer): OptionPath,
    ApiJson(req): ApiJson<ModerateRequest>,
) -> ApiResult<Json<QueuedAnswerResponse>> {
    let target = status(&req.status)?;
    let answer = state.polls.moderate(user.id, id, answer, target).await?;
    Ok(Json(QueuedAnswerResponse { answer }))
}

/// The text poll routes, merged into the API router by `http::router`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(submit, queue))
        .routes(routes!(moderate))
}
