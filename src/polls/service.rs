//! The poll API both transports call: create, read, edit, delete and status changes (options:
//! `options`).
//! Every change runs in one transaction with its audit entry, on the poll row locked, so two
//! edits of one poll happen one after the other.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::json;
use sqlx::PgPool;
use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};
use uuid::Uuid;

use super::{PollPublisher, Spend, view::PollView};
use crate::{
    db::{
        self, DbError,
        audit::{self, Target},
        ballots,
        polls::{NewPollRow, PollChanges, PollRecord},
    },
    domain::{
        code,
        poll::{
            PollError, PollStatus, code as poll_code,
            create::{self, NewPollInput},
            lifecycle::Transition,
            notice::{self, Listing},
            vote::Voter,
        },
    },
    error::Error,
    store::{LiveStore, poll_cache::PollCache},
    webhooks::{Event, outbox as webhooks},
};

/// Codes drawn for a new poll before giving up: a clash is rare (31^6 codes), eight in a row
/// means something else is wrong.
const CODE_DRAWS: usize = 8;

/// A new poll as asked for (`category` is a slug).
#[derive(Debug, Default)]
pub(crate) struct CreatePoll {
    pub input: NewPollInput,
    pub category: Option<String>,
    pub is_public: Option<bool>,
    pub allow_anonymous: Option<bool>,
    pub publish: Option<bool>,
}

/// A PATCH: absent fields stay; `Some(None)` clears a nullable one.
#[derive(Debug, Default)]
pub(crate) struct PollPatch {
    pub question: Option<String>,
    pub description: Option<String>,
    pub category: Option<Option<String>>,
    pub is_public: Option<bool>,
    pub allow_anonymous: Option<bool>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

/// An account's budgets of poll writes that fan out, per minute, counted cluster-wide in the
/// live store (`RATE_LIMIT_POLLS_PER_ACCOUNT_PER_MINUTE`, `RATE_LIMIT_ACCOUNT_WRITES_PER_MINUTE`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteLimits {
    /// Polls created: each public one is pushed to every feed subscriber.
    pub polls_per_minute: u32,
    /// Likes and unlikes, option changes, edits and status changes: each is pushed to the
    /// poll's subscribers (and its creator). Votes are not counted: their broadcasts are
    /// coalesced per poll, however many there are.
    pub writes_per_minute: u32,
}

pub struct PollService {
    /// The primary: every write, and every read a user may need to see their own write in.
    pub(super) db: PgPool,
    /// Reads that may trail the latest write by a moment (lists, search, trending, others'
    /// profiles, site stats, categories): the replica when there is one (`db::reads`).
    pub(super) reads: db::reads::Reads,
    pub(super) cache: PollCache,
    /// Polls' rules for the vote path (`rules`), and the ballots' group commit (`ballot_box`).
    pub(super) rules: super::rules::Rules,
    pub(super) ballots: super::ballot_box::BallotBox,
    /// The live store: the per-account write limits and the trend gate, cluster-wide.
    pub(super) store: Arc<dyn LiveStore>,
    limits: WriteLimits,
    /// Emails (lowercase) of the accounts that may add categories and delete any poll.
    admins: Vec<String>,
    publisher: OnceLock<Arc<dyn PollPublisher>>,
    /// Votes and likes not yet written to the list counters (`discovery`); shared with the
    /// trend gate's tasks.
    pub(super) activity: Arc<super::discovery::Activity>,
    /// Views not yet written to the poll rows, and the site stats last computed (`stats`).
    pub(super) views: super::stats::Views,
    pub(super) site: super::stats::SiteCache,
}

impl PollService {
    pub(crate) fn new(
        db: PgPool,
        replica: Option<PgPool>,
        cache: PollCache,
        store: Arc<dyn LiveStore>,
        limits: WriteLimits,
        admins: &[String],
    ) -> Arc<Self> {
        Arc::new(PollService {
            reads: db::reads::Reads::new(db.clone(), replica),
            rules: super::rules::Rules::default(),
            ballots: super::ballot_box::BallotBox::start(db.clone(), cache.clone()),
            db,
            cache,
            store,
            limits,
            admins: admins.iter().map(|e| e.trim().to_lowercase()).collect(),
            publisher: OnceLock::new(),
            activity: Arc::default(),
            views: super::stats::Views::default(),
            site: super::stats::SiteCache::default(),
        })
    }

    pub(crate) fn set_publisher(&self, p: Arc<dyn PollPublisher>) {
        let _ = self.publisher.set(p);
    }

    pub(super) fn publisher(&self) -> Option<&Arc<dyn PollPublisher>> {
        self.publisher.get()
    }

