//! The voting game's rules: a room, its rounds, the commands it takes and the events it emits,
//! and the rules around a room (how many one may host, host hand-over, presence,
//! what a lookup by code costs).

pub(crate) mod command;
pub(crate) mod event;
pub(crate) mod history;
pub(crate) mod hosting;
pub(crate) mod lookup;
pub(crate) mod moderation;
pub(crate) mod presence;
pub(crate) mod room;
pub(crate) mod round;
pub(crate) mod scoring;
pub(crate) mod settings;

#[cfg(test)]
mod proptests;

pub(crate) use super::{DomainError, UserId};
pub(crate) use command::Command;
pub(crate) use event::{Event, LeaderboardEntry, RoundResult, VoterRef};
pub(crate) use room::{AnswersAccess, Participant, Room, RoomStatus};
pub(crate) use round::{Answer, Round, RoundPhase, Vote};
pub(crate) use settings::Settings;
