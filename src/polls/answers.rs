//! Text polls in the service: taking an answer (the voter's limit holds under concurrency, on
//! any node: `submit_text_answer` in Postgres counts one voter's answers one at a time), the
//! creator's moderation queue and decisions, and the results (approved answers and the word
//! cloud of `domain::poll::words`).
//!
//! Live updates ride the same path as votes: each answer and each decision bumps the poll's
//! cached counts (`seq`; the voter count too for a voter's first answer), so `poll_results`
//! (coalesced, at most 10 a second per poll, ending exact) and the plain WebSocket's poll
//! view follow on every node; the creator's sockets also get each queue change at once as
//! `poll_answer`. Voters and watchers only ever get [`TextResults`], built from approved
//! answers alone.

use chrono::Utc;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    PollService,
    view::{ApprovedAnswer, MyAnswer, PollView, QueuedAnswer, TextResults},
    votes::Voter,
};
use crate::{
    db::{
        self, DbError,
        answers::{AnswerRow, NewAnswerRow, Submitted},
        audit::{self, Target},
        ballots,
    },
    domain::poll::{
        PollError,
        kind::PollKind,
        text::{AnswerStatus, moderation_target},
        vote::Delta,
        words::{WordCount, word_counts},
    },
    error::Error,
};

/// Approved answers listed in the results (the newest); the word cloud counts all of them.
const ANSWERS_SHOWN: i64 = 100;
/// Answers the creator's queue lists at once (the oldest first: the order to work through).
const QUEUE_PAGE: i64 = 500;

fn mine(a: AnswerRow) -> MyAnswer {
    MyAnswer {
        id: a.id,
        status: AnswerStatus::parse(&a.status).unwrap_or(AnswerStatus::Hidden),
        text: a.body,
        created_at: a.created_at,
    }
}

/// How many answers have each status.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub(crate) struct StatusCounts {
    pub pending: i64,
    pub approved: i64,
    pub hidden: i64,
}

/// `GET /api/polls/{id}/answers`: the creator's queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AnswerQueue {
    /// Oldest first, at most 500.
    pub answers: Vec<QueuedAnswer>,
    pub counts: StatusCounts,
}

/// An answer taken: the author's view of it, and the poll after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AnswerTaken {
    pub answer: MyAnswer,
    pub poll: PollView,
}

impl PollService {
    /// A text poll's results: the newest approved answers and the cloud of all of them.
    pub(super) async fn text_results(&self, poll: Uuid) -> Result<TextResults, Error> {
        let (shown, answer_count) = db::answers::approved(&self.db, poll, ANSWERS_SHOWN).await?;
        let texts = db::answers::approved_texts(&self.db, poll).await?;
        let words: Vec<WordCount> = word_counts(texts.iter().map(String::as_str));
        Ok(TextResults {
            answers: shown
                .into_iter()
                .map(|(id, text, created_at)| ApprovedAnswer {
                    id,
                    text,
                    created_at,
                })
                .collect(),
            answer_count,
            words,
        })
    }

    /// The poll body with the answers of the voter filed under `key` (a text poll only).
    pub(super) async fn with_my_answers(
        &self,
        mut view: PollView,
        key: Option<Uuid>,
    ) -> Result<PollView, Error> {
        if let (Some(text), Some(key)) = (view.text.as_mut(), key) {
            text.my_answers = db::answers::of_voter(&self.db, view.id, key)
                .await?
                .into_iter()
                .map(mine)
                .collect();
        }
        Ok(view)
    }

    /// `POST /api/polls/{id}/answers` and `answer_poll`.
    pub(crate) async fn submit_answer(
        &self,
        voter: Voter,
        id: Uuid,
        raw: &str,
    ) -> Result<AnswerTaken, Error> {
        let record = self.visible(voter.user, id).await?;
        if voter.user.is_none() && !record.poll.allow_anonymous {
            return Err(Error::Unauthorized);
        }
        let state = record.state(false);
        state.ensure_kind(PollKind::Text)?;
        state.ensure_votable(Utc::now())?;
        let settings = record
            .poll
            .text_settings()
            .ok_or_else(|| Error::Internal("a text poll without its settings".into()))?;
        let answer = settings.answer(raw)?;
        let answer_id = Uuid::new_v4();
        let mut conn = self.db.acquire().await.map_err(DbError::from)?;
        let row = NewAnswerRow {
            id: answer_id,
            poll: id,
            voter: voter.key,
            user: voter.user,
            body: &answer.text,
            status: answer.status.as_str(),
            flagged: answer.flagged,
        };
        let submitted = db::answers::submit(&mut conn, &row).await;
        // Taken: the counts move (a new voter) or at least their `seq`, which is how watchers
        // on every node learn of the change; under the shared counts lock, as a vote's delta.
        let applied = match &submitted {
            Ok(Submitted::Taken { first }) => {
                let delta = Delta {
                    voters: i64::from(*first),
                    ..Delta::default()
                };
                self.cache.apply(id, &delta).await
            }
            _ => Ok(None),
        };
        tokio::spawn(async move {
            if ballots::unlock_counts_shared(&mut conn, id).await.is_err() {
                conn.close_on_drop();
            }
        });
        let first = match submitted? {
            Submitted::Taken { first } => first,
            Submitted::Gone => return Err(PollError::PollNotFound.into()),
            Submitted::Closed => return Err(PollError::PollClosed.into()),
            // The kind is fixed at creation, so this is only a guard in depth.
            Submitted::WrongKind => {
                return Err(PollError::WrongKind("this poll does not take text answers").into());
            }
            Submitted::Limit(n) => return Err(PollError::AnswerLimit(n).into()),
        };
        match applied {
            // A new voter: the list counters (voters, for `popular`) follow, as after a vote.
            Ok(Some(counts)) if first => self.activity.vote(id, &counts),
            Ok(_) => {}
            // Taken, but the cached counts missed it: let the next read rebuild them.
            Err(_) => {
                let _ = self.cache.forget(id).await;
            }
        }
        self.trend(id, voter.key);
        self.changed(&record.poll.creator_id, id, answer_id).await;
        let view = self.view_as_voter(&record, voter).await?;
        let answer = view
            .text
            .as_ref()
            .and_then(|t| t.my_answers.iter().find(|a| a.id == answer_id).cloned())
            .ok_or_else(|| Error::Internal("a taken answer is missing".into()))?;
        Ok(AnswerTaken { answer, poll: view })
    }

