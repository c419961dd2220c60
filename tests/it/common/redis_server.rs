//! A private redis-server process for tests that restart Redis (the shared one on 6379 serves
//! every other test in parallel, so it is never restarted).

use std::{process::Stdio, time::Duration};
use tokio::process::{Child, Command};

pub struct PrivateRedis {
    pub port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    pub async fn start() -> PrivateRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let mut r = PrivateRedis { port, child: None };
        r.spawn().await;
        r
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is installed (scripts/services.sh installs it)");
        self.child = Some(child);
        let url = self.url();
        super::eventually("the private redis-server to start", || async {
            let client = redis::Client::open(url.as_str()).ok()?;
            let mut c = client.get_multiplexed_async_connection().await.ok()?;
            redis::cmd("PING").query_async::<String>(&mut c).await.ok()
        })
        .await;
    }

    /// Kills Redis (all its data is gone, as after a crash without persistence) and starts a
    /// fresh one on the same port after `down`.
    pub async fn restart(&mut self, down: Duration) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
            let _ = child.wait().await;
        }
        // The outage itself: how long clients find no Redis, a parameter of the scenario.
        tokio::time::sleep(down).await;
        self.spawn().await;
    }
}

/// Deletes every key under `prefix` on `url`: a flush of one deployment's live state.
pub async fn flush_prefix(url: &str, prefix: &str) {
    let client = redis::Client::open(url).expect("url");
    let mut c = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut c)
        .await
        .expect("keys");
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut c)
            .await
            .expect("del");
    }
}
