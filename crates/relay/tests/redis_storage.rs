//! The Redis backend against a real `redis-server`, in process: appends, follows,
//! compaction that only moves forward (whatever the lease), two compactors racing
//! appends, and a follower that lagged past a trim reloading. Each race test prints
//! its acknowledged (appended) and lost entries.

mod support;

use std::time::Duration;

use converge_core::{Codec, Lattice, ReplicaId};
use converge_ormap::Document;
use converge_relay::{Follow, Loaded, RedisOptions, RedisStorage, Storage, Tailed};
use support::redis_cluster::RedisServer;
use support::{has_marker, write_marker};

/// The tests share the 2 cores: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The next thing a follow delivers (within 10 s).
async fn next(follow: &mut Follow) -> Tailed {
    tokio::time::timeout(Duration::from_secs(10), follow.entries.recv())
        .await
        .expect("an entry in time")
        .expect("still following")
}

/// The encoded delta of marker `n` by `who`.
fn marker(who: &str, n: u64) -> Vec<u8> {
    let mut doc = Document::new();
    let writer = ReplicaId::new(1 + n);
    write_marker(&mut doc, writer, who, n)
        .encode()
        .expect("encode")
}

fn fold(loaded: &Loaded) -> Document {
    let mut state = loaded
        .snapshot
        .as_ref()
        .map(|(_, b)| Document::decode(b).expect("snapshot decodes"))
        .unwrap_or_default();
    for (_, bytes) in &loaded.log {
        state.join(Document::decode(bytes).expect("entry decodes"));
    }
    state
}

