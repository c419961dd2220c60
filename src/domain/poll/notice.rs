//! Who hears of a poll's change beyond the poll's own watchers: the feed, of a poll that has
//! just become listed (public and published), and the creator, of their poll being closed.
//! Decided here on the poll's typed state, so no transport compares a view's strings.

use super::PollStatus;

/// Where a poll stands for the feed: whether it is public, and its stored status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Listing {
    pub is_public: bool,
    pub status: PollStatus,
}

impl Listing {
    /// Whether the feed shows the poll: public and published (open or closed; an expired open
    /// poll too).
    pub(crate) fn listed(self) -> bool {
        self.is_public && self.status != PollStatus::Draft
    }
}

/// Whether a change makes the poll new to the feed (its `poll_created`): listed after it and
/// not before. `before` is `None` for a poll just created. So a poll created open and public,
/// a public draft published, and an unlisted published poll made public are announced; an edit,
/// a close or a reopen of a listed poll is not.
pub(crate) fn enters_feed(before: Option<Listing>, after: Listing) -> bool {
    after.listed() && !before.is_some_and(Listing::listed)
}

/// A notification for a poll's creator after a change of the poll (`notification` over
/// Socket.IO, at most one per poll per few seconds: the transport throttles). The other kind,
/// `poll_votes`, follows every coalesced count broadcast and needs no decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreatorNotice {
    /// The poll is closed (by its creator, by its expiry).
    Closed,
}

impl CreatorNotice {
    /// The notification's `type`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CreatorNotice::Closed => "poll_closed",
        }
    }
}

/// The creator's notice after a change of the poll (an edit, a status change, its expiry), given
/// its status as clients now see it (`PollState::status_at`): a closed poll's creator hears it
/// is closed, with its final counts.
pub(crate) fn after_change(status_now: PollStatus) -> Option<CreatorNotice> {
    (status_now == PollStatus::Closed).then_some(CreatorNotice::Closed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PollStatus::{Closed, Draft, Open};

    fn at(is_public: bool, status: PollStatus) -> Listing {
        Listing { is_public, status }
    }

    #[test]
    fn a_poll_enters_the_feed_once_when_it_becomes_public_and_published() {
        // Created.
        assert!(enters_feed(None, at(true, Open)));
        assert!(!enters_feed(None, at(true, Draft)));
        assert!(!enters_feed(None, at(false, Open)));
        // A public draft published; a private one is not announced.
        assert!(enters_feed(Some(at(true, Draft)), at(true, Open)));
        assert!(!enters_feed(Some(at(false, Draft)), at(false, Open)));
        // Made public: announced if published (a closed poll too), not as a draft.
        assert!(enters_feed(Some(at(false, Open)), at(true, Open)));
        assert!(enters_feed(Some(at(false, Closed)), at(true, Closed)));
        assert!(!enters_feed(Some(at(false, Draft)), at(true, Draft)));
        // Already listed: an edit, a close, a reopen are no news to the feed.
        assert!(!enters_feed(Some(at(true, Open)), at(true, Open)));
        assert!(!enters_feed(Some(at(true, Open)), at(true, Closed)));
        assert!(!enters_feed(Some(at(true, Closed)), at(true, Open)));
        // Made unlisted.
        assert!(!enters_feed(Some(at(true, Open)), at(false, Open)));
    }

    #[test]
    fn the_creator_hears_of_a_closed_poll_only() {
        assert_eq!(after_change(Closed), Some(CreatorNotice::Closed));
        assert_eq!(after_change(Open), None);
        assert_eq!(after_change(Draft), None);
        assert_eq!(CreatorNotice::Closed.as_str(), "poll_closed");
    }
}
