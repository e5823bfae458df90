//! The SQLite storage: compaction racing appends (and other compactions) loses
//! nothing, and a torn WAL tail recovers to the last commit without a panic.

mod support;

use std::path::Path;
use std::sync::Arc;

use converge_core::{Codec, Lattice, ReplicaId};
use converge_ormap::Document;
use converge_relay::{Loaded, SqliteStorage, Storage, DB_FILE};
use support::{has_marker, write_marker};

/// Encoded deltas of marker writes 0..n by one writer (each a distinct dot).
fn marker_entries(n: u64) -> Vec<Vec<u8>> {
    let mut doc = Document::new();
    (0..n)
        .map(|i| {
            write_marker(&mut doc, ReplicaId::new(9), "s", i)
                .encode()
                .expect("encode")
        })
        .collect()
}

fn state_of(loaded: &Loaded) -> Document {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_racing_appends_and_other_compactions_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Arc::new(SqliteStorage::open_dir(dir.path()).expect("open"));
    const N: u64 = 300;
    let writer = {
        let storage = Arc::clone(&storage);
        tokio::spawn(async move {
            for entry in marker_entries(N) {
                storage.append("doc", vec![entry]).await.expect("append");
            }
        })
    };
    let compactors: Vec<_> = (0..2)
        .map(|_| {
            let storage = Arc::clone(&storage);
            tokio::spawn(async move {
                for _ in 0..40 {
                    let loaded = storage.load("doc").await.expect("load");
                    let up_to = loaded
                        .log
                        .last()
                        .map(|(s, _)| *s)
                        .or(loaded.snapshot.as_ref().map(|(u, _)| *u))
                        .unwrap_or(0);
                    let snapshot = state_of(&loaded).encode().expect("encode");
                    storage
                        .compact("doc", snapshot, up_to)
                        .await
                        .expect("compact");
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    writer.await.expect("writer");
    for c in compactors {
        c.await.expect("compactor");
    }
    let loaded = storage.load("doc").await.expect("load");
    let state = state_of(&loaded);
    let lost: Vec<u64> = (0..N).filter(|n| !has_marker(&state, "s", *n)).collect();
    println!(
        "compaction race: {N} appended, {} lost, snapshot up to {:?}, {} log entries left",
        lost.len(),
        loaded.snapshot.as_ref().map(|(u, _)| *u),
        loaded.log.len()
    );
    assert!(lost.is_empty(), "lost {lost:?}");
    assert!(loaded.snapshot.is_some());
}

fn copy_crashed(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    std::fs::copy(from.join(DB_FILE), to.join(DB_FILE)).expect("copy db");
    let wal = format!("{DB_FILE}-wal");
    std::fs::copy(from.join(&wal), to.join(&wal)).expect("copy wal");
}

#[tokio::test]
async fn a_torn_wal_tail_recovers_to_the_last_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("live");
    let storage = SqliteStorage::open_dir(&live).expect("open");
    const N: u64 = 40;
    let entries = marker_entries(N + 1);
    for entry in &entries[..N as usize] {
        storage
            .append("doc", vec![entry.clone()])
            .await
            .expect("append");
    }
    // The process "dies" here: the files as they are, WAL not checkpointed.
    let wal_len = std::fs::metadata(live.join(format!("{DB_FILE}-wal")))
        .expect("a WAL")
        .len();
    assert!(wal_len > 0);
    let mut recovered_counts = Vec::new();
    let cuts = [
        0,
        1,
        7,
        24,
        100,
        513,
        4096,
        4097,
        wal_len / 3,
        wal_len / 2,
        wal_len - 1,
    ];
    for (i, cut) in cuts.iter().enumerate() {
        let copy = dir.path().join(format!("copy{i}"));
        copy_crashed(&live, &copy);
        let wal = copy.join(format!("{DB_FILE}-wal"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&wal)
            .expect("open wal");
        file.set_len(wal_len.saturating_sub(*cut))
            .expect("truncate");
        drop(file);
        // Opening and loading must not panic; what loads is a prefix of the writes.
        let loaded = match SqliteStorage::open_dir(&copy) {
            Ok(s) => s.load("doc").await,
            Err(e) => Err(e),
        };
        let Ok(loaded) = loaded else {
            recovered_counts.push(None);
            continue;
        };
        let state = state_of(&loaded);
        let present: Vec<bool> = (0..N).map(|n| has_marker(&state, "s", n)).collect();
        let count = present.iter().take_while(|p| **p).count();
        assert!(
            present[count..].iter().all(|p| !p),
            "not a prefix after cutting {cut} bytes"
        );
        // The recovered database takes new writes.
        let reopened = SqliteStorage::open_dir(&copy).expect("reopen");
        reopened
            .append("doc", vec![entries[N as usize].clone()])
            .await
            .expect("append after recovery");
        recovered_counts.push(Some(count));
    }
    println!("WAL of {wal_len} bytes; entries recovered per cut {cuts:?}: {recovered_counts:?}");
    assert_eq!(
        recovered_counts[0],
        Some(N as usize),
        "an intact WAL recovers everything"
    );
    assert!(
        recovered_counts.iter().all(Option::is_some),
        "every torn WAL opens"
    );
    // Truncating the main file of a checkpointed database: errors, never a panic.
    drop(storage);
    let main = live.join(DB_FILE);
    let len = std::fs::metadata(&main).expect("db").len();
    for keep in [len / 2, 100, 0] {
        let copy = dir.path().join(format!("main{keep}"));
        std::fs::create_dir_all(&copy).expect("mkdir");
        std::fs::copy(&main, copy.join(DB_FILE)).expect("copy");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(copy.join(DB_FILE))
            .expect("open");
        file.set_len(keep).expect("truncate");
        drop(file);
        if let Ok(s) = SqliteStorage::open_dir(&copy) {
            let _ = s.load("doc").await;
        }
    }
}
