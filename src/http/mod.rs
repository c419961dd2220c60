//! The REST surface: the router, its shared state, CORS, limits and the OpenAPI document.
//! Handlers are thin: they parse, call a service, and shape the reply. The web client is served
//! from here too (`client`): every non-API page is the client's `index.html`.

pub(crate) mod audience;
pub(crate) mod auth;
pub(crate) mod client;
pub(crate) mod discovery;
pub(crate) mod error;
pub(crate) mod exports;
pub(crate) mod extract;
pub(crate) mod game;
pub(crate) mod guard;
pub(crate) mod health;
pub(crate) mod history;
pub(crate) mod metrics;
pub(crate) mod poll_ws;
pub(crate) mod polls;
pub(crate) mod rooms;
pub(crate) mod stats;
pub(crate) mod webhooks;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use sqlx::PgPool;
use std::sync::Arc;
use tower_http::{cors::CorsLayer, trace::TraceLayer};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::{auth::AuthService, game::GameService, store::LiveStore};
use error::ApiError;

/// Request bodies are small JSON documents; anything bigger is refused with 413.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub auth: Arc<AuthService>,
    pub game: Arc<GameService>,
    pub polls: Arc<crate::polls::PollService>,
    pub(crate) webhooks: Arc<crate::webhooks::Webhooks>,
    pub poll_watchers: Arc<crate::polls::watch::Watchers>,
    pub db: PgPool,
    pub store: Arc<dyn LiveStore>,
    pub limits: Arc<crate::limits::Limits>,
    pub cookie_secure: bool,
    /// Origins whose cookie-authenticated writes are accepted (CSRF defence).
    pub allowed_origins: Arc<Vec<String>>,
    /// Who may scrape `/metrics` here, and the room count it reports.
    pub(crate) metrics: Arc<metrics::MetricsAccess>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "voting-game", description = "Real-time multiplayer voting game: REST API. \
        The game itself also runs over Socket.IO at /socket.io (see the README)."),
    paths(
        auth::register, auth::login, auth::logout, auth::me, auth::update_me, auth::guest,
        auth::upgrade,
        rooms::create, rooms::join, rooms::get, rooms::preview, rooms::kick, rooms::leave,
        rooms::create_screen, rooms::revoke_screen,
        game::start, game::answer, game::answers, game::vote, game::start_voting,
        game::end_round, game::next, game::leaderboard, game::play_again, game::hide_answer,
        history::my_games, history::game, history::export,
        audience::join, audience::leave, audience::vote,
        health::health, health::ready,
        polls::create, polls::get, polls::update, polls::delete, polls::publish, polls::close,
        polls::reopen, polls::add_option, polls::edit_option, polls::delete_option, polls::vote,
        polls::withdraw, polls::results, polls::poll_audit, polls::my_audit, polls::categories,
        polls::add_category, poll_ws::ws,
        discovery::list, discovery::trending, discovery::popular, discovery::recent,
        discovery::search, discovery::like, discovery::unlike, discovery::user,
        discovery::user_polls, discovery::my_votes, discovery::my_likes,
        stats::poll_stats, stats::site_stats,
        exports::results, exports::ballots,
        webhooks::poll_create, webhooks::poll_list, webhooks::poll_delete,
        webhooks::room_create, webhooks::room_list, webhooks::room_delete,
        webhooks::me_create, webhooks::me_list, webhooks::me_delete,
    ),
    components(schemas(error::ErrorBody, crate::domain::Settings)),
    modifiers(&SecurityAddon),
    security(("cookie" = []), ("bearer" = [])),
)]
pub(crate) struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::token::COOKIE_NAME,
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every route but Socket.IO's. CORS is not applied here: the caller wraps the whole service,
/// Socket.IO layer included, in [`cors`] (see `app.rs`).
pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/guest", post(auth::guest))
        .route("/api/auth/upgrade", post(auth::upgrade))
        .route("/api/auth/me", get(auth::me).patch(auth::update_me))
        .route("/api/rooms", post(rooms::create))
        .route("/api/rooms/join", post(rooms::join))
        .route("/api/rooms/{code}", get(rooms::get))
        .route("/api/rooms/{code}/preview", get(rooms::preview))
        .route("/api/rooms/{code}/kick", post(rooms::kick))
        .route("/api/rooms/{code}/leave", delete(rooms::leave))
        .route(
            "/api/rooms/{code}/screen",
            post(rooms::create_screen).delete(rooms::revoke_screen),
        )
        .route("/api/game/{code}/start", post(game::start))
        .route("/api/game/{code}/next", post(game::next))
        .route("/api/game/{code}/leaderboard", get(game::leaderboard))
        .route("/api/game/{code}/play-again", post(game::play_again))
        .route(
            "/api/rooms/{code}/audience",
            post(audience::join).delete(audience::leave),
        )
        .route("/api/game/rounds/{id}/audience-vote", post(audience::vote))
        .route("/api/me/games", get(history::my_games))
        .route("/api/games/{id}", get(history::game))
        .route("/api/games/{id}/export", get(history::export))
        .route("/api/game/rounds/{id}/answer", post(game::answer))
        .route("/api/game/rounds/{id}/answers", get(game::answers))
        .route("/api/game/rounds/{id}/vote", post(game::vote))
        .route("/api/game/rounds/{id}/voting", post(game::start_voting))
        .route("/api/game/rounds/{id}/end", post(game::end_round))
        .route("/api/game/rounds/{id}/hide", post(game::hide_answer))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(metrics::public))
        .route("/", get(client::index))
        .route("/assets/{*path}", get(client::asset))
        .merge(polls::routes())
        .merge(discovery::routes())
        .merge(stats::routes())
        .merge(exports::routes())
        .merge(webhooks::routes())
        .route("/ws/polls/{id}", get(poll_ws::ws))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::csrf,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::api_rate,
        ))
        .with_state(state);

    Router::new()
        .merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
        .merge(api)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(TraceLayer::new_for_http())
}

/// Credentialed CORS for the configured origins only (a wildcard cannot carry cookies). It must
/// wrap the Socket.IO layer too: the official client's first request is a long-polling `GET
/// /socket.io/?EIO=4&transport=polling`, which a browser on another origin can only read with
/// these headers.
pub(crate) fn cors(allowed_origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(origins)
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// An unknown `/api/...` or `/ws/...` path (or any non-page request) stays a JSON 404; any
/// other page a browser asks for is the web client, which shows `/r/CODE` or its own "not
/// found".
async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    let api = error::is_api_path(path);
    // A missing asset must not come back as a page (a browser would run HTML as a script).
    let asset = path.starts_with("/assets/");
    if !api && !asset && (method == Method::GET || method == Method::HEAD) {
        return client::index(headers).await;
    }
    not_found().await.into_response()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}
