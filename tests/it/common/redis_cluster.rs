//! A private Redis Cluster: three masters (no replicas) of the Debian package's `redis-server`
//! on loopback ports, in a temporary directory, joined with `redis-cli --cluster create`. Every
//! process is killed and the directory removed when the value is dropped. Self-contained (its
//! own waiting, nothing else of the harness) so that the library's store contract tests can
//! include it too.
#![allow(unreachable_pub, dead_code)]

use std::{path::PathBuf, process::Stdio, time::Duration};
use tokio::process::{Child, Command};

/// How long the cluster may take to form.
const FORM_WITHIN: Duration = Duration::from_secs(30);

pub struct PrivateCluster {
    pub ports: Vec<u16>,
    dir: PathBuf,
    children: Vec<Child>,
}

/// A free loopback port (the cluster bus needs one of its own per node too).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl PrivateCluster {
    pub async fn start() -> PrivateCluster {
        let dir = std::env::temp_dir().join(format!("vg-cluster-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut cluster = PrivateCluster {
            ports: Vec::new(),
            dir,
            children: Vec::new(),
        };
        for _ in 0..3 {
            let (port, bus) = (free_port(), free_port());
            let child = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--cluster-port",
                    &bus.to_string(),
                ])
                .args(["--bind", "127.0.0.1", "--cluster-enabled", "yes"])
                .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
                .args(["--cluster-node-timeout", "2000"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&cluster.dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("redis-server is installed (scripts/services.sh installs it)");
            cluster.ports.push(port);
            cluster.children.push(child);
        }
        for port in cluster.ports.clone() {
            cluster
                .wait("a cluster node to answer", || async move {
                    info(port, "PING").await.filter(|pong| pong == "PONG")
                })
                .await;
        }
        let nodes: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .await
            .expect("redis-cli is installed");
        assert!(
            created.status.success(),
            "redis-cli --cluster create: {}",
            String::from_utf8_lossy(&created.stderr)
        );
        for port in cluster.ports.clone() {
            cluster
                .wait("cluster_state:ok on every node", || async move {
                    info(port, "CLUSTER INFO")
                        .await
                        .filter(|i| i.contains("cluster_state:ok"))
                })
                .await;
        }
        cluster
    }

    /// `REDIS_URL` for this cluster (every node named; one would do).
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+cluster://{}", nodes.join(","))
    }

    async fn wait<T, F, Fut>(&self, what: &str, check: F) -> T
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + FORM_WITHIN;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// One node's answer to a command without keys (`PING`, `CLUSTER INFO`), as text.
async fn info(port: u16, command: &str) -> Option<String> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).ok()?;
    let mut conn = client.get_multiplexed_async_connection().await.ok()?;
    let mut cmd = redis::Cmd::new();
    for word in command.split(' ') {
        cmd.arg(word);
    }
    cmd.query_async::<String>(&mut conn).await.ok()
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
