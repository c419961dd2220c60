//! Statistics and the feed (issue 12): a poll's stats for its creator (`GET
//! /api/polls/{id}/stats`), the site's (`GET /api/polls/stats`), the view counter behind the
//! first, and the feed's first page (`subscribe_feed`).
//!
//! What a view is: one successful `GET /api/polls/{id}` by anyone but the poll's creator
//! (signed in or anonymous; the creator checking their own poll is not an audience). Every read
//! counts, with no per-viewer dedup (that would cost a write per read, which is what this
//! avoids). Live watches (`subscribe_poll`, `/ws/polls/{id}`) and list pages are not views.
//! Views are counted in memory per node and added to the poll row once a second with one
//! statement (the pattern of `discovery`'s activity buffer), so a read costs no Postgres write;
//! a node that dies loses at most its last second of views. A poll's stats add the views this
//! node has not flushed yet; other nodes' show within a second.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    PollService,
    discovery::PollSummary,
    view::{CategoryView, PollView},
};
use crate::{
    db,
    domain::poll::{PollError, code::PollRef, discovery::RawListParams, vote::Voter},
    error::Error,
};

/// How often buffered views are written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// How long a node reuses the site stats it computed: they read every public poll's row, so
/// at most one such read per node per this period, however many clients ask.
const SITE_TTL: Duration = Duration::from_secs(1);
/// Categories in the site stats.
const TOP_CATEGORIES: usize = 5;
/// Polls in the feed's first page.
const FEED_SIZE: &str = "20";

/// Views not yet written to the poll rows.
#[derive(Debug, Default)]
pub(crate) struct Views {
    pending: Mutex<HashMap<Uuid, i64>>,
}

impl Views {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, i64>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn note(&self, poll: Uuid) {
        *self.lock().entry(poll).or_insert(0) += 1;
    }

    fn unflushed(&self, poll: Uuid) -> i64 {
        self.lock().get(&poll).copied().unwrap_or(0)
    }

    fn take(&self) -> HashMap<Uuid, i64> {
        std::mem::take(&mut *self.lock())
    }

    /// Puts back views whose write failed, so the next flush retries them.
    fn restore(&self, views: HashMap<Uuid, i64>) {
        let mut pending = self.lock();
        for (id, n) in views {
            *pending.entry(id).or_insert(0) += n;
        }
    }
}

/// The site stats this node computed last, and when.
#[derive(Default)]
pub(crate) struct SiteCache(tokio::sync::Mutex<Option<(Instant, SiteStats)>>);

/// `{hour, votes}`: ballots cast in the hour starting at `hour`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct HourVotes {
    pub hour: DateTime<Utc>,
    pub votes: i64,
}

/// `GET /api/polls/{id}/stats`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PollStats {
    /// Ballots cast per hour, oldest first, hours without any left out. A ballot counts in the
    /// hour it was first cast: a change of choice is not a new vote, and a withdrawn ballot
    /// stays in the history of when people voted.
    pub votes_by_hour: Vec<HourVotes>,
    /// People whose ballot stands now (as in `{poll}`).
    pub voters: i64,
    pub likes: i64,
    /// Reads of the poll by anyone but its creator (see the module's doc).
    pub views: i64,
    /// The first ballot cast; `null` before any.
    pub first_vote_at: Option<DateTime<Utc>>,
    /// The latest ballot cast or changed; `null` before any.
    pub last_vote_at: Option<DateTime<Utc>>,
}

/// `GET /api/polls/stats`: public, published polls only (never drafts or unlisted polls).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct SiteStats {
    pub polls: i64,
    /// Open and not past `expires_at`.
    pub open_polls: i64,
    /// Chosen options, summed over the polls (as `total_votes`).
    pub votes: i64,
    /// Ballots, summed over the polls: one per person per poll, so someone who voted in three
    /// polls counts three times (a distinct count over every ballot is not cheap).
    pub voters: i64,
    pub likes: i64,
    /// Chosen options in ballots cast or changed in the last 24 hours.
    pub votes_last_24h: i64,
    /// The categories with the most public polls (at most 5), `poll_count` being that number.
    pub top_categories: Vec<CategoryView>,
}

impl PollSummary {
    /// A poll as the feed shows it, from the full view just built.
    pub(crate) fn of_view(p: &PollView) -> PollSummary {
        PollSummary {
            id: p.id,
            code: p.code.clone(),
            question: p.question.clone(),
            category: p.category.clone(),
            creator: p.creator.clone(),
            kind: p.kind.clone(),
            status: p.status.clone(),
            allow_multiple: p.allow_multiple,
            max_choices: p.max_choices,
            is_public: p.is_public,
            allow_anonymous: p.allow_anonymous,
            expires_at: p.expires_at,
            created_at: p.created_at,
            updated_at: p.updated_at,
            closed_at: p.closed_at,
            option_count: i64::try_from(p.options.len()).unwrap_or(0),
            total_votes: p.total_votes,
            voters: p.voters,
            likes: p.likes,
            liked_by_me: false,
        }
    }
}

