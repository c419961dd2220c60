//! Every integration test, in one binary (the zero-to-production layout): one link of the
//! crate and its dependencies instead of one per file, and one set of shared fixtures
//! (`common`). Each module is one story, run against the real server, Postgres and Redis.
//! Run one story with `cargo test --test it party::` (a module path filters like a name).

mod common;

mod accounts;
mod anonymous;
mod auth;
mod balancer;
mod batch;
mod browser;
mod cluster;
mod crash;
mod discovery;
mod exports;
mod fanout;
mod fuzz;
mod game;
mod hostile;
mod late;
mod limits;
mod loadgen_smoke;
mod lookups;
mod memory;
mod node_crash;
mod official_client;
mod openapi;
mod operations;
mod party;
mod poll_codes;
mod poll_groups;
mod poll_stats;
mod polls;
mod polls_live;
mod postgres_stopped;
mod presence;
mod questions;
mod ranked;
mod recovery;
mod redis_cluster;
mod repair;
mod replica;
mod rooms;
mod sessions;
mod single_node;
mod startup;
mod stuck_room;
mod text_polls;
mod web;
mod webhooks;
