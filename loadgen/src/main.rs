//! `loadgen`: plays the voting game against a server the way browsers do (Socket.IO v5 over
//! WebSocket, one connection per player) with R rooms of P players, and reports how fast votes
//! reach the room: vote→update latency (HDR histogram from each vote's *scheduled* send time),
//! votes/s, updates/s, exactly-once delivery, connect rate, round-start time, server RSS and,
//! with `--cpu`, the CPU time of the processes behind the server per vote (`cpu.rs`).
//!
//! This file is the run's steps; the options are in `cli.rs`, the accounts in `accounts.rs`,
//! the scenarios in `rooms.rs` (the default), `audience.rs` and `polls.rs`, and what is shown
//! in `report.rs` and `stats.rs`.

mod accounts;
mod audience;
mod cli;
mod cpu;
mod eio;
mod polls;
mod report;
mod rooms;
mod stats;

use clap::Parser;
use futures::future::join_all;
use serde_json::json;
use stats::Stats;
use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use accounts::Player;
use cli::Args;
use report::{rss_kb, spawn_progress};

/// The same allocator as the server, for the same reason: glibc's malloc spent the
/// generator's time clearing pages it had handed back to the kernel.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let stats = Arc::new(Stats::new());
    let started = Instant::now();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_default();
    let base = format!("http://{}", args.server);

    // 1. Accounts and rooms over REST.
    let total = args.rooms * args.players + args.audience;
    eprintln!("registering {total} players…");
    let players = accounts::players(&args, &http, &base, total, &stats).await;
    if players.len() < total {
        eprintln!("only {} of {total} accounts could be made", players.len());
    }
    if args.register_only {
        eprintln!("{} accounts ready", players.len());
        std::process::exit(if players.len() < total { 1 } else { 0 });
    }
    if args.scenario == "polls" {
        let tokens = players.into_iter().map(|p| p.token).collect();
        polls::run(&args, &http, &base, tokens).await;
        return;
    }
    let mut rooms: Vec<(String, Vec<Player>)> = Vec::new();
    let mut iter = players.into_iter();
    for _ in 0..args.rooms {
        let seats: Vec<Player> = iter.by_ref().take(args.players).collect();
        if seats.len() < 2 {
            break;
        }
        match rooms::create_room(&http, &base, &seats, &args).await {
            Ok(code) => rooms.push((code, seats)),
            Err(e) => stats.error(e),
        }
    }

    // Whoever is left over watches the first room.
    let crowd: Vec<Player> = iter.collect();
    let audience_stats = Arc::new(audience::AudienceStats::default());

    // 2. Connections, as fast as the server takes them.
    let rss_before = args.server_pid.and_then(rss_kb);
    eprintln!(
        "connecting {} sockets…",
        rooms.iter().map(|r| r.1.len()).sum::<usize>()
    );
    let connect_start = Instant::now();
    let progress = spawn_progress(Arc::clone(&stats), started);
    let seated = rooms::connect(&args, rooms, &stats).await;
    let connect_window = connect_start.elapsed();

    // 3. Everyone joins their room over the socket.
    rooms::join(&seated, &stats).await;

    let mut watchers = Vec::new();
    if args.audience > 0
        && let Some((code, _)) = seated.first()
    {
        eprintln!("seating {} audience members…", crowd.len());
        watchers = audience::seat(
            args.server,
            args.sources,
            args.connect_concurrency,
            code,
            crowd,
            args.vote_spread_ms,
            Arc::clone(&audience_stats),
        )
        .await;
    }

    let meter = cpu::Meter::new(args.cpu.clone());
    let cpu_before = meter.snapshot();
    let voting_start = Instant::now();
    if let Some(hold) = args.idle_hold {
        eprintln!(
            "holding {} connections for {hold} s…",
            stats.get(&stats.connections)
        );
        tokio::time::sleep(Duration::from_secs(hold)).await;
    } else {
        join_all(
            seated
                .iter()
                .map(|(code, seats)| rooms::play_room(code, seats, &args, &stats)),
        )
        .await;
    }
    let voting = voting_start.elapsed();
    let cpu_after = meter.snapshot();
    let rss = args
        .server_pid
        .and_then(rss_kb)
        .map(|after| (rss_before.unwrap_or(after), after));
    progress.abort();
    for (_, seats) in &seated {
        for s in seats {
            s.client.close();
        }
    }
    for w in &watchers {
        w.close();
    }
    let mut report = stats::report(
        &stats,
        &args.scenario,
        started.elapsed(),
        voting,
        connect_window,
        rss,
    );
    report["rooms"] = json!(seated.len());
    report["players_per_room"] = json!(args.players);
    report["latency_from"] = json!(args.latency_from.name());
    report["cpu"] = meter.report(&cpu_before, &cpu_after, stats.get(&stats.votes));
    if args.audience > 0 {
        report["audience"] = audience_stats.report(args.audience);
    }
    eprintln!();
    report::show(&report, &args);
    let clean = report["errors"] == 0
        && report["lost_updates"] == 0
        && report["duplicated_updates"] == 0
        && audience_stats.errors.load(Ordering::Relaxed) == 0;
    std::process::exit(if clean { 0 } else { 1 });
}
