//! A real Socket.IO client for tests (tf-rust-socketio over WebSocket or long-polling) that
//! records every event it receives and turns acknowledgements into awaitable results.

use futures::FutureExt;
use serde_json::{Value, json};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
use tf_rust_socketio::{
    Event, Payload, TransportType,
    asynchronous::{Client, ClientBuilder},
};
use tokio::sync::{Notify, oneshot};

pub const WAIT: Duration = Duration::from_secs(10);

#[derive(Clone, Default)]
pub struct Inbox {
    events: Arc<Mutex<Vec<(String, Value)>>>,
    notify: Arc<Notify>,
}

impl Inbox {
    fn push(&self, name: String, value: Value) {
        if let Ok(mut e) = self.events.lock() {
            e.push((name, value));
        }
        self.notify.notify_waiters();
    }

    pub fn all(&self, name: &str) -> Vec<Value> {
        self.events
            .lock()
            .map(|e| {
                e.iter()
                    .filter(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn count(&self, name: &str) -> usize {
        self.all(name).len()
    }

    /// Waits until an event `name` whose payload satisfies `pred` has arrived (at any time).
    pub async fn wait_for(&self, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.notify.notified();
            if let Some(v) = self.all(name).into_iter().find(|v| pred(v)) {
                return v;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for `{name}`; got {:?}", self.names());
            }
        }
    }

    /// Waits until `cond` holds of what has arrived (`what` names it in the timeout message).
    pub async fn wait_until(&self, what: &str, cond: impl Fn(&Inbox) -> bool) {
        self.wait_within(what, WAIT, cond).await;
    }

    /// [`Inbox::wait_until`] with a bound of its own, for a story whose point is how soon.
    pub async fn wait_within(&self, what: &str, limit: Duration, cond: impl Fn(&Inbox) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.notify.notified();
            if cond(self) {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for {what}; got {:?}", self.names());
            }
        }
    }

    /// Waits until `n` events called `name` have arrived.
    pub async fn wait_count(&self, name: &str, n: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.notify.notified();
            let all = self.all(name);
            if all.len() >= n {
                return all;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for {n} `{name}`, got {}", all.len());
            }
        }
    }

    /// Waits until any of the events called `names` has arrived; returns its name and payload.
    pub async fn wait_any(&self, names: &[&str]) -> (String, Value) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.notify.notified();
            let found = self
                .events
                .lock()
                .ok()
                .and_then(|e| e.iter().find(|(n, _)| names.contains(&n.as_str())).cloned());
            if let Some(hit) = found {
                return hit;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "timed out waiting for any of {names:?}; got {:?}",
                    self.names()
                );
            }
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.events
            .lock()
            .map(|e| e.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default()
    }
}

pub struct Sock {
    pub client: Client,
    pub inbox: Inbox,
}

fn first_value(p: Payload) -> Value {
    match p {
        Payload::Text(mut values, _) => {
            if values.is_empty() {
                Value::Null
            } else {
                values.swap_remove(0)
            }
        }
        #[allow(deprecated)]
        Payload::String(s, _) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        Payload::Binary(..) => Value::Null,
    }
}

fn builder(
    base: &str,
    auth: Option<&str>,
    transport: TransportType,
    inbox: &Inbox,
) -> ClientBuilder {
    let any = inbox.clone();
    let err = inbox.clone();
    let con = inbox.clone();
    let closed = inbox.clone();
    let mut b = ClientBuilder::new(base.to_string())
        .transport_type(transport)
        .reconnect(false)
        .on_any(move |event: Event, payload: Payload, _| {
            let inbox = any.clone();
            async move { inbox.push(String::from(event.as_str()), first_value(payload)) }.boxed()
        })
        .on(Event::Error, move |payload, _| {
            let inbox = err.clone();
            async move { inbox.push("error".into(), first_value(payload)) }.boxed()
        })
        .on(Event::Close, move |payload, _| {
            let inbox = closed.clone();
            async move { inbox.push("close".into(), first_value(payload)) }.boxed()
        })
        .on(Event::Connect, move |_, _| {
            let inbox = con.clone();
            async move { inbox.push("connect".into(), Value::Null) }.boxed()
        });
    if let Some(token) = auth {
        b = b.auth(json!({ "token": token }));
    }
    b
}

/// How a test client opens its connection: which credentials it presents and which page
/// (`Origin`) it claims to be.
#[derive(Clone)]
pub struct Handshake<'a> {
    /// Sent as `auth: {token}`.
    pub token: Option<&'a str>,
    /// Sent as the `access_token` cookie.
    pub cookie: Option<&'a str>,
    pub origin: Option<&'a str>,
    /// Sent as `X-Forwarded-For` (believed only from a trusted proxy).
    pub forwarded_for: Option<&'a str>,
    pub transport: TransportType,
}

impl Default for Handshake<'_> {
    fn default() -> Self {
        Handshake {
            token: None,
            cookie: None,
            origin: None,
            forwarded_for: None,
            transport: TransportType::Websocket,
        }
    }
}

