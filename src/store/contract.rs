//! One story for every live store: the Redis store and the in-process one must mean the same
//! thing by each operation, so the same assertions run against both (against the real Redis
//! at `REDIS_URL`, under a fresh key prefix, and against a private three-master Redis Cluster).

use chrono::{DateTime, TimeDelta, Utc};
use std::{collections::HashSet, time::Duration};
use uuid::Uuid;

use super::{LiveStore, SessionState, memory::MemoryStore, redis::RedisStore};
use crate::domain::{Command, Room, RoomStatus, Settings};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

async fn redis() -> RedisStore {
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    RedisStore::connect(&redis_url(), &prefix)
        .await
        .expect("redis at REDIS_URL")
}

// The integration tests' cluster starter, shared rather than copied.
#[path = "../../tests/it/common/redis_cluster.rs"]
pub(crate) mod redis_cluster;

fn lobby(code: &str, now: DateTime<Utc>) -> Room {
    Room::new(
        Uuid::new_v4(),
        code.into(),
        Uuid::new_v4(),
        "host".into(),
        Settings::default(),
        now,
    )
}

/// A room in round one, answering: it has a phase deadline.
fn playing(code: &str, now: DateTime<Utc>) -> Room {
    let mut room = lobby(code, now);
    let host = room.host_id;
    room.apply(Command::Join {
        user_id: Uuid::new_v4(),
        display_name: "guest".into(),
        now,
    })
    .expect("join");
    room.apply(Command::StartGame {
        by: host,
        round_id: Uuid::new_v4(),
        question: "Why?".into(),
        now,
    })
    .expect("start");
    assert_eq!(room.status, RoomStatus::Playing);
    room
}

async fn rooms_swap_only_against_the_version_they_read(store: &dyn LiveStore) {
    let now = Utc::now();
    assert!(store.load_room("ROOMAA").await.unwrap().is_none());
    let room = lobby("ROOMAA", now);
    let v1 = store
        .save_room(&room, 0)
        .await
        .unwrap()
        .expect("first save");
    assert!(
        store.save_room(&room, 0).await.unwrap().is_none(),
        "a second first save loses"
    );
    let stored = store.load_room("ROOMAA").await.unwrap().expect("stored");
    assert_eq!(stored.room, room);
    assert_eq!(stored.version, v1);
    let v2 = store.save_room(&room, v1).await.unwrap().expect("swap");
    assert_ne!(v2, v1);
    assert!(
        store.save_room(&room, v1).await.unwrap().is_none(),
        "a stale version loses"
    );
    store.forget_room("ROOMAA").await.unwrap();
    assert!(store.load_room("ROOMAA").await.unwrap().is_none());
    assert!(
        store.save_room(&room, 0).await.unwrap().is_some(),
        "a forgotten room is rebuilt from scratch"
    );
}

/// Whether room `code` is in the deadline index as due at `at`.
async fn is_due(store: &dyn LiveStore, code: &str, at: DateTime<Utc>) -> bool {
    store
        .due_rooms(at, 10)
        .await
        .unwrap()
        .iter()
        .any(|c| c == code)
}

async fn deadlines_follow_the_saved_state(store: &dyn LiveStore) {
    let now = Utc::now();
    let room = playing("ROOMBB", now);
    let deadline = room.deadline().expect("a phase deadline");
    let v = store.save_room(&room, 0).await.unwrap().expect("saved");
    let before = deadline - TimeDelta::milliseconds(1);
    assert!(!is_due(store, &room.code, before).await);
    assert!(is_due(store, &room.code, deadline).await);
    // Deferred past its deadline, it is not due until then.
    let later = deadline + TimeDelta::seconds(5);
    store.defer_deadline(&room.code, later).await.unwrap();
    assert!(!is_due(store, &room.code, deadline).await);
    assert!(is_due(store, &room.code, later).await);
    // A state without a deadline takes the room out of the index.
    let idle = lobby("ROOMBB", now);
    store.save_room(&idle, v).await.unwrap().expect("swap");
    assert!(!is_due(store, &room.code, later).await);
    // Deferring a room that is not in the index does not put it there.
    store.defer_deadline(&room.code, later).await.unwrap();
    assert!(!is_due(store, &room.code, later).await);
    // Cleared, a playing room is no longer due; the earliest come first and `limit` holds.
    let a = playing("ROOMCC", now);
    let b = playing("ROOMDD", now + TimeDelta::seconds(1));
    store.save_room(&a, 0).await.unwrap().expect("a");
    store.save_room(&b, 0).await.unwrap().expect("b");
    let far = now + TimeDelta::days(1);
    assert_eq!(store.due_rooms(far, 1).await.unwrap(), vec!["ROOMCC"]);
    store.clear_deadline("ROOMCC").await.unwrap();
    assert_eq!(store.due_rooms(far, 10).await.unwrap(), vec!["ROOMDD"]);
}

