//! Request guards in front of every route: the per-IP request budget, and the CSRF check that
//! refuses cookie-authenticated writes coming from a page outside `ALLOWED_ORIGINS`.

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::{AppState, error::ApiError};
use crate::auth::token::COOKIE_NAME;

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

fn has_auth_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(';')
                .any(|c| c.trim_start().starts_with(&format!("{COOKIE_NAME}=")))
        })
}

/// `scheme://host[:port]` of an `Origin` or `Referer` value.
fn origin_of(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    let host = rest.split('/').next()?;
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    ))
}

/// A browser sends `Origin` on every cross-origin write; a page of ours (same host) or an
/// allowed origin passes, anything else is refused. Requests that carry a Bearer token or no
/// auth cookie cannot ride on a victim's cookie, so they pass untouched.
pub(crate) async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = req.headers();
    let bearer = headers.contains_key(header::AUTHORIZATION);
    if writes && !bearer && has_auth_cookie(headers) {
        let origin = headers
            .get(header::ORIGIN)
            .or_else(|| headers.get(header::REFERER))
            .and_then(|v| v.to_str().ok())
            .and_then(origin_of);
        if let Some(origin) = origin {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            let same_origin = origin
                .split_once("://")
                .is_some_and(|(_, h)| h.eq_ignore_ascii_case(host));
            let allowed = state
                .allowed_origins
                .iter()
                .any(|o| o.eq_ignore_ascii_case(&origin));
            if !same_origin && !allowed {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf_rejected",
                    "cookie-authenticated requests from this origin are not accepted",
                )
                .into_response();
            }
        }
    }
    next.run(req).await
}
