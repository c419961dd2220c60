//! Poll rules as pure functions: what a new poll may be and its defaults (`create`), who may
//! change what and which status changes are allowed (`lifecycle`), what a vote may choose and
//! how a change of vote moves the counts (`vote`), a ranked poll's instant runoff (`runoff`),
//! a text poll's answers and moderation (`text`) and word cloud (`words`), how a path names a
//! poll by its short code (`code`), what a category may be (`category`), which list parameters are valid
//! (`discovery`), and who hears of a change (`notice`: the feed, the creator). No I/O and no
//! clock: callers pass `now`.

pub(crate) mod category;
pub(crate) mod code;
pub(crate) mod create;
pub(crate) mod discovery;
pub(crate) mod error;
pub(crate) mod kind;
pub(crate) mod lifecycle;
pub(crate) mod notice;
pub(crate) mod runoff;
pub(crate) mod text;
pub(crate) mod vote;
pub(crate) mod words;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod runoff_proptests;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub(crate) use error::PollError;

/// Options a poll has at least and at most.
pub(crate) const MIN_OPTIONS: usize = 2;
pub(crate) const MAX_OPTIONS: usize = 20;

/// A poll's stored status. An `Open` poll past its `expires_at` is closed for every purpose
/// (see [`PollState::status_at`]) even before the expiry sweep has written `Closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PollStatus {
    Draft,
    Open,
    Closed,
}

impl PollStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PollStatus::Draft => "draft",
            PollStatus::Open => "open",
            PollStatus::Closed => "closed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(PollStatus::Draft),
            "open" => Some(PollStatus::Open),
            "closed" => Some(PollStatus::Closed),
            _ => None,
        }
    }
}

/// What the rules need to know of a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PollState {
    pub creator_id: Uuid,
    pub kind: kind::PollKind,
    pub status: PollStatus,
    pub allow_multiple: bool,
    pub max_choices: u32,
    pub expires_at: Option<DateTime<Utc>>,
    /// The poll's option ids, in position order.
    pub option_ids: Vec<Uuid>,
    /// Whether anyone has voted (the question may then no longer change).
    pub has_votes: bool,
}

impl PollState {
    /// The status as clients must see it at `now`: an open poll whose time is up is closed.
    pub(crate) fn status_at(&self, now: DateTime<Utc>) -> PollStatus {
        match self.status {
            PollStatus::Open if self.expired(now) => PollStatus::Closed,
            s => s,
        }
    }

    pub(crate) fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// A draft is its creator's alone: anyone else is told it does not exist.
    pub(crate) fn visible_to(&self, viewer: Option<Uuid>) -> bool {
        self.status != PollStatus::Draft || viewer == Some(self.creator_id)
    }
}
