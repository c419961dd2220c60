//! Server-owned deadlines. Every node polls the shared deadline index and ends the phases that
//! are due; each room's compare-and-swap (see `pipeline.rs`) lets exactly one node's tick change
//! the room, so a phase ends on time and exactly once as long as any node is alive. The same
//! loop hands over rooms whose host has been away past the grace period.

use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

use super::GameService;
use crate::{domain::Command, error::Error};

/// Rooms handled per poll at most (deadlines, hand-overs and the sweep alike).
const BATCH: usize = 64;
/// How often Postgres is asked for phases past their deadline that Redis forgot (after a flush
/// or restart), and how overdue they must be, so the normal path always gets there first.
const SWEEP_EVERY: u32 = 20;
/// Hosts gone past their grace period are looked for every half second.
const HOST_CHECK_EVERY: u32 = 5;
const SWEEP_GRACE: Duration = Duration::from_secs(1);
/// Rooms whose deadline or hand-over is handled at once by one node.
const ROOMS_AT_ONCE: usize = 16;
/// How long one room's tick or hand-over may take before the timer stops waiting for it.
const ROOM_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a room whose tick failed waits before the deadline index offers it again.
const TICK_RETRY: Duration = Duration::from_secs(1);

/// Polls every `poll` (`Config::deadline_poll`): that bounds how late a phase can end.
pub(crate) fn spawn(
    game: Arc<GameService>,
    poll: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(poll);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut polls: u32 = 0;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = interval.tick() => {}
            }
            polls = polls.wrapping_add(1);
            let mut due = match game.due_rooms(BATCH).await {
                Ok(due) => due,
                Err(e) => {
                    e.report("deadline poll");
                    Vec::new()
                }
            };
            if polls.is_multiple_of(HOST_CHECK_EVERY) {
                match game.hosts_gone(BATCH).await {
                    Ok(codes) => {
                        each_room(codes, "host hand-over", |code| {
                            let game = Arc::clone(&game);
                            async move { game.host_timeout(&code).await }
                        })
                        .await;
                    }
                    Err(e) => e.report("host hand-over poll"),
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
                    Err(e) => e.report("overdue sweep"),
                }
            }
            let failed = each_room(due, "deadline tick", |code| {
                let game = Arc::clone(&game);
                async move { game.tick(&code).await.map(|_| ()) }
            })
            .await;
            // A room whose tick keeps failing steps back in the queue, so it does not take
            // a place in every poll's batch ahead of rooms that can move on.
            for code in failed {
                if let Err(e) = game.defer_deadline(&code, TICK_RETRY).await {
                    e.report("deadline deferral");
                }
            }
        }
    })
}

/// Runs `f` for each room, several at once and each for at most `ROOM_TIMEOUT`, so that one
/// room whose action hangs or keeps failing never holds up the others' deadlines. Returns the
/// rooms for which it failed or timed out.
async fn each_room<F, Fut>(codes: Vec<String>, what: &'static str, f: F) -> Vec<String>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    use futures::StreamExt;
    futures::stream::iter(codes)
        .map(|code| {
            let run = f(code.clone());
            async move {
                match tokio::time::timeout(ROOM_TIMEOUT, run).await {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => {
                        e.report(what);
                        Some(code)
                    }
                    Err(_) => {
                        tracing::warn!(%code, what, "timed out");
                        Some(code)
                    }
                }
            }
        })
        .buffer_unordered(ROOMS_AT_ONCE)
        .filter_map(|failed| async move { failed })
        .collect()
        .await
}

impl GameService {
    /// Codes of rooms whose phase deadline has passed, at most `limit`, oldest first.
    pub async fn due_rooms(&self, limit: usize) -> Result<Vec<String>, Error> {
        Ok(self.store.due_rooms(chrono::Utc::now(), limit).await?)
    }

    /// Offers room `code` to the deadline timers again only after `wait` (if it is still due).
    pub(crate) async fn defer_deadline(&self, code: &str, wait: Duration) -> Result<(), Error> {
        let at = chrono::Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        Ok(self.store.defer_deadline(code, at).await?)
    }

    /// Rooms whose running phase Postgres says is overdue by more than `grace`: the ones whose
    /// deadline Redis may have lost (a flush or restart).
    pub async fn overdue_rooms(&self, grace: Duration) -> Result<Vec<String>, Error> {
        let limit = i64::try_from(BATCH).unwrap_or(i64::MAX);
        Ok(crate::db::rounds::overdue_rooms(&self.db, grace, limit).await?)
    }

    /// Ends whatever phase of `code` is past its deadline; called by the timer on every node,
    /// and the compare-and-swap makes it happen exactly once.
    pub async fn tick(&self, code: &str) -> Result<Vec<crate::domain::Event>, Error> {
        match self
            .execute(code, move |_, now| Ok(Command::Tick { now }))
            .await
        {
            Ok(out) => Ok(out.events),
            Err(Error::NotFound(..)) => {
                self.store.clear_deadline(code).await?;
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }
}
