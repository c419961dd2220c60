//! The one shape of every client event's handler, the game's and the polls': who is asking,
//! the socket's budget, decoding the payload, timing it, and acknowledging. A handler differs
//! only in its body and in who may call it ([`Caller`]): the game's events need a signed-in
//! user, the polls' also answer anonymous sockets.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use socketioxide::{
    extract::{AckSender, SocketRef},
    socket::Socket,
};
use std::{future::Future, sync::Arc};

use super::{Adapter, ack::Reply};
use crate::{
    auth::AuthUser,
    error::Error,
    limits::{Budget, SocketBudget},
};

/// Who may send an event, as its handler's body receives them.
pub(crate) trait Caller: Sized {
    /// The caller of an event on `s`; `None` refuses it (`unauthorized`).
    fn of(s: &SocketRef<Adapter>) -> Option<Self>;
}

/// A signed-in user only (the game's events).
impl Caller for AuthUser {
    fn of(s: &SocketRef<Adapter>) -> Option<Self> {
        s.extensions.get::<AuthUser>()
    }
}

/// Anyone; the user if signed in (the polls' events: anonymous sockets may watch and vote).
impl Caller for Option<AuthUser> {
    fn of(s: &SocketRef<Adapter>) -> Option<Self> {
        Some(s.extensions.get::<AuthUser>())
    }
}

/// Decodes a payload; anything but the expected object is `malformed_request`, never a drop.
fn decode<T: DeserializeOwned>(payload: Result<Value, impl std::fmt::Display>) -> Result<T, Error> {
    let value = payload.map_err(|e| Error::Malformed(format!("unreadable payload: {e}")))?;
    crate::input::decode(&value).map_err(crate::input::DecodeError::into_socket)
}

/// Runs one event: refuses a caller it does not admit and a socket over its budget, decodes the
/// input, runs `f` and acknowledges its result (see `ack`).
pub(crate) async fn handle<C, T, R, F, Fut>(
    s: SocketRef<Adapter>,
    payload: Result<Value, impl std::fmt::Display>,
    ack: AckSender<Adapter>,
    wants_ack: bool,
    event: &'static str,
    f: F,
) where
    C: Caller,
    T: DeserializeOwned,
    R: Serialize,
    F: FnOnce(C, T) -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    let reply = Reply {
        socket: s.clone(),
        ack,
        wants_ack,
        event,
    };
    let Some(caller) = C::of(&s) else {
        return reply.fail(Error::Unauthorized);
    };
    let Some(reply) = within_budget(&s, reply) else {
        return;
    };
    crate::metrics::event("in", event);
    let timer = crate::metrics::METRICS
        .action_seconds
        .with_label_values(&[event])
        .start_timer();
    let result = match decode::<T>(payload) {
        Ok(input) => f(caller, input).await,
        Err(e) => Err(e),
    };
    timer.observe_duration();
    reply.send(result);
}

/// Spends one event of the socket's budget: the reply back if there was budget, else `None`
/// once the refusal is answered (and the socket disconnected if it kept flooding).
pub(crate) fn within_budget(
    s: &SocketRef<Adapter>,
    reply: Reply<Adapter>,
) -> Option<Reply<Adapter>> {
    let Some(budget) = s.extensions.get::<Arc<SocketBudget>>() else {
        return Some(reply);
    };
    match budget.spend() {
        Budget::Ok => Some(reply),
        Budget::Refused { retry_after } => {
            reply.fail(Error::RateLimited { retry_after });
            None
        }
        Budget::Exhausted => {
            tracing::warn!(sid = %s.id, "socket kept flooding; disconnecting");
            reply.fail(Error::RateLimited { retry_after: 1 });
            let _ = s.clone().disconnect();
            None
        }
    }
}

/// Declares the handler of one client event: socketioxide extracts the socket, payload, ack and
/// state; [`handle`] does the rest; only the body (what the event does, returning the ack's
/// data) and the caller's type ([`Caller`]) differ.
macro_rules! handler {
    ($name:ident, $event:expr, |$socket:ident, $st:ident, $user:ident: $caller:ty, $input:ident: $ty:ty| $body:block) => {
        async fn $name(
            s: socketioxide::extract::SocketRef<$crate::gateway::Adapter>,
            socketioxide::extract::TryData(payload): socketioxide::extract::TryData<
                serde_json::Value,
            >,
            ack: socketioxide::extract::AckSender<$crate::gateway::Adapter>,
            $crate::gateway::ack::WantsAck(wants): $crate::gateway::ack::WantsAck,
            socketioxide::extract::State($st): socketioxide::extract::State<
                $crate::gateway::GatewayState,
            >,
        ) {
            let $socket = s.clone();
            $crate::gateway::handle::handle(
                s,
                payload,
                ack,
                wants,
                $event,
                |$user: $caller, $input: $ty| async move $body,
            )
            .await;
        }
    };
}
pub(crate) use handler;

/// How an event reaches its handler: socketioxide's own call, with the socket, the payload and
/// the client's ack id, as `socket.on` would make it.
pub(crate) type Route = fn(Arc<Socket<Adapter>>, socketioxide::handler::Value, Option<i64>);

/// An event table: a module's `route` maps an event name to its handler's [`Route`] (looked up
/// for every socket by `gateway::events`).
macro_rules! routes {
    ($event:expr, { $($name:path => $handler:ident),* $(,)? }) => {
        match $event {
            $($name => Some(
                (|s, v, a| socketioxide::handler::MessageHandler::call(&$handler, s, v, a))
                    as $crate::gateway::handle::Route
            ),)*
            _ => None,
        }
    };
}
pub(crate) use routes;
