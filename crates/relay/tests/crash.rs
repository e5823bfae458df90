//! The crash test: the relay binary as a child process, 8 clients writing
//! continuously, SIGKILL at 50 random moments and a restart on the same data
//! directory each time. After every kill, the database on disk must hold every write
//! the relay had acknowledged; at the end, every acknowledged write must be on the
//! relay and on every client. Prints acknowledged and lost counts; asserts 0 lost.
//!
//! Each client's writes increment its own counter (`["n", client]`): the count on
//! disk must reach the number of the client's writes the relay acknowledged (a
//! counter's state is cumulative, so it holds write k only if it holds every write
//! before it). Counters keep the document small, so the full-state exchange after
//! each restart stays cheap in a debug build.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use converge_core::{Codec, Lattice, ReplicaId};
use converge_ormap::Document;
use converge_relay::{Client, ClientOptions, SqliteStorage, Storage};
use support::{count_write, counted};

const CLIENTS: usize = 8;
const KILLS: usize = 50;

fn kills() -> usize {
    std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(KILLS)
}
const DOC: &str = "crash/board";

/// Starts the relay on `listen` (port 0 picks one); returns the child and the
/// address it bound.
fn start_relay(listen: &str, data: &Path) -> Option<(Child, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_converge-relay"))
        .args(["--listen", listen, "--data"])
        .arg(data)
        .args([
            "--max-messages-per-second",
            "100000",
            "--compact-every",
            "200",
        ])
        .env(
            "RUST_LOG",
            std::env::var("CRASH_RELAY_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(match std::env::var_os("CRASH_RELAY_STDERR") {
            Some(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_or(Stdio::null(), Stdio::from),
            None => Stdio::null(),
        })
        .spawn()
        .expect("spawn the relay");
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut line);
    }
    match line.trim().strip_prefix("listening on ") {
        Some(addr) => Some((child, addr.to_owned())),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }
}

