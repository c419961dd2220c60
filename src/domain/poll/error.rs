//! Why a poll action was refused: one variant per rule, each with its contract code.

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
    #[error("{field}: {message}")]
    Validation {
        field: &'static str,
        message: String,
    },
}

/// How a transport should classify a refusal (each picks its status from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollErrorKind {
    Forbidden,
    NotFound,
    Conflict,
    Validation,
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
            PollError::Validation { .. } => "validation_failed",
        }
    }

    pub fn kind(&self) -> PollErrorKind {
        match self {
            PollError::NotCreator | PollError::NotAdmin => PollErrorKind::Forbidden,
            PollError::PollNotFound | PollError::OptionNotFound | PollError::NoVote => {
                PollErrorKind::NotFound
            }
            PollError::PollClosed
            | PollError::PollHasVotes
            | PollError::OptionHasVotes
            | PollError::DuplicateOption
            | PollError::TooFewOptions
            | PollError::WrongState(_)
            | PollError::SlugTaken => PollErrorKind::Conflict,
            PollError::TooManyChoices(_) | PollError::Validation { .. } => {
                PollErrorKind::Validation
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_contract_code_and_class() {
        let cases = [
            (
                PollError::NotCreator,
                "not_creator",
                PollErrorKind::Forbidden,
            ),
            (PollError::NotAdmin, "not_admin", PollErrorKind::Forbidden),
            (
                PollError::PollNotFound,
                "poll_not_found",
                PollErrorKind::NotFound,
            ),
            (
                PollError::OptionNotFound,
                "option_not_found",
                PollErrorKind::NotFound,
            ),
            (PollError::NoVote, "no_vote", PollErrorKind::NotFound),
            (
                PollError::PollClosed,
                "poll_closed",
                PollErrorKind::Conflict,
            ),
            (
                PollError::PollHasVotes,
                "poll_has_votes",
                PollErrorKind::Conflict,
            ),
            (
                PollError::OptionHasVotes,
                "option_has_votes",
                PollErrorKind::Conflict,
            ),
            (
                PollError::DuplicateOption,
                "duplicate_option",
                PollErrorKind::Conflict,
            ),
            (
                PollError::TooFewOptions,
                "too_few_options",
                PollErrorKind::Conflict,
            ),
            (
                PollError::WrongState("x"),
                "wrong_state",
                PollErrorKind::Conflict,
            ),
            (PollError::SlugTaken, "slug_taken", PollErrorKind::Conflict),
            (
                PollError::TooManyChoices(2),
                "too_many_choices",
                PollErrorKind::Validation,
            ),
            (
                PollError::validation("question", "too long"),
                "validation_failed",
                PollErrorKind::Validation,
            ),
        ];
        for (e, code, kind) in cases {
            assert_eq!(e.code(), code, "{e:?}");
            assert_eq!(e.kind(), kind, "{e:?}");
        }
    }
}
