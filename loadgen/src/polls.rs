//! The polls scenario (`--scenario polls`): one hot poll watched by `--poll-subscribers`
//! anonymous sockets and voted on by `--poll-voters` signed-in sockets at `--poll-rate` votes a
//! second in all (each vote changes the voter's choice, so every one moves the counts), beside
//! `--cold-polls` polls with ten votes each. Reports the vote rate, the vote-ack latency, how
//! long after the last ack every subscriber had the exact final counts, the server's memory per
//! subscriber, and (`--cpu NAME=PID`) each process tree's CPU time per vote over the voting.
//! With `--poll-kind ranked` the hot poll is a ranked one: each vote is a new ranking, every
//! broadcast carries the instant runoff, and "exact" includes the runoff. Either way a sample of
//! subscribers (`PROBES`) keeps the arrival time of every `poll_results`, which gives each
//! vote's latency to the first update that arrived after its ack.

use futures::future::join_all;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{
    cli::{Args, PollKind},
    eio,
    report::rss_kb,
};

/// Subscribers that keep every update's arrival time (for the vote→update latency); a sample,
/// since each vote is compared with each probe's arrivals.
const PROBES: usize = 100;

/// What one subscriber saw last: its latest `poll_results` and when. Kept as it came and read
/// only at the end: parsing every update in every one of 5,000 subscribers cost the generator
/// about half of the two cores it shares with the server (a ranked poll's updates carry the
/// runoff), which then measured the generator rather than the server.
#[derive(Default)]
struct Last {
    body: Option<String>,
    at: Option<Instant>,
    /// Probes only: when each `poll_results` arrived.
    arrivals: Option<Vec<Instant>>,
}

fn counts_of(v: &Value) -> Option<Vec<i64>> {
    v["options"].as_array().map(|o| {
        o.iter()
            .map(|x| x["votes"].as_i64().unwrap_or(-1))
            .collect()
    })
}

async fn create_poll(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    n: usize,
    kind: PollKind,
) -> Result<Value, String> {
    let kind = match kind {
        PollKind::Choice => "choice",
        PollKind::Ranked => "ranked",
    };
    let res = http
        .post(format!("{base}/api/polls"))
        .bearer_auth(token)
        .json(
            &json!({"question": format!("Poll {n}?"), "options": ["a", "b", "c", "d"],
            "kind": kind}),
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| e.to_string())?;
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(format!(
            "{status}: start the server with RATE_LIMIT_POLLS_PER_ACCOUNT_PER_MINUTE raised \
             (scripts/bench.sh does): {body}"
        ));
    }
    if !status.is_success() {
        return Err(format!("{status}: {body}"));
    }
    Ok(body["poll"].clone())
}