    /// The primary pool (exports read the rows of a poll behind the service's checks).
    pub(crate) fn db(&self) -> &PgPool {
        &self.db
    }

    pub(crate) fn cache(&self) -> &PollCache {
        &self.cache
    }

    /// Counts one write by `actor` against its per-minute budget, across the cluster; a 429
    /// with the wait once it is spent. A budget that cannot be counted (Redis down) lets the
    /// write through: these limits are against floods, and the write itself needs Postgres
    /// only (the per-IP request limit still holds).
    pub(super) async fn spend(&self, actor: Uuid, what: Spend) -> Result<(), Error> {
        let (key, per_minute) = match what {
            Spend::Poll => (format!("polls:{actor}"), self.limits.polls_per_minute),
            Spend::Write => (
                format!("poll_writes:{actor}"),
                self.limits.writes_per_minute,
            ),
        };
        match self
            .store
            .throttle(&key, per_minute, Duration::from_secs(60))
            .await
        {
            Ok(None) => Ok(()),
            Ok(Some(wait)) => Err(Error::rate_limited(wait)),
            Err(e) => {
                tracing::debug!(error = %e, "per-account write limit not counted");
                Ok(())
            }
        }
    }

    pub(crate) async fn is_admin(&self, user: Uuid) -> Result<bool, Error> {
        if self.admins.is_empty() {
            return Ok(false);
        }
        let row = db::users::by_id(&self.db, user).await?;
        Ok(row.is_some_and(|u| {
            u.email
                .is_some_and(|e| self.admins.contains(&e.to_lowercase()))
        }))
    }

    async fn category(&self, slug: Option<&str>) -> Result<Option<Uuid>, Error> {
        let Some(slug) = slug else { return Ok(None) };
        if !crate::domain::poll::category::could_be_slug(slug) {
            return Err(PollError::validation("category", "no such category").into());
        }
        db::polls::category_id(&self.db, slug.trim())
            .await?
            .map(Some)
            .ok_or_else(|| PollError::validation("category", "no such category").into())
    }

    pub(crate) async fn create(&self, actor: Uuid, req: CreatePoll) -> Result<PollView, Error> {
        let now = Utc::now();
        let poll = req.input.validate(now)?;
        let category_id = self.category(req.category.as_deref()).await?;
        // Spent once the poll is known to be valid: a form sent back with an error is no flood.
        self.spend(actor, Spend::Poll).await?;
        let id = Uuid::new_v4();
        let start = create::Start::of(req.publish, req.is_public, req.allow_anonymous);
        let status = start.status;
        let mut tx = self.db.begin().await.map_err(DbError::from)?;
        let mut drawn = false;
        for _ in 0..CODE_DRAWS {
            let code = {
                let mut rng = rand::rng();
                code::generate(|n| rng.random_range(0..n))
            };
            if !poll_code::may_take(&code) {
                continue;
            }
            let row = NewPollRow {
                id,
                code: &code,
                creator_id: actor,
                question: &poll.question,
                description: &poll.description,
                category_id,
                status,
                kind: poll.kind,
                allow_multiple: poll.allow_multiple,
                max_choices: poll.max_choices,
                is_public: start.is_public,
                allow_anonymous: start.allow_anonymous,
                expires_at: poll.expires_at,
                text: poll.text,
            };
            if db::polls::insert(&mut tx, &row, &poll.options).await? {
                drawn = true;
                break;
            }
        }
        if !drawn {
            return Err(Error::Internal("could not find a free poll code".into()));
        }
        audit::record(
            &mut tx,
            Some(actor),
            "poll_created",
            Target::poll(id),
            json!({"question": poll.question, "status": status.as_str()}),
        )
        .await?;
        let record = db::polls::load(&mut tx, id, false)
            .await?
            .ok_or_else(|| Error::Internal("a created poll is missing".into()))?;
        webhooks::poll_event(&mut tx, id, Event::PollCreated).await?;
        tx.commit().await.map_err(DbError::from)?;
        self.index_expiry(&record).await;
        // A new poll has no votes: its counts start cached at zero, no Postgres count needed.
        let counts = self.cache.install(id, &[], 0).await.unwrap_or_default();
        let view = PollView::build(&record, &counts, Vec::new(), now);
        let view = self.with_runoff(&record, view).await?;
        let listing = Listing {
            is_public: start.is_public,
            status,
        };
        if notice::enters_feed(None, listing) {
            self.announce(&view).await;
        }
        Ok(view)
    }

