//! Which web pages may use the auth cookie: the server's own and those in `ALLOWED_ORIGINS`.
//! A browser attaches the cookie to requests that any page makes, so a cookie-authenticated
//! write (REST) or Socket.IO handshake from another page is refused: that is cross-site request
//! forgery and cross-site WebSocket hijacking. Bearer tokens and `auth.token` are not affected:
//! a page can only send those if it already holds the token.

use http::{HeaderMap, header};

/// `scheme://host[:port]`, lower-cased, of an `Origin` or `Referer` value; `None` for anything
/// else, `null` included (what sandboxed iframes, `data:` pages and some redirects send).
fn origin_of(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let scheme_ok = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || host.is_empty() || host.contains('@') {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    ))
}

/// Whether a cookie-authenticated request with these headers comes from a page allowed to use
/// the cookie. The page is named by `Origin`, or `Referer` when a browser sent no `Origin`.
/// With neither, it is no browser's cross-site request (browsers send `Origin` on every
/// cross-origin fetch and WebSocket) and passes. An `Origin` that names no page (`null`) or
/// cannot be read is refused.
pub(crate) fn cookie_allowed(headers: &HeaderMap, allowed_origins: &[String]) -> bool {
    let named = match headers.get(header::ORIGIN) {
        Some(v) => Some(v),
        None => headers.get(header::REFERER),
    };
    let Some(value) = named else {
        return true;
    };
    let Some(origin) = value.to_str().ok().and_then(origin_of) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let same_origin = !host.is_empty()
        && origin
            .split_once("://")
            .is_some_and(|(_, h)| h.eq_ignore_ascii_case(host));
    same_origin
        || allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(&origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    fn allowed() -> Vec<String> {
        vec!["http://localhost:5173".to_string()]
    }

    #[test]
    fn own_and_allowed_pages_pass() {
        let own = headers(&[
            ("host", "game.example:8000"),
            ("origin", "https://GAME.example:8000"),
        ]);
        assert!(cookie_allowed(&own, &allowed()));
        let listed = headers(&[("host", "api.example"), ("origin", "http://localhost:5173")]);
        assert!(cookie_allowed(&listed, &allowed()));
        let referer = headers(&[
            ("host", "api.example"),
            ("referer", "http://localhost:5173/play?x=1"),
        ]);
        assert!(cookie_allowed(&referer, &allowed()));
        assert!(cookie_allowed(
            &headers(&[("host", "api.example")]),
            &allowed()
        ));
    }

    #[test]
    fn other_pages_null_and_unreadable_origins_are_refused() {
        for origin in [
            "http://evil.example",
            "null",
            "",
            "localhost:5173",
            "http://localhost:5173.evil.example",
            "http://user@localhost:5173",
            "://",
        ] {
            let h = headers(&[("host", "api.example"), ("origin", origin)]);
            assert!(!cookie_allowed(&h, &allowed()), "{origin:?}");
        }
        // An Origin is not overridden by a friendlier Referer.
        let h = headers(&[
            ("host", "api.example"),
            ("origin", "null"),
            ("referer", "http://localhost:5173/"),
        ]);
        assert!(!cookie_allowed(&h, &allowed()));
        let h = headers(&[("host", "api.example"), ("referer", "http://evil.example/")]);
        assert!(!cookie_allowed(&h, &allowed()));
    }
}
