//! Finding polls and liking them: `GET /api/polls` and its aliases, likes, and the activity
//! buffer that keeps the list counters and the trending score.
//!
//! Why a buffer rather than a write per vote: the vote path deliberately keeps no counter in a
//! poll row (a busy poll's row would serialize every vote). Votes and likes instead note the
//! poll here, with the exact counts the vote path already holds; once a second the buffer is
//! written with one `UPDATE … FROM unnest(…)` — at most one row write per active poll per
//! second per node, however many votes. Lists then read counters from the row, and trending is
//! an index scan on a forward-decayed score (`domain::poll::discovery`) that never needs
//! re-scoring as time passes: a page costs the same with 100 or 1,000,000 polls. The price:
//! list counters trail the live ones by up to a second, and a node that dies loses its last
//! second of trending weight (the counters are exact again at the poll's next vote).
//!
//! Trending counts people, not requests: only a real change is activity, and its weight counts
//! once per person per poll per `TREND_WINDOW` (the store's cluster-wide GCRA), so one account
//! re-sending a ballot or toggling a like cannot buy a place (issue 20).

use chrono::Utc;
use serde::Serialize;
use serde_json::json;
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    PollService, Spend,
    view::{CategoryView, CreatorView},
};
use crate::{
    db::{
        self, DbError,
        audit::{self, Target},
        discovery::SummaryRow,
    },
    domain::poll::{
        PollState, PollStatus,
        discovery::{ListParams, RawListParams, trend_weight},
    },
    error::Error,
    store::poll_cache::Counts,
};

/// How often buffered activity is written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// One person's activity on a poll adds its trend weight once in this long: the trend's own
/// horizon (votes and likes of the last 24 h), so a day of re-sends weighs one vote.
const TREND_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// How long a node remembers having asked the trend gate about a person and poll. Any ask
/// after the first within `TREND_WINDOW` is refused, so skipping it changes nothing; it saves
/// a voter who keeps changing their vote a Redis call per change. The memo is dropped whole
/// this often, which bounds it by the pairs active in that time.
const ASKED_MEMO: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Pending {
    /// The latest exact counts seen (-1: none seen, only likes).
    voters: i64,
    votes: i64,
    /// Trend weight to add: people let through the trend gate (0: counters only).
    events: u64,
}

/// Activity not yet written to the poll rows.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    pending: Mutex<HashMap<Uuid, Pending>>,
    /// (poll, person) pairs this node has asked the trend gate about since `since`.
    asked: Mutex<Asked>,
}

#[derive(Debug, Default)]
struct Asked {
    since: Option<Instant>,
    pairs: HashSet<(Uuid, Uuid)>,
}

impl Activity {
    fn note(&self, poll: Uuid, counts: Option<(i64, i64)>, events: u64) {
        let Ok(mut map) = self.pending.lock() else {
            return;
        };
        let p = map.entry(poll).or_insert(Pending {
            voters: -1,
            votes: -1,
            events: 0,
        });
        p.events += events;
        if let Some((voters, votes)) = counts {
            p.voters = voters;
            p.votes = votes;
        }
    }

    /// A vote (cast, changed or withdrawn) moved `poll`'s counts to `counts`: the list
    /// counters follow. Its trend weight goes through the gate (`PollService::trend`).
    pub(crate) fn vote(&self, poll: Uuid, counts: &Counts) {
        let votes = counts.options.values().sum();
        self.note(poll, Some((counts.voters.max(0), votes)), 0);
    }

    /// One person's activity on `poll`, let through the trend gate.
    fn weigh(&self, poll: Uuid) {
        self.note(poll, None, 1);
    }

    /// Whether this node has not yet asked the trend gate about `who` on `poll` lately.
    fn first_ask(&self, poll: Uuid, who: Uuid) -> bool {
        let Ok(mut asked) = self.asked.lock() else {
            return true;
        };
        let now = Instant::now();
        if asked
            .since
            .is_none_or(|t| now.duration_since(t) >= ASKED_MEMO)
        {
            asked.pairs.clear();
            asked.since = Some(now);
        }
        asked.pairs.insert((poll, who))
    }

