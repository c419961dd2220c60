//! A real server process (the built binary), for tests that `kill -9` one: it shares the test's
//! Postgres database and Redis prefix with whatever else the test runs (another process or an
//! in-process `TestApp`).

use reqwest::Client;
use std::{process::Stdio, time::Duration};
use tokio::process::{Child, Command};

use super::JWT_SECRET;

pub struct Node {
    pub child: Child,
    pub base: String,
}

impl Node {
    /// Starts the binary on a free port with `env` on top of the test defaults, and waits
    /// until it answers `/health`.
    pub async fn start(database_url: &str, prefix: &str, env: &[(&str, &str)]) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_voting-game"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env(
                "REDIS_URL",
                std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
            )
            .env("REDIS_PREFIX", prefix)
            .env("JWT_SECRET", JWT_SECRET)
            .env("ALLOWED_ORIGINS", "http://localhost:5173")
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("server binary starts");
        let base = format!("http://127.0.0.1:{port}");
        super::eventually("the server process to answer /health", || {
            let url = format!("{base}/health");
            async move {
                Client::new()
                    .get(url)
                    .timeout(Duration::from_secs(1))
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
                    .map(|_| ())
            }
        })
        .await;
        Node { child, base }
    }

    /// `kill -9`: the process gets no chance to clean up.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("kill -9");
    }
}
