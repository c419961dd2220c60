//! What a game action writes to Postgres, as plain rows (`Write`), and how a group of them from
//! many rooms is written in one transaction: in a fixed order of stages that matches the order
//! rounds move in, with the hot rows (answers, votes, scores) sent as one `UNNEST` insert per
//! group rather than one statement each.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{DbError, rooms, rounds};
use crate::domain::{Event, Room, RoomStatus, Round, UserId};

/// One row-level change, captured from the room state right after the action that caused it
/// (so a group can be written later without that state).
#[derive(Debug, Clone)]
pub enum Write {
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
    Round {
        room_id: Uuid,
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
pub fn single_statement(writes: &[&Write]) -> bool {
    writes.iter().all(|w| matches!(w, Write::Vote { .. }))
        || writes.iter().all(|w| matches!(w, Write::Answer { .. }))
}

impl Write {
    /// Rows of a later stage may refer to rows of an earlier one (an answer to its round, a
    /// vote to its answer, scores to their round), never the other way round, because a
    /// round's phases only move forward. So a group is written stage by stage, each stage in
    /// the order its writes came.
    fn stage(&self) -> u8 {
        match self {
            Write::Participant { .. } | Write::Left { .. } | Write::Host { .. } => 0,
            Write::Round { .. } => 1,
            Write::Answer { .. } => 2,
            Write::VotingStarted { .. } => 3,
            Write::Vote { .. } => 4,
            Write::RoundFinished { .. } => 5,
            Write::Status { .. } => 6,
        }
    }
}

const LAST_STAGE: u8 = 6;

/// The rows an action's events write; `room` is the state right after the action.
pub fn plan(room: &Room, events: &[Event]) -> Vec<Write> {
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
                }
                if let Some(round) = room.round.as_ref().filter(|r| r.id == *round_id) {
                    // Only what the row keeps: a new round has no answers or votes yet.
                    let mut round = round.clone();
                    round.answers.clear();
                    round.votes.clear();
                    out.push(Write::Round {
                        room_id: room.id,
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
            Event::GameEnded { .. } => out.push(Write::Status {
                room_id: room.id,
                status: room.status,
                closed: room.closed,
            }),
        }
    }
    out
}

/// Writes a group of rows on `conn`, which the caller holds inside a transaction. Every write
/// is idempotent, so a retried group changes nothing twice.
pub async fn apply(conn: &mut PgConnection, writes: &[&Write]) -> Result<(), DbError> {
    for stage in 0..=LAST_STAGE {
        let mut answers = rounds::NewAnswers::default();
        let mut votes = rounds::NewVotes::default();
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
                Write::Round { room_id, round } => {
                    rounds::insert_round(conn, *room_id, round).await?
                }
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
                } => rounds::start_voting(conn, *round_id, *time_limit, *deadline).await?,
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
                    rounds::finish_round(conn, *round_id).await?;
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
        answers.insert(conn).await?;
        votes.insert(conn).await?;
        scores.insert(conn).await?;
    }
    Ok(())
}