    fn take(&self) -> HashMap<Uuid, Pending> {
        self.pending
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

/// A poll as lists show it (`poll_summary`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PollSummary {
    pub id: Uuid,
    /// Six characters (`/p/{code}`).
    pub code: String,
    pub question: String,
    pub category: Option<CategoryView>,
    pub creator: CreatorView,
    /// `choice`, `ranked` or `text`.
    pub kind: String,
    pub status: String,
    pub allow_multiple: bool,
    pub max_choices: i32,
    pub is_public: bool,
    pub allow_anonymous: bool,
    pub expires_at: Option<chrono::DateTime<Utc>>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    pub closed_at: Option<chrono::DateTime<Utc>>,
    pub option_count: i64,
    /// List counters trail the live counts by up to a second.
    pub total_votes: i64,
    pub voters: i64,
    pub likes: i64,
    pub liked_by_me: bool,
}

impl PollSummary {
    fn build(r: SummaryRow, liked: bool, now: chrono::DateTime<Utc>) -> Self {
        let state = PollState {
            creator_id: r.creator_id,
            kind: crate::domain::poll::kind::PollKind::parse(&r.kind).unwrap_or_default(),
            status: PollStatus::parse(&r.status).unwrap_or(PollStatus::Closed),
            allow_multiple: r.allow_multiple,
            max_choices: u32::try_from(r.max_choices).unwrap_or(1),
            expires_at: r.expires_at,
            option_ids: Vec::new(),
            has_votes: false,
        };
        let expired_open = state.status == PollStatus::Open && state.expired(now);
        PollSummary {
            id: r.id,
            code: r.code,
            question: r.question,
            category: match (r.category_id, r.category_slug) {
                (Some(id), Some(slug)) => Some(CategoryView {
                    id,
                    slug,
                    name: r.category_name.unwrap_or_default(),
                    description: r.category_description.unwrap_or_default(),
                    poll_count: 0,
                }),
                _ => None,
            },
            creator: CreatorView {
                id: r.creator_id,
                display_name: r.creator_name,
            },
            kind: r.kind,
            status: state.status_at(now).as_str().to_string(),
            allow_multiple: r.allow_multiple,
            max_choices: r.max_choices,
            is_public: r.is_public,
            allow_anonymous: r.allow_anonymous,
            expires_at: r.expires_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            closed_at: r
                .closed_at
                .or_else(|| expired_open.then_some(r.expires_at).flatten()),
            option_count: r.option_count,
            total_votes: r.votes_count,
            voters: r.voters_count,
            likes: r.likes_count,
            liked_by_me: liked,
        }
    }
}

/// `{polls, page, per_page, total}` (`total` is exact up to 10,000 + a page; a search's is
/// capped at `SEARCH_MAX`).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PollPage {
    pub polls: Vec<PollSummary>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

/// `{likes, liked_by_me}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LikeView {
    pub likes: i64,
    pub liked_by_me: bool,
}

impl PollService {
    /// `GET /api/polls` (and its aliases, which preset `sort` or `q`).
    pub(crate) async fn list(
        &self,
        viewer: Option<Uuid>,
        raw: &RawListParams,
    ) -> Result<PollPage, Error> {
        self.page_of(viewer, raw.parse()?).await
    }

    /// `GET /api/polls/search`: a list whose `q` must have some text.
    pub(crate) async fn search(
        &self,
        viewer: Option<Uuid>,
        raw: &RawListParams,
    ) -> Result<PollPage, Error> {
        self.page_of(viewer, raw.parse_search()?).await
    }

