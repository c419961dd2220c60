//! Wiring: the one place that knows every concrete type. Builds the pools, the store, the
//! services, the REST router and the Socket.IO layer, runs the deadline timer, and serves until
//! told to stop.

use std::{net::SocketAddr, sync::Arc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    auth::{AuthService, token::TokenKeys},
    config::Config,
    db,
    game::{GameService, timers},
    gateway,
    http::{self, AppState},
    questions::{self, FallbackProvider, QuestionProvider},
    store::{LiveStore, redis::RedisStore},
};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("postgres: {0}")]
    Db(#[from] db::DbError),
    #[error("redis: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("socket.io: {0}")]
    Gateway(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// A built server, not yet serving.
pub struct App {
    pub router: axum::Router,
    pub game: Arc<GameService>,
    pub shutdown: CancellationToken,
}

pub async fn build(config: &Config) -> Result<App, StartError> {
    build_with_pool(config, db::pool(&config.database_url)?).await
}

/// As `build`, on a pool the caller made (tests hand in their own throwaway database).
pub async fn build_with_pool(config: &Config, pool: sqlx::PgPool) -> Result<App, StartError> {
    db::migrate(&pool).await?;
    let store: Arc<dyn LiveStore> =
        Arc::new(RedisStore::connect(&config.redis_url, &config.redis_prefix).await?);

    let bank_only: Arc<dyn QuestionProvider> = Arc::new(FallbackProvider::bank_only());
    let prepared: Arc<dyn QuestionProvider> = match &config.openai {
        Some(ai) => Arc::new(FallbackProvider::new(
            Some(questions::openai::OpenAiGenerator::new(
                questions::openai::OpenAiConfig {
                    api_key: ai.api_key.clone(),
                    base_url: ai.base_url.clone(),
                    model: ai.model.clone(),
                    timeout: ai.timeout,
                },
            )),
            questions::bank::Bank::shipped(),
        )),
        None => Arc::clone(&bank_only),
    };

    let keys = TokenKeys::new(&config.jwt_secret, config.jwt_ttl);
    let auth = Arc::new(AuthService::new(pool.clone(), Arc::clone(&store), keys));
    let game = Arc::new(GameService::new(
        pool.clone(),
        Arc::clone(&store),
        prepared,
        bank_only,
    ));

    let shutdown = CancellationToken::new();
    let state = AppState {
        auth: Arc::clone(&auth),
        game: Arc::clone(&game),
        db: pool,
        store,
        cookie_secure: config.cookie_secure,
    };
    let sio = gateway::layer(config, Arc::clone(&auth), Arc::clone(&game))
        .await
        .map_err(StartError::Gateway)?;
    let router = http::router(state, &config.allowed_origins).layer(sio);
    timers::spawn(Arc::clone(&game), shutdown.clone());
    Ok(App {
        router,
        game,
        shutdown,
    })
}

/// Serves on `listener` until `stop` resolves; then stops taking connections, lets in-flight
/// requests finish, and stops the timer.
pub async fn serve(
    app: App,
    listener: TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let shutdown = app.shutdown.clone();
    let result = axum::serve(
        listener,
        app.router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        stop.await;
        shutdown.cancel();
    })
    .await;
    app.shutdown.cancel();
    result.map_err(StartError::from)
}
