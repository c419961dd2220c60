//! Liveness and readiness: `/health` says the process serves, `/ready` that Postgres and Redis
//! answer too, naming the one that does not.

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

use super::AppState;

/// A dependency that has not answered a probe in this long counts as down:
/// readiness must answer quickly for the load balancer, whatever Postgres or Redis are doing.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Readiness {
    pub status: &'static str,
    pub postgres: &'static str,
    pub redis: &'static str,
}

#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = Health)))]
pub(crate) async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub(crate) async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (pg, redis) = tokio::join!(
        tokio::time::timeout(PROBE_TIMEOUT, crate::db::ping(&state.db)),
        tokio::time::timeout(PROBE_TIMEOUT, state.store.ping()),
    );
    let pg_ok = matches!(pg, Ok(Ok(())));
    let redis_ok = matches!(redis, Ok(Ok(())));
    let word = |ok| if ok { "up" } else { "down" };
    let all = pg_ok && redis_ok;
    (
        if all {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(Readiness {
            status: if all { "ready" } else { "unavailable" },
            postgres: word(pg_ok),
            redis: word(redis_ok),
        }),
    )
}
