//! Who may change a poll and which changes its state allows: the creator alone edits; the
//! status goes draft → open ⇄ closed (a poll past its expiry can never reopen); options change
//! only while nobody has chosen them, and a poll keeps 2–20 of them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{MAX_OPTIONS, MIN_OPTIONS, PollError, PollState, PollStatus};

/// A status change the creator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    Publish,
    Close,
    Reopen,
}

impl PollState {
    pub(crate) fn ensure_creator(&self, actor: Uuid) -> Result<(), PollError> {
        if actor == self.creator_id {
            Ok(())
        } else {
            Err(PollError::NotCreator)
        }
    }

    /// What the creator or an administrator may do (delete the poll, read its audit log): an
    /// administrator to any poll; anyone else is told a draft of someone else does not exist,
    /// and that another's published poll is not theirs.
    pub(crate) fn ensure_creator_or_admin(
        &self,
        actor: Uuid,
        admin: bool,
    ) -> Result<(), PollError> {
        if admin {
            return Ok(());
        }
        if !self.visible_to(Some(actor)) {
            return Err(PollError::PollNotFound);
        }
        self.ensure_creator(actor)
    }

    /// The status after `t` at `now`, or why it cannot happen.
    pub(crate) fn transition(
        &self,
        actor: Uuid,
        t: Transition,
        now: DateTime<Utc>,
    ) -> Result<PollStatus, PollError> {
        self.ensure_creator(actor)?;
        let status = self.status_at(now);
        match (t, status) {
            (Transition::Publish, PollStatus::Draft) if self.expired(now) => Err(
                PollError::WrongState("the poll's expiry has passed; set a later expires_at first"),
            ),
            (Transition::Publish, PollStatus::Draft) => Ok(PollStatus::Open),
            (Transition::Publish, _) => Err(PollError::WrongState("the poll is already published")),
            (Transition::Close, PollStatus::Open) => Ok(PollStatus::Closed),
            (Transition::Close, PollStatus::Draft) => Err(PollError::WrongState(
                "a draft cannot be closed; publish it first",
            )),
            (Transition::Close, PollStatus::Closed) => {
                Err(PollError::WrongState("the poll is already closed"))
            }
            (Transition::Reopen, PollStatus::Closed) if self.expired(now) => Err(
                PollError::WrongState("the poll has expired; set a later expires_at to reopen it"),
            ),
            (Transition::Reopen, PollStatus::Closed) => Ok(PollStatus::Open),
            (Transition::Reopen, _) => Err(PollError::WrongState("only a closed poll can reopen")),
        }
    }

    /// An edit of the poll's own fields: the creator's, and the question only before any vote.
    pub(crate) fn check_edit(&self, actor: Uuid, changes_question: bool) -> Result<(), PollError> {
        self.ensure_creator(actor)?;
        if changes_question && self.has_votes {
            return Err(PollError::PollHasVotes);
        }
        Ok(())
    }

    /// Adding an option: the creator's, up to 20, never the same text twice (`existing` are
    /// the option keys the poll has, see `create::option_key`).
    pub(crate) fn check_add_option(
        &self,
        actor: Uuid,
        key: &str,
        existing: &[String],
    ) -> Result<(), PollError> {
        self.ensure_creator(actor)?;
        if self.kind == super::kind::PollKind::Text {
            // Options mean nothing to a text poll.
            self.ensure_kind(super::kind::PollKind::Choice)?;
        }
        if existing.iter().any(|k| k == key) {
            return Err(PollError::DuplicateOption);
        }
        if self.option_ids.len() >= MAX_OPTIONS {
            return Err(PollError::validation(
                "options",
                format!("a poll has at most {MAX_OPTIONS} options"),
            ));
        }
        Ok(())
    }

    /// Changing or deleting an option: the creator's, an option of this poll, nobody has
    /// chosen it; a deletion leaves at least two.
    pub(crate) fn check_option_change(
        &self,
        actor: Uuid,
        option: Uuid,
        option_has_votes: bool,
        deleting: bool,
    ) -> Result<(), PollError> {
        self.ensure_creator(actor)?;
        if !self.option_ids.contains(&option) {
            return Err(PollError::OptionNotFound);
        }
        if option_has_votes {
            return Err(PollError::OptionHasVotes);
        }
        if deleting && self.option_ids.len() <= MIN_OPTIONS {
            return Err(PollError::TooFewOptions);
        }
        Ok(())
    }

