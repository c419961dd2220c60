//! Wiring: the one place that knows every concrete type. Builds the pools, the store, the
//! services, the REST router and the Socket.IO layer, runs the deadline timer, and serves until
//! told to stop.

use axum::serve::ListenerExt;
use std::{net::SocketAddr, sync::Arc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    auth::{AuthService, token::TokenKeys},
    config::Config,
    db,
    game::{GameService, nodes, timers},
    gateway,
    http::{self, AppState},
    limits::Limits,
    questions::{self, FallbackProvider, QuestionProvider},
    store::poll_cache::{PollCache, RedisCache, memory::MemoryCache},
    store::{LiveStore, memory::MemoryStore, redis::RedisStore},
};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("postgres: {0}")]
    Db(#[from] db::DbError),
    #[error("redis: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("socket.io: {0}")]
    Gateway(String),
    #[error("webhooks: {0}")]
    Webhooks(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The node lock is held by an incompatible node (see `db::node_lock`).
    #[error("{0}")]
    NodeConflict(&'static str),
}

/// A built server, not yet serving.
pub struct App {
    router: axum::Router,
    auth: Arc<AuthService>,
    shutdown: CancellationToken,
    /// The Socket.IO handle, to tell every socket when the server stops.
    io: gateway::Io,
    /// Held until the server has stopped serving (or the process dies): see `db::node_lock`.
    node_lock: db::node_lock::NodeLock,
    /// The `METRICS_ADDR` listener, bound, and its router.
    metrics: Option<(TcpListener, axum::Router)>,
}

impl App {
    /// The auth service, for what has no route yet: revoking every session of an account
    /// (what the password change will call).
    pub fn auth(&self) -> Arc<AuthService> {
        Arc::clone(&self.auth)
    }

    /// Where `/metrics` is served when `METRICS_ADDR` is set (its port resolved if it was 0).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }
}

pub async fn build(config: &Config) -> Result<App, StartError> {
    build_with_pool(config, db::pool(&config.database_url)?).await
}

/// As `build`, on a pool the caller made (tests hand in their own throwaway database).
pub async fn build_with_pool(config: &Config, pool: sqlx::PgPool) -> Result<App, StartError> {
    // The lock first: a node that may not run here must not migrate the database either.
    let alone = config.single_node();
    let node_lock = db::node_lock::acquire(&pool, alone)
        .await?
        .ok_or(StartError::NodeConflict(if alone {
            "another node is running against this database: REDIS_URL=memory runs one node only"
        } else {
            "a single in-process node (REDIS_URL=memory) is running against this database"
        }))?;
    db::migrate(&pool).await?;
    // Where live state is kept: Redis, shared by every node, or this process (one node only).
    let (store, cache): (Arc<dyn LiveStore>, PollCache) = if alone {
        (Arc::new(MemoryStore::new()), Arc::new(MemoryCache::new()))
    } else {
        (
            Arc::new(RedisStore::connect(&config.redis_url, &config.redis_prefix).await?),
            Arc::new(RedisCache::connect(&config.redis_url, &config.redis_prefix).await?),
        )
    };

    let bank_only: Arc<dyn QuestionProvider> = Arc::new(FallbackProvider::bank_only());
    let prepared: Arc<dyn QuestionProvider> = match &config.openai {
        Some(ai) => Arc::new(FallbackProvider::new(
            Some(questions::openai::OpenAiGenerator::new(ai.clone())),
            questions::bank::Bank::shipped(),
        )),
        None => Arc::clone(&bank_only),
    };

    let keys = TokenKeys::new(&config.jwt_secret, config.jwt_ttl);
    let auth = Arc::new(AuthService::new(
        pool.clone(),
        Arc::clone(&store),
        keys,
        config.limits.login_per_account_per_minute,
        crate::auth::GuestTimes {
            session: config.guest_ttl,
            retention: config.guest_retention,
        },
    ));
    let game = GameService::new(
        pool.clone(),
        Arc::clone(&store),
        prepared,
        bank_only,
        config.host_grace,
        alone,
    );

    // Lazy, as the primary's: a replica still coming up (or down) costs list reads a fallback
    // to the primary, never the start. It is never migrated: it follows the primary.
    let replica = config
        .database_read_url
        .as_deref()
        .map(db::pool)
        .transpose()?;
    let polls = crate::polls::PollService::new(
        pool.clone(),
        replica,
        cache,
        Arc::clone(&store),
        crate::polls::service::WriteLimits {
            polls_per_minute: config.limits.polls_per_account_per_minute,
            writes_per_minute: config.limits.account_writes_per_minute,
        },
        &config.admin_emails,
    );

    let shutdown = CancellationToken::new();
    let metrics = Arc::new(http::metrics::MetricsAccess::new(
        config.metrics_token.clone(),
        config.metrics_addr.is_some(),
    ));
    // Bound now, so that a taken address fails the start rather than the first scrape.
    let metrics_listener = match config.metrics_addr {
        Some(addr) => Some((
            TcpListener::bind(addr).await?,
            http::metrics::own_router(Arc::clone(&metrics)),
        )),
        None => None,
    };
    http::metrics::spawn_room_counter(Arc::clone(&metrics), pool.clone(), shutdown.clone());
    let limits = Arc::new(Limits::new(config.limits, config.trusted_proxies.clone()));
    game.set_limits(Arc::clone(&limits));
    let webhooks = crate::webhooks::Webhooks::new(pool.clone(), config.webhooks)
        .map_err(StartError::Webhooks)?;
    crate::webhooks::deliver::spawn(Arc::clone(&webhooks), shutdown.clone());
    let state = AppState {
        auth: Arc::clone(&auth),
        game: Arc::clone(&game),
        polls: Arc::clone(&polls),
        webhooks,
        poll_watchers: Arc::default(),
        db: pool,
        store,
        limits: Arc::clone(&limits),
        cookie_secure: config.cookie_secure,
        allowed_origins: Arc::new(config.allowed_origins.clone()),
        metrics,
    };
    let (sio, io) = gateway::layer(
        config,
        Arc::clone(&auth),
        Arc::clone(&game),
        Arc::clone(&polls),
        Arc::clone(&limits),
    )
    .await
    .map_err(StartError::Gateway)?;
    spawn_limit_shrinker(limits, shutdown.clone());
    spawn_session_pruner(Arc::clone(&auth), shutdown.clone());
    // CORS outside the Socket.IO layer, so `/socket.io` (long-polling first, as the official
    // client starts) answers allowed origins exactly as REST does, preflights included.
    // The handshake's request copied out of hyper's read buffer before the Socket.IO layer
    // keeps it for the connection's life (gateway::handshake).
    let router = http::router(state)
        .layer(sio)
        .layer(axum::middleware::map_request(
            gateway::handshake::own_handshake,
        ))
        .layer(http::cors(&config.allowed_origins));
    timers::spawn(Arc::clone(&game), config.deadline_poll, shutdown.clone());
    // Live before serving, so other nodes count this one's sockets from the first.
    if let Err(e) = game.heartbeat(config.presence_lease).await {
        e.report("node heartbeat");
    }
    nodes::spawn(Arc::clone(&game), config.presence_lease, shutdown.clone());
    crate::polls::discovery::spawn(Arc::clone(&polls), shutdown.clone());
    crate::polls::stats::spawn(Arc::clone(&polls), shutdown.clone());
    crate::polls::expiry::spawn(polls, shutdown.clone());
    Ok(App {
        router,
        auth,
        shutdown,
        io,
        node_lock,
        metrics: metrics_listener,
    })
}

/// How often rate-limit state forgets clients whose buckets are full again.
const LIMITS_SHRINK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Rate-limit state only needs the clients seen recently.
fn spawn_limit_shrinker(limits: Arc<Limits>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(LIMITS_SHRINK_EVERY);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => limits.shrink(),
            }
        }
    });
}

