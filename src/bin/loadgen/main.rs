//! `loadgen`: plays the voting game against a server the way browsers do (Socket.IO v5 over
//! WebSocket, one connection per player) with R rooms of P players, and reports how fast votes
//! reach the room: vote→update latency (HDR histogram from each vote's *scheduled* send time),
//! votes/s, updates/s, exactly-once delivery, connect rate, round-start time and server RSS.

mod eio;
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
    /// Password of the generated accounts.
    #[arg(long, default_value = "loadgen-password")]
    password: String,
}

struct Player {
    token: String,
}

/// What one player's socket has seen, shared with its room's driver.
#[derive(Default)]
struct Seen {
    events: HashMap<String, Vec<Value>>,
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
    let total = args.rooms * args.players;
    eprintln!("registering {total} players…");
    let run = Uuid::new_v4().simple().to_string();
    let players: Vec<Option<Player>> = futures::stream::iter(0..total)
        .map(|i| account(&http, &base, &run, i, &args.password, &stats))
        .buffered(16)
        .collect()
        .await;
    let players: Vec<Player> = players.into_iter().flatten().collect();
    if players.len() < total {
        eprintln!("only {} of {total} accounts could be made", players.len());
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
                    match eio::connect(server, source, &p.token).await {
                        Ok((client, events)) => {
                            Stats::record(&stats.connect_latency, t.elapsed());
                            stats.connections.fetch_add(1, Ordering::Relaxed);
                            Some(seat(client, events, Arc::clone(&stats)))
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
    let report = stats::report(
        &stats,
        &args.scenario,
        started.elapsed(),
        voting,
        connect_window,
        rss,
    );
    eprintln!();
    println!("{}", stats::table(&report));
    if let Some(path) = &args.json
        && let Err(e) = std::fs::write(
            path,
            serde_json::to_string_pretty(&report).unwrap_or_default(),
        )
    {
        eprintln!("could not write {}: {e}", path.display());
    }
    let clean =
        report["errors"] == 0 && report["lost_updates"] == 0 && report["duplicated_updates"] == 0;
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
    let res = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .ok()?;
    let v: Value = res.json().await.ok()?;
    Some(Player {
        token: v["access_token"].as_str()?.to_string(),
    })
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

fn seat(
    client: eio::Client,
    mut events: tokio::sync::mpsc::UnboundedReceiver<eio::Incoming>,
    stats: Arc<Stats>,
) -> Seat {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let notify = Arc::new(Notify::new());
    let (seen2, notify2) = (Arc::clone(&seen), Arc::clone(&notify));
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            if let Ok(mut s) = seen2.lock() {
                if ev.name == "vote_update" {
                    stats.updates.fetch_add(1, Ordering::Relaxed);
                    let answer = ev.payload["answer_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    if let Some((want, sent)) = &s.pending
                        && *want == answer
                    {
                        Stats::record(&stats.vote_latency, ev.at.saturating_duration_since(*sent));
                        s.pending = None;
                    }
                    *s.updates.entry(answer).or_default() += 1;
                } else {
                    s.events.entry(ev.name).or_default().push(ev.payload);
                }
            }
            notify2.notify_waiters();
        }
    });
    Seat {
        client,
        seen,
        notify,
    }
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
async fn wait_event(
    seat: &Seat,
    name: &str,
    pred: impl Fn(&Value) -> bool,
) -> Result<Value, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let notified = seat.notify.notified();
        if let Some(v) = seat.seen.lock().ok().and_then(|s| {
            s.events
                .get(name)
                .and_then(|l| l.iter().find(|v| pred(v)).cloned())
        }) {
            return Ok(v);
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
            wait_event(s, "voting_started", |v| v["round_id"] == round_id.as_str()).await?;
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
            wait_event(s, "round_ended", |v| v["round_id"] == round_id.as_str()).await?;
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
                wait_event(s, "game_ended", |_| true).await?;
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
