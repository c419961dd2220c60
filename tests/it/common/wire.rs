//! A Socket.IO client at the wire level (Engine.IO v4 frames over one WebSocket), for tests
//! that must see exactly what the server sends and in which order (the event before the
//! disconnect), or send what no well-behaved client library sends (binary attachments).

use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

const WAIT: Duration = Duration::from_secs(10);

pub struct Wire {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What a connection attempt came to: connected, or the server's `connect_error` (`44…`).
pub enum Opened {
    Connected(Box<Wire>),
    Refused(String),
}

impl Wire {
    /// Opens `/socket.io/` over WebSocket and connects the main namespace with
    /// `auth: {token}`, sending `headers` on the upgrade request.
    pub async fn open(base: &str, token: &str, headers: &[(&str, &str)]) -> Opened {
        let url = format!(
            "{}/socket.io/?EIO=4&transport=websocket",
            base.replacen("http://", "ws://", 1)
        );
        let mut req = url.into_client_request().expect("request");
        for (k, v) in headers {
            req.headers_mut().insert(
                http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        let (ws, _) = connect_async(req).await.expect("websocket upgrade");
        let mut wire = Wire { ws };
        let open = wire.next_text().await.expect("engine.io open");
        assert!(open.starts_with('0'), "{open}");
        wire.send_text(&format!("40{}", serde_json::json!({ "token": token })))
            .await;
        match wire.next_text().await {
            Some(f) if f.starts_with("40") => Opened::Connected(Box::new(wire)),
            Some(f) if f.starts_with("44") => Opened::Refused(f),
            other => panic!("unexpected answer to the namespace connect: {other:?}"),
        }
    }

    pub async fn connect(base: &str, token: &str) -> Wire {
        match Self::open(base, token, &[]).await {
            Opened::Connected(w) => *w,
            Opened::Refused(f) => panic!("refused: {f}"),
        }
    }

    pub async fn send_text(&mut self, frame: &str) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .expect("send");
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        // A refusal may already have closed the connection: the caller looks at what follows.
        let _ = self.ws.send(Message::binary(bytes)).await;
    }

    /// The next text frame, answering Engine.IO pings on the way; `None` once the connection
    /// is closed.
    async fn next_text(&mut self) -> Option<String> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame in time")?;
            match msg {
                Ok(Message::Text(t)) if t.as_str() == "2" => self.send_text("3").await,
                Ok(Message::Text(t)) => return Some(t.to_string()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The next text frame (pings answered on the way); `None` once the connection is closed.
    pub async fn next_frame(&mut self) -> Option<String> {
        self.next_text().await
    }

    /// Every frame the server sends until it disconnects the namespace (`41`) or closes the
    /// connection; the `41`, if any, is the last one.
    pub async fn until_disconnected(&mut self) -> Vec<String> {
        let mut frames = Vec::new();
        while let Some(f) = self.next_text().await {
            let done = f == "41";
            frames.push(f);
            if done {
                break;
            }
        }
        frames
    }

    /// Waits until the server disconnects the namespace, which must come right after a
    /// `session_ended` event (seen on the wire, in order); returns its reason.
    pub async fn session_ended(&mut self) -> String {
        let frames = self.until_disconnected().await;
        assert_eq!(frames.last().map(String::as_str), Some("41"), "{frames:?}");
        let event: serde_json::Value = frames
            .len()
            .checked_sub(2)
            .and_then(|i| frames[i].strip_prefix("42"))
            .and_then(|f| serde_json::from_str(f).ok())
            .unwrap_or_else(|| panic!("no event right before the disconnect: {frames:?}"));
        assert_eq!(event[0], "session_ended", "{frames:?}");
        event[1]["reason"].as_str().unwrap_or_default().to_string()
    }

    /// Sends an event with an acknowledgement id and returns the ack's frame.
    pub async fn request(&mut self, id: u64, event: &str, payload: serde_json::Value) -> String {
        let frame = format!("42{id}{}", serde_json::json!([event, payload]));
        self.send_text(&frame).await;
        let prefix = format!("43{id}");
        loop {
            match self.next_text().await {
                Some(f) if f.starts_with(&prefix) => return f,
                Some(_) => {}
                None => panic!("closed before the ack of {event}"),
            }
        }
    }
}
