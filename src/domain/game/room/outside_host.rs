//! A host who does not play (`Settings::host_plays` off, contract v3): they run the room from a
//! screen or a phone without a seat. Such a host is no participant, so by construction they
//! never answer or vote (`not_participant`), are on no leaderboard and count in no quorum or
//! player minimum; yet they are in the room as its host until they leave or hand it over.
//! Their seat-less presence is `Room::host_outside` (their name); the rules that read it are
//! here, so membership, rounds and the audience each ask one question of it.

use super::{Room, RoomStatus};
use crate::domain::{DomainError, Event, UserId};

impl Room {
    /// Whether `user` is this room's host running it without playing.
    pub fn runs_from_outside(&self, user: UserId) -> bool {
        self.host_outside.is_some() && self.host_id == user
    }

    /// Whether the host is one of the players (always, unless they chose not to play and
    /// still hold the room).
    pub fn host_plays(&self) -> bool {
        self.host_outside.is_none()
    }

    /// Whether `user` is in the room as a player or as its host: whoever sees what players
    /// see and holds the room open.
    pub fn is_inside(&self, user: UserId) -> bool {
        self.is_member(user) || self.runs_from_outside(user)
    }

    /// The host's display name, seat or no seat.
    pub fn host_name(&self) -> String {
        match &self.host_outside {
            Some(name) => name.clone(),
            None => self
                .participant(self.host_id)
                .map(|p| p.display_name.clone())
                .unwrap_or_default(),
        }
    }

    /// A host who does not play leaves: the room passes to its longest-standing player (who
    /// plays on as host, as after any hand-over), or closes if nobody is playing. Nothing
    /// changes for the game: the host was in no quorum.
    pub(super) fn outside_host_leaves(&mut self) -> Vec<Event> {
        let user_id = self.host_id;
        self.host_outside = None;
        let mut events = Vec::new();
        match self.participants.iter().find(|p| p.active) {
            Some(heir) => {
                self.host_id = heir.user_id;
                events.push(Event::HostChanged {
                    host_id: self.host_id,
                });
            }
            None => {
                self.closed = true;
                self.status = RoomStatus::Finished;
            }
        }
        events.push(Event::PlayerLeft {
            user_id,
            participant_count: self.active_count(),
            host_id: self.host_id,
            kicked: false,
        });
        if self.closed {
            events.push(Event::RoomClosed);
        }
        events
    }

