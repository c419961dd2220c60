//! `loadgen`: plays the voting game against a server the way browsers do (Socket.IO v5 over
//! WebSocket, one connection per player) with R rooms of P players, and reports how fast votes
//! reach the room: vote→update latency (HDR histogram from each vote's *scheduled* send time),
//! votes/s, updates/s, exactly-once delivery, connect rate, round-start time, server RSS and,
//! with `--cpu`, the CPU time of the processes behind the server per vote (`cpu.rs`).

mod audience;
mod cpu;
mod eio;
mod polls;
mod stats;

use clap::Parser;
use futures::{StreamExt, future::join_all};
use rand::Rng;
use serde_json::{Value, json};
use stats::Stats;
use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex, atomic::Ordering},
    time::{Duration, Instant},
};
use tokio::sync::Notify;
use uuid::Uuid;

/// The same allocator as the server, for the same reason: glibc's malloc spent the
/// generator's time clearing pages it had handed back to the kernel.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug, Clone)]
#[command(about = "Load generator for the voting-game server")]
struct Args {
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:8000")]
    server: SocketAddr,
    /// Rooms played at once.
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    /// Players per room (the first is the host).
    #[arg(long, default_value_t = 8)]
    players: usize,
    /// Rounds per game (1–20).
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Votes of a round are spread at random over this window (0: all at once).
    #[arg(long, default_value_t = 100)]
    vote_spread_ms: u64,
    /// Each room starts its game after a random delay up to this, so that rooms do not play
    /// in lockstep (a steady rather than a bursty load).
    #[arg(long, default_value_t = 0)]
    stagger_ms: u64,
    /// Pause between rounds, per room (sets the sustained vote rate).
    #[arg(long, default_value_t = 0)]
    round_pause_ms: u64,
    /// Only connect and join, then hold the connections this many seconds (idle capacity).
    #[arg(long)]
    idle_hold: Option<u64>,
    /// Server process id, to read its RSS from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Spread client connections over 127.0.0.1..=127.0.0.N source addresses.
    #[arg(long, default_value_t = 1)]
    sources: u8,
    /// Connections opened at once.
    #[arg(long, default_value_t = 256)]
    connect_concurrency: usize,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Scenario name in the report.
    #[arg(long, default_value = "full-rounds")]
    scenario: String,
    /// Keep the players' tokens in this file and reuse them on the next run (registering
    /// thousands of players is mostly password hashing, which is not what is measured).
    #[arg(long)]
    accounts: Option<std::path::PathBuf>,
    /// Password of the generated accounts.
    #[arg(long, default_value = "loadgen-password")]
    password: String,
    /// Only make (or reuse) the `--rooms` × `--players` accounts, save them to `--accounts`
    /// and exit: a comparison registers beforehand so that password hashing is not measured.
    #[arg(long)]
    register_only: bool,
    /// Measure the CPU time (user + system, from /proc) of this process and its descendants
    /// over the games only, and report it per vote: `--cpu server=1234 --cpu postgres=99`.
    #[arg(long = "cpu", value_name = "NAME=PID", value_parser = cpu::parse_target)]
    cpu: Vec<cpu::Target>,
    /// Where a vote's latency starts: its `scheduled` send time (the default: a generator
    /// that falls behind counts against the server, queueing is never hidden), or the moment
    /// it was `sent` (without the up-to-1 ms lateness of the generator's timer, for a light
    /// load where the generator is never behind).
    #[arg(long, value_enum, default_value_t = LatencyFrom::Scheduled)]
    latency_from: LatencyFrom,
    /// Audience members watching (and voting in) the first room (`audience.rs`).
    #[arg(long, default_value_t = 0)]
    audience: usize,
    /// `--scenario polls`: anonymous sockets watching the hot poll.
    #[arg(long, default_value_t = 5_000)]
    poll_subscribers: usize,
    /// `--scenario polls`: votes per second into the hot poll, all voters together (the
    /// voters are the `--rooms` × `--players` accounts).
    #[arg(long, default_value_t = 5_000.0)]
    poll_rate: f64,
    /// `--scenario polls`: seconds of voting.
    #[arg(long, default_value_t = 10)]
    poll_seconds: u64,
    /// `--scenario polls`: polls with ten votes each beside the hot one.
    #[arg(long, default_value_t = 1_000)]
    cold_polls: usize,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LatencyFrom {
    Scheduled,
    Sent,
}

impl LatencyFrom {
    fn name(self) -> &'static str {
        match self {
            LatencyFrom::Scheduled => "scheduled",
            LatencyFrom::Sent => "sent",
        }
    }
}

struct Player {
    token: String,
}

