//! REST webhook routes: register (the secret is in this answer only), list with the delivery
//! log, delete; for a poll (its creator), a room (its host) and the caller's account (every poll
//! it creates and game it hosts). Thin: parse, call `webhooks::Webhooks`, shape the reply.

use axum::{
    Json,
    extract::{FromRequestParts, Path, State},
    http::{StatusCode, request::Parts},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, CodePath, IdPath},
    polls::OptionPath,
};
use crate::{
    auth::AuthUser,
    webhooks::{Owner, WebhookView},
};

#[derive(Deserialize, ToSchema)]
pub(crate) struct WebhookRequest {
    /// http or https, up to 2,048 characters; a host that resolves to a private, loopback or
    /// other internal address is refused (422 naming `url`) unless the server runs with
    /// `WEBHOOK_ALLOW_PRIVATE`.
    pub url: String,
    /// The events wanted (default: every one this webhook can receive): `poll_created`
    /// (account webhooks only), `poll_published`, `poll_closed`, `poll_reopened`,
    /// `poll_deleted`, `poll_votes_reached`, `game_ended` (room and account webhooks).
    #[serde(default)]
    pub events: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RegisteredResponse {
    pub webhook: WebhookView,
    /// `whsec_…`: the HMAC-SHA256 key of `X-VG-Signature`. Shown in this answer only.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WebhooksResponse {
    pub webhooks: Vec<WebhookView>,
}

/// `/api/rooms/{code}/webhooks/{webhook_id}`.
pub(crate) struct RoomHookPath(pub String, pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for RoomHookPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path((code, id)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::malformed(e.to_string()))?;
        id.parse()
            .map(|id| RoomHookPath(code, id))
            .map_err(|_| ApiError::malformed("the webhook id in the path must be a UUID"))
    }
}

async fn register(
    state: &AppState,
    user: AuthUser,
    owner: Owner,
    req: WebhookRequest,
) -> ApiResult<impl IntoResponse + use<>> {
    let (webhook, secret) = state
        .webhooks
        .register(user.id, &owner, &req.url, req.events)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredResponse { webhook, secret }),
    ))
}

async fn list(state: &AppState, user: AuthUser, owner: Owner) -> ApiResult<Json<WebhooksResponse>> {
    Ok(Json(WebhooksResponse {
        webhooks: state.webhooks.list(user.id, &owner).await?,
    }))
}

async fn remove(state: &AppState, user: AuthUser, owner: Owner, id: Uuid) -> ApiResult<StatusCode> {
    state.webhooks.delete(user.id, &owner, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/polls/{id}/webhooks", tag = "webhooks",
    params(("id" = Uuid, Path)), request_body = WebhookRequest,
    responses((status = 201, body = RegisteredResponse), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "not_creator"),
              (status = 404, body = ErrorBody, description = "poll_not_found"),
              (status = 422, body = ErrorBody, description = "url or events refused, or 5 webhooks already")))]
pub(crate) async fn poll_create(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<WebhookRequest>,
) -> ApiResult<impl IntoResponse> {
    register(&state, user, Owner::Poll(id), req).await
}

#[utoipa::path(get, path = "/api/polls/{id}/webhooks", tag = "webhooks",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhooksResponse),
              (status = 403, body = ErrorBody, description = "not_creator"),
              (status = 404, body = ErrorBody, description = "poll_not_found")))]
pub(crate) async fn poll_list(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<WebhooksResponse>> {
    list(&state, user, Owner::Poll(id)).await
}

#[utoipa::path(delete, path = "/api/polls/{id}/webhooks/{webhook_id}", tag = "webhooks",
    params(("id" = Uuid, Path), ("webhook_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody, description = "not_creator"),
              (status = 404, body = ErrorBody, description = "poll_not_found, webhook_not_found")))]
pub(crate) async fn poll_delete(
    State(state): State<AppState>,
    user: AuthUser,
    OptionPath(id, hook): OptionPath,
) -> ApiResult<StatusCode> {
    remove(&state, user, Owner::Poll(id), hook).await
}

#[utoipa::path(post, path = "/api/rooms/{code}/webhooks", tag = "webhooks",
    params(("code" = String, Path)), request_body = WebhookRequest,
    responses((status = 201, body = RegisteredResponse),
              (status = 403, body = ErrorBody, description = "not_host"),
              (status = 404, body = ErrorBody, description = "room_not_found (closed rooms too)"),
              (status = 422, body = ErrorBody)))]
pub(crate) async fn room_create(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
    ApiJson(req): ApiJson<WebhookRequest>,
) -> ApiResult<impl IntoResponse> {
    register(&state, user, Owner::Room(code), req).await
}

#[utoipa::path(get, path = "/api/rooms/{code}/webhooks", tag = "webhooks",
    params(("code" = String, Path)),
    responses((status = 200, body = WebhooksResponse),
              (status = 403, body = ErrorBody, description = "not_host"),
              (status = 404, body = ErrorBody, description = "room_not_found")))]
pub(crate) async fn room_list(
    State(state): State<AppState>,
    user: AuthUser,
    CodePath(code): CodePath,
) -> ApiResult<Json<WebhooksResponse>> {
    list(&state, user, Owner::Room(code)).await
}

#[utoipa::path(delete, path = "/api/rooms/{code}/webhooks/{webhook_id}", tag = "webhooks",
    params(("code" = String, Path), ("webhook_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody, description = "not_host"),
              (status = 404, body = ErrorBody, description = "room_not_found, webhook_not_found")))]
pub(crate) async fn room_delete(
    State(state): State<AppState>,
    user: AuthUser,
    RoomHookPath(code, hook): RoomHookPath,
) -> ApiResult<StatusCode> {
    remove(&state, user, Owner::Room(code), hook).await
}

#[utoipa::path(post, path = "/api/me/webhooks", tag = "webhooks", request_body = WebhookRequest,
    responses((status = 201, body = RegisteredResponse), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "account_required (guests)"),
              (status = 422, body = ErrorBody)))]
pub(crate) async fn me_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<WebhookRequest>,
) -> ApiResult<impl IntoResponse> {
    register(&state, user, Owner::Me, req).await
}

#[utoipa::path(get, path = "/api/me/webhooks", tag = "webhooks",
    responses((status = 200, body = WebhooksResponse), (status = 401, body = ErrorBody)))]
pub(crate) async fn me_list(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<WebhooksResponse>> {
    list(&state, user, Owner::Me).await
}

#[utoipa::path(delete, path = "/api/me/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody, description = "webhook_not_found")))]
pub(crate) async fn me_delete(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(hook): IdPath,
) -> ApiResult<StatusCode> {
    remove(&state, user, Owner::Me, hook).await
}

pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(poll_list, poll_create))
        .routes(routes!(poll_delete))
        .routes(routes!(room_list, room_create))
        .routes(routes!(room_delete))
        .routes(routes!(me_list, me_create))
        .routes(routes!(me_delete))
}
