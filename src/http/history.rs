//! REST routes for finished games: the caller's games, one game's record, the host's export.

use axum::{
    Json,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{
    AppState,
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiQuery, IdPath},
};
use crate::{
    auth::AuthUser,
    error::Error,
    game::history::{GamePage, GameRecordView, to_csv},
};

/// Paging as query text, so a bad value is the contract's 422 naming it (a parameter given
/// twice is 400, as any query string that does not fit).
#[derive(Deserialize, IntoParams)]
pub(crate) struct PageQuery {
    /// From 1 (default 1).
    page: Option<String>,
    /// 1–100 (default 20).
    per_page: Option<String>,
}

#[derive(serde::Serialize, ToSchema)]
pub(crate) struct GameResponse {
    pub game: GameRecordView,
}

#[derive(Deserialize, IntoParams)]
pub(crate) struct ExportQuery {
    /// `csv` or `json` (default).
    pub(crate) format: Option<String>,
}

#[utoipa::path(get, path = "/api/me/games", tag = "history", params(PageQuery),
    responses((status = 200, body = GamePage), (status = 401, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "a bad page or per_page")))]
pub(crate) async fn my_games(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<GamePage>> {
    let games = state
        .game
        .my_games(user.id, q.page.as_deref(), q.per_page.as_deref())
        .await?;
    Ok(Json(games))
}

#[utoipa::path(get, path = "/api/games/{id}", tag = "history", params(("id" = Uuid, Path)),
    responses((status = 200, body = GameResponse),
              (status = 403, body = ErrorBody, description = "not_participant"),
              (status = 404, body = ErrorBody, description = "game_not_found")))]
pub(crate) async fn game(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<GameResponse>> {
    Ok(Json(GameResponse {
        game: state.game.game_record(user.id, id).await?,
    }))
}

#[utoipa::path(get, path = "/api/games/{id}/export", tag = "history",
    params(("id" = Uuid, Path), ExportQuery),
    responses((status = 200, description = "the game as an attachment: `{game}` as JSON, or CSV with one row per answer"),
              (status = 403, body = ErrorBody, description = "not_host, not_participant"),
              (status = 404, body = ErrorBody, description = "game_not_found"),
              (status = 422, body = ErrorBody, description = "an unknown format")))]
pub(crate) async fn export(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let csv = match q.format.as_deref().map(str::trim) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(ApiError::from(Error::validation(
                "format",
                "format must be csv or json",
            )));
        }
    };
    let game = state.game.game_export(user.id, id).await?;
    let name = format!("game-{}-{}", game.room_code, game.game_number);
    Ok(if csv {
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            to_csv(&game),
        )
            .into_response()
    } else {
        (
            [(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.json\""),
            )],
            Json(GameResponse { game }),
        )
            .into_response()
    })
}