    /// Whether `host_plays` in new settings (`play_again`) is what the room was created with:
    /// a host takes or gives up a seat only by making a new room.
    pub(super) fn keeps_host_plays(&self, host_plays: bool) -> Result<(), DomainError> {
        if host_plays == self.settings.host_plays {
            Ok(())
        } else {
            Err(DomainError::validation(
                "host_plays",
                "is chosen when the room is created and cannot change",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Command, RoundPhase, Settings};
    use chrono::{DateTime, TimeDelta, Utc};
    use uuid::Uuid;

    const HOST: u128 = 1;
    const ROUND: u128 = 100;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(1_700_000_000 + s)
    }

    fn join(n: u128) -> Command {
        Command::Join {
            user_id: id(n),
            display_name: format!("p{n}"),
            now: t(1),
        }
    }

    /// A room whose host does not play, with players 2..=`last` joined.
    fn room(last: u128) -> Room {
        let settings = Settings {
            host_plays: false,
            ..Settings::default()
        };
        let mut room = Room::new(
            id(900),
            "ABCDEF".into(),
            id(HOST),
            " Host ".into(),
            settings,
            t(0),
        );
        for n in 2..=last {
            room.apply(join(n)).unwrap();
        }
        room
    }

    fn answer(by: u128) -> Command {
        Command::SubmitAnswer {
            by: id(by),
            round_id: id(ROUND),
            answer_id: id(10 + by),
            content: format!("a{by}"),
            now: t(3),
        }
    }

    fn vote(by: u128, for_answer_of: u128) -> Command {
        Command::Vote {
            by: id(by),
            round_id: id(ROUND),
            answer_id: id(10 + for_answer_of),
            now: t(4),
        }
    }

    fn start() -> Command {
        Command::StartGame {
            by: id(HOST),
            round_id: id(ROUND),
            question: "q".into(),
            now: t(2),
        }
    }

    #[test]
    fn a_host_who_does_not_play_runs_a_game_of_the_others() {
        let mut r = room(2);
        assert!(r.participant(id(HOST)).is_none() && !r.scores.contains_key(&id(HOST)));
        assert_eq!((r.host_name(), r.host_plays()), ("Host".to_string(), false));
        // One player is not enough: the host does not count.
        assert_eq!(r.apply(start()), Err(DomainError::NotEnoughPlayers));
        r.apply(join(3)).unwrap();
        r.apply(start()).unwrap();
        let round = r.round.as_ref().unwrap();
        assert_eq!(round.players, vec![id(2), id(3)]);
        assert_eq!(r.apply(answer(HOST)), Err(DomainError::NotParticipant));
        r.apply(answer(2)).unwrap();
        r.apply(answer(3)).unwrap();
        // Two answers were all the round waited for.
        assert_eq!(r.round.as_ref().unwrap().phase, RoundPhase::Voting);
        assert_eq!(r.apply(vote(HOST, 2)), Err(DomainError::NotParticipant));
        r.apply(vote(2, 3)).unwrap();
        r.apply(vote(3, 2)).unwrap();
        assert_eq!(r.round.as_ref().unwrap().phase, RoundPhase::Finished);
        let board: Vec<UserId> = r.leaderboard().iter().map(|e| e.user_id).collect();
        assert_eq!(board, vec![id(2), id(3)]);
        assert!(!r.scores.contains_key(&id(HOST)));
    }

    #[test]
    fn the_host_opening_their_own_join_link_stays_the_host_and_no_player() {
        let mut r = room(2);
        assert_eq!(r.may_join(Some(id(HOST))), Ok(()));
        assert_eq!(r.apply(join(HOST)), Ok(vec![]));
        assert_eq!(
            r.apply(Command::JoinAudience {
                user_id: id(HOST),
                now: t(1)
            }),
            Ok(vec![])
        );
        assert!(r.participant(id(HOST)).is_none() && r.audience.is_empty());
        assert!(r.is_inside(id(HOST)) && !r.is_member(id(HOST)));
        // Nor once the game is under way, when strangers are refused.
        r.apply(join(3)).unwrap();
        r.apply(start()).unwrap();
        assert_eq!(r.apply(join(HOST)), Ok(vec![]));
        assert_eq!(r.apply(join(4)), Err(DomainError::GameInProgress));
    }

    #[test]
    fn players_leaving_never_close_a_room_its_host_still_runs() {
        let mut r = room(2);
        let events = r
            .apply(Command::Leave {
                user_id: id(2),
                now: t(1),
            })
            .unwrap();
        assert!(!events.contains(&Event::RoomClosed));
        assert!(!r.closed);
        r.apply(join(3)).unwrap();
        assert_eq!(r.active_count(), 1);
    }

    #[test]
    fn a_host_who_leaves_hands_the_room_to_the_longest_standing_player() {
        let mut r = room(3);
        let events = r
            .apply(Command::Leave {
                user_id: id(HOST),
                now: t(1),
            })
            .unwrap();
        assert_eq!(events[0], Event::HostChanged { host_id: id(2) });
        assert_eq!((r.host_id, r.host_plays(), r.closed), (id(2), true, false));
        // The heir plays on as host, and the old host may now join like anyone.
        r.apply(join(HOST)).unwrap();
        assert!(r.is_member(id(HOST)));
    }

    #[test]
    fn a_host_who_leaves_an_empty_room_closes_it() {
        let mut r = room(1);
        let events = r
            .apply(Command::Leave {
                user_id: id(HOST),
                now: t(1),
            })
            .unwrap();
        assert_eq!(events.last(), Some(&Event::RoomClosed));
        assert!(r.closed);
    }

    #[test]
    fn a_hand_over_makes_the_heir_a_playing_host() {
        let mut r = room(3);
        r.apply(Command::HandOverHost {
            from: id(HOST),
            to: id(3),
            now: t(1),
        })
        .unwrap();
        assert_eq!(
            (r.host_id, r.host_plays(), r.host_name()),
            (id(3), true, "p3".into())
        );
        assert!(!r.is_inside(id(HOST)));
    }

    #[test]
    fn a_player_does_not_take_the_name_of_a_host_who_does_not_play() {
        let mut r = room(1);
        r.apply(Command::Join {
            user_id: id(2),
            display_name: "host".into(),
            now: t(1),
        })
        .unwrap();
        assert_eq!(r.participant(id(2)).unwrap().display_name, "host 2");
    }

    #[test]
    fn play_again_keeps_whether_the_host_plays() {
        let r = room(3);
        assert!(matches!(
            r.keeps_host_plays(true),
            Err(DomainError::Validation {
                field: "host_plays",
                ..
            })
        ));
        assert_eq!(r.keeps_host_plays(false), Ok(()));
    }
}
