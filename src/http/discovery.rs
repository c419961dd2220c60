//! REST routes for finding and liking polls (issue 12): `GET /api/polls` with its sorts and
//! filters, the seed-001 aliases, `PUT`/`DELETE /api/polls/{id}/like`, and the people routes
//! (`/api/users/{id}`, `/api/users/{id}/polls`, `/api/me/votes`, `/api/me/likes`). Thin: parse, call
//! `PollService`, shape the reply.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa::ToSchema;

use super::{
    AppState,
    error::{ApiResult, ErrorBody},
    extract::{ApiQuery, IdPath},
    polls::MaybeUser,
};
use crate::{
    auth::AuthUser,
    domain::poll::discovery::RawListParams,
    polls::discovery::{LikeView, MyVote, PollPage, PollSummary, ProfileView},
};

/// The list parameters, all optional; each is checked by `domain::poll::discovery`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// `recent` (default), `popular` (all-time voters) or `trending` (recent activity,
    /// decayed); with `q` and no `sort`, by relevance.
    pub sort: Option<String>,
    /// A category slug.
    pub category: Option<String>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// A user id. The caller's own id lists their drafts and unlisted polls too.
    pub creator: Option<String>,
    /// Search text: question, description and options, English-stemmed, the last word a prefix.
    pub q: Option<String>,
    /// From 1 (default 1).
    pub page: Option<String>,
    /// 1–100 (default 20).
    pub per_page: Option<String>,
}

impl From<ListQuery> for RawListParams {
    fn from(q: ListQuery) -> Self {
        RawListParams {
            sort: q.sort,
            category: q.category,
            status: q.status,
            creator: q.creator,
            q: q.q,
            page: q.page,
            per_page: q.per_page,
        }
    }
}

async fn list_with(
    state: &AppState,
    user: Option<AuthUser>,
    query: ListQuery,
    preset: impl FnOnce(&mut RawListParams),
) -> ApiResult<Json<PollPage>> {
    let mut raw = RawListParams::from(query);
    preset(&mut raw);
    Ok(Json(state.polls.list(user.map(|u| u.id), &raw).await?))
}

#[utoipa::path(get, path = "/api/polls", tag = "polls", params(ListQuery),
    responses((status = 200, body = PollPage),
              (status = 422, body = ErrorBody, description = "a bad parameter, named in `field`")))]
pub(crate) async fn list(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<PollPage>> {
    list_with(&state, user, query, |_| {}).await
}

fn sorted(sort: &'static str) -> impl FnOnce(&mut RawListParams) {
    move |raw| raw.sort = Some(sort.to_string())
}

#[utoipa::path(get, path = "/api/polls/trending", tag = "polls", params(ListQuery),
    responses((status = 200, body = PollPage), (status = 422, body = ErrorBody)))]
pub(crate) async fn trending(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<PollPage>> {
    list_with(&state, user, query, sorted("trending")).await
}

#[utoipa::path(get, path = "/api/polls/popular", tag = "polls", params(ListQuery),
    responses((status = 200, body = PollPage), (status = 422, body = ErrorBody)))]
pub(crate) async fn popular(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<PollPage>> {
    list_with(&state, user, query, sorted("popular")).await
}

#[utoipa::path(get, path = "/api/polls/recent", tag = "polls", params(ListQuery),
    responses((status = 200, body = PollPage), (status = 422, body = ErrorBody)))]
pub(crate) async fn recent(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<PollPage>> {
    list_with(&state, user, query, sorted("recent")).await
}

#[utoipa::path(get, path = "/api/polls/search", tag = "polls", params(ListQuery),
    responses((status = 200, body = PollPage),
              (status = 422, body = ErrorBody, description = "`q` missing or a bad parameter")))]
pub(crate) async fn search(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<PollPage>> {
    let raw = RawListParams::from(query);
    Ok(Json(state.polls.search(user.map(|u| u.id), &raw).await?))
}

#[utoipa::path(put, path = "/api/polls/{id}/like", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 200, body = LikeView), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "poll_not_found")))]
pub(crate) async fn like(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<LikeView>> {
    Ok(Json(state.polls.set_like(user.id, id, true).await?))
}

#[utoipa::path(delete, path = "/api/polls/{id}/like", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 200, body = LikeView), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "poll_not_found")))]
pub(crate) async fn unlike(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<LikeView>> {
    Ok(Json(state.polls.set_like(user.id, id, false).await?))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProfileResponse {
    pub user: ProfileView,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MyVotesResponse {
    pub votes: Vec<MyVote>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MyLikesResponse {
    pub polls: Vec<PollSummary>,
}

#[utoipa::path(get, path = "/api/users/{id}", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 200, body = ProfileResponse, description = "never the email"),
              (status = 404, body = ErrorBody, description = "user_not_found")))]
pub(crate) async fn user(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<ProfileResponse>> {
    Ok(Json(ProfileResponse {
        user: state.polls.profile(viewer.map(|u| u.id), id).await?,
    }))
}

#[utoipa::path(get, path = "/api/users/{id}/polls", tag = "polls",
    params(("id" = Uuid, Path), ListQuery),
    responses((status = 200, body = PollPage,
               description = "the caller's own list includes drafts and unlisted polls"),
              (status = 422, body = ErrorBody)))]
pub(crate) async fn user_polls(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    IdPath(id): IdPath,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<PollPage>> {
    list_with(&state, user, query, move |raw| {
        raw.creator = Some(id.to_string())
    })
    .await
}

fn page_only(query: ListQuery) -> RawListParams {
    RawListParams {
        page: query.page,
        per_page: query.per_page,
        ..RawListParams::default()
    }
}

#[utoipa::path(get, path = "/api/me/votes", tag = "polls", params(ListQuery),
    responses((status = 200, body = MyVotesResponse, description = "newest first; page and per_page apply"),
              (status = 401, body = ErrorBody)))]
pub(crate) async fn my_votes(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<MyVotesResponse>> {
    let raw = page_only(query);
    Ok(Json(MyVotesResponse {
        votes: state.polls.my_votes(user.id, &raw).await?,
    }))
}

#[utoipa::path(get, path = "/api/me/likes", tag = "polls", params(ListQuery),
    responses((status = 200, body = MyLikesResponse, description = "most recently liked first; page and per_page apply"),
              (status = 401, body = ErrorBody)))]
pub(crate) async fn my_likes(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<MyLikesResponse>> {
    let raw = page_only(query);
    Ok(Json(MyLikesResponse {
        polls: state.polls.my_likes(user.id, &raw).await?,
    }))
}

/// The discovery routes, merged into the API router by `http::router`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(trending))
        .routes(routes!(popular))
        .routes(routes!(recent))
        .routes(routes!(search))
        .routes(routes!(like, unlike))
        .routes(routes!(user))
        .routes(routes!(user_polls))
        .routes(routes!(my_votes))
        .routes(routes!(my_likes))
}
