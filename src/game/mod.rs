//! Coordination, no rules: load a room's live state, let the domain decide, write the outcome
//! to Postgres and Redis (compare-and-swap), then publish the events. Also the deadline timer
//! and the read models (views) both transports send.

pub mod publisher;
pub mod service;
pub mod timers;
pub mod view;

pub use publisher::Publisher;
pub use service::GameService;
