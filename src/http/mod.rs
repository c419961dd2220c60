//! The REST surface: the router, its shared state, CORS, limits and the OpenAPI document.
//! Handlers are thin: they parse, call a service, and shape the reply. The web client is served
//! from here too (`client`): every non-API page is the client's `index.html`.

pub(crate) mod answers;
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
#[cfg(test)]
mod typescript;
pub(crate) mod webhooks;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sqlx::PgPool;
use std::sync::Arc;
use tower_http::{cors::CorsLayer, trace::TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};
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

/// The document's frame: its info, shared schemas and security. Its paths are not listed here:
/// each route adds its own entry where it is registered ([`api`]), so a path is written once.
#[derive(OpenApi)]
#[openapi(
    info(title = "voting-game", description = "Real-time multiplayer voting game: REST API. \
        The game itself also runs over Socket.IO at /socket.io (see the README)."),
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

/// Every documented route, each registered once with its OpenAPI entry (`routes!` reads the
/// path and method from the handler's `#[utoipa::path]`), plus the undocumented pages. Returns
/// the router and the whole OpenAPI document it describes.
pub(crate) fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::guest))
        .routes(routes!(auth::upgrade))
        .routes(routes!(auth::me, auth::update_me))
        .routes(routes!(rooms::create))
        .routes(routes!(rooms::join))
        .routes(routes!(rooms::get))
        .routes(routes!(rooms::preview))
        .routes(routes!(rooms::kick))
        .routes(routes!(rooms::leave))
        .routes(routes!(rooms::create_screen, rooms::revoke_screen))
        .routes(routes!(game::start))
        .routes(routes!(game::next))
        .routes(routes!(game::leaderboard))
        .routes(routes!(game::play_again))
        .routes(routes!(audience::join, audience::leave))
        .routes(routes!(audience::vote))
        .routes(routes!(history::my_games))
        .routes(routes!(history::game))
        .routes(routes!(history::export))
        .routes(routes!(game::answer))
        .routes(routes!(game::answers))
        .routes(routes!(game::vote))
        .routes(routes!(game::start_voting))
        .routes(routes!(game::end_round))
        .routes(routes!(game::hide_answer))
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .route("/metrics", get(metrics::public))
        .route("/", get(client::index))
        .route("/assets/{*path}", get(client::asset))
        .merge(polls::routes())
        .merge(answers::routes())
        .merge(discovery::routes())
        .merge(stats::routes())
        .merge(exports::routes())
        .merge(webhooks::routes())
        .routes(routes!(poll_ws::ws))
        .split_for_parts()
}

/// Every route but Socket.IO's. CORS is not applied here: the caller wraps the whole service,
/// Socket.IO layer included, in [`cors`] (see `app.rs`).
pub(crate) fn router(state: AppState) -> Router {
    let (api, doc) = api();
    let api = api
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
        .merge(SwaggerUi::new("/docs").url("/openapi.json", doc))
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
