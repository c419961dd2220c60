//! The room's rules, one test per transition and refusal.

use super::*;

const HOST: u128 = 1;
const R1: u128 = 100;
const R2: u128 = 200;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// `s` seconds after a fixed start time.
fn t(s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(1_700_000_000 + s)
}

fn name(n: u128) -> String {
    format!("player{n}")
}

/// A lobby with the host (user 1) and users 2..=players.
fn lobby(players: u128) -> Room {
    let mut room = Room::new(
        id(900),
        "ABCDEF".into(),
        id(HOST),
        name(HOST),
        Settings::default(),
        t(0),
    );
    for n in 2..=players {
        room.apply(join(n)).unwrap();
    }
    room
}

/// A game of `players` in round 1 (id `R1`), answering.
fn playing(players: u128) -> Room {
    let mut room = lobby(players);
    room.apply(start(HOST, R1, "q1")).unwrap();
    room
}

/// Round 1 in voting: user n wrote answer 10+n, for every n in `answered`.
fn voting(players: u128, answered: &[u128]) -> Room {
    let mut room = playing(players);
    for &n in answered {
        room.apply(answer(n, R1, 10 + n, "an answer")).unwrap();
    }
    if room.round.as_ref().unwrap().phase == RoundPhase::Answering {
        room.apply(Command::StartVoting {
            by: id(HOST),
            round_id: id(R1),
            now: t(5),
        })
        .unwrap();
    }
    room
}

/// Round 1 finished with nobody voting.
fn finished_round(players: u128) -> Room {
    let mut room = voting(players, &[1, 2]);
    room.apply(end(HOST, R1)).unwrap();
    room
}

fn join(n: u128) -> Command {
    Command::Join {
        user_id: id(n),
        display_name: name(n),
        now: t(1),
    }
}

fn leave(n: u128) -> Command {
    Command::Leave {
        user_id: id(n),
        now: t(2),
    }
}

fn kick(by: u128, target: u128) -> Command {
    Command::Kick {
        by: id(by),
        target: id(target),
        now: t(2),
    }
}

fn start(by: u128, round: u128, question: &str) -> Command {
    Command::StartGame {
        by: id(by),
        round_id: id(round),
        question: question.into(),
        now: t(10),
    }
}

fn answer(by: u128, round: u128, answer: u128, content: &str) -> Command {
    Command::SubmitAnswer {
        by: id(by),
        round_id: id(round),
        answer_id: id(answer),
        content: content.into(),
        now: t(20),
    }
}

fn start_voting(by: u128, round: u128) -> Command {
    Command::StartVoting {
        by: id(by),
        round_id: id(round),
        now: t(30),
    }
}

fn vote(by: u128, round: u128, answer: u128) -> Command {
    Command::Vote {
        by: id(by),
        round_id: id(round),
        answer_id: id(answer),
        now: t(40),
    }
}

fn end(by: u128, round: u128) -> Command {
    Command::EndRound {
        by: id(by),
        round_id: id(round),
        now: t(50),
    }
}

fn next(by: u128, round: u128, question: &str) -> Command {
    Command::NextRound {
        by: id(by),
        round_id: id(round),
        question: question.into(),
        now: t(60),
    }
}

/// Applies `cmd`, expects `err`, and checks the room did not change.
fn refused(room: &mut Room, cmd: Command, err: DomainError) {
    let before = room.clone();
    assert_eq!(room.apply(cmd), Err(err));
    assert_eq!(*room, before);
}

fn validation_field(room: &mut Room, cmd: Command) -> &'static str {
    let before = room.clone();
    let result = room.apply(cmd);
    assert_eq!(*room, before);
    match result {
        Err(DomainError::Validation { field, .. }) => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn round(room: &Room) -> &Round {
    room.round.as_ref().unwrap()
}

fn phase(room: &Room) -> RoundPhase {
    round(room).phase
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            Event::PlayerJoined { .. } => "player_joined",
            Event::PlayerRejoined { .. } => "player_rejoined",
            Event::PlayerLeft { .. } => "player_left",
            Event::HostChanged { .. } => "host_changed",
            Event::RoomClosed => "room_closed",
            Event::RoundStarted { .. } => "round_started",
            Event::AnswerSubmitted { .. } => "answer_submitted",
            Event::VotingStarted { .. } => "voting_started",
            Event::VoteCast { .. } => "vote_cast",
            Event::RoundEnded { .. } => "round_ended",
            Event::GameEnded { .. } => "game_ended",
            Event::GameReset { .. } => "game_reset",
            Event::AnswerHidden { .. } => "answer_hidden",
            Event::AudienceJoined { .. } => "audience_joined",
            Event::AudienceLeft { .. } => "audience_left",
            Event::AudienceVoteCast { .. } => "audience_vote_cast",
        })
        .collect()
}

// --- creation ---

