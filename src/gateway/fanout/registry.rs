//! Which room channels this node listens to: subscribed when a socket is about to join one of
//! the channel's rooms, unsubscribed once none of them has a socket here (see `fanout`'s doc).
//!
//! Each channel has an entry with a lock held across its SUBSCRIBE or UNSUBSCRIBE, and a count
//! of joins under way (taken before the lock is waited for). A release decides under the lock,
//! seeing no join under way and no socket in the rooms; a join that comes after waits for the
//! lock and subscribes again. An entry leaves the map only once unsubscribed and with no join
//! under way, so a new entry's SUBSCRIBE always follows the old one's UNSUBSCRIBE.

use socketioxide_core::Sid;
use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex, OnceLock, Weak,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::sync::mpsc;

use super::{Channel, Occupancy};
use crate::{
    config::Fanout,
    metrics::METRICS,
    store::pubsub::{ManagedDriver, PubSubError},
};
use socketioxide_redis::drivers::ChanItem;

/// Messages heard on room channels and not yet delivered, at most; beyond, dropped with a
/// warning (the adapter's own streams hold 1,024 each).
const HEARD: usize = 65_536;

pub(crate) struct RoomChannels {
    driver: ManagedDriver,
    /// The key prefix (`REDIS_PREFIX`) channel names start with.
    prefix: String,
    fanout: Fanout,
    sink: mpsc::Sender<ChanItem>,
    /// The other end of `sink`, until the adapter takes it.
    heard: Mutex<Option<mpsc::Receiver<ChanItem>>>,
    /// The adapter, which knows the local rooms.
    local: OnceLock<Weak<dyn Occupancy>>,
    entries: Mutex<HashMap<Channel, Arc<Entry>>>,
}

struct Entry {
    name: String,
    /// Joins that called `enter` and have not dropped their `Entered` yet.
    joining: AtomicUsize,
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    subscribed: bool,
    /// The channel's Socket.IO rooms sockets entered through this entry.
    rooms: HashSet<String>,
}

/// Held by a join until its socket is in its rooms: meanwhile no release unsubscribes them.
#[must_use = "drop it once the socket has joined"]
pub(crate) struct Entered(Vec<Arc<Entry>>);

impl Drop for Entered {
    fn drop(&mut self) {
        for entry in &self.0 {
            entry.joining.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl RoomChannels {
    pub(crate) fn new(driver: ManagedDriver, prefix: &str, fanout: Fanout) -> Arc<Self> {
        let (sink, heard) = mpsc::channel(HEARD);
        Arc::new(RoomChannels {
            driver,
            prefix: prefix.to_string(),
            fanout,
            sink,
            heard: Mutex::new(Some(heard)),
            local: OnceLock::new(),
            entries: Mutex::new(HashMap::new()),
        })
    }

    pub(super) fn driver(&self) -> &ManagedDriver {
        &self.driver
    }

    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    pub(super) fn fanout(&self) -> Fanout {
        self.fanout
    }

    /// The adapter of the (one) namespace registers itself; it gets the stream of what the
    /// channels carry (`None` after the first time).
    pub(super) fn attach(&self, local: Weak<dyn Occupancy>) -> Option<mpsc::Receiver<ChanItem>> {
        let _ = self.local.set(local);
        self.heard.lock().ok()?.take()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Channel, Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Subscribes to the channels of `rooms` (those that have one) unless already, and returns
    /// once Redis has confirmed: call it before the socket joins them and before reading the
    /// state the client is sent, and drop the answer once it has joined.
    pub(crate) async fn enter(&self, rooms: &[String]) -> Result<Entered, PubSubError> {
        let mut entered = Entered(Vec::new());
        if !self.driver.has_redis() {
            return Ok(entered);
        }
        for room in rooms {
            let Some(chan) = Channel::of(room) else {
                continue;
            };
            let entry = {
                let mut entries = self.entries();
                let entry = entries.entry(chan).or_insert_with_key(|c| {
                    Arc::new(Entry {
                        name: c.name(&self.prefix),
                        joining: AtomicUsize::new(0),
                        state: tokio::sync::Mutex::default(),
                    })
                });
                entry.joining.fetch_add(1, Ordering::SeqCst);
                Arc::clone(entry)
            };
            entered.0.push(Arc::clone(&entry));
            let mut state = entry.state.lock().await;
            state.rooms.insert(room.clone());
            if !state.subscribed {
                self.driver.listen(&entry.name, &self.sink).await?;
                state.subscribed = true;
                METRICS.pubsub_room_channels.inc();
            }
        }
        Ok(entered)
    }

    /// Unsubscribes from the channels of `rooms` that no local socket but `leaving` (one that is
    /// disconnecting) is in any more.
    pub(crate) async fn release(&self, rooms: &[String], leaving: Option<Sid>) {
        let chans: HashSet<Channel> = rooms.iter().filter_map(|r| Channel::of(r)).collect();
        for chan in chans {
            self.release_one(&chan, leaving).await;
        }
    }

    async fn release_one(&self, chan: &Channel, leaving: Option<Sid>) {
        let Some(entry) = self.entries().get(chan).cloned() else {
            return;
        };
        let mut state = entry.state.lock().await;
        if entry.joining.load(Ordering::SeqCst) > 0 {
            return;
        }
        let rooms: Vec<String> = state.rooms.iter().cloned().collect();
        let occupied = self
            .local
            .get()
            .and_then(Weak::upgrade)
            .is_none_or(|local| local.occupied(&rooms, leaving));
        if occupied {
            return;
        }
        if state.subscribed {
            if let Err(e) = self.driver.unlisten(&entry.name).await {
                // Still subscribed as far as anyone knows: the next sweep tries again.
                tracing::debug!(channel = %entry.name, error = %e, "could not unsubscribe");
                return;
            }
            state.subscribed = false;
            METRICS.pubsub_room_channels.dec();
        }
        let mut entries = self.entries();
        if entry.joining.load(Ordering::SeqCst) == 0
            && entries.get(chan).is_some_and(|e| Arc::ptr_eq(e, &entry))
        {
            entries.remove(chan);
        }
    }

    /// Every channel listened to: what the sweep looks at.
    fn listened(&self) -> Vec<Channel> {
        self.entries().keys().cloned().collect()
    }
}

/// Every `every`, releases the channels none of whose rooms has a local socket any more: after
/// leaves this node did not see coming (another node emptied a room), and after a release that
/// failed. Ends with the registry.
pub(super) async fn sweep(channels: Weak<RoomChannels>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(channels) = channels.upgrade() else {
            return;
        };
        for chan in channels.listened() {
            channels.release_one(&chan, None).await;
        }
    }
}
