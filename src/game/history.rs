//! Finished games read back: a user's list of games, one game's record for its participants,
//! and the host's export of it (JSON, or CSV for a spreadsheet). Who may read what is decided
//! in `domain::game::history`; this file loads, checks and shapes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::{borrow::Cow, collections::HashMap, fmt::Write as _};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{GameService, view::LeaderboardView};
use crate::{
    db::history::{self as db, GameRecord, GameSummaryRow},
    domain::{
        DomainError, Settings, UserId,
        game::history::{FinalScore, GameParties, final_ranking},
        paging::{Page, PageRefusal},
    },
    error::Error,
};

/// A game in the caller's list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GameSummary {
    pub(crate) id: Uuid,
    pub(crate) room_code: String,
    pub(crate) game_number: u32,
    pub(crate) host_id: Uuid,
    /// `finished`, `playing`, or `abandoned` (the room closed before the game ended).
    pub(crate) status: String,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) ended_at: Option<DateTime<Utc>>,
    /// Rounds played to their end.
    pub(crate) rounds: u32,
    /// The caller's points in this game.
    pub(crate) my_score: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GamePage {
    pub(crate) games: Vec<GameSummary>,
    pub(crate) page: u32,
    pub(crate) per_page: u32,
    pub(crate) total: u64,
}

/// One answer of a finished round, with its author and who voted for it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AnswerRecord {
    pub(crate) id: Uuid,
    pub(crate) content: String,
    pub(crate) author_id: Uuid,
    pub(crate) display_name: String,
    pub(crate) votes: u32,
    pub(crate) voters: Vec<Uuid>,
    /// The audience's votes, apart (its voters are not listed).
    pub(crate) audience_votes: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RoundRecord {
    pub(crate) id: Uuid,
    pub(crate) round_number: u32,
    pub(crate) question: String,
    /// Most votes first, then by id.
    pub(crate) answers: Vec<AnswerRecord>,
}

/// A game's whole record: every finished round and the final scores.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GameRecordView {
    pub(crate) id: Uuid,
    pub(crate) room_code: String,
    pub(crate) game_number: u32,
    pub(crate) host_id: Uuid,
    pub(crate) status: String,
    pub(crate) settings: Settings,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) ended_at: Option<DateTime<Utc>>,
    pub(crate) rounds: Vec<RoundRecord>,
    pub(crate) final_scores: Vec<LeaderboardView>,
}

fn game_not_found() -> Error {
    Error::not_found("game_not_found", "no game has this id")
}

fn to_u32(v: impl TryInto<u32>) -> u32 {
    v.try_into().unwrap_or(0)
}

impl From<GameSummaryRow> for GameSummary {
    fn from(r: GameSummaryRow) -> Self {
        GameSummary {
            id: r.id,
            room_code: r.room_code,
            game_number: to_u32(r.game_number),
            host_id: r.host_id,
            status: r.status,
            started_at: r.started_at,
            ended_at: r.ended_at,
            rounds: to_u32(r.rounds),
            my_score: to_u32(r.my_score),
        }
    }
}

/// The history's wording of a paging refusal (as it has always read: a value that is no number
/// is the field's own sentence, a number out of range the rule's `field: …`).
fn page_refused(refusal: PageRefusal) -> Error {
    let field = refusal.field();
    match refusal {
        PageRefusal::PageNotANumber | PageRefusal::PerPageNotANumber => {
            Error::validation(field, format!("{field} must be a whole number"))
        }
        PageRefusal::PageBelowOne => DomainError::validation(field, "must be at least 1").into(),
        // The history has no deepest offset; a page past its end is empty.
        PageRefusal::PerPageOutOfRange | PageRefusal::TooDeep => DomainError::validation(
            field,
            format!("must be between 1 and {}", Page::MAX_PER_PAGE),
        )
        .into(),
    }
}

