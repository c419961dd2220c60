//! The one write path for rooms: each room's actions queue to one worker task on this node,
//! which takes whatever has queued as a batch and runs it through swap → commit → publish →
//! acknowledge. A lost compare-and-swap means another writer (on this node or another) came
//! first: the batch is re-decided against the newer state, so concurrent actions serialise per
//! room without locks and nothing is ever counted twice.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, Weak},
    time::Duration,
};
use tokio::sync::{mpsc, oneshot};

use super::Publisher;
use crate::{
    db::{self, committer::Committer},
    domain::{Command, Event, Room},
    error::Error,
    store::{LiveStore, Stored},
};

/// Compare-and-swap attempts of one batch before giving up; only reached under absurd contention.
const MAX_ATTEMPTS: usize = 64;
/// Actions taken from a room's queue in one batch at most.
const MAX_BATCH: usize = 256;
/// Group-commit transactions running at once (each holds one pooled connection).
const COMMITS_IN_FLIGHT: usize = 3;
/// A room's worker retires after this long without actions.
const WORKER_IDLE: Duration = Duration::from_secs(30);
/// Times an action is handed to a fresh worker when the one it found had just retired.
const SEND_ATTEMPTS: usize = 3;
/// Times a load rebuilds a room lost from Redis before giving up (each rebuild races other
/// nodes' through the same compare-and-swap, and one of them wins).
const LOAD_ATTEMPTS: usize = 3;

/// Builds an action's command from the room as it is now, so a retry re-decides.
pub(super) type Decide = Box<dyn Fn(&Room, DateTime<Utc>) -> Result<Command, Error> + Send + Sync>;

/// An action waiting in a room's queue, and where its outcome goes.
struct Job {
    decide: Decide,
    reply: oneshot::Sender<Result<Outcome, Error>>,
}

/// What an action did: the room after its batch and the events this action caused.
pub struct Outcome {
    pub room: Arc<Room>,
    pub events: Vec<Event>,
}

/// The rooms' live state as the game writes it: loads, the per-room workers, the group committer.
pub(super) struct Pipeline {
    db: PgPool,
    store: Arc<dyn LiveStore>,
    /// Writes the rows of actions from all rooms, grouped into shared commits.
    committer: Committer,
    /// Each room's queue of actions on this node (see `execute`).
    workers: Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
    /// A handle on itself for the room workers it spawns.
    me: Weak<Pipeline>,
    /// Set once the transport exists (the gateway is built after the service).
    publisher: OnceLock<Arc<dyn Publisher>>,
    /// With presence kept in this process (a single node), how long a host without a socket
    /// keeps a room rebuilt from Postgres (see `load`). `None` with Redis: a flushed Redis
    /// loses presence too, and a clock restarted against lost presence would hand rooms away
    /// from hosts who never left.
    rebuilt_host_grace: Option<Duration>,
}

pub(super) fn room_not_found() -> Error {
    Error::not_found("room_not_found", "no room has this code")
}

