//! Property tests: random command sequences from members, strangers and stale clients must
//! never break the game's invariants, whatever order they arrive in.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use uuid::Uuid;

use super::{Command, Event, Room, RoundPhase, Settings, UserId};

/// Users 1..=8; user 8 never joins on purpose but may be picked like anyone else.
const USERS: u8 = 8;

#[derive(Debug, Clone)]
enum RoundPick {
    Current,
    Stale(u8),
}

#[derive(Debug, Clone)]
enum AnswerPick {
    Existing(usize),
    Unknown,
}

/// A user: usually someone in the room now, sometimes anyone (stranger, leaver, kicked).
#[derive(Debug, Clone)]
enum Who {
    Member(usize),
    Anyone(u8),
}

/// `None` as the actor means "whoever is host now", so host-only commands often succeed.
#[derive(Debug, Clone)]
enum Op {
    Join(u8),
    Leave(Who),
    Kick(Option<u8>, Who),
    HandOverHost(Option<u8>, Who),
    StartGame(Option<u8>),
    Answer(Who, RoundPick, bool),
    StartVoting(Option<u8>, RoundPick),
    Vote(Who, RoundPick, AnswerPick),
    EndRound(Option<u8>, RoundPick),
    NextRound(Option<u8>, Option<usize>),
    Tick(u16),
}

fn user() -> impl Strategy<Value = u8> {
    1..=USERS
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![5 => (0usize..8).prop_map(Who::Member), 1 => user().prop_map(Who::Anyone)]
}

fn actor() -> impl Strategy<Value = Option<u8>> {
    prop_oneof![3 => Just(None), 1 => user().prop_map(Some)]
}

fn round_pick() -> impl Strategy<Value = RoundPick> {
    prop_oneof![6 => Just(RoundPick::Current), 1 => (0u8..4).prop_map(RoundPick::Stale)]
}

fn answer_pick() -> impl Strategy<Value = AnswerPick> {
    prop_oneof![6 => (0usize..8).prop_map(AnswerPick::Existing), 1 => Just(AnswerPick::Unknown)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => user().prop_map(Op::Join),
        1 => who().prop_map(Op::Leave),
        1 => (actor(), who()).prop_map(|(a, t)| Op::Kick(a, t)),
        1 => (actor(), who()).prop_map(|(a, t)| Op::HandOverHost(a, t)),
        2 => actor().prop_map(Op::StartGame),
        10 => (who(), round_pick(), prop::bool::weighted(0.9)).prop_map(|(u, r, ok)| Op::Answer(u, r, ok)),
        1 => (actor(), round_pick()).prop_map(|(a, r)| Op::StartVoting(a, r)),
        10 => (who(), round_pick(), answer_pick()).prop_map(|(u, r, a)| Op::Vote(u, r, a)),
        1 => (actor(), round_pick()).prop_map(|(a, r)| Op::EndRound(a, r)),
        2 => (actor(), prop::option::weighted(0.2, 0usize..4)).prop_map(|(a, q)| Op::NextRound(a, q)),
        2 => (0u16..120).prop_map(Op::Tick),
    ]
}

fn settings() -> impl Strategy<Value = Settings> {
    let host_plays = prop::bool::weighted(0.7);
    (1u32..=4, 3u32..=60, 3u32..=60, 2u32..=6, host_plays).prop_map(|(r, a, v, p, h)| Settings {
        max_rounds: r,
        answer_seconds: a,
        vote_seconds: v,
        max_players: p,
        host_plays: h,
        ..Settings::default()
    })
}

/// A host who does not play is never a player in any way: no seat, no score, no place in a
/// round, no answer, no vote.
fn check_outside_host(room: &Room) -> Result<(), TestCaseError> {
    if room.host_plays() {
        return Ok(());
    }
    let host = room.host_id;
    prop_assert!(
        room.participant(host).is_none(),
        "a host who does not play has a seat"
    );
    prop_assert!(
        !room.scores.contains_key(&host),
        "a host who does not play has a score"
    );
    prop_assert!(room.leaderboard().iter().all(|e| e.user_id != host));
    if let Some(round) = &room.round {
        prop_assert!(
            !round.players.contains(&host),
            "a host who does not play was dealt in"
        );
        prop_assert!(round.answer_of(host).is_none() && round.vote_of(host).is_none());
    }
    Ok(())
}

