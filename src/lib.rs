//! voting-game: a real-time multiplayer voting-game server.
//!
//! Players join a room by its code, answer a question each round, vote for the answer they like
//! best (never their own), and watch the leaderboard. The layers, from the outside in:
//!
//! - `http` (REST, axum) and `gateway` (Socket.IO, socketioxide) are thin: they parse input,
//!   call a service, and shape the reply or the broadcast.
//! - `auth` and `game` are the services. `game` holds no rules: it loads a room's live state,
//!   asks `domain` to decide, writes Postgres and Redis, and publishes the events.
//! - `domain` is pure (no I/O, no clock): every game rule lives there.
//! - `store` (Redis: live state, deadlines, deny-list, presence), `db` (Postgres: the durable
//!   record) and `questions` (OpenAI-compatible AI with a built-in bank) sit behind small
//!   interfaces; `app` is the one module that knows every concrete type and wires them.
//! - `error` is the service-layer error both transports translate to the contract's shape, and
//!   `input` the one reader of a client's JSON object for both.
//! - `config` is the bottom: it imports nothing of the crate. No module imports one that
//!   imports it back; `architecture` (a test) checks both on the sources.

pub mod app;
#[cfg(test)]
mod architecture;
pub mod auth;
pub mod config;
pub mod db;
pub(crate) mod domain;
pub mod error;
pub(crate) mod exports;
pub(crate) mod game;
pub(crate) mod gateway;
pub(crate) mod http;
pub(crate) mod input;
pub(crate) mod limits;
pub(crate) mod metrics;
pub(crate) mod polls;
pub(crate) mod questions;
pub(crate) mod store;
pub(crate) mod webhooks;
