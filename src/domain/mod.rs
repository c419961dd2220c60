//! The rules as pure data and functions: no I/O, clock or randomness, so every transition can
//! be replayed and tested; callers load a `Room`, `apply` a `Command`, then persist the room and
//! publish the returned `Event`s.
//!
//! - `game`: the voting game's rules (rooms, rounds, codes, hosting, presence).
//! - `poll`: the polls' rules (creation limits, who edits what, status, choices, vote deltas).
//! - `account`: what an account's email, password and display name may be.
//! - `code`: the short codes rooms and polls are reached by (`/r/CODE`, `/p/CODE`).
//! - `paging`: the one paging rule of every list (`page`, `per_page`, a deepest offset).
//! - `text`: the rules for text a client sends, shared by every product (the game, polls).
//! - `error`: `DomainError`, one variant per refusal with its contract code, and `ErrorKind`,
//!   the class (403/404/409/422) every product's rule errors share.

pub(crate) mod account;
pub(crate) mod code;
pub(crate) mod error;
pub(crate) mod game;
pub(crate) mod paging;
pub(crate) mod poll;
pub(crate) mod text;

pub(crate) use error::DomainError;
pub(crate) use game::{
    Answer, Command, Event, LeaderboardEntry, Participant, Room, RoomStatus, Round, RoundPhase,
    Settings, Vote,
};

/// Users are identified by the id of their account.
pub(crate) type UserId = uuid::Uuid;
