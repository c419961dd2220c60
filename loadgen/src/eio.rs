//! A minimal Engine.IO v4 / Socket.IO v5 client over one WebSocket: just what a browser game
//! client does (connect with `auth`, answer pings, emit with acknowledgements, receive events),
//! light enough to hold thousands of connections in one process.

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::{Message, protocol::WebSocketConfig};

pub(crate) type Acks = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// Called on the connection's reader task for each event the server sends, with the
/// event's JSON argument array (`["name", payload…]`) and the time it arrived. Handling it in
/// place, rather than passing it on to another task, keeps the generator's own cost per
/// update small next to the server's.
pub(crate) type OnEvent = Arc<dyn Fn(&str, Instant) + Send + Sync>;

#[derive(Clone)]
pub(crate) struct Client {
    out: mpsc::UnboundedSender<Message>,
    acks: Acks,
    next_id: Arc<AtomicU64>,
}

/// Connects `ws://host:port/socket.io/?EIO=4&transport=websocket` from `source` (a loopback
/// address, to spread connections over more ephemeral ports) and completes the Socket.IO
/// handshake with `auth: {token}`. Events go to the returned receiver.
pub(crate) async fn connect(
    server: SocketAddr,
    source: Option<IpAddr>,
    token: &str,
    on_event: OnEvent,
) -> Result<Client, String> {
    let socket = match server {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    }
    .map_err(|e| e.to_string())?;
    if let Some(ip) = source {
        socket
            .bind(SocketAddr::new(ip, 0))
            .map_err(|e| format!("bind {ip}: {e}"))?;
    }
    let stream = socket
        .connect(server)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let url = format!("ws://{server}/socket.io/?EIO=4&transport=websocket");
    // tungstenite zero-fills its whole read buffer before every read (tungstenite-rs#547);
    // with the 128 KiB default that memset was a fifth of the generator's time. Game frames
    // are small, so a small buffer costs nothing else.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
        .await
        .map_err(|e| format!("upgrade: {e}"))?;
    let (mut sink, mut stream) = ws.split();
    let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
    tokio::spawn(async move {
        while let Some(m) = out_rx.recv().await {
            if sink.send(m).await.is_err() {
                break;
            }
        }
    });
    let acks: Acks = Arc::default();
    let (ready_tx, ready_rx) = oneshot::channel::<Result<(), String>>();
    let auth = serde_json::json!({ "token": token }).to_string();
    let reader_out = out.clone();
    let reader_acks = Arc::clone(&acks);
    tokio::spawn(async move {
        let mut ready = Some(ready_tx);
        while let Some(Ok(msg)) = stream.next().await {
            let Message::Text(text) = msg else { continue };
            let text = text.as_str();
            match text.as_bytes().first() {
                Some(b'0') => {
                    let _ = reader_out.send(Message::text(format!("40{auth}")));
                }
                Some(b'2') => {
                    let _ = reader_out.send(Message::text("3"));
                }
                Some(b'4') => handle_packet(&text[1..], &mut ready, &reader_acks, &on_event),
                _ => {}
            }
        }
        if let Some(r) = ready.take() {
            let _ = r.send(Err("closed before connect".into()));
        }
    });
    match tokio::time::timeout(Duration::from_secs(15), ready_rx).await {
        Ok(Ok(Ok(()))) => Ok(Client {
            out,
            acks,
            next_id: Arc::new(AtomicU64::new(1)),
        }),
        Ok(Ok(Err(e))) => Err(e),
        _ => Err("handshake timed out".into()),
    }
}

fn handle_packet(
    p: &str,
    ready: &mut Option<oneshot::Sender<Result<(), String>>>,
    acks: &Acks,
    on_event: &OnEvent,
) {
    let at = Instant::now();
    match p.as_bytes().first() {
        Some(b'0') => {
            if let Some(r) = ready.take() {
                let _ = r.send(Ok(()));
            }
        }
        Some(b'4') => {
            if let Some(r) = ready.take() {
                let _ = r.send(Err(format!("connect_error {}", &p[1..])));
            }
        }
        Some(b'2') => {
            // 2[optional ack id][name, payload]
            let body = p[1..].trim_start_matches(|c: char| c.is_ascii_digit());
            on_event(body, at);
        }
        Some(b'3') => {
            let digits: String = p[1..].chars().take_while(char::is_ascii_digit).collect();
            let body = &p[1 + digits.len()..];
            let Ok(id) = digits.parse::<u64>() else {
                return;
            };
            let value = match serde_json::from_str::<Value>(body) {
                Ok(Value::Array(mut a)) if !a.is_empty() => a.remove(0),
                _ => Value::Null,
            };
            if let Some(tx) = acks.lock().ok().and_then(|mut m| m.remove(&id)) {
                let _ = tx.send(value);
            }
        }
        _ => {}
    }
}

impl Client {
    /// Emits with an acknowledgement and waits for it.
    pub(crate) async fn request(&self, event: &str, payload: &Value) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut m) = self.acks.lock() {
            m.insert(id, tx);
        }
        let frame = format!("42{id}{}", serde_json::json!([event, payload]));
        self.out
            .send(Message::text(frame))
            .map_err(|_| "socket closed".to_string())?;
        match tokio::time::timeout(Duration::from_secs(20), rx).await {
            Ok(Ok(v)) => Ok(v),
            _ => {
                if let Ok(mut m) = self.acks.lock() {
                    m.remove(&id);
                }
                Err(format!("{event}: no ack"))
            }
        }
    }

    pub(crate) fn close(&self) {
        let _ = self.out.send(Message::Close(None));
    }
}
