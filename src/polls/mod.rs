//! Polls: coordination, no rules. Each action loads the poll from Postgres, asks
//! `domain::poll` to decide, writes the change and its audit entry in one transaction, keeps
//! the Redis counts (`store::poll_cache`) exact, and publishes what changed.
//!
//! - `service`: polls themselves (create, read, edit, delete, status changes); `options`: their
//!   options.
//! - `votes`: voting, withdrawing, results, and the counts (cached or rebuilt); `ranked`: a
//!   ranked poll's instant runoff in every body that shows results; `ballot_box`: ballots
//!   group-committed; `rules`: polls' rules held in the process for the vote path; `answers`:
//!   a text poll's answers, their moderation and its results.
//! - `catalog`: categories and audit reads. `expiry`: the sweep that closes expired polls.
//! - `discovery`: lists, search, trending and likes (issue 12).
//! - `stats`: poll and site statistics, the view counter, the feed's first page.
//! - `watch`: node-local change watchers for the plain WebSocket.
//! - `view`: the read models. `publisher`: the live transport.

pub(crate) mod answers;
pub(crate) mod ballot_box;
pub(crate) mod catalog;
pub(crate) mod discovery;
pub(crate) mod expiry;
pub(crate) mod options;
pub(crate) mod publisher;
mod ranked;
pub(crate) mod rules;
pub(crate) mod service;
pub(crate) mod stats;
pub(crate) mod view;
pub(crate) mod votes;
pub(crate) mod watch;

pub(crate) use publisher::PollPublisher;
pub(crate) use service::PollService;

/// Which per-account budget a write spends (`PollService::spend`, `service::WriteLimits`).
/// Here rather than in `service.rs` because writes in several files spend them, and
/// `discovery.rs` would otherwise import `service.rs`, which imports it back.
#[derive(Debug, Clone, Copy)]
enum Spend {
    Poll,
    Write,
}

/// Runs `flush` every `period` and once more at shutdown: the loop behind the counters that
/// are buffered in memory and written to Postgres in one statement (activity, views). A failed
/// flush is reported; the buffer decides what it keeps for the next one.
fn flush_every<F, Fut>(
    period: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
    what: &'static str,
    flush: F,
) where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), crate::error::Error>> + Send,
{
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let stop = tokio::select! {
                () = shutdown.cancelled() => true,
                _ = every.tick() => false,
            };
            if let Err(e) = flush().await {
                e.report(what);
            }
            if stop {
                break;
            }
        }
    });
}
