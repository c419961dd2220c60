//! Who is in the room: joining (and rejoining a kept place), leaving, being kicked, and the
//! host's seat passing on. Split from `room.rs` so the aggregate's file holds its shape and
//! its one door (`apply`), and each group of rules has a file named for it.

use chrono::{DateTime, Utc};

use super::{Participant, Room, RoomStatus};
use crate::domain::{DomainError, Event, UserId, game::moderation, text};

impl Room {
    /// Whether `user` (`None`: someone who has never been in the room) may join it now as a
    /// player, and if not, the refusal a join would get. The rule `join` applies, also read
    /// by the room's preview before anyone signs in.
    pub fn may_join(&self, user: Option<UserId>) -> Result<(), DomainError> {
        // A host who does not play opening their own join link is in the room already.
        if user.is_some_and(|u| self.runs_from_outside(u)) {
            return Ok(());
        }
        let full = self.active_count() >= self.settings.max_players as usize;
        if let Some(p) = user.and_then(|u| self.participant(u)) {
            return if p.kicked {
                Err(DomainError::Kicked)
            } else if !p.active && full {
                // A returning player reclaims their old place, but never beyond capacity.
                Err(DomainError::RoomFull)
            } else {
                Ok(())
            };
        }
        match self.status {
            RoomStatus::Finished => Err(DomainError::GameFinished),
            RoomStatus::Playing => Err(DomainError::GameInProgress),
            RoomStatus::Lobby if full => Err(DomainError::RoomFull),
            RoomStatus::Lobby => Ok(()),
        }
    }

    pub(super) fn join(
        &mut self,
        user_id: UserId,
        display_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        self.may_join(Some(user_id))?;
        if self.runs_from_outside(user_id) {
            // Never a player as well: their sockets join the room as its host (no news).
            return Ok(Vec::new());
        }
        if let Some(p) = self.participants.iter_mut().find(|p| p.user_id == user_id) {
            if p.active {
                return Ok(Vec::new());
            }
            p.active = true;
            let display_name = p.display_name.clone();
            return Ok(vec![
                Event::PlayerRejoined { user_id },
                Event::PlayerJoined {
                    user_id,
                    display_name,
                    participant_count: self.active_count(),
                },
            ]);
        }
        let display_name = text::DISPLAY_NAME.check(display_name)?;
        let display_name = moderation::screen_name(self.settings.profanity_filter, display_name)?;
        let display_name = self.distinct_name(display_name);
        self.participants.push(Participant {
            user_id,
            display_name: display_name.clone(),
            joined_at: now,
            active: true,
            kicked: false,
        });
        self.scores.entry(user_id).or_insert(0);
        Ok(vec![Event::PlayerJoined {
            user_id,
            display_name,
            participant_count: self.active_count(),
        }])
    }

    pub(super) fn leave(
        &mut self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        if self.runs_from_outside(user_id) {
            return Ok(self.outside_host_leaves());
        }
        self.require_member(user_id)?;
        self.deactivate(user_id, false);
        let mut events = Vec::new();
        // A host who does not play holds the room open with no players in it.
        if self.active_count() == 0 && self.host_plays() {
            self.closed = true;
            self.status = RoomStatus::Finished;
            events.push(Event::PlayerLeft {
                user_id,
                participant_count: 0,
                host_id: self.host_id,
                kicked: false,
            });
            events.push(Event::RoomClosed);
            return Ok(events);
        }
        if self.host_id == user_id
            && let Some(heir) = self.participants.iter().find(|p| p.active)
        {
            self.host_id = heir.user_id;
            events.push(Event::HostChanged {
                host_id: self.host_id,
            });
        }
        self.forget_lobby_leavers();
        events.push(Event::PlayerLeft {
            user_id,
            participant_count: self.active_count(),
            host_id: self.host_id,
            kicked: false,
        });
        events.extend(self.advance(now));
        Ok(events)
    }

    pub(super) fn kick(
        &mut self,
        by: UserId,
        target: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        self.require_host(by)?;
        if target == by {
            return Err(DomainError::CannotKickSelf);
        }
        self.require_member(target)?;
        self.deactivate(target, true);
        let mut events = vec![Event::PlayerLeft {
            user_id: target,
            participant_count: self.active_count(),
            host_id: self.host_id,
            kicked: true,
        }];
        events.extend(self.advance(now));
        Ok(events)
    }

    pub(super) fn hand_over_host(
        &mut self,
        from: UserId,
        to: UserId,
    ) -> Result<Vec<Event>, DomainError> {
        self.require_host(from)?;
        if to == from {
            return Err(DomainError::validation(
                "to",
                "the host cannot hand over to themselves",
            ));
        }
        self.require_member(to)?;
        self.host_id = to;
        // The heir is a player and plays on as host.
        self.host_outside = None;
        Ok(vec![Event::HostChanged { host_id: to }])
    }

    /// Before the first round leavers have nothing to keep (no points, no answers), so only
    /// the last `max_players` of them are remembered (to rejoin with their place): players
    /// coming and going never grow the room's state past that.
    pub(super) fn forget_lobby_leavers(&mut self) {
        if self.status != RoomStatus::Lobby || self.round.is_some() {
            return;
        }
        let leavers = |p: &Participant| !p.active && !p.kicked;
        let keep = self.settings.max_players as usize;
        let mut excess = self
            .participants
            .iter()
            .filter(|p| leavers(p))
            .count()
            .saturating_sub(keep);
        let scores = &mut self.scores;
        self.participants.retain(|p| {
            if excess > 0 && leavers(p) {
                excess -= 1;
                scores.remove(&p.user_id);
                false
            } else {
                true
            }
        });
    }

    pub(super) fn deactivate(&mut self, user: UserId, kicked: bool) {
        if let Some(p) = self.participants.iter_mut().find(|p| p.user_id == user) {
            p.active = false;
            p.kicked |= kicked;
        }
    }

    /// `name`, or if someone in the room already goes by it (case aside) the first of
    /// `name 2`, `name 3`, … nobody has, cut to fit the 32-character rule: two players of one
    /// name (two guests called Sam) are told apart on every screen.
    fn distinct_name(&self, name: String) -> String {
        let taken = |candidate: &str| {
            let key = text::question_key(candidate);
            self.participants
                .iter()
                .map(|p| &p.display_name)
                .chain(&self.host_outside)
                .any(|name| text::question_key(name) == key)
        };
        if !taken(&name) {
            return name;
        }
        (2..)
            .map(|n| {
                let suffix = format!(" {n}");
                let room = text::DISPLAY_NAME.max_chars - suffix.chars().count();
                let base: String = name.chars().take(room).collect();
                format!("{}{suffix}", base.trim_end())
            })
            .find(|candidate| !taken(candidate))
            .unwrap_or(name)
    }
}