impl PollService {
    /// `GET /api/polls/{id}` (an id or a code): the poll as `voter` sees it, counted as a
    /// view unless `voter` is its creator. By code or by id, the same poll is as visible.
    pub(crate) async fn get_viewed(
        &self,
        voter: Option<Voter>,
        poll: PollRef,
    ) -> Result<PollView, Error> {
        let id = match poll {
            PollRef::Id(id) => id,
            PollRef::Code(code) => db::polls::id_by_code(&self.db, &code)
                .await?
                .ok_or(PollError::PollNotFound)?,
        };
        let view = self.get_as(voter, id).await?;
        if voter.and_then(|v| v.user) != Some(view.creator.id) {
            self.views.note(id);
        }
        Ok(view)
    }

    /// `GET /api/polls/{id}/stats`: the creator's only (others 403 `not_creator`; a draft of
    /// someone else stays 404, as everywhere).
    pub(crate) async fn poll_stats(&self, actor: Uuid, id: Uuid) -> Result<PollStats, Error> {
        let record = self.visible(Some(actor), id).await?;
        record.state(false).ensure_creator(actor)?;
        let history = db::stats::vote_history(&self.db, id).await?;
        let counts = self.counts(id).await?;
        let (likes, _) = self.likes_of(id, None).await?;
        let views = db::stats::views(&self.db, id).await? + self.views.unflushed(id);
        Ok(PollStats {
            votes_by_hour: history
                .by_hour
                .into_iter()
                .map(|(hour, votes)| HourVotes { hour, votes })
                .collect(),
            voters: counts.voters.max(0),
            likes,
            views,
            first_vote_at: history.first,
            last_vote_at: history.last,
        })
    }

    /// `GET /api/polls/stats`, computed at most once per `SITE_TTL` per node (concurrent
    /// askers wait for the one computing rather than each running the query).
    pub(crate) async fn site_stats(&self) -> Result<SiteStats, Error> {
        let mut cached = self.site.0.lock().await;
        if let Some((at, stats)) = cached.as_ref()
            && at.elapsed() < SITE_TTL
        {
            return Ok(stats.clone());
        }
        let (groups, votes_last_24h, names) = self
            .reads
            .run(|pool| async move { db::stats::site(&pool).await })
            .await?;
        let sum = |f: fn(&db::stats::SiteGroup) -> i64| groups.iter().map(f).sum::<i64>();
        let mut top: Vec<CategoryView> = names
            .into_iter()
            .map(|c| CategoryView {
                poll_count: groups
                    .iter()
                    .filter(|g| g.category_id == Some(c.id))
                    .map(|g| g.polls)
                    .sum(),
                id: c.id,
                slug: c.slug,
                name: c.name,
                description: c.description,
            })
            .collect();
        top.sort_by(|a, b| b.poll_count.cmp(&a.poll_count).then(a.slug.cmp(&b.slug)));
        top.truncate(TOP_CATEGORIES);
        let stats = SiteStats {
            polls: sum(|g| g.polls),
            open_polls: sum(|g| g.open_polls),
            votes: sum(|g| g.votes),
            voters: sum(|g| g.voters),
            likes: sum(|g| g.likes),
            votes_last_24h,
            top_categories: top,
        };
        *cached = Some((Instant::now(), stats.clone()));
        Ok(stats)
    }

    /// The feed's first page: the most recent public, published polls (open or closed).
    pub(crate) async fn feed(&self) -> Result<Vec<PollSummary>, Error> {
        let raw = RawListParams {
            sort: Some("recent".into()),
            per_page: Some(FEED_SIZE.into()),
            ..RawListParams::default()
        };
        Ok(self.list(None, &raw).await?.polls)
    }

    /// Tells the feed about `view`, which just became visible to everyone (public and published:
    /// `domain::poll::notice::enters_feed` decides).
    pub(super) async fn announce(&self, view: &PollView) {
        if let Some(p) = self.publisher() {
            p.created(&PollSummary::of_view(view)).await;
        }
    }

    async fn flush_views(&self) -> Result<(), Error> {
        let pending = self.views.take();
        if pending.is_empty() {
            return Ok(());
        }
        let mut rows: Vec<(Uuid, i64)> = pending.iter().map(|(id, n)| (*id, *n)).collect();
        rows.sort_unstable();
        let (ids, counts): (Vec<Uuid>, Vec<i64>) = rows.into_iter().unzip();
        // A failed write (Postgres down, or a deadlock with another node's flush of the same
        // rows) puts the views back for the next flush rather than losing them.
        if let Err(e) = db::stats::add_views(&self.db, &ids, &counts).await {
            self.views.restore(pending);
            return Err(e.into());
        }
        Ok(())
    }
}

/// Writes the buffered views every second, and once more at shutdown.
pub(crate) fn spawn(polls: Arc<PollService>, shutdown: CancellationToken) {
    super::flush_every(FLUSH_EVERY, shutdown, "poll views flush", move || {
        let polls = Arc::clone(&polls);
        async move { polls.flush_views().await }
    });
}
