//! The layout of the live state's Redis keys, chosen so that it works on a Redis Cluster: a
//! script or transaction there may only touch keys of one hash slot, and the slot of a key
//! whose name holds `{…}` is the slot of what is between the braces (its hash tag).
//!
//! A room's keys (its state, presence, prepared question) carry the tag of the room's *shard*,
//! `{rN}`, N being one of `ROOM_SHARDS` numbers derived from the code; the deadline index is
//! kept per shard, under the same tag. So the compare-and-swap that saves a room and moves its
//! deadline stays one atomic script, as on a single server, and the timers read the
//! `ROOM_SHARDS` indexes and merge them. Tagging by the code itself would spread rooms over
//! more slots but leave the index in another slot than the room, and a save that crashed
//! between the two writes would strand the room's deadline. 64 shards spread rooms over up to
//! 64 masters; the count is part of the key names (changing it orphans the indexes).
//!
//! A poll's keys carry `{poll id}`. Every other key (sessions, limiters, node leases, each
//! node's list of rooms, the hosts-away index) is used alone, so needs no tag. On a single
//! server the tags are plain characters of the names and change nothing.

/// How many deadline indexes (and room slots) there are.
pub(crate) const ROOM_SHARDS: u32 = 64;

/// The shard of room `code`: FNV-1a of its bytes, so every node and version agrees.
pub(crate) fn room_shard(code: &str) -> u32 {
    let hash = code.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % ROOM_SHARDS
}

/// `{prefix}{kind}:{rN}:{code}`: one of room `code`'s keys.
pub(crate) fn room(prefix: &str, kind: &str, code: &str) -> String {
    format!("{prefix}{kind}:{{r{}}}:{code}", room_shard(code))
}

/// The deadline index of shard `shard`.
pub(crate) fn deadlines(prefix: &str, shard: u32) -> String {
    format!("{prefix}deadlines:{{r{shard}}}")
}

/// `{prefix}poll:{id}:{what}`: one of a poll's keys.
pub(crate) fn poll(prefix: &str, poll: uuid::Uuid, what: &str) -> String {
    format!("{prefix}poll:{{{poll}}}:{what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_and_its_deadline_index_share_a_hash_tag() {
        for code in ["ABCD", "ZZZZ", "K7Q2"] {
            let tag = format!("{{r{}}}", room_shard(code));
            assert_eq!(room("vg:", "room", code), format!("vg:room:{tag}:{code}"));
            assert_eq!(
                deadlines("vg:", room_shard(code)),
                format!("vg:deadlines:{tag}")
            );
        }
        // Pinned: nodes of one version and the next must agree on every room's shard.
        assert_eq!(room_shard("ABCD"), 0xd316_46fd_u32 % 64);
    }

    #[test]
    fn rooms_spread_over_every_shard() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..2_000 {
            seen.insert(room_shard(&format!("{i:04X}")));
        }
        assert_eq!(seen.len(), ROOM_SHARDS as usize);
    }
}
