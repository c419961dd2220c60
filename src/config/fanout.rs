//! `REDIS_FANOUT`: how a broadcast to a room reaches the other nodes (`gateway::fanout`).

/// `REDIS_FANOUT`: `room` (the default) publishes a room's (a poll's) broadcasts on its own
/// channel, heard only by the nodes with sockets there; `global` publishes them on the channel
/// every node hears, as before per-room channels. Either way a node listens on the channels of
/// its rooms, so nodes can be switched one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fanout {
    Room,
    Global,
}

impl std::str::FromStr for Fanout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "room" => Ok(Fanout::Room),
            "global" => Ok(Fanout::Global),
            _ => Err(format!("expected room or global, got {s:?}")),
        }
    }
}
