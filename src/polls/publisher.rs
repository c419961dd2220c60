//! Where polls hand their changes to the real-time transport. A trait so `polls` does not
//! depend on Socket.IO; the gateway implements it (`gateway::polls`).

use async_trait::async_trait;
use uuid::Uuid;

use super::{discovery::PollSummary, view::PollView};
use crate::domain::poll::notice::CreatorNotice;

#[async_trait]
pub(crate) trait PollPublisher: Send + Sync {
    /// A vote changed `poll`'s counts (the transport coalesces and reads the latest counts).
    async fn counts_changed(&self, poll: Uuid, creator: Uuid);
    /// The poll changed (an edit, a status change, an option change, its expiry): `poll` as
    /// anyone sees it, and what its creator is to be told (`domain::poll::notice`).
    async fn updated(&self, poll: &PollView, creator: Option<CreatorNotice>);
    /// The poll is gone: tell its subscribers and empty its rooms.
    async fn deleted(&self, poll: Uuid);
    /// A text poll's answer came in or was moderated: the creator's sockets get it as it now
    /// stands (`poll_answer`), nobody else.
    async fn answer_changed(&self, _creator: Uuid, _answer: &super::view::QueuedAnswer) {}
    /// A public poll was published (created open, or a draft published): the feed's
    /// `poll_created`.
    async fn created(&self, _poll: &PollSummary) {}
}
