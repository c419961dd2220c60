//! Lookups by room code and what they cost: the domain says which count
//! (`domain::game::lookup`), the join limiter (`limits`) is what they spend. Every method that
//! addresses a room by code on a user's behalf goes through `look_up` (reads) or `execute_as`
//! (actions), so no transport can offer a free way to test codes.

use chrono::{DateTime, Utc};
use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use super::{GameService, pipeline::Outcome};
use crate::{
    domain::{Command, Room, UserId, game::lookup},
    error::Error,
    limits::Limits,
    store::Stored,
};

/// Who looks a room up by its code.
#[derive(Debug, Clone, Copy)]
pub enum Looker {
    /// A signed-in user (a guest too): counted by who they are.
    User(UserId),
    /// Someone without a session, counted by their address (`limits::client_ip`).
    Visitor(IpAddr),
}

impl GameService {
    /// The limiter lookups spend (set once at start-up; without one, lookups are free).
    pub fn set_limits(&self, limits: Arc<Limits>) {
        let _ = self.limits.set(limits);
    }

    /// Spends `user`'s join budget if looking up `room` (`None`: no such room) counts.
    fn charge_lookup(&self, user: UserId, room: Option<&Room>) -> Result<(), Error> {
        match self.limits.get() {
            Some(limits) if lookup::spends_join_budget(room, user) => limits.join(user),
            _ => Ok(()),
        }
    }

    /// Reads room `code` (normalised) for `user`, spending the join budget when it counts.
    pub(super) async fn look_up(&self, user: UserId, code: &str) -> Result<Stored, Error> {
        match self.rooms.load(code).await {
            Ok(stored) => {
                self.charge_lookup(user, Some(&stored.room))?;
                Ok(stored)
            }
            Err(e @ Error::NotFound(..)) => {
                self.charge_lookup(user, None)?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Reads room `code` (normalised) for `who`: a signed-in user spends their join budget
    /// when the lookup counts, a visitor without a session always spends their address's
    /// preview budget (they have no other identity to count by).
    pub(super) async fn look_up_as(&self, who: Looker, code: &str) -> Result<Stored, Error> {
        match who {
            Looker::User(user) => self.look_up(user, code).await,
            Looker::Visitor(ip) => {
                if let Some(limits) = self.limits.get() {
                    limits.preview(ip)?;
                }
                self.rooms.load(code).await
            }
        }
    }

    /// Runs an action of `user` on room `code`, spending the join budget when the room it was
    /// decided against (or its absence) counts. The charge comes after the action, which is
    /// only refused for someone who was never in the room; over the budget, the refusal
    /// that would tell a guesser something is replaced by `rate_limited`.
    pub(super) async fn execute_as(
        &self,
        user: UserId,
        code: &str,
        decide: impl Fn(&Room, DateTime<Utc>) -> Result<Command, Error> + Send + Sync + 'static,
    ) -> Result<Outcome, Error> {
        let stranger = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&stranger);
        let result = self
            .execute(code, move |room, now| {
                if lookup::spends_join_budget(Some(room), user) {
                    seen.store(true, Ordering::Relaxed);
                }
                decide(room, now)
            })
            .await;
        // Not found, or decided against a room `user` was never in: a lookup that counts.
        if matches!(result, Err(Error::NotFound(..))) || stranger.load(Ordering::Relaxed) {
            self.charge_lookup(user, None)?;
        }
        result
    }
}
