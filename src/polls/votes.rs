//! Voting: a ballot replaces the voter's earlier one in one transaction (its row lock orders
//! one voter's concurrent changes), the audit entry goes in the same transaction, and the
//! counts' delta is added in Redis after the commit, before the answer, so any read after the
//! answer sees it (read-your-writes on any node).

use chrono::Utc;
use uuid::Uuid;

use super::{
    PollService,
    view::{PollView, ResultsView},
};
/// Who votes (a rule's type, `domain::poll::vote`; here too, where the transports look for it).
pub(crate) use crate::domain::poll::vote::Voter;
use crate::{
    db::{
        self, DbError,
        ballots::{self, Outcome, Refusal},
    },
    domain::poll::{PollError, kind::PollKind, vote::Delta},
    error::Error,
    store::poll_cache::Counts,
};

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LiveOption {
    pub id: Uuid,
    pub votes: i64,
}

/// The payload of `poll_results`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LiveResults {
    pub poll_id: Uuid,
    pub options: Vec<LiveOption>,
    pub total_votes: i64,
    pub voters: i64,
    pub likes: i64,
    /// Ranked polls only: the instant runoff (`votes` above are then first choices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runoff: Option<crate::domain::poll::runoff::Runoff>,
    #[serde(skip)]
    pub creator_id: Uuid,
}

/// A vote's answer carries the likes read with the poll (for the voter: `visible` reads the
/// record as them), so the contract's `{poll}` is whole without another round trip.
fn with_likes(mut view: PollView, record: &db::polls::PollRecord) -> PollView {
    view.likes = record.likes;
    view.liked_by_me = record.liked_by_me;
    view
}

/// What writing a ballot did to the counts.
#[derive(Debug)]
enum Written {
    /// Nothing (the same choice again): nothing to note or announce.
    Unchanged,
    /// The counts moved; the counts after the delta, when they were cached (`None`: not
    /// cached, the next read rebuilds them).
    Changed(Option<Counts>),
}

impl PollService {
    /// `PUT /api/polls/{id}/vote` and `vote_poll`.
    pub(crate) async fn vote(
        &self,
        voter: Voter,
        id: Uuid,
        option_ids: &[Uuid],
    ) -> Result<PollView, Error> {
        let record = self.visible(voter.user, id).await?;
        if voter.user.is_none() && !record.poll.allow_anonymous {
            return Err(Error::Unauthorized);
        }
        let state = record.state(false);
        let ballot = state.choice(option_ids, Utc::now())?;
        let written = self.write(id, voter, state.kind, Some(&ballot)).await?;
        let counts = self.after_write(&record, voter, written).await?;
        let view = PollView::build(&record, &counts, ballot, Utc::now());
        Ok(with_likes(self.with_runoff(&record, view).await?, &record))
    }

    /// `DELETE /api/polls/{id}/vote`.
    pub(crate) async fn withdraw(&self, voter: Voter, id: Uuid) -> Result<PollView, Error> {
        let record = self.visible(voter.user, id).await?;
        if voter.user.is_none() && !record.poll.allow_anonymous {
            return Err(Error::Unauthorized);
        }
        let state = record.state(false);
        state.ensure_votable(Utc::now())?;
        let written = self.write(id, voter, state.kind, None).await?;
        let counts = self.after_write(&record, voter, written).await?;
        let view = PollView::build(&record, &counts, Vec::new(), Utc::now());
        Ok(with_likes(self.with_runoff(&record, view).await?, &record))
    }

    /// The counts to answer with; after a real change, also the activity (list counters and
    /// trend) and the live update for the poll's watchers. The same ballot sent again is no
    /// activity: a loop of re-sends must neither buy a trend nor push a broadcast.
    async fn after_write(
        &self,
        record: &db::polls::PollRecord,
        voter: Voter,
        written: Written,
    ) -> Result<Counts, Error> {
        let counts = match written {
            Written::Unchanged => return self.counts(record.poll.id).await,
            Written::Changed(Some(c)) => c,
            Written::Changed(None) => self.counts(record.poll.id).await?,
        };
        self.activity.vote(record.poll.id, &counts);
        crate::webhooks::outbox::votes_counted(&self.db, record.poll.id, counts.voters);
        self.trend(record.poll.id, voter.key);
        if let Some(p) = self.publisher() {
            p.counts_changed(record.poll.id, record.poll.creator_id)
                .await;
        }
        Ok(counts)
    }

