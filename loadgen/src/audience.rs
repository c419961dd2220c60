//! The `--audience N` scenario: the rooms' players play as usual (their vote→update is the
//! main histogram) while N audience members per run watch the first room and vote. Each
//! audience member votes once per round, at a random moment of the vote window after it sees
//! `voting_started`, for a random answer, and times its vote until a coalesced `vote_totals`
//! counts it (an audience count at least the one its own acknowledgement reported). Also
//! reported: how many `vote_totals` one member got in any one second (the server promises at
//! most 10), and audience votes that came after the players had already closed the round.

use hdrhistogram::Histogram;
use rand::Rng;
use serde_json::{Value, json};
use std::{
    collections::VecDeque,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{accounts::Player, eio};

#[derive(Default)]
pub(crate) struct AudienceStats {
    pub joined: AtomicU64,
    pub votes: AtomicU64,
    pub counted: AtomicU64,
    /// Refused with `wrong_phase`: the players had all voted (the round ended) first.
    pub late: AtomicU64,
    pub totals: AtomicU64,
    pub errors: AtomicU64,
    /// Most `vote_totals` one member received within one second.
    pub max_per_second: AtomicUsize,
    pub first_error: Mutex<Option<String>>,
    latency: Mutex<Option<Histogram<u64>>>,
}

impl AudienceStats {
    fn error(&self, e: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut f) = self.first_error.lock()
            && f.is_none()
        {
            *f = Some(e);
        }
    }

    fn record(&self, d: Duration) {
        if let Ok(mut h) = self.latency.lock() {
            let h = h.get_or_insert_with(|| {
                Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds are valid")
            });
            let _ = h.record(u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1));
        }
    }

    pub(crate) fn report(&self, members: usize) -> Value {
        let q = self.latency.lock().ok().and_then(|h| {
            h.as_ref().map(|h| {
                let ms = |v: u64| (v as f64) / 1000.0;
                json!({"count": h.len(), "p50_ms": ms(h.value_at_quantile(0.5)),
                       "p99_ms": ms(h.value_at_quantile(0.99)), "max_ms": ms(h.max())})
            })
        });
        json!({
            "members": members,
            "joined": self.joined.load(Ordering::Relaxed),
            "votes": self.votes.load(Ordering::Relaxed),
            "votes_timed": self.counted.load(Ordering::Relaxed),
            "late_votes": self.late.load(Ordering::Relaxed),
            "vote_totals_received": self.totals.load(Ordering::Relaxed),
            "max_vote_totals_per_member_per_s": self.max_per_second.load(Ordering::Relaxed),
            "vote_to_totals": q,
            "errors": self.errors.load(Ordering::Relaxed),
            "first_error": self.first_error.lock().ok().and_then(|e| e.clone()),
        })
    }
}

/// One member's vote waiting to be seen in a `vote_totals`.
#[derive(Default)]
struct Pending {
    answer: String,
    sent: Option<Instant>,
    /// The audience count the vote's acknowledgement reported; `None` until it arrives.
    needed: Option<u64>,
    /// Counts of `answer` seen before the acknowledgement, with their arrival time.
    seen: Vec<(Instant, u64)>,
}

struct Member {
    client: OnceLock<eio::Client>,
    pending: Mutex<Option<Pending>>,
    recent: Mutex<VecDeque<Instant>>,
}

/// Connects and seats `players` as the audience of room `code`; they vote by themselves from
/// then on, until the returned clients are closed.
pub(crate) async fn seat(
    server: SocketAddr,
    sources: u8,
    concurrency: usize,
    code: &str,
    players: Vec<Player>,
    spread_ms: u64,
    stats: Arc<AudienceStats>,
) -> Vec<eio::Client> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let tasks = players.into_iter().enumerate().map(|(n, p)| {
        let semaphore = Arc::clone(&semaphore);
        let stats = Arc::clone(&stats);
        let code = code.to_string();
        async move {
            let _permit = semaphore.acquire().await.ok()?;
            let source = (sources > 1)
                .then(|| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (n % sources as usize) as u8)));
            let member = Arc::new(Member {
                client: OnceLock::new(),
                pending: Mutex::new(None),
                recent: Mutex::new(VecDeque::new()),
            });
            let on_event = listener(
                Arc::clone(&member),
                code.clone(),
                spread_ms,
                Arc::clone(&stats),
            );
            let client = match eio::connect(server, source, &p.token, on_event).await {
                Ok(c) => c,
                Err(e) => {
                    stats.error(format!("audience connect: {e}"));
                    return None;
                }
            };
            let _ = member.client.set(client.clone());
            match client
                .request("join_audience", &json!({"room_code": code}))
                .await
            {
                Ok(ack) if ack["ok"] == true => {
                    stats.joined.fetch_add(1, Ordering::Relaxed);
                }
                other => stats.error(format!("join_audience: {other:?}")),
            }
            Some(client)
        }
    });
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .flatten()
        .collect()
}

