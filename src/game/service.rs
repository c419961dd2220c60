//! The game service's public face: every room and game action, REST or Socket.IO, goes through
//! here. Each method reads its input into a domain command and runs it through the room
//! pipeline (`pipeline.rs`: decide → swap → commit → publish → acknowledge); the answer is
//! shaped from the action's own events and the room after it. Presence and host hand-over are
//! in `presence.rs`, the questions in `questions.rs`.

use chrono::{DateTime, Utc};
use rand::Rng;
use sqlx::PgPool;
use std::{sync::Arc, time::Duration};
use uuid::Uuid;

use super::{
    Looker, Publisher,
    pipeline::{Decide, Outcome, Pipeline, room_not_found},
    questions::Questions,
    view::{
        self, AnswerView, AudienceVoteCount, GameStart, LeaderboardView, NextRound, RoomPreview,
        RoomView, RoundEnd, RoundView, VoteCount,
    },
};
use crate::{
    db::{self, DbError},
    domain::{
        Command, Event, Room, RoomStatus, Settings, UserId, code,
        game::{AnswersAccess, hosting, lookup, room::patched_settings},
    },
    error::Error,
    store::LiveStore,
};

/// Codes drawn for a new room before giving up: a clash is rare (see `code::LEN`), eight in a
/// row means something else is wrong.
const CODE_DRAWS: usize = 8;

pub struct GameService {
    pub(super) db: PgPool,
    pub(super) store: Arc<dyn LiveStore>,
    pub(super) rooms: Arc<Pipeline>,
    questions: Questions,
    /// How long a disconnected host keeps the room.
    pub(super) host_grace: Duration,
    /// What lookups by code spend (see `lookups.rs`).
    pub(super) limits: std::sync::OnceLock<Arc<crate::limits::Limits>>,
}

/// Reads a code the way the contract matches them; anything that cannot be a code is simply
/// "not found".
fn normalize_code(raw: &str) -> Result<String, Error> {
    code::normalize(raw).ok_or_else(room_not_found)
}

fn round_not_found() -> Error {
    Error::not_found("round_not_found", "no round has this id")
}

impl GameService {
    pub fn new(
        db: PgPool,
        store: Arc<dyn LiveStore>,
        questions: Arc<dyn crate::questions::QuestionProvider>,
        instant_questions: Arc<dyn crate::questions::QuestionProvider>,
        host_grace: Duration,
        single_node: bool,
    ) -> Arc<Self> {
        Arc::new(GameService {
            rooms: Pipeline::new(
                db.clone(),
                Arc::clone(&store),
                single_node.then_some(host_grace),
            ),
            questions: Questions::new(Arc::clone(&store), questions, instant_questions),
            db,
            store,
            host_grace,
            limits: std::sync::OnceLock::new(),
        })
    }

    pub fn set_publisher(&self, publisher: Arc<dyn Publisher>) {
        self.rooms.set_publisher(publisher);
    }

    /// Runs one action on the room `code` (already normalised); see `Pipeline::execute`.
    pub(super) async fn execute(
        &self,
        code: &str,
        decide: impl Fn(&Room, DateTime<Utc>) -> Result<Command, Error> + Send + Sync + 'static,
    ) -> Result<Outcome, Error> {
        let decide: Decide = Box::new(decide);
        self.rooms.execute(code, decide).await
    }

    /// Rooms: create, join, read, leave, kick.
    pub async fn create_room(&self, host: UserId, settings: Settings) -> Result<RoomView, Error> {
        let settings = settings.normalized();
        settings.validate()?;
        let open = db::rooms::open_rooms_hosted(&self.db, host).await?;
        hosting::may_open_room(u32::try_from(open).unwrap_or(u32::MAX))?;
        let name = self.display_name(host).await?;
        for _ in 0..CODE_DRAWS {
            let code = {
                let mut rng = rand::rng();
                code::generate(|n| rng.random_range(0..n))
            };
            let room = Room::new(
                Uuid::new_v4(),
                code,
                host,
                name.clone(),
                settings.clone(),
                Utc::now(),
            );
            match db::rooms::create(&self.db, &room).await {
                Err(DbError::Unique(_)) => continue,
                other => other?,
            }
            if self.store.save_room(&room, 0).await?.is_none() {
                continue;
            }
            self.questions.prepare(&room);
            return self.view(&room).await;
        }
        Err(Error::Internal("could not find a free room code".into()))
    }