    /// A poll as `viewer` sees it; a draft is 404 for everyone but its creator.
    pub(crate) async fn get(&self, viewer: Option<Uuid>, id: Uuid) -> Result<PollView, Error> {
        let record = self.visible(viewer, id).await?;
        self.view(&record, viewer).await
    }

    /// A poll as an anonymous caller sees it: `my_votes` is the ballot of their voter id (the
    /// signed `voter_id` cookie), if they have one.
    pub(crate) async fn get_anonymous(
        &self,
        voter_id: Option<Uuid>,
        id: Uuid,
    ) -> Result<PollView, Error> {
        let record = self.visible(None, id).await?;
        self.view_as(&record, None, voter_id).await
    }

    /// A poll as `voter` sees it (`auth::voter::VoterKeys::resolve`): a signed-in voter as
    /// their account, an anonymous one with their ballot, nobody yet with none.
    pub(crate) async fn get_as(&self, voter: Option<Voter>, id: Uuid) -> Result<PollView, Error> {
        match voter.and_then(|v| v.user) {
            Some(user) => self.get(Some(user), id).await,
            None => self.get_anonymous(voter.map(|v| v.key), id).await,
        }
    }

    pub(super) async fn visible(
        &self,
        viewer: Option<Uuid>,
        id: Uuid,
    ) -> Result<PollRecord, Error> {
        match db::polls::get_as(&self.db, id, viewer).await? {
            Some(r) if r.state(false).visible_to(viewer) => Ok(r),
            _ => Err(PollError::PollNotFound.into()),
        }
    }

    pub(super) async fn view(
        &self,
        record: &PollRecord,
        viewer: Option<Uuid>,
    ) -> Result<PollView, Error> {
        self.view_as(record, viewer, viewer).await
    }

