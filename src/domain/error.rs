//! Why a command was refused: one variant per rule, each with the stable wire code clients branch on
//! and its [`ErrorKind`], the class every product's rule errors share (`DomainError` for the game,
//! `poll::PollError` for polls, `account::AccountError` for accounts), so the service error maps a
//! refusal to a status by its kind, never by listing another layer's variants.

/// What kind of refusal a rule error is; each transport picks its status from it (403, 404, 409,
/// 422).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Forbidden,
    NotFound,
    Conflict,
    Validation,
}

/// A rule the command broke. The room is never changed by a refused command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("only the host may do that")]
    NotHost,
    #[error("you are not a participant of this room")]
    NotParticipant,
    #[error("you cannot vote for your own answer")]
    OwnAnswer,
    #[error("you were removed from this room and cannot rejoin it")]
    Kicked,
    #[error("the room is full")]
    RoomFull,
    #[error("the game is already in progress")]
    GameInProgress,
    #[error("the game has finished")]
    GameFinished,
    #[error("that is not possible in the current phase")]
    WrongPhase,
    #[error("you have already answered this round")]
    AlreadyAnswered,
    #[error("you have already voted this round")]
    AlreadyVoted,
    #[error("at least two participants are needed to start")]
    NotEnoughPlayers,
    #[error("that round is not the room's current round")]
    StaleRound,
    #[error("no such answer in this round")]
    AnswerNotFound,
    #[error("the room has been closed")]
    RoomClosed,
    #[error("the host cannot kick themselves; leave the room instead")]
    CannotKickSelf,
    #[error("{field}: the room's filter does not allow this text")]
    Inappropriate { field: &'static str },
    #[error("the host has hidden this answer")]
    AnswerHidden,
    #[error("the room still has places for players: join as a player")]
    AudienceClosed,
    #[error("the room's audience is full")]
    AudienceFull,
    #[error("you are not in this room's audience")]
    NotAudience,
    #[error("{field}: {message}")]
    Validation {
        field: &'static str,
        message: String,
    },
}

impl DomainError {
    /// The fixed code of the API contract's error table.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::NotHost => "not_host",
            DomainError::NotParticipant => "not_participant",
            DomainError::OwnAnswer => "own_answer",
            DomainError::Kicked => "kicked",
            DomainError::RoomFull => "room_full",
            DomainError::GameInProgress => "game_in_progress",
            DomainError::GameFinished => "game_finished",
            DomainError::WrongPhase => "wrong_phase",
            DomainError::AlreadyAnswered => "already_answered",
            DomainError::AlreadyVoted => "already_voted",
            DomainError::NotEnoughPlayers => "not_enough_players",
            DomainError::StaleRound => "stale_round",
            DomainError::AnswerNotFound => "answer_not_found",
            DomainError::Inappropriate { .. } => "inappropriate_content",
            DomainError::AnswerHidden => "answer_hidden",
            DomainError::AudienceClosed => "audience_closed",
            DomainError::AudienceFull => "audience_full",
            DomainError::NotAudience => "not_audience",
            // A closed room is gone as far as clients are concerned.
            DomainError::RoomClosed => "room_not_found",
            // Kicking oneself is a bad `user_id` field, not a state conflict.
            DomainError::CannotKickSelf | DomainError::Validation { .. } => "validation_failed",
        }
    }

    /// The class of the refusal (its status over REST).
    pub fn kind(&self) -> ErrorKind {
        use DomainError as D;
        match self {
            D::NotHost | D::NotParticipant | D::OwnAnswer | D::Kicked | D::NotAudience => {
                ErrorKind::Forbidden
            }
            D::AnswerNotFound | D::RoomClosed => ErrorKind::NotFound,
            D::Validation { .. } | D::CannotKickSelf | D::Inappropriate { .. } => {
                ErrorKind::Validation
            }
            D::RoomFull
            | D::GameInProgress
            | D::GameFinished
            | D::WrongPhase
            | D::AlreadyAnswered
            | D::AlreadyVoted
            | D::NotEnoughPlayers
            | D::StaleRound
            | D::AnswerHidden
            | D::AudienceClosed
            | D::AudienceFull => ErrorKind::Conflict,
        }
    }

    pub(crate) fn validation(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Validation {
            field,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_the_contract_code() {
        let cases = [
            (DomainError::NotHost, "not_host"),
            (DomainError::NotParticipant, "not_participant"),
            (DomainError::OwnAnswer, "own_answer"),
            (DomainError::Kicked, "kicked"),
            (DomainError::RoomFull, "room_full"),
            (DomainError::GameInProgress, "game_in_progress"),
            (DomainError::GameFinished, "game_finished"),
            (DomainError::WrongPhase, "wrong_phase"),
            (DomainError::AlreadyAnswered, "already_answered"),
            (DomainError::AlreadyVoted, "already_voted"),
            (DomainError::NotEnoughPlayers, "not_enough_players"),
            (DomainError::StaleRound, "stale_round"),
            (DomainError::AnswerNotFound, "answer_not_found"),
            (DomainError::RoomClosed, "room_not_found"),
            (
                DomainError::Inappropriate { field: "answer" },
                "inappropriate_content",
            ),
            (DomainError::AnswerHidden, "answer_hidden"),
            (DomainError::AudienceClosed, "audience_closed"),
            (DomainError::AudienceFull, "audience_full"),
            (DomainError::NotAudience, "not_audience"),
            (DomainError::CannotKickSelf, "validation_failed"),
            (
                DomainError::validation("answer", "too long"),
                "validation_failed",
            ),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code, "{err:?}");
        }
    }

    #[test]
    fn every_error_has_the_contract_class() {
        use ErrorKind::{Conflict, Forbidden, NotFound, Validation};
        let cases = [
            (DomainError::NotHost, Forbidden),
            (DomainError::NotParticipant, Forbidden),
            (DomainError::OwnAnswer, Forbidden),
            (DomainError::Kicked, Forbidden),
            (DomainError::NotAudience, Forbidden),
            (DomainError::AnswerNotFound, NotFound),
            (DomainError::RoomClosed, NotFound),
            (DomainError::validation("answer", "too long"), Validation),
            (DomainError::CannotKickSelf, Validation),
            (DomainError::Inappropriate { field: "answer" }, Validation),
            (DomainError::RoomFull, Conflict),
            (DomainError::GameInProgress, Conflict),
            (DomainError::GameFinished, Conflict),
            (DomainError::WrongPhase, Conflict),
            (DomainError::AlreadyAnswered, Conflict),
            (DomainError::AlreadyVoted, Conflict),
            (DomainError::NotEnoughPlayers, Conflict),
            (DomainError::StaleRound, Conflict),
            (DomainError::AnswerHidden, Conflict),
            (DomainError::AudienceClosed, Conflict),
            (DomainError::AudienceFull, Conflict),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind, "{err:?}");
        }
    }

    #[test]
    fn a_validation_error_names_its_field_in_the_message() {
        let err = DomainError::validation("display_name", "must be 1–32 characters");
        assert_eq!(err.to_string(), "display_name: must be 1–32 characters");
    }
}
