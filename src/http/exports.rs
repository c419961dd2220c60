//! REST poll exports: `GET /api/polls/{id}/export` (the results, for anyone who can see the
//! poll) and `GET /api/polls/{id}/ballots` (every ballot, for its creator), as JSON or CSV
//! attachments, in the style of the game export (`?format=json|csv`, JSON by default).

use axum::{
    Json,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use serde::Serialize;

use super::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiQuery, IdPath},
    history::ExportQuery,
    polls::MaybeUser,
};
use crate::{
    auth::AuthUser,
    error::Error,
    exports::{self, BallotsExport, ResultsExport},
};

/// Whether `?format` asks for CSV; 422 naming `format` for anything but csv or json.
fn wants_csv(q: &ExportQuery) -> Result<bool, ApiError> {
    match q.format.as_deref().map(str::trim) {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(Error::validation("format", "format must be csv or json").into()),
    }
}

fn attachment(name: &str, csv: Option<String>, json: impl Serialize) -> Response {
    match csv {
        Some(text) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            text,
        )
            .into_response(),
        None => (
            [(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.json\""),
            )],
            Json(json),
        )
            .into_response(),
    }
}

#[utoipa::path(get, path = "/api/polls/{id}/export", tag = "polls",
    params(("id" = Uuid, Path), ExportQuery),
    responses((status = 200, body = ResultsExport,
               description = "an attachment: this JSON, or CSV with one row per option \
                              (poll_id,question,option_id,option,position,votes,share)"),
              (status = 404, body = ErrorBody, description = "poll_not_found (drafts of others too)"),
              (status = 422, body = ErrorBody, description = "an unknown format")))]
pub(crate) async fn results(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let csv = wants_csv(&q)?;
    let r = exports::results(&state.polls, user.map(|u| u.id), id).await?;
    let name = format!("poll-{}-results", r.poll.code);
    Ok(attachment(&name, csv.then(|| exports::results_csv(&r)), r))
}

#[utoipa::path(get, path = "/api/polls/{id}/ballots", tag = "polls",
    params(("id" = Uuid, Path), ExportQuery),
    responses((status = 200, body = BallotsExport,
               description = "an attachment: this JSON, or CSV with one row per choice of each \
                              ballot (poll_id,voter_id,voter_kind,voter_name,voted_at,rank,option_id,option)"),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "not_creator"),
              (status = 404, body = ErrorBody, description = "poll_not_found"),
              (status = 422, body = ErrorBody, description = "an unknown format")))]
pub(crate) async fn ballots(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let csv = wants_csv(&q)?;
    let b = exports::ballots(&state.polls, &state.db, user.id, id).await?;
    let name = format!("poll-{}-ballots", b.poll.code);
    Ok(attachment(&name, csv.then(|| exports::ballots_csv(&b)), b))
}

pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(results))
        .routes(routes!(ballots))
}