    pub async fn join(&self, user: UserId, code: &str) -> Result<RoomView, Error> {
        let out = self.join_room(user, code).await?;
        self.view(&out.room).await
    }

    /// Joins (or re-joins, which is not an error) and returns the room and what happened.
    pub async fn join_room(&self, user: UserId, code: &str) -> Result<Outcome, Error> {
        let code = normalize_code(code)?;
        let name = self.display_name(user).await?;
        self.execute(&code, move |_, now| {
            Ok(Command::Join {
                user_id: user,
                display_name: name.clone(),
                now,
            })
        })
        .await
    }

    pub async fn get(&self, user: UserId, code: &str) -> Result<RoomView, Error> {
        let code = normalize_code(code)?;
        let stored = self.look_up(user, &code).await?;
        self.view(&stored.room).await
    }

    /// The room `code` as `who` would find it before joining (see `RoomPreview`).
    pub async fn preview(&self, who: Looker, code: &str) -> Result<RoomPreview, Error> {
        let code = normalize_code(code)?;
        let stored = self.look_up_as(who, &code).await?;
        let viewer = match who {
            Looker::User(user) => Some(user),
            Looker::Visitor(_) => None,
        };
        Ok(RoomPreview::build(
            &stored.room.code,
            lookup::preview(&stored.room, viewer),
        ))
    }

    /// Leaves the room; returns its code as stored.
    pub async fn leave(&self, user: UserId, code: &str) -> Result<String, Error> {
        let code = normalize_code(code)?;
        self.execute_as(user, &code, move |_, now| {
            Ok(Command::Leave { user_id: user, now })
        })
        .await?;
        Ok(code)
    }

    pub async fn kick(&self, by: UserId, code: &str, target: UserId) -> Result<(), Error> {
        let code = normalize_code(code)?;
        self.execute_as(by, &code, move |_, now| {
            Ok(Command::Kick { by, target, now })
        })
        .await?;
        Ok(())
    }

    /// The game: rounds, answers, votes, results.
    pub async fn start_game(&self, by: UserId, code: &str) -> Result<RoundView, Error> {
        let code = normalize_code(code)?;
        let out = self.round_command(&code, by, true).await?;
        current_round(&out.room)
    }

    /// The next round, or the final leaderboard when the last round is over.
    pub async fn next_round(&self, by: UserId, code: &str) -> Result<NextRound, Error> {
        let code = normalize_code(code)?;
        let out = self.round_command(&code, by, false).await?;
        Ok(if out.room.status == RoomStatus::Finished {
            NextRound::Finished {
                final_leaderboard: view::leaderboard(&out.room),
            }
        } else {
            NextRound::Started {
                round: current_round(&out.room)?,
            }
        })
    }

    /// After `game_ended`, the room's next game with the same players: `settings` (a partial
    /// object, possibly absent) is laid over the room's, and its first round starts at once.
    pub async fn play_again(
        &self,
        by: UserId,
        code: &str,
        settings: Option<serde_json::Value>,
    ) -> Result<GameStart, Error> {
        let code = normalize_code(code)?;
        let stored = self.rooms.load(&code).await?;
        // The first question already follows a changed theme.
        let mut preview = stored.room.clone();
        if let Some(patch) = &settings {
            preview.settings = patched_settings(&preview.settings, patch)?;
        }
        let question = self.questions.ready(&preview).await?;
        let round_id = Uuid::new_v4();
        let out = self
            .execute(&code, move |room, now| {
                let settings = settings
                    .as_ref()
                    .map(|patch| patched_settings(&room.settings, patch))
                    .transpose()?;
                Ok(Command::PlayAgain {
                    by,
                    round_id,
                    question: question.clone(),
                    settings,
                    now,
                })
            })
            .await?;
        if out.room.has_more_rounds() {
            self.questions.prepare(&out.room);
        }
        Ok(GameStart {
            game_id: round_id,
            game_number: out.room.game_number,
            settings: out.room.settings.clone(),
            round: current_round(&out.room)?,
        })
    }