#[test]
fn a_new_room_has_the_host_as_its_only_participant_in_the_lobby() {
    let room = lobby(1);
    assert_eq!(room.status, RoomStatus::Lobby);
    assert_eq!(room.host_id, id(HOST));
    assert_eq!(room.active_count(), 1);
    assert!(room.is_member(id(HOST)));
    assert_eq!(room.participants[0].joined_at, t(0));
    assert_eq!(room.round, None);
    assert_eq!(room.deadline(), None);
    assert!(!room.closed);
}

// --- join ---

#[test]
fn a_new_player_joins_the_lobby() {
    let mut room = lobby(1);
    let events = room.apply(join(2)).unwrap();
    assert_eq!(
        events,
        vec![Event::PlayerJoined {
            user_id: id(2),
            display_name: name(2),
            participant_count: 2
        }]
    );
    assert!(room.is_member(id(2)));
    assert_eq!(room.participants[1].joined_at, t(1));
}

#[test]
fn joining_twice_is_not_an_error_and_changes_nothing() {
    let mut room = lobby(2);
    let before = room.clone();
    assert_eq!(room.apply(join(2)), Ok(vec![]));
    assert_eq!(room.apply(join(HOST)), Ok(vec![]));
    assert_eq!(room, before);
}

#[test]
fn a_kicked_player_cannot_rejoin() {
    let mut room = lobby(2);
    room.apply(kick(HOST, 2)).unwrap();
    refused(&mut room, join(2), DomainError::Kicked);
}

#[test]
fn nobody_can_join_a_closed_room() {
    let mut room = lobby(1);
    room.apply(leave(HOST)).unwrap();
    refused(&mut room, join(2), DomainError::RoomClosed);
    refused(&mut room, join(HOST), DomainError::RoomClosed);
}

#[test]
fn a_new_player_cannot_join_a_game_in_progress() {
    let mut room = playing(2);
    refused(&mut room, join(3), DomainError::GameInProgress);
}

#[test]
fn a_new_player_cannot_join_a_finished_game() {
    let mut room = finished_round(2);
    room.settings.max_rounds = 1;
    room.apply(next(HOST, R2, "q2")).unwrap();
    refused(&mut room, join(3), DomainError::GameFinished);
}

#[test]
fn a_new_player_cannot_join_a_full_room() {
    let mut room = lobby(1);
    room.settings.max_players = 2;
    room.apply(join(2)).unwrap();
    refused(&mut room, join(3), DomainError::RoomFull);
}

#[test]
fn a_display_name_is_trimmed_and_must_be_1_to_32_characters() {
    let mut room = lobby(1);
    for bad in ["", "   ", &"x".repeat(33)] {
        let cmd = Command::Join {
            user_id: id(2),
            display_name: bad.into(),
            now: t(1),
        };
        assert_eq!(validation_field(&mut room, cmd), "display_name");
    }
    let cmd = Command::Join {
        user_id: id(2),
        display_name: format!(" {} ", "é".repeat(32)),
        now: t(1),
    };
    room.apply(cmd).unwrap();
    assert_eq!(
        room.participant(id(2)).unwrap().display_name,
        "é".repeat(32)
    );
}

#[test]
fn a_former_participant_rejoins_with_their_place_and_join_time() {
    let mut room = lobby(3);
    room.apply(leave(2)).unwrap();
    let events = room
        .apply(Command::Join {
            user_id: id(2),
            display_name: "ignored".into(),
            now: t(9),
        })
        .unwrap();
    assert_eq!(
        events,
        vec![
            Event::PlayerRejoined { user_id: id(2) },
            Event::PlayerJoined {
                user_id: id(2),
                display_name: name(2),
                participant_count: 3
            },
        ]
    );
    assert_eq!(room.participants[1].user_id, id(2));
    assert_eq!(room.participants[1].joined_at, t(1));
    assert!(room.is_member(id(2)));
}

#[test]
fn a_former_participant_may_rejoin_during_a_game_without_joining_the_current_round() {
    let mut room = playing(3);
    room.apply(leave(3)).unwrap();
    let events = room.apply(join(3)).unwrap();
    assert_eq!(kinds(&events), vec!["player_rejoined", "player_joined"]);
    assert!(room.is_member(id(3)));
    assert_eq!(round(&room).players, vec![id(1), id(2), id(3)]);
    let mut later = finished_round(3);
    later.apply(leave(3)).unwrap();
    assert!(later.apply(join(3)).is_ok());
}

#[test]
fn a_former_participant_cannot_rejoin_a_full_room() {
    let mut room = lobby(2);
    room.settings.max_players = 2;
    room.apply(leave(2)).unwrap();
    room.apply(join(3)).unwrap();
    refused(&mut room, join(2), DomainError::RoomFull);
}

// --- leave ---

