//! Node leases, so that presence dies with its process: every node renews its lease in Redis
//! about every second; a process that stops without saying so (`kill -9`, a lost machine)
//! lets it run out. The first node to see that claims the dead node, drops its presence
//! entries room by room, and starts the hand-over clock of each room whose host is now gone,
//! the grace period counted from the dead node's last heartbeat.

use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

use super::GameService;
use crate::{domain::game::presence, error::Error};

/// Dead nodes cleaned up per sweep at most.
const BATCH: usize = 16;

/// How often a node renews its lease and looks for dead ones: a few times per lease, at
/// least every second.
fn period(lease: Duration) -> Duration {
    (lease / 4).clamp(Duration::from_millis(100), Duration::from_secs(1))
}

pub(crate) fn spawn(
    game: Arc<GameService>,
    lease: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period(lease));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => {}
            }
            if let Err(e) = game.heartbeat(lease).await {
                e.report("node heartbeat");
            }
            if let Err(e) = game.bury_dead_nodes(lease).await {
                e.report("dead node sweep");
            }
        }
    })
}

impl GameService {
    /// Renews this node's lease.
    pub(crate) async fn heartbeat(&self, lease: Duration) -> Result<(), Error> {
        Ok(self.store.heartbeat(lease).await?)
    }

    /// Cleans up after nodes whose lease ran out.
    pub(crate) async fn bury_dead_nodes(&self, lease: Duration) -> Result<(), Error> {
        for (node, expired) in self.store.dead_nodes(BATCH).await? {
            tracing::warn!(%node, "a node's lease ran out; its sockets count as gone");
            for code in self.store.node_rooms(&node).await? {
                let dropped = self.store.drop_node_presence(&code, &node).await?;
                let room = match self.rooms.load(&code).await {
                    Ok(stored) => stored.room,
                    Err(Error::NotFound(..)) => continue,
                    Err(e) => return Err(e),
                };
                let connected = self.store.connected_users(&code).await?;
                // Their sockets died with the node and never said goodbye: the room hears it
                // now, for each who has no socket left on any other node.
                if let Some(p) = self.rooms.publisher() {
                    for user in dropped.iter().filter(|u| !connected.contains(u)) {
                        p.disconnected(&code, *user).await;
                    }
                }
                if presence::host_gone(&room, &connected) {
                    let at = presence::hand_over_after_crash(expired, lease, self.host_grace);
                    self.store.host_away(&code, at).await?;
                }
            }
            self.store.forget_node(&node).await?;
        }
        Ok(())
    }
}
