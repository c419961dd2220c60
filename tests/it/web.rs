//! The web client as HTTP serves it (its behaviour in a real browser is `tests/it/browser.rs`):
//! `index.html` for pages, hashed assets cached for good and sent compressed, JSON 404s for
//! unknown API paths; and Socket.IO's long-polling handshake answering allowed origins with
//! credentialed CORS, as REST does, with exactly the headers a browser sends.

use crate::common::{assert_error, spawn_app};
use reqwest::{Client, StatusCode, header};
use serde_json::Value;
use sqlx::PgPool;

/// A client that does not decompress, so Content-Encoding and the bytes can be checked.
fn raw() -> Client {
    Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .expect("client")
}

fn header_of(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The asset paths index.html names.
fn assets_in(html: &str) -> Vec<String> {
    html.split("\"/assets/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| format!("/assets/{s}"))
        .collect()
}

#[sqlx::test]
async fn pages_are_the_client_and_share_links_too(pool: PgPool) {
    let app = spawn_app(pool).await;
    for path in [
        "/",
        "/r/K7M2QX",
        "/r/k7m2qx/",
        "/p/0b9f5a52-5d4b-4f8e-9a39-4d1f3c1b2a10",
        "/p/K7M2QX",
        "/p/k7m2qx/present",
        "/polls/new",
        "/some/page",
    ] {
        let res = raw().get(app.url(path)).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header_of(&res, "content-type").as_deref(),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert_eq!(
            header_of(&res, "cache-control").as_deref(),
            Some("no-cache"),
            "{path}"
        );
        let csp = header_of(&res, "content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let html = res.text().await.expect("text");
        assert!(
            html.contains("<title>Voting Game</title>"),
            "{path}: {html}"
        );
        assert_eq!(assets_in(&html).len(), 2, "a script and a style sheet");
    }
    // HEAD works like GET, without a body.
    let head = raw().head(app.url("/r/K7M2QX")).send().await.expect("head");
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.text().await.expect("body").is_empty());
}

#[sqlx::test]
async fn unknown_api_paths_and_non_page_requests_stay_json_404s(pool: PgPool) {
    let app = spawn_app(pool).await;
    for (method, path) in [
        ("GET", "/api/no/such/route"),
        ("GET", "/api"),
        ("POST", "/api/nothing"),
        ("POST", "/no/such/page"),
        ("DELETE", "/r/K7M2QX"),
        ("GET", "/assets/app-0000000000.js"),
        ("GET", "/assets/"),
    ] {
        let res = raw()
            .request(method.parse().expect("method"), app.url(path))
            .send()
            .await
            .expect("request");
        let status = res.status();
        assert_eq!(
            header_of(&res, "content-type").as_deref(),
            Some("application/json"),
            "{method} {path}"
        );
        let body: Value = res.json().await.expect("json");
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
}

#[sqlx::test]
async fn assets_are_immutable_compressed_and_revalidated_by_etag(pool: PgPool) {
    let app = spawn_app(pool).await;
    let html = raw()
        .get(app.url("/"))
        .send()
        .await
        .expect("index")
        .text()
        .await
        .expect("text");
    let assets = assets_in(&html);
    let js = assets
        .iter()
        .find(|a| a.ends_with(".js"))
        .expect("a script");
    let css = assets
        .iter()
        .find(|a| a.ends_with(".css"))
        .expect("a style sheet");

    let plain = raw().get(app.url(js)).send().await.expect("js");
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(
        header_of(&plain, "content-type").as_deref(),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        header_of(&plain, "cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(header_of(&plain, "content-encoding"), None);
    assert_eq!(
        header_of(&plain, "vary").as_deref(),
        Some("Accept-Encoding")
    );
    let etag = header_of(&plain, "etag").expect("an ETag");
    let plain_bytes = plain.bytes().await.expect("bytes");
    assert!(plain_bytes.len() > 10_000, "the bundled client");

    for (accept, encoding) in [("gzip, deflate, br", "br"), ("gzip", "gzip")] {
        let res = raw()
            .get(app.url(js))
            .header(header::ACCEPT_ENCODING, accept)
            .send()
            .await
            .expect("compressed");
        assert_eq!(
            header_of(&res, "content-encoding").as_deref(),
            Some(encoding)
        );
        assert_eq!(header_of(&res, "etag").as_deref(), Some(etag.as_str()));
        let n = res.bytes().await.expect("bytes").len();
        assert!(n * 2 < plain_bytes.len(), "{encoding}: {n} bytes");
    }
    // reqwest's own decoding gets the same script back from the compressed copy.
    let decoded = Client::new()
        .get(app.url(js))
        .send()
        .await
        .expect("decoded")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(decoded, plain_bytes);

    let res = raw().get(app.url(css)).send().await.expect("css");
    assert_eq!(
        header_of(&res, "content-type").as_deref(),
        Some("text/css; charset=utf-8")
    );

    let again = raw()
        .get(app.url(js))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("conditional");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.expect("bytes").is_empty());
    // The compressed copies are never asked for by name.
    let res = raw()
        .get(app.url(&format!("{js}.gz")))
        .send()
        .await
        .expect("gz");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// What a browser page on `origin` sends for the official client's first request (default
/// options, `withCredentials: true`): the long-polling handshake with the cookie.
async fn polling_handshake(
    app: &crate::common::TestApp,
    origin: &str,
    token: &str,
) -> reqwest::Response {
    Client::new()
        .get(app.url("/socket.io/?EIO=4&transport=polling&t=abc"))
        .header(header::ORIGIN, origin)
        .header(header::COOKIE, format!("access_token={token}"))
        .header(header::ACCEPT, "*/*")
        .send()
        .await
        .expect("handshake")
}

#[sqlx::test]
async fn socket_io_long_polling_has_credentialed_cors_for_allowed_origins_only(pool: PgPool) {
    let app = spawn_app(pool).await;
    let player = app.register("Pim").await;
    let allowed = "http://localhost:5173";

    // The handshake: the browser may read it only with these two headers.
    let res = polling_handshake(&app, allowed, &player.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        header_of(&res, "access-control-allow-origin").as_deref(),
        Some(allowed)
    );
    assert_eq!(
        header_of(&res, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let body = res.text().await.expect("body");
    let open: Value = serde_json::from_str(body.strip_prefix('0').expect("an OPEN packet"))
        .expect("handshake JSON");
    let sid = open["sid"].as_str().expect("sid");
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));

    // The client's next request on that session: it POSTs the Socket.IO CONNECT packet as
    // text/plain (no preflight), then long-polls for the answer.
    let url = app.url(&format!("/socket.io/?EIO=4&transport=polling&sid={sid}"));
    let sent = Client::new()
        .post(&url)
        .header(header::ORIGIN, allowed)
        .header(header::COOKIE, format!("access_token={}", player.token))
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body("40")
        .send()
        .await
        .expect("post");
    assert_eq!(sent.status(), StatusCode::OK);
    assert_eq!(
        header_of(&sent, "access-control-allow-origin").as_deref(),
        Some(allowed)
    );
    // Long-polls until the answer to CONNECT arrives (the server may send a ping first).
    let mut replies = Vec::new();
    for _ in 0..5 {
        let polled = Client::new()
            .get(&url)
            .header(header::ORIGIN, allowed)
            .header(header::COOKIE, format!("access_token={}", player.token))
            .send()
            .await
            .expect("poll");
        assert_eq!(
            header_of(&polled, "access-control-allow-origin").as_deref(),
            Some(allowed)
        );
        assert_eq!(
            header_of(&polled, "access-control-allow-credentials").as_deref(),
            Some("true")
        );
        let body = polled.text().await.expect("body");
        // Packets in one long-poll reply are separated by U+001E.
        let connected = body.split('\u{1e}').any(|p| p.starts_with("40{\"sid\""));
        replies.push(body);
        if connected {
            break;
        }
    }
    assert!(
        replies
            .last()
            .is_some_and(|b| b.split('\u{1e}').any(|p| p.starts_with("40{\"sid\""))),
        "the cookie authenticated the socket: {replies:?}"
    );

    // A preflight (a client with extra headers sends one) is answered for allowed origins.
    let preflight = |origin: &'static str| {
        Client::new()
            .request(
                reqwest::Method::OPTIONS,
                app.url("/socket.io/?EIO=4&transport=polling"),
            )
            .header(header::ORIGIN, origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let ok = preflight(allowed).await.expect("preflight");
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(
        header_of(&ok, "access-control-allow-origin").as_deref(),
        Some(allowed)
    );
    assert_eq!(
        header_of(&ok, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert!(
        header_of(&ok, "access-control-allow-methods")
            .unwrap_or_default()
            .contains("POST")
    );

    // Another origin gets no CORS headers: its page cannot read the handshake.
    let foreign = polling_handshake(&app, "http://evil.example", &player.token).await;
    assert_eq!(header_of(&foreign, "access-control-allow-origin"), None);
    let refused = preflight("http://evil.example").await.expect("preflight");
    assert_eq!(header_of(&refused, "access-control-allow-origin"), None);
}
