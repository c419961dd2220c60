//! The voting game's rules: a room, its rounds, the commands it takes and the events it emits.

pub mod command;
pub mod event;
pub mod room;
pub mod round;
pub mod scoring;
pub mod settings;

#[cfg(test)]
mod proptests;

pub use super::{DomainError, UserId};
pub use command::Command;
pub use event::{Event, LeaderboardEntry, RoundResult};
pub use room::{Participant, Room, RoomStatus};
pub use round::{Answer, Round, RoundPhase, Vote};
pub use settings::Settings;