async fn hosts_away_are_gone_after_their_grace(store: &dyn LiveStore) {
    let at = Utc::now() + TimeDelta::seconds(10);
    store.host_away("ROOMEE", at).await.unwrap();
    let before = at - TimeDelta::milliseconds(1);
    assert!(store.hosts_gone(before, 10).await.unwrap().is_empty());
    assert_eq!(store.hosts_gone(at, 10).await.unwrap(), vec!["ROOMEE"]);
    store.host_back("ROOMEE").await.unwrap();
    assert!(store.hosts_gone(at, 10).await.unwrap().is_empty());
}

async fn a_cached_revocation_is_never_overwritten(store: &dyn LiveStore) {
    let ttl = Duration::from_secs(60);
    let (live, revoked, owner) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let alive = SessionState::Live { user: owner };
    assert_eq!(store.session_cached(live).await.unwrap(), None);
    store.cache_session(live, alive, ttl).await.unwrap();
    assert_eq!(store.session_cached(live).await.unwrap(), Some(alive));
    store.revoke_sessions(&[(revoked, ttl)]).await.unwrap();
    // An older read (live) arriving after the revocation does not undo it.
    store.cache_session(revoked, alive, ttl).await.unwrap();
    assert_eq!(
        store.session_cached(revoked).await.unwrap(),
        Some(SessionState::Revoked)
    );
    // A revocation overwrites a cached live state.
    store.revoke_sessions(&[(live, ttl)]).await.unwrap();
    assert_eq!(
        store.session_cached(live).await.unwrap(),
        Some(SessionState::Revoked)
    );
    // Entries expire.
    let brief = Uuid::new_v4();
    store
        .cache_session(brief, alive, Duration::from_millis(50))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(store.session_cached(brief).await.unwrap(), None);
}

async fn presence_counts_sockets_per_user(store: &dyn LiveStore) {
    let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(store.presence_add("ROOMFF", ann).await.unwrap(), 1);
    assert_eq!(store.presence_add("ROOMFF", ann).await.unwrap(), 2);
    assert_eq!(store.presence_add("ROOMFF", bob).await.unwrap(), 1);
    assert_eq!(
        store.connected_users("ROOMFF").await.unwrap(),
        HashSet::from([ann, bob])
    );
    assert_eq!(store.presence_remove("ROOMFF", ann).await.unwrap(), 1);
    assert_eq!(store.presence_remove("ROOMFF", bob).await.unwrap(), 0);
    assert_eq!(
        store.connected_users("ROOMFF").await.unwrap(),
        HashSet::from([ann])
    );
    // One removal too many does not go below zero or bring anyone back.
    assert_eq!(store.presence_remove("ROOMFF", bob).await.unwrap(), 0);
    assert!(store.connected_users("ROOMGG").await.unwrap().is_empty());
    store.heartbeat(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        store.connected_users("ROOMFF").await.unwrap(),
        HashSet::from([ann]),
        "this node's own heartbeat keeps its presence"
    );
}

async fn a_prepared_question_is_taken_once(store: &dyn LiveStore) {
    assert_eq!(store.take_next_question("ROOMHH").await.unwrap(), None);
    store.put_next_question("ROOMHH", "Why not?").await.unwrap();
    assert_eq!(
        store.take_next_question("ROOMHH").await.unwrap().as_deref(),
        Some("Why not?")
    );
    assert_eq!(store.take_next_question("ROOMHH").await.unwrap(), None);
}