    /// Replaces (or with `new: None` removes) the voter's ballot and adds the delta to the
    /// cached counts. Holds the poll's shared counts lock from before the commit until the
    /// delta is in (see `db::ballots`); the unlock is the one round trip left after the answer
    /// is known, so it runs behind it.
    ///
    /// Every written change goes through the cache, even one that moves no count (a ranked
    /// ballot re-ordered below its first choice): applying it bumps the counts' `seq`, which is
    /// how watchers on every node learn that the results (here the runoff) changed.
    async fn write(
        &self,
        poll: Uuid,
        voter: Voter,
        kind: PollKind,
        new: Option<&[Uuid]>,
    ) -> Result<Written, Error> {
        let mut conn = self.db.acquire().await.map_err(DbError::from)?;
        let cast = ballots::cast(&mut conn, poll, voter.key, voter.user, new).await;
        let applied = match &cast {
            Ok((outcome, old)) => {
                if matches!(
                    outcome,
                    Outcome::Same | Outcome::NoVote | Outcome::Refused(_)
                ) {
                    Ok(Written::Unchanged)
                } else {
                    let delta = Delta::of_kind(kind, old.as_deref(), new);
                    match self.cache.apply(poll, &delta).await {
                        Ok(counts) => Ok(Written::Changed(counts)),
                        Err(e) => {
                            // The vote is committed; the cached counts missed its delta. Drop
                            // them so the next read rebuilds them from Postgres, retrying
                            // behind.
                            self.forget_later(poll);
                            Err(Error::from(e))
                        }
                    }
                }
            }
            Err(_) => Ok(Written::Unchanged),
        };
        tokio::spawn(async move {
            if ballots::unlock_counts_shared(&mut conn, poll)
                .await
                .is_err()
            {
                // Never hand a connection holding the lock back to the pool.
                conn.close_on_drop();
            }
        });
        match cast?.0 {
            Outcome::NoVote => return Err(PollError::NoVote.into()),
            Outcome::Refused(why) => {
                return Err(match why {
                    Refusal::Gone => PollError::PollNotFound,
                    Refusal::Closed => PollError::PollClosed,
                    Refusal::OptionGone => PollError::OptionNotFound,
                    Refusal::TooMany(limit) => PollError::TooManyChoices(limit),
                }
                .into());
            }
            _ => {}
        }
        applied
    }

    fn forget_later(&self, poll: Uuid) {
        let cache = self.cache.clone();
        tokio::spawn(async move {
            for _ in 0..60 {
                if cache.forget(poll).await.is_ok() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            tracing::warn!(poll = %poll, "cached counts may be stale until they expire");
        });
    }

    /// A poll's counts: the cached ones, or a fresh count installed in the cache. The rebuild
    /// holds the poll's exclusive counts lock, so no vote is between its commit and its delta.
    pub(crate) async fn counts(&self, poll: Uuid) -> Result<Counts, Error> {
        if let Some(c) = self.cache.get(poll).await? {
            return Ok(c);
        }
        let mut conn = self.db.acquire().await.map_err(DbError::from)?;
        ballots::lock_counts(&mut conn, poll).await?;
        let result = async {
            if let Some(c) = self.cache.get(poll).await? {
                return Ok(c);
            }
            let (options, voters) = ballots::count(&mut conn, poll).await?;
            Ok::<_, Error>(self.cache.install(poll, &options, voters).await?)
        }
        .await;
        if ballots::unlock_counts(&mut conn, poll).await.is_err() {
            conn.close_on_drop();
        }
        result
    }

    /// What `poll_results` carries, read fresh (`None`: the poll is gone).
    pub(crate) async fn live_results(&self, id: Uuid) -> Result<Option<LiveResults>, Error> {
        let Some(record) = db::polls::get(&self.db, id).await? else {
            return Ok(None);
        };
        let counts = self.counts(id).await?;
        let options: Vec<LiveOption> = record
            .options
            .iter()
            .map(|o| LiveOption {
                id: o.id,
                votes: counts.votes(o.id),
            })
            .collect();
        let live = LiveResults {
            poll_id: id,
            total_votes: options.iter().map(|o| o.votes).sum(),
            options,
            voters: counts.voters.max(0),
            likes: self.likes_of(id, None).await?.0,
            runoff: None,
            creator_id: record.poll.creator_id,
        };
        Ok(Some(self.live_with_runoff(&record, live).await?))
    }

    /// `GET /api/polls/{id}/results`: from the cache.
    pub(crate) async fn results(
        &self,
        viewer: Option<Uuid>,
        id: Uuid,
    ) -> Result<ResultsView, Error> {
        let record = self.visible(viewer, id).await?;
        let counts = self.counts(id).await?;
        let view = ResultsView::build(&record, &counts, Utc::now());
        self.results_with_runoff(&record, view).await
    }
}