    /// Starts the first (`first`) or the next round with a question that is ready now, and
    /// has the question after it prepared if the game goes on.
    async fn round_command(&self, code: &str, by: UserId, first: bool) -> Result<Outcome, Error> {
        let stored = self.look_up(by, code).await?;
        lookup::may_take_question(&stored.room, by)?;
        let question = self.questions.ready(&stored.room).await?;
        let round_id = Uuid::new_v4();
        let out = self
            .execute(code, move |_, now| {
                let question = question.clone();
                Ok(if first {
                    Command::StartGame {
                        by,
                        round_id,
                        question,
                        now,
                    }
                } else {
                    Command::NextRound {
                        by,
                        round_id,
                        question,
                        now,
                    }
                })
            })
            .await?;
        let started = out
            .events
            .iter()
            .any(|e| matches!(e, Event::RoundStarted { .. }));
        if started && out.room.has_more_rounds() {
            self.questions.prepare(&out.room);
        }
        Ok(out)
    }

    /// Returns the new answer's id.
    pub async fn submit_answer(
        &self,
        by: UserId,
        code: Option<&str>,
        round_id: Uuid,
        content: &str,
    ) -> Result<Uuid, Error> {
        // Judged by when it arrived, not when its batch runs: a phase ends at its deadline.
        let arrived = Utc::now();
        let code = self.code_for(code, round_id).await?;
        let answer_id = Uuid::new_v4();
        let content = content.to_string();
        let out = self
            .execute_as(by, &code, move |_, _| {
                Ok(Command::SubmitAnswer {
                    by,
                    round_id,
                    answer_id,
                    content: content.clone(),
                    now: arrived,
                })
            })
            .await?;
        // Read from this action's own events: the room after its batch may already be on a
        // later phase or round.
        out.events
            .iter()
            .find_map(|e| match e {
                Event::AnswerSubmitted {
                    answer_id,
                    author_id,
                    ..
                } if *author_id == by => Some(*answer_id),
                _ => None,
            })
            .ok_or_else(|| Error::Internal("answer missing after submit".into()))
    }

    pub async fn start_voting(
        &self,
        by: UserId,
        code: Option<&str>,
        round_id: Uuid,
    ) -> Result<RoundView, Error> {
        let code = self.code_for(code, round_id).await?;
        let out = self
            .execute_as(by, &code, move |_, now| {
                Ok(Command::StartVoting { by, round_id, now })
            })
            .await?;
        current_round(&out.room)
    }

    /// Returns the answer voted for and its count right after this vote (from this vote's own
    /// event, as later votes of the same batch may already have raised it).
    pub async fn vote(
        &self,
        by: UserId,
        code: Option<&str>,
        round_id: Uuid,
        answer_id: Uuid,
    ) -> Result<VoteCount, Error> {
        let arrived = Utc::now();
        let code = self.code_for(code, round_id).await?;
        let out = self
            .execute_as(by, &code, move |_, _| {
                Ok(Command::Vote {
                    by,
                    round_id,
                    answer_id,
                    now: arrived,
                })
            })
            .await?;
        out.events
            .iter()
            .find_map(|e| match e {
                Event::VoteCast {
                    voter_id,
                    answer_id,
                    vote_count,
                } if *voter_id == by => Some(VoteCount {
                    answer_id: *answer_id,
                    vote_count: (!out.room.settings.hide_votes).then_some(*vote_count),
                }),
                _ => None,
            })
            .ok_or_else(|| Error::Internal("vote missing after voting".into()))
    }

    pub async fn end_round(
        &self,
        by: UserId,
        code: Option<&str>,
        round_id: Uuid,
    ) -> Result<RoundEnd, Error> {
        let code = self.code_for(code, round_id).await?;
        let out = self
            .execute_as(by, &code, move |_, now| {
                Ok(Command::EndRound { by, round_id, now })
            })
            .await?;
        Ok(RoundEnd {
            round: current_round(&out.room)?,
            leaderboard: view::leaderboard(&out.room),
        })
    }

