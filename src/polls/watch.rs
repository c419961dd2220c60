//! Node-local watchers for the plain WebSocket (`GET /ws/polls/{id}`), which has no Socket.IO
//! adapter to carry changes from other nodes. One loop per node serves every watched poll, so
//! what watching costs does not grow with the number of polls or of watchers:
//! - every 100 ms (the `poll_results` rate bound) it reads the cached counts' `seq` of all the
//!   watched polls in one Redis round trip;
//! - every second it reads the rows' `updated_at` of all of them in one Postgres query (an edit,
//!   a status change, an option added or removed all move it; a missing row is a deletion);
//! - a poll that changed is read once for all its watchers, with the ballots of the watchers who
//!   have one (`my_votes`) in one more query.
//!
//! Changes on any node show, since counts and rows live in the shared Redis and Postgres.

use chrono::Utc;
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, Weak},
    time::Duration,
};
use tokio::sync::watch;
use uuid::Uuid;

use super::{PollService, view::PollView};
use crate::db::{self, polls::PollRecord};

const COUNTS_EVERY: Duration = Duration::from_millis(100);
/// The rows are read every this many count looks.
const ROWS_EVERY: u32 = 10;

/// One state of a poll for all its watchers: the poll (with no `my_votes`), and each watching
/// voter's ballot by the key it is filed under.
#[derive(Debug, Clone)]
pub(crate) struct Update {
    pub poll: Arc<PollView>,
    /// The keys whose ballots were read with it, and the ballots among them.
    asked: Arc<HashSet<Uuid>>,
    ballots: Arc<HashMap<Uuid, Vec<Uuid>>>,
}

impl Update {
    /// The poll as the watcher whose ballot key is `voter` sees it; `None` for a watcher who
    /// arrived after it was read (their ballot was not asked for: the loop reads the poll again
    /// for them, rather than show them a `my_votes` that may be wrong).
    pub(crate) fn for_voter(&self, voter: Option<Uuid>) -> Option<PollView> {
        let mut poll = PollView::clone(&self.poll);
        if let Some(v) = voter {
            if !self.asked.contains(&v) {
                return None;
            }
            poll.my_votes = self.ballots.get(&v).cloned().unwrap_or_default();
        }
        Some(poll)
    }
}

/// What a watcher is told.
#[derive(Debug, Clone)]
pub(crate) enum Watched {
    Poll(Update),
    Deleted,
}

/// One watched poll on this node.
struct Watch {
    tx: watch::Sender<Option<Watched>>,
    /// How many of its watchers read their ballot under each key.
    voters: HashMap<Uuid, usize>,
    /// What was last sent: the counts' `seq` and the row it was built from.
    seq: Option<i64>,
    record: Option<PollRecord>,
}

#[derive(Default)]
pub struct Watchers {
    polls: Mutex<HashMap<Uuid, Watch>>,
    /// Whether the loop runs (it stops when nothing is watched, and the next watch starts it).
    running: std::sync::atomic::AtomicBool,
}

/// A watcher's receiver; dropping it lets the loop forget the watcher's ballot key.
pub(crate) struct Subscription {
    pub changes: watch::Receiver<Option<Watched>>,
    watchers: Weak<Watchers>,
    poll: Uuid,
    voter: Option<Uuid>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let (Some(voter), Some(w)) = (self.voter, self.watchers.upgrade()) else {
            return;
        };
        let mut polls = w.polls.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(watch) = polls.get_mut(&self.poll)
            && let Some(n) = watch.voters.get_mut(&voter)
        {
            *n -= 1;
            if *n == 0 {
                watch.voters.remove(&voter);
            }
        }
    }
}

impl Watchers {
    /// A subscription to `poll`'s changes for a watcher whose ballot is filed under `voter`.
    pub(crate) fn watch(
        self: &Arc<Self>,
        service: &Arc<PollService>,
        poll: Uuid,
        voter: Option<Uuid>,
    ) -> Subscription {
        let mut polls = self.polls.lock().unwrap_or_else(|e| e.into_inner());
        let entry = polls.entry(poll).or_insert_with(|| Watch {
            tx: watch::channel(None).0,
            voters: HashMap::new(),
            seq: None,
            record: None,
        });
        if let Some(v) = voter {
            *entry.voters.entry(v).or_default() += 1;
        }
        let changes = entry.tx.subscribe();
        // Decided under the map's lock, which the loop holds when it stops for want of polls.
        if !self.running.swap(true, std::sync::atomic::Ordering::SeqCst) {
            tokio::spawn(run(Arc::downgrade(self), Arc::downgrade(service)));
        }
        Subscription {
            changes,
            watchers: Arc::downgrade(self),
            poll,
            voter,
        }
    }

