//! The rules as pure data and functions: no I/O, clock or randomness, so every transition can
//! be replayed and tested; callers load a `Room`, `apply` a `Command`, then persist the room and
//! publish the returned `Event`s. `game` holds the voting game's rules.

pub mod error;
pub mod game;
pub mod text;

pub use error::DomainError;
pub use game::{
    Answer, Command, Event, LeaderboardEntry, Participant, Room, RoomStatus, Round, RoundPhase,
    RoundResult, Settings, Vote,
};

/// Users are identified by the id of their account.
pub type UserId = uuid::Uuid;
