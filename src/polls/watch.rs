//! Node-local watchers for the plain WebSocket (`GET /ws/polls/{id}`), which has no Socket.IO
//! adapter to carry changes from other nodes: while anyone on this node watches a poll, one task
//! per poll looks at its cached counts' sequence every 100 ms (the `poll_results` rate bound)
//! and at the poll row every second, and hands every watcher the poll when either changed.
//! Changes on any node show, since both live in the shared Redis and Postgres.

use chrono::{DateTime, Utc};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};
use tokio::sync::watch;
use uuid::Uuid;

use super::{PollService, view::PollView};
use crate::db;

const COUNTS_EVERY: Duration = Duration::from_millis(100);
/// The row (edits, status, deletion) is read every this many count looks.
const ROW_EVERY: u32 = 10;

/// What a watcher is told.
#[derive(Debug, Clone)]
pub(crate) enum Watched {
    Poll(Box<PollView>),
    Deleted,
}

#[derive(Default)]
pub struct Watchers {
    polls: Mutex<HashMap<Uuid, watch::Sender<Option<Watched>>>>,
}

impl Watchers {
    /// A receiver of `poll`'s changes, starting its watch task if it has none on this node.
    pub(crate) fn watch(
        self: &Arc<Self>,
        service: &Arc<PollService>,
        poll: Uuid,
    ) -> watch::Receiver<Option<Watched>> {
        let mut polls = self.polls.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = polls.get(&poll) {
            return tx.subscribe();
        }
        let (tx, rx) = watch::channel(None);
        polls.insert(poll, tx.clone());
        tokio::spawn(run(Arc::downgrade(self), Arc::downgrade(service), poll, tx));
        rx
    }

    fn done(&self, poll: Uuid) -> bool {
        let mut polls = self.polls.lock().unwrap_or_else(|e| e.into_inner());
        let idle = polls.get(&poll).is_none_or(|tx| tx.receiver_count() == 0);
        if idle {
            polls.remove(&poll);
        }
        idle
    }
}

async fn run(
    watchers: Weak<Watchers>,
    service: Weak<PollService>,
    poll: Uuid,
    tx: watch::Sender<Option<Watched>>,
) {
    let mut every = tokio::time::interval(COUNTS_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut seq, mut updated): (i64, Option<DateTime<Utc>>) = (i64::MIN, None);
    let mut ticks: u32 = 0;
    loop {
        every.tick().await;
        let (Some(w), Some(s)) = (watchers.upgrade(), service.upgrade()) else {
            return;
        };
        if tx.receiver_count() == 0 && w.done(poll) {
            return;
        }
        let now_seq = match s.cache.get(poll).await {
            Ok(Some(c)) => c.seq,
            _ => seq,
        };
        let look_at_row = ticks.is_multiple_of(ROW_EVERY) || now_seq != seq;
        ticks = ticks.wrapping_add(1);
        if !look_at_row {
            continue;
        }
        let record = match db::polls::get(&s.db, poll).await {
            Ok(r) => r,
            Err(_) => continue,
        };
        let Some(record) = record else {
            tx.send_replace(Some(Watched::Deleted));
            w.done(poll);
            return;
        };
        if now_seq == seq && Some(record.poll.updated_at) == updated {
            continue;
        }
        let Ok(counts) = s.counts(poll).await else {
            continue;
        };
        seq = counts.seq;
        updated = Some(record.poll.updated_at);
        let view = PollView::build(&record, &counts, Vec::new(), Utc::now());
        tx.send_replace(Some(Watched::Poll(Box::new(view))));
    }
}
