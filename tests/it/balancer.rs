//! Several nodes behind a real load balancer (issue 24, item 3): Debian's HAProxy with the
//! configuration `scripts/haproxy-config.sh` prints (the one `scripts/nodes.sh` runs), two
//! server processes sharing Postgres and Redis, and the official socket.io-client with its
//! default transports (long-polling, then the upgrade to a WebSocket) as two players who land
//! on different nodes. Without the balancer's stickiness the same clients fail: a long-polling
//! session lives on the node that opened it.

use reqwest::Client;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use tokio::process::{Child, Command};

use crate::common::{self, node::Node};

const HAPROXY: &str = "/usr/sbin/haproxy";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A file removed when the test lets go of it.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// HAProxy in the foreground with `config`, until dropped.
struct Balancer {
    _child: Child,
    _config: TempFile,
    base: String,
    stats: String,
}

impl Balancer {
    /// The script's configuration for `nodes`; `sticky: false` takes its cookie lines out, to
    /// show what they are for.
    async fn start(nodes: &[&Node], sticky: bool) -> Balancer {
        assert!(
            Path::new(HAPROXY).exists(),
            "this test runs Debian's HAProxy: `apt-get install haproxy` (scripts/test.sh does)"
        );
        let (port, stats_port) = (free_port(), free_port());
        let mut args = vec![
            format!("127.0.0.1:{port}"),
            format!("127.0.0.1:{stats_port}"),
        ];
        args.extend(
            nodes
                .iter()
                .map(|n| n.base.trim_start_matches("http://").to_string()),
        );
        let out = Command::new("bash")
            .arg("scripts/haproxy-config.sh")
            .args(&args)
            .current_dir(root())
            .output()
            .await
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut config = String::from_utf8_lossy(&out.stdout).into_owned();
        if !sticky {
            config = config
                .lines()
                .filter(|l| !l.trim_start().starts_with("cookie "))
                .map(|l| l.split(" cookie ").next().unwrap_or(l).to_string() + "\n")
                .collect();
        }
        let file = TempFile(
            std::env::temp_dir().join(format!("vg-haproxy-{}.cfg", uuid::Uuid::new_v4().simple())),
        );
        std::fs::write(&file.0, &config).expect("write config");
        let child = Command::new(HAPROXY)
            .arg("-db")
            .arg("-f")
            .arg(&file.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("haproxy starts");
        let base = format!("http://127.0.0.1:{port}");
        common::eventually("HAProxy to pass /health to a node", || {
            let url = format!("{base}/health");
            async move {
                Client::new()
                    .get(url)
                    .timeout(Duration::from_secs(1))
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
            }
        })
        .await;
        Balancer {
            _child: child,
            _config: file,
            base,
            stats: format!("http://127.0.0.1:{stats_port}/stats;csv"),
        }
    }

    /// Sessions each Socket.IO server took (`stot` of the `socketio` backend's servers).
    async fn socketio_sessions(&self) -> Vec<(String, u64)> {
        let csv = Client::new()
            .get(&self.stats)
            .send()
            .await
            .expect("stats answer")
            .text()
            .await
            .expect("stats text");
        csv.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f.first() == Some(&"socketio") && f.get(1).is_some_and(|s| s.starts_with('n')))
                    .then(|| {
                        (
                            f[1].to_string(),
                            f.get(7).and_then(|n| n.parse().ok()).unwrap_or(0),
                        )
                    })
            })
            .collect()
    }
}

/// Runs tests/js/balanced.mjs; `Ok(report)` or `Err(stderr)`.
async fn two_clients(base: &str, code: &str, players: &[&common::Player]) -> Result<Value, String> {
    let config = json!({
        "base": base,
        "code": code,
        "players": players.iter().map(|p| json!({"token": p.token, "user_id": p.id})).collect::<Vec<_>>(),
    });
    let file = TempFile(
        std::env::temp_dir().join(format!("vg-js-{}.json", uuid::Uuid::new_v4().simple())),
    );
    std::fs::write(&file.0, config.to_string()).expect("write config");
    let out = tokio::time::timeout(
        Duration::from_secs(45),
        Command::new("node")
            .arg("tests/js/balanced.mjs")
            .arg(&file.0)
            .current_dir(root())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the JS clients finish within 45 s")
    .expect("node runs (tests/js needs `npm ci`; scripts/test.sh does it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format!("no JSON report: {stdout}"))
}

#[sqlx::test]
async fn two_browsers_behind_haproxy_land_on_two_nodes_poll_then_upgrade_and_play_together(
    pool: PgPool,
) {
    let prefix = common::fresh_prefix();
    let url = common::database_url(&pool);
    let trusted = [("TRUSTED_PROXIES", "127.0.0.1/32")];
    let (one, two) = (
        Node::start(&url, &prefix, &trusted).await,
        Node::start(&url, &prefix, &trusted).await,
    );
    // Accounts and the room through an in-process node of the same cluster.
    let app = common::spawn_app_with(pool, common::test_config(&prefix)).await;
    let (ann, bob) = (app.register("Ann").await, app.register("Bob").await);
    let code = app.create_room(&ann, json!({})).await;

    let lb = Balancer::start(&[&one, &two], true).await;
    // REST through the balancer, round robin: every node answers it alike.
    for _ in 0..4 {
        let res = Client::new()
            .get(format!("{}/api/rooms/{code}", lb.base))
            .bearer_auth(&ann.token)
            .send()
            .await
            .expect("REST through the balancer");
        assert_eq!(res.status(), reqwest::StatusCode::OK);
    }
    let report = two_clients(&lb.base, &code, &[&ann, &bob])
        .await
        .unwrap_or_else(|e| panic!("through the sticky balancer: {e}"));
    for c in report["clients"].as_array().expect("clients") {
        assert_eq!(c["transport"], "websocket", "upgraded: {report}");
        assert_eq!(c["heard"], true, "Ann heard Bob join: {report}");
    }
    let sessions = lb.socketio_sessions().await;
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert!(
        sessions.iter().all(|(_, n)| *n >= 1),
        "each node took a Socket.IO client: {sessions:?}"
    );

    // The same clients through the same balancer without its cookie: a poll lands on the node
    // that does not hold the session, and the client fails.
    let plain = Balancer::start(&[&one, &two], false).await;
    let refused = two_clients(&plain.base, &code, &[&ann, &bob]).await;
    // (A poll or post sent to the other node is refused: "Session ID unknown".)
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("xhr")),
        "without stickiness polling cannot work on two nodes: {refused:?}"
    );
}
