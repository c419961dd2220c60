//! One handler per client event: decode the payload, call the game service, acknowledge. Also
//! connection set-up and presence (who has a live socket in which room).

use socketioxide::extract::{SocketRef, State};
use std::sync::Arc;

use super::{
    Adapter, GatewayState, SocketRooms,
    handle::{Route, handler, routes},
    protocol as p,
    wire::{self as w, RoomState},
};
use crate::{auth::AuthUser, game::Departure};

/// The game's events and their handlers (`events`: one table for every socket).
pub(crate) fn route(event: &str) -> Option<Route> {
    routes!(event, {
        p::JOIN_ROOM => join_room,
        p::LEAVE_ROOM => leave_room,
        p::START_GAME => start_game,
        p::SUBMIT_ANSWER => submit_answer,
        p::START_VOTING => start_voting,
        p::SUBMIT_VOTE => submit_vote,
        p::END_ROUND => end_round,
        p::NEXT_ROUND => next_round,
        p::KICK_PLAYER => kick_player,
        p::PLAY_AGAIN => play_again,
        p::HIDE_ANSWER => hide_answer,
        p::JOIN_AUDIENCE => join_audience,
        p::LEAVE_AUDIENCE => leave_audience,
        p::AUDIENCE_VOTE => audience_vote,
    })
}

/// What a socket holds of its own beside the shared table: its disconnect handler.
pub(crate) fn on_socket(s: &SocketRef<Adapter>) {
    s.on_disconnect(on_disconnect);
}

/// The connect handler: what may run after the client knows it is connected (its events are
/// already registered, see `events::register`).
pub(crate) async fn on_connect(s: SocketRef<Adapter>, State(st): State<GatewayState>) {
    crate::metrics::METRICS.sockets.inc();
    super::session::watch_session(&s, &st).await;
    super::screen::screen_connected(&s, &st).await;
}

handler!(
    join_room,
    p::JOIN_ROOM,
    |socket, st, user: AuthUser, input: p::RoomCode| {
        st.limits.join(user.id)?;
        // Listening to the room's channel before its state is read: nothing broadcast after
        // that read can miss this socket.
        let entered = match crate::domain::code::normalize(&input.room_code) {
            Some(code) => Some(st.enter(&[code]).await?),
            None => None,
        };
        let out = st.game.join_room(user.id, &input.room_code).await?;
        let code = out.room.code.clone();
        socket.join(code.clone());
        drop(entered);
        let rooms = socket.extensions.get::<Arc<SocketRooms>>();
        let new_socket = rooms.is_some_and(|r| remember(&r, &code));
        let arrival = st.game.socket_joined(&out, user.id, new_socket).await?;
        if arrival.announce_reconnect {
            let _ = socket
                .to(code.clone())
                .emit(p::PLAYER_RECONNECTED, &w::UserRef { user_id: user.id })
                .await;
        }
        let view = st.game.view(&out.room).await?;
        let state = RoomState::build(&out.room, view.clone(), user.id);
        // After the ack, so the client has its room before the full state arrives.
        let s2 = socket.clone();
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            let _ = s2.emit(p::ROOM_STATE, &state);
        });
        Ok(w::Joined { room: view })
    }
);

/// Records that this socket is in `code`; false if it already was (a repeated join).
fn remember(rooms: &SocketRooms, code: &str) -> bool {
    let Ok(mut list) = rooms.0.lock() else {
        return false;
    };
    if list.iter().any(|c| c == code) {
        false
    } else {
        list.push(code.to_string());
        true
    }
}

handler!(
    leave_room,
    p::LEAVE_ROOM,
    |socket, st, user: AuthUser, input: p::RoomCode| {
        let code = st.game.leave(user.id, &input.room_code).await?;
        socket.leave(code.clone());
        st.release(vec![code], None);
        Ok(w::Done {})
    }
);

handler!(
    start_game,
    p::START_GAME,
    |_socket, st, user: AuthUser, input: p::RoomCode| {
        let round = st.game.start_game(user.id, &input.room_code).await?;
        Ok(w::RoundAck { round })
    }
);

handler!(
    submit_answer,
    p::SUBMIT_ANSWER,
    |_socket, st, user: AuthUser, input: p::SubmitAnswer| {
        let answer_id = st
            .game
            .submit_answer(
                user.id,
                Some(&input.room_code),
                input.round_id,
                &input.answer,
            )
            .await?;
        Ok(w::Answered { answer_id })
    }
);

