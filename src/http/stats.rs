//! REST routes for statistics (issue 12): a poll's stats for its creator and the site's.
//! Thin: call `PollService` (`polls::stats`), shape the reply.

use axum::{Json, extract::State};

use super::{
    AppState,
    error::{ApiResult, ErrorBody},
    extract::IdPath,
};
use crate::{
    auth::AuthUser,
    polls::stats::{PollStats, SiteStats},
};

#[utoipa::path(get, path = "/api/polls/{id}/stats", tag = "polls", params(("id" = Uuid, Path)),
    responses((status = 200, body = PollStats,
               description = "views: reads of the poll by anyone but its creator"),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "not_creator"),
              (status = 404, body = ErrorBody, description = "poll_not_found")))]
pub(crate) async fn poll_stats(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<PollStats>> {
    Ok(Json(state.polls.poll_stats(user.id, id).await?))
}

#[utoipa::path(get, path = "/api/polls/stats", tag = "polls",
    responses((status = 200, body = SiteStats,
               description = "public, published polls only; up to a second old")))]
pub(crate) async fn site_stats(State(state): State<AppState>) -> ApiResult<Json<SiteStats>> {
    Ok(Json(state.polls.site_stats().await?))
}

/// The stats routes, merged into the API router by `http::router`.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(site_stats))
        .routes(routes!(poll_stats))
}
