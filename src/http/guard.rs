//! Request guards in front of every route: the per-IP request budget, and the CSRF check that
//! refuses cookie-authenticated writes coming from a page outside `ALLOWED_ORIGINS`.

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::{AppState, error::ApiError};
use crate::auth::{
    origin,
    token::{bearer_from_headers, cookie_from_headers},
};

/// The client's address as the socket saw it (a proxy in front should be trusted explicitly,
/// which this server does not do: see the README).
pub(crate) fn client_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

pub(crate) async fn api_rate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/api/")
        && let Err(e) = state.limits.api(client_ip(&req))
    {
        return ApiError::from(e).into_response();
    }
    next.run(req).await
}

/// A state-changing call authenticated by the cookie must come from a page allowed to use it
/// (`auth::origin`): this server's own or one of `ALLOWED_ORIGINS`; any other, `Origin: null`
/// included, gets 403 `csrf_rejected`. A call carrying a Bearer token is authenticated by that
/// token, not the cookie, and a call without the cookie cannot ride on a victim's session, so
/// both pass untouched.
pub(crate) async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = req.headers();
    if writes
        && bearer_from_headers(headers).is_none()
        && cookie_from_headers(headers).is_some()
        && !origin::cookie_allowed(headers, &state.allowed_origins)
    {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_rejected",
            "cookie-authenticated requests from this origin are not accepted",
        )
        .into_response();
    }
    next.run(req).await
}
