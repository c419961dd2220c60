//! The voting game's rules as pure data and functions: no I/O, clock or randomness, so every
//! transition can be replayed and tested; callers load a `Room`, `apply` a `Command`, then
//! persist the room and publish the returned `Event`s.

pub mod command;
pub mod error;
pub mod event;
pub mod room;
pub mod round;
pub mod scoring;
pub mod settings;

#[cfg(test)]
mod proptests;

pub use command::Command;
pub use error::DomainError;
pub use event::{Event, LeaderboardEntry, RoundResult};
pub use room::{Participant, Room, RoomStatus};
pub use round::{Answer, Round, RoundPhase, Vote};
pub use settings::Settings;

/// Users are identified by the id of their account.
pub type UserId = uuid::Uuid;
