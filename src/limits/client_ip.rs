//! The client's address as per-IP limits see it. Behind a reverse proxy every request comes
//! from the proxy, so the client is taken from `X-Forwarded-For`, but only when the peer is a
//! proxy listed in `TRUSTED_PROXIES` (anyone can send the header): the rightmost address not
//! itself a trusted proxy, since each proxy appends the address it saw and everything to the
//! left of that is whatever the client chose to write. Addresses are then bucketed: an IPv6
//! client owns at least a /64, so its limits count per /64, not per address.

use http::HeaderMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use crate::config::TrustedProxies;

/// The client's address for a request from `peer` with these headers.
pub(crate) fn client_ip(proxies: &TrustedProxies, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let peer = peer.to_canonical();
    if !proxies.trusts(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // Unreadable: nothing further left can be believed; the last proxy is all we know.
        let Some(ip) = parse_hop(hop) else {
            return client;
        };
        client = ip;
        if !proxies.trusts(ip) {
            return ip;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`), as some proxies write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The key per-IP limits count under: an IPv4 address as is (an IPv4-mapped IPv6 address as
/// its IPv4), an IPv6 address by its /64.
pub(crate) fn bucket(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("value"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn proxies(s: &str) -> TrustedProxies {
        s.parse().expect("proxies")
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        let h = xff(&["198.51.100.7"]);
        assert_eq!(client_ip(&none, ip("127.0.0.1"), &h), ip("127.0.0.1"));
        // From a peer that is not listed, the header is the client's own invention.
        let p = proxies("10.0.0.0/8");
        assert_eq!(client_ip(&p, ip("203.0.113.5"), &h), ip("203.0.113.5"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let p = proxies("10.0.0.0/8, 127.0.0.1");
        let peer = ip("10.1.2.3");
        assert_eq!(
            client_ip(&p, peer, &xff(&["198.51.100.7"])),
            ip("198.51.100.7")
        );
        // The client wrote a spoofed address first; the proxy appended the real one.
        let spoofed = xff(&["6.6.6.6, 198.51.100.7"]);
        assert_eq!(client_ip(&p, peer, &spoofed), ip("198.51.100.7"));
        // Two proxies, the header split over two lines.
        let chained = xff(&["6.6.6.6, 198.51.100.7", "10.9.9.9"]);
        assert_eq!(client_ip(&p, peer, &chained), ip("198.51.100.7"));
        // Ports and brackets, as some proxies write them.
        assert_eq!(
            client_ip(&p, peer, &xff(&["[2001:db8::5]:443"])),
            ip("2001:db8::5")
        );
        assert_eq!(
            client_ip(&p, peer, &xff(&["198.51.100.7:5678"])),
            ip("198.51.100.7")
        );
        // No header, an unreadable one, or only proxies: the last proxy is the client.
        assert_eq!(client_ip(&p, peer, &HeaderMap::new()), peer);
        assert_eq!(client_ip(&p, peer, &xff(&["unknown"])), peer);
        assert_eq!(
            client_ip(&p, peer, &xff(&["garbage, 10.9.9.9"])),
            ip("10.9.9.9")
        );
        assert_eq!(client_ip(&p, peer, &xff(&["10.9.9.9"])), ip("10.9.9.9"));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_proxies() {
        let p = proxies("127.0.0.1");
        assert_eq!(
            client_ip(&p, ip("::ffff:127.0.0.1"), &xff(&["198.51.100.7"])),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            bucket(ip("2001:db8:1:2:ffff::9")),
            bucket(ip("2001:db8:1:2::1"))
        );
        assert_ne!(bucket(ip("2001:db8:1:3::1")), bucket(ip("2001:db8:1:2::1")));
        assert_eq!(bucket(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(bucket(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
