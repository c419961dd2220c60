//! Rules about hosting that are not a room's own command: how many rooms one user may hold open,
//! and who takes a room over once its host has been away past the grace period.

use std::collections::HashSet;

use super::{DomainError, Room, UserId};

/// Open rooms one user may host at once: stops one account from filling the store.
pub(crate) const MAX_OPEN_ROOMS_PER_USER: u32 = 10;

/// Whether a user who already hosts `open_rooms` open rooms may open another.
pub(crate) fn may_open_room(open_rooms: u32) -> Result<(), DomainError> {
    if open_rooms < MAX_OPEN_ROOMS_PER_USER {
        Ok(())
    } else {
        Err(DomainError::validation(
            "settings",
            format!("you already host {MAX_OPEN_ROOMS_PER_USER} open rooms; close one first"),
        ))
    }
}

/// What becomes of a room whose host has been away past the grace period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Succession {
    /// The host has a live socket again: nothing to hand over.
    HostIsBack,
    /// Nobody else is connected, so there is no one to hand to: look again later.
    NoHeir,
    /// The room passes to `to`, the longest-standing connected participant.
    HandOver { from: UserId, to: UserId },
}

/// Who gets `room` after its host's grace period, given the users with a live socket in it.
/// (A host who leaves is replaced at once by the room itself, connected or not: see
/// `Room::apply` with `Command::Leave`.)
pub(crate) fn succession(room: &Room, connected: &HashSet<UserId>) -> Succession {
    if connected.contains(&room.host_id) {
        return Succession::HostIsBack;
    }
    room.participants
        .iter()
        .find(|p| p.active && p.user_id != room.host_id && connected.contains(&p.user_id))
        .map_or(Succession::NoHeir, |p| Succession::HandOver {
            from: room.host_id,
            to: p.user_id,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Command, Settings};
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Host 1 with 2, 3 and 4 joined in that order; 3 has left.
    fn room() -> Room {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut room = Room::new(
            id(9),
            "ABCDEF".into(),
            id(1),
            "host".into(),
            Settings::default(),
            now,
        );
        for n in 2..=4 {
            let join = Command::Join {
                user_id: id(n),
                display_name: format!("p{n}"),
                now,
            };
            room.apply(join).unwrap();
        }
        room.apply(Command::Leave {
            user_id: id(3),
            now,
        })
        .unwrap();
        room
    }

    #[test]
    fn a_user_may_host_up_to_ten_open_rooms() {
        assert_eq!(may_open_room(0), Ok(()));
        assert_eq!(may_open_room(9), Ok(()));
        match may_open_room(10) {
            Err(DomainError::Validation { field, message }) => {
                assert_eq!(field, "settings");
                assert!(message.contains("10 open rooms"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_connected_host_keeps_the_room() {
        let connected = HashSet::from([id(1), id(2)]);
        assert_eq!(succession(&room(), &connected), Succession::HostIsBack);
    }

    #[test]
    fn the_longest_standing_connected_participant_takes_over() {
        let connected = HashSet::from([id(4), id(2)]);
        assert_eq!(
            succession(&room(), &connected),
            Succession::HandOver {
                from: id(1),
                to: id(2)
            }
        );
        let connected = HashSet::from([id(4)]);
        assert_eq!(
            succession(&room(), &connected),
            Succession::HandOver {
                from: id(1),
                to: id(4)
            }
        );
    }

    #[test]
    fn a_leaver_or_a_stranger_never_inherits() {
        let connected = HashSet::from([id(3), id(99)]);
        assert_eq!(succession(&room(), &connected), Succession::NoHeir);
        assert_eq!(succession(&room(), &HashSet::new()), Succession::NoHeir);
    }
}
