//! The default scenario (`full-rounds`): each room's players connect, join and play one whole
//! game; every player answers, votes for the next player's answer at a random moment of the
//! vote window, and checks that it saw exactly one `vote_update` per vote.

use futures::future::join_all;
use rand::Rng;
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr},
    sync::{Arc, Mutex, atomic::Ordering},
    time::{Duration, Instant},
};
use tokio::sync::Notify;

use crate::{
    accounts::Player,
    cli::{Args, LatencyFrom},
    eio,
    stats::Stats,
};

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

pub(crate) struct Seat {
    pub(crate) client: eio::Client,
    seen: Arc<Mutex<Seen>>,
    notify: Arc<Notify>,
}

/// Connects every room's players (spread over `--sources` addresses, `--connect-concurrency`
/// at a time), as fast as the server takes them; the seats that could not connect are dropped.
pub(crate) async fn connect(
    args: &Args,
    rooms: Vec<(String, Vec<Player>)>,
    stats: &Arc<Stats>,
) -> Vec<(String, Vec<Seat>)> {
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
    let semaphore = Arc::new(tokio::sync::Semaphore::new(args.connect_concurrency));
    let mut seated: Vec<(String, Vec<Seat>)> = Vec::new();
    let connects = tables.into_iter().enumerate().map(|(i, (code, pending))| {
        let stats = Arc::clone(stats);
        let semaphore = Arc::clone(&semaphore);
        let server = args.socket_server(i);
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
    seated
}

/// Everyone joins their room over the socket.
pub(crate) async fn join(seated: &[(String, Vec<Seat>)], stats: &Arc<Stats>) {
    join_all(seated.iter().flat_map(|(code, seats)| {
        let stats = Arc::clone(stats);
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
}

pub(crate) async fn create_room(
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
pub(crate) async fn play_room(code: &str, seats: &[Seat], args: &Args, stats: &Stats) {
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
