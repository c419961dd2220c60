//! Poll exports (issue 25, item 4): a poll's results for anyone who can see the poll, and its
//! ballots for its creator, as JSON or CSV. CSV cells go through the game export's
//! `csv_cell`, so a voter's or creator's text that a spreadsheet would run as a formula is
//! defused the same way. Anonymous voters appear under an opaque id of this poll only (a hash
//! of the poll and their voter id), never their cookie's id.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::{borrow::Cow, collections::HashMap, fmt::Write as _};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::secret::hex,
    db,
    domain::poll::{
        PollError,
        text::AnswerStatus,
        words::{WordCount, word_counts},
    },
    error::Error,
    game::history::csv_cell,
    polls::{
        PollService,
        view::{ApprovedAnswer, PollView},
    },
};

/// What both exports say about the poll.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PollHead {
    pub id: Uuid,
    pub code: String,
    pub question: String,
    pub status: String,
    pub allow_multiple: bool,
    pub max_choices: i32,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<&PollView> for PollHead {
    fn from(p: &PollView) -> Self {
        PollHead {
            id: p.id,
            code: p.code.clone(),
            question: p.question.clone(),
            status: p.status.clone(),
            allow_multiple: p.allow_multiple,
            max_choices: p.max_choices,
            created_at: p.created_at,
            closed_at: p.closed_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct OptionTally {
    pub id: Uuid,
    pub text: String,
    pub position: i32,
    pub votes: i64,
    /// Of all chosen options, 0–1.
    pub share: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ResultsExport {
    pub poll: PollHead,
    pub options: Vec<OptionTally>,
    pub total_votes: i64,
    pub voters: i64,
    pub as_of: DateTime<Utc>,
    /// Text polls only: every approved answer, oldest first (never a held or hidden one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<Vec<ApprovedAnswer>>,
    /// Text polls only: the word cloud of the approved answers (`domain::poll::words`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<WordCount>>,
}

/// One answer of a text poll in its creator's export, whatever its status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AnswerExport {
    pub id: Uuid,
    pub voter: Voter,
    pub submitted_at: DateTime<Utc>,
    pub text: String,
    /// `pending`, `approved` or `hidden`.
    pub status: String,
    /// The word filter matched it.
    pub flagged: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Voter {
    /// The account's id, or for an anonymous voter `anon-` and 16 hex digits, the same for
    /// their ballot only within this poll.
    pub id: String,
    /// `account` or `anonymous`.
    pub kind: &'static str,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Choice {
    /// 1 for the first option the voter gave (a ranked ballot's first preference).
    pub rank: u32,
    pub option_id: Uuid,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BallotExport {
    pub voter: Voter,
    pub voted_at: DateTime<Utc>,
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BallotsExport {
    pub poll: PollHead,
    pub ballots: Vec<BallotExport>,
    /// Text polls only: every answer with its status, in the order they came in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<Vec<AnswerExport>>,
}

/// A poll's results as `viewer` may see them (a draft is the creator's only).
pub(crate) async fn results(
    polls: &PollService,
    viewer: Option<Uuid>,
    id: Uuid,
) -> Result<ResultsExport, Error> {
    let view = polls.get(viewer, id).await?;
    let total = view.total_votes;
    let options = view
        .options
        .iter()
        .map(|o| OptionTally {
            id: o.id,
            text: o.text.clone(),
            position: o.position,
            votes: o.votes,
            #[allow(clippy::cast_precision_loss)]
            share: if total > 0 {
                o.votes as f64 / total as f64
            } else {
                0.0
            },
        })
        .collect();
    let (answers, words) = if view.text.is_some() {
        let approved: Vec<ApprovedAnswer> = db::answers::all(polls.db(), id)
            .await?
            .into_iter()
            .filter(|a| a.status == AnswerStatus::Approved.as_str())
            .map(|a| ApprovedAnswer {
                id: a.id,
                text: a.body,
                created_at: a.created_at,
            })
            .collect();
        let words = word_counts(approved.iter().map(|a| a.text.as_str()));
        (Some(approved), Some(words))
    } else {
        (None, None)
    };
    Ok(ResultsExport {
        poll: PollHead::from(&view),
        options,
        total_votes: total,
        voters: view.voters,
        as_of: Utc::now(),
        answers,
        words,
    })
}

fn voter_of(poll: Uuid, voter_key: Uuid, user: Option<Uuid>, name: Option<String>) -> Voter {
    match user {
        Some(u) => Voter {
            id: u.to_string(),
            kind: "account",
            display_name: name,
        },
        None => Voter {
            id: pseudonym(poll, voter_key),
            kind: "anonymous",
            display_name: None,
        },
    }
}

/// An anonymous voter's id in one poll's export.
fn pseudonym(poll: Uuid, voter: Uuid) -> String {
    let digest = Sha256::new()
        .chain_update(b"vg-ballot-export:")
        .chain_update(poll.as_bytes())
        .chain_update(voter.as_bytes())
        .finalize();
    format!("anon-{}", &hex(&digest)[..16])
}

/// A poll's ballots, for its creator only (403 `not_creator` for anyone else who sees it).
pub(crate) async fn ballots(
    polls: &PollService,
    pool: &sqlx::PgPool,
    actor: Uuid,
    id: Uuid,
) -> Result<BallotsExport, Error> {
    let view = polls.get(Some(actor), id).await?;
    if view.creator.id != actor {
        return Err(PollError::NotCreator.into());
    }
    let texts: HashMap<Uuid, &str> = view
        .options
        .iter()
        .map(|o| (o.id, o.text.as_str()))
        .collect();
    let ballots = db::exports::ballots(pool, id)
        .await?
        .into_iter()
        .map(|b| BallotExport {
            voter: voter_of(id, b.voter_key, b.user_id, b.display_name),
            voted_at: b.voted_at,
            choices: b
                .option_ids
                .iter()
                .zip(1u32..)
                .map(|(o, rank)| Choice {
                    rank,
                    option_id: *o,
                    text: texts.get(o).copied().unwrap_or_default().to_string(),
                })
                .collect(),
        })
        .collect();
    let answers = if view.text.is_some() {
        Some(
            db::answers::all(pool, id)
                .await?
                .into_iter()
                .map(|a| AnswerExport {
                    id: a.id,
                    voter: voter_of(id, a.voter_key, a.user_id, a.display_name),
                    submitted_at: a.created_at,
                    text: a.body,
                    status: a.status,
                    flagged: a.flagged,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(BallotsExport {
        poll: PollHead::from(&view),
        ballots,
        answers,
    })
}

fn line(out: &mut String, cells: &[String]) {
    let cells: Vec<Cow<'_, str>> = cells.iter().map(|c| csv_cell(c)).collect();
    let _ = write!(out, "{}\r\n", cells.join(","));
}

/// One row per option; for a text poll, one row per approved answer.
pub(crate) fn results_csv(r: &ResultsExport) -> String {
    if let Some(answers) = &r.answers {
        let mut out = String::from("poll_id,question,answer_id,answer,submitted_at\r\n");
        for a in answers {
            line(
                &mut out,
                &[
                    r.poll.id.to_string(),
                    r.poll.question.clone(),
                    a.id.to_string(),
                    a.text.clone(),
                    a.created_at.to_rfc3339(),
                ],
            );
        }
        return out;
    }
    let mut out = String::from("poll_id,question,option_id,option,position,votes,share\r\n");
    for o in &r.options {
        line(
            &mut out,
            &[
                r.poll.id.to_string(),
                r.poll.question.clone(),
                o.id.to_string(),
                o.text.clone(),
                o.position.to_string(),
                o.votes.to_string(),
                format!("{:.4}", o.share),
            ],
        );
    }
    out
}

/// One row per choice of each ballot, with its rank in the ballot; for a text poll, one row
/// per answer with its status.
pub(crate) fn ballots_csv(b: &BallotsExport) -> String {
    if let Some(answers) = &b.answers {
        let mut out = String::from(
            "poll_id,voter_id,voter_kind,voter_name,submitted_at,answer_id,answer,status,flagged\r\n",
        );
        for a in answers {
            line(
                &mut out,
                &[
                    b.poll.id.to_string(),
                    a.voter.id.clone(),
                    a.voter.kind.to_string(),
                    a.voter.display_name.clone().unwrap_or_default(),
                    a.submitted_at.to_rfc3339(),
                    a.id.to_string(),
                    a.text.clone(),
                    a.status.clone(),
                    a.flagged.to_string(),
                ],
            );
        }
        return out;
    }
    let mut out =
        String::from("poll_id,voter_id,voter_kind,voter_name,voted_at,rank,option_id,option\r\n");
    for ballot in &b.ballots {
        for c in &ballot.choices {
            line(
                &mut out,
                &[
                    b.poll.id.to_string(),
                    ballot.voter.id.clone(),
                    ballot.voter.kind.to_string(),
                    ballot.voter.display_name.clone().unwrap_or_default(),
                    ballot.voted_at.to_rfc3339(),
                    c.rank.to_string(),
                    c.option_id.to_string(),
                    c.text.clone(),
                ],
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anonymous_voters_id_is_stable_in_a_poll_and_differs_between_polls() {
        let (p, q, v) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        assert_eq!(pseudonym(p, v), pseudonym(p, v));
        assert_ne!(pseudonym(p, v), pseudonym(q, v));
        assert!(!pseudonym(p, v).contains(&v.simple().to_string()));
        assert_eq!(pseudonym(p, v).len(), 5 + 16);
    }
}
