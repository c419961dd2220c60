//! The web client, served from the binary: `web/dist` (built from `web/src` by `web/build.mjs`
//! and committed) is embedded at compile time, so running the server needs neither Node.js nor
//! the network. Every non-API page gets `index.html` (the client routes `/r/CODE`, `/p/CODE`
//! (or `/p/ID`), `/p/CODE/present` and `/polls/new` itself: the router's fallback serves them,
//! so share links need no route here);
//! `/assets/` holds content-hashed files, cached for good. Each file is sent pre-compressed
//! (brotli or gzip, made at build time) when the browser accepts it.

use axum::{
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

use super::error::ApiError;

#[derive(RustEmbed)]
#[folder = "web/dist/"]
struct Dist;

const INDEX: &str = "index.html";

/// Hashed names change with their content, so a browser may keep them forever.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The page names the current assets: a browser must check it every time (a 304 is cheap).
const REVALIDATE: &str = "no-cache";

/// The page talks only to its own origin: scripts, styles and connections (REST and Socket.IO,
/// whose `ws:`/`wss:` URLs `'self'` covers) from here, and nobody may frame it.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// `GET /` and every other non-API page.
pub(crate) async fn index(headers: HeaderMap) -> Response {
    serve(INDEX, &headers).unwrap_or_else(missing)
}

/// `GET /assets/{*path}`.
pub(crate) async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    // The compressed copies are picked by Accept-Encoding, never asked for by name.
    if path.ends_with(".gz") || path.ends_with(".br") {
        return missing(());
    }
    serve(&format!("assets/{path}"), &headers).unwrap_or_else(missing)
}

fn missing(_: ()) -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such file").into_response()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// Which compressed copy to send: brotli over gzip, anything the browser gave `q=0` excluded.
fn pick_encoding(headers: &HeaderMap) -> Encoding {
    let accepted = |name: &str| {
        headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|item| {
                let mut parts = item.split(';');
                let coding = parts.next().unwrap_or("").trim();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                coding.eq_ignore_ascii_case(name) && !refused
            })
    };
    if accepted("br") {
        Encoding::Brotli
    } else if accepted("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn serve(name: &str, headers: &HeaderMap) -> Result<Response, ()> {
    let file = Dist::get(name).ok_or(())?;
    let is_index = name == INDEX;
    // One tag for the content whatever its encoding, so weak (W/) by the letter of RFC 9110.
    let etag = format!(
        "W/\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let mut out = HeaderMap::new();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            out.insert(name, v);
        }
    };
    set(
        header::CACHE_CONTROL,
        if is_index { REVALIDATE } else { IMMUTABLE },
    );
    set(header::ETAG, &etag);
    set(header::VARY, "Accept-Encoding");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if is_index {
        set(header::CONTENT_SECURITY_POLICY, CSP);
        set(header::X_FRAME_OPTIONS, "DENY");
        set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    }

    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag.trim_start_matches("W/")
        });
    if fresh {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }

    set(header::CONTENT_TYPE, content_type(name));
    let (body, encoding) = match pick_encoding(headers) {
        Encoding::Brotli => Dist::get(&format!("{name}.br")).map(|f| (f.data, "br")),
        Encoding::Gzip => Dist::get(&format!("{name}.gz")).map(|f| (f.data, "gzip")),
        Encoding::Identity => None,
    }
    .map_or((file.data, None), |(data, enc)| (data, Some(enc)));
    if let Some(enc) = encoding {
        set(header::CONTENT_ENCODING, enc);
    }
    Ok((StatusCode::OK, out, axum::body::Body::from(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn brotli_is_preferred_and_refusals_are_respected() {
        assert_eq!(
            pick_encoding(&accepting("gzip, deflate, br, zstd")),
            Encoding::Brotli
        );
        assert_eq!(pick_encoding(&accepting("gzip")), Encoding::Gzip);
        assert_eq!(pick_encoding(&accepting("br;q=0, gzip")), Encoding::Gzip);
        assert_eq!(pick_encoding(&accepting("BR ; q=0.5")), Encoding::Brotli);
        assert_eq!(pick_encoding(&accepting("identity")), Encoding::Identity);
        assert_eq!(pick_encoding(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn the_built_client_is_embedded() {
        let index = Dist::get(INDEX).expect("web/dist/index.html is embedded");
        let html = String::from_utf8_lossy(&index.data);
        let assets: Vec<&str> = html
            .split("/assets/")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        assert_eq!(assets.len(), 2, "one script and one style sheet: {html}");
        for a in assets {
            let name = format!("assets/{a}");
            assert!(Dist::get(&name).is_some(), "{name} is embedded");
            assert!(Dist::get(&format!("{name}.gz")).is_some(), "{name}.gz");
            assert!(Dist::get(&format!("{name}.br")).is_some(), "{name}.br");
        }
    }
}
