//! Finding a room by its code. Codes are short, so a lookup must cost something or they could
//! be guessed: any lookup by code (reading a room or its leaderboard, any action naming a room)
//! by someone who has never been in that room, or of a code no room has, spends the same
//! budget as a join. Whoever has been in a room (as a player or in its audience) knows its
//! code already and spends nothing.

use super::{DomainError, Room, UserId};

/// Whether `user` looking up a room by code spends their join budget; `room` is `None` when
/// no open room has the code.
pub(crate) fn spends_join_budget(room: Option<&Room>, user: UserId) -> bool {
    room.is_none_or(|r| r.participant(user).is_none() && !r.audience.contains(&user))
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