    /// The poll as `voter` sees it after their answer.
    async fn view_as_voter(
        &self,
        record: &db::polls::PollRecord,
        voter: Voter,
    ) -> Result<PollView, Error> {
        let counts = self.counts(record.poll.id).await?;
        let view = PollView::build(record, &counts, Vec::new(), Utc::now());
        let mut view = self.with_runoff(record, view).await?;
        view.likes = record.likes;
        view.liked_by_me = record.liked_by_me;
        self.with_my_answers(view, Some(voter.key)).await
    }

    /// Tells the poll's watchers (coalesced `poll_results`) and its creator (`poll_answer`).
    async fn changed(&self, creator: &Uuid, poll: Uuid, answer: Uuid) {
        let Some(p) = self.publisher() else { return };
        p.counts_changed(poll, *creator).await;
        match db::answers::get(&self.db, answer).await {
            Ok(Some(a)) => p.answer_changed(*creator, &QueuedAnswer::of(a)).await,
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "poll_answer not sent"),
        }
    }

    /// `GET /api/polls/{id}/answers`: the creator's queue, by status (all for `None`).
    pub(crate) async fn answer_queue(
        &self,
        actor: Uuid,
        id: Uuid,
        status: Option<AnswerStatus>,
    ) -> Result<AnswerQueue, Error> {
        let record = self.visible(Some(actor), id).await?;
        let state = record.state(false);
        state.ensure_creator(actor)?;
        state.ensure_kind(PollKind::Text)?;
        let answers =
            db::answers::queue(&self.db, id, status.map(AnswerStatus::as_str), QUEUE_PAGE)
                .await?
                .into_iter()
                .map(QueuedAnswer::of)
                .collect();
        let mut counts = StatusCounts::default();
        for (s, n) in db::answers::status_counts(&self.db, id).await? {
            match AnswerStatus::parse(&s) {
                Some(AnswerStatus::Pending) => counts.pending = n,
                Some(AnswerStatus::Approved) => counts.approved = n,
                Some(AnswerStatus::Hidden) => counts.hidden = n,
                None => {}
            }
        }
        Ok(AnswerQueue { answers, counts })
    }

    /// `PATCH /api/polls/{id}/answers/{answer_id}`: the creator approves or hides an answer
    /// (again and either way; the same status again changes nothing). In one transaction with
    /// its audit entry, the answer's row locked, so two decisions on one answer land one after
    /// the other and the last one stands.
    pub(crate) async fn moderate(
        &self,
        actor: Uuid,
        id: Uuid,
        answer: Uuid,
        status: AnswerStatus,
    ) -> Result<QueuedAnswer, Error> {
        let target = moderation_target(status)?;
        let mut tx = self.db.begin().await.map_err(DbError::from)?;
        let record = match db::polls::load(&mut tx, id, false).await? {
            Some(r) if r.state(false).visible_to(Some(actor)) => r,
            _ => return Err(PollError::PollNotFound.into()),
        };
        let state = record.state(false);
        state.ensure_creator(actor)?;
        state.ensure_kind(PollKind::Text)?;
        let row = db::answers::lock(&mut tx, id, answer)
            .await?
            .ok_or(PollError::AnswerNotFound)?;
        if row.status == target.as_str() {
            return Ok(QueuedAnswer::of(row));
        }
        let previous = row.status;
        let row = db::answers::set_status(&mut tx, answer, target.as_str()).await?;
        let action = match target {
            AnswerStatus::Hidden => "answer_hidden",
            _ => "answer_approved",
        };
        audit::record(
            &mut tx,
            Some(actor),
            action,
            Target {
                kind: "answer",
                id: Some(answer),
                poll_id: Some(id),
            },
            json!({"previous": previous, "status": target.as_str()}),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        // No count moves; the `seq` does, so every node's watchers read the results again.
        if self.cache.apply(id, &Delta::default()).await.is_err() {
            let _ = self.cache.forget(id).await;
        }
        self.changed(&record.poll.creator_id, id, answer).await;
        Ok(QueuedAnswer::of(row))
    }
}
