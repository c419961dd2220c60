//! `TRUSTED_PROXIES`: which reverse proxies' `X-Forwarded-For` the server believes. Its own
//! file so that `config.rs` stays the list of settings.

use ipnet::IpNet;
use std::net::IpAddr;

/// The reverse proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`: addresses or
/// CIDRs). Only the list: `limits::client_ip` reads a request's client address through it.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl std::str::FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list of addresses (`10.0.0.7`, `::1`) and networks (`10.0.0.0/8`).
    fn from_str(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map(|n| n.trunc())
                    .map_err(|_| format!("{s:?} is neither an IP address nor a CIDR network"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    /// Whether `ip` is one of the proxies (as given: callers canonicalize mapped addresses).
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }
}