    /// The choice limit once the poll has `option_count` options: a multiple-choice poll never
    /// allows more choices than it has options.
    pub(crate) fn max_choices_for(&self, option_count: usize) -> u32 {
        let count = u32::try_from(option_count).unwrap_or(u32::MAX).max(1);
        self.max_choices.min(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn poll(status: PollStatus) -> PollState {
        PollState {
            creator_id: Uuid::from_u128(1),
            kind: crate::domain::poll::kind::PollKind::Choice,
            status,
            allow_multiple: false,
            max_choices: 1,
            expires_at: None,
            option_ids: vec![Uuid::from_u128(10), Uuid::from_u128(11)],
            has_votes: false,
        }
    }

    const CREATOR: Uuid = Uuid::from_u128(1);
    const OTHER: Uuid = Uuid::from_u128(2);

    #[test]
    fn the_creator_or_an_administrator_may_delete_and_others_learn_nothing_of_drafts() {
        const ADMIN: Uuid = Uuid::from_u128(3);
        for s in [PollStatus::Draft, PollStatus::Open, PollStatus::Closed] {
            assert_eq!(poll(s).ensure_creator_or_admin(CREATOR, false), Ok(()));
            assert_eq!(poll(s).ensure_creator_or_admin(ADMIN, true), Ok(()));
            // The creator is no less the creator for being an administrator too.
            assert_eq!(poll(s).ensure_creator_or_admin(CREATOR, true), Ok(()));
        }
        assert_eq!(
            poll(PollStatus::Draft).ensure_creator_or_admin(OTHER, false),
            Err(PollError::PollNotFound)
        );
        for s in [PollStatus::Open, PollStatus::Closed] {
            assert_eq!(
                poll(s).ensure_creator_or_admin(OTHER, false),
                Err(PollError::NotCreator)
            );
        }
    }

    #[test]
    fn the_status_goes_draft_open_closed_and_back() {
        let now = Utc::now();
        assert_eq!(
            poll(PollStatus::Draft).transition(CREATOR, Transition::Publish, now),
            Ok(PollStatus::Open)
        );
        assert_eq!(
            poll(PollStatus::Open).transition(CREATOR, Transition::Close, now),
            Ok(PollStatus::Closed)
        );
        assert_eq!(
            poll(PollStatus::Closed).transition(CREATOR, Transition::Reopen, now),
            Ok(PollStatus::Open)
        );
        for (s, t) in [
            (PollStatus::Open, Transition::Publish),
            (PollStatus::Closed, Transition::Publish),
            (PollStatus::Draft, Transition::Close),
            (PollStatus::Closed, Transition::Close),
            (PollStatus::Draft, Transition::Reopen),
            (PollStatus::Open, Transition::Reopen),
        ] {
            assert!(
                matches!(
                    poll(s).transition(CREATOR, t, now),
                    Err(PollError::WrongState(_))
                ),
                "{s:?} {t:?}"
            );
        }
    }

    #[test]
    fn only_the_creator_changes_a_poll() {
        let now = Utc::now();
        let p = poll(PollStatus::Draft);
        assert_eq!(
            p.transition(OTHER, Transition::Publish, now),
            Err(PollError::NotCreator)
        );
        assert_eq!(p.check_edit(OTHER, false), Err(PollError::NotCreator));
        assert_eq!(
            p.check_add_option(OTHER, "x", &[]),
            Err(PollError::NotCreator)
        );
    }

    #[test]
    fn an_expired_poll_is_closed_and_cannot_reopen() {
        let now = Utc::now();
        let mut p = poll(PollStatus::Open);
        p.expires_at = Some(now - TimeDelta::seconds(1));
        assert_eq!(p.status_at(now), PollStatus::Closed);
        assert!(matches!(
            p.transition(CREATOR, Transition::Close, now),
            Err(PollError::WrongState(_))
        ));
        p.status = PollStatus::Closed;
        assert!(matches!(
            p.transition(CREATOR, Transition::Reopen, now),
            Err(PollError::WrongState(_))
        ));
    }

    #[test]
    fn the_question_is_fixed_once_voted_and_voted_options_are_fixed() {
        let mut p = poll(PollStatus::Open);
        p.has_votes = true;
        assert_eq!(p.check_edit(CREATOR, true), Err(PollError::PollHasVotes));
        assert_eq!(p.check_edit(CREATOR, false), Ok(()));
        let opt = p.option_ids[0];
        assert_eq!(
            p.check_option_change(CREATOR, opt, true, false),
            Err(PollError::OptionHasVotes)
        );
        assert_eq!(
            p.check_option_change(CREATOR, Uuid::from_u128(99), false, false),
            Err(PollError::OptionNotFound)
        );
        assert_eq!(
            p.check_option_change(CREATOR, opt, false, true),
            Err(PollError::TooFewOptions)
        );
        assert_eq!(
            p.check_add_option(CREATOR, "tea", &["tea".into()]),
            Err(PollError::DuplicateOption)
        );
    }
}