impl Sock {
    /// Opens a connection as `h` says; `Ok` once connected, `Err` with the `connect_error`
    /// payload (or whatever error event came) when refused.
    pub async fn handshake(base: &str, h: Handshake<'_>) -> Result<Sock, Value> {
        let inbox = Inbox::default();
        let mut b = builder(base, h.token, h.transport.clone(), &inbox);
        if let Some(cookie) = h.cookie {
            b = b.opening_header("Cookie", format!("access_token={cookie}"));
        }
        if let Some(origin) = h.origin {
            b = b.opening_header("Origin", origin);
        }
        if let Some(xff) = h.forwarded_for {
            b = b.opening_header("X-Forwarded-For", xff);
        }
        let client = match b.connect().await {
            Ok(c) => c,
            Err(e) => return Err(Value::String(e.to_string())),
        };
        let (name, payload) = inbox.wait_any(&["connect", "error"]).await;
        if name == "connect" {
            Ok(Sock { client, inbox })
        } else {
            let _ = client.disconnect().await;
            Err(payload)
        }
    }

    /// Opens a big screen with `auth: {screen: credential}` (`{code}:{key}`); `Err` with the
    /// `connect_error` payload when refused.
    pub async fn screen(base: &str, credential: &str) -> Result<Sock, Value> {
        let inbox = Inbox::default();
        let client = builder(base, None, TransportType::Websocket, &inbox)
            .auth(json!({ "screen": credential }))
            .connect()
            .await
            .map_err(|e| Value::String(e.to_string()))?;
        let (name, payload) = inbox.wait_any(&["connect", "error"]).await;
        if name == "connect" {
            Ok(Sock { client, inbox })
        } else {
            let _ = client.disconnect().await;
            Err(payload)
        }
    }

    /// An anonymous connection (no credentials at all).
    pub async fn anonymous(base: &str) -> Sock {
        Sock::handshake(base, Default::default())
            .await
            .expect("an anonymous socket connects")
    }

    /// Connects with `auth: {token}` and waits for the namespace's connect event.
    pub async fn connect(base: &str, token: &str, transport: TransportType) -> Sock {
        let inbox = Inbox::default();
        let client = builder(base, Some(token), transport, &inbox)
            .connect()
            .await
            .expect("socket connects");
        inbox.wait_for("connect", |_| true).await;
        Sock { client, inbox }
    }

    /// Connects with the handshake's Cookie header instead of `auth`.
    pub async fn connect_with_cookie(base: &str, token: &str) -> Sock {
        let inbox = Inbox::default();
        let client = builder(base, None, TransportType::Websocket, &inbox)
            .opening_header("Cookie", format!("access_token={token}"))
            .connect()
            .await
            .expect("socket connects");
        inbox.wait_for("connect", |_| true).await;
        Sock { client, inbox }
    }

    /// An anonymous connection whose handshake carries these extra headers (a `Cookie` other
    /// than the auth one, say); waits for the namespace's connect event.
    pub async fn connect_with_headers(base: &str, headers: &[(&str, &str)]) -> Sock {
        let inbox = Inbox::default();
        let mut b = builder(base, None, TransportType::Websocket, &inbox);
        for (name, value) in headers {
            b = b.opening_header(*name, value.to_string());
        }
        let client = b.connect().await.expect("socket connects");
        inbox.wait_for("connect", |_| true).await;
        Sock { client, inbox }
    }

    /// Tries to connect; returns the inbox once the server has answered (connect or error).
    pub async fn try_connect(base: &str, token: Option<&str>) -> Inbox {
        let inbox = Inbox::default();
        let _client = builder(base, token, TransportType::Websocket, &inbox)
            .connect()
            .await;
        inbox
            .wait_until("connect or connect_error", |i| {
                i.count("connect") + i.count("error") > 0
            })
            .await;
        inbox
    }

    /// Emits with an acknowledgement callback and returns the ack's payload.
    pub async fn request(&self, event: &str, payload: Value) -> Value {
        let (tx, rx) = oneshot::channel();
        let tx = Arc::new(Mutex::new(Some(tx)));
        self.client
            .emit_with_ack(event.to_string(), payload, WAIT, move |p: Payload, _| {
                let tx = tx.clone();
                async move {
                    if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                        // This client hands an ack's whole argument array over as one value.
                        let v = match first_value(p) {
                            Value::Array(mut args) if !args.is_empty() => args.swap_remove(0),
                            other => other,
                        };
                        let _ = tx.send(v);
                    }
                }
                .boxed()
            })
            .await
            .expect("emit");
        tokio::time::timeout(WAIT, rx)
            .await
            .expect("ack in time")
            .expect("ack")
    }

    /// `request` that must succeed; returns `data`.
    pub async fn ok(&self, event: &str, payload: Value) -> Value {
        let ack = self.request(event, payload.clone()).await;
        assert_eq!(ack["ok"], true, "{event} {payload} → {ack}");
        ack["data"].clone()
    }

    /// `request` that must fail with `code`.
    pub async fn refused(&self, event: &str, payload: Value, code: &str) {
        let ack = self.request(event, payload.clone()).await;
        assert_eq!(ack["ok"], false, "{event} {payload} → {ack}");
        assert_eq!(ack["error"]["code"], code, "{event} {payload} → {ack}");
        assert!(
            ack["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }

    pub async fn emit(&self, event: &str, payload: Value) {
        self.client
            .emit(event.to_string(), payload)
            .await
            .expect("emit");
    }

    pub async fn close(self) {
        let _ = self.client.disconnect().await;
    }
}
