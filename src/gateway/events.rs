//! One table of event handlers shared by every socket. `socket.on` keeps a map of boxed
//! handlers in each socket, ≈ 1.3 KB for our twenty events on every one of thousands of idle
//! connections (issue 23's memory target); a single fallback handler that looks the event up
//! here costs a socket nothing, and each handler is still called exactly as `socket.on` would
//! (same extractors, same task per event). The tables are in the modules that own the
//! handlers (`handlers::route`, `polls::route`, written with `handle::routes!`).

use socketioxide::{
    extract::{AckSender, Event, SocketRef},
    handler::{FromMessageParts, MessageHandler, Value},
    socket::Socket,
};
use std::sync::Arc;

use super::{
    Adapter,
    ack::{Reply, WantsAck},
};
use crate::error::Error;

/// The fallback handler of every socket (it has no other): finds the event's handler in the
/// game's and the polls' tables, or answers it as [`unknown`].
#[derive(Clone, Copy)]
struct Events;

impl MessageHandler<Adapter, Events> for Events {
    fn call(&self, s: Arc<Socket<Adapter>>, mut v: Value, ack: Option<i64>) {
        let Ok(Event(event)) = Event::from_message_parts(&s, &mut v, &ack) else {
            return;
        };
        match super::handlers::route(&event).or_else(|| super::polls::route(&event)) {
            Some(route) => route(s, v, ack),
            None => MessageHandler::call(&unknown, s, v, ack),
        }
    }
}

/// An event in no table (a typo, a newer client): it spends the socket's budget like any
/// other, since a flood of made-up names is still a flood, and a client that asked for an
/// answer hears `malformed_request` instead of waiting for its callback to time out. Without a
/// callback it stays unanswered, as socketioxide leaves an event nobody registered.
async fn unknown(
    s: SocketRef<Adapter>,
    Event(event): Event,
    ack: AckSender<Adapter>,
    WantsAck(wants_ack): WantsAck,
) {
    let reply = Reply {
        socket: s.clone(),
        ack,
        wants_ack,
        event: "unknown",
    };
    let Some(reply) = super::handle::within_budget(&s, reply) else {
        return;
    };
    if wants_ack {
        let name: String = event.chars().take(50).collect();
        reply.fail(Error::Malformed(format!("unknown event {name:?}")));
    }
}

/// Gives a socket its events. Called by the connect middleware, before the client is told it is
/// connected: socketioxide runs the async connect handler as a task of its own after sending
/// the connect packet, so an event the client sent right on `connect` could arrive before
/// handlers registered there existed and be dropped without an answer.
pub(crate) fn register(s: &SocketRef<Adapter>) {
    s.on_fallback(Events);
    super::handlers::on_socket(s);
}
