//! REST poll routes (contract v2): polls, their status, options, votes, results, audit and
//! categories. Thin: parse, call `PollService`, shape the reply.

use axum::{
    Json,
    extract::{FromRequestParts, Path, State},
    http::{HeaderMap, StatusCode, request::Parts},
    response::IntoResponse,
};
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ClientIp, IdPath},
};
use crate::{
    auth::{AuthUser, token::token_from_headers},
    domain::poll::{
        PollError,
        code::PollRef,
        create::NewPollInput,
        kind::PollKind,
        lifecycle::Transition,
        text::{Moderation, TextSettingsInput},
    },
    polls::{
        service::{CreatePoll, PollPatch},
        view::{AuditEntry, CategoryView, OptionView, PollView, ResultsView},
        votes::Voter,
    },
};

/// The caller if signed in; anonymous otherwise. A token that is sent but invalid is still 401,
/// so a client never silently loses its identity.
pub(crate) struct MaybeUser(pub Option<AuthUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if token_from_headers(&parts.headers).is_none() {
            return Ok(MaybeUser(None));
        }
        AuthUser::from_request_parts(parts, state)
            .await
            .map(|u| MaybeUser(Some(u)))
    }
}

/// `/api/polls/{id}/options/{option_id}`.
pub(crate) struct OptionPath(pub Uuid, pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for OptionPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path((poll, option)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::malformed(e.to_string()))?;
        match (poll.parse(), option.parse()) {
            (Ok(p), Ok(o)) => Ok(OptionPath(p, o)),
            _ => Err(ApiError::malformed("the ids in the path must be UUIDs")),
        }
    }
}

