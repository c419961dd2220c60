//! Polls close themselves at `expires_at`. Open polls with an expiry are in a Redis sorted set
//! (`{prefix}poll_expiries`, kept by the service after each commit); every node looks at it
//! every 250 ms and closes the due polls with one `UPDATE … WHERE status = 'open' AND
//! expires_at <= now()` over rows taken `FOR UPDATE SKIP LOCKED`, audit entries in the same
//! transaction, so each poll closes exactly once across nodes, with nobody connected. Postgres,
//! where the deadline really lives, is swept every minute for what the index lost (a Redis flush or
//! restart), so a poll still closes, a little late at worst.
//! Votes never wait for this: a poll past its expiry refuses them already (`domain::poll`).
//!
//! The index keeps Postgres quiet when nothing is due (one Redis call per node per period).

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
    domain::poll::notice,
    error::Error,
    webhooks::{Event, outbox as webhooks},
};

/// How often the sweep looks: bounds how late a poll closes.
const PERIOD: Duration = Duration::from_millis(250);
/// Polls closed per transaction at most.
const BATCH: i64 = 100;
/// Postgres itself is swept every this many periods (a minute): only what the index lost is
/// left for it. (Sweeping Postgres often from every node is load for nothing, and in the tests
/// a background query at the moment a test's database is dropped made the harness time out.)
const SWEEP_EVERY: u32 = 240;

pub(crate) fn spawn(polls: Arc<PollService>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PERIOD);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks: u32 = 0;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => {}
            }
            ticks = ticks.wrapping_add(1);
            let sweep = ticks.is_multiple_of(SWEEP_EVERY);
            if let Err(e) = polls.close_expired(sweep).await {
                e.report("poll expiry sweep");
            }
        }
    });
}

impl PollService {
    /// Closes the polls whose expiry has passed: those the index says are due, or (`sweep`)
    /// any in Postgres. Returns how many this call closed.
    pub(crate) async fn close_expired(&self, sweep: bool) -> Result<usize, Error> {
        let due = if sweep {
            None
        } else {
            let due = self
                .cache
                .due_expiries(Utc::now(), usize::try_from(BATCH).unwrap_or(100))
                .await?;
            if due.is_empty() {
                return Ok(0);
            }
            Some(due)
        };
        let mut tx = self.db.begin().await.map_err(DbError::from)?;
        let closed = db::polls::close_expired(&mut tx, due.as_deref(), BATCH).await?;
        for id in &closed {
            audit::record(
                &mut tx,
                None,
                "poll_closed",
                Target::poll(*id),
                json!({"reason": "expired"}),
            )
            .await?;
            webhooks::poll_event(&mut tx, *id, Event::PollClosed).await?;
        }
        tx.commit().await.map_err(DbError::from)?;
        // Due entries leave the index whether this node closed them or another did (or the
        // poll was closed or deleted meanwhile); a moved expiry was re-added with its new time.
        for id in due.iter().flatten().chain(closed.iter()) {
            self.cache.schedule_expiry(*id, None).await?;
        }
        if let Some(p) = self.publisher() {
            for id in &closed {
                if let Some(record) = db::polls::get(&self.db, *id).await? {
                    let counts = self.counts(*id).await?;
                    let view =
                        super::view::PollView::build(&record, &counts, Vec::new(), Utc::now());
                    let mut view = self.with_runoff(&record, view).await?;
                    // As anyone sees it: the likes read with the record (by no reader).
                    view.likes = record.likes;
                    let creator = notice::after_change(record.state(false).status_at(Utc::now()));
                    p.updated(&view, creator).await;
                }
            }
        }
        Ok(closed.len())
    }
}
