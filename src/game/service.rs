//! The game service: every room and game action, REST or Socket.IO, goes through here. Each
//! action is decide (domain, against the room's state) → compare-and-swap the live state in
//! Redis → commit its rows to Postgres (group commit) → publish → acknowledge. A lost
//! compare-and-swap means another action (on this node or another) came first: the action is
//! re-decided against the newer state, so concurrent actions serialise per room without locks
//! and nothing is ever counted twice.

use chrono::{DateTime, Utc};
use rand::Rng;
use sqlx::PgPool;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{
    Publisher,
    view::{self, AnswerView, LeaderboardView, RoomView, RoundView},
};
use crate::{
    db::{self, DbError},
    domain::text::same_question,
    domain::{Command, Event, Room, RoomStatus, RoundPhase, Settings, UserId},
    error::Error,
    questions::QuestionProvider,
    store::{LiveStore, Stored},
};

/// Room codes avoid look-alikes: no 0/O, no 1/I/L.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const CODE_LEN: usize = 6;
/// Compare-and-swap attempts before giving up; only reached under absurd contention.
const MAX_ATTEMPTS: usize = 64;
/// Actions taken from a room's queue in one batch at most.
const MAX_BATCH: usize = 256;
/// Group-commit transactions running at once (each holds one pooled connection).
const COMMITS_IN_FLIGHT: usize = 3;
/// A room's worker retires after this long without actions.
const WORKER_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

type Decide = Box<dyn Fn(&Room, DateTime<Utc>) -> Result<Command, Error> + Send + Sync>;

/// An action waiting in a room's queue, and where its outcome goes.
pub struct Job {
    decide: Decide,
    reply: oneshot::Sender<Result<Outcome, Error>>,
}

/// Open rooms one user may host at once: stops one account from filling the store.
pub const MAX_OPEN_ROOMS_PER_USER: i64 = 10;

/// What an action did: the room after it and the events it caused.
pub struct Outcome {
    pub room: Arc<Room>,
    pub events: Vec<Event>,
}

pub struct GameService {
    db: PgPool,
    /// Writes the rows of actions from all rooms, grouped into shared commits.
    committer: db::committer::Committer,
    store: Arc<dyn LiveStore>,
    /// Asked in the background for the next round's question (may be slow: the AI).
    questions: Arc<dyn QuestionProvider>,
    /// Asked when no prepared question is ready: answers at once (the bank).
    instant_questions: Arc<dyn QuestionProvider>,
    /// How long a disconnected host keeps the room.
    host_grace: std::time::Duration,
    /// Each room's queue of actions on this node (see `execute`).
    workers: std::sync::Mutex<std::collections::HashMap<String, mpsc::UnboundedSender<Job>>>,
    /// A handle on itself for the room workers it spawns.
    me: std::sync::Weak<GameService>,
    /// Set once the transport exists (the gateway is built after the service).
    publisher: OnceLock<Arc<dyn Publisher>>,
}

/// Upper-cases and checks a code; anything that cannot be a code is simply "not found".
pub fn normalize_code(code: &str) -> Result<String, Error> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        Ok(code)
    } else {
        Err(room_not_found())
    }
}

fn room_not_found() -> Error {
    Error::not_found("room_not_found", "no room has this code")
}

fn round_not_found() -> Error {
    Error::not_found("round_not_found", "no round has this id")
}

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

