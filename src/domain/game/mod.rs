//! The voting game's rules: a room, its rounds, the commands it takes and the events it emits,
//! and the rules around a room (its code, how many one may host, host hand-over, presence).

pub mod code;
pub mod command;
pub mod event;
pub mod hosting;
pub mod presence;
pub mod room;
pub mod round;
pub mod scoring;
pub mod settings;

#[cfg(test)]
mod proptests;

pub use super::{DomainError, UserId};
pub use command::Command;
pub use event::{Event, LeaderboardEntry, RoundResult};
pub use room::{AnswersAccess, Participant, Room, RoomStatus};
pub use round::{Answer, Round, RoundPhase, Vote};
pub use settings::Settings;