    /// The polls someone still watches, with their ballot keys; forgets the others. `None`
    /// when nothing is watched: the loop has then stopped.
    fn watched(&self) -> Option<Vec<(Uuid, Vec<Uuid>)>> {
        let mut polls = self.polls.lock().unwrap_or_else(|e| e.into_inner());
        polls.retain(|_, w| w.tx.receiver_count() > 0);
        if polls.is_empty() {
            self.running
                .store(false, std::sync::atomic::Ordering::SeqCst);
            return None;
        }
        Some(
            polls
                .iter()
                .map(|(id, w)| (*id, w.voters.keys().copied().collect()))
                .collect(),
        )
    }

    fn last(&self, poll: Uuid) -> (Option<i64>, Option<PollRecord>) {
        let polls = self.polls.lock().unwrap_or_else(|e| e.into_inner());
        polls
            .get(&poll)
            .map(|w| (w.seq, w.record.clone()))
            .unwrap_or_default()
    }

    fn send(&self, poll: Uuid, what: Watched, seq: Option<i64>, record: Option<PollRecord>) {
        let mut polls = self.polls.lock().unwrap_or_else(|e| e.into_inner());
        let deleted = matches!(what, Watched::Deleted);
        if let Some(w) = polls.get_mut(&poll) {
            // A watcher who arrived while this was read is read for at the next look.
            let complete = match &what {
                Watched::Poll(u) => w.voters.keys().all(|v| u.asked.contains(v)),
                Watched::Deleted => true,
            };
            w.tx.send_replace(Some(what));
            w.seq = if complete { seq } else { None };
            w.record = record;
        }
        if deleted {
            polls.remove(&poll);
        }
    }
}

async fn run(watchers: Weak<Watchers>, service: Weak<PollService>) {
    let mut every = tokio::time::interval(COUNTS_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u32 = 0;
    loop {
        every.tick().await;
        let (Some(w), Some(s)) = (watchers.upgrade(), service.upgrade()) else {
            return;
        };
        let Some(watched) = w.watched() else {
            return;
        };
        let ids: Vec<Uuid> = watched.iter().map(|(id, _)| *id).collect();
        let Ok(seqs) = s.cache.seqs(&ids).await else {
            continue;
        };
        let rows = if ticks.is_multiple_of(ROWS_EVERY) {
            db::polls::updated_at(&s.db, &ids).await.ok()
        } else {
            None
        };
        ticks = ticks.wrapping_add(1);
        for ((poll, voters), seq) in watched.into_iter().zip(seqs) {
            let (last_seq, last_record) = w.last(poll);
            let row_moved = match (&rows, &last_record) {
                (Some(rows), Some(r)) => rows.get(&poll) != Some(&r.poll.updated_at),
                (Some(_), None) | (None, None) => true,
                (None, Some(_)) => false,
            };
            let counts_moved = seq.is_none() || seq != last_seq;
            if !row_moved && !counts_moved {
                continue;
            }
            if let Some(rows) = &rows
                && !rows.contains_key(&poll)
            {
                w.send(poll, Watched::Deleted, None, None);
                continue;
            }
            if let Ok(Some(update)) = read(&s, poll, &voters, row_moved, last_record).await {
                let (update, seq, record) = update;
                w.send(poll, Watched::Poll(update), Some(seq), Some(record));
            }
        }
    }
}

/// A poll's state for its watchers: the row (read again only when it moved), the counts, and
/// the watchers' ballots. `None`: the poll is gone (the next row look says so).
async fn read(
    s: &PollService,
    poll: Uuid,
    voters: &[Uuid],
    row_moved: bool,
    last: Option<PollRecord>,
) -> Result<Option<(Update, i64, PollRecord)>, crate::error::Error> {
    let record = match last {
        Some(r) if !row_moved => r,
        _ => match db::polls::get(&s.db, poll).await? {
            Some(r) => r,
            None => return Ok(None),
        },
    };
    let counts = s.counts(poll).await?;
    let asked: HashSet<Uuid> = voters.iter().copied().collect();
    let ballots = if asked.is_empty() {
        HashMap::new()
    } else {
        let keys: Vec<Uuid> = asked.iter().copied().collect();
        db::ballots::ballots_of(&s.db, poll, &keys)
            .await?
            .into_iter()
            .collect()
    };
    let view = PollView::build(&record, &counts, Vec::new(), Utc::now());
    let view = s.with_runoff(&record, view).await?;
    Ok(Some((
        Update {
            poll: Arc::new(view),
            asked: Arc::new(asked),
            ballots: Arc::new(ballots),
        },
        counts.seq,
        record,
    )))
}
