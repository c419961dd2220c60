//! A private Postgres cluster for tests that stop Postgres (the shared clusters serve every
//! other test in parallel, so they are never stopped): `initdb` into a temporary directory,
//! `pg_ctl start` on a free port, and `pg_ctl stop -m fast` as an administrator would, so that
//! pooled connections get "terminating connection due to administrator command" (57P01) and
//! new ones are refused. A cluster can also have a streaming replica (`start_replica`), for the
//! read-replica tests.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

pub struct PrivatePostgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

/// The newest installed server version's binaries (Debian's layout).
fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("Postgres is installed under /usr/lib/postgresql (scripts/services.sh)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions
        .pop()
        .expect("a Postgres server version with pg_ctl")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a Postgres binary; as root, as the `postgres` user (initdb and postgres refuse root).
fn run(bin: &Path, args: &[&str]) -> Output {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.args(args)
        .current_dir("/")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{} runs: {e}", bin.display()))
}

impl PrivatePostgres {
    /// A free port and an empty directory the server may own; nothing started.
    fn fresh() -> PrivatePostgres {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let dir = std::env::temp_dir().join(format!("vg-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        if is_root() {
            let status = Command::new("chown")
                .args(["postgres:", dir.to_str().expect("utf-8 path")])
                .status()
                .expect("chown");
            assert!(status.success(), "chown of {}", dir.display());
        }
        PrivatePostgres {
            port,
            dir,
            bin: bin_dir(),
        }
    }

    /// A streaming replica of this cluster, started as a hot standby on a port of its own:
    /// `pg_basebackup -R -X stream` (initdb's `pg_hba.conf` already trusts `replication` from
    /// 127.0.0.1 when `--auth=trust`, and `wal_level=replica` and `max_wal_senders=10` are
    /// the defaults), then `pg_ctl start`; it follows the primary from then on.
    pub fn start_replica(&self) -> PrivatePostgres {
        let standby = PrivatePostgres::fresh();
        let port = self.port.to_string();
        let out = run(
            &standby.bin.join("pg_basebackup"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                standby.data().to_str().expect("utf-8"),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "pg_basebackup: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        standby.pg_start();
        standby
    }

    /// Creates and starts a fresh cluster (trust authentication for `postgres` on 127.0.0.1).
    pub fn start() -> PrivatePostgres {
        let pg = PrivatePostgres::fresh();
        let out = run(
            &pg.bin.join("initdb"),
            &[
                "-D",
                pg.data().to_str().expect("utf-8"),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.pg_start();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the stopped cluster again and waits until it accepts connections.
    pub fn pg_start(&self) {
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log");
        let out = run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                self.data().to_str().expect("utf-8"),
                "-l",
                log.to_str().expect("utf-8"),
                "-o",
                &opts,
                "-w",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {} {}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// `pg_ctl stop -m fast`: every session is terminated (57P01), the server goes away.
    pub fn stop_fast(&self) {
        self.stop("fast");
    }

    fn stop(&self, mode: &str) {
        let out = run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                self.data().to_str().expect("utf-8"),
                "-m",
                mode,
                "-w",
                "stop",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        // Best effort: the cluster may already be stopped.
        let _ = run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                self.data().to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