async fn storage(redis: &RedisServer, node: &str, lease: bool) -> RedisStorage {
    let mut options = RedisOptions::new(node);
    if !lease {
        options.compaction_lease = None;
    }
    RedisStorage::connect(&redis.url(), options)
        .await
        .expect("connect")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_only_replaces_an_older_one_and_trims_only_what_it_covers() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let s = storage(&redis, "a", false).await;
    let p1 = s.append("d", vec![marker("a", 1)]).await.expect("append");
    let p2 = s.append("d", vec![marker("a", 2)]).await.expect("append");
    let p3 = s.append("d", vec![marker("a", 3)]).await.expect("append");
    assert!(p1 < p2 && p2 < p3);
    let mut upto2 = Document::decode(&marker("a", 1)).expect("decode");
    upto2.join(Document::decode(&marker("a", 2)).expect("decode"));
    s.compact("d", upto2.encode().expect("encode"), p2)
        .await
        .expect("compact");
    let loaded = s.load("d").await.expect("load");
    assert_eq!(loaded.snapshot.as_ref().map(|(p, _)| *p), Some(p2));
    assert_eq!(
        loaded.log.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        vec![p3],
        "entries up to the snapshot trimmed, the rest kept"
    );
    // An older snapshot (as a slow second compactor would write) is refused whole.
    let upto1 = Document::decode(&marker("a", 1)).expect("decode");
    s.compact("d", upto1.encode().expect("encode"), p1)
        .await
        .expect("compact");
    let after = s.load("d").await.expect("load");
    assert_eq!(after.snapshot, loaded.snapshot);
    let state = fold(&after);
    assert!((1..=3).all(|n| has_marker(&state, "a", n)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lease_makes_another_node_skip_compaction() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let s = storage(&redis, "b", true).await;
    let p = s.append("d", vec![marker("b", 1)]).await.expect("append");
    let client = redis::Client::open(redis.url()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let _: () = redis::cmd("SET")
        .arg("converge:doc:{d}:lease")
        .arg("other-node")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut conn)
        .await
        .expect("set");
    s.compact("d", Document::new().encode().expect("encode"), p)
        .await
        .expect("compact");
    assert_eq!(s.load("d").await.expect("load").snapshot, None);
    let _: () = redis::cmd("DEL")
        .arg("converge:doc:{d}:lease")
        .query_async(&mut conn)
        .await
        .expect("del");
    let snapshot = Document::decode(&marker("b", 1)).expect("decode");
    s.compact("d", snapshot.encode().expect("encode"), p)
        .await
        .expect("compact");
    assert!(s.load("d").await.expect("load").snapshot.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_compactors_racing_appends_lose_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let writer = storage(&redis, "w", false).await;
    let writes = 300u64;
    let append = tokio::spawn(async move {
        for n in 1..=writes {
            writer
                .append("d", vec![marker("w", n)])
                .await
                .expect("append");
        }
    });
    // Two compactors without a lease, each folding what it loaded and compacting up
    // to the last position it saw, over and over while the appends run.
    let compactors: Vec<_> = ["c1", "c2"]
        .into_iter()
        .map(|name| {
            let url = redis.url();
            tokio::spawn(async move {
                let mut options = RedisOptions::new(name);
                options.compaction_lease = None;
                let s = RedisStorage::connect(&url, options).await.expect("connect");
                let mut compactions = 0;
                for _ in 0..60 {
                    let loaded = s.load("d").await.expect("load");
                    let upto = loaded
                        .log
                        .iter()
                        .map(|(p, _)| *p)
                        .chain(loaded.snapshot.as_ref().map(|(p, _)| *p))
                        .max()
                        .unwrap_or(0);
                    let state = fold(&loaded);
                    s.compact("d", state.encode().expect("encode"), upto)
                        .await
                        .expect("compact");
                    compactions += 1;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                compactions
            })
        })
        .collect();
    append.await.expect("appends");
    let mut compactions = 0;
    for c in compactors {
        compactions += c.await.expect("compactor");
    }
    let s = storage(&redis, "check", false).await;
    let loaded = s.load("d").await.expect("load");
    let state = fold(&loaded);
    let lost = (1..=writes)
        .filter(|n| !has_marker(&state, "w", *n))
        .count();
    println!(
        "two compactors: {writes} entries appended, {compactions} compactions, \
         {} entries left in the stream, {lost} lost",
        loaded.log.len()
    );
    assert_eq!(lost, 0);
    assert!(loaded.snapshot.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_gets_every_entry_and_reloads_after_a_trim_past_it() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let follower = storage(&redis, "f", false).await;
    let other = storage(&redis, "o", false).await;
    other
        .append("d", vec![marker("o", 1)])
        .await
        .expect("append");
    let (loaded, follow) = follower.load_and_follow("d").await.expect("follow");
    let mut got = fold(&loaded);
    assert!(has_marker(&got, "o", 1));
    let mut follow = follow.expect("redis follows");
    // Entries another node appends arrive in order.
    other
        .append("d", vec![marker("o", 2), marker("o", 3)])
        .await
        .expect("append");
    while !(has_marker(&got, "o", 2) && has_marker(&got, "o", 3)) {
        match next(&mut follow).await {
            Tailed::Entries(entries) => {
                for (_, bytes) in entries {
                    got.join(Document::decode(&bytes).expect("decode"));
                }
            }
            Tailed::Reloaded(_) => panic!("no trim happened"),
        }
    }
    // Another writer appends and trims past it in one transaction (as a compactor
    // would while this node was cut off): the follower never sees that entry, only
    // the trim marker, and must reload.
    let client = redis::Client::open(redis.url()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let far = "99999999999999";
    let mut snapshot = Document::decode(&marker("o", 4)).expect("decode");
    snapshot.join(got.clone());
    let _: () = redis::pipe()
        .atomic()
        .cmd("XADD")
        .arg("converge:doc:{d}:log")
        .arg(format!("{far}-0"))
        .arg("d")
        .arg(marker("o", 4))
        .ignore()
        .cmd("HSET")
        .arg("converge:doc:{d}:snapshot")
        .arg("ms")
        .arg(far)
        .arg("seq")
        .arg(0)
        .arg("bytes")
        .arg(snapshot.encode().expect("encode"))
        .ignore()
        .cmd("XTRIM")
        .arg("converge:doc:{d}:log")
        .arg("MINID")
        .arg(format!("{far}-1"))
        .ignore()
        .cmd("XADD")
        .arg("converge:doc:{d}:log")
        .arg("*")
        .arg("trim")
        .arg(format!("{far}-0"))
        .ignore()
        .query_async(&mut conn)
        .await
        .expect("append and trim");
    match next(&mut follow).await {
        Tailed::Reloaded(loaded) => {
            let state = fold(&loaded);
            assert!((1..=4).all(|n| has_marker(&state, "o", n)));
        }
        Tailed::Entries(entries) => panic!("expected a reload, got {} entries", entries.len()),
    }
    // And it keeps following after the reload.
    other
        .append("d", vec![marker("o", 5)])
        .await
        .expect("append");
    match next(&mut follow).await {
        Tailed::Entries(entries) => {
            let mut state = Document::new();
            for (_, bytes) in entries {
                state.join(Document::decode(&bytes).expect("decode"));
            }
            assert!(has_marker(&state, "o", 5));
        }
        Tailed::Reloaded(_) => panic!("no second trim happened"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistence_settings_that_can_lose_writes_are_reported() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let s = storage(&redis, "p", true).await;
    assert_eq!(s.persistence_warnings().await, Vec::<String>::new());
    let client = redis::Client::open(redis.url()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    for (name, value) in [
        ("appendfsync", "everysec"),
        ("maxmemory-policy", "allkeys-lru"),
    ] {
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg(name)
            .arg(value)
            .query_async(&mut conn)
            .await
            .expect("config set");
    }
    let warnings = s.persistence_warnings().await;
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("appendfsync is everysec"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("maxmemory-policy is allkeys-lru"),
        "{warnings:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_a_queue_behind_gets_a_reload_with_everything() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let mut options = RedisOptions::new("slow");
    options.follow_queue = 2;
    let follower = RedisStorage::connect(&redis.url(), options)
        .await
        .expect("connect");
    let other = storage(&redis, "o", false).await;
    let (_, follow) = follower.load_and_follow("d").await.expect("follow");
    let mut follow = follow.expect("redis follows");
    // 12 appends one by one, none received meanwhile: the queue of 2 overflows.
    let appends = 12;
    for n in 1..=appends {
        other
            .append("d", vec![marker("o", n)])
            .await
            .expect("append");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let mut got = Document::new();
    let mut reloads = 0;
    while !(1..=appends).all(|n| has_marker(&got, "o", n)) {
        match next(&mut follow).await {
            Tailed::Entries(entries) => {
                for (_, bytes) in entries {
                    got.join(Document::decode(&bytes).expect("decode"));
                }
            }
            Tailed::Reloaded(loaded) => {
                reloads += 1;
                got.join(fold(&loaded));
            }
        }
    }
    println!("slow follower: {appends} appended, 0 lost, {reloads} reloads");
    assert!(reloads >= 1, "the overflow was made up by a reload");
}