pub(crate) async fn run(args: &Args, http: &reqwest::Client, base: &str, tokens: Vec<String>) {
    let errors = Arc::new(AtomicU64::new(0));
    let Some(owner) = tokens.first().cloned() else {
        eprintln!("no accounts");
        std::process::exit(1);
    };
    let hot = match create_poll(http, base, &owner, 0, args.poll_kind).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("could not create the hot poll: {e}");
            std::process::exit(1);
        }
    };
    let hot_id = hot["id"].as_str().unwrap_or_default().to_string();
    let hot_options: Vec<Value> = hot["options"]
        .as_array()
        .map(|o| o.iter().map(|x| x["id"].clone()).collect())
        .unwrap_or_default();
    // The cold polls come from every voter account in turn: polls created per account are
    // limited (`RATE_LIMIT_POLLS_PER_ACCOUNT_PER_MINUTE`), and a real site's polls have many
    // authors anyway.
    let mut cold = Vec::new();
    let mut first_error = None;
    for n in 0..args.cold_polls {
        let author = &tokens[(n + 1) % tokens.len()];
        match create_poll(http, base, author, n + 1, PollKind::Choice).await {
            Ok(p) => cold.push(p),
            Err(e) => {
                first_error.get_or_insert(e);
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    if let Some(e) = first_error {
        eprintln!(
            "{} of {} cold polls not created, the first: {e}",
            args.cold_polls - cold.len(),
            args.cold_polls
        );
    }

    // Subscribers: anonymous sockets (an empty token), each subscribed to the hot poll.
    let rss_before = args.server_pid.and_then(rss_kb);
    eprintln!("connecting {} subscribers…", args.poll_subscribers);
    let semaphore = Arc::new(tokio::sync::Semaphore::new(args.connect_concurrency));
    let subs = join_all((0..args.poll_subscribers).map(|i| {
        let semaphore = Arc::clone(&semaphore);
        let errors = Arc::clone(&errors);
        let hot_id = hot_id.clone();
        async move {
            let _permit = semaphore.acquire().await.ok()?;
            let last: Arc<Mutex<Last>> = Arc::new(Mutex::new(Last {
                arrivals: (i < PROBES).then(Vec::new),
                ..Last::default()
            }));
            let seen = Arc::clone(&last);
            let on_event: eio::OnEvent = Arc::new(move |body: &str, at: Instant| {
                if !body.starts_with("[\"poll_results\"") {
                    return;
                }
                if let Ok(mut l) = seen.lock() {
                    match &mut l.body {
                        Some(b) => {
                            b.clear();
                            b.push_str(body);
                        }
                        None => l.body = Some(body.to_owned()),
                    }
                    l.at = Some(at);
                    if let Some(arrivals) = &mut l.arrivals {
                        arrivals.push(at);
                    }
                }
            });
            match eio::connect(args.socket_server(i), None, "", on_event).await {
                Ok(c) => match c
                    .request("subscribe_poll", &json!({"poll_id": hot_id}))
                    .await
                {
                    Ok(v) if v["ok"] == true => Some((c, last)),
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        None
                    }
                },
                Err(_) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    None
                }
            }
        }
    }))
    .await;
    let subs: Vec<_> = subs.into_iter().flatten().collect();
    let rss_after = args.server_pid.and_then(rss_kb);

    // Voters: signed-in sockets.
    let voters = join_all(tokens.iter().enumerate().map(|(i, t)| {
        let noop: eio::OnEvent = Arc::new(|_: &str, _: Instant| {});
        eio::connect(args.socket_server(i), None, t, noop)
    }))
    .await;
    let voters: Vec<eio::Client> = voters.into_iter().flatten().collect();
    eprintln!(
        "{} subscribers, {} voters; voting…",
        subs.len(),
        voters.len()
    );

    let latency = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram"),
    ));
    let acked = Arc::new(AtomicU64::new(0));
    // Each acknowledged hot-poll vote: when it was due and when its ack came.
    let hot_acks: Arc<Mutex<Vec<(Instant, Instant)>>> = Arc::default();
    let per_voter = args.poll_rate / voters.len().max(1) as f64;
    let gap = Duration::from_secs_f64(1.0 / per_voter.max(0.001));
    let run_for = Duration::from_secs(args.poll_seconds);
    // `--cpu`: the CPU time of the server, Postgres, Redis… over the voting only.
    let meter = crate::cpu::Meter::new(args.cpu.clone());
    let cpu_before = meter.snapshot();
    let start = Instant::now();
    let last_ack = Arc::new(Mutex::new(start));
    let voter_count = voters.len().max(1);
    join_all(voters.iter().enumerate().map(|(i, v)| {
        let (latency, acked, errors, last_ack, hot_acks) = (
            Arc::clone(&latency),
            Arc::clone(&acked),
            Arc::clone(&errors),
            Arc::clone(&last_ack),
            Arc::clone(&hot_acks),
        );
        let hot_id = hot_id.clone();
        let hot_options = hot_options.clone();
        let cold = &cold;
        async move {
            // Voters start spread over one gap, so the rate is even.
            let mut next = start + gap.mul_f64(i as f64 / voter_count as f64);
            let mut k = i;
            let mut cold_left: Vec<&Value> = if i < 10 {
                cold.iter().collect()
            } else {
                Vec::new()
            };
            while next < start + run_for {
                tokio::time::sleep_until(next.into()).await;
                let scheduled = next;
                next += gap;
                k += 1;
                // One vote in fifty goes to a cold poll, while this voter has some left.
                let (poll, ballot, hot) = match (k % 50 == 0).then(|| cold_left.pop()).flatten() {
                    Some(p) => (
                        p["id"].clone(),
                        vec![p["options"][k % 4]["id"].clone()],
                        false,
                    ),
                    None => (
                        json!(hot_id),
                        hot_ballot(args.poll_kind, &hot_options, k),
                        true,
                    ),
                };
                match v
                    .request("vote_poll", &json!({"poll_id": poll, "option_ids": ballot}))
                    .await
                {
                    Ok(r) if r["ok"] == true => {
                        let took = scheduled.elapsed();
                        if hot && let Ok(mut a) = hot_acks.lock() {
                            a.push((scheduled, Instant::now()));
                        }
                        if let Ok(mut h) = latency.lock() {
                            let _ = h.record(took.as_micros().max(1) as u64);
                        }
                        acked.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut l) = last_ack.lock() {
                            *l = (*l).max(Instant::now());
                        }
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }))
    .await;
    let voting = start.elapsed();
    let cpu_after = meter.snapshot();
    let last_ack = last_ack.lock().map(|l| *l).unwrap_or(start);

    // The exact final counts, and when every subscriber had them.
    let final_results = match http
        .get(format!("{base}/api/polls/{hot_id}/results"))
        .send()
        .await
    {
        Ok(r) => r.json::<Value>().await.ok(),
        Err(_) => None,
    };
    let final_counts = final_results.as_ref().and_then(counts_of);
    let final_runoff = final_results
        .as_ref()
        .and_then(|r| r.get("runoff"))
        .cloned();
    let deadline = Instant::now() + Duration::from_secs(5);
    let (exact, slowest) = loop {
        let mut exact = 0usize;
        let mut slowest = Duration::ZERO;
        for (_, last) in &subs {
            if let Ok(l) = last.lock()
                && let Some(Ok(Value::Array(a))) =
                    l.body.as_deref().map(serde_json::from_str::<Value>)
                && let Some(results) = a.get(1)
                && counts_of(results).is_some()
                && counts_of(results) == final_counts
                && results.get("runoff") == final_runoff.as_ref()
            {
                exact += 1;
                if let Some(at) = l.at {
                    slowest = slowest.max(at.saturating_duration_since(last_ack));
                }
            }
        }
        if exact == subs.len() || Instant::now() > deadline {
            break (exact, slowest);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for (c, _) in &subs {
        c.close();
    }
    for v in &voters {
        v.close();
    }
    let h = latency.lock().map(|h| h.clone()).ok();
    let q = |p: f64| {
        h.as_ref()
            .map_or(0.0, |h| h.value_at_quantile(p) as f64 / 1000.0)
    };
    let votes = acked.load(Ordering::Relaxed);
    let update = update_latency(
        &hot_acks.lock().map(|a| a.clone()).unwrap_or_default(),
        &subs,
    );
    let uq = |p: f64| {
        update
            .as_ref()
            .map_or(0.0, |h| h.value_at_quantile(p) as f64 / 1000.0)
    };
    let rss_per_sub = match (rss_before, rss_after) {
        (Some(b), Some(a)) if !subs.is_empty() => {
            Some((a.saturating_sub(b)) as f64 / subs.len() as f64)
        }
        _ => None,
    };
    let report = json!({
        "scenario": args.scenario,
        "subscribers": subs.len(),
        "voters": voters.len(),
        "cold_polls": cold.len(),
        "votes": votes,
        "votes_per_s": votes as f64 / voting.as_secs_f64().max(0.001),
        "ack_p50_ms": q(0.5),
        "ack_p99_ms": q(0.99),
        "ack_max_ms": q(1.0),
        "poll_kind": format!("{:?}", args.poll_kind).to_lowercase(),
        "vote_to_update_p50_ms": uq(0.5),
        "vote_to_update_p99_ms": uq(0.99),
        "vote_to_update_max_ms": uq(1.0),
        "update_probes": subs.len().min(PROBES),
        "final_runoff_rounds": final_runoff
            .as_ref()
            .and_then(|r| r["rounds"].as_array())
            .map(|r| r.len()),
        "subscribers_exact": exact,
        "final_counts": final_counts,
        "all_exact_after_last_ack_ms": slowest.as_secs_f64() * 1000.0,
        "server_rss_kb_per_subscriber": rss_per_sub,
        "errors": errors.load(Ordering::Relaxed),
        "cpu": meter.report(&cpu_before, &cpu_after, votes),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    if let Some(path) = &args.json {
        let _ = std::fs::write(
            path,
            serde_json::to_string_pretty(&report).unwrap_or_default(),
        );
    }
    let ok = report["errors"] == 0 && exact == subs.len();
    std::process::exit(if ok { 0 } else { 1 });
}

/// A hot-poll ballot: the `k`th vote's choice, so that consecutive votes of one voter differ.
/// A ranked ballot ranks that option first, then some of the others in an order that also
/// varies with `k` (1 to all options), as a crowd's rankings do.
fn hot_ballot(kind: PollKind, options: &[Value], k: usize) -> Vec<Value> {
    let n = options.len().max(1);
    let first = options.get(k % n).cloned().unwrap_or_default();
    match kind {
        PollKind::Choice => vec![first],
        PollKind::Ranked => {
            let len = 1 + (k / n) % n;
            let rest = (1..n).map(|i| (k % n + i * (1 + k / (n * n) % (n - 1).max(1))) % n);
            let mut ballot = vec![first];
            for i in rest {
                if ballot.len() == len {
                    break;
                }
                if let Some(o) = options.get(i)
                    && !ballot.contains(o)
                {
                    ballot.push(o.clone());
                }
            }
            ballot
        }
    }
}

/// For every acknowledged hot-poll vote and every probe subscriber: the time from the vote's
/// due time to the first `poll_results` that probe received after the ack. (The update that
/// follows an ack carries the vote, as the counts are added before the ack and a broadcast
/// reads them when it is sent; one already on the wire as the ack came may not, so this can
/// read up to one broadcast's travel short.)
fn update_latency(
    acks: &[(Instant, Instant)],
    subs: &[(eio::Client, Arc<Mutex<Last>>)],
) -> Option<Histogram<u64>> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).ok()?;
    for (_, last) in subs.iter().take(PROBES) {
        let Ok(l) = last.lock() else { continue };
        let Some(arrivals) = &l.arrivals else {
            continue;
        };
        for (due, acked) in acks {
            let i = arrivals.partition_point(|t| t <= acked);
            if let Some(t) = arrivals.get(i) {
                let _ = h.record(t.saturating_duration_since(*due).as_micros().max(1) as u64);
            }
        }
    }
    (!h.is_empty()).then_some(h)
}