/// What one player's socket has seen, shared with its room's driver.
#[derive(Default)]
struct Seen {
    /// For each event waited on, the round ids it came with ("" for none). Only the ids:
    /// keeping whole payloads made the generator's memory (and page faults) grow per round.
    events: HashMap<String, Vec<String>>,
    /// vote_update count per answer id.
    updates: HashMap<String, u64>,
    /// The vote this player is waiting to see: (answer id, scheduled send time).
    pending: Option<(String, Instant)>,
}

struct Seat {
    client: eio::Client,
    seen: Arc<Mutex<Seen>>,
    notify: Arc<Notify>,
}

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
    let run = Uuid::new_v4().simple().to_string();
    let mut players = args
        .accounts
        .as_deref()
        .map(cached_players)
        .unwrap_or_default();
    players.truncate(total);
    let reused = players.len();
    let fresh: Vec<Option<Player>> = futures::stream::iter(reused..total)
        .map(|i| account(&http, &base, &run, i, &args.password, &stats))
        .buffered(16)
        .collect()
        .await;
    let fresh: Vec<Player> = fresh.into_iter().flatten().collect();
    if let Some(path) = &args.accounts {
        save_players(path, &fresh);
    }
    if reused > 0 {
        eprintln!("reused {reused} accounts from earlier runs");
    }
    players.extend(fresh);
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
        match create_room(&http, &base, &seats, &args).await {
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
    let mut tables = Vec::new();
    let mut n = 0usize;
    for (code, seats) in rooms {
        let mut pending = Vec::new();
        for p in seats {
            n += 1;
            let source = (args.sources > 1).then(|| {
                IpAddr::V4(Ipv4Addr::new(
                    127,
                    0,
                    0,
                    1 + (n % args.sources as usize) as u8,
                ))
            });
            pending.push((p, source));
        }
        tables.push((code, pending));
    }
    let progress = spawn_progress(Arc::clone(&stats), started);
    let semaphore = Arc::new(tokio::sync::Semaphore::new(args.connect_concurrency));
    let mut seated: Vec<(String, Vec<Seat>)> = Vec::new();
    let connects = tables.into_iter().map(|(code, pending)| {
        let stats = Arc::clone(&stats);
        let semaphore = Arc::clone(&semaphore);
        let server = args.server;
        async move {
            let seats = join_all(pending.into_iter().map(|(p, source)| {
                let stats = Arc::clone(&stats);
                let semaphore = Arc::clone(&semaphore);
                async move {
                    let _permit = semaphore.acquire().await.ok()?;
                    let t = Instant::now();
                    let (seen, notify, on_event) = listener(Arc::clone(&stats));
                    match eio::connect(server, source, &p.token, on_event).await {
                        Ok(client) => {
                            Stats::record(&stats.connect_latency, t.elapsed());
                            stats.connections.fetch_add(1, Ordering::Relaxed);
                            Some(Seat {
                                client,
                                seen,
                                notify,
                            })
                        }
                        Err(e) => {
                            stats.error(format!("connect: {e}"));
                            None
                        }
                    }
                }
            }))
            .await;
            (code, seats.into_iter().flatten().collect::<Vec<Seat>>())
        }
    });
    for r in join_all(connects).await {
        seated.push(r);
    }
    let connect_window = connect_start.elapsed();

    // 3. Everyone joins their room over the socket.
    join_all(seated.iter().flat_map(|(code, seats)| {
        let stats = Arc::clone(&stats);
        seats.iter().map(move |s| {
            let stats = Arc::clone(&stats);
            let code = code.clone();
            async move {
                if let Err(e) = ok(&s.client, "join_room", json!({"room_code": code})).await {
                    stats.error(e);
                }
            }
        })
    }))
    .await;

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
                .map(|(code, seats)| play_room(code, seats, &args, &stats)),
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
    println!("{}", stats::table(&report));
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
            serde_json::to_string_pretty(&report).unwrap_or_default(),
        )
    {
        eprintln!("could not write {}: {e}", path.display());
    }
    let clean = report["errors"] == 0
        && report["lost_updates"] == 0
        && report["duplicated_updates"] == 0
        && audience_stats.errors.load(Ordering::Relaxed) == 0;
    std::process::exit(if clean { 0 } else { 1 });
}

async fn account(
    http: &reqwest::Client,
    base: &str,
    run: &str,
    i: usize,
    password: &str,
    stats: &Stats,
) -> Option<Player> {
    let email = format!("lg-{run}-{i}@example.com");
    let body = json!({"email": email, "password": password, "display_name": format!("p{i}")});
    let res = http
        .post(format!("{base}/api/auth/register"))
        .json(&body)
        .send()
        .await;
    if !res.as_ref().is_ok_and(|r| r.status().is_success()) {
        stats.error(format!("register: {:?}", res.map(|r| r.status())));
        return None;
    }
    // A browser is signed in by the cookie that registering sets: take the token from it
    // rather than paying a second password hash for a login.
    let res = res.ok()?;
    let token = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("access_token="))
        .and_then(|c| c.split(';').next())
        .filter(|t| !t.is_empty())?
        .to_string();
    Some(Player { token })
}