/// A field that may be absent (unchanged), `null` (cleared) or a value.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct CreatePollRequest {
    /// 1–200 characters.
    pub question: String,
    /// Up to 1,000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// 2–20 texts of 1–100 characters, unique ignoring case and surrounding space (none for a
    /// text poll).
    #[serde(default)]
    pub options: Vec<String>,
    /// `choice` (the default), `ranked` (ballots order options; results add an instant
    /// `runoff`; `allow_multiple` and `max_choices` do not apply) or `text` (no options: a
    /// ballot is a short answer, see `max_length`, `answers_per_voter`, `moderation`).
    #[serde(default)]
    pub kind: Option<PollKind>,
    /// Text polls: characters an answer may have, 1–280 (default 140).
    #[serde(default)]
    pub max_length: Option<i64>,
    /// Text polls: answers one voter may give, 1–10 (default 1).
    #[serde(default)]
    pub answers_per_voter: Option<i64>,
    /// Text polls: `post` (default: answers show at once, the creator may hide them) or `pre`
    /// (held until the creator approves). An answer the word filter matches is held either way.
    #[serde(default)]
    pub moderation: Option<String>,
    #[serde(default)]
    pub allow_multiple: Option<bool>,
    /// 1 for single choice; 1..option count for multiple choice (default: the option count).
    #[serde(default)]
    pub max_choices: Option<i64>,
    #[serde(default)]
    pub is_public: Option<bool>,
    #[serde(default)]
    pub allow_anonymous: Option<bool>,
    /// A category slug.
    #[serde(default)]
    pub category: Option<String>,
    /// In the future when set.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// `false` keeps the poll a draft (default: published, `open`).
    #[serde(default)]
    pub publish: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct PatchPollRequest {
    #[serde(default)]
    pub question: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// A slug, or `null` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    #[serde(default)]
    pub is_public: Option<bool>,
    #[serde(default)]
    pub allow_anonymous: Option<bool>,
    /// A future time, or `null` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct OptionRequest {
    /// 1–100 characters.
    pub text: String,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct VoteRequest {
    /// The chosen options; on a ranked poll, the ranking (most preferred first, 1 to all of
    /// the options, each once), which replaces the voter's earlier one whole.
    pub option_ids: Vec<Uuid>,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct CategoryRequest {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PollResponse {
    pub poll: PollView,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OptionResponse {
    pub option: OptionView,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CategoriesResponse {
    pub categories: Vec<CategoryView>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CategoryResponse {
    pub category: CategoryView,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditResponse {
    pub entries: Vec<AuditEntry>,
}

fn poll(poll: PollView) -> Json<PollResponse> {
    Json(PollResponse { poll })
}

#[utoipa::path(post, path = "/api/polls", tag = "polls", request_body = CreatePollRequest,
    responses((status = 201, body = PollResponse), (status = 401, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "a limit, naming its field")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreatePollRequest>,
) -> ApiResult<impl IntoResponse> {
    state.auth.require_account(user.id).await?;
    let moderation = match req.moderation.as_deref() {
        None => None,
        Some(m) => Some(Moderation::parse(m).ok_or_else(|| {
            ApiError::from(crate::error::Error::from(PollError::validation(
                "moderation",
                "must be pre or post",
            )))
        })?),
    };
    let view = state
        .polls
        .create(
            user.id,
            CreatePoll {
                input: NewPollInput {
                    question: req.question,
                    description: req.description,
                    options: req.options,
                    allow_multiple: req.allow_multiple,
                    max_choices: req.max_choices,
                    expires_at: req.expires_at,
                    kind: req.kind,
                    text: TextSettingsInput {
                        max_length: req.max_length,
                        answers_per_voter: req.answers_per_voter,
                        moderation,
                    },
                },
                category: req.category,
                is_public: req.is_public,
                allow_anonymous: req.allow_anonymous,
                publish: req.publish,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, poll(view)))
}

/// `/api/polls/{id}` where the segment may be an id or a poll's code (any case).
pub(crate) struct PollRefPath(pub PollRef);

impl<S: Send + Sync> FromRequestParts<S> for PollRefPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::malformed(e.to_string()))?;
        PollRef::parse(&raw).map(PollRefPath).ok_or_else(|| {
            ApiError::malformed("the path must name a poll by its id (a UUID) or its code")
        })
    }
}

#[utoipa::path(get, path = "/api/polls/{id}", tag = "polls",
    params(("id" = String, Path,
            description = "The poll's id (a UUID) or its six-character code, in any case")),
    responses((status = 200, body = PollResponse),
              (status = 400, body = ErrorBody, description = "malformed_request: neither an id nor a code"),
              (status = 404, body = ErrorBody, description = "poll_not_found (drafts of others too)")))]
pub(crate) async fn get(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    PollRefPath(id): PollRefPath,
) -> ApiResult<Json<PollResponse>> {
    // Counted as a view of the poll (see `polls::stats`). An anonymous caller's `my_votes`
    // is the ballot of their `voter_id` cookie.
    let voter = state
        .auth
        .keys()
        .voters()
        .resolve(user.map(|u| u.id), &headers);
    Ok(poll(state.polls.get_viewed(voter, id).await?))
}

#[utoipa::path(patch, path = "/api/polls/{id}", tag = "polls", params(("id" = Uuid, Path)),
    request_body = PatchPollRequest,
    responses((status = 200, body = PollResponse),
              (status = 403, body = ErrorBody, description = "not_creator"),
              (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "poll_has_votes"),
              (status = 422, body = ErrorBody)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<PatchPollRequest>,
) -> ApiResult<Json<PollResponse>> {
    let patch = PollPatch {
        question: req.question,
        description: req.description,
        category: req.category,
        is_public: req.is_public,
        allow_anonymous: req.allow_anonymous,
        expires_at: req.expires_at,
    };
    Ok(poll(state.polls.update(user.id, id, patch).await?))
}

#[utoipa::path(delete, path = "/api/polls/{id}", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody, description = "not_creator"),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    state.polls.delete(user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn transition(
    state: AppState,
    user: AuthUser,
    id: Uuid,
    t: Transition,
) -> ApiResult<Json<PollResponse>> {
    Ok(poll(state.polls.transition(user.id, id, t).await?))
}

#[utoipa::path(post, path = "/api/polls/{id}/publish", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 200, body = PollResponse), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "wrong_state")))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<PollResponse>> {
    transition(state, user, id, Transition::Publish).await
}