#[test]
fn leaving_when_not_an_active_participant_is_refused() {
    let mut room = lobby(2);
    refused(&mut room, leave(7), DomainError::NotParticipant);
    room.apply(leave(2)).unwrap();
    refused(&mut room, leave(2), DomainError::NotParticipant);
}

#[test]
fn a_leaver_stays_on_the_leaderboard_as_inactive() {
    let mut room = lobby(3);
    let events = room.apply(leave(3)).unwrap();
    assert_eq!(
        events,
        vec![Event::PlayerLeft {
            user_id: id(3),
            participant_count: 2,
            host_id: id(HOST),
            kicked: false
        }]
    );
    let p = room.participant(id(3)).unwrap();
    assert!(!p.active && !p.kicked);
    assert!(room.leaderboard().iter().any(|e| e.user_id == id(3)));
}

#[test]
fn a_leaving_host_hands_the_room_to_the_longest_standing_participant() {
    let mut room = lobby(4);
    room.apply(leave(2)).unwrap();
    let events = room.apply(leave(HOST)).unwrap();
    assert_eq!(
        events,
        vec![
            Event::HostChanged { host_id: id(3) },
            Event::PlayerLeft {
                user_id: id(HOST),
                participant_count: 2,
                host_id: id(3),
                kicked: false
            },
        ]
    );
    assert_eq!(room.host_id, id(3));
}

#[test]
fn the_last_one_out_closes_the_room() {
    let mut room = playing(2);
    room.apply(leave(2)).unwrap();
    let events = room.apply(leave(HOST)).unwrap();
    assert_eq!(kinds(&events), vec!["player_left", "room_closed"]);
    assert!(room.closed);
    assert_eq!(room.status, RoomStatus::Finished);
    assert_eq!(room.active_count(), 0);
    assert_eq!(room.deadline(), None);
}

#[test]
fn a_leave_that_leaves_everyone_answered_starts_voting() {
    let mut room = playing(3);
    room.apply(answer(1, R1, 11, "a")).unwrap();
    room.apply(answer(2, R1, 12, "b")).unwrap();
    let events = room.apply(leave(3)).unwrap();
    assert_eq!(kinds(&events), vec!["player_left", "voting_started"]);
    assert_eq!(phase(&room), RoundPhase::Voting);
    assert_eq!(room.deadline(), Some(t(2 + 45)));
}

#[test]
fn a_leave_that_leaves_every_voter_voted_ends_the_round() {
    let mut room = voting(3, &[1, 2, 3]);
    room.apply(vote(1, R1, 12)).unwrap();
    room.apply(vote(2, R1, 11)).unwrap();
    let events = room.apply(leave(3)).unwrap();
    assert_eq!(kinds(&events), vec!["player_left", "round_ended"]);
    assert_eq!(phase(&room), RoundPhase::Finished);
}

// --- kick ---

#[test]
fn only_the_host_can_kick() {
    let mut room = lobby(3);
    refused(&mut room, kick(2, 3), DomainError::NotHost);
}

fn hand_over(from: u128, to: u128) -> Command {
    Command::HandOverHost {
        from: id(from),
        to: id(to),
        now: t(2),
    }
}

#[test]
fn a_gone_host_hands_over_once_and_only_to_an_active_participant() {
    let mut room = lobby(3);
    refused(&mut room, hand_over(2, 3), DomainError::NotHost);
    refused(&mut room, hand_over(HOST, 9), DomainError::NotParticipant);
    room.apply(leave(3)).unwrap();
    refused(&mut room, hand_over(HOST, 3), DomainError::NotParticipant);
    let events = room.apply(hand_over(HOST, 2)).unwrap();
    assert_eq!(events, vec![Event::HostChanged { host_id: id(2) }]);
    assert_eq!(room.host_id, id(2));
    assert!(room.is_member(id(HOST)), "the old host stays a player");
    // A second, late timer for the same absence changes nothing.
    refused(&mut room, hand_over(HOST, 2), DomainError::NotHost);
}

#[test]
fn the_host_cannot_kick_themselves() {
    let mut room = lobby(2);
    refused(&mut room, kick(HOST, HOST), DomainError::CannotKickSelf);
}

#[test]
fn kicking_someone_not_in_the_room_is_refused() {
    let mut room = lobby(3);
    refused(&mut room, kick(HOST, 9), DomainError::NotParticipant);
    room.apply(leave(3)).unwrap();
    refused(&mut room, kick(HOST, 3), DomainError::NotParticipant);
}

#[test]
fn a_kicked_player_leaves_and_drops_off_the_leaderboard() {
    let mut room = lobby(3);
    let events = room.apply(kick(HOST, 2)).unwrap();
    assert_eq!(
        events,
        vec![Event::PlayerLeft {
            user_id: id(2),
            participant_count: 2,
            host_id: id(HOST),
            kicked: true
        }]
    );
    let p = room.participant(id(2)).unwrap();
    assert!(!p.active && p.kicked);
    assert!(room.leaderboard().iter().all(|e| e.user_id != id(2)));
}

