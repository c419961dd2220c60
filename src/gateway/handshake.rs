//! A Socket.IO handshake's request, copied out of hyper's read buffer before socketioxide keeps
//! it (issue 23, memory per idle connection).
//!
//! hyper parses a request's URI and header values as slices of its connection's read buffer
//! (16 KB once grown), so any one of them keeps the whole buffer alive. engineioxide keeps
//! every connection's request parts (headers, URI and extensions) for the connection's life,
//! so each idle socket held its handshake's whole read buffer: ≈ 16 KB of the 44 KB it cost,
//! found with heaptrack. Copying the header values was not enough (tried and measured): axum's
//! router also keeps the URI in the extensions as `OriginalUri`, a clone of hyper's. Copying
//! the URI, that extension and the values (a few hundred bytes) frees the buffer once the
//! handshake is answered. Only `/socket.io/` requests are copied: REST requests end with their
//! response and free the buffer then.

use axum::{
    body::Body,
    extract::OriginalUri,
    http::{HeaderValue, Request, Uri, request::Parts},
};

/// Where the Socket.IO layer answers.
const SOCKET_IO_PATH: &str = "/socket.io/";

/// The request with its URI and header values in allocations of their own (see the module).
pub(crate) async fn own_handshake(req: Request<Body>) -> Request<Body> {
    if !req.uri().path().starts_with(SOCKET_IO_PATH) {
        return req;
    }
    let (mut parts, body) = req.into_parts();
    detach(&mut parts);
    Request::from_parts(parts, body)
}

/// Replaces every value borrowed from hyper's buffer by a copy. Header names need nothing:
/// hyper copies the ones that are not standard.
fn detach(parts: &mut Parts) {
    for value in parts.headers.values_mut() {
        // Copying valid bytes cannot fail; if it ever did, the shared value stays (memory, not
        // correctness, is at stake).
        if let Ok(copy) = HeaderValue::from_bytes(value.as_bytes()) {
            let sensitive = value.is_sensitive();
            *value = copy;
            value.set_sensitive(sensitive);
        }
    }
    // `Uri::try_from(String)` takes the string's own allocation: nothing borrowed from hyper.
    if let Ok(uri) = Uri::try_from(parts.uri.to_string()) {
        parts.uri = uri;
    }
    if let Some(OriginalUri(original)) = parts.extensions.get::<OriginalUri>()
        && let Ok(copy) = Uri::try_from(original.to_string())
    {
        parts.extensions.insert(OriginalUri(copy));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    #[test]
    fn the_copied_request_reads_the_same_and_holds_nothing_of_the_buffer() {
        // One buffer, and a URI and a header value sliced from it, as hyper parses them.
        let buffer = Bytes::from(b"/socket.io/?EIO=4&transport=websocket sid=abc".to_vec());
        let uri = Uri::from_maybe_shared(buffer.slice(..37)).expect("a valid URI");
        let cookie = HeaderValue::from_maybe_shared(buffer.slice(38..)).expect("a valid value");
        let (mut parts, ()) = Request::get(uri.clone())
            .body(())
            .expect("a request")
            .into_parts();
        parts.headers.insert("cookie", cookie);
        // As axum's router keeps it.
        parts.extensions.insert(OriginalUri(uri));
        assert!(!buffer.is_unique());

        let before = (parts.uri.clone(), parts.headers.clone());
        detach(&mut parts);
        assert_eq!(parts.uri, before.0);
        assert_eq!(parts.headers, before.1);
        let original = parts.extensions.get::<OriginalUri>().map(|o| o.0.clone());
        assert_eq!(original, Some(before.0.clone()));
        assert_eq!(parts.uri.query(), Some("EIO=4&transport=websocket"));
        drop(before);
        assert!(buffer.is_unique(), "the request still shares the buffer");
    }
}
