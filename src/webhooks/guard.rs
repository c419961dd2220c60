//! The SSRF guard: a webhook URL is the one place a client makes the server send requests, so
//! it must never reach the server's own network. A URL is checked when it is registered, and
//! every address it resolves to is checked again each time it is sent to (DNS can change in
//! between: rebinding), by the HTTP client's own resolver, so the address checked is the one
//! connected to. Loopback, private, link-local, unique-local, multicast, unspecified, CGNAT,
//! reserved and documentation ranges are refused, and so are IPv6 forms that embed an IPv4 one
//! (mapped, compatible, NAT64, 6to4) whose IPv4 address is refused. `WEBHOOK_ALLOW_PRIVATE`
//! lifts this for local development and tests.

use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::Url;
use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::{Arc, LazyLock},
    time::Duration,
};

/// The longest URL accepted.
pub(crate) const MAX_URL_CHARS: usize = 2048;
/// How long a registration waits for DNS.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

static REFUSED_V4: LazyLock<Vec<Ipv4Net>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",       // "this network", unspecified
        "10.0.0.0/8",      // private
        "100.64.0.0/10",   // carrier-grade NAT
        "127.0.0.0/8",     // loopback
        "169.254.0.0/16",  // link-local (cloud metadata services live here)
        "172.16.0.0/12",   // private
        "192.0.0.0/24",    // IETF protocol assignments
        "192.0.2.0/24",    // documentation
        "192.88.99.0/24",  // 6to4 relay anycast
        "192.168.0.0/16",  // private
        "198.18.0.0/15",   // benchmarking
        "198.51.100.0/24", // documentation
        "203.0.113.0/24",  // documentation
        "224.0.0.0/4",     // multicast
        "240.0.0.0/4",     // reserved, broadcast
    ]
    .iter()
    .filter_map(|n| n.parse().ok())
    .collect()
});

static REFUSED_V6: LazyLock<Vec<Ipv6Net>> = LazyLock::new(|| {
    [
        "::/128",         // unspecified
        "::1/128",        // loopback
        "100::/64",       // discard-only
        "2001:db8::/32",  // documentation
        "2001::/32",      // Teredo: a tunnel whose far end the address does not name plainly
        "64:ff9b:1::/48", // local-use NAT64: translated inside the operator's own network
        "fc00::/7",       // unique-local
        "fe80::/10",      // link-local
        "fec0::/10",      // site-local (deprecated)
        "ff00::/8",       // multicast
    ]
    .iter()
    .filter_map(|n| n.parse().ok())
    .collect()
});

/// The IPv4 address an IPv6 one stands for, when it embeds one: mapped (`::ffff:a.b.c.d`),
/// compatible (`::a.b.c.d`), translated (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or
/// 6to4 (`2002:AABB:CCDD::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(tail()),
        // SIIT's IPv4-translated form, `::ffff:0:a.b.c.d`.
        [0, 0, 0, 0, 0xffff, 0, _, _] => Some(tail()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail()),
        [0x2002, a, b, ..] => Some(Ipv4Addr::new(
            (a >> 8) as u8,
            a as u8,
            (b >> 8) as u8,
            b as u8,
        )),
        _ => None,
    }
}

/// Whether `ip` is an address a webhook may not be sent to.
pub(crate) fn refused(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => REFUSED_V4.iter().any(|n| n.contains(&v4)),
        IpAddr::V6(v6) => {
            REFUSED_V6.iter().any(|n| n.contains(&v6))
                || embedded_v4(v6).is_some_and(|v4| refused(IpAddr::V4(v4)))
        }
    }
}

/// Why a URL may not be a webhook's (the message names the field for the contract's 422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal(pub String);

fn refusal(why: impl Into<String>) -> Refusal {
    Refusal(why.into())
}

/// The URL's shape: http or https, a host, no longer than [`MAX_URL_CHARS`].
pub(crate) fn parse(raw: &str) -> Result<Url, Refusal> {
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().count() > MAX_URL_CHARS {
        return Err(refusal(format!("url must be 1–{MAX_URL_CHARS} characters")));
    }
    let url = Url::parse(raw).map_err(|e| refusal(format!("url is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refusal("url must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refusal("url must name a host"));
    }
    Ok(url)
}

/// The URL's host as an address when it is one (IPv6 without its brackets).
/// (The URL parser has already normalised other IPv4 spellings, `2130706433` or `0x7f.1`.)
fn literal(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Refuses a URL whose host is a refused address literally (the client's resolver never sees
/// those, so the sender checks this before each attempt too).
pub(crate) fn check_literal(url: &Url, allow_private: bool) -> Result<(), Refusal> {
    match literal(url) {
        Some(ip) if !allow_private && refused(ip) => Err(refusal(
            "url points to a private, loopback or otherwise internal address",
        )),
        _ => Ok(()),
    }
}

/// The registration check: the shape, then every address the host resolves to now.
pub(crate) async fn check(raw: &str, allow_private: bool) -> Result<Url, Refusal> {
    let url = parse(raw)?;
    check_literal(&url, allow_private)?;
    if literal(&url).is_some() || allow_private {
        return Ok(url);
    }
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let found = tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| refusal("url: its host did not resolve in time"))?
        .map_err(|_| refusal("url: its host does not resolve"))?;
    allowed(found.collect(), false).map_err(Refusal)?;
    Ok(url)
}

/// `addrs` when none is refused; the reason otherwise.
fn allowed(addrs: Vec<SocketAddr>, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    if addrs.is_empty() {
        return Err("url: its host has no address".into());
    }
    if !allow_private && addrs.iter().any(|a| refused(a.ip())) {
        return Err(
            "url: its host resolves to a private, loopback or otherwise internal address".into(),
        );
    }
    Ok(addrs)
}

/// The HTTP client's resolver: the system's, with every answer checked as at registration.
/// Refusing a host that has any refused address (rather than using its others) keeps the rule
/// the same as at registration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host, 0)).await?;
            let addrs = allowed(found.collect(), allow_private)?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

impl GuardedResolver {
    pub(crate) fn shared(self) -> Arc<Self> {
        Arc::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn internal_addresses_are_refused_in_every_form() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "::ffff:0:7f00:1",
            "::ffff:0:a00:1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "64:ff9b:1::a00:1",
        ] {
            assert!(refused(ip(a)), "{a} must be refused");
        }
        for a in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!refused(ip(a)), "{a} is public");
        }
    }

    #[test]
    fn only_http_urls_with_a_host_and_a_bounded_length_are_taken() {
        assert!(parse("https://example.com/hook").is_ok());
        assert!(parse("ftp://example.com/").is_err());
        assert!(parse("file:///etc/passwd").is_err());
        assert!(parse("not a url").is_err());
        assert!(
            parse(&format!(
                "https://example.com/{}",
                "a".repeat(MAX_URL_CHARS)
            ))
            .is_err()
        );
    }

    #[tokio::test]
    async fn a_private_literal_is_refused_unless_allowed() {
        assert!(check("http://127.0.0.1:9/x", false).await.is_err());
        assert!(check("http://[::ffff:192.168.0.1]/", false).await.is_err());
        assert!(check("http://localhost:9/x", false).await.is_err());
        assert!(check("http://127.0.0.1:9/x", true).await.is_ok());
    }
}
