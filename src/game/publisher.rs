//! Where the game hands its events to the real-time transport. A trait so `game` does not
//! depend on Socket.IO; the gateway implements it.

use async_trait::async_trait;

use crate::domain::{Event, Room};

#[async_trait]
pub trait Publisher: Send + Sync {
    /// Sends what happened to everyone in the room (on every node). `room` is the state after.
    async fn publish(&self, room: &Room, events: &[Event]);
    /// Tells the room that `user` has no live socket left in it, when that was learnt other
    /// than from one of their sockets closing (their node died).
    async fn disconnected(&self, _code: &str, _user: crate::domain::UserId) {}
    /// The room's screen link was replaced or revoked: its open screens are closed.
    async fn screens_revoked(&self, _code: &str) {}
}