impl GameService {
    pub fn new(
        db: PgPool,
        store: Arc<dyn LiveStore>,
        questions: Arc<dyn QuestionProvider>,
        instant_questions: Arc<dyn QuestionProvider>,
        host_grace: std::time::Duration,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| GameService {
            committer: db::committer::Committer::start(db.clone(), COMMITS_IN_FLIGHT),
            db,
            store,
            questions,
            instant_questions,
            host_grace,
            workers: std::sync::Mutex::default(),
            me: me.clone(),
            publisher: OnceLock::new(),
        })
    }

    pub fn set_publisher(&self, publisher: Arc<dyn Publisher>) {
        let _ = self.publisher.set(publisher);
    }

    pub fn store(&self) -> &Arc<dyn LiveStore> {
        &self.store
    }

    // ----- rooms -----

    pub async fn create_room(&self, host: UserId, settings: Settings) -> Result<RoomView, Error> {
        let settings = settings.normalized();
        settings.validate()?;
        if db::rooms::open_rooms_hosted(&self.db, host).await? >= MAX_OPEN_ROOMS_PER_USER {
            return Err(Error::validation(
                "settings",
                format!("you already host {MAX_OPEN_ROOMS_PER_USER} open rooms; close one first"),
            ));
        }
        let name = self.display_name(host).await?;
        // A clash with an existing code is rare (31^6 codes); draw again when it happens.
        for _ in 0..8 {
            let room = Room::new(
                Uuid::new_v4(),
                new_code(),
                host,
                name.clone(),
                settings.clone(),
                Utc::now(),
            );
            match db::rooms::create(&self.db, &room).await {
                Err(DbError::Unique(_)) => continue,
                other => other?,
            }
            if self.store.save_room(&room, 0).await?.is_none() {
                continue;
            }
            self.prepare_question(&room);
            return self.view(&room).await;
        }
        Err(Error::Internal("could not find a free room code".into()))
    }

    pub async fn join(&self, user: UserId, code: &str) -> Result<RoomView, Error> {
        let out = self.join_room(user, code).await?;
        self.view(&out.room).await
    }

    /// Joins (or re-joins, which is not an error) and returns the room and what happened.
    pub async fn join_room(&self, user: UserId, code: &str) -> Result<Outcome, Error> {
        let code = normalize_code(code)?;
        let name = self.display_name(user).await?;
        self.execute(&code, move |_, now| {
            Ok(Command::Join {
                user_id: user,
                display_name: name.clone(),
                now,
            })
        })
        .await
    }

    pub async fn get(&self, code: &str) -> Result<RoomView, Error> {
        let code = normalize_code(code)?;
        let stored = self.load(&code).await?;
        self.view(&stored.room).await
    }

    pub async fn leave(&self, user: UserId, code: &str) -> Result<(), Error> {
        let code = normalize_code(code)?;
        self.execute(&code, move |_, now| {
            Ok(Command::Leave { user_id: user, now })
        })
        .await?;
        Ok(())
    }

    pub async fn kick(&self, by: UserId, code: &str, target: UserId) -> Result<(), Error> {
        let code = normalize_code(code)?;
        self.execute(&code, move |_, now| Ok(Command::Kick { by, target, now }))
            .await?;
        Ok(())
    }

    // ----- the game -----

    pub async fn start_game(&self, by: UserId, code: &str) -> Result<RoundView, Error> {
        let code = normalize_code(code)?;
        let out = self.round_command(&code, by, true).await?;
        current_round(&out.room)
    }

    /// `Ok(Ok(round))` for a new round, `Ok(Err(final_leaderboard))` when the game ended.
    pub async fn next_round(
        &self,
        by: UserId,
        code: &str,
    ) -> Result<Result<RoundView, Vec<LeaderboardView>>, Error> {
        let code = normalize_code(code)?;
        let out = self.round_command(&code, by, false).await?;
        if out.room.status == RoomStatus::Finished {
            Ok(Err(view::leaderboard(&out.room)))
        } else {
            Ok(Ok(current_round(&out.room)?))
        }
    }

    /// Starts the first (`first`) or the next round with a question that is ready now: the one
    /// prepared in the background if there is one, else one from the bank.
    async fn round_command(&self, code: &str, by: UserId, first: bool) -> Result<Outcome, Error> {
        let stored = self.load(code).await?;
        let question = self.ready_question(&stored.room).await?;
        let round_id = Uuid::new_v4();
        let out = self
            .execute(code, move |_, now| {
                let q = question.clone();
                Ok(if first {
                    Command::StartGame {
                        by,
                        round_id,
                        question: q,
                        now,
                    }
                } else {
                    Command::NextRound {
                        by,
                        round_id,
                        question: q,
                        now,
                    }
                })
            })
            .await?;
        if out
            .events
            .iter()
            .any(|e| matches!(e, Event::RoundStarted { .. }))
            && out
                .room
                .round
                .as_ref()
                .is_some_and(|r| r.number < out.room.settings.max_rounds)
        {
            self.prepare_question(&out.room);
        }
        Ok(out)
    }

    pub async fn submit_answer(
        &self,
        by: UserId,
        code: Option<&str>,
        round_id: Uuid,
        content: &str,
    ) -> Result<Uuid, Error> {
        let code = self.code_for(code, round_id).await?;
        let answer_id = Uuid::new_v4();
        let content = content.to_string();
        let out = self
            .execute(&code, move |_, now| {
                Ok(Command::SubmitAnswer {
                    by,
                    round_id,
                    answer_id,
                    content: content.clone(),
                    now,
                })
            })
            .await?;
        // Read from this action's own events: the room after its batch may already be on a
        // later phase or round.
        out.events
            .iter()
            .find_map(|e| match e {
                Event::AnswerSubmitted {
                    answer_id,
                    author_id,
                    ..
                } if *author_id == by => Some(*answer_id),
                _ => None,
            })
            .ok_or_else(|| Error::Internal("answer missing after submit".into()))
    }

    pub async fn start_voting(
        &self,
        by: UserId,
        code: Option<&str>,
        round_id: Uuid,
    ) -> Result<RoundView, Error> {
        let code = self.code_for(code, round_id).await?;
        let out = self
            .execute(&code, move |_, now| {
                Ok(Command::StartVoting { by, round_id, now })
            })
            .await?;
        current_round(&out.room)
    }

    /// Returns the answer voted for and its count right after this vote.
    pub async fn vote(
        &self,
        by: UserId,
        code: Option<&str>,
        round_id: Uuid,
        answer_id: Uuid,
    ) -> Result<(Uuid, u32), Error> {
        let code = self.code_for(code, round_id).await?;
        let out = self
            .execute(&code, move |_, now| {
                Ok(Command::Vote {
                    by,
                    round_id,
                    answer_id,
                    now,
                })
            })
            .await?;
        let count = out
            .events
            .iter()
            .find_map(|e| match e {
                Event::VoteCast {
                    voter_id,
                    vote_count,
                    ..
                } if *voter_id == by => Some(*vote_count),
                _ => None,
            })
            .unwrap_or_default();
        Ok((answer_id, count))
    }

    pub async fn end_round(
        &self,
        by: UserId,
        code: Option<&str>,
        round_id: Uuid,
    ) -> Result<(RoundView, Vec<LeaderboardView>), Error> {
        let code = self.code_for(code, round_id).await?;
        let out = self
            .execute(&code, move |_, now| {
                Ok(Command::EndRound { by, round_id, now })
            })
            .await?;
        Ok((current_round(&out.room)?, view::leaderboard(&out.room)))
    }

    pub async fn leaderboard(&self, code: &str) -> Result<Vec<LeaderboardView>, Error> {
        let code = normalize_code(code)?;
        Ok(view::leaderboard(&self.load(&code).await?.room))
    }

    /// A round's answers for a participant: anonymous while voting, with authors after.
    pub async fn answers(&self, user: UserId, round_id: Uuid) -> Result<Vec<AnswerView>, Error> {
        let code = self.code_for(None, round_id).await?;
        let room = self.load(&code).await?.room;
        if room.participant(user).is_none_or(|p| p.kicked) {
            return Err(crate::domain::DomainError::NotParticipant.into());
        }
        match &room.round {
            Some(round) if round.id == round_id => {
                if round.phase == RoundPhase::Answering {
                    return Err(crate::domain::DomainError::WrongPhase.into());
                }
                Ok(view::answers(&room, round, false))
            }
            // An earlier round: finished, so it is all in Postgres.
            _ => Ok(db::rounds::results(&self.db, round_id)
                .await?
                .into_iter()
                .map(|r| AnswerView {
                    id: r.id,
                    content: r.content,
                    votes: Some(u32::try_from(r.votes).unwrap_or(0)),
                    author_id: Some(r.author_id),
                    display_name: Some(r.display_name),
                })
                .collect()),
        }
    }

    /// Ends whatever phase of `code` is past its deadline; called by the timer on every node,
    /// and the compare-and-swap makes it happen exactly once.
    pub async fn tick(&self, code: &str) -> Result<Vec<Event>, Error> {
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

    /// The user's last socket in the room is gone; if they host it, the hand-over clock starts.
    pub async fn user_went_away(&self, code: &str, user: UserId) -> Result<(), Error> {
        let room = self.load(code).await?.room;
        if room.host_id == user {
            let at = Utc::now() + chrono::Duration::from_std(self.host_grace).unwrap_or_default();
            self.store.host_away(code, at).await?;
        }
        Ok(())
    }

    /// The user has a socket in the room again: a pending hand-over away from them is off.
    pub async fn user_came_back(&self, room: &Room, user: UserId) -> Result<(), Error> {
        if room.host_id == user {
            self.store.host_back(&room.code).await?;
        }
        Ok(())
    }

    /// Hands the room of a host gone past the grace period to the longest-standing participant
    /// who is connected. With nobody connected there is no one to hand to: try again later.
    pub async fn host_timeout(&self, code: &str) -> Result<(), Error> {
        let stored = match self.load(code).await {
            Ok(s) => s,
            Err(Error::NotFound(..)) => return Ok(self.store.host_back(code).await?),
            Err(e) => return Err(e),
        };
        let room = stored.room;
        let connected = self.store.connected_users(code).await?;
        if connected.contains(&room.host_id) {
            return Ok(self.store.host_back(code).await?);
        }
        let heir = room
            .participants
            .iter()
            .find(|p| p.active && p.user_id != room.host_id && connected.contains(&p.user_id))
            .map(|p| p.user_id);
        let Some(to) = heir else {
            let retry =
                Utc::now() + chrono::Duration::from_std(self.host_grace).unwrap_or_default();
            return Ok(self.store.host_away(code, retry).await?);
        };
        let from = room.host_id;
        match self
            .execute(code, move |_, now| {
                Ok(Command::HandOverHost { from, to, now })
            })
            .await
        {
            // Someone else already moved the host (another node, a leave): nothing to do.
            Ok(_) | Err(Error::Rule(_)) => Ok(self.store.host_back(code).await?),
            Err(e) => Err(e),
        }
    }

    /// Rooms whose running phase Postgres says is overdue (see `timers`).
    pub async fn overdue_rooms(&self, grace: std::time::Duration) -> Result<Vec<String>, Error> {
        Ok(db::rounds::overdue_rooms(&self.db, grace, 64).await?)
    }

    pub async fn load_room(&self, code: &str) -> Result<Room, Error> {
        let code = normalize_code(code)?;
        Ok(self.load(&code).await?.room)
    }

    pub async fn view(&self, room: &Room) -> Result<RoomView, Error> {
        let connected = self.store.connected_users(&room.code).await?;
        Ok(RoomView::build(room, &connected))
    }

    // ----- the machinery -----

    /// The room's live state; if Redis has lost it (restart, flush, expiry), it is rebuilt
    /// from Postgres and put back, racing other nodes through the same compare-and-swap.
    async fn load(&self, code: &str) -> Result<Stored, Error> {
        for _ in 0..3 {
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
                return Ok(Stored { room, version });
            }
        }
        Err(Error::Unavailable(format!(
            "room {code} could not be loaded"
        )))
    }

    /// The one write path. `decide` builds the command from the current state (so a retry
    /// re-decides). Actions on one room queue to that room's worker on this node, which takes
    /// everything queued at once as one batch: one load, one Postgres transaction, one
    /// compare-and-swap for the lot. So a burst of votes costs one round trip of each per batch
    /// rather than one (plus retries against each other) per vote; other nodes still meet this
    /// one at the compare-and-swap.
    pub async fn execute(
        &self,
        code: &str,
        decide: impl Fn(&Room, DateTime<Utc>) -> Result<Command, Error> + Send + Sync + 'static,
    ) -> Result<Outcome, Error> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job {
            decide: Box::new(decide),
            reply,
        };
        // A worker that just retired may have dropped its queue: start another and resend.
        for _ in 0..3 {
            let queue = self.queue_for(code);
            match queue.send(job) {
                Ok(()) => {
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
        Err(Error::Unavailable(format!(
            "room {code} is not accepting actions; retry"
        )))
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
            let mut cache: Option<Stored> = None;
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
                me.run_batch(&code, batch, &mut cache).await;
            }
        });
        tx
    }

    /// Decides, swaps, persists and publishes a batch of actions on one room. Each action gets
    /// its own answer: a refused one does not stop the others.
    async fn run_batch(&self, code: &str, jobs: Vec<Job>, cache: &mut Option<Stored>) {
        match self.apply_batch(code, &jobs, cache).await {
            Ok((room, results)) => {
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(result.map(|events| Outcome {
                        room: Arc::clone(&room),
                        events,
                    }));
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
    ) -> Result<(Arc<Room>, Vec<Result<Vec<Event>, Error>>), Error> {
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
                return Ok((Arc::new(room), results));
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
            return Ok((room, results));
        }
        Err(Error::Unavailable(format!(
            "room {code} is too busy; retry"
        )))
    }

    /// Puts back the state from before a swap whose rows Postgres did not take. If someone
    /// has swapped on top of it meanwhile, the live state is dropped instead and rebuilt
    /// from Postgres (which has everything acknowledged) on the next load.
    async fn undo_swap(&self, code: &str, before: &Room, version: u64) {
        match self.store.save_room(before, version).await {
            Ok(Some(_)) => {}
            outcome => {
                if let Err(e) = self.store.forget_room(code).await {
                    tracing::error!(%code, ?outcome, error = %e, "could not undo the live state after a failed commit");
                }
            }
        }
    }

    async fn code_for(&self, code: Option<&str>, round_id: Uuid) -> Result<String, Error> {
        match code {
            Some(c) => normalize_code(c),
            None => db::rounds::room_code_of(&self.db, round_id)
                .await?
                .ok_or_else(round_not_found),
        }
    }

    async fn display_name(&self, user: UserId) -> Result<String, Error> {
        db::users::by_id(&self.db, user)
            .await?
            .map(|u| u.display_name)
            .ok_or(Error::Unauthorized)
    }

    async fn ready_question(&self, room: &Room) -> Result<String, Error> {
        if let Some(q) = self.store.take_next_question(&room.code).await?
            && !room.used_questions.iter().any(|u| same_question(u, &q))
        {
            return Ok(q);
        }
        let theme = room.settings.theme.as_deref();
        Ok(self
            .instant_questions
            .question(theme, &room.used_questions)
            .await
            .text)
    }

    /// Asks the (possibly slow) provider for the room's next question in the background, so
    /// starting a round never waits on the AI.
    fn prepare_question(&self, room: &Room) {
        let store = Arc::clone(&self.store);
        let questions = Arc::clone(&self.questions);
        let code = room.code.clone();
        let theme = room.settings.theme.clone();
        let used = room.used_questions.clone();
        tokio::spawn(async move {
            let q = questions.question(theme.as_deref(), &used).await;
            if let Err(e) = store.put_next_question(&code, &q.text).await {
                tracing::warn!(%code, error = %e, "could not store the prepared question");
            }
        });
    }
}

fn step_timer(step: &str) -> prometheus::HistogramTimer {
    crate::metrics::METRICS
        .batch_step_seconds
        .with_label_values(&[step])
        .start_timer()
}

fn current_round(room: &Room) -> Result<RoundView, Error> {
    room.round
        .as_ref()
        .map(RoundView::from)
        .ok_or_else(|| Error::Internal("room has no round".into()))
}