fn uid(n: u8) -> UserId {
    Uuid::from_u128(u128::from(n))
}

/// Turns abstract operations into commands against the room's current state.
struct Driver {
    now: DateTime<Utc>,
    fresh: u128,
}

impl Driver {
    fn fresh_id(&mut self) -> Uuid {
        self.fresh += 1;
        Uuid::from_u128(self.fresh)
    }

    fn command(&mut self, room: &Room, op: Op) -> Command {
        let host = room.host_id;
        let members: Vec<UserId> = room
            .participants
            .iter()
            .filter(|p| p.active)
            .map(|p| p.user_id)
            .collect();
        let pick = |w: &Who| match w {
            Who::Member(i) if !members.is_empty() => members[i % members.len()],
            Who::Member(i) => uid(1 + (*i % usize::from(USERS)) as u8),
            Who::Anyone(u) => uid(*u),
        };
        let by = |a: Option<u8>| a.map_or(host, uid);
        let round_id = |pick: &RoundPick| match (pick, &room.round) {
            (RoundPick::Current, Some(r)) => r.id,
            (RoundPick::Current, None) => Uuid::from_u128(500),
            (RoundPick::Stale(n), _) => Uuid::from_u128(500 + u128::from(*n)),
        };
        // Most operations take a moment; ticks jump ahead to reach deadlines.
        self.now += TimeDelta::seconds(1);
        let now = self.now;
        match op {
            Op::Join(u) => Command::Join {
                user_id: uid(u),
                display_name: format!("p{u}"),
                now,
            },
            Op::Leave(u) => Command::Leave {
                user_id: pick(&u),
                now,
            },
            Op::Kick(a, t) => Command::Kick {
                by: by(a),
                target: pick(&t),
                now,
            },
            Op::HandOverHost(a, t) => Command::HandOverHost {
                from: by(a),
                to: pick(&t),
                now,
            },
            Op::StartGame(a) => Command::StartGame {
                by: by(a),
                round_id: self.fresh_id(),
                question: format!("question {}", self.fresh),
                now,
            },
            Op::Answer(u, r, ok) => Command::SubmitAnswer {
                by: pick(&u),
                round_id: round_id(&r),
                answer_id: self.fresh_id(),
                content: if ok {
                    format!("answer {}", self.fresh)
                } else {
                    "   ".into()
                },
                now,
            },
            Op::StartVoting(a, r) => Command::StartVoting {
                by: by(a),
                round_id: round_id(&r),
                now,
            },
            Op::Vote(u, r, choice) => {
                let answers = room
                    .round
                    .as_ref()
                    .map(|r| r.answers.as_slice())
                    .unwrap_or(&[]);
                let answer_id = match choice {
                    AnswerPick::Existing(i) if !answers.is_empty() => answers[i % answers.len()].id,
                    _ => Uuid::from_u128(999),
                };
                Command::Vote {
                    by: pick(&u),
                    round_id: round_id(&r),
                    answer_id,
                    now,
                }
            }
            Op::EndRound(a, r) => Command::EndRound {
                by: by(a),
                round_id: round_id(&r),
                now,
            },
            Op::NextRound(a, repeat) => {
                let question = match repeat {
                    Some(i) if !room.used_questions.is_empty() => {
                        room.used_questions[i % room.used_questions.len()].clone()
                    }
                    _ => format!("question {}", self.fresh + 1),
                };
                Command::NextRound {
                    by: by(a),
                    round_id: self.fresh_id(),
                    question,
                    now,
                }
            }
            Op::Tick(secs) => {
                self.now += TimeDelta::seconds(i64::from(secs));
                Command::Tick { now: self.now }
            }
        }
    }
}

