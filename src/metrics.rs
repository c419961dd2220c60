//! Prometheus metrics, process-wide (one process is one scrape target): connected sockets,
//! events by type, action latency, AI question latency and fallbacks, dependency errors.
//! Active rooms are counted from Postgres at scrape time, so every node reports the same.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use std::sync::LazyLock;

pub(crate) struct Metrics {
    registry: Registry,
    pub sockets: IntGauge,
    pub active_rooms: IntGauge,
    pub events: IntCounterVec,
    pub action_seconds: HistogramVec,
    pub ai_seconds: HistogramVec,
    pub ai_questions: IntCounterVec,
    pub dependency_errors: IntCounterVec,
    pub commit_group_size: Histogram,
    /// Ballots written by one `cast_ballots` call (`polls::ballot_box`).
    pub ballot_group_size: Histogram,
    /// Time of each step of a room batch: `swap` (Redis), `commit` (Postgres, including the
    /// wait for a group), `publish` (local delivery and the cross-node outbox).
    pub batch_step_seconds: HistogramVec,
    /// Actions queued to a room's worker on this node and not yet taken into a batch.
    pub room_queue: IntGauge,
    /// Pub/sub messages (and their payload bytes) this node received from Redis, by kind of
    /// channel: `request`, `response`, `control`, `room` (`store::pubsub`).
    pub pubsub_messages: IntCounterVec,
    pub pubsub_bytes: IntCounterVec,
    /// Room and poll channels this node is subscribed to (`gateway::fanout`).
    pub pubsub_room_channels: IntGauge,
}

/// Latency buckets from 1 ms to 10 s: actions sit at the low end, the AI at the high end.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new_custom(Some("voting_game".into()), None)?;
    let sockets = IntGauge::new("connected_sockets", "Socket.IO connections on this node")?;
    let active_rooms = IntGauge::new("active_rooms", "Open rooms in the lobby or playing")?;
    let events = IntCounterVec::new(
        Opts::new("events_total", "Socket.IO events, by direction and name"),
        &["direction", "event"],
    )?;
    let action_seconds = HistogramVec::new(
        HistogramOpts::new("action_seconds", "Time to handle a client action, by event")
            .buckets(BUCKETS.to_vec()),
        &["action"],
    )?;
    let ai_seconds = HistogramVec::new(
        HistogramOpts::new(
            "ai_question_seconds",
            "Time the AI took to answer, by outcome",
        )
        .buckets(BUCKETS.to_vec()),
        &["outcome"],
    )?;
    let ai_questions = IntCounterVec::new(
        Opts::new(
            "questions_total",
            "Questions served, by source (ai, bank_fallback, bank)",
        ),
        &["source"],
    )?;
    let dependency_errors = IntCounterVec::new(
        Opts::new(
            "dependency_errors_total",
            "Failed calls to a backing service",
        ),
        &["dependency"],
    )?;
    let commit_group_size = Histogram::with_opts(
        HistogramOpts::new(
            "commit_group_actions",
            "Room actions written by one Postgres commit (group commit)",
        )
        .buckets(vec![
            1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0,
        ]),
    )?;
    registry.register(Box::new(commit_group_size.clone()))?;
    let ballot_group_size = Histogram::with_opts(
        HistogramOpts::new(
            "ballot_group_ballots",
            "Poll ballots written by one Postgres commit (group commit)",
        )
        .buckets(vec![
            1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0,
        ]),
    )?;
    registry.register(Box::new(ballot_group_size.clone()))?;
    let batch_step_seconds = HistogramVec::new(
        HistogramOpts::new(
            "batch_step_seconds",
            "Time of each step of a room's batch of actions: swap, commit, publish",
        )
        .buckets(vec![
            0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0,
        ]),
        &["step"],
    )?;
    registry.register(Box::new(batch_step_seconds.clone()))?;
    let room_queue = IntGauge::new(
        "room_queue_actions",
        "Actions waiting in this node's room queues for their batch",
    )?;
    registry.register(Box::new(room_queue.clone()))?;
    let pubsub_messages = IntCounterVec::new(
        Opts::new(
            "pubsub_received_messages_total",
            "Pub/sub messages received from Redis, by kind of channel",
        ),
        &["channel"],
    )?;
    registry.register(Box::new(pubsub_messages.clone()))?;
    let pubsub_bytes = IntCounterVec::new(
        Opts::new(
            "pubsub_received_bytes_total",
            "Payload bytes of the pub/sub messages received from Redis, by kind of channel",
        ),
        &["channel"],
    )?;
    registry.register(Box::new(pubsub_bytes.clone()))?;
    let pubsub_room_channels = IntGauge::new(
        "pubsub_room_channels",
        "Room and poll channels this node is subscribed to",
    )?;
    registry.register(Box::new(pubsub_room_channels.clone()))?;
    registry.register(Box::new(sockets.clone()))?;
    registry.register(Box::new(active_rooms.clone()))?;
    registry.register(Box::new(events.clone()))?;
    registry.register(Box::new(action_seconds.clone()))?;
    registry.register(Box::new(ai_seconds.clone()))?;
    registry.register(Box::new(ai_questions.clone()))?;
    registry.register(Box::new(dependency_errors.clone()))?;
    Ok(Metrics {
        registry,
        sockets,
        active_rooms,
        events,
        action_seconds,
        ai_seconds,
        ai_questions,
        dependency_errors,
        commit_group_size,
        ballot_group_size,
        batch_step_seconds,
        room_queue,
        pubsub_messages,
        pubsub_bytes,
        pubsub_room_channels,
    })
}

/// Registration fails only on an invalid or duplicate name, which are constants here (and
/// checked by the test below): a programming error, not something a client can cause.
pub(crate) static METRICS: LazyLock<Metrics> =
    LazyLock::new(|| build().expect("constant metric definitions are valid"));

pub(crate) fn dependency_error(dependency: &str) {
    METRICS
        .dependency_errors
        .with_label_values(&[dependency])
        .inc();
}

pub(crate) fn event(direction: &str, name: &str) {
    METRICS.events.with_label_values(&[direction, name]).inc();
}

/// The text exposition format.
pub(crate) fn render() -> String {
    let mut buf = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&METRICS.registry.gather(), &mut buf) {
        tracing::warn!(error = %e, "metrics encoding failed");
    }
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_metric_registers_and_renders() {
        let m = super::build().expect("metrics build");
        m.sockets.set(3);
        m.events.with_label_values(&["in", "submit_vote"]).inc();
        let mut buf = Vec::new();
        prometheus::Encoder::encode(
            &prometheus::TextEncoder::new(),
            &m.registry.gather(),
            &mut buf,
        )
        .expect("encode");
        let text = String::from_utf8(buf).expect("utf8");
        assert!(text.contains("voting_game_connected_sockets 3"));
        assert!(
            text.contains("voting_game_events_total{direction=\"in\",event=\"submit_vote\"} 1")
        );
    }
}
