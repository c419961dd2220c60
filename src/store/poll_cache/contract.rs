//! One story for both results caches (Redis, and in-process for `REDIS_URL=memory`): the same
//! assertions, so the two mean the same by every operation.

use chrono::{TimeDelta, Utc};
use std::{collections::BTreeMap, time::Duration};
use uuid::Uuid;

use super::{RedisCache, ResultsCache, memory::MemoryCache};
use crate::domain::poll::vote::Delta;

async fn story(cache: &dyn ResultsCache) {
    let (poll, a, b) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let delta = Delta {
        voters: 1,
        options: BTreeMap::from([(a, 1)]),
    };
    assert_eq!(cache.get(poll).await.unwrap(), None);
    assert_eq!(
        cache.apply(poll, &delta).await.unwrap(),
        None,
        "missing counts are rebuilt by a reader, never patched"
    );
    let installed = cache.install(poll, &[(a, 3), (b, 1)], 4).await.unwrap();
    assert_eq!((installed.votes(a), installed.votes(b)), (3, 1));
    assert_eq!(installed.voters, 4);
    assert_eq!(cache.get(poll).await.unwrap(), Some(installed.clone()));
    let after = cache.apply(poll, &delta).await.unwrap().expect("patched");
    assert_eq!((after.votes(a), after.votes(b), after.voters), (4, 1, 5));
    assert!(after.seq > installed.seq);
    let rebuilt = cache.install(poll, &[(a, 4), (b, 1)], 5).await.unwrap();
    assert!(rebuilt.seq > after.seq, "a rebuild never moves seq back");
    let uncached = Uuid::new_v4();
    assert_eq!(
        cache.seqs(&[poll, uncached, poll]).await.unwrap(),
        vec![Some(rebuilt.seq), None, Some(rebuilt.seq)]
    );
    assert!(cache.seqs(&[]).await.unwrap().is_empty());
    cache.forget(poll).await.unwrap();
    assert_eq!(cache.get(poll).await.unwrap(), None);

    let period = Duration::from_millis(300);
    assert_eq!(
        cache.take_slot(poll, "results", period).await.unwrap(),
        None
    );
    let held = cache
        .take_slot(poll, "results", period)
        .await
        .unwrap()
        .expect("held");
    assert!(held > Duration::ZERO && held <= period, "{held:?}");
    assert_eq!(
        cache.take_slot(poll, "other", period).await.unwrap(),
        None,
        "slots are apart"
    );
    tokio::time::sleep(held + Duration::from_millis(20)).await;
    assert_eq!(
        cache.take_slot(poll, "results", period).await.unwrap(),
        None
    );

    let at = Utc::now() + TimeDelta::seconds(30);
    cache.schedule_expiry(poll, Some(at)).await.unwrap();
    let before = at - TimeDelta::milliseconds(1);
    assert!(
        !cache
            .due_expiries(before, 100)
            .await
            .unwrap()
            .contains(&poll)
    );
    assert!(cache.due_expiries(at, 100).await.unwrap().contains(&poll));
    cache.schedule_expiry(poll, None).await.unwrap();
    assert!(!cache.due_expiries(at, 100).await.unwrap().contains(&poll));
}

#[tokio::test]
async fn the_redis_cache_keeps_the_contract() {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    let cache = RedisCache::connect(&url, &prefix)
        .await
        .expect("redis at REDIS_URL");
    story(&cache).await;
}

#[tokio::test]
async fn the_redis_cache_keeps_the_contract_on_a_redis_cluster() {
    let cluster = crate::store::contract::redis_cluster::PrivateCluster::start().await;
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    let cache = RedisCache::connect(&cluster.url(), &prefix).await.unwrap();
    story(&cache).await;
}

#[tokio::test]
async fn the_in_process_cache_keeps_the_contract() {
    story(&MemoryCache::new()).await;
}
