//! Rounds, answers, votes and scores in Postgres: the round events of the domain written as
//! rows. Every insert is keyed so that a retried write is a no-op, never a second row.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::DbError;
use crate::domain::{Round, UserId};

/// Rounds that just started (answering), inserted with one statement.
#[derive(Default)]
pub(crate) struct NewRounds {
    ids: Vec<Uuid>,
    rooms: Vec<Uuid>,
    games: Vec<Option<Uuid>>,
    numbers: Vec<i32>,
    questions: Vec<String>,
    time_limits: Vec<i32>,
    deadlines: Vec<Option<DateTime<Utc>>>,
    /// Each round's players as an array literal (`{id,id}`): rows of different lengths
    /// cannot travel as one two-dimensional array parameter.
    players: Vec<String>,
}

impl NewRounds {
    pub(crate) fn push(&mut self, room_id: Uuid, game_id: Option<Uuid>, round: &Round) {
        self.ids.push(round.id);
        self.rooms.push(room_id);
        self.games.push(game_id);
        self.numbers.push(to_i32(round.number));
        self.questions.push(round.question.clone());
        self.time_limits.push(to_i32(round.time_limit));
        self.deadlines.push(round.deadline);
        let ids: Vec<String> = round.players.iter().map(Uuid::to_string).collect();
        self.players.push(format!("{{{}}}", ids.join(",")));
    }

    pub(crate) async fn insert(self, conn: &mut PgConnection) -> Result<(), DbError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO rounds (id, room_id, round_number, question, status, time_limit, deadline, players, game_id) \
             SELECT id, room_id, n, q, 'answering', tl, dl, p::uuid[], g \
             FROM UNNEST($1::uuid[], $2::uuid[], $3::int4[], $4::text[], $5::int4[], $6::timestamptz[], $7::text[], $8::uuid[]) \
                  AS t(id, room_id, n, q, tl, dl, p, g) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(self.ids)
        .bind(self.rooms)
        .bind(self.numbers)
        .bind(self.questions)
        .bind(self.time_limits)
        .bind(self.deadlines)
        .bind(self.players)
        .bind(self.games)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Rounds that moved to voting, updated with one statement.
#[derive(Default)]
pub(crate) struct VotingStarts {
    ids: Vec<Uuid>,
    time_limits: Vec<i32>,
    deadlines: Vec<DateTime<Utc>>,
}

impl VotingStarts {
    pub(crate) fn push(&mut self, round_id: Uuid, time_limit: u32, deadline: DateTime<Utc>) {
        self.ids.push(round_id);
        self.time_limits.push(to_i32(time_limit));
        self.deadlines.push(deadline);
    }

    pub(crate) async fn update(self, conn: &mut PgConnection) -> Result<(), DbError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE rounds r SET status = 'voting', time_limit = t.tl, deadline = t.dl \
             FROM UNNEST($1::uuid[], $2::int4[], $3::timestamptz[]) AS t(id, tl, dl) \
             WHERE r.id = t.id",
        )
        .bind(self.ids)
        .bind(self.time_limits)
        .bind(self.deadlines)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Answers of a group, inserted with one statement.
#[derive(Default)]
pub(crate) struct NewAnswers {
    ids: Vec<Uuid>,
    rounds: Vec<Uuid>,
    authors: Vec<Uuid>,
    contents: Vec<String>,
}

impl NewAnswers {
    pub(crate) fn push(&mut self, round_id: Uuid, answer_id: Uuid, author: UserId, content: &str) {
        self.ids.push(answer_id);
        self.rounds.push(round_id);
        self.authors.push(author);
        self.contents.push(content.to_string());
    }

    pub(crate) async fn insert(self, conn: &mut PgConnection) -> Result<(), DbError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO answers (id, round_id, user_id, content) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) \
             ON CONFLICT DO NOTHING",
        )
        .bind(self.ids)
        .bind(self.rounds)
        .bind(self.authors)
        .bind(self.contents)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Votes of a group, inserted with one statement; a voter's second vote in a round is a no-op.
#[derive(Default)]
pub(crate) struct NewVotes {
    rounds: Vec<Uuid>,
    voters: Vec<Uuid>,
    answers: Vec<Uuid>,
    /// An audience member's vote (counted apart) rather than a player's.
    audience: Vec<bool>,
}

impl NewVotes {
    pub(crate) fn push(&mut self, round_id: Uuid, voter: UserId, answer_id: Uuid) {
        self.rounds.push(round_id);
        self.voters.push(voter);
        self.answers.push(answer_id);
        self.audience.push(false);
    }

    pub(crate) fn push_audience(&mut self, round_id: Uuid, voter: UserId, answer_id: Uuid) {
        self.rounds.push(round_id);
        self.voters.push(voter);
        self.answers.push(answer_id);
        self.audience.push(true);
    }

