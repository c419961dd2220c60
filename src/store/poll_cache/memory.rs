//! The results cache in this process, for a single node (`REDIS_URL=memory`): the Redis
//! cache's operations with the same meaning (a missing entry is never patched, a rebuild never
//! moves `seq` back, slots and entries expire), without a round trip per vote.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};
use uuid::Uuid;

use super::{COUNTS_TTL_SECS, Counts, ResultsCache};
use crate::domain::poll::vote::Delta;
use crate::store::StoreError;

const COUNTS_TTL: Duration = Duration::from_secs(COUNTS_TTL_SECS as u64);

#[derive(Default)]
struct State {
    counts: HashMap<Uuid, (Counts, Instant)>,
    /// Rate slots: held until the instant.
    slots: HashMap<(Uuid, String), Instant>,
    /// Open polls' expiries, ms since the epoch.
    expiries: HashMap<Uuid, i64>,
    /// The largest `seq` handed out by a rebuild, so the next one is larger still.
    last_install: i64,
    /// When expired counts and slots were last dropped.
    purged: Option<Instant>,
}

/// How often expired entries are dropped (they are already invisible to readers).
const PURGE_EVERY: Duration = Duration::from_secs(10);

#[derive(Default)]
pub(crate) struct MemoryCache {
    state: Mutex<State>,
}

impl MemoryCache {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Each operation is one short critical section, so a poisoned lock still guards
    /// consistent data and is taken over.
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut state)
    }
}

#[async_trait]
impl ResultsCache for MemoryCache {
    async fn get(&self, poll: Uuid) -> Result<Option<Counts>, StoreError> {
        let now = Instant::now();
        Ok(self.with(|s| {
            s.counts
                .get(&poll)
                .filter(|(_, until)| *until > now)
                .map(|(c, _)| c.clone())
        }))
    }

    async fn seqs(&self, polls: &[Uuid]) -> Result<Vec<Option<i64>>, StoreError> {
        let now = Instant::now();
        Ok(self.with(|s| {
            polls
                .iter()
                .map(|poll| {
                    s.counts
                        .get(poll)
                        .filter(|(_, until)| *until > now)
                        .map(|(c, _)| c.seq)
                })
                .collect()
        }))
    }

    async fn apply(&self, poll: Uuid, delta: &Delta) -> Result<Option<Counts>, StoreError> {
        let now = Instant::now();
        Ok(self.with(|s| {
            let (counts, until) = s.counts.get_mut(&poll).filter(|(_, u)| *u > now)?;
            counts.add(delta);
            *until = now + COUNTS_TTL;
            Some(counts.clone())
        }))
    }

    async fn install(
        &self,
        poll: Uuid,
        options: &[(Uuid, i64)],
        voters: i64,
    ) -> Result<Counts, StoreError> {
        let now = Instant::now();
        let clock = Utc::now().timestamp_micros();
        Ok(self.with(|s| {
            // As the Redis script: `seq` continues from the clock, and never repeats one.
            let previous = s.counts.get(&poll).map_or(0, |(c, _)| c.seq);
            let seq = clock.max(previous + 1).max(s.last_install + 1);
            s.last_install = seq;
            let counts = Counts {
                options: options.iter().copied().collect(),
                voters,
                seq,
            };
            s.counts.insert(poll, (counts.clone(), now + COUNTS_TTL));
            counts
        }))
    }

    async fn take_slot(
        &self,
        poll: Uuid,
        what: &str,
        period: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        let now = Instant::now();
        Ok(self.with(|s| {
            let key = (poll, what.to_string());
            match s.slots.get(&key) {
                Some(until) if *until > now => Some((*until - now).max(Duration::from_millis(1))),
                _ => {
                    s.slots.insert(key, now + period);
                    None
                }
            }
        }))
    }

    async fn schedule_expiry(
        &self,
        poll: Uuid,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.with(|s| match at {
            Some(at) => s.expiries.insert(poll, at.timestamp_millis()),
            None => s.expiries.remove(&poll),
        });
        Ok(())
    }

    /// Also drops expired counts and slots now and then: the expiry sweep calls this a few
    /// times a second, which makes it the in-process stand-in for Redis's own key expiry.
    async fn due_expiries(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, StoreError> {
        let instant = Instant::now();
        let now_ms = now.timestamp_millis();
        Ok(self.with(|s| {
            if s.purged
                .is_none_or(|at| instant.duration_since(at) >= PURGE_EVERY)
            {
                s.counts.retain(|_, (_, until)| *until > instant);
                s.slots.retain(|_, until| *until > instant);
                s.purged = Some(instant);
            }
            let mut due: Vec<(i64, Uuid)> = s
                .expiries
                .iter()
                .filter(|(_, at)| **at <= now_ms)
                .map(|(id, at)| (*at, *id))
                .collect();
            due.sort_unstable();
            due.into_iter().take(limit).map(|(_, id)| id).collect()
        }))
    }

    async fn forget(&self, poll: Uuid) -> Result<(), StoreError> {
        self.with(|s| s.counts.remove(&poll));
        Ok(())
    }
}
