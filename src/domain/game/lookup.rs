//! Finding a room by its code. Codes are short, so a lookup must cost something or they could
//! be guessed: any lookup by code (reading a room or its leaderboard, any action naming a room)
//! by someone who has never been in that room, or of a code no room has, spends the same
//! budget as a join. Whoever has been in a room (as a player or in its audience) knows its
//! code already and spends nothing.

use super::{DomainError, Room, RoomStatus, UserId};

/// What a room found by its code shows someone deciding whether to join it, before they have
/// signed in too: who hosts it, how full it is, and what `viewer` could do there now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Preview {
    pub host_name: String,
    pub status: RoomStatus,
    pub players: usize,
    pub max_players: u32,
    /// The refusal a join by the viewer would get now; `None` when it would succeed.
    pub join_refused: Option<DomainError>,
    /// Whether the viewer could join the room's audience now.
    pub audience_open: bool,
}

/// The room as `viewer` (`None`: someone without a session, so never in it) would find it.
/// The answers are the join rules' own (`Room::may_join`, `Room::may_watch`).
pub(crate) fn preview(room: &Room, viewer: Option<UserId>) -> Preview {
    Preview {
        host_name: room.host_name(),
        status: room.status,
        players: room.active_count(),
        max_players: room.settings.max_players,
        join_refused: room.may_join(viewer).err(),
        audience_open: room.may_watch(viewer).is_ok(),
    }
}

/// Whether `user` looking up a room by code spends their join budget; `room` is `None` when
/// no open room has the code.
pub(crate) fn spends_join_budget(room: Option<&Room>, user: UserId) -> bool {
    room.is_none_or(|r| {
        r.participant(user).is_none() && !r.audience.contains(&user) && !r.runs_from_outside(user)
    })
}

/// Whether `by` may have a round started in `room` with the question prepared for it: only
/// the host, so that nobody else can use up (and so see, or throw away) that question.
pub(crate) fn may_take_question(room: &Room, by: UserId) -> Result<(), DomainError> {
    if room.closed {
        Err(DomainError::RoomClosed)
    } else if room.host_id != by {
        Err(DomainError::NotHost)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Command, Settings};
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    const HOST: Uuid = Uuid::from_u128(1);
    const ANN: Uuid = Uuid::from_u128(2);
    const STRANGER: Uuid = Uuid::from_u128(3);

    fn room() -> Room {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut room = Room::new(
            Uuid::from_u128(9),
            "ABCDEF".into(),
            HOST,
            "h".into(),
            Settings::default(),
            now,
        );
        room.apply(Command::Join {
            user_id: ANN,
            display_name: "ann".into(),
            now,
        })
        .expect("joins");
        room
    }

    #[test]
    fn strangers_and_unknown_codes_spend_the_join_budget_members_do_not() {
        let room = room();
        assert!(spends_join_budget(None, HOST));
        assert!(spends_join_budget(Some(&room), STRANGER));
        assert!(!spends_join_budget(Some(&room), HOST));
        assert!(!spends_join_budget(Some(&room), ANN));
    }

    #[test]
    fn a_former_member_knows_the_code_and_spends_nothing() {
        let mut room = room();
        room.apply(Command::Leave {
            user_id: ANN,
            now: DateTime::<Utc>::UNIX_EPOCH,
        })
        .expect("leaves");
        assert!(!spends_join_budget(Some(&room), ANN));
    }

    #[test]
    fn a_preview_says_who_hosts_how_full_and_what_a_newcomer_could_do() {
        let mut room = room();
        room.settings.max_players = 3;
        let seen = preview(&room, None);
        assert_eq!(seen.host_name, "h");
        assert_eq!(
            (seen.status, seen.players, seen.max_players),
            (RoomStatus::Lobby, 2, 3)
        );
        assert_eq!(seen.join_refused, None);
        assert!(
            !seen.audience_open,
            "a place to play: the audience is closed"
        );

        room.apply(Command::Join {
            user_id: STRANGER,
            display_name: "s".into(),
            now: DateTime::<Utc>::UNIX_EPOCH,
        })
        .expect("joins");
        let full = preview(&room, None);
        assert_eq!(full.join_refused, Some(DomainError::RoomFull));
        assert!(
            full.audience_open,
            "no place to play: the audience takes them"
        );
        // Someone already in it may come back whatever the room's state.
        assert_eq!(preview(&room, Some(ANN)).join_refused, None);
    }

    #[test]
    fn a_preview_tells_a_kicked_player_and_a_game_under_way() {
        let mut room = room();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        room.apply(Command::Kick {
            by: HOST,
            target: ANN,
            now,
        })
        .expect("kicks");
        let kicked = preview(&room, Some(ANN));
        assert_eq!(kicked.join_refused, Some(DomainError::Kicked));
        assert!(!kicked.audience_open);
        room.status = RoomStatus::Playing;
        let late = preview(&room, None);
        assert_eq!(late.join_refused, Some(DomainError::GameInProgress));
        assert!(late.audience_open);
    }

    #[test]
    fn only_the_host_may_use_the_prepared_question() {
        let mut room = room();
        assert_eq!(may_take_question(&room, HOST), Ok(()));
        assert_eq!(may_take_question(&room, ANN), Err(DomainError::NotHost));
        assert_eq!(
            may_take_question(&room, STRANGER),
            Err(DomainError::NotHost)
        );
        room.closed = true;
        assert_eq!(may_take_question(&room, HOST), Err(DomainError::RoomClosed));
    }
}
