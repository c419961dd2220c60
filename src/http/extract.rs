//! Request extractors that keep the contract's error shape: JSON bodies (lenient about the
//! content type, strict about the content), query strings, UUID path segments, the signed-in
//! user, and the client's address for per-IP limits. API handlers use these, never axum's own
//! `Json`, `Query` or `Path`, whose rejections are plain text.

use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request},
    http::request::Parts,
};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use uuid::Uuid;

use super::{AppState, error::ApiError};
use crate::auth::{AuthUser, token::token_from_headers};

/// A JSON body. Unparsable JSON, a non-object or a wrong type is 400 `malformed_request`; a
/// missing field is 422 `validation_failed` naming it; an empty body reads as `{}` so routes
/// whose fields are all optional accept no body at all.
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    e.status(),
                    "payload_too_large",
                    "the request body is too large",
                )
            } else {
                ApiError::malformed(format!("could not read the request body: {e}"))
            }
        })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")))?;
        crate::input::decode(&value)
            .map(ApiJson)
            .map_err(|e| ApiError::from(e.into_rest()))
    }
}

/// A query string. One that does not fit `T` (a parameter given twice, a value that is not of
/// its type) is 400 `malformed_request`. Routes keep their parameters as text where a bad value
/// should be the contract's 422 naming it, and check them in the domain.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::malformed(e.body_text()))
    }
}

/// A UUID path segment (`/rounds/{id}`); anything else is 400 rather than axum's plain text.
pub(crate) struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::malformed(e.to_string()))?;
        raw.parse()
            .map(IdPath)
            .map_err(|_| ApiError::malformed("the id in the path must be a UUID"))
    }
}

/// A string path segment (`/rooms/{code}`).
pub(crate) struct CodePath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CodePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(c)| CodePath(c))
            .map_err(|e| ApiError::malformed(e.to_string()))
    }
}

/// The signed-in user from the Bearer header or the `access_token` cookie; 401 otherwise.
impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(*user);
        }
        let token = token_from_headers(&parts.headers)
            .ok_or_else(|| ApiError::from(crate::error::Error::Unauthorized))?;
        let user = state.auth.authenticate(&token).await?;
        parts.extensions.insert(user);
        Ok(user)
    }
}

/// The client's address: the peer's, or behind a trusted proxy the one it forwards
/// (`limits::client_ip`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub IpAddr);

impl ClientIp {
    pub(crate) fn of(
        parts_extensions: &axum::http::Extensions,
        headers: &axum::http::HeaderMap,
        state: &AppState,
    ) -> Self {
        let peer = parts_extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        ClientIp(state.limits.client_ip(peer, headers))
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp::of(&parts.extensions, &parts.headers, state))
    }
}
