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

pub fn spawn(game: Arc<GameService>, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(POLL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = interval.tick() => {}
            }
            let due = match game.store().due_rooms(Utc::now(), BATCH).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "deadline poll failed");
                    continue;
                }
            };
            for code in due {
                if let Err(e) = game.tick(&code).await {
                    tracing::warn!(%code, error = %e, "ending a phase at its deadline failed");
                }
            }
        }
    })
}
