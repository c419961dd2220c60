//! What an idle connection costs the server, as an operator sizing a machine sees it: the
//! server process's resident memory per open, idle Socket.IO connection. Each one used to keep
//! its handshake's whole 16 KB HTTP read buffer for its life; `gateway::handshake` copies out
//! what is kept. Measured by this test on a debug build: 27 KB a socket with the copy, 40 KB
//! with it taken out. The bound sits between the two, so the test fails if anything again pins
//! the buffer, and not on allocator noise.

use futures::{SinkExt, StreamExt};
use sqlx::PgPool;
use tokio_tungstenite::{connect_async, tungstenite::Message};

use crate::common::{database_url, node::Node};

/// Idle sockets opened: enough that one connection's share stands well above the allocator's
/// granularity.
const SOCKETS: usize = 1_000;
/// KB of server RSS per idle socket the test allows (see the module: 27 with the copy, 40
/// without).
const MAX_KB_PER_SOCKET: u64 = 33;

/// The server's resident set, in KB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc status")
}

/// A Socket.IO client on the WebSocket transport, connected to `/` and left idle.
async fn idle_socket(
    base: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        base.replace("http://", "ws://")
    );
    let (mut ws, _) = connect_async(url).await.expect("WebSocket handshake");
    let open = ws.next().await.expect("engine.io open").expect("a frame");
    assert!(
        open.to_text().unwrap_or_default().starts_with("0{"),
        "{open:?}"
    );
    ws.send(Message::text("40")).await.expect("connect to /");
    // Until the namespace's reply, answering the engine's ping if it comes first.
    loop {
        let frame = ws.next().await.expect("connect reply").expect("a frame");
        match frame.to_text().unwrap_or_default() {
            "2" => ws.send(Message::text("3")).await.expect("pong"),
            text if text.starts_with("40") => break,
            other => panic!("refused: {other}"),
        }
    }
    ws
}

#[sqlx::test]
async fn an_idle_connection_costs_the_server_well_under_its_handshake_buffer(pool: PgPool) {
    let prefix = format!("memory:{}:", uuid::Uuid::new_v4().simple());
    let node = Node::start(
        &database_url(&pool),
        &prefix,
        &[("REDIS_URL", "memory"), ("MAX_SOCKETS_PER_IP", "100000")],
    )
    .await;
    let pid = node.child.id().expect("the server's pid");
    let before = rss_kb(pid);
    let mut sockets = Vec::with_capacity(SOCKETS);
    for _ in 0..SOCKETS / 50 {
        let batch = futures::future::join_all((0..50).map(|_| idle_socket(&node.base))).await;
        sockets.extend(batch);
    }
    // The handshakes' passing allocations are gone by now; what stays is per connection.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let per_socket = rss_kb(pid).saturating_sub(before) / SOCKETS as u64;
    eprintln!("server memory per idle socket: {per_socket} KB");
    assert!(
        per_socket <= MAX_KB_PER_SOCKET,
        "{per_socket} KB of server memory per idle socket (at most {MAX_KB_PER_SOCKET})"
    );
    drop(sockets);
}
