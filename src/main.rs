//! The `voting-game` binary: read the config, set up logging, serve until SIGINT or SIGTERM.

use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};
use voting_game::{app, config::Config};

/// mimalloc rather than glibc's malloc: under load glibc kept returning memory to the kernel
/// and faulting it back in (page clearing showed in profiles), and its per-thread arenas
/// fragment with thousands of long-lived sockets. Built with `--features system-allocator`
/// the binary uses the system's malloc instead, so that a heap profiler that hooks malloc
/// (heaptrack) sees every allocation (docs/benchmarks.md, "Memory per connection").
/// Built without transparent huge pages (the crate's `no_thp`): mimalloc asks the kernel for
/// 2 MB pages on its arenas, and on a kernel that honours that (THP `madvise`, Debian's
/// default) a server of idle sockets kept whole huge pages resident for a few KB used in each:
/// 10 MB more at start and 0.8 KB more per idle socket, measured.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("voting_game=info,tower_http=info"));
    let registry = tracing_subscriber::registry().with(filter);
    if config.log_json {
        registry.with(fmt::layer().json()).init();
    } else {
        registry.with(fmt::layer()).init();
    }
    tracing::info!(?config, "starting");
    if config.dev_secret {
        tracing::warn!(
            env = ?config.env,
            "JWT_SECRET is unset: tokens are signed with the public development secret; \
             anyone can forge them, so never expose this server (APP_ENV=production refuses this)"
        );
    }

    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %voting_game::error::chain(&e), "server stopped with an error");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), app::StartError> {
    let built = app::build(&config).await?;
    if let Some(addr) = built.metrics_addr() {
        tracing::info!(%addr, "metrics listening");
    }
    let listener = listen(std::net::SocketAddr::new(config.host, config.port))?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    app::serve(built, listener, shutdown_signal()).await
}

/// Listens with a deep accept queue: a crowd of players connecting at once (a class joining
/// a game) overflowed the default one, and a dropped SYN costs its player a 1 s retransmit.
fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown signal received; finishing in-flight work");
}
