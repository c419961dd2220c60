//! Voting: a ballot is checked on the poll's rules held in the process (`rules`), then
//! replaces the voter's earlier one in a transaction shared with the ballots arriving at the
//! same time (`ballot_box`; its row lock orders one voter's concurrent changes, and the
//! database checks the ballot again on the poll as it is now); the audit entry goes in the
//! same transaction, and the counts' delta is added in Redis after the commit, before the
//! answer, so any read after the answer sees it (read-your-writes on any node).

use chrono::Utc;
use std::sync::Arc;
use uuid::Uuid;

use super::{
    PollService,
    ballot_box::{Ballot, Written},
    view::{PollView, ResultsView},
};
/// Who votes (a rule's type, `domain::poll::vote`; here too, where the transports look for it).
pub(crate) use crate::domain::poll::vote::Voter;
use crate::{
    db::{
        self, DbError,
        ballots::{self, BallotRow, Outcome, Refusal},
        polls::PollRecord,
    },
    domain::poll::{PollError, PollState, kind::PollKind},
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
    /// Text polls only: the approved answers and the word cloud (`total_votes` is then the
    /// number of approved answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<super::view::TextResults>,
    #[serde(skip)]
    pub creator_id: Uuid,
}

impl PollService {
    /// `PUT /api/polls/{id}/vote` and `vote_poll`.
    pub(crate) async fn vote(
        &self,
        voter: Voter,
        id: Uuid,
        option_ids: &[Uuid],
    ) -> Result<PollView, Error> {
        let (record, ballot) = self
            .checked(voter, id, |state| state.choice(option_ids, Utc::now()))
            .await?;
        self.cast(voter, record, Some(ballot)).await
    }

    /// `DELETE /api/polls/{id}/vote`.
    pub(crate) async fn withdraw(&self, voter: Voter, id: Uuid) -> Result<PollView, Error> {
        let (record, ()) = self
            .checked(voter, id, |state| {
                if state.kind == PollKind::Text {
                    // A text poll's ballots are answers: refused whatever its status, saying so.
                    state.ensure_kind(PollKind::Choice)?;
                }
                state.ensure_votable(Utc::now())
            })
            .await?;
        self.cast(voter, record, None).await
    }

    /// The poll's rules (held in the process, `rules`) and `check`'s verdict on them. Rules
    /// that refuse are read afresh and asked again: a stale copy may refuse what the poll now
    /// allows (an option just added on another node); what it wrongly allows, the ballot's
    /// own call refuses, checking it on the poll as it is.
    async fn checked<T>(
        &self,
        voter: Voter,
        id: Uuid,
        check: impl Fn(&PollState) -> Result<T, PollError>,
    ) -> Result<(Arc<PollRecord>, T), Error> {
        if let Some(record) = self.rules.get(id)
            && let Ok(t) = allowed(&record, voter, &check)
        {
            return Ok((record, t));
        }
        let record = self.fresh_rules(id).await?;
        let t = allowed(&record, voter, &check)?;
        Ok((record, t))
    }

    /// The poll read now, and held as its rules.
    async fn fresh_rules(&self, id: Uuid) -> Result<Arc<PollRecord>, Error> {
        self.rules.forget(id);
        let record = Arc::new(
            db::polls::get(&self.db, id)
                .await?
                .ok_or(PollError::PollNotFound)?,
        );
        self.rules.put(&record);
        Ok(record)
    }

    /// Writes the ballot (`None` withdraws; group-committed, `ballot_box`) and answers with
    /// the poll as it was when the ballot was checked, or newer.
    async fn cast(
        &self,
        voter: Voter,
        record: Arc<PollRecord>,
        ballot: Option<Vec<Uuid>>,
    ) -> Result<PollView, Error> {
        let id = record.poll.id;
        let kind = record.state(false).kind;
        let (cast, written) = self
            .ballots
            .cast(Ballot {
                row: BallotRow {
                    poll: id,
                    voter: voter.key,
                    user: voter.user,
                    options: ballot.clone(),
                },
                kind,
            })
            .await?;
        let refusal: Option<Error> = match cast.outcome {
            Outcome::NoVote => Some(PollError::NoVote.into()),
            Outcome::Refused(why) => Some(match why {
                Refusal::Gone => PollError::PollNotFound.into(),
                Refusal::Closed => PollError::PollClosed.into(),
                Refusal::OptionGone => PollError::OptionNotFound.into(),
                Refusal::TooMany(limit) => PollError::TooManyChoices(limit).into(),
                Refusal::Anonymous => Error::Unauthorized,
            }),
            _ => None,
        };
        if let Some(e) = refusal {
            // The database refused what this node's rules allowed: they were stale.
            if !matches!(cast.outcome, Outcome::NoVote) {
                self.rules.forget(id);
            }
            return Err(e);
        }
        // The rules this node held were older than the poll the ballot was checked against.
        let record = if cast.version.is_some_and(|v| v != record.poll.updated_at) {
            self.fresh_rules(id).await?
        } else {
            record
        };
        let counts = self.after_write(&record, voter, written).await?;
        let view = PollView::build(&record, &counts, ballot.unwrap_or_default(), Utc::now());
        let mut view = self.with_runoff(&record, view).await?;
        view.likes = cast.likes;
        view.liked_by_me = cast.liked;
        Ok(view)
    }

    /// The counts to answer with; after a real change, also the activity (list counters and
    /// trend) and the live update for the poll's watchers. The same ballot sent again is no
    /// activity: a loop of re-sends must neither buy a trend nor push a broadcast.
    async fn after_write(
        &self,
        record: &PollRecord,
        voter: Voter,
        written: Written,
    ) -> Result<Counts, Error> {
        let counts = match written {
            Written::Unchanged => return self.counts(record.poll.id).await,
            // The ballot box enqueued the webhook events of the vote thresholds it passed.
            Written::Changed(Some(c)) => c,
            Written::Changed(None) => {
                let c = self.counts(record.poll.id).await?;
                crate::webhooks::outbox::votes_counted(&self.db, record.poll.id, c.voters);
                c
            }
        };
        self.activity.vote(record.poll.id, &counts);
        self.trend(record.poll.id, voter.key);
        if let Some(p) = self.publisher() {
            p.counts_changed(record.poll.id, record.poll.creator_id)
                .await;
        }
        Ok(counts)
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
            text: None,
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

/// `check`'s verdict on a ballot under `record`'s rules, once `voter` may vote at all: the
/// poll is visible to them (a draft only to its creator) and open to anonymous voters if they
/// are one.
fn allowed<T>(
    record: &PollRecord,
    voter: Voter,
    check: &impl Fn(&PollState) -> Result<T, PollError>,
) -> Result<T, Error> {
    let state = record.state(false);
    if !state.visible_to(voter.user) {
        return Err(PollError::PollNotFound.into());
    }
    if voter.user.is_none() && !record.poll.allow_anonymous {
        return Err(Error::Unauthorized);
    }
    Ok(check(&state)?)
}
