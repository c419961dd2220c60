//! Node.js scripts the tests run (the official `socket.io-client` in `tests/js`, the browser
//! scripts in `tests/browser`): the one place that checks Node is there, installs a kit's
//! pinned packages once per test process, and runs a script with a JSON config and reads its
//! report. Needs `node` and `npm` (Debian: `apt-get install nodejs npm`).

use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use tokio::{process::Command, sync::OnceCell};
use uuid::Uuid;

const INSTALL_TIMEOUT: Duration = Duration::from_secs(180);

/// A folder of scripts with its own `package.json`.
pub struct Kit {
    /// The folder, from the repository's root.
    dir: &'static str,
    /// The packages its scripts import: all of them there, or `npm ci` again (a copy
    /// installed before one was added is redone).
    packages: &'static [&'static str],
    /// Set once installed, so parallel tests don't race `npm ci`.
    ready: OnceCell<()>,
}

/// The official socket.io-client (`tests/js`).
pub static CLIENT: Kit = Kit {
    dir: "tests/js",
    packages: &["socket.io-client"],
    ready: OnceCell::const_new(),
};

/// The browser scripts (`tests/browser`), playwright-core driving Debian's Chromium.
pub static BROWSER: Kit = Kit {
    dir: "tests/browser",
    packages: &["playwright-core", "jsqr", "pngjs"],
    ready: OnceCell::const_new(),
};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary file that is removed when dropped, even if the test panics.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Kit {
    /// Node.js runs and the kit's packages are installed (once per test process).
    async fn ensure(&self) {
        self.ready
            .get_or_init(|| async {
                let node = Command::new("node").arg("--version").output().await;
                assert!(
                    node.as_ref().is_ok_and(|o| o.status.success()),
                    "these tests run Node.js, but `node` did not run ({node:?}): install \
                     Node.js and npm (Debian: `apt-get install nodejs npm`)"
                );
                if self.packages.iter().all(|p| {
                    root()
                        .join(format!("{}/node_modules/{p}/package.json", self.dir))
                        .exists()
                }) {
                    return;
                }
                let out = tokio::time::timeout(
                    INSTALL_TIMEOUT,
                    Command::new("npm")
                        .args(["ci", "--prefix", self.dir, "--no-audit", "--no-fund"])
                        // playwright-core downloads nothing by itself; this says so to any script.
                        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
                        .current_dir(root())
                        .kill_on_drop(true)
                        .output(),
                )
                .await
                .unwrap_or_else(|_| panic!("`npm ci --prefix {}` takes over 3 minutes", self.dir))
                .expect("npm runs: install Node.js and npm (Debian: `apt-get install nodejs npm`)");
                assert!(
                    out.status.success(),
                    "`npm ci --prefix {}` failed:\n{}\n{}",
                    self.dir,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            })
            .await;
    }

    /// Runs `node <kit>/<script> <config.json>` with `config`, allowed `timeout` (the scripts
    /// give up by themselves before it). The script must exit 0 and end its output with a
    /// JSON report saying `"ok": true`; returns the report.
    pub async fn run(&self, script: &str, config: &Value, timeout: Duration) -> Value {
        self.ensure().await;
        let file = TempFile(
            std::env::temp_dir().join(format!("vg-node-{}.json", Uuid::new_v4().simple())),
        );
        std::fs::write(&file.0, config.to_string()).expect("write config");
        let out = tokio::time::timeout(
            timeout,
            Command::new("node")
                .arg(format!("{}/{script}", self.dir))
                .arg(&file.0)
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
                .current_dir(root())
                .stdin(Stdio::null())
                .kill_on_drop(true)
                .output(),
        )
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish within {timeout:?}"))
        .expect("node runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{script} failed ({}):\nstderr: {stderr}\nstdout: {stdout}",
            out.status
        );
        let report: Value = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| panic!("no JSON report from {script}: {stdout}\nstderr: {stderr}"));
        assert_eq!(report["ok"], true, "{report}");
        report
    }
}