async fn the_throttle_allows_its_burst_then_says_how_long_to_wait(store: &dyn LiveStore) {
    let period = Duration::from_secs(2);
    for _ in 0..3 {
        assert_eq!(store.throttle("k", 3, period).await.unwrap(), None);
    }
    let wait = store
        .throttle("k", 3, period)
        .await
        .unwrap()
        .expect("over the burst");
    // One emission interval (period / burst), to the millisecond rounded up.
    assert!(
        wait > Duration::ZERO && wait <= period / 3 + Duration::from_millis(1),
        "{wait:?}"
    );
    assert_eq!(
        store.throttle("other", 3, period).await.unwrap(),
        None,
        "keys are apart"
    );
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
    assert_eq!(store.throttle("k", 3, period).await.unwrap(), None);
    store.ping().await.unwrap();
}

async fn story(store: &dyn LiveStore) {
    rooms_swap_only_against_the_version_they_read(store).await;
    deadlines_follow_the_saved_state(store).await;
    hosts_away_are_gone_after_their_grace(store).await;
    a_cached_revocation_is_never_overwritten(store).await;
    presence_counts_sockets_per_user(store).await;
    a_prepared_question_is_taken_once(store).await;
    the_throttle_allows_its_burst_then_says_how_long_to_wait(store).await;
}

#[tokio::test]
async fn the_redis_store_keeps_the_contract() {
    story(&redis().await).await;
}

/// What only a shared store has: two nodes on one prefix, each counting the other's sockets
/// while its lease runs; and the deadline index, read across its shards, oldest first.
async fn two_nodes_share_presence_and_deadlines(a: &RedisStore, b: &RedisStore) {
    let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
    a.heartbeat(Duration::from_secs(30)).await.unwrap();
    b.heartbeat(Duration::from_millis(300)).await.unwrap();
    // Rooms in different slots of a cluster (their codes fall in different shards).
    let rooms = ["ROOMKK", "ROOMLL", "ROOMMM"];
    for code in rooms {
        assert_eq!(a.presence_add(code, ann).await.unwrap(), 1);
        assert_eq!(b.presence_add(code, bob).await.unwrap(), 1);
        assert_eq!(
            b.presence_add(code, ann).await.unwrap(),
            2,
            "a's lease runs"
        );
        assert_eq!(
            a.connected_users(code).await.unwrap(),
            HashSet::from([ann, bob])
        );
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        a.connected_users("ROOMKK").await.unwrap(),
        HashSet::from([ann]),
        "b's lease ran out"
    );
    let dead = a.dead_nodes(10).await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let mut listed = a.node_rooms(&dead[0].0).await.unwrap();
    listed.sort();
    assert_eq!(listed, rooms);
    for code in rooms {
        let mut dropped = a.drop_node_presence(code, &dead[0].0).await.unwrap();
        dropped.sort();
        let mut both = vec![ann, bob];
        both.sort();
        assert_eq!(dropped, both);
    }
    let now = Utc::now();
    for (code, ago) in [("ROOMNN", 50), ("ROOMPP", 70), ("ROOMQQ", 60)] {
        let room = playing(code, now - TimeDelta::seconds(200 + ago));
        a.save_room(&room, 0).await.unwrap().expect("saved");
    }
    assert_eq!(a.due_rooms(now, 2).await.unwrap(), ["ROOMPP", "ROOMQQ"]);
}

#[tokio::test]
async fn two_redis_nodes_share_presence_and_deadlines() {
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    let a = RedisStore::connect(&redis_url(), &prefix).await.unwrap();
    let b = RedisStore::connect(&redis_url(), &prefix).await.unwrap();
    two_nodes_share_presence_and_deadlines(&a, &b).await;
}

#[tokio::test]
async fn the_store_keeps_the_contract_on_a_redis_cluster() {
    let cluster = redis_cluster::PrivateCluster::start().await;
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    let store = RedisStore::connect(&cluster.url(), &prefix).await.unwrap();
    story(&store).await;
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    let a = RedisStore::connect(&cluster.url(), &prefix).await.unwrap();
    let b = RedisStore::connect(&cluster.url(), &prefix).await.unwrap();
    two_nodes_share_presence_and_deadlines(&a, &b).await;
    // The rooms of the story do live in different slots.
    let shards: HashSet<u32> = ["ROOMKK", "ROOMLL", "ROOMMM", "ROOMNN", "ROOMPP"]
        .iter()
        .map(|c| super::keys::room_shard(c))
        .collect();
    assert!(shards.len() > 2, "{shards:?}");
}

#[tokio::test]
async fn the_in_process_store_keeps_the_contract() {
    story(&MemoryStore::new()).await;
}