    /// A page from the replica (`db::reads`), but for the caller's own list (`creator` is the
    /// caller: drafts and unlisted polls included), read on the primary so that a poll just
    /// made or edited is in it at once. `liked_by_me` is always the primary's: a like the
    /// caller just gave shows on every list.
    async fn page_of(&self, viewer: Option<Uuid>, params: ListParams) -> Result<PollPage, Error> {
        let own = viewer.is_some() && params.creator == viewer;
        let (rows, total) = if own {
            db::discovery::list(&self.db, &params, viewer).await?
        } else {
            let params = &params;
            self.reads
                .run(|pool| async move { db::discovery::list(&pool, params, viewer).await })
                .await?
        };
        let liked = match viewer {
            Some(v) if !rows.is_empty() => {
                let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                db::discovery::liked_among(&self.db, v, &ids).await?
            }
            _ => Vec::new(),
        };
        let now = Utc::now();
        Ok(PollPage {
            polls: rows
                .into_iter()
                .map(|r| {
                    let mine = liked.contains(&r.id);
                    PollSummary::build(r, mine, now)
                })
                .collect(),
            page: params.paging.page,
            per_page: params.paging.per_page,
            total,
        })
    }

    /// `PUT` (`on`) or `DELETE /api/polls/{id}/like`: idempotent; the audit entry is written
    /// only when the like really changed, in its transaction.
    pub(crate) async fn set_like(&self, user: Uuid, id: Uuid, on: bool) -> Result<LikeView, Error> {
        let record = self.visible(Some(user), id).await?;
        self.spend(user, Spend::Write).await?;
        let mut tx = self.db.begin().await.map_err(DbError::from)?;
        let changed = if on {
            db::likes::like(&mut tx, id, user).await?
        } else {
            db::likes::unlike(&mut tx, id, user).await?
        };
        if changed {
            let action = if on { "poll_liked" } else { "poll_unliked" };
            audit::record(&mut tx, Some(user), action, Target::poll(id), json!({})).await?;
        }
        let (likes, liked_by_me) = db::likes::state(&mut tx, id, Some(user)).await?;
        tx.commit().await.map_err(DbError::from)?;
        if changed {
            // A like is interest; an unlike only moves the count (written above).
            if on {
                self.trend(id, user);
            }
            if let Some(p) = self.publisher() {
                p.counts_changed(id, record.poll.creator_id).await;
            }
        }
        Ok(LikeView { likes, liked_by_me })
    }

    /// The poll's like count and whether `viewer` likes it.
    pub(crate) async fn likes_of(
        &self,
        id: Uuid,
        viewer: Option<Uuid>,
    ) -> Result<(i64, bool), Error> {
        let mut conn = self.db.acquire().await.map_err(DbError::from)?;
        Ok(db::likes::state(&mut conn, id, viewer).await?)
    }

    /// `who` (an account, or an anonymous voter id) really did something on `poll`: adds one
    /// unit of trend weight unless they already did within `TREND_WINDOW`, cluster-wide. The
    /// gate is asked in a task of its own, off the request's path: the weight is buffered for
    /// up to a second anyway. A gate that cannot be asked (Redis down) lets the weight through:
    /// the activity was real, and a trend is a soft signal.
    pub(super) fn trend(&self, poll: Uuid, who: Uuid) {
        if !self.activity.first_ask(poll, who) {
            return;
        }
        let store = Arc::clone(&self.store);
        let activity = Arc::clone(&self.activity);
        tokio::spawn(async move {
            match store
                .throttle(&format!("trend:{poll}:{who}"), 1, TREND_WINDOW)
                .await
            {
                Ok(Some(_)) => {}
                Ok(None) => activity.weigh(poll),
                Err(e) => {
                    tracing::debug!(error = %e, poll = %poll, "trend gate unavailable; counted");
                    activity.weigh(poll);
                }
            }
        });
    }

    async fn flush_activity(&self) -> Result<(), Error> {
        let pending = self.activity.take();
        if pending.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let mut ids = Vec::with_capacity(pending.len());
        let mut voters = Vec::with_capacity(pending.len());
        let mut votes = Vec::with_capacity(pending.len());
        let mut weights = Vec::with_capacity(pending.len());
        for (id, p) in pending {
            ids.push(id);
            voters.push(p.voters);
            votes.push(p.votes);
            weights.push((p.events > 0).then(|| trend_weight(p.events, now)));
        }
        db::discovery::apply_activity(&self.db, &ids, &voters, &votes, &weights).await?;
        Ok(())
    }
}

