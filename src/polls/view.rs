//! The read models both transports send: `{poll}`, its options, results, categories and audit
//! entries, in the contract's shape.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{
    audit::AuditRow,
    polls::{CategoryRow, OptionRow, PollRecord},
};
use crate::domain::poll::{
    runoff::Runoff,
    text::{AnswerStatus, Moderation},
    words::WordCount,
};
use crate::store::poll_cache::Counts;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct CategoryView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub poll_count: i64,
}

impl From<CategoryRow> for CategoryView {
    fn from(c: CategoryRow) -> Self {
        CategoryView {
            id: c.id,
            slug: c.slug,
            name: c.name,
            description: c.description,
            poll_count: c.poll_count,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct CreatorView {
    pub id: Uuid,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct OptionView {
    pub id: Uuid,
    pub text: String,
    pub position: i32,
    pub votes: i64,
}

impl OptionView {
    pub(crate) fn of(o: &OptionRow, counts: &Counts) -> Self {
        OptionView {
            id: o.id,
            text: o.text.clone(),
            position: o.position,
            votes: counts.votes(o.id),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PollView {
    pub id: Uuid,
    /// Six characters (`/p/{code}` opens the poll; `GET /api/polls/{code}` reads it).
    pub code: String,
    pub question: String,
    pub description: String,
    pub category: Option<CategoryView>,
    pub creator: CreatorView,
    /// `choice`, `ranked` or `text` (contract v3; every poll before it is `choice`).
    #[schema(value_type = String)]
    pub kind: String,
    /// `draft`, `open` or `closed` (an open poll past `expires_at` reads as closed).
    pub status: String,
    pub allow_multiple: bool,
    pub max_choices: i32,
    pub is_public: bool,
    pub allow_anonymous: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub options: Vec<OptionView>,
    /// Chosen options, summed.
    pub total_votes: i64,
    /// People who voted.
    pub voters: i64,
    pub likes: i64,
    /// The voter's ballot: the chosen options, or on a ranked poll the ranking, most
    /// preferred first.
    pub my_votes: Vec<Uuid>,
    pub liked_by_me: bool,
    /// Ranked polls only: the instant runoff of every ballot (`domain::poll::runoff`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runoff: Option<Runoff>,
    /// Text polls only: the settings, the approved answers and the word cloud, and the
    /// caller's own answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextPollView>,
}

/// An approved answer, as everyone sees it (never its author).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ApprovedAnswer {
    pub id: Uuid,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// A text poll's results: only approved answers are in them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct TextResults {
    /// The newest approved answers (at most 100), newest first.
    pub answers: Vec<ApprovedAnswer>,
    /// How many answers are approved in all.
    pub answer_count: i64,
    /// The word cloud over every approved answer (`domain::poll::words`): at most 100 words,
    /// most frequent first; `count` is the number of answers the word appears in.
    pub words: Vec<WordCount>,
}

/// One of the caller's own answers, with where it stands (only its author and the creator
/// see an answer that is not approved).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct MyAnswer {
    pub id: Uuid,
    pub text: String,
    pub status: AnswerStatus,
    pub created_at: DateTime<Utc>,
}

/// An answer as the poll's creator sees it in the queue (and in the `poll_answer` event).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct QueuedAnswer {
    pub id: Uuid,
    pub poll_id: Uuid,
    pub text: String,
    pub status: AnswerStatus,
    /// The word filter matched it (it was held, whatever the moderation).
    pub flagged: bool,
    /// The account that answered; `null` for an anonymous voter.
    pub author: Option<CreatorView>,
    pub created_at: DateTime<Utc>,
    pub moderated_at: Option<DateTime<Utc>>,
}

impl QueuedAnswer {
    pub(crate) fn of(a: crate::db::answers::AnswerRow) -> Self {
        QueuedAnswer {
            id: a.id,
            poll_id: a.poll_id,
            status: AnswerStatus::parse(&a.status).unwrap_or(AnswerStatus::Hidden),
            flagged: a.flagged,
            author: a.user_id.map(|id| CreatorView {
                id,
                display_name: a.display_name.unwrap_or_default(),
            }),
            text: a.body,
            created_at: a.created_at,
            moderated_at: a.moderated_at,
        }
    }
}

/// A text poll in the poll body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct TextPollView {
    /// Characters an answer may have (1–280).
    pub max_length: u32,
    /// Answers one voter may give (1–10).
    pub answers_per_voter: u32,
    pub moderation: Moderation,
    pub results: TextResults,
    /// The caller's answers, oldest first (empty for a caller who has none, and in broadcasts).
    pub my_answers: Vec<MyAnswer>,
}

impl PollView {
    pub(crate) fn build(
        r: &PollRecord,
        counts: &Counts,
        my_votes: Vec<Uuid>,
        now: DateTime<Utc>,
    ) -> Self {
        let p = &r.poll;
        let state = r.state(false);
        let options: Vec<OptionView> = r
            .options
            .iter()
            .map(|o| OptionView::of(o, counts))
            .collect();
        let category = match (&p.category_id, &p.category_slug) {
            (Some(id), Some(slug)) => Some(CategoryView {
                id: *id,
                slug: slug.clone(),
                name: p.category_name.clone().unwrap_or_default(),
                description: p.category_description.clone().unwrap_or_default(),
                // Not counted per poll read; `GET /api/categories` has it.
                poll_count: 0,
            }),
            _ => None,
        };
        PollView {
            id: p.id,
            code: p.code.clone(),
            question: p.question.clone(),
            description: p.description.clone(),
            category,
            creator: CreatorView {
                id: p.creator_id,
                display_name: p.creator_name.clone(),
            },
            kind: p.kind.clone(),
            status: state.status_at(now).as_str().to_string(),
            allow_multiple: p.allow_multiple,
            max_choices: p.max_choices,
            is_public: p.is_public,
            allow_anonymous: p.allow_anonymous,
            expires_at: p.expires_at,
            created_at: p.created_at,
            updated_at: p.updated_at,
            closed_at: p.closed_at.or_else(|| {
                (state.status == crate::domain::poll::PollStatus::Open && state.expired(now))
                    .then_some(p.expires_at)
                    .flatten()
            }),
            total_votes: options.iter().map(|o| o.votes).sum(),
            options,
            voters: counts.voters.max(0),
            likes: 0,
            my_votes,
            liked_by_me: false,
            runoff: None,
            text: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct OptionResult {
    pub id: Uuid,
    pub votes: i64,
    /// This option's part of `total_votes`, 0–1 (0 when there are no votes).
    pub share: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ResultsView {
    pub poll_id: Uuid,
    pub options: Vec<OptionResult>,
    pub total_votes: i64,
    pub voters: i64,
    pub as_of: DateTime<Utc>,
    /// Ranked polls only: the instant runoff (`votes` above are then first choices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runoff: Option<Runoff>,
    /// Text polls only: the approved answers and the word cloud (`total_votes` is then the
    /// number of approved answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextResults>,
}

impl ResultsView {
    pub(crate) fn build(r: &PollRecord, counts: &Counts, now: DateTime<Utc>) -> Self {
        let total: i64 = r.options.iter().map(|o| counts.votes(o.id)).sum();
        let options = r
            .options
            .iter()
            .map(|o| {
                let votes = counts.votes(o.id);
                #[allow(clippy::cast_precision_loss)]
                let share = if total > 0 {
                    votes as f64 / total as f64
                } else {
                    0.0
                };
                OptionResult {
                    id: o.id,
                    votes,
                    share,
                }
            })
            .collect();
        ResultsView {
            poll_id: r.poll.id,
            options,
            total_votes: total,
            voters: counts.voters.max(0),
            as_of: now,
            runoff: None,
            text: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AuditEntry {
    pub id: i64,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub details: Value,
    pub at: DateTime<Utc>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            actor_id: r.actor_id,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            details: r.details,
            at: r.at,
        }
    }
}
