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

/// A JSON body. A body must say it is JSON (`Content-Type: application/json`, or a `+json`
/// type): anything else is 415 `unsupported_media_type`, so that a plain HTML form on another
/// site (which can only send `text/plain`, form or multipart bodies, without a preflight)
/// never reaches a route. Unparsable JSON, a non-object or a wrong type is 400
/// `malformed_request`; a missing field is 422 `validation_failed` naming it; an empty body
/// reads as `{}` whatever its type, so routes whose fields are all optional accept no body.
pub(crate) struct ApiJson<T>(pub T);

/// Whether a `Content-Type` names JSON: `application/json` or `application/<anything>+json`,
/// with any parameters (`; charset=utf-8`).
fn is_json(content_type: Option<&http::HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || sub.len() > 5 && sub[sub.len() - 5..].eq_ignore_ascii_case("+json"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers().get(http::header::CONTENT_TYPE));
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
        } else if !json {
            return Err(ApiError::new(
                http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be JSON, sent as Content-Type: application/json",
            ));
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

#[cfg(test)]
mod tests {
    use super::is_json;
    use http::HeaderValue;

    #[test]
    fn only_json_media_types_are_json() {
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
        ] {
            assert!(is_json(Some(&HeaderValue::from_static(yes))), "{yes}");
        }
        for no in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "text/json+plain",
            "+json",
            "application/+json",
        ] {
            assert!(!is_json(Some(&HeaderValue::from_static(no))), "{no}");
        }
        assert!(!is_json(None));
    }
}