#[test]
fn a_kick_can_complete_the_answering_phase() {
    let mut room = playing(3);
    room.apply(answer(1, R1, 11, "a")).unwrap();
    room.apply(answer(2, R1, 12, "b")).unwrap();
    let events = room.apply(kick(HOST, 3)).unwrap();
    assert_eq!(kinds(&events), vec!["player_left", "voting_started"]);
}

// --- start game ---

#[test]
fn only_the_host_can_start_the_game() {
    let mut room = lobby(2);
    refused(&mut room, start(2, R1, "q"), DomainError::NotHost);
}

#[test]
fn a_game_needs_two_active_players() {
    let mut room = lobby(2);
    room.apply(leave(2)).unwrap();
    refused(
        &mut room,
        start(HOST, R1, "q"),
        DomainError::NotEnoughPlayers,
    );
}

#[test]
fn a_game_cannot_start_twice() {
    let mut room = playing(2);
    refused(
        &mut room,
        start(HOST, R2, "q2"),
        DomainError::GameInProgress,
    );
}

#[test]
fn a_finished_game_cannot_start_again() {
    let mut room = finished_round(2);
    room.settings.max_rounds = 1;
    room.apply(next(HOST, R2, "q2")).unwrap();
    refused(&mut room, start(HOST, R2, "q3"), DomainError::GameFinished);
}

#[test]
fn starting_the_game_opens_round_one_for_answers() {
    let mut room = lobby(3);
    let events = room.apply(start(HOST, R1, "  What is blue?  ")).unwrap();
    assert_eq!(
        events,
        vec![Event::RoundStarted {
            round_id: id(R1),
            round_number: 1,
            question: "What is blue?".into(),
            time_limit: 60,
            deadline: t(70),
            first: true,
        }]
    );
    assert_eq!(room.status, RoomStatus::Playing);
    let r = round(&room);
    assert_eq!(
        (r.number, r.phase, r.time_limit),
        (1, RoundPhase::Answering, 60)
    );
    assert_eq!(r.players, vec![id(1), id(2), id(3)]);
    assert_eq!(room.used_questions, vec!["What is blue?".to_string()]);
    assert_eq!(room.deadline(), Some(t(70)));
}

#[test]
fn a_blank_question_is_refused() {
    let mut room = lobby(2);
    assert_eq!(
        validation_field(&mut room, start(HOST, R1, "  ")),
        "question"
    );
}

// --- submit answer ---

#[test]
fn a_non_participant_cannot_answer() {
    let mut room = playing(2);
    refused(
        &mut room,
        answer(9, R1, 19, "x"),
        DomainError::NotParticipant,
    );
}

#[test]
fn an_answer_to_another_round_is_stale() {
    let mut room = playing(2);
    refused(&mut room, answer(2, R2, 12, "x"), DomainError::StaleRound);
    let mut lobby = lobby(2);
    refused(&mut lobby, answer(2, R1, 12, "x"), DomainError::StaleRound);
}

#[test]
fn answering_outside_the_answering_phase_is_refused() {
    let mut room = voting(3, &[1]);
    refused(&mut room, answer(2, R1, 12, "x"), DomainError::WrongPhase);
}

#[test]
fn a_second_answer_from_the_same_player_is_refused() {
    let mut room = playing(3);
    room.apply(answer(2, R1, 12, "x")).unwrap();
    refused(
        &mut room,
        answer(2, R1, 22, "y"),
        DomainError::AlreadyAnswered,
    );
}

#[test]
fn an_answer_is_trimmed_and_must_be_1_to_280_characters() {
    let mut room = playing(3);
    for bad in ["", " \n ", &"x".repeat(281)] {
        assert_eq!(
            validation_field(&mut room, answer(2, R1, 12, bad)),
            "answer"
        );
    }
    let events = room
        .apply(answer(2, R1, 12, &format!("  {}  ", "ü".repeat(280))))
        .unwrap();
    assert_eq!(
        events,
        vec![Event::AnswerSubmitted {
            answer_id: id(12),
            author_id: id(2),
            submitted_count: 1,
            total_players: 3
        }]
    );
    assert_eq!(round(&room).answers[0].content, "ü".repeat(280));
}

#[test]
fn an_answer_id_already_used_in_the_round_is_refused() {
    let mut room = playing(3);
    room.apply(answer(2, R1, 12, "x")).unwrap();
    assert_eq!(
        validation_field(&mut room, answer(3, R1, 12, "y")),
        "answer_id"
    );
}

#[test]
fn the_last_awaited_answer_starts_voting_at_once() {
    let mut room = playing(2);
    room.apply(answer(2, R1, 12, "b")).unwrap();
    let events = room.apply(answer(1, R1, 11, "a")).unwrap();
    assert_eq!(kinds(&events), vec!["answer_submitted", "voting_started"]);
    assert_eq!(phase(&room), RoundPhase::Voting);
    assert_eq!(round(&room).time_limit, 45);
    assert_eq!(room.deadline(), Some(t(20 + 45)));
}

