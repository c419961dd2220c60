//! Request guards in front of every route: the per-IP request budget (the client's address as
//! `ClientIp` finds it, behind trusted proxies), and the CSRF check that refuses
//! cookie-authenticated writes coming from a page outside `ALLOWED_ORIGINS` (the anonymous
//! `voter_id` cookie counts too: a foreign page must not vote as a visitor either).

use axum::{
    extract::{Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{AppState, error::ApiError, extract::ClientIp};
use crate::auth::{
    origin,
    token::{bearer_from_headers, cookie_from_headers},
    voter,
};

/// The routes that open a session and set the auth cookie.
const SIGN_IN: &[&str] = &["/api/auth/login", "/api/auth/register", "/api/auth/guest"];

pub(crate) async fn api_rate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // The plain WebSocket's handshakes count too: each opens a connection that costs memory.
    let path = req.uri().path();
    if (path.starts_with("/api/") || path.starts_with("/ws/"))
        && let Err(e) = state
            .limits
            .api(ClientIp::of(req.extensions(), req.headers(), &state).0)
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
///
/// Signing in is refused from a foreign page whatever the request carries (login CSRF): a page
/// on any site could otherwise post a form that signs the visitor's browser into the attacker's
/// account, and whatever the visitor then does (votes, answers, polls) lands there. Clients
/// that are not browsers send no `Origin` and are not affected.
pub(crate) async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = req.headers();
    if writes
        && SIGN_IN.contains(&req.uri().path())
        && !origin::cookie_allowed(headers, &state.allowed_origins)
    {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_rejected",
            "signing in from this origin is not accepted",
        )
        .into_response();
    }
    if writes
        && bearer_from_headers(headers).is_none()
        && (cookie_from_headers(headers).is_some() || voter::has_cookie(headers))
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
