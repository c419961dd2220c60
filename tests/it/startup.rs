//! The real binary refuses to start when it would sign tokens with the public development
//! secret outside development and test: an unknown `APP_ENV` (a typo such as `prod`) or
//! production without a strong `JWT_SECRET`.

use crate::common::database_url;
use sqlx::PgPool;
use std::{process::Stdio, time::Duration};
use tokio::process::Command;

/// Runs the server binary with only `vars` set (and nothing from a `.env`); returns its exit
/// code and standard error, or panics if it is still running after 10 s (it started).
async fn start_with(pool: &PgPool, vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("vg-start-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_voting-game"));
    cmd.env_clear()
        .current_dir(&dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url(pool))
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env(
            "REDIS_PREFIX",
            format!("test:{}:", uuid::Uuid::new_v4().simple()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("server binary");
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("the server started with {vars:?}; it must refuse"))
        .expect("wait");
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[sqlx::test]
async fn a_typo_in_app_env_refuses_to_start_instead_of_using_the_development_secret(pool: PgPool) {
    for env in ["prod", "staging"] {
        let (code, stderr) = start_with(&pool, &[("APP_ENV", env)]).await;
        assert_eq!(code, Some(2), "{env}: {stderr}");
        assert!(stderr.contains("APP_ENV"), "{env}: {stderr}");
    }
}

#[sqlx::test]
async fn production_refuses_to_start_without_a_strong_secret(pool: PgPool) {
    let (code, stderr) = start_with(&pool, &[("APP_ENV", "production")]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");
    let (code, stderr) = start_with(
        &pool,
        &[("APP_ENV", "production"), ("JWT_SECRET", "too-short")],
    )
    .await;
    assert_eq!(code, Some(2), "{stderr}");
}