#[test]
fn a_rejoined_player_outside_the_round_does_not_hold_up_answering() {
    let mut room = lobby(3);
    room.apply(leave(3)).unwrap();
    room.apply(start(HOST, R1, "q")).unwrap();
    room.apply(join(3)).unwrap();
    room.apply(answer(1, R1, 11, "a")).unwrap();
    let events = room.apply(answer(2, R1, 12, "b")).unwrap();
    assert_eq!(kinds(&events), vec!["answer_submitted", "voting_started"]);
}

// --- start voting ---

#[test]
fn only_the_host_can_start_voting_early() {
    let mut room = playing(2);
    refused(&mut room, start_voting(2, R1), DomainError::NotHost);
}

#[test]
fn starting_voting_for_a_stale_round_is_refused() {
    let mut room = playing(2);
    refused(&mut room, start_voting(HOST, R2), DomainError::StaleRound);
}

#[test]
fn voting_cannot_start_twice() {
    let mut room = voting(3, &[1, 2]);
    refused(&mut room, start_voting(HOST, R1), DomainError::WrongPhase);
}

#[test]
fn voting_lists_answers_by_id_without_authors() {
    let mut room = playing(3);
    room.apply(answer(2, R1, 50, "fifty")).unwrap();
    room.apply(answer(3, R1, 40, "forty")).unwrap();
    let events = room.apply(start_voting(HOST, R1)).unwrap();
    assert_eq!(
        events,
        vec![Event::VotingStarted {
            round_id: id(R1),
            answers: vec![(id(40), "forty".into()), (id(50), "fifty".into())],
            time_limit: 45,
            deadline: t(75),
        }]
    );
    assert_eq!(phase(&room), RoundPhase::Voting);
}

#[test]
fn voting_with_no_answers_ends_the_round_at_once() {
    let mut room = playing(2);
    let events = room.apply(start_voting(HOST, R1)).unwrap();
    assert_eq!(kinds(&events), vec!["voting_started", "round_ended"]);
    assert_eq!(phase(&room), RoundPhase::Finished);
    assert_eq!(round(&room).deadline, None);
}

#[test]
fn voting_ends_at_once_when_the_only_answer_belongs_to_the_only_remaining_player() {
    let mut room = playing(2);
    room.apply(answer(1, R1, 11, "a")).unwrap();
    room.apply(leave(2)).unwrap(); // starts voting: host answered, 2 gone
    assert_eq!(phase(&room), RoundPhase::Finished);
}

// --- vote ---

#[test]
fn a_non_participant_cannot_vote() {
    let mut room = voting(3, &[1, 2]);
    refused(&mut room, vote(9, R1, 11), DomainError::NotParticipant);
    room.apply(leave(3)).unwrap();
    refused(&mut room, vote(3, R1, 11), DomainError::NotParticipant);
}

#[test]
fn a_vote_for_a_stale_round_is_refused() {
    let mut room = voting(3, &[1, 2]);
    refused(&mut room, vote(3, R2, 11), DomainError::StaleRound);
}

#[test]
fn voting_during_answering_is_refused() {
    let mut room = playing(3);
    room.apply(answer(1, R1, 11, "a")).unwrap();
    refused(&mut room, vote(2, R1, 11), DomainError::WrongPhase);
}

#[test]
fn a_second_vote_is_refused() {
    let mut room = voting(3, &[1, 2, 3]);
    room.apply(vote(3, R1, 11)).unwrap();
    refused(&mut room, vote(3, R1, 12), DomainError::AlreadyVoted);
}

#[test]
fn a_vote_for_an_unknown_answer_is_refused() {
    let mut room = voting(3, &[1, 2]);
    refused(&mut room, vote(3, R1, 99), DomainError::AnswerNotFound);
}

#[test]
fn a_vote_for_your_own_answer_is_refused() {
    let mut room = voting(3, &[1, 2]);
    refused(&mut room, vote(2, R1, 12), DomainError::OwnAnswer);
}

#[test]
fn a_player_who_did_not_answer_may_still_vote() {
    let mut room = voting(3, &[1, 2]);
    let events = room.apply(vote(3, R1, 11)).unwrap();
    assert_eq!(
        events,
        vec![Event::VoteCast {
            voter_id: id(3),
            answer_id: id(11),
            vote_count: 1
        }]
    );
    assert_eq!(phase(&room), RoundPhase::Voting);
}

