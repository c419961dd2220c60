//! What the run shows while it goes (a progress line) and at its end (the table, the audience's
//! lines, the JSON report), and the server's memory read from /proc.

use serde_json::Value;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{cli::Args, stats::Stats};

pub(crate) fn spawn_progress(stats: Arc<Stats>, started: Instant) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            eprint!(
                "\r[{:>4}s] sockets {:>6}  votes {:>8}  updates {:>9}  games {:>5}  errors {:>4}   ",
                started.elapsed().as_secs(),
                stats.get(&stats.connections),
                stats.get(&stats.votes),
                stats.get(&stats.updates),
                stats.get(&stats.games),
                stats.get(&stats.errors),
            );
        }
    })
}

/// Resident set size of a process in KiB, from /proc.
pub(crate) fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Prints the table (and the audience's lines with `--audience`) and writes the JSON report
/// where `--json` says.
pub(crate) fn show(report: &Value, args: &Args) {
    println!("{}", crate::stats::table(report));
    if args.audience > 0 {
        let a = &report["audience"];
        let q = |f: &str| {
            a["vote_to_totals"][f]
                .as_f64()
                .map_or("-".into(), |v| format!("{v:.2}"))
        };
        println!(
            "audience            {} joined, {} votes ({} timed, {} after the round closed), errors {}\n\
             audience vote→totals ms  p50 {}  p99 {}  max {}\n\
             vote_totals         {} received, at most {} per member in one second",
            a["joined"],
            a["votes"],
            a["votes_timed"],
            a["late_votes"],
            a["errors"],
            q("p50_ms"),
            q("p99_ms"),
            q("max_ms"),
            a["vote_totals_received"],
            a["max_vote_totals_per_member_per_s"],
        );
    }
    if let Some(path) = &args.json
        && let Err(e) = std::fs::write(
            path,
            serde_json::to_string_pretty(report).unwrap_or_default(),
        )
    {
        eprintln!("could not write {}: {e}", path.display());
    }
}