handler!(
    start_voting,
    p::START_VOTING,
    |_socket, st, user: AuthUser, input: p::RoundRef| {
        let round = st
            .game
            .start_voting(user.id, Some(&input.room_code), input.round_id)
            .await?;
        Ok(w::RoundAck { round })
    }
);

handler!(
    submit_vote,
    p::SUBMIT_VOTE,
    |_socket, st, user: AuthUser, input: p::SubmitVote| {
        st.game
            .vote(
                user.id,
                Some(&input.room_code),
                input.round_id,
                input.answer_id,
            )
            .await
    }
);

handler!(
    end_round,
    p::END_ROUND,
    |_socket, st, user: AuthUser, input: p::RoundRef| {
        st.game
            .end_round(user.id, Some(&input.room_code), input.round_id)
            .await
    }
);

handler!(
    next_round,
    p::NEXT_ROUND,
    |_socket, st, user: AuthUser, input: p::RoomCode| {
        st.game.next_round(user.id, &input.room_code).await
    }
);

handler!(
    kick_player,
    p::KICK_PLAYER,
    |_socket, st, user: AuthUser, input: p::KickPlayer| {
        st.game
            .kick(user.id, &input.room_code, input.user_id)
            .await?;
        Ok(w::Done {})
    }
);

handler!(
    play_again,
    p::PLAY_AGAIN,
    |_socket, st, user: AuthUser, input: p::PlayAgain| {
        st.game
            .play_again(user.id, &input.room_code, input.settings)
            .await
    }
);

handler!(
    hide_answer,
    p::HIDE_ANSWER,
    |_socket, st, user: AuthUser, input: p::HideAnswer| {
        st.game
            .hide_answer(
                user.id,
                Some(&input.room_code),
                input.round_id,
                input.answer_id,
            )
            .await?;
        Ok(w::Done {})
    }
);

handler!(
    join_audience,
    p::JOIN_AUDIENCE,
    |socket, st, user: AuthUser, input: p::RoomCode| {
        st.limits.join(user.id)?;
        // As for `join_room`: listening before the state is read.
        let entered = match crate::domain::code::normalize(&input.room_code) {
            Some(code) => Some(st.enter(&[p::audience_room(&code), code]).await?),
            None => None,
        };
        let out = st.game.join_audience(user.id, &input.room_code).await?;
        let code = out.room.code.clone();
        // A player (or the host) asking to watch stays in the players' room.
        if out.room.is_inside(user.id) {
            socket.join(code);
        } else {
            socket.join(p::audience_room(&code));
        }
        drop(entered);
        let view = st.game.view(&out.room).await?;
        let state = RoomState::build(&out.room, view.clone(), user.id);
        let s2 = socket.clone();
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            let _ = s2.emit(p::ROOM_STATE, &state);
        });
        Ok(w::Joined { room: view })
    }
);

handler!(
    leave_audience,
    p::LEAVE_AUDIENCE,
    |socket, st, user: AuthUser, input: p::RoomCode| {
        let code = st.game.leave_audience(user.id, &input.room_code).await?;
        socket.leave(p::audience_room(&code));
        st.release(vec![p::audience_room(&code)], None);
        Ok(w::Done {})
    }
);

handler!(
    audience_vote,
    p::AUDIENCE_VOTE,
    |_socket, st, user: AuthUser, input: p::SubmitVote| {
        st.game
            .audience_vote(
                user.id,
                Some(&input.room_code),
                input.round_id,
                input.answer_id,
            )
            .await
    }
);

/// A closed tab is not a leave (see `domain::game::presence`): each room this socket was in
/// hears that its user is disconnected once their last socket there is gone.
async fn on_disconnect(s: SocketRef<Adapter>, State(st): State<GatewayState>) {
    crate::metrics::METRICS.sockets.dec();
    super::session::unwatch_session(&s);
    // The socket leaves its rooms once this handler is done: its own membership aside.
    let rooms = s.rooms().into_iter().map(|r| r.into_owned()).collect();
    st.release(rooms, Some(s.id));
    let (Some(user), Some(rooms)) = (
        s.extensions.get::<AuthUser>(),
        s.extensions.get::<Arc<SocketRooms>>(),
    ) else {
        return;
    };
    let codes = rooms.0.lock().map(|l| l.clone()).unwrap_or_default();
    for code in codes {
        match st.game.socket_left(&code, user.id).await {
            Ok(Departure::Gone) => {
                let _ = s
                    .broadcast()
                    .to(code.clone())
                    .emit(p::PLAYER_DISCONNECTED, &w::UserRef { user_id: user.id })
                    .await;
            }
            Ok(Departure::StillConnected) => {}
            Err(e) => e.report("disconnect"),
        }
    }
}