#[test]
fn the_last_eligible_vote_ends_the_round() {
    let mut room = voting(3, &[1, 2]);
    room.apply(vote(3, R1, 11)).unwrap();
    room.apply(vote(1, R1, 12)).unwrap();
    let events = room.apply(vote(2, R1, 11)).unwrap();
    assert_eq!(kinds(&events), vec!["vote_cast", "round_ended"]);
    assert_eq!(room.scores[&id(1)], 2);
    assert_eq!(room.scores[&id(2)], 1);
}

// --- end round ---

#[test]
fn only_the_host_can_end_a_round() {
    let mut room = voting(3, &[1, 2]);
    refused(&mut room, end(2, R1), DomainError::NotHost);
}

#[test]
fn ending_a_stale_round_is_refused() {
    let mut room = voting(3, &[1, 2]);
    refused(&mut room, end(HOST, R2), DomainError::StaleRound);
}

#[test]
fn a_round_can_only_be_ended_while_voting() {
    let mut room = playing(3);
    refused(&mut room, end(HOST, R1), DomainError::WrongPhase);
    let mut done = finished_round(3);
    refused(&mut done, end(HOST, R1), DomainError::WrongPhase);
}

#[test]
fn ending_a_round_awards_a_point_per_vote_and_reveals_authors() {
    let mut room = voting(4, &[1, 2, 3]);
    room.apply(vote(4, R1, 12)).unwrap();
    room.apply(vote(3, R1, 12)).unwrap();
    room.apply(vote(2, R1, 13)).unwrap();
    let events = room.apply(end(HOST, R1)).unwrap();
    let [
        Event::RoundEnded {
            round_id,
            round_number,
            results,
            leaderboard,
            points,
        },
    ] = &events[..]
    else {
        panic!("expected one round_ended, got {events:?}");
    };
    assert_eq!((*round_id, *round_number), (id(R1), 1));
    let shown: Vec<(Uuid, Uuid, &str, u32)> = results
        .iter()
        .map(|r| (r.answer_id, r.author_id, r.display_name.as_str(), r.votes))
        .collect();
    assert_eq!(
        shown,
        vec![
            (id(12), id(2), "player2", 2),
            (id(13), id(3), "player3", 1),
            (id(11), id(1), "player1", 0),
        ]
    );
    assert_eq!(points, &vec![(id(1), 0), (id(2), 2), (id(3), 1)]);
    let ranks: Vec<(Uuid, u32, u32)> = leaderboard
        .iter()
        .map(|e| (e.user_id, e.score, e.rank))
        .collect();
    assert_eq!(
        ranks,
        vec![(id(2), 2, 1), (id(3), 1, 2), (id(1), 0, 3), (id(4), 0, 3)]
    );
    assert_eq!(phase(&room), RoundPhase::Finished);
    assert_eq!(room.deadline(), None);
    assert_eq!(room.scores[&id(2)], 2);
}

// --- next round ---

#[test]
fn only_the_host_starts_the_next_round() {
    let mut room = finished_round(2);
    refused(&mut room, next(2, R2, "q2"), DomainError::NotHost);
}

#[test]
fn the_next_round_waits_for_the_current_one_to_finish() {
    let mut room = playing(2);
    refused(&mut room, next(HOST, R2, "q2"), DomainError::WrongPhase);
    let mut room = voting(3, &[1, 2]);
    refused(&mut room, next(HOST, R2, "q2"), DomainError::WrongPhase);
}

#[test]
fn next_round_in_the_lobby_is_the_wrong_phase() {
    let mut room = lobby(2);
    refused(&mut room, next(HOST, R2, "q2"), DomainError::WrongPhase);
}

#[test]
fn the_next_round_is_numbered_on_and_not_first() {
    let mut room = finished_round(2);
    let events = room.apply(next(HOST, R2, "q2")).unwrap();
    assert_eq!(
        events,
        vec![Event::RoundStarted {
            round_id: id(R2),
            round_number: 2,
            question: "q2".into(),
            time_limit: 60,
            deadline: t(120),
            first: false,
        }]
    );
    let r = round(&room);
    assert_eq!(
        (r.id, r.number, r.phase),
        (id(R2), 2, RoundPhase::Answering)
    );
    assert!(r.answers.is_empty() && r.votes.is_empty());
    assert_eq!(
        room.used_questions,
        vec!["q1".to_string(), "q2".to_string()]
    );
}

#[test]
fn a_repeated_question_is_refused() {
    let mut room = finished_round(2);
    assert_eq!(
        validation_field(&mut room, next(HOST, R2, " Q1 ")),
        "question"
    );
}

#[test]
fn a_new_round_reusing_the_current_round_id_is_refused() {
    let mut room = finished_round(2);
    assert_eq!(
        validation_field(&mut room, next(HOST, R1, "q2")),
        "round_id"
    );
}

