//! `GET /metrics`, the Prometheus text: who may scrape it and on which listener, and the
//! open-room count it reports, kept fresh in the background so that a scrape costs no query.
//!
//! - `METRICS_ADDR` set: the metrics are served on that listener only; the public port answers
//!   404 for `/metrics`.
//! - `METRICS_TOKEN` set: wherever they are served, a scrape needs `Authorization: Bearer
//!   <token>`, else 401.
//! - Neither: the public port serves them to this machine only, a client connecting from a
//!   loopback address without forwarding headers (what a local Prometheus or `curl` sends, and
//!   never a request relayed by a reverse proxy on the same host); anyone else gets 403.

use axum::{
    Router,
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sqlx::PgPool;
use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};
use tokio_util::sync::CancellationToken;

use super::{AppState, error::ApiError};
use crate::auth::token::bearer_from_headers;

/// How often the open rooms are counted: the gauge is at most this old, whatever the scrape
/// rate (Prometheus scrapes every 15 s or so by default).
const COUNT_ROOMS_EVERY: Duration = Duration::from_secs(5);
/// A count that has not answered in this long is given up until the next one.
const COUNT_TIMEOUT: Duration = Duration::from_secs(2);

/// Headers a reverse proxy adds: a request carrying one came from elsewhere, whatever the
/// address that connected.
const FORWARDING_HEADERS: [&str; 3] = ["x-forwarded-for", "forwarded", "x-real-ip"];

/// Who may scrape, and the room count a scrape reports (one per app).
pub(crate) struct MetricsAccess {
    token: Option<String>,
    /// `METRICS_ADDR` is set: the public port does not serve the metrics.
    own_listener: bool,
    /// Open rooms (lobby or playing) as last counted; `-1` until the first count.
    active_rooms: AtomicI64,
}

impl MetricsAccess {
    pub(crate) fn new(token: Option<String>, own_listener: bool) -> Self {
        MetricsAccess {
            token,
            own_listener,
            active_rooms: AtomicI64::new(-1),
        }
    }

    /// The metrics, if the token (when one is set) is there.
    fn serve(&self, headers: &HeaderMap) -> Response {
        if let Some(token) = &self.token
            && !bearer_from_headers(headers).is_some_and(|sent| same_secret(&sent, token))
        {
            let mut res = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the metrics need Authorization: Bearer <METRICS_TOKEN>",
            )
            .into_response();
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return res;
        }
        let rooms = self.active_rooms.load(Ordering::Relaxed);
        if rooms >= 0 {
            crate::metrics::METRICS.active_rooms.set(rooms);
        }
        (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            crate::metrics::render(),
        )
            .into_response()
    }
}

/// Compares in time independent of where the two differ (their lengths may show).
fn same_secret(sent: &str, expected: &str) -> bool {
    crate::auth::secret::same(sent.as_bytes(), expected.as_bytes())
}

/// Whether the request comes from this machine itself, not through a proxy.
fn from_this_machine(req: &Request) -> bool {
    let loopback = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| c.0.ip().to_canonical().is_loopback());
    loopback
        && FORWARDING_HEADERS
            .iter()
            .all(|h| !req.headers().contains_key(*h))
}

/// `GET /metrics` on the public port.
pub(crate) async fn public(State(state): State<AppState>, req: Request) -> Response {
    let access = &state.metrics;
    if access.own_listener {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route").into_response();
    }
    if access.token.is_none() && !from_this_machine(&req) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the metrics are served to this machine only (set METRICS_TOKEN or METRICS_ADDR)",
        )
        .into_response();
    }
    access.serve(req.headers())
}

async fn own(State(access): State<Arc<MetricsAccess>>, headers: HeaderMap) -> Response {
    access.serve(&headers)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// The router of the `METRICS_ADDR` listener: `/metrics` and nothing else.
pub(crate) fn own_router(access: Arc<MetricsAccess>) -> Router {
    Router::new()
        .route("/metrics", get(own))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(super::error::json_errors))
        .with_state(access)
}

/// Counts the open rooms now and every [`COUNT_ROOMS_EVERY`] until `shutdown`: in Postgres, so
/// that every node reports the same number.
pub(crate) fn spawn_room_counter(
    access: Arc<MetricsAccess>,
    db: PgPool,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(COUNT_ROOMS_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => {}
            }
            match tokio::time::timeout(COUNT_TIMEOUT, crate::db::rooms::count_active(&db)).await {
                Ok(Ok(n)) => access.active_rooms.store(n, Ordering::Relaxed),
                _ => crate::metrics::dependency_error("postgres"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn only_the_same_secret_matches() {
        assert!(same_secret("scrape-secret-0123", "scrape-secret-0123"));
        assert!(!same_secret("scrape-secret-0124", "scrape-secret-0123"));
        assert!(!same_secret("scrape-secret-012", "scrape-secret-0123"));
        assert!(!same_secret("", "scrape-secret-0123"));
    }
}
