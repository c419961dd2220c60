//! The REST error: every failure leaves as `{"error": {"code", "message"}}` with the contract's
//! status. Internal errors are reported here (`Error::report`), once, and never shown to the
//! client. [`json_errors`] reshapes whatever error answer on an API path did not come from
//! here (a framework rejection), so none leaves as plain text.

use axum::{
    Json,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Class, Error};

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    pub code: String,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_request", message)
    }

    /// An error known only by its status (a framework's rejection): the contract's code for
    /// that status, and `message` unless the status is a server error, whose text is never
    /// shown.
    pub(crate) fn of_status(status: StatusCode, message: &str) -> Self {
        let code = match status.as_u16() {
            400 => "malformed_request".to_string(),
            401 => "unauthorized".to_string(),
            404 => "not_found".to_string(),
            413 => "payload_too_large".to_string(),
            422 => "validation_failed".to_string(),
            429 => "rate_limited".to_string(),
            503 => "service_unavailable".to_string(),
            _ if status.is_server_error() => "internal_error".to_string(),
            // `method_not_allowed`, `unsupported_media_type`, `upgrade_required`, …
            _ => status
                .canonical_reason()
                .unwrap_or("request_refused")
                .to_ascii_lowercase()
                .replace([' ', '-'], "_"),
        };
        let message = message.trim();
        let message = if status.is_server_error() || message.is_empty() {
            status.canonical_reason().unwrap_or("error").to_string()
        } else {
            message.to_string()
        };
        ApiError::new(status, &code, message)
    }
}

/// Paths whose every answer is the API's: REST, the plain WebSocket and the metrics. (Other
/// paths are the web client's pages; Socket.IO has its own framing.)
pub(crate) fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path.starts_with("/ws/") || path == "/metrics"
}

/// The longest text of a framework's error answer kept as the message.
const REJECTION_TEXT_BYTES: usize = 1024;

/// Middleware: an error answer on an API path that is not JSON (a rejection by one of axum's
/// own extractors, a layer's refusal, anything a route forgot) leaves in the contract's shape,
/// with its status and headers (`Allow`, `Retry-After`, CORS) kept and its text as the message.
pub(crate) async fn json_errors(req: Request, next: Next) -> Response {
    let api = is_api_path(req.uri().path());
    let res = next.run(req).await;
    let status = res.status();
    if !api || !(status.is_client_error() || status.is_server_error()) || is_json(&res) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, REJECTION_TEXT_BYTES)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (fresh, body) = ApiError::of_status(status, &text)
        .into_response()
        .into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for name in [header::CONTENT_TYPE, header::CONTENT_LENGTH] {
        if let Some(v) = fresh.headers.get(&name) {
            parts.headers.insert(name, v.clone());
        }
    }
    Response::from_parts(parts, body)
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let mime = v.split(';').next().unwrap_or_default().trim();
            mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
        })
}

pub(crate) fn status_of(class: Class) -> StatusCode {
    match class {
        Class::BadRequest => StatusCode::BAD_REQUEST,
        Class::Unauthorized => StatusCode::UNAUTHORIZED,
        Class::Forbidden => StatusCode::FORBIDDEN,
        Class::NotFound => StatusCode::NOT_FOUND,
        Class::Conflict => StatusCode::CONFLICT,
        Class::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Class::Validation => StatusCode::UNPROCESSABLE_ENTITY,
        Class::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Class::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Class::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        e.report("rest");
        let retry_after = match &e {
            Error::RateLimited { retry_after } => Some(*retry_after),
            Error::Unavailable(_) => Some(1),
            _ => None,
        };
        ApiError {
            status: status_of(e.class()),
            code: e.code().to_string(),
            message: e.public_message(),
            retry_after,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, body::Body, routing::get};
    use tower::ServiceExt;

    async fn answer(router: &Router, path: &str) -> (StatusCode, String, String) {
        let res = router
            .clone()
            .oneshot(
                axum::http::Request::builder()
                    .uri(path)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        let status = res.status();
        let kind = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .expect("body");
        (status, kind, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn a_plain_text_error_on_an_api_path_leaves_in_the_contracts_shape() {
        let router = Router::new()
            .route(
                "/api/plain",
                get(|| async { (StatusCode::BAD_REQUEST, "bad `page`") }),
            )
            .route(
                "/api/broken",
                get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "secret detail") }),
            )
            .route(
                "/api/teapot",
                get(|| async { (StatusCode::UNSUPPORTED_MEDIA_TYPE, "") }),
            )
            .route(
                "/page",
                get(|| async { (StatusCode::BAD_REQUEST, "plain page") }),
            )
            .layer(axum::middleware::from_fn(json_errors));

        let (status, kind, body) = answer(&router, "/api/plain").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(kind, "application/json");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["error"]["code"], "malformed_request");
        assert_eq!(v["error"]["message"], "bad `page`");

        let (status, _, body) = answer(&router, "/api/broken").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            body.contains("internal_error") && !body.contains("secret"),
            "{body}"
        );

        let (_, _, body) = answer(&router, "/api/teapot").await;
        assert!(body.contains("\"unsupported_media_type\""), "{body}");

        let (status, kind, body) = answer(&router, "/page").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(kind.starts_with("text/plain"), "pages are left alone");
        assert_eq!(body, "plain page");
    }
}
