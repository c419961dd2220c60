//! What a game action writes to Postgres, as plain rows (`Write`), and how a group of them from
//! many rooms is written in one transaction: in a fixed order of stages that matches the order
//! rounds move in, with each kind of round row (new rounds, answers, voting starts, votes,
//! finished rounds, scores) sent as one statement per group over `UNNEST`ed arrays; only the
//! rare room-level rows (participants, host, status) go one statement each.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{DbError, games, rooms, rounds};
use crate::domain::{Event, Room, RoomStatus, Round, Settings, UserId};

/// One row-level change, captured from the room state right after the action that caused it
/// (so a group can be written later without that state).
#[derive(Debug, Clone)]
pub(crate) enum Write {
    Participant {
        room_id: Uuid,
        user_id: UserId,
        display_name: String,
        joined_at: Option<DateTime<Utc>>,
    },
    Left {
        room_id: Uuid,
        user_id: UserId,
        kicked: bool,
    },
    Host {
        room_id: Uuid,
        host_id: UserId,
    },
    /// A game began (its first round is in the same group): its row, and the room's settings,
    /// which `play_again` may have changed.
    Game {
        game_id: Uuid,
        room_id: Uuid,
        number: u32,
        host_id: UserId,
        settings: Box<Settings>,
    },
    GameEnded {
        game_id: Uuid,
    },
    AudienceJoined {
        room_id: Uuid,
        user_id: UserId,
    },
    AudienceLeft {
        room_id: Uuid,
        user_id: UserId,
    },
    AudienceVote {
        round_id: Uuid,
        voter: UserId,
        answer_id: Uuid,
    },
    /// The host hid an answer: marked hidden, its votes withdrawn.
    AnswerHidden {
        answer_id: Uuid,
    },
    Round {
        room_id: Uuid,
        game_id: Option<Uuid>,
        round: Box<Round>,
    },
    Answer {
        round_id: Uuid,
        answer_id: Uuid,
        author: UserId,
        content: String,
    },
    VotingStarted {
        round_id: Uuid,
        time_limit: u32,
        deadline: DateTime<Utc>,
    },
    Vote {
        round_id: Uuid,
        voter: UserId,
        answer_id: Uuid,
    },
    RoundFinished {
        room_id: Uuid,
        round_id: Uuid,
        points: Vec<(UserId, u32)>,
    },
    Status {
        room_id: Uuid,
        status: RoomStatus,
        closed: bool,
    },
}

/// Whether a group needs no transaction: one statement is atomic by itself, and a group of
/// nothing but votes (the common case while a round is being voted on) is one statement.
pub(crate) fn single_statement(writes: &[&Write]) -> bool {
    writes
        .iter()
        .all(|w| matches!(w, Write::Vote { .. } | Write::AudienceVote { .. }))
        || writes.iter().all(|w| matches!(w, Write::Answer { .. }))
}

impl Write {
    /// Rows of a later stage may refer to rows of an earlier one (an answer to its round, a
    /// vote to its answer, scores to their round), never the other way round, because a
    /// round's phases only move forward. So a group is written stage by stage, each stage in
    /// the order its writes came.
    fn stage(&self) -> u8 {
        match self {
            Write::Participant { .. }
            | Write::Left { .. }
            | Write::Host { .. }
            | Write::Game { .. }
            | Write::AudienceJoined { .. }
            | Write::AudienceLeft { .. } => 0,
            Write::Round { .. } => 1,
            Write::Answer { .. } => 2,
            Write::VotingStarted { .. } => 3,
            Write::Vote { .. } | Write::AudienceVote { .. } => 4,
            // After the votes, so withdrawing them finds every one.
            Write::RoundFinished { .. } | Write::AnswerHidden { .. } => 5,
            Write::Status { .. } | Write::GameEnded { .. } => 6,
        }
    }
}

const LAST_STAGE: u8 = 6;

