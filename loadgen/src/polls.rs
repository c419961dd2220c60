//! The polls scenario (`--scenario polls`): one hot poll watched by `--poll-subscribers`
//! anonymous sockets and voted on by `--poll-voters` signed-in sockets at `--poll-rate` votes a
//! second in all (each vote changes the voter's choice, so every one moves the counts), beside
//! `--cold-polls` polls with ten votes each. Reports the vote rate, the vote-ack latency, how
//! long after the last ack every subscriber had the exact final counts, and the server's memory
//! per subscriber.

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

use crate::{cli::Args, eio, report::rss_kb};

/// What one subscriber saw last: the counts of its latest `poll_results` and when.
#[derive(Default)]
struct Last {
    counts: Option<Vec<i64>>,
    at: Option<Instant>,
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
) -> Result<Value, String> {
    let res = http
        .post(format!("{base}/api/polls"))
        .bearer_auth(token)
        .json(&json!({"question": format!("Poll {n}?"), "options": ["a", "b", "c", "d"]}))
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
    let hot = match create_poll(http, base, &owner, 0).await {
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
        match create_poll(http, base, author, n + 1).await {
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
    let subs = join_all((0..args.poll_subscribers).map(|_| {
        let semaphore = Arc::clone(&semaphore);
        let errors = Arc::clone(&errors);
        let hot_id = hot_id.clone();
        async move {
            let _permit = semaphore.acquire().await.ok()?;
            let last: Arc<Mutex<Last>> = Arc::default();
            let seen = Arc::clone(&last);
            let on_event: eio::OnEvent = Arc::new(move |body: &str, at: Instant| {
                if !body.starts_with("[\"poll_results\"") {
                    return;
                }
                if let Ok(Value::Array(a)) = serde_json::from_str::<Value>(body)
                    && let Some(counts) = a.get(1).and_then(counts_of)
                    && let Ok(mut l) = seen.lock()
                {
                    l.counts = Some(counts);
                    l.at = Some(at);
                }
            });
            match eio::connect(args.server, None, "", on_event).await {
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
    let voters = join_all(tokens.iter().map(|t| {
        let noop: eio::OnEvent = Arc::new(|_: &str, _: Instant| {});
        eio::connect(args.server, None, t, noop)
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
    let per_voter = args.poll_rate / voters.len().max(1) as f64;
    let gap = Duration::from_secs_f64(1.0 / per_voter.max(0.001));
    let run_for = Duration::from_secs(args.poll_seconds);
    let start = Instant::now();
    let last_ack = Arc::new(Mutex::new(start));
    let voter_count = voters.len().max(1);
    join_all(voters.iter().enumerate().map(|(i, v)| {
        let (latency, acked, errors, last_ack) = (
            Arc::clone(&latency),
            Arc::clone(&acked),
            Arc::clone(&errors),
            Arc::clone(&last_ack),
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
                let (poll, option) = match (k % 50 == 0).then(|| cold_left.pop()).flatten() {
                    Some(p) => (p["id"].clone(), p["options"][k % 4]["id"].clone()),
                    None => (
                        json!(hot_id),
                        hot_options[k % hot_options.len().max(1)].clone(),
                    ),
                };
                match v
                    .request(
                        "vote_poll",
                        &json!({"poll_id": poll, "option_ids": [option]}),
                    )
                    .await
                {
                    Ok(r) if r["ok"] == true => {
                        let took = scheduled.elapsed();
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
    let last_ack = last_ack.lock().map(|l| *l).unwrap_or(start);

    // The exact final counts, and when every subscriber had them.
    let final_counts = match http
        .get(format!("{base}/api/polls/{hot_id}/results"))
        .send()
        .await
    {
        Ok(r) => r.json::<Value>().await.ok().and_then(|v| counts_of(&v)),
        Err(_) => None,
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let (exact, slowest) = loop {
        let mut exact = 0usize;
        let mut slowest = Duration::ZERO;
        for (_, last) in &subs {
            if let Ok(l) = last.lock()
                && l.counts.is_some()
                && l.counts == final_counts
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
        "subscribers_exact": exact,
        "final_counts": final_counts,
        "all_exact_after_last_ack_ms": slowest.as_secs_f64() * 1000.0,
        "server_rss_kb_per_subscriber": rss_per_sub,
        "errors": errors.load(Ordering::Relaxed),
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