#[utoipa::path(post, path = "/api/polls/{id}/close", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 200, body = PollResponse), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "wrong_state")))]
pub(crate) async fn close(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<PollResponse>> {
    transition(state, user, id, Transition::Close).await
}

#[utoipa::path(post, path = "/api/polls/{id}/reopen", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 200, body = PollResponse), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "wrong_state (an expired poll too)")))]
pub(crate) async fn reopen(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<PollResponse>> {
    transition(state, user, id, Transition::Reopen).await
}

#[utoipa::path(post, path = "/api/polls/{id}/options", tag = "polls", params(("id" = Uuid, Path)),
    request_body = OptionRequest,
    responses((status = 201, body = OptionResponse), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "duplicate_option"),
              (status = 422, body = ErrorBody, description = "over 20 options, or the text")))]
pub(crate) async fn add_option(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<OptionRequest>,
) -> ApiResult<impl IntoResponse> {
    let option = state.polls.add_option(user.id, id, &req.text).await?;
    Ok((StatusCode::CREATED, Json(OptionResponse { option })))
}

#[utoipa::path(patch, path = "/api/polls/{id}/options/{option_id}", tag = "polls",
    params(("id" = Uuid, Path), ("option_id" = Uuid, Path)), request_body = OptionRequest,
    responses((status = 200, body = OptionResponse), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "option_not_found"),
              (status = 409, body = ErrorBody, description = "option_has_votes, duplicate_option")))]
pub(crate) async fn edit_option(
    State(state): State<AppState>,
    user: AuthUser,
    OptionPath(id, option): OptionPath,
    ApiJson(req): ApiJson<OptionRequest>,
) -> ApiResult<Json<OptionResponse>> {
    let option = state
        .polls
        .edit_option(user.id, id, option, &req.text)
        .await?;
    Ok(Json(OptionResponse { option }))
}

#[utoipa::path(delete, path = "/api/polls/{id}/options/{option_id}", tag = "polls",
    params(("id" = Uuid, Path), ("option_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "option_not_found"),
              (status = 409, body = ErrorBody, description = "option_has_votes, too_few_options")))]
pub(crate) async fn delete_option(
    State(state): State<AppState>,
    user: AuthUser,
    OptionPath(id, option): OptionPath,
) -> ApiResult<StatusCode> {
    state.polls.delete_option(user.id, id, option).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/polls/{id}/vote", tag = "polls", params(("id" = Uuid, Path)),
    request_body = VoteRequest,
    responses((status = 200, body = PollResponse,
               description = "without sign-in on an allow_anonymous poll: the first vote sets the signed HttpOnly voter_id cookie"),
              (status = 401, body = ErrorBody, description = "anonymous, and the poll does not allow_anonymous"),
              (status = 404, body = ErrorBody, description = "poll_not_found, option_not_found"),
              (status = 409, body = ErrorBody, description = "poll_closed (closed, draft or expired)"),
              (status = 422, body = ErrorBody, description = "too_many_choices, empty or repeated option_ids")))]
pub(crate) async fn vote(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<VoteRequest>,
) -> ApiResult<(CookieJar, Json<PollResponse>)> {
    let (voter, minted) = rest_voter(&state, user, &headers, Some(ip))?;
    let view = state.polls.vote(voter, id, &req.option_ids).await?;
    Ok((voter_cookie(&state, jar, voter, minted), poll(view)))
}

/// The `jar` with the new voter's cookie when `rest_voter` minted one. Called only after the
/// vote or answer counted, so a refused one leaves no id behind.
pub(crate) fn voter_cookie(
    state: &AppState,
    jar: CookieJar,
    voter: Voter,
    minted: bool,
) -> CookieJar {
    if minted {
        let voters = state.auth.keys().voters();
        jar.add(voters.cookie(voter.key, state.cookie_secure))
    } else {
        jar
    }
}