impl Pipeline {
    pub(super) fn new(
        db: PgPool,
        store: Arc<dyn LiveStore>,
        rebuilt_host_grace: Option<Duration>,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Pipeline {
            committer: Committer::start(db.clone(), COMMITS_IN_FLIGHT),
            db,
            store,
            workers: Mutex::default(),
            me: me.clone(),
            publisher: OnceLock::new(),
            rebuilt_host_grace,
        })
    }

    pub(super) fn set_publisher(&self, publisher: Arc<dyn Publisher>) {
        let _ = self.publisher.set(publisher);
    }

    /// The transport, once it is set.
    pub(super) fn publisher(&self) -> Option<&Arc<dyn Publisher>> {
        self.publisher.get()
    }

    /// The room's live state; if Redis has lost it (restart, flush, expiry), it is rebuilt
    /// from Postgres and put back, racing other nodes through the same compare-and-swap.
    pub(super) async fn load(&self, code: &str) -> Result<Stored, Error> {
        for _ in 0..LOAD_ATTEMPTS {
            if let Some(stored) = self.store.load_room(code).await? {
                return if stored.room.closed {
                    Err(room_not_found())
                } else {
                    Ok(stored)
                };
            }
            let Some(room) = db::snapshot::load_room(&self.db, code).await? else {
                return Err(room_not_found());
            };
            if room.closed {
                return Err(room_not_found());
            }
            if let Some(version) = self.store.save_room(&room, 0).await? {
                tracing::info!(%code, "rebuilt live state from postgres");
                // A restarted single node lost the hand-over clock with the rest of its memory:
                // start it again, so a host who never comes back still loses the room. A host
                // who is, or comes, back calls it off (`host_timeout` checks presence, which
                // on a single node counts exactly the sockets that came back).
                if let Some(grace) = self.rebuilt_host_grace {
                    let at = Utc::now() + chrono::Duration::from_std(grace).unwrap_or_default();
                    if let Err(e) = self.store.host_away(code, at).await {
                        tracing::warn!(%code, error = %e, "could not restart the host hand-over clock");
                    }
                }
                return Ok(Stored { room, version });
            }
        }
        Err(Error::Unavailable(
            format!("room {code} could not be loaded").into(),
        ))
    }

    /// Runs one action on room `code`. `decide` builds the command from the room's current
    /// state. The action queues to the room's worker on this node, which takes everything
    /// queued at once as one batch: decided together against the state it cached, swapped into
    /// Redis once, its rows committed to Postgres together with other rooms' (group commit),
    /// published, then acknowledged. So a burst of votes costs one swap and a share of one
    /// commit per batch rather than a round trip of each (plus retries against each other) per
    /// vote; other nodes still meet this one at the compare-and-swap.
    pub(super) async fn execute(&self, code: &str, decide: Decide) -> Result<Outcome, Error> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { decide, reply };
        // A worker that just retired may have dropped its queue: start another and resend.
        for _ in 0..SEND_ATTEMPTS {
            let queue = self.queue_for(code);
            match queue.send(job) {
                Ok(()) => {
                    crate::metrics::METRICS.room_queue.inc();
                    return answer
                        .await
                        .unwrap_or_else(|_| Err(Error::Internal("room worker stopped".into())));
                }
                Err(mpsc::error::SendError(back)) => {
                    job = back;
                    if let Ok(mut w) = self.workers.lock() {
                        w.remove(code);
                    }
                }
            }
        }
        Err(Error::Unavailable(
            format!("room {code} is not accepting actions; retry").into(),
        ))
    }

    fn queue_for(&self, code: &str) -> mpsc::UnboundedSender<Job> {
        let Ok(mut workers) = self.workers.lock() else {
            // A poisoned map only means a panic elsewhere; a private worker is still correct.
            return self.spawn_worker(code);
        };
        if let Some(q) = workers.get(code)
            && !q.is_closed()
        {
            return q.clone();
        }
        let q = self.spawn_worker(code);
        workers.insert(code.to_string(), q.clone());
        q
    }

    fn spawn_worker(&self, code: &str) -> mpsc::UnboundedSender<Job> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        let Some(me) = self.me.upgrade() else {
            return tx;
        };
        let code = code.to_string();
        tokio::spawn(async move {
            // The room as this worker last saved it: the next batch decides against it and
            // swaps against its version without reading Redis first. A write from elsewhere
            // (another node, a rebuild) fails that swap, and the batch reloads and re-decides.
            let mut cache: Option<Stored> = me.load_recorded(&code).await;
            loop {
                let first = match tokio::time::timeout(WORKER_IDLE, rx.recv()).await {
                    Ok(Some(job)) => job,
                    Ok(None) => break,
                    Err(_) => {
                        // Idle: retire, unless something arrived while we were deciding to.
                        if let Ok(mut w) = me.workers.lock() {
                            w.remove(&code);
                        }
                        rx.close();
                        match rx.try_recv() {
                            Ok(job) => job,
                            Err(_) => break,
                        }
                    }
                };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                crate::metrics::METRICS
                    .room_queue
                    .sub(i64::try_from(batch.len()).unwrap_or(i64::MAX));
                me.run_batch(&code, batch, &mut cache).await;
            }
        });
        tx
    }

    /// Decides, swaps, commits and publishes a batch of actions on one room, then answers each
    /// action on its own: a refused one does not stop the others. Should Postgres refuse the
    /// batch's rows (not for being away), the batch has been undone and each action is run
    /// again on its own, so one action that Postgres cannot take fails alone and the rest of
    /// the room (other players, the deadline tick) goes on.
    async fn run_batch(&self, code: &str, jobs: Vec<Job>, cache: &mut Option<Stored>) {
        match self.apply_batch(code, &jobs, cache).await {
            Ok(Applied::Done(room, results)) => answer(jobs, &room, results),
            Ok(Applied::Split) => {
                for job in jobs {
                    let alone = std::slice::from_ref(&job);
                    match self.apply_batch(code, alone, cache).await {
                        Ok(Applied::Done(room, results)) => answer(vec![job], &room, results),
                        // A batch of one is never split: its refusal is its own error.
                        Ok(Applied::Split) => {
                            let _ = job
                                .reply
                                .send(Err(Error::Internal("action could not be recorded".into())));
                        }
                        Err(e) => {
                            let _ = job.reply.send(Err(e));
                        }
                    }
                }
            }
            Err(e) => {
                for job in jobs {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }

    /// The batch against the cached (or loaded) room: decide every action, swap the result
    /// into Redis, then make its rows durable through the group committer before anyone hears
    /// of it. Swapping first keeps the room's compare-and-swap the one point where nodes
    /// meet, and lets Postgres take many rooms' rows in one commit; should that commit fail,
    /// the swap is undone so no unrecorded state stays live.
    async fn apply_batch(
        &self,
        code: &str,
        jobs: &[Job],
        cache: &mut Option<Stored>,
    ) -> Result<Applied, Error> {
        let mut repaired = false;
        for _ in 0..MAX_ATTEMPTS {
            let (stored, cached) = match cache.take() {
                Some(s) if !s.room.closed => (s, true),
                _ => (self.load(code).await?, false),
            };
            let mut room = stored.room.clone();
            let mut results = Vec::with_capacity(jobs.len());
            let mut writes = Vec::new();
            let mut events = Vec::new();
            for job in jobs {
                let outcome = (job.decide)(&room, Utc::now())
                    .and_then(|cmd| room.apply(cmd).map_err(Error::from));
                if let Ok(happened) = &outcome {
                    // Rows are planned from the state right after each action, e.g. an
                    // answer's row from the round it was given in.
                    writes.extend(db::writes::plan(&room, happened));
                    events.extend(happened.iter().cloned());
                }
                results.push(outcome);
            }
            // A refusal (or a no-op) decided on the cached state may only mean that the cache
            // is behind, and unlike a change it would never meet a failing swap to say so:
            // decide it again on the state in Redis before answering.
            if cached && (events.is_empty() || results.iter().any(Result::is_err)) {
                continue;
            }
            if events.is_empty() {
                *cache = Some(stored);
                return Ok(Applied::Done(Arc::new(room), results));
            }
            let step = step_timer("swap");
            let swapped = self.store.save_room(&room, stored.version).await?;
            step.observe_duration();
            let Some(version) = swapped else {
                // Another writer came first: load its state and decide again.
                continue;
            };
            let step = step_timer("commit");
            let committed = self.committer.commit(writes).await;
            step.observe_duration();
            if let Err(e) = committed {
                self.undo_swap(code, &stored.room, version).await;
                if !repaired && db::repair::missing_reference(&e) {
                    // The state this batch was decided on is live but not all in Postgres (a
                    // process died between an earlier swap and its commit): record it, then
                    // decide the batch again on top of it.
                    repaired = true;
                    tracing::warn!(%code, "live state missing from postgres; writing it");
                    match self
                        .committer
                        .commit(db::repair::rows_of(&stored.room))
                        .await
                    {
                        Ok(()) => continue,
                        Err(r) => {
                            tracing::error!(%code, error = %crate::error::chain(&r), "could not write the live state to postgres");
                        }
                    }
                }
                if jobs.len() > 1 && !e.is_unavailable() {
                    tracing::warn!(%code, error = %crate::error::chain(&e), "postgres refused a batch's rows; running its actions one by one");
                    return Ok(Applied::Split);
                }
                return Err(e.into());
            }
            let room = Arc::new(room);
            if let Some(p) = self.publisher.get() {
                let step = step_timer("publish");
                p.publish(&room, &events).await;
                step.observe_duration();
            }
            *cache = Some(Stored {
                room: Room::clone(&room),
                version,
            });
            return Ok(Applied::Done(room, results));
        }
        Err(Error::Unavailable(
            format!("room {code} is too busy; retry").into(),
        ))
    }

    /// The room as a new worker starts on it, with Postgres brought up to its live round if
    /// a process died between a swap and its commit (see `db::repair`). `None` (the first
    /// batch loads, and reports) if it cannot be read now.
    async fn load_recorded(&self, code: &str) -> Option<Stored> {
        let stored = self.load(code).await.ok()?;
        if let Ok(false) = db::repair::is_recorded(&self.db, &stored.room).await {
            tracing::warn!(%code, "live round missing from postgres; writing it");
            let rows = db::repair::rows_of(&stored.room);
            if let Err(e) = self.committer.commit(rows).await {
                tracing::error!(%code, error = %crate::error::chain(&e), "could not write the live state to postgres");
            }
        }
        Some(stored)
    }

    /// Puts back the state from before a swap whose rows Postgres did not take. If someone
    /// has swapped on top of it meanwhile, the live state is dropped instead and rebuilt
    /// from Postgres (which has everything acknowledged) on the next load.
    async fn undo_swap(&self, code: &str, before: &Room, version: u64) {
        match self.store.save_room(before, version).await {
            Ok(Some(_)) => {}
            outcome => {
                if let Err(e) = self.store.forget_room(code).await {
                    tracing::error!(%code, ?outcome, error = %crate::error::chain(&e), "could not undo the live state after a failed commit");
                }
            }
        }
    }
}

/// What became of a batch.
enum Applied {
    /// Recorded (or refused by the rules, action by action): the room after it, and each
    /// action's events or refusal, in order.
    Done(Arc<Room>, Vec<Result<Vec<Event>, Error>>),
    /// Postgres refused the rows of a batch of several actions; it was undone and its
    /// actions must be run one at a time.
    Split,
}

/// Tells each action of a recorded batch what it did.
fn answer(jobs: Vec<Job>, room: &Arc<Room>, results: Vec<Result<Vec<Event>, Error>>) {
    for (job, result) in jobs.into_iter().zip(results) {
        let _ = job.reply.send(result.map(|events| Outcome {
            room: Arc::clone(room),
            events,
        }));
    }
}

fn step_timer(step: &str) -> prometheus::HistogramTimer {
    crate::metrics::METRICS
        .batch_step_seconds
        .with_label_values(&[step])
        .start_timer()
}
