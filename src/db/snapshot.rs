//! Rebuilds a room's live state from Postgres alone, for when Redis has lost it (a restart, a
//! flush, an expired key). Every acknowledged action is in Postgres before its ack, so the
//! rebuilt room is the room as players last saw it acknowledged.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, types::Json};
use uuid::Uuid;

use super::DbError;
use crate::domain::{
    Answer, Participant, Room, RoomStatus, Round, RoundPhase, Settings, Vote,
    game::{room::audience::AudienceBallot, scoring},
};

#[derive(sqlx::FromRow)]
struct RoomRow {
    id: Uuid,
    code: String,
    host_id: Uuid,
    status: String,
    settings: Json<Settings>,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ParticipantRow {
    user_id: Uuid,
    display_name: String,
    joined_at: DateTime<Utc>,
    active: bool,
    kicked: bool,
}

#[derive(sqlx::FromRow)]
struct RoundRow {
    id: Uuid,
    round_number: i32,
    question: String,
    status: String,
    time_limit: i32,
    deadline: Option<DateTime<Utc>>,
    players: Vec<Uuid>,
}

#[derive(sqlx::FromRow)]
struct AnswerRow {
    id: Uuid,
    user_id: Uuid,
    content: String,
    hidden: bool,
}

#[derive(sqlx::FromRow)]
struct VoteRow {
    voter_id: Uuid,
    answer_id: Uuid,
    audience: bool,
}

fn status_of(s: &str) -> RoomStatus {
    match s {
        "playing" => RoomStatus::Playing,
        "finished" => RoomStatus::Finished,
        _ => RoomStatus::Lobby,
    }
}

fn phase_of(s: &str) -> RoundPhase {
    match s {
        "voting" => RoundPhase::Voting,
        "finished" => RoundPhase::Finished,
        _ => RoundPhase::Answering,
    }
}

fn to_u32(v: impl TryInto<u32>) -> u32 {
    v.try_into().unwrap_or(0)
}

/// The room with this code as Postgres records it, or `None` if there is no such room.
pub(crate) async fn load_room(pool: &PgPool, code: &str) -> Result<Option<Room>, DbError> {
    let Some(row) = sqlx::query_as::<_, RoomRow>(
        "SELECT id, code, host_id, status, settings, created_at, closed_at FROM rooms WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let participants = sqlx::query_as::<_, ParticipantRow>(
        "SELECT user_id, display_name, joined_at, active, kicked FROM room_participants \
         WHERE room_id = $1 ORDER BY joined_at, user_id",
    )
    .bind(row.id)
    .fetch_all(pool)
    .await?;
    let questions: Vec<String> = sqlx::query_scalar(
        "SELECT question FROM rounds WHERE room_id = $1 ORDER BY started_at, round_number",
    )
    .bind(row.id)
    .fetch_all(pool)
    .await?;
    // The room's latest game is the one live state holds; scores count within it only.
    let game: Option<(Uuid, i32)> = sqlx::query_as(
        "SELECT id, number FROM games WHERE room_id = $1 ORDER BY number DESC LIMIT 1",
    )
    .bind(row.id)
    .fetch_optional(pool)
    .await?;
    let game_id = game.map(|(id, _)| id);
    let game_number = game.map_or(1, |(_, n)| to_u32(n).max(1));
    let scores: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT s.user_id, SUM(s.points)::BIGINT FROM scores s JOIN rounds x ON x.id = s.round_id \
         WHERE s.room_id = $1 AND x.game_id IS NOT DISTINCT FROM $2 GROUP BY s.user_id",
    )
    .bind(row.id)
    .bind(game_id)
    .fetch_all(pool)
    .await?;
    // Who is on the game's board with no points yet: everyone dealt into one of its rounds
    // (and, below, everyone present), as the live room keeps them.
    let dealt: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT unnest(players) FROM rounds WHERE game_id = $1")
            .bind(game_id)
            .fetch_all(pool)
            .await?;
    let current = sqlx::query_as::<_, RoundRow>(
        "SELECT id, round_number, question, status, time_limit, deadline, players FROM rounds \
         WHERE room_id = $1 AND game_id IS NOT DISTINCT FROM $2 ORDER BY round_number DESC LIMIT 1",
    )
    .bind(row.id)
    .bind(game_id)
    .fetch_optional(pool)
    .await?;
    let audience: Vec<Uuid> =
        sqlx::query_scalar("SELECT user_id FROM room_audience WHERE room_id = $1")
            .bind(row.id)
            .fetch_all(pool)
            .await?;
    let mut ballot = AudienceBallot::default();
    let round = match current {
        None => None,
        Some(r) => {
            let answers = sqlx::query_as::<_, AnswerRow>(
                "SELECT id, user_id, content, hidden FROM answers WHERE round_id = $1 ORDER BY created_at, id",
            )
            .bind(r.id)
            .fetch_all(pool)
            .await?;
            let votes = sqlx::query_as::<_, VoteRow>(
                "SELECT voter_id, answer_id, audience FROM votes WHERE round_id = $1 ORDER BY created_at, id",
            )
            .bind(r.id)
            .fetch_all(pool)
            .await?;
            let phase = phase_of(&r.status);
            let hidden = answers.iter().filter(|a| a.hidden).map(|a| a.id).collect();
            let (audience_votes, votes): (Vec<VoteRow>, Vec<VoteRow>) =
                votes.into_iter().partition(|v| v.audience);
            ballot = AudienceBallot {
                round_id: Some(r.id),
                votes: audience_votes
                    .into_iter()
                    .map(|v| Vote {
                        voter_id: v.voter_id,
                        answer_id: v.answer_id,
                    })
                    .collect(),
            };
            Some(Round {
                id: r.id,
                number: to_u32(r.round_number),
                question: r.question,
                phase,
                time_limit: to_u32(r.time_limit),
                deadline: if phase == RoundPhase::Finished {
                    None
                } else {
                    r.deadline
                },
                answers: answers
                    .into_iter()
                    .map(|a| Answer {
                        id: a.id,
                        author_id: a.user_id,
                        content: a.content,
                    })
                    .collect(),
                votes: votes
                    .into_iter()
                    .map(|v| Vote {
                        voter_id: v.voter_id,
                        answer_id: v.answer_id,
                    })
                    .collect(),
                players: r.players,
                hidden,
            })
        }
    };
    // A host who is no active player of an open room runs it without playing (`host_plays`
    // off): the live room keeps their name apart, so it is read from their account.
    let closed = row.closed_at.is_some();
    let host_seated = participants
        .iter()
        .any(|p| p.active && p.user_id == row.host_id);
    let host_outside = if closed || host_seated {
        None
    } else {
        let name: Option<String> =
            sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                .bind(row.host_id)
                .fetch_optional(pool)
                .await?;
        Some(name.unwrap_or_default())
    };
    let participants: Vec<Participant> = participants
        .into_iter()
        .map(|p| Participant {
            user_id: p.user_id,
            display_name: p.display_name,
            joined_at: p.joined_at,
            active: p.active,
            kicked: p.kicked,
        })
        .collect();
    let points = scores.into_iter().map(|(user, p)| (user, to_u32(p)));
    let board = scoring::rebuilt_board(&participants, game_number, dealt, points);
    Ok(Some(Room {
        id: row.id,
        code: row.code,
        host_id: row.host_id,
        status: status_of(&row.status),
        settings: row.settings.0,
        participants,
        round,
        scores: board,
        used_questions: questions,
        closed,
        created_at: row.created_at,
        game_number,
        game_id,
        audience: audience.into_iter().collect(),
        audience_ballot: ballot,
        host_outside,
    }))
}