fn check_round_integrity(room: &Room) -> Result<(), TestCaseError> {
    let Some(round) = &room.round else {
        return Ok(());
    };
    let authors: HashSet<_> = round.answers.iter().map(|a| a.author_id).collect();
    prop_assert_eq!(
        authors.len(),
        round.answers.len(),
        "two answers from one player"
    );
    let voters: HashSet<_> = round.votes.iter().map(|v| v.voter_id).collect();
    prop_assert_eq!(voters.len(), round.votes.len(), "two votes from one player");
    for v in &round.votes {
        let answer = round.answer(v.answer_id);
        prop_assert!(answer.is_some(), "a vote for a missing answer");
        prop_assert!(
            answer.is_some_and(|a| a.author_id != v.voter_id),
            "a self-vote"
        );
    }
    if round.phase == RoundPhase::Answering {
        prop_assert!(round.votes.is_empty(), "votes while answering");
    }
    prop_assert_eq!(
        round.deadline.is_none(),
        round.phase == RoundPhase::Finished
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_play_never_breaks_the_rules(
        settings in settings(),
        joiners in 1u8..=5,
        ops in prop::collection::vec(op(), 1..100),
    ) {
        let start = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20_000);
        let mut room = Room::new(Uuid::from_u128(7777), "ABCDEF".into(), uid(1), "p1".into(), settings, start);
        let mut driver = Driver { now: start, fresh: 10_000 };
        let mut expected: BTreeMap<UserId, u32> = BTreeMap::new();
        let mut last: Option<(Uuid, u32, RoundPhase)> = None;

        // Start from a populated lobby so most sequences get into a game before anyone leaves.
        let prefix = (2..=joiners).map(Op::Join);
        for op in prefix.chain(ops) {
            let cmd = driver.command(&room, op);
            let before = serde_json::to_string(&room).unwrap();
            let deadline_before = room.round.as_ref().and_then(|r| r.deadline);
            match room.apply(cmd.clone()) {
                Err(_) => {
                    prop_assert_eq!(&serde_json::to_string(&room).unwrap(), &before, "a refused {:?} changed the room", cmd);
                }
                Ok(events) => {
                    if let Command::SubmitAnswer { now, .. } | Command::Vote { now, .. } = &cmd {
                        prop_assert!(deadline_before.is_some_and(|d| *now < d), "{:?} counted at or after its phase's deadline", cmd);
                    }
                    for event in &events {
                        if let Event::RoundEnded { round_id, points, .. } = event {
                            let round = room.round.as_ref().unwrap();
                            prop_assert_eq!(round.id, *round_id);
                            for answer in &round.answers {
                                *expected.entry(answer.author_id).or_insert(0) += round.vote_count(answer.id);
                            }
                            let earned: u32 = points.iter().map(|(_, p)| p).sum();
                            prop_assert_eq!(earned as usize, round.votes.len());
                        }
                    }
                }
            }

            let back: Room = serde_json::from_str(&serde_json::to_string(&room).unwrap()).unwrap();
            prop_assert_eq!(&back, &room);

            check_round_integrity(&room)?;

            for p in &room.participants {
                let score = room.scores.get(&p.user_id).copied().unwrap_or(0);
                prop_assert_eq!(score, expected.get(&p.user_id).copied().unwrap_or(0), "score of {}", p.user_id);
            }
            prop_assert!(room.active_count() <= room.settings.max_players as usize);
            if !room.closed {
                prop_assert!(room.is_inside(room.host_id), "the host is not in the room");
                prop_assert!(!(room.is_member(room.host_id) && room.runs_from_outside(room.host_id)), "the host is a player and outside");
            }
            check_outside_host(&room)?;

            if let Some(r) = &room.round {
                if let Some((id, number, phase)) = last {
                    if id == r.id {
                        prop_assert!(r.phase >= phase, "phase went back from {:?} to {:?}", phase, r.phase);
                    } else {
                        prop_assert!(r.number > number, "round number went from {} to {}", number, r.number);
                        prop_assert!(r.number <= room.settings.max_rounds);
                    }
                }
                last = Some((r.id, r.number, r.phase));
            }
        }
    }
}