/// The rows an action's events write; `room` is the state right after the action.
pub(crate) fn plan(room: &Room, events: &[Event]) -> Vec<Write> {
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        match event {
            Event::PlayerJoined {
                user_id,
                display_name,
                ..
            } => out.push(Write::Participant {
                room_id: room.id,
                user_id: *user_id,
                display_name: display_name.clone(),
                joined_at: room.participant(*user_id).map(|p| p.joined_at),
            }),
            Event::PlayerRejoined { .. } => {}
            Event::PlayerLeft {
                user_id, kicked, ..
            } => out.push(Write::Left {
                room_id: room.id,
                user_id: *user_id,
                kicked: *kicked,
            }),
            Event::HostChanged { host_id } => out.push(Write::Host {
                room_id: room.id,
                host_id: *host_id,
            }),
            Event::RoomClosed => out.push(Write::Status {
                room_id: room.id,
                status: room.status,
                closed: true,
            }),
            Event::RoundStarted {
                round_id, first, ..
            } => {
                if *first {
                    out.push(Write::Status {
                        room_id: room.id,
                        status: room.status,
                        closed: false,
                    });
                    out.push(Write::Game {
                        game_id: *round_id,
                        room_id: room.id,
                        number: room.game_number,
                        host_id: room.host_id,
                        settings: Box::new(room.settings.clone()),
                    });
                }
                if let Some(round) = room.round.as_ref().filter(|r| r.id == *round_id) {
                    // Only what the row keeps: a new round has no answers or votes yet.
                    let mut round = round.clone();
                    round.answers.clear();
                    round.votes.clear();
                    out.push(Write::Round {
                        room_id: room.id,
                        game_id: room.game_id,
                        round: Box::new(round),
                    });
                }
            }
            Event::AnswerSubmitted {
                answer_id,
                author_id,
                ..
            } => {
                let Some(round) = &room.round else { continue };
                let Some(answer) = round.answers.iter().find(|a| a.id == *answer_id) else {
                    continue;
                };
                out.push(Write::Answer {
                    round_id: round.id,
                    answer_id: *answer_id,
                    author: *author_id,
                    content: answer.content.clone(),
                });
            }
            Event::VotingStarted {
                round_id,
                time_limit,
                deadline,
                ..
            } => out.push(Write::VotingStarted {
                round_id: *round_id,
                time_limit: *time_limit,
                deadline: *deadline,
            }),
            Event::VoteCast {
                voter_id,
                answer_id,
                ..
            } => {
                let Some(round) = &room.round else { continue };
                out.push(Write::Vote {
                    round_id: round.id,
                    voter: *voter_id,
                    answer_id: *answer_id,
                });
            }
            Event::RoundEnded {
                round_id, points, ..
            } => out.push(Write::RoundFinished {
                room_id: room.id,
                round_id: *round_id,
                points: points.clone(),
            }),
            Event::GameEnded { .. } => {
                out.push(Write::Status {
                    room_id: room.id,
                    status: room.status,
                    closed: room.closed,
                });
                if let Some(game_id) = room.game_id {
                    out.push(Write::GameEnded { game_id });
                }
            }
            // Its game's row comes with the first round's `RoundStarted`, just after it.
            Event::GameReset { .. } => {}
            Event::AnswerHidden { answer_id, .. } => out.push(Write::AnswerHidden {
                answer_id: *answer_id,
            }),
            Event::AudienceJoined { user_id, .. } => out.push(Write::AudienceJoined {
                room_id: room.id,
                user_id: *user_id,
            }),
            Event::AudienceLeft { user_id, .. } => out.push(Write::AudienceLeft {
                room_id: room.id,
                user_id: *user_id,
            }),
            Event::AudienceVoteCast {
                voter_id,
                round_id,
                answer_id,
                ..
            } => out.push(Write::AudienceVote {
                round_id: *round_id,
                voter: *voter_id,
                answer_id: *answer_id,
            }),
        }
    }
    out
}