    /// The host hides an answer of the current round before it is voted on.
    pub async fn hide_answer(
        &self,
        by: UserId,
        code: Option<&str>,
        round_id: Uuid,
        answer_id: Uuid,
    ) -> Result<(), Error> {
        let code = self.code_for(code, round_id).await?;
        self.execute_as(by, &code, move |_, now| {
            Ok(Command::HideAnswer {
                by,
                round_id,
                answer_id,
                now,
            })
        })
        .await?;
        Ok(())
    }

    /// Joins the room's audience (or, for a player, changes nothing).
    pub async fn join_audience(&self, user: UserId, code: &str) -> Result<Outcome, Error> {
        let code = normalize_code(code)?;
        self.execute(&code, move |_, now| {
            Ok(Command::JoinAudience { user_id: user, now })
        })
        .await
    }

    pub async fn leave_audience(&self, user: UserId, code: &str) -> Result<String, Error> {
        let code = normalize_code(code)?;
        self.execute_as(user, &code, move |_, now| {
            Ok(Command::LeaveAudience { user_id: user, now })
        })
        .await?;
        Ok(code)
    }

    /// An audience member's vote; returns the answer's audience votes right after it.
    pub async fn audience_vote(
        &self,
        by: UserId,
        code: Option<&str>,
        round_id: Uuid,
        answer_id: Uuid,
    ) -> Result<AudienceVoteCount, Error> {
        let code = self.code_for(code, round_id).await?;
        let out = self
            .execute_as(by, &code, move |_, now| {
                Ok(Command::AudienceVote {
                    by,
                    round_id,
                    answer_id,
                    now,
                })
            })
            .await?;
        out.events
            .iter()
            .find_map(|e| match e {
                Event::AudienceVoteCast {
                    voter_id,
                    answer_id,
                    audience_votes,
                    ..
                } if *voter_id == by => Some(AudienceVoteCount {
                    answer_id: *answer_id,
                    audience_votes: *audience_votes,
                }),
                _ => None,
            })
            .ok_or_else(|| Error::Internal("vote missing after voting".into()))
    }

    pub async fn leaderboard(
        &self,
        user: UserId,
        code: &str,
    ) -> Result<Vec<LeaderboardView>, Error> {
        let code = normalize_code(code)?;
        Ok(view::leaderboard(&self.look_up(user, &code).await?.room))
    }

    /// A round's answers for a participant: anonymous while voting, with authors after.
    pub async fn answers(&self, user: UserId, round_id: Uuid) -> Result<Vec<AnswerView>, Error> {
        let code = self.code_for(None, round_id).await?;
        let room = self.rooms.load(&code).await?.room;
        match room.answers_access(user, round_id)? {
            AnswersAccess::Current(round) => Ok(view::answers(&room, round, false)),
            AnswersAccess::Earlier => Ok(db::rounds::results(&self.db, round_id)
                .await?
                .into_iter()
                .map(AnswerView::from)
                .collect()),
        }
    }

    /// The room as both transports show it, with who is connected.
    pub async fn view(&self, room: &Room) -> Result<RoomView, Error> {
        let connected = self.store.connected_users(&room.code).await?;
        Ok(RoomView::build(room, &connected))
    }

    /// The room of a round: the code the client named, else the one the round belongs to.
    async fn code_for(&self, code: Option<&str>, round_id: Uuid) -> Result<String, Error> {
        match code {
            Some(c) => normalize_code(c),
            None => db::rounds::room_code_of(&self.db, round_id)
                .await?
                .ok_or_else(round_not_found),
        }
    }

    async fn display_name(&self, user: UserId) -> Result<String, Error> {
        db::users::by_id(&self.db, user)
            .await?
            .map(|u| u.display_name)
            .ok_or(Error::Unauthorized)
    }
}

fn current_round(room: &Room) -> Result<RoundView, Error> {
    room.round
        .as_ref()
        .map(RoundView::from)
        .ok_or_else(|| Error::Internal("room has no round".into()))
}
