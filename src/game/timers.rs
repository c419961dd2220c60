//! Server-owned deadlines. Every node polls the shared deadline index and ends the phases that
//! are due; the compare-and-swap in `GameService::execute` lets exactly one of them win, so a
//! phase ends on time and exactly once as long as any node is alive.

use chrono::Utc;
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

use super::GameService;

/// Poll period: bounds how late a phase can end (the contract allows 500 ms).
pub const POLL: Duration = Duration::from_millis(100);
const BATCH: usize = 64;
/// How often Postgres is asked for phases past their deadline that Redis forgot (after a flush
/// or restart), and how overdue they must be, so the normal path always gets there first.
const SWEEP_EVERY: u32 = 20;
/// Hosts gone past their grace period are looked for every half second.
const HOST_CHECK_EVERY: u32 = 5;
const SWEEP_GRACE: Duration = Duration::from_secs(1);

pub fn spawn(game: Arc<GameService>, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(POLL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut polls: u32 = 0;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = interval.tick() => {}
            }
            polls = polls.wrapping_add(1);
            let mut due = match game.store().due_rooms(Utc::now(), BATCH).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "deadline poll failed");
                    Vec::new()
                }
            };
            if polls.is_multiple_of(HOST_CHECK_EVERY) {
                match game.store().hosts_gone(Utc::now(), BATCH).await {
                    Ok(codes) => {
                        for code in codes {
                            if let Err(e) = game.host_timeout(&code).await {
                                tracing::warn!(%code, error = %e, "host hand-over failed");
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "host hand-over poll failed"),
                }
            }
            if polls.is_multiple_of(SWEEP_EVERY) {
                match game.overdue_rooms(SWEEP_GRACE).await {
                    Ok(overdue) => {
                        for code in overdue {
                            if !due.contains(&code) {
                                due.push(code);
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "overdue sweep failed"),
                }
            }
            for code in due {
                if let Err(e) = game.tick(&code).await {
                    tracing::warn!(%code, error = %e, "ending a phase at its deadline failed");
                }
            }
        }
    })
}
