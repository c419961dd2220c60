//! Where the game hands its events to the real-time transport. A trait so `game` does not
//! depend on Socket.IO; the gateway implements it.

use async_trait::async_trait;

use crate::domain::{Event, Room};

#[async_trait]
pub trait Publisher: Send + Sync {
    /// Sends what happened to everyone in the room (on every node). `room` is the state after.
    async fn publish(&self, room: &Room, events: &[Event]);
}
