//! A short smoke of the load generator against a test server: a few rooms play whole games;
//! the generator must report no errors and no lost or duplicated updates. No timing is asserted
//! (that is the benchmark's job, in scripts/bench.sh).

use crate::common::{fresh_prefix, spawn_app_with, unlimited_config};
use serde_json::Value;
use sqlx::PgPool;
use tokio::process::Command;

#[sqlx::test]
async fn the_load_generator_plays_a_few_rooms_with_no_errors_or_lost_updates(pool: PgPool) {
    let app = spawn_app_with(pool, unlimited_config(&fresh_prefix())).await;
    let report =
        std::env::temp_dir().join(format!("loadgen-{}.json", uuid::Uuid::new_v4().simple()));
    let out = Command::new(crate::common::loadgen_bin())
        .args([
            "--server",
            &app.addr.to_string(),
            "--rooms",
            "3",
            "--players",
            "4",
            "--rounds",
            "2",
        ])
        .arg("--json")
        .arg(&report)
        .output()
        .await
        .expect("loadgen runs");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{table}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    let _ = std::fs::remove_file(&report);
    assert_eq!(r["errors"], 0, "{r}");
    assert_eq!(r["lost_updates"], 0, "{r}");
    assert_eq!(r["duplicated_updates"], 0, "{r}");
    assert_eq!(r["games_finished"], 3, "{r}");
    assert_eq!(r["connections"], 12);
    // 3 rooms × 2 rounds × 4 votes, each delivered to the 4 members.
    assert_eq!(r["votes"], 24);
    assert_eq!(r["updates_delivered"], 96);
    assert!(table.contains("vote→update ms"));
}