    /// `viewer` (the account, for likes) and `ballot` (the key `my_votes` is read under: the
    /// account id, or an anonymous voter id) differ only for anonymous voters.
    async fn view_as(
        &self,
        record: &PollRecord,
        viewer: Option<Uuid>,
        ballot: Option<Uuid>,
    ) -> Result<PollView, Error> {
        let counts = self.counts(record.poll.id).await?;
        let mine = match ballot {
            Some(v) => ballots::ballot(&self.db, record.poll.id, v)
                .await?
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let view = PollView::build(record, &counts, mine, Utc::now());
        let view = self.with_runoff(record, view).await?;
        let mut view = self.with_my_answers(view, ballot).await?;
        (view.likes, view.liked_by_me) = if record.reader == viewer {
            (record.likes, record.liked_by_me)
        } else {
            self.likes_of(record.poll.id, viewer).await?
        };
        Ok(view)
    }

    /// Keeps the expiry index in step with a committed poll: an open poll with an expiry is
    /// in it. A failure is only logged: the Postgres sweep (`expiry`) closes the poll anyway.
    async fn index_expiry(&self, record: &PollRecord) {
        let p = &record.poll;
        let at = p
            .expires_at
            .filter(|_| p.status == PollStatus::Open.as_str());
        if let Err(e) = self.cache.schedule_expiry(p.id, at).await {
            tracing::debug!(error = %e, poll = %p.id, "expiry not indexed; the sweep will close it");
        }
    }

    /// Opens a transaction with the poll locked; a draft of someone else is 404.
    pub(super) async fn locked(
        &self,
        actor: Uuid,
        id: Uuid,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, PollRecord), Error> {
        let mut tx = self.db.begin().await.map_err(DbError::from)?;
        match db::polls::load(&mut tx, id, true).await? {
            Some(r) if r.state(false).visible_to(Some(actor)) => Ok((tx, r)),
            _ => Err(PollError::PollNotFound.into()),
        }
    }

    /// Commits an edit and tells the poll's watchers; returns the poll as `actor` sees it.
    pub(super) async fn finish(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
        actor: Uuid,
        id: Uuid,
    ) -> Result<PollView, Error> {
        // Every edit moves `updated_at` (options included), which watchers look at.
        db::polls::touch(&mut tx, id).await?;
        let record = db::polls::load(&mut tx, id, false)
            .await?
            .ok_or(PollError::PollNotFound)?;
        tx.commit().await.map_err(DbError::from)?;
        // Other nodes learn of the change from their next ballot's answer (`rules`).
        self.rules.forget(id);
        self.index_expiry(&record).await;
        let view = self.view(&record, Some(actor)).await?;
        if let Some(p) = self.publisher() {
            // A broadcast has no single reader: it carries the poll as an anonymous reader sees
            // it, and each client keeps its own `my_votes` and `liked_by_me`.
            let mut public = view.clone();
            public.my_votes = Vec::new();
            if let Some(text) = public.text.as_mut() {
                text.my_answers = Vec::new();
            }
            public.liked_by_me = false;
            let creator = notice::after_change(record.state(false).status_at(Utc::now()));
            p.updated(&public, creator).await;
        }
        Ok(view)
    }

    pub(crate) async fn update(
        &self,
        actor: Uuid,
        id: Uuid,
        patch: PollPatch,
    ) -> Result<PollView, Error> {
        let now = Utc::now();
        let question = patch
            .question
            .as_deref()
            .map(create::question)
            .transpose()?;
        let description = patch
            .description
            .as_deref()
            .map(create::description)
            .transpose()?;
        let expires_at = match patch.expires_at {
            Some(at) => Some(create::expiry(at, now)?),
            None => None,
        };
        let category_id = match &patch.category {
            Some(slug) => Some(self.category(slug.as_deref()).await?),
            None => None,
        };
        self.spend(actor, Spend::Write).await?;
        let (mut tx, record) = self.locked(actor, id).await?;
        let before = Listing {
            is_public: record.poll.is_public,
            status: record.state(false).status,
        };
        let changes_question = question
            .as_deref()
            .is_some_and(|q| q != record.poll.question);
        let has_votes = changes_question && ballots::poll_has_votes(&mut tx, id).await?;
        record
            .state(has_votes)
            .check_edit(actor, changes_question)?;
        let changes = PollChanges {
            question,
            description,
            category_id,
            is_public: patch.is_public,
            allow_anonymous: patch.allow_anonymous,
            expires_at,
            max_choices: None,
        };
        db::polls::update(&mut tx, id, &changes).await?;
        audit::record(
            &mut tx,
            Some(actor),
            "poll_updated",
            Target::poll(id),
            json!({
                "question": changes.question,
                "description": changes.description.is_some(),
                "category": patch.category,
                "is_public": changes.is_public,
                "allow_anonymous": changes.allow_anonymous,
                "expires_at": changes.expires_at,
            }),
        )
        .await?;
        let view = self.finish(tx, actor, id).await?;
        // An unlisted poll made public is new to the feed, as a published one is.
        let after = Listing {
            is_public: patch.is_public.unwrap_or(before.is_public),
            ..before
        };
        if notice::enters_feed(Some(before), after) {
            self.announce(&view).await;
        }
        Ok(view)
    }

    pub(crate) async fn transition(
        &self,
        actor: Uuid,
        id: Uuid,
        t: Transition,
    ) -> Result<PollView, Error> {
        self.spend(actor, Spend::Write).await?;
        let (mut tx, record) = self.locked(actor, id).await?;
        let state = record.state(false);
        let next = state.transition(actor, t, Utc::now())?;
        let before = Listing {
            is_public: record.poll.is_public,
            status: state.status,
        };
        db::polls::set_status(&mut tx, id, next).await?;
        let action = match t {
            Transition::Publish => "poll_published",
            Transition::Close => "poll_closed",
            Transition::Reopen => "poll_reopened",
        };
        audit::record(&mut tx, Some(actor), action, Target::poll(id), json!({})).await?;
        webhooks::poll_event(&mut tx, id, t.into()).await?;
        let view = self.finish(tx, actor, id).await?;
        if notice::enters_feed(
            Some(before),
            Listing {
                status: next,
                ..before
            },
        ) {
            self.announce(&view).await;
        }
        Ok(view)
    }

    pub(crate) async fn delete(&self, actor: Uuid, id: Uuid) -> Result<(), Error> {
        let admin = self.is_admin(actor).await?;
        let mut tx = self.db.begin().await.map_err(DbError::from)?;
        let record = db::polls::load(&mut tx, id, true)
            .await?
            .ok_or(PollError::PollNotFound)?;
        record.state(false).ensure_creator_or_admin(actor, admin)?;
        audit::record(
            &mut tx,
            Some(actor),
            "poll_deleted",
            Target::poll(id),
            json!({"question": record.poll.question, "by_admin": admin && actor != record.poll.creator_id}),
        )
        .await?;
        webhooks::poll_deleted(&mut tx, id).await?;
        db::polls::delete(&mut tx, id).await?;
        tx.commit().await.map_err(DbError::from)?;
        self.rules.forget(id);
        if let Err(e) = self.cache.forget(id).await {
            tracing::debug!(error = %e, poll = %id, "could not drop a deleted poll's counts");
        }
        if let Some(p) = self.publisher() {
            p.deleted(id).await;
        }
        Ok(())
    }
}