/// Tokens younger than this are reused (the server's default lifetime is 24 h).
const TOKEN_REUSE_SECS: u64 = 20 * 3600;

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Players saved by earlier runs (`<unix time> <token>` per line), still fresh.
fn cached_players(path: &std::path::Path) -> Vec<Player> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(at, _)| {
            at.parse::<u64>()
                .is_ok_and(|at| now_secs().saturating_sub(at) < TOKEN_REUSE_SECS)
        })
        .map(|(_, token)| Player {
            token: token.to_string(),
        })
        .collect()
}

fn save_players(path: &std::path::Path, players: &[Player]) {
    use std::io::Write;
    let now = now_secs();
    let lines: String = players
        .iter()
        .map(|p| format!("{now} {}\n", p.token))
        .collect();
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(lines.as_bytes()));
    if let Err(e) = written {
        eprintln!("could not save accounts to {}: {e}", path.display());
    }
}

async fn create_room(
    http: &reqwest::Client,
    base: &str,
    seats: &[Player],
    args: &Args,
) -> Result<String, String> {
    let settings = json!({"settings": {"max_rounds": args.rounds.clamp(1, 20), "answer_seconds": 600,
        "vote_seconds": 600, "max_players": seats.len().max(2)}});
    let v: Value = http
        .post(format!("{base}/api/rooms"))
        .bearer_auth(&seats[0].token)
        .json(&settings)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    v["room"]["code"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("create room: {v}"))
}

/// The events `wait_event` is ever asked for.
const WAITED_ON: &[&str] = &["voting_started", "round_ended", "game_ended"];

/// What is kept of an event waited on.
#[derive(serde::Deserialize)]
struct Waited<'a> {
    #[serde(borrow, default)]
    round_id: Option<&'a str>,
}

/// The borrowed view of a `vote_update` that the hot path needs: which answer it counts.
#[derive(serde::Deserialize)]
struct VoteUpdate<'a> {
    #[serde(borrow)]
    answer_id: &'a str,
}

/// What a player's socket does with the events it receives: `vote_update`s are counted (and
/// timed against the player's own pending vote) without building a JSON tree; everything else
/// is kept for the room's driver to wait on.
fn listener(stats: Arc<Stats>) -> (Arc<Mutex<Seen>>, Arc<Notify>, eio::OnEvent) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let notify = Arc::new(Notify::new());
    let (seen2, notify2) = (Arc::clone(&seen), Arc::clone(&notify));
    let on_event: eio::OnEvent = Arc::new(move |body: &str, at: Instant| {
        if body.starts_with("[\"vote_update\"") {
            let Ok((_, update)) = serde_json::from_str::<(&str, VoteUpdate)>(body) else {
                stats.error(format!("unreadable vote_update: {body}"));
                return;
            };
            stats.updates.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut s) = seen2.lock() {
                if let Some((want, sent)) = &s.pending
                    && want == update.answer_id
                {
                    Stats::record(&stats.vote_latency, at.saturating_duration_since(*sent));
                    s.pending = None;
                }
                match s.updates.get_mut(update.answer_id) {
                    Some(n) => *n += 1,
                    None => {
                        s.updates.insert(update.answer_id.to_string(), 1);
                    }
                }
            }
            return;
        }
        // Only what a room's driver waits on is kept; the rest (answer_submitted, player
        // events…) is not even parsed.
        if !WAITED_ON.iter().any(|name| {
            body.strip_prefix("[\"")
                .and_then(|b| b.strip_prefix(name))
                .is_some_and(|b| b.starts_with('"'))
        }) {
            return;
        }
        match serde_json::from_str::<(&str, Waited)>(body) {
            Ok((name, waited)) => {
                if let Ok(mut s) = seen2.lock() {
                    s.events
                        .entry(name.to_string())
                        .or_default()
                        .push(waited.round_id.unwrap_or_default().to_string());
                }
                notify2.notify_waiters();
            }
            Err(e) => stats.error(format!("unreadable event ({e}): {body}")),
        }
    });
    (seen, notify, on_event)
}

async fn ok(client: &eio::Client, event: &str, payload: Value) -> Result<Value, String> {
    let ack = client.request(event, &payload).await?;
    if ack["ok"] == true {
        Ok(ack["data"].clone())
    } else {
        Err(format!("{event}: {ack}"))
    }
}

