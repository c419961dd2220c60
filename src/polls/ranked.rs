//! A ranked poll's results: the instant runoff (`domain::poll::runoff`) of its ballots, read
//! from Postgres and put into every body that shows results (the poll, `GET …/results`,
//! `poll_results`, the plain WebSocket); a text poll's approved answers and word cloud
//! (`answers::text_results`) go into the same bodies here. In those bodies the per-option `votes` (first
//! choices), `total_votes` and `voters` come from the same read as the runoff, so one body
//! never disagrees with itself while votes arrive; the cached counts (first choices too, see
//! `Delta::of_kind`) serve the lists and the stats.

use std::collections::HashMap;
use uuid::Uuid;

use super::{
    PollService,
    view::{PollView, ResultsView, TextPollView},
    votes::LiveResults,
};
use crate::{
    db::{self, polls::PollRecord},
    domain::poll::{
        kind::PollKind,
        runoff::{Runoff, runoff},
    },
    error::Error,
};

/// A ranked poll's runoff, and from the same ballots its first choices and voter count.
struct Ranked {
    runoff: Runoff,
    first: HashMap<Uuid, i64>,
    voters: i64,
}

impl Ranked {
    fn votes(&self, option: Uuid) -> i64 {
        self.first.get(&option).copied().unwrap_or(0)
    }
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PollService {
    /// `None` for a poll that is not ranked (no query then).
    async fn ranked(&self, record: &PollRecord) -> Result<Option<Ranked>, Error> {
        if PollKind::parse(&record.poll.kind) != Some(PollKind::Ranked) {
            return Ok(None);
        }
        let ballots: Vec<(Vec<Uuid>, u64)> = db::ballots::rankings(&self.db, record.poll.id)
            .await?
            .into_iter()
            .map(|(b, n)| (b, u64::try_from(n).unwrap_or(0)))
            .collect();
        let options: Vec<Uuid> = record.options.iter().map(|o| o.id).collect();
        let result = runoff(&options, &ballots);
        let first = result
            .rounds
            .first()
            .map(|r| {
                r.tallies
                    .iter()
                    .map(|t| (t.option_id, count(t.votes)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(Ranked {
            runoff: result,
            first,
            voters: count(ballots.iter().map(|(_, n)| n).sum()),
        }))
    }

    /// The poll body, with its runoff when it is ranked.
    pub(super) async fn with_runoff(
        &self,
        record: &PollRecord,
        mut view: PollView,
    ) -> Result<PollView, Error> {
        if let Some(settings) = record.poll.text_settings() {
            let results = self.text_results(record.poll.id).await?;
            view.total_votes = results.answer_count;
            view.text = Some(TextPollView {
                max_length: settings.max_length,
                answers_per_voter: settings.answers_per_voter,
                moderation: settings.moderation,
                results,
                my_answers: Vec::new(),
            });
            return Ok(view);
        }
        if let Some(r) = self.ranked(record).await? {
            for o in &mut view.options {
                o.votes = r.votes(o.id);
            }
            view.total_votes = view.options.iter().map(|o| o.votes).sum();
            view.voters = r.voters;
            view.runoff = Some(r.runoff);
        }
        Ok(view)
    }

    /// `GET …/results`, with the runoff when the poll is ranked.
    pub(super) async fn results_with_runoff(
        &self,
        record: &PollRecord,
        mut view: ResultsView,
    ) -> Result<ResultsView, Error> {
        if record.poll.text_settings().is_some() {
            let results = self.text_results(record.poll.id).await?;
            view.total_votes = results.answer_count;
            view.text = Some(results);
            return Ok(view);
        }
        if let Some(r) = self.ranked(record).await? {
            for o in &mut view.options {
                o.votes = r.votes(o.id);
            }
            let total: i64 = view.options.iter().map(|o| o.votes).sum();
            for o in &mut view.options {
                #[allow(clippy::cast_precision_loss)]
                let share = if total > 0 {
                    o.votes as f64 / total as f64
                } else {
                    0.0
                };
                o.share = share;
            }
            view.total_votes = total;
            view.voters = r.voters;
            view.runoff = Some(r.runoff);
        }
        Ok(view)
    }

    /// `poll_results`, with the runoff when the poll is ranked.
    pub(super) async fn live_with_runoff(
        &self,
        record: &PollRecord,
        mut live: LiveResults,
    ) -> Result<LiveResults, Error> {
        if record.poll.text_settings().is_some() {
            let results = self.text_results(record.poll.id).await?;
            live.total_votes = results.answer_count;
            live.text = Some(results);
            return Ok(live);
        }
        if let Some(r) = self.ranked(record).await? {
            for o in &mut live.options {
                o.votes = r.votes(o.id);
            }
            live.total_votes = live.options.iter().map(|o| o.votes).sum();
            live.voters = r.voters;
            live.runoff = Some(r.runoff);
        }
        Ok(live)
    }
}