    pub(crate) async fn insert(self, conn: &mut PgConnection) -> Result<(), DbError> {
        if self.rounds.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = self.rounds.iter().map(|_| Uuid::new_v4()).collect();
        sqlx::query(
            "INSERT INTO votes (id, round_id, voter_id, answer_id, audience) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::bool[]) \
             ON CONFLICT (round_id, voter_id) DO NOTHING",
        )
        .bind(ids)
        .bind(self.rounds)
        .bind(self.voters)
        .bind(self.answers)
        .bind(self.audience)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Points of finished rounds, inserted with one statement.
#[derive(Default)]
pub(crate) struct NewScores {
    rooms: Vec<Uuid>,
    rounds: Vec<Uuid>,
    users: Vec<Uuid>,
    points: Vec<i32>,
}

impl NewScores {
    pub(crate) fn push(&mut self, room_id: Uuid, round_id: Uuid, user: UserId, points: u32) {
        self.rooms.push(room_id);
        self.rounds.push(round_id);
        self.users.push(user);
        self.points.push(to_i32(points));
    }

    pub(crate) async fn insert(self, conn: &mut PgConnection) -> Result<(), DbError> {
        if self.rooms.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO scores (room_id, round_id, user_id, points) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::int4[]) \
             ON CONFLICT (round_id, user_id) DO NOTHING",
        )
        .bind(self.rooms)
        .bind(self.rounds)
        .bind(self.users)
        .bind(self.points)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Marks rounds finished with one statement (their scores go in with `NewScores`).
pub(crate) async fn finish_rounds(
    conn: &mut PgConnection,
    round_ids: Vec<Uuid>,
) -> Result<(), DbError> {
    if round_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE rounds SET status = 'finished', deadline = NULL, ended_at = COALESCE(ended_at, now()) \
         WHERE id = ANY($1)",
    )
    .bind(round_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Domain counts are small (rounds ≤ 20, seconds ≤ 600, votes ≤ players); saturate rather
/// than fail on the impossible overflow.
fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// The room code a round belongs to, for the REST routes that name only the round.
pub(crate) async fn room_code_of(
    pool: &sqlx::PgPool,
    round_id: Uuid,
) -> Result<Option<String>, DbError> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT r.code FROM rounds x JOIN rooms r ON r.id = x.room_id WHERE x.id = $1",
    )
    .bind(round_id)
    .fetch_optional(pool)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerResultRow {
    pub id: Uuid,
    pub content: String,
    pub author_id: Uuid,
    pub display_name: String,
    pub votes: i64,
    pub audience_votes: i64,
}

/// A finished round's answers with authors and votes, most votes first (for rounds that are
/// no longer the room's current one, which live only here).
pub(crate) async fn results(
    pool: &sqlx::PgPool,
    round_id: Uuid,
) -> Result<Vec<AnswerResultRow>, DbError> {
    Ok(sqlx::query_as::<_, AnswerResultRow>(
        "SELECT a.id, a.content, a.user_id AS author_id, \
                COALESCE(p.display_name, u.display_name) AS display_name, \
                (SELECT count(*) FROM votes v WHERE v.answer_id = a.id AND NOT v.audience) AS votes, \
                (SELECT count(*) FROM votes v WHERE v.answer_id = a.id AND v.audience) AS audience_votes \
         FROM answers a \
         JOIN rounds x ON x.id = a.round_id \
         JOIN users u ON u.id = a.user_id \
         LEFT JOIN room_participants p ON p.room_id = x.room_id AND p.user_id = a.user_id \
         WHERE a.round_id = $1 AND x.status = 'finished' AND NOT a.hidden \
         ORDER BY votes DESC, a.id",
    )
    .bind(round_id)
    .fetch_all(pool)
    .await?)
}

/// Codes of open rooms whose running phase is past its deadline by more than `grace`: the
/// rooms whose deadline the live store may have lost (a Redis flush or restart).
pub(crate) async fn overdue_rooms(
    pool: &sqlx::PgPool,
    grace: std::time::Duration,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT r.code FROM rounds x JOIN rooms r ON r.id = x.room_id \
         WHERE x.status <> 'finished' AND r.closed_at IS NULL \
           AND x.deadline < now() - make_interval(secs => $1::double precision / 1000) \
         ORDER BY x.deadline LIMIT $2",
    )
    .bind(grace_ms)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Marks an answer hidden by the host and withdraws the votes it had.
pub(crate) async fn hide_answer(conn: &mut PgConnection, answer_id: Uuid) -> Result<(), DbError> {
    sqlx::query("UPDATE answers SET hidden = TRUE WHERE id = $1")
        .bind(answer_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM votes WHERE answer_id = $1")
        .bind(answer_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
