//! The sender: a task on every node that leases due deliveries from the outbox (`db::webhooks::
//! claim`: of each webhook only its oldest pending one, so events arrive in order), POSTs them
//! signed, and records each attempt. A failure is retried after a backoff that doubles from
//! `WEBHOOK_RETRY_BASE_MS` up to `WEBHOOK_RETRY_MAX_SECONDS`, with ±25 % jitter so receivers
//! coming back are not hit by every sender at once; a delivery still failing
//! `WEBHOOK_MAX_AGE_SECONDS` after its event is given up and the webhook's next one goes.
//!
//! At least once: a node that dies mid-attempt leaves a lease that runs out, and another node
//! (or the restarted one) sends the delivery again under the same `X-VG-Delivery` id, which is
//! what receivers dedupe by.

use rand::Rng;
use serde_json::json;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

use super::{Webhooks, guard, sign};
use crate::db::webhooks::{self as db, Attempt, Claimed};

/// How often each node looks for due deliveries.
const PERIOD: Duration = Duration::from_millis(200);
/// Deliveries in flight at once per node (each of a different webhook).
const SLOTS: usize = 16;
/// Finished deliveries are kept this long (then pruned), and pruning runs this often.
const KEEP: Duration = Duration::from_secs(7 * 86_400);
const PRUNE_EVERY: u32 = 18_000; // periods: an hour

pub(crate) fn spawn(hooks: Arc<Webhooks>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PERIOD);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks: u32 = 0;
        // Attempts in flight on this node: each holds a slot until it is recorded, and a tick
        // claims only as many as are free, so one receiver that hangs until the timeout holds
        // one slot, not every other webhook's deliveries behind it.
        let slots = Arc::new(tokio::sync::Semaphore::new(SLOTS));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => {}
            }
            ticks = ticks.wrapping_add(1);
            if ticks.is_multiple_of(PRUNE_EVERY)
                && let Err(e) = db::prune(&hooks.db, KEEP).await
            {
                tracing::debug!(error = %e, "could not prune webhook deliveries");
            }
            if let Err(e) = hooks.send_due(&slots).await {
                tracing::debug!(error = %e, "webhook deliveries not claimed");
            }
        }
    });
}

impl Webhooks {
    /// The lease of a claimed delivery: the attempt's timeout, and room to record it.
    fn lease(&self) -> Duration {
        self.settings.timeout * 2 + Duration::from_secs(10)
    }

    /// Starts what is due now, as many as `slots` has free; returns how many were started.
    /// Each attempt runs on its own and frees its slot once recorded. One cut short by a
    /// shutdown loses its record only: its lease runs out and it is sent again (at least once).
    pub(crate) async fn send_due(
        self: &Arc<Self>,
        slots: &Arc<tokio::sync::Semaphore>,
    ) -> Result<usize, crate::db::DbError> {
        let free = slots.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let claimed = db::claim(&self.db, self.lease(), i64::try_from(free).unwrap_or(1)).await?;
        let n = claimed.len();
        for d in claimed {
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                // Not reachable (only this task takes slots); the lease sends it later.
                break;
            };
            let hooks = Arc::clone(self);
            tokio::spawn(async move {
                hooks.attempt(d).await;
                drop(slot);
            });
        }
        Ok(n)
    }

    async fn attempt(&self, mut d: Claimed) {
        if d.event == db::GAME_ENDED && d.payload["game"].get("final_scores").is_none() {
            self.complete_game(&mut d).await;
        }
        let started = Instant::now();
        let (status, error) = self.post(&d).await;
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        let outcome = Attempt {
            status,
            error,
            took: started.elapsed(),
            delivered,
            retry_in: self.backoff(d.attempts),
        };
        match db::record(&self.db, &d, &outcome, self.settings.max_age).await {
            Ok(state) if state == "failed" => {
                tracing::info!(delivery = %d.id, webhook = %d.webhook_id, "webhook delivery given up");
            }
            Ok(_) => {}
            // Not recorded: its lease runs out and it is sent again (at least once).
            Err(e) => tracing::warn!(error = %e, delivery = %d.id, "webhook attempt not recorded"),
        }
    }

    /// `game_ended` is enqueued by the group commit with the game's id only; its results (the
    /// game's record, as its export has it) are added before the first attempt and kept, so
    /// every attempt sends the same body.
    async fn complete_game(&self, d: &mut Claimed) {
        let Some(id) = d.payload["game"]["id"]
            .as_str()
            .and_then(|s| s.parse::<uuid::Uuid>().ok())
        else {
            return;
        };
        match crate::game::history::results(&self.db, id).await {
            Ok(Some(game)) => {
                let Ok(game) = serde_json::to_value(&game) else {
                    return;
                };
                let payload = json!({ "game": game });
                if db::set_payload(&self.db, d.id, &payload).await.is_ok() {
                    d.payload = payload;
                }
            }
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "a game's results for its webhook"),
        }
    }

    /// One POST: the answer's status, or why there was none.
    async fn post(&self, d: &Claimed) -> (Option<u16>, Option<String>) {
        let url = match guard::parse(&d.url)
            .and_then(|u| guard::check_literal(&u, self.settings.allow_private).map(|()| u))
        {
            Ok(u) => u,
            Err(r) => return (None, Some(r.0)),
        };
        let body = json!({
            "id": d.id,
            "event": d.event,
            "created_at": d.created_at,
            "data": d.payload,
        })
        .to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("x-vg-event", &d.event)
            .header("x-vg-delivery", d.id.to_string())
            .header("x-vg-attempt", d.attempts.to_string())
            .header("x-vg-timestamp", timestamp.to_string())
            .header(
                "x-vg-signature",
                sign::signature(&d.secret, timestamp, body.as_bytes()),
            )
            .body(body)
            .send()
            .await;
        match sent {
            Ok(res) => (Some(res.status().as_u16()), None),
            Err(e) => (None, Some(describe(&e))),
        }
    }

    /// The wait after the `attempts`-th failed attempt.
    fn backoff(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        let wait = self
            .settings
            .retry_base
            .saturating_mul(1u32 << doublings)
            .min(self.settings.retry_max);
        wait.mul_f64(rand::rng().random_range(0.75..1.25))
    }
}

/// An error without an answer, said briefly (with its cause: "connection refused", the guard's
/// refusal), for the delivery log.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirect not followed"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    let text = if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {cause}")
    };
    text.chars().take(300).collect()
}
