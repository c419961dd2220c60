//! Polls close themselves at `expires_at`. Every node runs this sweep; the close is one
//! `UPDATE … WHERE status = 'open' AND expires_at <= now()` with its audit entries in the same
//! transaction, and rows taken `FOR UPDATE SKIP LOCKED`, so each poll is closed exactly once
//! across nodes, with nobody connected, and after any restart (the deadline is the row itself).
//! Votes never wait for this: a poll past its expiry refuses them already (`domain::poll`).
//!
//! Why not the game's Redis deadline index: a poll's deadline is already a Postgres column with
//! a partial index on open polls, so the poll is one cheap indexed query per node per period,
//! and there is no second copy of the deadline to lose in a Redis flush.

use chrono::Utc;
use serde_json::json;
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

use super::PollService;
use crate::{
    db::{
        self, DbError,
        audit::{self, Target},
    },
    error::Error,
};

/// How often the sweep looks: bounds how late a poll closes.
const PERIOD: Duration = Duration::from_millis(250);
/// Polls closed per transaction at most.
const BATCH: i64 = 100;

pub(crate) fn spawn(polls: Arc<PollService>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PERIOD);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => {}
            }
            if let Err(e) = polls.close_expired().await {
                e.report("poll expiry sweep");
            }
        }
    });
}

impl PollService {
    /// Closes the polls whose expiry has passed; returns how many this call closed.
    pub(crate) async fn close_expired(&self) -> Result<usize, Error> {
        let mut tx = self.db.begin().await.map_err(DbError::from)?;
        let closed = db::polls::close_expired(&mut tx, BATCH).await?;
        for id in &closed {
            audit::record(
                &mut tx,
                None,
                "poll_closed",
                Target::poll(*id),
                json!({"reason": "expired"}),
            )
            .await?;
        }
        tx.commit().await.map_err(DbError::from)?;
        if let Some(p) = self.publisher() {
            for id in &closed {
                if let Some(record) = db::polls::get(&self.db, *id).await? {
                    let counts = self.counts(*id).await?;
                    let view =
                        super::view::PollView::build(&record, &counts, Vec::new(), Utc::now());
                    p.updated(&view).await;
                }
            }
        }
        Ok(closed.len())
    }
}
