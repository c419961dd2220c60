//! A read replica (`DATABASE_READ_URL`) that really replicates: a private primary and a hot
//! standby fed by streaming replication (`PrivatePostgres::start_replica`). Replay is paused on
//! the standby, so what the lists show and what the caller's own reads show must differ if the
//! routing is right: lists, search, trending, others' profiles, site stats read the replica and
//! do not show a poll made meanwhile; the creator's `GET /api/polls/{id}`, `/api/me/*`, own list
//! and own profile read the primary and show it at once. Once replay resumes the lists catch
//! up; with the standby stopped, lists fall back to the primary rather than fail.

use crate::common::{
    Player, TestApp, api::poll_id, eventually, pg_server::PrivatePostgres, spawn_app_with,
    unlimited_config,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::sync::Arc;

fn ids(page: &Value, key: &str) -> Vec<String> {
    page[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {page}"))
        .iter()
        .map(|p| {
            let p = if key == "votes" { &p["poll"] } else { p };
            p["id"].as_str().expect("id").to_string()
        })
        .collect()
}

/// Whether the list at `path`, read by `who`, has the poll `id`.
async fn lists(app: &TestApp, who: Option<&Player>, path: &str, id: &str) -> bool {
    let (s, b) = app.get(who, path).await;
    assert_eq!(s, StatusCode::OK, "{path}: {b}");
    ids(&b, "polls").iter().any(|p| p == id)
}

async fn polls_created(app: &TestApp, who: &Player, of: &Player) -> i64 {
    let (s, b) = app.get(Some(who), &format!("/api/users/{}", of.id)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["user"]["polls_created"].as_i64().expect("polls_created")
}

/// Whether the standby has replayed everything the primary had written when this was asked.
async fn caught_up(primary: &PgPool, standby: &PgPool) -> bool {
    let written: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(primary)
        .await
        .expect("primary lsn");
    sqlx::query_scalar("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn")
        .bind(written)
        .fetch_one(standby)
        .await
        .expect("standby lsn")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_read_the_replica_and_the_callers_own_reads_the_primary() {
    let (primary_pg, standby_pg) = tokio::task::spawn_blocking(|| {
        let primary = PrivatePostgres::start();
        let standby = primary.start_replica();
        (primary, standby)
    })
    .await
    .expect("a primary and its standby");
    let mut config = unlimited_config(&crate::common::fresh_prefix());
    config.database_url = primary_pg.url("postgres");
    config.database_read_url = Some(standby_pg.url("postgres"));
    let primary = voting_game::db::pool(&config.database_url).expect("pool");
    let standby = voting_game::db::pool(&standby_pg.url("postgres")).expect("pool");
    let app = spawn_app_with(primary.clone(), config).await;

    let ann = app.register("Ann").await;
    let bob = app.register("Bob").await;
    let before = app
        .create_poll(
            &ann,
            json!({"question": "Before?", "options": ["Yes", "No"]}),
        )
        .await;
    let before = poll_id(&before);
    // The schema (migrated on the primary only), the accounts and the first poll reach it.
    eventually("the standby to catch up", || async {
        caught_up(&primary, &standby).await.then_some(())
    })
    .await;
    assert!(lists(&app, None, "/api/polls", &before).await);
    let (s, stats) = app.get(None, "/api/polls/stats").await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    assert_eq!(stats["polls"], 1, "{stats}");

    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&standby)
        .await
        .expect("pause replay");
    eventually("replay to pause", || async {
        let state: String = sqlx::query_scalar("SELECT pg_get_wal_replay_pause_state()")
            .fetch_one(&standby)
            .await
            .expect("pause state");
        (state == "paused").then_some(())
    })
    .await;

    let poll = app
        .create_poll(
            &ann,
            json!({"question": "Replicated yet?", "options": ["Yes", "No"]}),
        )
        .await;
    let id = poll_id(&poll);
    let option = poll["options"][0]["id"].clone();
    let (s, b) = app.vote(&bob, &id, json!([option])).await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // The primary, at once: the poll itself (creator and voter), the creator's own list and
    // profile and audit, the voter's votes.
    for who in [&ann, &bob] {
        let (s, b) = app.get_poll(who, &id).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["poll"]["voters"], 1, "{b}");
    }
    assert!(
        lists(
            &app,
            Some(&ann),
            &format!("/api/users/{}/polls", ann.id),
            &id
        )
        .await
    );
    assert!(
        lists(
            &app,
            Some(&ann),
            &format!("/api/polls?creator={}", ann.id),
            &id
        )
        .await
    );
    assert_eq!(polls_created(&app, &ann, &ann).await, 2);
    let (s, audit) = app.get(Some(&ann), "/api/me/audit").await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    assert!(
        audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["action"] == "poll_created" && e["target_id"] == id.as_str()),
        "{audit}"
    );
    let (s, votes) = app.get(Some(&bob), "/api/me/votes").await;
    assert_eq!(s, StatusCode::OK, "{votes}");
    assert_eq!(ids(&votes, "votes"), vec![id.clone()], "{votes}");

    // The replica, paused: every list and count is as before the poll, whoever asks.
    for path in [
        "/api/polls",
        "/api/polls/recent",
        "/api/polls/trending",
        "/api/polls/popular",
        "/api/polls/search?q=replicated",
        &format!("/api/users/{}/polls", ann.id),
    ] {
        for who in [None, Some(&ann), Some(&bob)] {
            let own_list = who.is_some_and(|w| w.id == ann.id) && path.contains("/users/");
            if !own_list {
                assert!(
                    !lists(&app, who, path, &id).await,
                    "{path} shows it already"
                );
                assert!(
                    path.contains("search") || lists(&app, who, path, &before).await,
                    "{path}"
                );
            }
        }
    }
    assert_eq!(polls_created(&app, &bob, &ann).await, 1);
    // Site stats are cached for up to a second per node.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, stats) = app.get(None, "/api/polls/stats").await;
    assert_eq!(stats["polls"], 1, "{stats}");

    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&standby)
        .await
        .expect("resume replay");
    eventually("the lists to show the poll", || async {
        lists(&app, Some(&bob), "/api/polls", &id)
            .await
            .then_some(())
    })
    .await;
    assert!(lists(&app, None, "/api/polls/search?q=replicated", &id).await);
    assert_eq!(polls_created(&app, &bob, &ann).await, 2);

    // The standby stopped: lists are the primary's, not a 503.
    let standby_pg = Arc::new(standby_pg);
    let stopping = Arc::clone(&standby_pg);
    tokio::task::spawn_blocking(move || stopping.stop_fast())
        .await
        .expect("pg_ctl stop");
    let (s, b) = app.get(None, "/api/polls").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(ids(&b, "polls").contains(&id), "{b}");
    for path in ["/api/categories", "/api/polls/stats", "/api/polls/trending"] {
        let (s, b) = app.get(Some(&bob), path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }
    assert_eq!(polls_created(&app, &bob, &ann).await, 2);
    drop(app);
    drop(primary_pg);
}