fn listener(
    member: Arc<Member>,
    code: String,
    spread_ms: u64,
    stats: Arc<AudienceStats>,
) -> eio::OnEvent {
    Arc::new(move |body: &str, at: Instant| {
        if body.starts_with("[\"vote_totals\"") {
            stats.totals.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut recent) = member.recent.lock() {
                recent.push_back(at);
                while recent
                    .front()
                    .is_some_and(|t| at.saturating_duration_since(*t) >= Duration::from_secs(1))
                {
                    recent.pop_front();
                }
                stats
                    .max_per_second
                    .fetch_max(recent.len(), Ordering::Relaxed);
            }
            let Ok((_, totals)) = serde_json::from_str::<(String, Value)>(body) else {
                return;
            };
            if let Ok(mut pending) = member.pending.lock()
                && let Some(p) = pending.as_mut()
            {
                let count = totals["answers"].as_array().and_then(|a| {
                    a.iter()
                        .find(|x| x["answer_id"].as_str() == Some(p.answer.as_str()))
                        .and_then(|x| x["audience_votes"].as_u64())
                });
                if let Some(count) = count {
                    match (p.needed, p.sent) {
                        (Some(needed), Some(sent)) if count >= needed => {
                            stats.record(at.saturating_duration_since(sent));
                            stats.counted.fetch_add(1, Ordering::Relaxed);
                            *pending = None;
                        }
                        _ => p.seen.push((at, count)),
                    }
                }
            }
            return;
        }
        if !body.starts_with("[\"voting_started\"") {
            return;
        }
        let Ok((_, started)) = serde_json::from_str::<(String, Value)>(body) else {
            return;
        };
        let answers: Vec<String> = started["answers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let round_id = started["round_id"].as_str().unwrap_or_default().to_string();
        if answers.is_empty() {
            return;
        }
        let (answer, delay) = {
            let mut rng = rand::rng();
            (
                answers[rng.random_range(0..answers.len())].clone(),
                rng.random_range(0..spread_ms.max(1)),
            )
        };
        let (member, stats, code) = (Arc::clone(&member), Arc::clone(&stats), code.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let Some(client) = member.client.get() else {
                return;
            };
            if let Ok(mut p) = member.pending.lock() {
                *p = Some(Pending {
                    answer: answer.clone(),
                    sent: Some(Instant::now()),
                    ..Pending::default()
                });
            }
            stats.votes.fetch_add(1, Ordering::Relaxed);
            let ack = client
                .request(
                    "audience_vote",
                    &json!({"round_id": round_id, "room_code": code, "answer_id": answer}),
                )
                .await;
            match ack {
                Ok(a) if a["ok"] == true => {
                    let needed = a["data"]["audience_votes"].as_u64().unwrap_or(u64::MAX);
                    if let Ok(mut pending) = member.pending.lock()
                        && let Some(p) = pending.as_mut()
                    {
                        p.needed = Some(needed);
                        let sent = p.sent.unwrap_or_else(Instant::now);
                        if let Some((at, _)) = p.seen.iter().find(|(_, c)| *c >= needed) {
                            stats.record(at.saturating_duration_since(sent));
                            stats.counted.fetch_add(1, Ordering::Relaxed);
                            *pending = None;
                        }
                    }
                }
                Ok(a) if a["error"]["code"] == "wrong_phase" => {
                    stats.late.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut p) = member.pending.lock() {
                        *p = None;
                    }
                }
                other => stats.error(format!("audience_vote: {other:?}")),
            }
        });
    })
}
