//! Why a poll action was refused: one variant per rule, each with its contract code and its
//! [`ErrorKind`] (shared with the game's `DomainError`).

pub(crate) use crate::domain::error::ErrorKind;

/// A poll rule the action broke; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PollError {
    #[error("only the poll's creator may do that")]
    NotCreator,
    #[error("only an administrator may do that")]
    NotAdmin,
    #[error("no such poll")]
    PollNotFound,
    #[error("no such option in this poll")]
    OptionNotFound,
    #[error("you have not voted in this poll")]
    NoVote,
    #[error("the poll is not open for votes")]
    PollClosed,
    #[error("the question cannot change once the poll has votes")]
    PollHasVotes,
    #[error("the option has votes and cannot change")]
    OptionHasVotes,
    #[error("the poll already has that option")]
    DuplicateOption,
    #[error("a poll needs at least 2 options")]
    TooFewOptions,
    #[error("{0}")]
    WrongState(&'static str),
    #[error("that category slug is taken")]
    SlugTaken,
    #[error("option_ids: at most {0} choices in this poll")]
    TooManyChoices(u32),
    /// A call made for another kind of poll (a vote on a text poll, an answer to a choice
    /// poll), with what the poll takes instead.
    #[error("{0}")]
    WrongKind(&'static str),
    /// The voter has given as many answers as the text poll takes from one voter.
    #[error("you have given the {0} answer(s) this poll takes from one voter")]
    AnswerLimit(u32),
    #[error("no such answer in this poll")]
    AnswerNotFound,
    #[error("{field}: {message}")]
    Validation {
        field: &'static str,
        message: String,
    },
}

impl PollError {
    pub(crate) fn validation(field: &'static str, message: impl Into<String>) -> Self {
        PollError::Validation {
            field,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            PollError::NotCreator => "not_creator",
            PollError::NotAdmin => "not_admin",
            PollError::PollNotFound => "poll_not_found",
            PollError::OptionNotFound => "option_not_found",
            PollError::NoVote => "no_vote",
            PollError::PollClosed => "poll_closed",
            PollError::PollHasVotes => "poll_has_votes",
            PollError::OptionHasVotes => "option_has_votes",
            PollError::DuplicateOption => "duplicate_option",
            PollError::TooFewOptions => "too_few_options",
            PollError::WrongState(_) => "wrong_state",
            PollError::SlugTaken => "slug_taken",
            PollError::TooManyChoices(_) => "too_many_choices",
            PollError::WrongKind(_) => "wrong_kind",
            PollError::AnswerLimit(_) => "answer_limit_reached",
            PollError::AnswerNotFound => "answer_not_found",
            PollError::Validation { .. } => "validation_failed",
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            PollError::NotCreator | PollError::NotAdmin => ErrorKind::Forbidden,
            PollError::PollNotFound
            | PollError::OptionNotFound
            | PollError::NoVote
            | PollError::AnswerNotFound => ErrorKind::NotFound,
            PollError::PollClosed
            | PollError::PollHasVotes
            | PollError::OptionHasVotes
            | PollError::DuplicateOption
            | PollError::TooFewOptions
            | PollError::WrongState(_)
            | PollError::SlugTaken
            | PollError::WrongKind(_)
            | PollError::AnswerLimit(_) => ErrorKind::Conflict,
            PollError::TooManyChoices(_) | PollError::Validation { .. } => ErrorKind::Validation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_contract_code_and_class() {
        let cases = [
            (PollError::NotCreator, "not_creator", ErrorKind::Forbidden),
            (PollError::NotAdmin, "not_admin", ErrorKind::Forbidden),
            (
                PollError::PollNotFound,
                "poll_not_found",
                ErrorKind::NotFound,
            ),
            (
                PollError::OptionNotFound,
                "option_not_found",
                ErrorKind::NotFound,
            ),
            (PollError::NoVote, "no_vote", ErrorKind::NotFound),
            (PollError::PollClosed, "poll_closed", ErrorKind::Conflict),
            (
                PollError::PollHasVotes,
                "poll_has_votes",
                ErrorKind::Conflict,
            ),
            (
                PollError::OptionHasVotes,
                "option_has_votes",
                ErrorKind::Conflict,
            ),
            (
                PollError::DuplicateOption,
                "duplicate_option",
                ErrorKind::Conflict,
            ),
            (
                PollError::TooFewOptions,
                "too_few_options",
                ErrorKind::Conflict,
            ),
            (
                PollError::WrongState("x"),
                "wrong_state",
                ErrorKind::Conflict,
            ),
            (PollError::SlugTaken, "slug_taken", ErrorKind::Conflict),
            (PollError::WrongKind("x"), "wrong_kind", ErrorKind::Conflict),
            (
                PollError::AnswerLimit(1),
                "answer_limit_reached",
                ErrorKind::Conflict,
            ),
            (
                PollError::AnswerNotFound,
                "answer_not_found",
                ErrorKind::NotFound,
            ),
            (
                PollError::TooManyChoices(2),
                "too_many_choices",
                ErrorKind::Validation,
            ),
            (
                PollError::validation("question", "too long"),
                "validation_failed",
                ErrorKind::Validation,
            ),
        ];
        for (e, code, kind) in cases {
            assert_eq!(e.code(), code, "{e:?}");
            assert_eq!(e.kind(), kind, "{e:?}");
        }
    }
}