/// Writes the buffered activity every second, and once more at shutdown.
pub(crate) fn spawn(polls: Arc<PollService>, shutdown: CancellationToken) {
    super::flush_every(FLUSH_EVERY, shutdown, "poll activity flush", move || {
        let polls = Arc::clone(&polls);
        async move { polls.flush_activity().await }
    });
}

/// `GET /api/users/{id}`: `{user}` without the email.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProfileView {
    pub id: Uuid,
    pub display_name: String,
    pub created_at: chrono::DateTime<Utc>,
    /// Public, published polls.
    pub polls_created: i64,
    /// Ballots in public, published polls.
    pub votes_cast: i64,
    pub likes_received: i64,
}

/// One of `GET /api/me/votes`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MyVote {
    pub poll: PollSummary,
    pub option_ids: Vec<Uuid>,
    pub voted_at: chrono::DateTime<Utc>,
}

impl PollService {
    /// `GET /api/users/{id}`: from the replica, but the caller's own from the primary (a name
    /// just changed, a poll just published, show at once).
    pub(crate) async fn profile(
        &self,
        viewer: Option<Uuid>,
        id: Uuid,
    ) -> Result<ProfileView, Error> {
        let p = if viewer == Some(id) {
            db::discovery::profile(&self.db, id).await?
        } else {
            self.reads
                .run(|pool| async move { db::discovery::profile(&pool, id).await })
                .await?
        }
        .ok_or_else(|| Error::not_found("user_not_found", "no such user"))?;
        Ok(ProfileView {
            id: p.id,
            display_name: p.display_name,
            created_at: p.created_at,
            polls_created: p.polls_created,
            votes_cast: p.votes_cast,
            likes_received: p.likes_received,
        })
    }

    /// Summaries of `ids` in that order, as `viewer` sees them.
    async fn summaries_in_order(
        &self,
        viewer: Uuid,
        ids: &[Uuid],
    ) -> Result<Vec<PollSummary>, Error> {
        let rows = db::discovery::summaries(&self.db, ids).await?;
        let liked = db::discovery::liked_among(&self.db, viewer, ids).await?;
        let now = Utc::now();
        let mut by_id: HashMap<Uuid, SummaryRow> = rows.into_iter().map(|r| (r.id, r)).collect();
        Ok(ids
            .iter()
            .filter_map(|id| by_id.remove(id))
            .map(|r| {
                let mine = liked.contains(&r.id);
                PollSummary::build(r, mine, now)
            })
            .collect())
    }

    /// `GET /api/me/votes`: the caller's ballots, newest first.
    pub(crate) async fn my_votes(
        &self,
        user: Uuid,
        raw: &RawListParams,
    ) -> Result<Vec<MyVote>, Error> {
        let params = raw.parse()?;
        let ballots = db::discovery::votes_of(
            &self.db,
            user,
            params.paging.per_page,
            params.paging.offset(),
        )
        .await?;
        let ids: Vec<Uuid> = ballots.iter().map(|b| b.0).collect();
        let mut polls: HashMap<Uuid, PollSummary> = self
            .summaries_in_order(user, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        Ok(ballots
            .into_iter()
            .filter_map(|(id, option_ids, voted_at)| {
                polls.remove(&id).map(|poll| MyVote {
                    poll,
                    option_ids,
                    voted_at,
                })
            })
            .collect())
    }

    /// `GET /api/me/likes`: the polls the caller likes, most recently liked first.
    pub(crate) async fn my_likes(
        &self,
        user: Uuid,
        raw: &RawListParams,
    ) -> Result<Vec<PollSummary>, Error> {
        let params = raw.parse()?;
        let ids = db::discovery::likes_of(
            &self.db,
            user,
            params.paging.per_page,
            params.paging.offset(),
        )
        .await?;
        self.summaries_in_order(user, &ids).await
    }
}