impl GameService {
    /// The games `user` played or hosted, newest first, by the `page` and `per_page` of the
    /// query (its text: a bad value is a 422 naming it).
    pub(crate) async fn my_games(
        &self,
        user: UserId,
        page: Option<&str>,
        per_page: Option<&str>,
    ) -> Result<GamePage, Error> {
        let page = Page::parse(page, per_page, None).map_err(page_refused)?;
        let (rows, total) =
            db::games_of(&self.db, user, i64::from(page.per_page), page.offset()).await?;
        Ok(GamePage {
            games: rows.into_iter().map(GameSummary::from).collect(),
            page: page.page,
            per_page: page.per_page,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// A game's record, for its participants.
    pub(crate) async fn game_record(
        &self,
        user: UserId,
        game_id: Uuid,
    ) -> Result<GameRecordView, Error> {
        self.load_record(game_id, |parties| parties.may_read(user))
            .await
    }

    /// A game's record for its export, for its host.
    pub(crate) async fn game_export(
        &self,
        user: UserId,
        game_id: Uuid,
    ) -> Result<GameRecordView, Error> {
        self.load_record(game_id, |parties| parties.may_export(user))
            .await
    }

    async fn load_record(
        &self,
        game_id: Uuid,
        allowed: impl Fn(&GameParties<'_>) -> Result<(), crate::domain::DomainError>,
    ) -> Result<GameRecordView, Error> {
        let (game, players) = db::game(&self.db, game_id)
            .await?
            .ok_or_else(game_not_found)?;
        allowed(&GameParties {
            host_id: game.host_id,
            players: &players,
        })?;
        Ok(shape(db::record(&self.db, game, players).await?))
    }
}

/// A game's record as its host's export has it, for its `game_ended` webhook (`None`: no such
/// game).
pub(crate) async fn results(
    pool: &sqlx::PgPool,
    game_id: Uuid,
) -> Result<Option<GameRecordView>, Error> {
    let Some((game, players)) = db::game(pool, game_id).await? else {
        return Ok(None);
    };
    Ok(Some(shape(db::record(pool, game, players).await?)))
}

/// The record as clients read it: names from the room, votes counted per answer.
fn shape(record: GameRecord) -> GameRecordView {
    let names: HashMap<Uuid, &str> = record
        .people
        .iter()
        .map(|p| (p.user_id, p.display_name.as_str()))
        .collect();
    let name = |u: &Uuid| names.get(u).copied().unwrap_or_default().to_string();
    let mut voters: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut audience: HashMap<Uuid, u32> = HashMap::new();
    for v in &record.votes {
        if v.audience {
            *audience.entry(v.answer_id).or_default() += 1;
        } else {
            voters.entry(v.answer_id).or_default().push(v.voter_id);
        }
    }
    let rounds = record
        .rounds
        .iter()
        .map(|r| {
            let mut answers: Vec<AnswerRecord> = record
                .answers
                .iter()
                .filter(|a| a.round_id == r.id)
                .map(|a| {
                    let voters = voters.remove(&a.id).unwrap_or_default();
                    AnswerRecord {
                        id: a.id,
                        content: a.content.clone(),
                        author_id: a.author_id,
                        display_name: name(&a.author_id),
                        votes: to_u32(voters.len()),
                        voters,
                        audience_votes: audience.get(&a.id).copied().unwrap_or(0),
                    }
                })
                .collect();
            answers.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.id.cmp(&b.id)));
            RoundRecord {
                id: r.id,
                round_number: to_u32(r.round_number),
                question: r.question.clone(),
                answers,
            }
        })
        .collect();
    let points: HashMap<Uuid, i64> = record.points.iter().copied().collect();
    let kicked: HashMap<Uuid, bool> = record
        .people
        .iter()
        .map(|p| (p.user_id, p.kicked))
        .collect();
    let final_scores = final_ranking(
        record
            .players
            .iter()
            .map(|u| FinalScore {
                user_id: *u,
                display_name: name(u),
                points: to_u32(points.get(u).copied().unwrap_or(0)),
                kicked: kicked.get(u).copied().unwrap_or(false),
            })
            .collect(),
    )
    .into_iter()
    .map(LeaderboardView::from)
    .collect();
    let g = record.game;
    GameRecordView {
        id: g.id,
        room_code: g.room_code,
        game_number: to_u32(g.game_number),
        host_id: g.host_id,
        status: g.status,
        settings: g.settings.0,
        started_at: g.started_at,
        ended_at: g.ended_at,
        rounds,
        final_scores,
    }
}

/// One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled.
/// A cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return
/// first) gets a leading `'`, as OWASP advises against CSV injection: answers are players'
/// free text, and the host opens the file.
pub(crate) fn csv_cell(value: &str) -> Cow<'_, str> {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = value.contains([',', '"', '\n', '\r']);
    if !formula && !quote {
        return Cow::Borrowed(value);
    }
    let value = if formula {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    };
    if quote {
        Cow::Owned(format!("\"{}\"", value.replace('"', "\"\"")))
    } else {
        value
    }
}

/// The export as CSV: one row per answer, with the round, author, votes and voters, and the
/// author's final score and rank (so a spreadsheet can sort by either).
pub(crate) fn to_csv(game: &GameRecordView) -> String {
    let names: HashMap<Uuid, &LeaderboardView> =
        game.final_scores.iter().map(|e| (e.user_id, e)).collect();
    let mut out = String::from(
        "game_number,round_number,question,answer_id,answer,author_id,author,votes,voters,audience_votes,author_final_score,author_rank\r\n",
    );
    for round in &game.rounds {
        for a in &round.answers {
            let voters: Vec<String> = a
                .voters
                .iter()
                .map(|v| {
                    names
                        .get(v)
                        .map_or_else(|| v.to_string(), |e| e.display_name.clone())
                })
                .collect();
            let (score, rank) = names
                .get(&a.author_id)
                .map_or((String::new(), String::new()), |e| {
                    (e.score.to_string(), e.rank.to_string())
                });
            let cells = [
                game.game_number.to_string(),
                round.round_number.to_string(),
                round.question.clone(),
                a.id.to_string(),
                a.content.clone(),
                a.author_id.to_string(),
                a.display_name.clone(),
                a.votes.to_string(),
                voters.join("; "),
                a.audience_votes.to_string(),
                score,
                rank,
            ];
            let line: Vec<Cow<'_, str>> = cells.iter().map(|c| csv_cell(c)).collect();
            let _ = write!(out, "{}\r\n", line.join(","));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_only_when_needed_and_quotes_are_doubled() {
        assert_eq!(csv_cell("a duck"), "a duck");
        assert_eq!(csv_cell("a, b"), "\"a, b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("é, ü"), "\"é, ü\"");
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_as_a_formula_is_defused() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-2, or so"), "\"'-2, or so\"");
        assert_eq!(csv_cell("1-2"), "1-2");
    }

    #[test]
    fn the_csv_has_a_header_and_one_row_per_answer() {
        let author = Uuid::from_u128(1);
        let voter = Uuid::from_u128(2);
        let game = GameRecordView {
            id: Uuid::from_u128(9),
            room_code: "ABCDEF".into(),
            game_number: 2,
            host_id: author,
            status: "finished".into(),
            settings: Settings::default(),
            started_at: DateTime::<Utc>::UNIX_EPOCH,
            ended_at: None,
            rounds: vec![RoundRecord {
                id: Uuid::from_u128(10),
                round_number: 1,
                question: "Why, though?".into(),
                answers: vec![AnswerRecord {
                    id: Uuid::from_u128(11),
                    content: "because \"reasons\"".into(),
                    author_id: author,
                    display_name: "Ann".into(),
                    votes: 1,
                    voters: vec![voter],
                    audience_votes: 3,
                }],
            }],
            final_scores: vec![
                LeaderboardView {
                    user_id: author,
                    display_name: "Ann".into(),
                    score: 1,
                    rank: 1,
                },
                LeaderboardView {
                    user_id: voter,
                    display_name: "Bob".into(),
                    score: 0,
                    rank: 2,
                },
            ],
        };
        let csv = to_csv(&game);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with("game_number,round_number,question,"));
        assert_eq!(
            lines[1],
            format!(
                "2,1,\"Why, though?\",{},\"because \"\"reasons\"\"\",{author},Ann,1,Bob,3,1,1",
                Uuid::from_u128(11)
            )
        );
        assert_eq!(lines[2], "");
    }
}