/// Restarts on the same address, retrying while the port is still held.
fn restart_relay(addr: &str, data: &Path) -> Child {
    for _ in 0..200 {
        if let Some((child, _)) = start_relay(addr, data) {
            return child;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the relay did not restart on {addr}");
}

/// Kills the relay child if the test panics (so no relay outlives a failed run).
struct Reaper(Option<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One writer: its client, and the sequence number of each marker it wrote.
struct Writer {
    name: String,
    client: Client,
    seqs: Mutex<Vec<u64>>,
}

impl Writer {
    /// How many of its writes the relay has acknowledged.
    fn acked(&self) -> u64 {
        let acked = self.client.acked();
        let seqs = self.seqs.lock().expect("seqs");
        seqs.iter().filter(|s| **s < acked).count() as u64
    }
}

/// The document as the database on disk holds it.
async fn on_disk(data: &Path) -> Document {
    let storage = SqliteStorage::open_dir(data).expect("open the crashed database");
    let loaded = storage.load(DOC).await.expect("load");
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

fn random_below(bound: u64) -> u64 {
    ReplicaId::random().map_or(0, |r| r.get()) % bound.max(1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_fifty_sigkills() {
    if std::env::var_os("CRASH_DEBUG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("converge_relay=debug"))
            .try_init();
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (relay, addr) = start_relay("127.0.0.1:0", &data).expect("the relay starts");
    let mut relay = Reaper(Some(relay));
    let url = format!("ws://{addr}");
    let options = ClientOptions {
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..ClientOptions::default()
    };
    let writers: Vec<Arc<Writer>> = (0..CLIENTS)
        .map(|i| {
            Arc::new(Writer {
                name: format!("c{i}"),
                client: Client::connect(&url, DOC, options.clone()).expect("client"),
                seqs: Mutex::new(Vec::new()),
            })
        })
        .collect();
    let writing = Arc::new(AtomicBool::new(true));
    let tasks: Vec<_> = writers
        .iter()
        .map(|w| {
            let (w, writing) = (Arc::clone(w), Arc::clone(&writing));
            tokio::spawn(async move {
                while writing.load(Ordering::Relaxed) {
                    let seq = w.client.update(|doc, id| count_write(doc, id, &w.name));
                    w.seqs.lock().expect("seqs").push(seq);
                    tokio::time::sleep(Duration::from_millis(5 + random_below(10))).await;
                }
            })
        })
        .collect();

    let mut lost_on_disk = 0u64;
    let mut checked = 0u64;
    let total_acked = |writers: &[Arc<Writer>]| writers.iter().map(|w| w.acked()).sum::<u64>();
    for _ in 0..kills() {
        // Kill at a random moment while writes flow: once this relay acknowledged
        // something, then up to 400 ms later.
        let before = total_acked(&writers);
        let live = Instant::now();
        while total_acked(&writers) == before && live.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(random_below(400))).await;
        if let Some(mut child) = relay.0.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
        }
        // Acks seen now all came from the dead process: each must be on disk.
        let acked: Vec<u64> = writers.iter().map(|w| w.acked()).collect();
        let state = on_disk(&data).await;
        if std::env::var_os("CRASH_DEBUG").is_some() {
            let written: usize = writers
                .iter()
                .map(|w| w.seqs.lock().expect("seqs").len())
                .sum();
            let acked_now: u64 = acked.iter().sum();
            let connected = writers.iter().filter(|w| w.client.is_connected()).count();
            eprintln!(
                "kill: written {written}, acked {acked_now}, connected {connected}, fatal {:?}",
                writers[0].client.fatal()
            );
        }
        for (w, acked) in writers.iter().zip(&acked) {
            checked += *acked;
            lost_on_disk += acked.saturating_sub(counted(&state, &w.name));
        }
        let (addr, data) = (addr.clone(), data.clone());
        relay.0 = Some(
            tokio::task::spawn_blocking(move || restart_relay(&addr, &data))
                .await
                .expect("restart"),
        );
    }
    writing.store(false, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("writer task");
    }

    // Every write gets acknowledged in the end (clients resend what is unacked).
    for w in &writers {
        let last = w.seqs.lock().expect("seqs").last().copied().unwrap_or(0);
        tokio::time::timeout(Duration::from_secs(30), w.client.wait_acked(last))
            .await
            .expect("every write acknowledged in time")
            .expect("acknowledged");
    }
    let acked: Vec<u64> = writers.iter().map(|w| w.acked()).collect();
    let total: u64 = acked.iter().sum();
    let written: usize = writers
        .iter()
        .map(|w| w.seqs.lock().expect("seqs").len())
        .sum();
    assert_eq!(total, written as u64, "every write acknowledged in the end");
    let count_missing = |doc: &Document| -> u64 {
        writers
            .iter()
            .zip(&acked)
            .map(|(w, acked)| acked.saturating_sub(counted(doc, &w.name)))
            .sum()
    };
    let all_present = |doc: &Document| count_missing(doc) == 0;
    // On the relay: a fresh client's view, and the database itself.
    let verifier = Client::connect(&url, DOC, options.clone()).expect("verifier");
    let _ = tokio::time::timeout(Duration::from_secs(30), verifier.wait_until(all_present)).await;
    let lost_on_relay = verifier.read(count_missing);
    // On every client.
    let mut lost_on_clients = 0;
    for w in &writers {
        let _ =
            tokio::time::timeout(Duration::from_secs(30), w.client.wait_until(all_present)).await;
        lost_on_clients += w.client.read(count_missing);
    }
    drop(relay);
    let lost_final_disk = count_missing(&on_disk(&data).await);
    println!(
        "crash test: {KILLS} SIGKILLs, {total} writes acknowledged in the end; \
         {checked} acknowledged-before-kill checks on disk, {lost_on_disk} lost; \
         lost at the end: relay {lost_on_relay}, database {lost_final_disk}, clients {lost_on_clients}; \
         {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        lost_on_disk, 0,
        "acknowledged writes missing from disk after a kill"
    );
    assert_eq!(lost_on_relay, 0);
    assert_eq!(lost_final_disk, 0);
    assert_eq!(lost_on_clients, 0);
    assert!(total > 1000, "too few writes to mean anything: {total}");
    assert!(checked > 0);
}
