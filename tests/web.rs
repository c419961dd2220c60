//! Socket.IO's long-polling handshake answers allowed origins with credentialed CORS, as REST
//! does, with exactly the headers a browser sends.

mod common;

use common::spawn_app;
use reqwest::{Client, StatusCode, header};
use serde_json::Value;
use sqlx::PgPool;

fn header_of(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// What a browser page on `origin` sends for the official client's first request (default
/// options, `withCredentials: true`): the long-polling handshake with the cookie.
async fn polling_handshake(app: &common::TestApp, origin: &str, token: &str) -> reqwest::Response {
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
    let polled = Client::new()
        .get(&url)
        .header(header::ORIGIN, allowed)
        .header(header::COOKIE, format!("access_token={}", player.token))
        .send()
        .await
        .expect("poll");
    assert_eq!(
        header_of(&polled, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let connected = polled.text().await.expect("body");
    // Packets in one long-poll reply are separated by U+001E.
    assert!(
        connected
            .split('\u{1e}')
            .any(|packet| packet.starts_with("40{\"sid\"")),
        "the cookie authenticated the socket: {connected:?}"
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