#[test]
fn next_round_after_the_last_round_ends_the_game() {
    let mut room = voting(2, &[1, 2]);
    room.apply(vote(2, R1, 11)).unwrap();
    room.apply(vote(1, R1, 12)).unwrap();
    room.settings.max_rounds = 1;
    let events = room.apply(next(HOST, R2, "unused")).unwrap();
    let [Event::GameEnded { final_leaderboard }] = &events[..] else {
        panic!("expected game_ended, got {events:?}");
    };
    assert_eq!(final_leaderboard, &room.leaderboard());
    assert_eq!(room.status, RoomStatus::Finished);
    assert_eq!(round(&room).id, id(R1));
    assert_eq!(room.used_questions.len(), 1);
}

#[test]
fn next_round_after_the_game_ended_is_refused() {
    let mut room = finished_round(2);
    room.settings.max_rounds = 1;
    room.apply(next(HOST, R2, "q2")).unwrap();
    refused(&mut room, next(HOST, R2, "q2"), DomainError::GameFinished);
}

// --- tick ---

#[test]
fn a_tick_before_the_deadline_does_nothing() {
    let mut room = playing(2);
    let before = room.clone();
    assert_eq!(room.apply(Command::Tick { now: t(69) }), Ok(vec![]));
    assert_eq!(room, before);
}

#[test]
fn a_tick_at_the_answer_deadline_starts_voting() {
    let mut room = playing(3);
    room.apply(answer(2, R1, 12, "b")).unwrap();
    let events = room.apply(Command::Tick { now: t(70) }).unwrap();
    assert_eq!(kinds(&events), vec!["voting_started"]);
    assert_eq!(room.deadline(), Some(t(115)));
}

#[test]
fn a_tick_at_the_vote_deadline_ends_the_round() {
    let mut room = voting(3, &[1, 2]);
    room.apply(vote(3, R1, 11)).unwrap();
    let deadline = room.deadline().unwrap();
    let events = room.apply(Command::Tick { now: deadline }).unwrap();
    assert_eq!(kinds(&events), vec!["round_ended"]);
    assert_eq!(room.scores[&id(1)], 1);
}

#[test]
fn a_tick_on_a_room_without_a_running_phase_does_nothing() {
    let far = t(1_000_000);
    for mut room in [lobby(2), finished_round(2)] {
        assert_eq!(room.apply(Command::Tick { now: far }), Ok(vec![]));
    }
    let mut closed = playing(2);
    closed.apply(leave(2)).unwrap();
    closed.apply(leave(HOST)).unwrap();
    let before = closed.clone();
    assert_eq!(closed.apply(Command::Tick { now: far }), Ok(vec![]));
    assert_eq!(closed, before);
}

// --- whole room ---

#[test]
fn every_command_but_a_tick_is_refused_on_a_closed_room() {
    let mut room = lobby(1);
    room.apply(leave(HOST)).unwrap();
    for cmd in [
        leave(HOST),
        kick(HOST, 2),
        start(HOST, R1, "q"),
        next(HOST, R2, "q"),
    ] {
        refused(&mut room, cmd, DomainError::RoomClosed);
    }
}

#[test]
fn the_deadline_is_the_current_phase_end_only_while_a_phase_runs() {
    assert_eq!(lobby(2).deadline(), None);
    assert_eq!(playing(2).deadline(), Some(t(70)));
    assert_eq!(voting(3, &[1]).deadline(), Some(t(50)));
    assert_eq!(finished_round(2).deadline(), None);
}