/// Waits until `seat` has seen an event `name` matching `pred`.
/// Waits until `seat` has seen an event `name` for round `round_id` ("" for any).
async fn wait_event(seat: &Seat, name: &str, round_id: &str) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let notified = seat.notify.notified();
        let seen = seat.seen.lock().ok().is_some_and(|s| {
            s.events
                .get(name)
                .is_some_and(|l| l.iter().any(|r| round_id.is_empty() || r == round_id))
        });
        if seen {
            return Ok(());
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return Err(format!("no {name} within 30 s"));
        }
    }
}

/// One whole game per room (a room hosts a single game).
async fn play_room(code: &str, seats: &[Seat], args: &Args, stats: &Stats) {
    if seats.len() < 2 {
        return;
    }
    if args.stagger_ms > 0 {
        let delay = rand::rng().random_range(0..args.stagger_ms);
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    match play_game(code, seats, args, stats).await {
        Ok(()) => {
            stats.games.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => stats.error(format!("room {code}: {e}")),
    }
}

async fn play_game(code: &str, seats: &[Seat], args: &Args, stats: &Stats) -> Result<(), String> {
    let host = &seats[0];
    let t = Instant::now();
    let mut round =
        ok(&host.client, "start_game", json!({"room_code": code})).await?["round"].clone();
    Stats::record(&stats.round_start, t.elapsed());
    loop {
        let round_id = round["id"].as_str().unwrap_or_default().to_string();
        // Everyone answers at once.
        let answers = join_all(seats.iter().enumerate().map(|(i, s)| {
            let round_id = round_id.clone();
            async move {
                ok(&s.client, "submit_answer", json!({"round_id": round_id, "room_code": code, "answer": format!("answer {i}")}))
                    .await
                    .map(|d| d["answer_id"].as_str().unwrap_or_default().to_string())
            }
        }))
        .await
        .into_iter()
        .collect::<Result<Vec<String>, String>>()?;
        for s in seats {
            wait_event(s, "voting_started", &round_id).await?;
        }
        // Each votes for the next player's answer at a random moment of the spread window.
        let votes = join_all(seats.iter().enumerate().map(|(i, s)| {
            let target = answers[(i + 1) % answers.len()].clone();
            let round_id = round_id.clone();
            let delay = if args.vote_spread_ms == 0 {
                0
            } else {
                rand::rng().random_range(0..args.vote_spread_ms)
            };
            async move {
                let scheduled = Instant::now() + Duration::from_millis(delay);
                if let Ok(mut seen) = s.seen.lock() {
                    seen.pending = Some((target.clone(), scheduled));
                }
                tokio::time::sleep_until(scheduled.into()).await;
                if args.latency_from == LatencyFrom::Sent
                    && let Ok(mut seen) = s.seen.lock()
                {
                    // The update cannot come before the vote is sent, so nothing is lost
                    // by restarting the clock here.
                    seen.pending = Some((target.clone(), Instant::now()));
                }
                ok(
                    &s.client,
                    "submit_vote",
                    json!({"round_id": round_id, "room_code": code, "answer_id": target}),
                )
                .await
            }
        }))
        .await;
        let mut acked = 0u64;
        for v in votes {
            v?;
            acked += 1;
        }
        stats.votes.fetch_add(acked, Ordering::Relaxed);
        for s in seats {
            wait_event(s, "round_ended", &round_id).await?;
        }
        // Exactly once: every member saw one update per vote of this round.
        let settle = Instant::now() + Duration::from_secs(2);
        for s in seats {
            loop {
                let got: u64 = s
                    .seen
                    .lock()
                    .map(|seen| {
                        answers
                            .iter()
                            .map(|a| seen.updates.get(a).copied().unwrap_or(0))
                            .sum()
                    })
                    .unwrap_or(0);
                if got >= acked || Instant::now() > settle {
                    if got < acked {
                        stats.lost.fetch_add(acked - got, Ordering::Relaxed);
                    } else if got > acked {
                        stats.duplicated.fetch_add(got - acked, Ordering::Relaxed);
                    }
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        if args.round_pause_ms > 0 {
            tokio::time::sleep(Duration::from_millis(args.round_pause_ms)).await;
        }
        let t = Instant::now();
        let next = ok(&host.client, "next_round", json!({"room_code": code})).await?;
        if next.get("final_leaderboard").is_some() {
            for s in seats {
                wait_event(s, "game_ended", "").await?;
            }
            return Ok(());
        }
        Stats::record(&stats.round_start, t.elapsed());
        round = next["round"].clone();
    }
}

fn spawn_progress(stats: Arc<Stats>, started: Instant) -> tokio::task::JoinHandle<()> {
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
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}