/// Sessions whose tokens expired, and unused guests, are deleted hourly (every node does it;
/// it is idempotent).
fn spawn_session_pruner(auth: Arc<AuthService>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => {
                    if let Err(e) = auth.prune_sessions().await {
                        tracing::debug!(error = %e, "could not prune expired sessions");
                    }
                    if let Err(e) = auth.prune_guests().await {
                        tracing::debug!(error = %e, "could not delete unused guests");
                    }
                }
            }
        }
    });
}

/// Serves on `listener` until `stop` resolves; then stops taking connections, lets in-flight
/// requests finish, and stops the timer.
pub async fn serve(
    app: App,
    listener: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let shutdown = app.shutdown.clone();
    let io = app.io.clone();
    if let Some((listener, router)) = app.metrics {
        let stopped = shutdown.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stopped.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "the metrics listener stopped");
            }
        });
    }
    // No Nagle: game frames are small and must leave at once. With it, a frame written while
    // the previous one was still unacknowledged waited for the client's delayed ACK (up to
    // 40 ms), which showed as a 40–50 ms tail at any load.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let result = axum::serve(
        listener,
        app.router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        stop.await;
        shutdown.cancel();
        // Sockets are told (a Socket.IO disconnect) rather than cut, so clients reconnect,
        // to another node if need be; live state is in Redis, so nothing is lost.
        io.close().await;
    })
    .await;
    app.shutdown.cancel();
    // Only now may another node take this database (a single node's successor among them).
    drop(app.node_lock);
    result.map_err(StartError::from)
}