#[test]
fn a_room_mid_game_survives_a_json_round_trip() {
    let mut room = voting(3, &[1, 2]);
    room.apply(vote(3, R1, 11)).unwrap();
    room.apply(leave(2)).unwrap();
    let json = serde_json::to_string(&room).unwrap();
    assert!(json.contains(r#""status":"playing""#));
    assert!(json.contains(r#""phase":"voting""#));
    assert_eq!(serde_json::from_str::<Room>(&json).unwrap(), room);
}

#[test]
fn statuses_serialize_in_snake_case() {
    let json =
        serde_json::to_string(&[RoomStatus::Lobby, RoomStatus::Playing, RoomStatus::Finished])
            .unwrap();
    assert_eq!(json, r#"["lobby","playing","finished"]"#);
}

#[test]
fn answers_are_readable_by_participants_once_answering_is_over() {
    let mut room = playing(3);
    assert_eq!(
        room.answers_access(id(2), id(R1)),
        Err(DomainError::WrongPhase)
    );
    assert_eq!(
        room.answers_access(id(99), id(R1)),
        Err(DomainError::NotParticipant)
    );
    room.apply(Command::StartVoting {
        by: id(HOST),
        round_id: id(R1),
        now: t(1),
    })
    .unwrap();
    assert!(matches!(
        room.answers_access(id(2), id(R1)),
        Ok(AnswersAccess::Current(r)) if r.id == id(R1)
    ));
    assert_eq!(
        room.answers_access(id(2), id(R2)),
        Ok(AnswersAccess::Earlier)
    );
}

#[test]
fn a_leaver_may_still_read_answers_but_a_kicked_player_may_not() {
    let mut room = voting(4, &[]);
    room.apply(Command::Leave {
        user_id: id(2),
        now: t(2),
    })
    .unwrap();
    room.apply(Command::Kick {
        by: id(HOST),
        target: id(3),
        now: t(2),
    })
    .unwrap();
    assert!(room.answers_access(id(2), id(R1)).is_ok());
    assert_eq!(
        room.answers_access(id(3), id(R1)),
        Err(DomainError::NotParticipant)
    );
}

#[test]
fn more_rounds_remain_until_the_last_one() {
    let room = playing(2);
    assert!(room.has_more_rounds(), "round 1 of 3");
    let mut last = lobby(2);
    last.settings.max_rounds = 1;
    last.apply(start(HOST, R1, "q1")).unwrap();
    assert!(!last.has_more_rounds());
    assert!(!lobby(2).has_more_rounds(), "no round yet");
}

/// A phase ends at its deadline, not when the timer gets to it: what arrives from then on is
/// refused even though no tick has moved the room yet.
#[test]
fn an_answer_arriving_at_or_after_the_deadline_is_refused_before_the_tick() {
    let mut room = playing(3);
    let deadline = round(&room).deadline.unwrap();
    let late = |by: u128, at: DateTime<Utc>| Command::SubmitAnswer {
        by: id(by),
        round_id: id(R1),
        answer_id: id(10 + by),
        content: "late".into(),
        now: at,
    };
    refused(&mut room, late(2, deadline), DomainError::WrongPhase);
    refused(
        &mut room,
        late(2, deadline + TimeDelta::seconds(5)),
        DomainError::WrongPhase,
    );
    assert!(
        room.apply(late(2, deadline - TimeDelta::milliseconds(1)))
            .is_ok()
    );
}

#[test]
fn a_vote_arriving_at_or_after_the_deadline_is_refused_before_the_tick() {
    let mut room = voting(3, &[1, 2, 3]);
    let deadline = round(&room).deadline.unwrap();
    let vote_at = |at: DateTime<Utc>| Command::Vote {
        by: id(2),
        round_id: id(R1),
        answer_id: id(11),
        now: at,
    };
    refused(&mut room, vote_at(deadline), DomainError::WrongPhase);
    assert!(
        room.apply(vote_at(deadline - TimeDelta::milliseconds(1)))
            .is_ok()
    );
}

#[test]
fn lobby_leavers_are_remembered_only_up_to_the_room_size() {
    let mut room = lobby(2);
    let max = room.settings.max_players as u128;
    for n in 10..(10 + 5 * max) {
        room.apply(join(n)).unwrap();
        room.apply(leave(n)).unwrap();
    }
    let gone = room.participants.iter().filter(|p| !p.active).count();
    assert_eq!(gone, max as usize, "only the last leavers are kept");
    assert_eq!(room.participants.len(), 2 + max as usize);
    assert_eq!(room.scores.len(), room.participants.len());
    // The most recent leaver still rejoins with their place; the earliest is a stranger now.
    let last = 10 + 5 * max - 1;
    assert_eq!(
        kinds(&room.apply(join(last)).unwrap()),
        vec!["player_rejoined", "player_joined"]
    );
    assert!(room.participant(id(10)).is_none());
}

#[test]
fn two_players_of_one_name_are_told_apart_and_the_filter_screens_names() {
    let mut room = lobby(1);
    let named = |n: u128, name: &str| Command::Join {
        user_id: id(n),
        display_name: name.into(),
        now: t(1),
    };
    room.apply(named(2, "Sam")).unwrap();
    room.apply(named(3, "sam")).unwrap();
    room.apply(named(4, "SAM")).unwrap();
    let long = "x".repeat(32);
    room.apply(named(5, &long)).unwrap();
    room.apply(named(6, &long)).unwrap();
    let shown = |n: u128| room.participant(id(n)).unwrap().display_name.clone();
    assert_eq!(
        (shown(2), shown(3), shown(4)),
        ("Sam".into(), "sam 2".into(), "SAM 3".into())
    );
    assert_eq!(shown(5), long);
    assert_eq!(shown(6), format!("{} 2", "x".repeat(30)));

    let mut strict = lobby(1);
    strict.settings.profanity_filter = crate::domain::game::moderation::ProfanityFilter::Refuse;
    assert_eq!(
        strict.apply(named(2, "fuck face")),
        Err(DomainError::Inappropriate {
            field: "display_name"
        })
    );
    let mut masking = lobby(1);
    masking.settings.profanity_filter = crate::domain::game::moderation::ProfanityFilter::Mask;
    masking.apply(named(2, "fuck face")).unwrap();
    let masked = masking.participant(id(2)).unwrap().display_name.clone();
    assert!(masked.contains('*') && !masked.contains("fuck"), "{masked}");
}
