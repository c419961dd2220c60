//! What a player's sockets coming and going mean for the room. A closed tab is not a leave: the
//! player stays in the game, is shown as disconnected once their last socket in the room is
//! gone, and as reconnected when one is back; a host who is gone starts the hand-over clock.

use chrono::{DateTime, TimeDelta, Utc};
use std::{collections::HashSet, time::Duration};

use super::{Event, Room, UserId};

/// What one of `user`'s sockets joining the room means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// Tell the room that the user is back: their first socket in the room again, after a join
    /// that was not news (a first join or a rejoin announces itself as `PlayerJoined`).
    pub announce_reconnect: bool,
    /// The host is back: a pending hand-over away from them is off.
    pub cancel_hand_over: bool,
}

/// `first_socket`: this socket is now the user's only one in the room. `joined`: the events of
/// the join that brought them in.
pub(crate) fn arrival(room: &Room, user: UserId, first_socket: bool, joined: &[Event]) -> Arrival {
    let news = joined
        .iter()
        .any(|e| matches!(e, Event::PlayerJoined { .. }));
    Arrival {
        announce_reconnect: first_socket && !news,
        cancel_hand_over: first_socket && room.host_id == user,
    }
}

/// Whether a user whose socket just left, with `sockets_left` of theirs still in the room, is
/// gone from it (and so shown as disconnected).
pub(crate) fn gone(sockets_left: i64) -> bool {
    sockets_left <= 0
}

/// Whether a user who is gone from `room` starts the host hand-over clock.
pub(crate) fn starts_hand_over(room: &Room, user: UserId) -> bool {
    room.host_id == user
}

/// Whether the host of `room` has no live socket in it, given who has.
pub(crate) fn host_gone(room: &Room, connected: &HashSet<UserId>) -> bool {
    !connected.contains(&room.host_id)
}

/// When the host of a room loses it after the node holding their socket died: the grace
/// period runs from the node's last sign of life (its lease ran out at `lease_expired`, a
/// lease after it was last renewed), as it would have from a disconnect at that moment.
pub(crate) fn hand_over_after_crash(
    lease_expired: DateTime<Utc>,
    lease: Duration,
    grace: Duration,
) -> DateTime<Utc> {
    let lease = TimeDelta::from_std(lease).unwrap_or(TimeDelta::MAX);
    let grace = TimeDelta::from_std(grace).unwrap_or(TimeDelta::MAX);
    lease_expired
        .checked_sub_signed(lease)
        .and_then(|last_seen| last_seen.checked_add_signed(grace))
        .unwrap_or(lease_expired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Settings;
    use uuid::Uuid;

    fn room() -> Room {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        Room::new(
            Uuid::from_u128(9),
            "ABCDEF".into(),
            Uuid::from_u128(1),
            "h".into(),
            Settings::default(),
            now,
        )
    }

    const HOST: Uuid = Uuid::from_u128(1);
    const ANN: Uuid = Uuid::from_u128(2);

    fn joined() -> Vec<Event> {
        vec![Event::PlayerJoined {
            user_id: ANN,
            display_name: "ann".into(),
            participant_count: 2,
        }]
    }

    #[test]
    fn a_first_socket_after_an_uneventful_join_is_a_reconnect() {
        let a = arrival(&room(), ANN, true, &[]);
        assert_eq!(
            a,
            Arrival {
                announce_reconnect: true,
                cancel_hand_over: false
            }
        );
    }

    #[test]
    fn a_fresh_join_announces_itself_and_a_second_socket_is_not_news() {
        assert!(!arrival(&room(), ANN, true, &joined()).announce_reconnect);
        assert_eq!(
            arrival(&room(), ANN, false, &[]),
            Arrival {
                announce_reconnect: false,
                cancel_hand_over: false
            }
        );
    }

    #[test]
    fn the_host_coming_back_calls_the_hand_over_off() {
        assert!(arrival(&room(), HOST, true, &[]).cancel_hand_over);
        assert!(!arrival(&room(), HOST, false, &[]).cancel_hand_over);
    }

    #[test]
    fn a_user_is_gone_with_their_last_socket_and_only_a_gone_host_starts_the_clock() {
        assert!(gone(0));
        assert!(!gone(1));
        assert!(starts_hand_over(&room(), HOST));
        assert!(!starts_hand_over(&room(), ANN));
    }

    #[test]
    fn the_host_is_gone_without_a_live_socket() {
        assert!(host_gone(&room(), &HashSet::from([ANN])));
        assert!(!host_gone(&room(), &HashSet::from([HOST, ANN])));
    }

    #[test]
    fn a_crashed_nodes_host_gets_the_grace_period_from_its_last_heartbeat() {
        let expired = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(100);
        let at = hand_over_after_crash(expired, Duration::from_secs(6), Duration::from_secs(30));
        assert_eq!(at, DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(124));
        // A grace shorter than the lease: hand over as soon as the death is known.
        let at = hand_over_after_crash(expired, Duration::from_secs(6), Duration::from_secs(2));
        assert!(at <= expired);
    }
}
