//! Replies to client events: `{ok: true, data}` / `{ok: false, error}` through the
//! acknowledgement callback, or an `error` event (with the event's name) when the client sent
//! none, so a failure is never silent.

use serde::Serialize;
use socketioxide::{
    adapter::Adapter,
    extract::{AckSender, SocketRef},
    handler::FromMessageParts,
};
use std::{convert::Infallible, sync::Arc};

use super::wire::{AckErr, AckOk, ErrorEvent, ErrorPayload};
use crate::error::Error;

/// Whether the client asked for an acknowledgement (sent a callback) with this event.
pub(crate) struct WantsAck(pub bool);

impl<A: Adapter> FromMessageParts<A> for WantsAck {
    type Error = Infallible;
    fn from_message_parts(
        _: &Arc<socketioxide::socket::Socket<A>>,
        _: &mut socketioxide::handler::Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        Ok(WantsAck(ack_id.is_some()))
    }
}

pub(crate) struct Reply<A: Adapter> {
    pub socket: SocketRef<A>,
    pub ack: AckSender<A>,
    pub wants_ack: bool,
    pub event: &'static str,
}

impl<A: Adapter> Reply<A> {
    pub(crate) fn send<T: Serialize>(self, result: Result<T, Error>) {
        match result {
            Ok(data) => {
                if let Err(e) = self.ack.send(&AckOk { ok: true, data }) {
                    tracing::debug!(error = %e, "ack not delivered");
                }
            }
            Err(e) => self.fail(e),
        }
    }

    pub(crate) fn fail(self, e: Error) {
        e.report(self.event);
        let error = ErrorPayload {
            code: e.code(),
            message: e.public_message(),
        };
        let sent = if self.wants_ack {
            self.ack.send(&AckErr { ok: false, error })
        } else {
            let payload = ErrorEvent {
                error,
                event: self.event,
            };
            self.socket.emit(super::protocol::ERROR, &payload)
        };
        if let Err(e) = sent {
            tracing::debug!(error = %e, "error reply not delivered");
        }
    }
}
