//! Abuse limits shared by both transports: token buckets per client IP and per user
//! (governor's GCRA limiters). They live in each process: several nodes multiply the budget by
//! the node count, which still bounds guessing to a small constant factor. The per-account
//! login limit, against password guessing, is cluster-wide instead (a GCRA in Redis, see
//! `AuthService::login`). Per-IP limits count the client's address as `client_ip` finds it
//! (behind trusted proxies), IPv6 by /64.

pub(crate) mod client_ip;
pub(crate) mod sockets;

use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    state::keyed::DefaultKeyedStateStore,
};
use std::{hash::Hash, net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};
use uuid::Uuid;

use crate::{
    config::{LimitSettings, TrustedProxies},
    error::Error,
};
use client_ip::bucket;
use sockets::SocketCaps;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

pub struct Limits {
    pub settings: LimitSettings,
    proxies: TrustedProxies,
    /// Open Socket.IO connections per user and per address, on this node.
    pub sockets: Arc<SocketCaps>,
    api: Keyed<IpAddr>,
    auth: Keyed<IpAddr>,
    joins: Keyed<Uuid>,
    /// Guest sign-ins per client IP: their own bucket, so a room of guests neither waits for
    /// nor eats into sign-ups and logins.
    guests: Keyed<IpAddr>,
    /// Room previews by code for visitors without a session, per client IP: they have no
    /// user to spend a join budget, so their address spends this one instead (see
    /// `game::lookups`).
    previews: Keyed<IpAddr>,
    /// New anonymous voter ids per client IP: minting one is as cheap as dropping a cookie, so
    /// without this one address could stuff an anonymous poll at the full request rate. It gets
    /// the registrations' budget (`RATE_LIMIT_AUTH_PER_MINUTE`, a new identity either way), in
    /// its own bucket so anonymous voting never eats into sign-ups.
    voter_ids: Keyed<IpAddr>,
    clock: DefaultClock,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(nz(n))
}

impl Limits {
    pub fn new(settings: LimitSettings, proxies: TrustedProxies) -> Self {
        Limits {
            settings,
            proxies,
            sockets: SocketCaps::new(settings.sockets_per_user, settings.sockets_per_ip),
            api: RateLimiter::keyed(
                Quota::per_second(nz(settings.api_per_second))
                    .allow_burst(nz(settings.api_per_second.saturating_mul(2))),
            ),
            auth: RateLimiter::keyed(per_minute(settings.auth_per_minute)),
            joins: RateLimiter::keyed(per_minute(settings.joins_per_minute)),
            guests: RateLimiter::keyed(per_minute(settings.guests_per_minute)),
            previews: RateLimiter::keyed(per_minute(settings.previews_per_minute)),
            voter_ids: RateLimiter::keyed(per_minute(settings.auth_per_minute)),
            clock: DefaultClock::default(),
        }
    }

    fn check<K: Hash + Eq + Clone>(&self, limiter: &Keyed<K>, key: &K) -> Result<(), Error> {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            Error::RateLimited {
                retry_after: wait.as_secs().max(1),
            }
        })
    }

    /// The client's address for a request or handshake from `peer` with these headers.
    pub fn client_ip(&self, peer: IpAddr, headers: &http::HeaderMap) -> IpAddr {
        client_ip::client_ip(&self.proxies, peer, headers)
    }

    pub fn api(&self, ip: IpAddr) -> Result<(), Error> {
        self.check(&self.api, &bucket(ip))
    }

    pub fn auth(&self, ip: IpAddr) -> Result<(), Error> {
        self.check(&self.auth, &bucket(ip))
    }

    pub fn guest(&self, ip: IpAddr) -> Result<(), Error> {
        self.check(&self.guests, &bucket(ip))
    }

    /// A room preview by code for a visitor without a session at `ip`.
    pub fn preview(&self, ip: IpAddr) -> Result<(), Error> {
        self.check(&self.previews, &bucket(ip))
    }

    pub fn join(&self, user: Uuid) -> Result<(), Error> {
        self.check(&self.joins, &user)
    }

    /// A new anonymous voter id for a client at `ip`.
    pub fn new_voter(&self, ip: IpAddr) -> Result<(), Error> {
        self.check(&self.voter_ids, &bucket(ip))
    }

    /// Forgets keys whose buckets are full again, so memory tracks active clients only.
    pub fn shrink(&self) {
        self.api.retain_recent();
        self.auth.retain_recent();
        self.joins.retain_recent();
        self.guests.retain_recent();
        self.previews.retain_recent();
        self.voter_ids.retain_recent();
    }
}

/// A per-socket event budget: a token bucket, plus a count of refused events so a socket that
/// keeps flooding can be cut off.
pub(crate) struct SocketBudget {
    bucket: governor::DefaultDirectRateLimiter,
    strikes: std::sync::atomic::AtomicU32,
    max_strikes: u32,
}

pub(crate) enum Budget {
    Ok,
    Refused { retry_after: u64 },
    Exhausted,
}

impl SocketBudget {
    pub(crate) fn new(settings: &LimitSettings) -> Self {
        let per_second = settings.socket_events_per_second;
        SocketBudget {
            bucket: RateLimiter::direct(
                Quota::per_second(nz(per_second)).allow_burst(nz(per_second.saturating_mul(2))),
            ),
            strikes: std::sync::atomic::AtomicU32::new(0),
            max_strikes: settings.socket_flood_strikes,
        }
    }

    pub(crate) fn spend(&self) -> Budget {
        match self.bucket.check() {
            Ok(()) => Budget::Ok,
            Err(not_until) => {
                let strikes = self
                    .strikes
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                    + 1;
                if strikes >= self.max_strikes {
                    Budget::Exhausted
                } else {
                    let wait: Duration = not_until.wait_time_from(DefaultClock::default().now());
                    Budget::Refused {
                        retry_after: wait.as_secs().max(1),
                    }
                }
            }
        }
    }
}
