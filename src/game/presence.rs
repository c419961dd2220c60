//! Presence and host policy, as the service carries them out: counting a user's live sockets in
//! a room, starting and calling off the host hand-over clock, and handing a room over once its
//! host has been away past the grace period. The decisions are the domain's
//! (`domain::game::presence`, `domain::game::hosting`); this is where they meet the store.

use chrono::Utc;

use super::{GameService, pipeline::Outcome};
use crate::{
    domain::{
        Command, UserId,
        game::{
            hosting::{self, Succession},
            presence::{self, Arrival},
        },
    },
    error::Error,
};

/// What a socket leaving a room meant for its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    /// Another of their sockets is still in the room.
    StillConnected,
    /// That was their last socket in the room: they are shown as disconnected.
    Gone,
}

impl GameService {
    /// A socket of `user` is in the room they just joined (`joined`); `new_socket` is false when
    /// this socket was already counted in that room (a repeated join). Returns what the
    /// transport should tell the room.
    pub async fn socket_joined(
        &self,
        joined: &Outcome,
        user: UserId,
        new_socket: bool,
    ) -> Result<Arrival, Error> {
        let room = &joined.room;
        let first_socket = new_socket && self.store.presence_add(&room.code, user).await? == 1;
        let arrival = presence::arrival(room, user, first_socket, &joined.events);
        if arrival.cancel_hand_over {
            self.store.host_back(&room.code).await?;
        }
        Ok(arrival)
    }

    /// A socket of `user` in room `code` is gone. If it was their last and they host the room,
    /// the hand-over clock starts.
    pub async fn socket_left(&self, code: &str, user: UserId) -> Result<Departure, Error> {
        let left = self.store.presence_remove(code, user).await?;
        if !presence::gone(left) {
            return Ok(Departure::StillConnected);
        }
        // The user is gone whatever becomes of the clock: a room that cannot be read now
        // has no hand-over to schedule.
        if let Err(e) = self.start_hand_over_clock(code, user).await {
            tracing::debug!(%code, error = %e, "no host hand-over scheduled");
        }
        Ok(Departure::Gone)
    }

    async fn start_hand_over_clock(&self, code: &str, user: UserId) -> Result<(), Error> {
        let room = self.rooms.load(code).await?.room;
        if presence::starts_hand_over(&room, user) {
            self.store.host_away(code, self.hand_over_at()).await?;
        }
        Ok(())
    }

    /// Rooms whose host has been away past the grace period, at most `limit`.
    pub async fn hosts_gone(&self, limit: usize) -> Result<Vec<String>, Error> {
        Ok(self.store.hosts_gone(Utc::now(), limit).await?)
    }

    /// Hands the room of a host gone past the grace period to its heir (see
    /// `hosting::succession`); with nobody to hand to, looks again after another grace period.
    pub async fn host_timeout(&self, code: &str) -> Result<(), Error> {
        let stored = match self.rooms.load(code).await {
            Ok(s) => s,
            Err(Error::NotFound(..)) => return Ok(self.store.host_back(code).await?),
            Err(e) => return Err(e),
        };
        let connected = self.store.connected_users(code).await?;
        let (from, to) = match hosting::succession(&stored.room, &connected) {
            Succession::HostIsBack => return Ok(self.store.host_back(code).await?),
            Succession::NoHeir => {
                return Ok(self.store.host_away(code, self.hand_over_at()).await?);
            }
            Succession::HandOver { from, to } => (from, to),
        };
        match self
            .execute(code, move |_, now| {
                Ok(Command::HandOverHost { from, to, now })
            })
            .await
        {
            // Someone else already moved the host (another node, a leave): nothing to do.
            Ok(_) | Err(Error::Rule(_)) => Ok(self.store.host_back(code).await?),
            Err(e) => Err(e),
        }
    }

    /// When a host who goes away now loses the room.
    fn hand_over_at(&self) -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::from_std(self.host_grace).unwrap_or_default()
    }
}
