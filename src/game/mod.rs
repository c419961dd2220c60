//! Coordination, no rules: load a room's live state, let the domain decide, write the outcome
//! to Redis (compare-and-swap) and Postgres (group commit), then publish the events.
//!
//! - `service`: the public API both transports call.
//! - `lookups`: what a lookup by room code costs (the join budget, or a visitor's address's).
//! - `nodes`: node leases, so presence expires with a crashed process.
//! - `pipeline`: each room's worker and its batch pipeline, swap → commit → publish → ack.
//! - `presence`: live sockets per room and the host hand-over policy.
//! - `questions`: each round's question, prepared ahead in the background.
//! - `timers`: deadlines and hand-overs, polled on every node.
//! - `view`: the read models both transports send.
//! - `history`: finished games read back (lists, records, the host's export).

pub(crate) mod history;
mod lookups;
pub(crate) mod nodes;
mod pipeline;
pub(crate) mod presence;
pub(crate) mod publisher;
mod questions;
pub(crate) mod screen;
pub(crate) mod service;
pub(crate) mod timers;
pub(crate) mod view;

pub(crate) use lookups::Looker;
pub(crate) use presence::Departure;
pub(crate) use publisher::Publisher;
pub(crate) use service::GameService;
