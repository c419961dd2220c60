//! Reading finished games back: the games a user played or hosted, and one game's whole
//! record (rounds, answers with authors, votes, points). Only finished rounds are read, so a
//! game still running never shows an author early.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, types::Json};
use uuid::Uuid;

use super::DbError;
use crate::domain::{Settings, UserId};

/// A game in a list: `status` is `finished`, `playing`, or `abandoned` (its room closed first).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct GameSummaryRow {
    pub id: Uuid,
    pub room_code: String,
    pub game_number: i32,
    pub host_id: Uuid,
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub rounds: i64,
    pub my_score: i64,
}

/// A game's status from its row `g` and its room's row `r` (a macro so queries stay literals).
macro_rules! game_status {
    () => {
        "CASE WHEN g.ended_at IS NOT NULL THEN 'finished' \
         WHEN r.closed_at IS NOT NULL THEN 'abandoned' ELSE 'playing' END"
    };
}

/// The ids of the games user `$1` hosted or was dealt into.
macro_rules! games_of_user {
    () => {
        "SELECT id FROM games WHERE host_id = $1 \
         UNION SELECT game_id FROM rounds \
         WHERE players @> ARRAY[$1]::uuid[] AND game_id IS NOT NULL"
    };
}

/// The games `user` hosted or was dealt into, newest first, and how many there are in all.
pub(crate) async fn games_of(
    pool: &PgPool,
    user: UserId,
    limit: i64,
    offset: i64,
) -> Result<(Vec<GameSummaryRow>, i64), DbError> {
    let rows = sqlx::query_as::<_, GameSummaryRow>(concat!(
        "SELECT g.id, r.code AS room_code, g.number AS game_number, g.host_id, ",
        game_status!(),
        " AS status, g.started_at, g.ended_at, \
                (SELECT count(*) FROM rounds y WHERE y.game_id = g.id AND y.status = 'finished') AS rounds, \
                COALESCE((SELECT sum(s.points) FROM scores s JOIN rounds y ON y.id = s.round_id \
                          WHERE y.game_id = g.id AND s.user_id = $1), 0)::BIGINT AS my_score \
         FROM games g JOIN rooms r ON r.id = g.room_id \
         WHERE g.id IN (",
        games_of_user!(),
        ") ORDER BY g.started_at DESC, g.id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(user)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM (",
        games_of_user!(),
        ") AS m"
    ))
    .bind(user)
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct GameRow {
    pub id: Uuid,
    pub room_id: Uuid,
    pub room_code: String,
    pub game_number: i32,
    pub host_id: Uuid,
    pub status: String,
    pub settings: Json<Settings>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RoundRow {
    pub id: Uuid,
    pub round_number: i32,
    pub question: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AnswerRow {
    pub id: Uuid,
    pub round_id: Uuid,
    pub content: String,
    pub author_id: Uuid,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct VoteRow {
    pub audience: bool,
    pub voter_id: Uuid,
    pub answer_id: Uuid,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PersonRow {
    pub user_id: Uuid,
    pub display_name: String,
    pub kicked: bool,
}

/// One game's whole record.
#[derive(Debug, Clone)]
pub(crate) struct GameRecord {
    pub game: GameRow,
    /// Everyone dealt into one of its rounds.
    pub players: Vec<Uuid>,
    /// Finished rounds in order, their answers and votes.
    pub rounds: Vec<RoundRow>,
    pub answers: Vec<AnswerRow>,
    pub votes: Vec<VoteRow>,
    /// Points per player over the game.
    pub points: Vec<(Uuid, i64)>,
    /// Names (as shown in the room) of the room's people.
    pub people: Vec<PersonRow>,
}

/// The game only: enough to decide who may read it before reading the rest.
pub(crate) async fn game(
    pool: &PgPool,
    game_id: Uuid,
) -> Result<Option<(GameRow, Vec<Uuid>)>, DbError> {
    let Some(game) = sqlx::query_as::<_, GameRow>(concat!(
        "SELECT g.id, g.room_id, r.code AS room_code, g.number AS game_number, g.host_id, ",
        game_status!(),
        " AS status, g.settings, g.started_at, g.ended_at \
         FROM games g JOIN rooms r ON r.id = g.room_id WHERE g.id = $1"
    ))
    .bind(game_id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let players: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT unnest(players) AS p FROM rounds WHERE game_id = $1 ORDER BY p",
    )
    .bind(game_id)
    .fetch_all(pool)
    .await?;
    Ok(Some((game, players)))
}

/// The rest of the record of `game` (its finished rounds).
pub(crate) async fn record(
    pool: &PgPool,
    game: GameRow,
    players: Vec<Uuid>,
) -> Result<GameRecord, DbError> {
    let rounds = sqlx::query_as::<_, RoundRow>(
        "SELECT id, round_number, question FROM rounds \
         WHERE game_id = $1 AND status = 'finished' ORDER BY round_number",
    )
    .bind(game.id)
    .fetch_all(pool)
    .await?;
    let answers = sqlx::query_as::<_, AnswerRow>(
        "SELECT a.id, a.round_id, a.content, a.user_id AS author_id FROM answers a \
         JOIN rounds x ON x.id = a.round_id \
         WHERE x.game_id = $1 AND x.status = 'finished' AND NOT a.hidden \
         ORDER BY a.created_at, a.id",
    )
    .bind(game.id)
    .fetch_all(pool)
    .await?;
    let votes = sqlx::query_as::<_, VoteRow>(
        "SELECT v.audience, v.voter_id, v.answer_id FROM votes v \
         JOIN rounds x ON x.id = v.round_id \
         WHERE x.game_id = $1 AND x.status = 'finished' ORDER BY v.created_at, v.id",
    )
    .bind(game.id)
    .fetch_all(pool)
    .await?;
    let points: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT s.user_id, sum(s.points)::BIGINT FROM scores s JOIN rounds x ON x.id = s.round_id \
         WHERE x.game_id = $1 GROUP BY s.user_id",
    )
    .bind(game.id)
    .fetch_all(pool)
    .await?;
    let people = sqlx::query_as::<_, PersonRow>(
        "SELECT user_id, display_name, kicked FROM room_participants WHERE room_id = $1",
    )
    .bind(game.room_id)
    .fetch_all(pool)
    .await?;
    Ok(GameRecord {
        game,
        players,
        rounds,
        answers,
        votes,
        points,
        people,
    })
}