/// Who votes over REST: the signed-in account; otherwise the anonymous voter of a valid
/// `voter_id` cookie. Without one (a forged or altered cookie counts as none), a caller that
/// `mint`s (a vote, given the client's address) gets a new voter id, charged to that address
/// (`Limits::new_voter`), and `true` says its cookie is to be set; one that does not (a
/// withdrawal) gets an id with no ballot behind it, so the answer is `no_vote`. The service
/// refuses anonymous voters on polls without `allow_anonymous` with 401, as before.
pub(crate) fn rest_voter(
    state: &AppState,
    user: Option<AuthUser>,
    headers: &HeaderMap,
    mint: Option<std::net::IpAddr>,
) -> Result<(Voter, bool), ApiError> {
    if let Some(voter) = state
        .auth
        .keys()
        .voters()
        .resolve(user.map(|u| u.id), headers)
    {
        return Ok((voter, false));
    }
    match mint {
        Some(ip) => {
            state.limits.new_voter(ip)?;
            Ok((Voter::anonymous(Uuid::new_v4()), true))
        }
        None => Ok((Voter::anonymous(Uuid::new_v4()), false)),
    }
}

#[utoipa::path(delete, path = "/api/polls/{id}/vote", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 200, body = PollResponse,
               description = "without sign-in: the ballot of the voter_id cookie, on an allow_anonymous poll"),
              (status = 401, body = ErrorBody, description = "anonymous, and the poll does not allow_anonymous"),
              (status = 404, body = ErrorBody, description = "no_vote"),
              (status = 409, body = ErrorBody, description = "poll_closed")))]
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    IdPath(id): IdPath,
) -> ApiResult<Json<PollResponse>> {
    let (voter, _) = rest_voter(&state, user, &headers, None)?;
    Ok(poll(state.polls.withdraw(voter, id).await?))
}

#[utoipa::path(get, path = "/api/polls/{id}/results", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 200, body = ResultsView), (status = 404, body = ErrorBody)))]
pub(crate) async fn results(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<ResultsView>> {
    Ok(Json(state.polls.results(user.map(|u| u.id), id).await?))
}

#[utoipa::path(get, path = "/api/polls/{id}/audit", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 200, body = AuditResponse),
              (status = 403, body = ErrorBody, description = "not_creator"),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn poll_audit(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<AuditResponse>> {
    let entries = state.polls.poll_audit(user.id, id).await?;
    Ok(Json(AuditResponse { entries }))
}

#[utoipa::path(get, path = "/api/me/audit", tag = "polls",
    responses((status = 200, body = AuditResponse), (status = 401, body = ErrorBody)))]
pub(crate) async fn my_audit(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<AuditResponse>> {
    let entries = state.polls.my_audit(user.id).await?;
    Ok(Json(AuditResponse { entries }))
}

#[utoipa::path(get, path = "/api/categories", tag = "polls",
    responses((status = 200, body = CategoriesResponse)))]
pub(crate) async fn categories(
    State(state): State<AppState>,
) -> ApiResult<Json<CategoriesResponse>> {
    let categories = state.polls.categories().await?;
    Ok(Json(CategoriesResponse { categories }))
}

#[utoipa::path(post, path = "/api/categories", tag = "polls", request_body = CategoryRequest,
    responses((status = 201, body = CategoryResponse),
              (status = 403, body = ErrorBody, description = "not_admin (ADMIN_EMAILS)"),
              (status = 409, body = ErrorBody, description = "slug_taken"),
              (status = 422, body = ErrorBody)))]
pub(crate) async fn add_category(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CategoryRequest>,
) -> ApiResult<impl IntoResponse> {
    let category = state
        .polls
        .add_category(user.id, &req.slug, &req.name, req.description.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(CategoryResponse { category })))
}

/// The poll routes, merged into the API router by `http::router`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(get, update, delete))
        .routes(routes!(publish))
        .routes(routes!(close))
        .routes(routes!(reopen))
        .routes(routes!(add_option))
        .routes(routes!(edit_option, delete_option))
        .routes(routes!(vote, withdraw))
        .routes(routes!(results))
        .routes(routes!(poll_audit))
        .routes(routes!(my_audit))
        .routes(routes!(categories, add_category))
}
