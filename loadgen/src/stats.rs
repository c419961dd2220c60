//! What a run measured, shared by every task: HDR histograms (so queueing delay shows in the
//! tail) and counters, turned into the JSON report and the table at the end.

use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::sync::{
    Mutex,
    atomic::{AtomicU64, Ordering},
};
use std::time::Duration;

pub(crate) struct Stats {
    /// Scheduled vote send time → the voter's matching `vote_update`, in microseconds.
    pub vote_latency: Mutex<Histogram<u64>>,
    /// TCP connect start → Socket.IO connected, in microseconds.
    pub connect_latency: Mutex<Histogram<u64>>,
    /// `start_game` / `next_round` ack time, in microseconds.
    pub round_start: Mutex<Histogram<u64>>,
    pub votes: AtomicU64,
    pub updates: AtomicU64,
    pub lost: AtomicU64,
    pub duplicated: AtomicU64,
    pub errors: AtomicU64,
    pub connections: AtomicU64,
    pub games: AtomicU64,
    pub first_error: Mutex<Option<String>>,
}

fn histogram() -> Mutex<Histogram<u64>> {
    // 1 µs to 60 s at 3 significant digits.
    Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds are valid"))
}

impl Stats {
    pub(crate) fn new() -> Self {
        Stats {
            vote_latency: histogram(),
            connect_latency: histogram(),
            round_start: histogram(),
            votes: AtomicU64::new(0),
            updates: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            duplicated: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            games: AtomicU64::new(0),
            first_error: Mutex::new(None),
        }
    }

    pub(crate) fn record(h: &Mutex<Histogram<u64>>, d: Duration) {
        if let Ok(mut h) = h.lock() {
            let _ = h.record(u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1));
        }
    }

    pub(crate) fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = self.first_error.lock()
            && first.is_none()
        {
            *first = Some(what);
        }
    }

    pub(crate) fn get(&self, c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

fn quantiles(h: &Mutex<Histogram<u64>>) -> Value {
    let Ok(h) = h.lock() else { return Value::Null };
    let ms = |v: u64| (v as f64) / 1000.0;
    json!({
        "count": h.len(),
        "p50_ms": ms(h.value_at_quantile(0.50)),
        "p99_ms": ms(h.value_at_quantile(0.99)),
        "p999_ms": ms(h.value_at_quantile(0.999)),
        "max_ms": ms(h.max()),
    })
}

pub(crate) fn report(
    stats: &Stats,
    scenario: &str,
    elapsed: Duration,
    voting: Duration,
    connect_window: Duration,
    rss: Option<(u64, u64)>,
) -> Value {
    let secs = voting.as_secs_f64().max(1e-9);
    let connections = stats.get(&stats.connections);
    json!({
        "scenario": scenario,
        "elapsed_s": elapsed.as_secs_f64(),
        "games_s": voting.as_secs_f64(),
        "votes": stats.get(&stats.votes),
        "updates_delivered": stats.get(&stats.updates),
        "votes_per_s": stats.get(&stats.votes) as f64 / secs,
        "updates_per_s": stats.get(&stats.updates) as f64 / secs,
        "vote_to_update": quantiles(&stats.vote_latency),
        "round_start": quantiles(&stats.round_start),
        "connections": connections,
        "connects_per_s": connections as f64 / connect_window.as_secs_f64().max(1e-9),
        "connect": quantiles(&stats.connect_latency),
        "games_finished": stats.get(&stats.games),
        "lost_updates": stats.get(&stats.lost),
        "duplicated_updates": stats.get(&stats.duplicated),
        "errors": stats.get(&stats.errors),
        "first_error": stats.first_error.lock().ok().and_then(|e| e.clone()),
        "server_rss_kb_per_connection": rss.map(|(before, after)| {
            (after.saturating_sub(before)) as f64 / connections.max(1) as f64
        }),
        "server_rss_kb": rss.map(|(_, after)| after),
    })
}

pub(crate) fn table(r: &Value) -> String {
    let q = |k: &str, f: &str| r[k][f].as_f64().map_or("-".into(), |v| format!("{v:.2}"));
    let mut out = String::new();
    out.push_str(&format!(
        "scenario            {}\n",
        r["scenario"].as_str().unwrap_or("")
    ));
    out.push_str(&format!(
        "connections         {}  ({:.0}/s, connect p99 {} ms)\n",
        r["connections"],
        r["connects_per_s"].as_f64().unwrap_or(0.0),
        q("connect", "p99_ms")
    ));
    out.push_str(&format!(
        "votes               {}  ({:.0}/s)\n",
        r["votes"],
        r["votes_per_s"].as_f64().unwrap_or(0.0)
    ));
    out.push_str(&format!(
        "updates delivered   {}  ({:.0}/s)\n",
        r["updates_delivered"],
        r["updates_per_s"].as_f64().unwrap_or(0.0)
    ));
    out.push_str(&format!(
        "vote→update ms      p50 {}  p99 {}  p99.9 {}  max {}\n",
        q("vote_to_update", "p50_ms"),
        q("vote_to_update", "p99_ms"),
        q("vote_to_update", "p999_ms"),
        q("vote_to_update", "max_ms")
    ));
    out.push_str(&format!(
        "round start ms      p50 {}  p99 {}\n",
        q("round_start", "p50_ms"),
        q("round_start", "p99_ms")
    ));
    out.push_str(&format!("games finished      {}\n", r["games_finished"]));
    out.push_str(&format!(
        "lost / duplicated   {} / {}\n",
        r["lost_updates"], r["duplicated_updates"]
    ));
    out.push_str(&format!(
        "errors              {}{}\n",
        r["errors"],
        r["first_error"]
            .as_str()
            .map(|e| format!("  (first: {e})"))
            .unwrap_or_default()
    ));
    if let Some(cpu) = r["cpu"].as_object() {
        let parts: Vec<String> = cpu
            .iter()
            .map(
                |(name, c)| match (c["cpu_s"].as_f64(), c["us_per_vote"].as_f64()) {
                    (Some(s), Some(us)) => format!("{name} {s:.2} s ({us:.0} µs/vote)"),
                    (Some(s), None) => format!("{name} {s:.2} s"),
                    _ => format!("{name} ?"),
                },
            )
            .collect();
        out.push_str(&format!("CPU over the games  {}\n", parts.join(", ")));
    }
    if let Some(kb) = r["server_rss_kb_per_connection"].as_f64() {
        out.push_str(&format!(
            "server RSS          {} KB total, {kb:.1} KB per connection\n",
            r["server_rss_kb"]
        ));
    }
    out
}
