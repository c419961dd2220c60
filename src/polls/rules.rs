//! Polls' rules held in this process for the vote path (issue 23): a vote no longer reads its
//! poll from Postgres before it is cast. What is held is the poll as an anonymous reader
//! reads it (`db::polls::get`: status, options, limits, kind, expiry, and what an answer
//! shows); a vote's answer takes the voter's likes from the ballot's own call.
//!
//! Cached rules can be stale (an edit on another node), so they are only ever a first check:
//! - the database stays the authority: `cast_ballots` checks every ballot on the poll as it
//!   is now, under the poll row's lock, so a vote racing a close, an option's removal or a
//!   cut of the choices is refused there, never accepted on stale rules;
//! - stale rules never refuse: a vote they would refuse reads the poll afresh and is checked
//!   again (an option added on another node is votable at once);
//! - every ballot's answer carries the poll's `updated_at` (every edit moves it): rules older
//!   than that are dropped and read again before the answer is built, so a voter is never
//!   shown a poll older than the one their ballot was checked against, and one vote after an
//!   edit on any node is enough to bring this node up to date;
//! - this node's own edits, status changes, expiries and deletions drop the entry at once.
//!
//! Entries also expire after `MAX_AGE`, which bounds what an idle node holds of a poll that
//! changed elsewhere, and the map is bounded (`CAPACITY`).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use uuid::Uuid;

use crate::db::polls::PollRecord;

/// How long a poll's rules are used without a vote confirming them.
const MAX_AGE: Duration = Duration::from_secs(60);
/// Polls held at most; beyond that the map starts over (a vote then reads its poll once).
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub(crate) struct Rules {
    entries: Mutex<HashMap<Uuid, (Arc<PollRecord>, Instant)>>,
}

impl Rules {
    /// Each operation is one short critical section, so a poisoned lock still guards
    /// consistent data and is taken over.
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<Uuid, (Arc<PollRecord>, Instant)>) -> R) -> R {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut entries)
    }

    pub(crate) fn get(&self, poll: Uuid) -> Option<Arc<PollRecord>> {
        self.with(|e| match e.get(&poll) {
            Some((r, at)) if at.elapsed() < MAX_AGE => Some(Arc::clone(r)),
            _ => None,
        })
    }

    /// Holds `record`, unless a newer one of the poll is held already (two reads racing).
    pub(crate) fn put(&self, record: &Arc<PollRecord>) {
        self.with(|e| {
            if e.len() >= CAPACITY && !e.contains_key(&record.poll.id) {
                e.clear();
            }
            let newer = e
                .get(&record.poll.id)
                .is_some_and(|(r, _)| r.poll.updated_at > record.poll.updated_at);
            if !newer {
                e.insert(record.poll.id, (Arc::clone(record), Instant::now()));
            }
        });
    }

    pub(crate) fn forget(&self, poll: Uuid) {
        self.with(|e| e.remove(&poll));
    }
}
