//! Caps on open Socket.IO connections per user and per client address, on each node: every
//! socket holds memory (buffers, rooms, timers) for as long as it lives, so one account or one
//! address must not be able to open them without end. Counted per node, because that is where
//! the memory is; an address counts IPv6 by /64, like every per-IP limit.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
};
use uuid::Uuid;

use super::client_ip::bucket;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    User(Uuid),
    Ip(IpAddr),
}

/// Which cap a new connection would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapExceeded {
    PerUser(u32),
    PerIp(u32),
}

pub struct SocketCaps {
    per_user: u32,
    per_ip: u32,
    open: Mutex<HashMap<Key, u32>>,
}

/// One open connection counted against its user and address; dropping it frees the place.
pub struct SocketSlot {
    caps: Arc<SocketCaps>,
    user: Uuid,
    ip: IpAddr,
}

impl SocketCaps {
    /// `0` means no cap.
    pub fn new(per_user: u32, per_ip: u32) -> Arc<Self> {
        Arc::new(SocketCaps {
            per_user,
            per_ip,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a place for one more connection of `user` from `ip`, or says which cap is full.
    pub fn acquire(self: &Arc<Self>, user: Uuid, ip: IpAddr) -> Result<SocketSlot, CapExceeded> {
        let ip = bucket(ip);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let full = |key: Key, cap: u32| cap > 0 && open.get(&key).copied().unwrap_or(0) >= cap;
        if full(Key::User(user), self.per_user) {
            return Err(CapExceeded::PerUser(self.per_user));
        }
        if full(Key::Ip(ip), self.per_ip) {
            return Err(CapExceeded::PerIp(self.per_ip));
        }
        *open.entry(Key::User(user)).or_default() += 1;
        *open.entry(Key::Ip(ip)).or_default() += 1;
        Ok(SocketSlot {
            caps: Arc::clone(self),
            user,
            ip,
        })
    }

    fn release(&self, user: Uuid, ip: IpAddr) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        for key in [Key::User(user), Key::Ip(ip)] {
            if let Some(n) = open.get_mut(&key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.remove(&key);
                }
            }
        }
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        self.caps.release(self.user, self.ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn each_cap_holds_and_a_closed_connection_frees_its_place() {
        let caps = SocketCaps::new(2, 3);
        let (ann, bob, cat) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let home = ip("192.0.2.1");
        let a1 = caps.acquire(ann, home).expect("a1");
        let _a2 = caps.acquire(ann, home).expect("a2");
        assert_eq!(
            caps.acquire(ann, ip("192.0.2.2")).err(),
            Some(CapExceeded::PerUser(2))
        );
        let _b1 = caps.acquire(bob, home).expect("b1");
        assert_eq!(caps.acquire(cat, home).err(), Some(CapExceeded::PerIp(3)));
        drop(a1);
        let _c1 = caps.acquire(cat, home).expect("c1 after a1 closed");
        assert!(caps.acquire(cat, ip("192.0.2.9")).is_ok());
    }

    #[test]
    fn ipv6_addresses_share_their_64_and_zero_means_no_cap() {
        let caps = SocketCaps::new(0, 1);
        let _one = caps
            .acquire(Uuid::new_v4(), ip("2001:db8::1"))
            .expect("one");
        assert!(caps.acquire(Uuid::new_v4(), ip("2001:db8::2")).is_err());
        assert!(caps.acquire(Uuid::new_v4(), ip("2001:db8:0:1::1")).is_ok());
        let uncapped = SocketCaps::new(0, 0);
        let user = Uuid::new_v4();
        let held: Vec<_> = (0..100)
            .map(|_| uncapped.acquire(user, ip("192.0.2.1")))
            .collect();
        assert!(held.iter().all(Result::is_ok));
    }
}