/// Writes a group of rows on `conn`, which the caller holds inside a transaction. Every write
/// is idempotent, so a retried group changes nothing twice.
pub(crate) async fn apply(conn: &mut PgConnection, writes: &[&Write]) -> Result<(), DbError> {
    for stage in 0..=LAST_STAGE {
        let mut new_rounds = rounds::NewRounds::default();
        let mut answers = rounds::NewAnswers::default();
        let mut voting = rounds::VotingStarts::default();
        let mut votes = rounds::NewVotes::default();
        let mut finished = Vec::new();
        let mut scores = rounds::NewScores::default();
        for write in writes.iter().filter(|w| w.stage() == stage) {
            match write {
                Write::Participant {
                    room_id,
                    user_id,
                    display_name,
                    joined_at,
                } => {
                    rooms::upsert_participant(conn, *room_id, *user_id, display_name, *joined_at)
                        .await?
                }
                Write::Left {
                    room_id,
                    user_id,
                    kicked,
                } => rooms::mark_left(conn, *room_id, *user_id, *kicked).await?,
                Write::Host { room_id, host_id } => {
                    rooms::set_host(conn, *room_id, *host_id).await?
                }
                Write::Game {
                    game_id,
                    room_id,
                    number,
                    host_id,
                    settings,
                } => games::start(conn, *game_id, *room_id, *number, *host_id, settings).await?,
                Write::GameEnded { game_id } => games::end(conn, *game_id).await?,
                Write::AnswerHidden { answer_id } => rounds::hide_answer(conn, *answer_id).await?,
                Write::AudienceJoined { room_id, user_id } => {
                    games::join_audience(conn, *room_id, *user_id).await?
                }
                Write::AudienceLeft { room_id, user_id } => {
                    games::leave_audience(conn, *room_id, *user_id).await?
                }
                Write::AudienceVote {
                    round_id,
                    voter,
                    answer_id,
                } => votes.push_audience(*round_id, *voter, *answer_id),
                Write::Round {
                    room_id,
                    game_id,
                    round,
                } => new_rounds.push(*room_id, *game_id, round),
                Write::Answer {
                    round_id,
                    answer_id,
                    author,
                    content,
                } => answers.push(*round_id, *answer_id, *author, content),
                Write::VotingStarted {
                    round_id,
                    time_limit,
                    deadline,
                } => voting.push(*round_id, *time_limit, *deadline),
                Write::Vote {
                    round_id,
                    voter,
                    answer_id,
                } => votes.push(*round_id, *voter, *answer_id),
                Write::RoundFinished {
                    room_id,
                    round_id,
                    points,
                } => {
                    finished.push(*round_id);
                    for (user, pts) in points {
                        scores.push(*room_id, *round_id, *user, *pts);
                    }
                }
                Write::Status {
                    room_id,
                    status,
                    closed,
                } => rooms::set_status(conn, *room_id, *status, *closed).await?,
            }
        }
        // At most one of these has rows in a stage; the others return at once.
        new_rounds.insert(conn).await?;
        answers.insert(conn).await?;
        voting.update(conn).await?;
        votes.insert(conn).await?;
        rounds::finish_rounds(conn, finished).await?;
        scores.insert(conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Command, Settings};
    use chrono::TimeDelta;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(1_700_000_000 + s)
    }

    /// Plays a two-player round through to its end, planning the rows of each step against
    /// the state right after it, as the service does.
    fn whole_round() -> Vec<Write> {
        let mut room = Room::new(
            id(900),
            "ABCDEF".into(),
            id(1),
            "one".into(),
            Settings::default(),
            t(0),
        );
        let mut writes = Vec::new();
        let commands = vec![
            Command::Join {
                user_id: id(2),
                display_name: "two".into(),
                now: t(1),
            },
            Command::StartGame {
                by: id(1),
                round_id: id(100),
                question: "q?".into(),
                now: t(2),
            },
            Command::SubmitAnswer {
                by: id(1),
                round_id: id(100),
                answer_id: id(11),
                content: "a1".into(),
                now: t(3),
            },
            Command::SubmitAnswer {
                by: id(2),
                round_id: id(100),
                answer_id: id(12),
                content: "a2".into(),
                now: t(4),
            },
            Command::Vote {
                by: id(1),
                round_id: id(100),
                answer_id: id(12),
                now: t(5),
            },
            Command::Vote {
                by: id(2),
                round_id: id(100),
                answer_id: id(11),
                now: t(6),
            },
        ];
        for command in commands {
            let events = room.apply(command).expect("a legal command");
            writes.extend(plan(&room, &events));
        }
        writes
    }

    #[test]
    fn a_round_plans_its_rows_with_the_ids_and_content_the_players_gave() {
        let writes = whole_round();
        let answers: Vec<_> = writes
            .iter()
            .filter_map(|w| match w {
                Write::Answer {
                    answer_id,
                    author,
                    content,
                    round_id,
                } => Some((*round_id, *answer_id, *author, content.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            answers,
            vec![
                (id(100), id(11), id(1), "a1"),
                (id(100), id(12), id(2), "a2")
            ]
        );
        let votes: Vec<_> = writes
            .iter()
            .filter_map(|w| match w {
                Write::Vote {
                    round_id,
                    voter,
                    answer_id,
                } => Some((*round_id, *voter, *answer_id)),
                _ => None,
            })
            .collect();
        assert_eq!(
            votes,
            vec![(id(100), id(1), id(12)), (id(100), id(2), id(11))]
        );
        // Both voted, so the round ended by itself: one point each.
        let finished = writes.iter().find_map(|w| match w {
            Write::RoundFinished {
                round_id, points, ..
            } => Some((*round_id, points.clone())),
            _ => None,
        });
        let (round, mut points) = finished.expect("the round finished");
        points.sort();
        assert_eq!(round, id(100));
        assert_eq!(points, vec![(id(1), 1), (id(2), 1)]);
        // The round's row is written without the answers and votes (they have rows of their own).
        assert!(writes.iter().any(|w| matches!(w, Write::Round { round, .. } if round.answers.is_empty() && round.votes.is_empty())));
    }

    #[test]
    fn every_row_is_written_in_a_later_stage_than_the_rows_it_refers_to() {
        let writes = whole_round();
        let stage_of_round = |id: Uuid| {
            writes.iter().find_map(|w| match w {
                Write::Round { round, .. } if round.id == id => Some(w.stage()),
                _ => None,
            })
        };
        let stage_of_answer = |id: Uuid| {
            writes.iter().find_map(|w| match w {
                Write::Answer { answer_id, .. } if *answer_id == id => Some(w.stage()),
                _ => None,
            })
        };
        let mut checked = 0;
        for w in &writes {
            let referred = match w {
                Write::Answer { round_id, .. }
                | Write::VotingStarted { round_id, .. }
                | Write::RoundFinished { round_id, .. } => stage_of_round(*round_id),
                Write::Vote { answer_id, .. } => stage_of_answer(*answer_id),
                _ => continue,
            };
            let referred = referred.expect("the referred row is in the plan");
            assert!(
                referred < w.stage(),
                "{w:?} would be written before what it refers to"
            );
            checked += 1;
        }
        assert_eq!(
            checked, 6,
            "two answers, voting started, two votes, the round finished: {writes:?}"
        );
    }

    #[test]
    fn only_groups_of_one_kind_of_insert_skip_the_transaction() {
        let writes = whole_round();
        let votes: Vec<&Write> = writes
            .iter()
            .filter(|w| matches!(w, Write::Vote { .. }))
            .collect();
        let answers: Vec<&Write> = writes
            .iter()
            .filter(|w| matches!(w, Write::Answer { .. }))
            .collect();
        let all: Vec<&Write> = writes.iter().collect();
        assert!(single_statement(&votes));
        assert!(single_statement(&answers));
        assert!(!single_statement(&all));
        let mixed: Vec<&Write> = votes.iter().chain(answers.iter()).copied().collect();
        assert!(!single_statement(&mixed));
    }
}
