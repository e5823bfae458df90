//! Several relay nodes on one Redis, as real processes: a `redis-server` (AOF synced
//! on every write) and 3 `converge-relay --redis` nodes, Rust clients spread over
//! them. Every write adds one marker (an OR-set element under `["w", writer]`), so
//! a lost write is a missing marker. Each test prints its acknowledged and lost
//! counts, and asserts 0 lost.
//!
//! A client whose node dies moves to another node as a new client (a new replica id
//! and a new writer name): its acknowledged writes are in Redis, its unacknowledged
//! ones may be lost, which the zero-loss promise allows.

mod support;

use std::time::{Duration, Instant};

use converge_core::{Codec, Lattice};
use converge_ormap::Document;
use converge_relay::{Client, ClientOptions, RedisOptions, RedisStorage, Storage};
use support::redis_cluster::{Node, RedisServer};
use support::{has_marker, write_marker};

/// The tests share the 2 cores: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const DOC: &str = "cluster/board";

fn options() -> ClientOptions {
    ClientOptions {
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(300),
        ..ClientOptions::default()
    }
}

/// One client writing markers: its name, node and `(marker, sequence)` written.
struct Writer {
    who: String,
    node: usize,
    client: Client,
    marks: Vec<(u64, u64)>,
}

impl Writer {
    fn new(who: String, node: usize, url: &str) -> Writer {
        Writer {
            who,
            node,
            client: Client::connect(url, DOC, options()).expect("client"),
            marks: Vec::new(),
        }
    }

    fn write(&mut self) {
        let n = self.marks.len() as u64 + 1;
        let who = self.who.clone();
        let seq = self.client.update(|doc, id| write_marker(doc, id, &who, n));
        self.marks.push((n, seq));
    }

    /// The markers the relay acknowledged.
    fn acked(&self) -> Vec<u64> {
        let acked = self.client.acked();
        self.marks
            .iter()
            .filter(|(_, seq)| *seq < acked)
            .map(|(n, _)| *n)
            .collect()
    }

    async fn wait_all_acked(&self) {
        let last = self.marks.last().map_or(0, |(_, seq)| *seq);
        tokio::time::timeout(Duration::from_secs(60), self.client.wait_acked(last))
            .await
            .unwrap_or_else(|_| panic!("{}'s writes acknowledged in time", self.who))
            .expect("acknowledged");
    }
}

/// Every acknowledged marker: `(writer, marker)`.
#[derive(Default)]
struct Ledger(Vec<(String, u64)>);

impl Ledger {
    fn record(&mut self, w: &Writer) {
        self.0
            .extend(w.acked().into_iter().map(|n| (w.who.clone(), n)));
    }

    fn missing(&self, doc: &Document) -> u64 {
        self.0
            .iter()
            .filter(|(who, n)| !has_marker(doc, who, *n))
            .count() as u64
    }
}

/// The document as Redis holds it (snapshot joined with the stream), and whether it
/// has a snapshot.
async fn in_redis(url: &str) -> (Document, bool) {
    let storage = RedisStorage::connect(url, RedisOptions::new("verifier"))
        .await
        .expect("connect to redis");
    let loaded = storage.load(DOC).await.expect("load from redis");
    let mut state = loaded
        .snapshot
        .as_ref()
        .map(|(_, b)| Document::decode(b).expect("snapshot decodes"))
        .unwrap_or_default();
    for (_, bytes) in &loaded.log {
        state.join(Document::decode(bytes).expect("entry decodes"));
    }
    (state, loaded.snapshot.is_some())
}

/// Writes rounds of one marker per writer every `pause` for `time`.
async fn write_for(writers: &mut [Writer], time: Duration, pause: Duration) {
    let started = Instant::now();
    while started.elapsed() < time {
        for w in writers.iter_mut() {
            w.write();
        }
        tokio::time::sleep(pause).await;
    }
}

/// Waits for every writer's writes to be acknowledged, records them, then counts the
/// acknowledged markers missing: in Redis, on a fresh client of each live node, and
/// on every writer. Prints and returns (acknowledged, lost).
async fn settle_and_count(
    test: &str,
    redis: &RedisServer,
    nodes: &[&Node],
    writers: &[Writer],
    ledger: &mut Ledger,
) -> (u64, u64) {
    for w in writers {
        w.wait_all_acked().await;
        ledger.record(w);
    }
    let acknowledged = ledger.0.len() as u64;
    let all_present = |doc: &Document| ledger.missing(doc) == 0;
    let (state, _) = in_redis(&redis.url()).await;
    let lost_in_redis = ledger.missing(&state);
    let mut lost_on_nodes = 0;
    for node in nodes {
        let verifier = Client::connect(&node.url(), DOC, options()).expect("verifier");
        let _ =
            tokio::time::timeout(Duration::from_secs(30), verifier.wait_until(all_present)).await;
        lost_on_nodes += verifier.read(|doc| ledger.missing(doc));
        verifier.close().await;
    }
    let mut lost_on_clients = 0;
    for w in writers {
        let _ =
            tokio::time::timeout(Duration::from_secs(30), w.client.wait_until(all_present)).await;
        lost_on_clients += w.client.read(|doc| ledger.missing(doc));
    }
    let lost = lost_in_redis + lost_on_nodes + lost_on_clients;
    println!(
        "{test}: {acknowledged} writes acknowledged, {lost} lost \
         (redis {lost_in_redis}, nodes {lost_on_nodes}, clients {lost_on_clients})"
    );
    (acknowledged, lost)
}

fn three_nodes(redis: &RedisServer, extra: &[&str]) -> Vec<Node> {
    (0..3)
        .map(|i| Node::start(&format!("n{i}"), &redis.url(), extra))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_spread_over_three_nodes_converge() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let nodes = three_nodes(&redis, &[]);
    let mut writers: Vec<Writer> = (0..6)
        .map(|i| Writer::new(format!("c{i}"), i % 3, &nodes[i % 3].url()))
        .collect();
    for w in &writers {
        tokio::time::timeout(Duration::from_secs(10), w.client.wait_connected())
            .await
            .expect("connected in time")
            .expect("connected");
    }
    write_for(
        &mut writers,
        Duration::from_secs(2),
        Duration::from_millis(20),
    )
    .await;
    let mut ledger = Ledger::default();
    let (acknowledged, lost) = settle_and_count(
        "three nodes converge",
        &redis,
        &nodes.iter().collect::<Vec<_>>(),
        &writers,
        &mut ledger,
    )
    .await;
    assert_eq!(lost, 0);
    assert!(acknowledged >= 60, "too few writes: {acknowledged}");
    // Each writer saw the others' writes, which went through other nodes.
    for w in &writers {
        let seen_from_others = w.client.read(|doc| {
            writers
                .iter()
                .filter(|o| o.node != w.node)
                .all(|o| has_marker(doc, &o.who, 1))
        });
        assert!(seen_from_others, "{} saw the other nodes' writes", w.who);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_write_loses_no_acknowledged_write() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let mut nodes = three_nodes(&redis, &["--compact-every", "50"]);
    let mut writers: Vec<Writer> = (0..6)
        .map(|i| Writer::new(format!("c{i}"), i % 3, &nodes[i % 3].url()))
        .collect();
    let mut ledger = Ledger::default();
    write_for(
        &mut writers,
        Duration::from_millis(1500),
        Duration::from_millis(10),
    )
    .await;
    // SIGKILL node 0 while its clients write.
    for w in writers.iter_mut().filter(|w| w.node == 0) {
        w.write();
    }
    nodes[0].kill();
    let acked_before: usize = writers.iter().map(|w| w.acked().len()).sum();
    // Its clients move to the other nodes.
    let mut moved = Vec::new();
    for (i, w) in std::mem::take(&mut writers).into_iter().enumerate() {
        if w.node == 0 {
            ledger.record(&w);
            let node = 1 + i % 2;
            moved.push(Writer::new(
                format!("{}-moved", w.who),
                node,
                &nodes[node].url(),
            ));
            w.client.close().await;
        } else {
            moved.push(w);
        }
    }
    writers = moved;
    write_for(
        &mut writers,
        Duration::from_millis(1500),
        Duration::from_millis(10),
    )
    .await;
    let live = [&nodes[1], &nodes[2]];
    let (acknowledged, lost) =
        settle_and_count("node SIGKILL", &redis, &live, &writers, &mut ledger).await;
    println!("node SIGKILL: {acked_before} acknowledged before the kill");
    assert_eq!(lost, 0);
    assert!(acked_before > 0 && acknowledged > acked_before as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_write_loses_no_acknowledged_write() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut redis = RedisServer::start(dir.path());
    let nodes = three_nodes(&redis, &["--compact-every", "50"]);
    let mut writers: Vec<Writer> = (0..6)
        .map(|i| Writer::new(format!("c{i}"), i % 3, &nodes[i % 3].url()))
        .collect();
    write_for(
        &mut writers,
        Duration::from_millis(1500),
        Duration::from_millis(10),
    )
    .await;
    // SIGKILL Redis mid-write, keep writing while it is down, start it again.
    for w in writers.iter_mut() {
        w.write();
    }
    redis.kill();
    // Acks of what Redis stored before it died may still be on their way (1 s: a
    // loaded CI machine).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let acked_at_kill: usize = writers.iter().map(|w| w.acked().len()).sum();
    write_for(
        &mut writers,
        Duration::from_millis(2500),
        Duration::from_millis(20),
    )
    .await;
    let acked_while_down: usize = writers.iter().map(|w| w.acked().len()).sum();
    redis.restart();
    write_for(
        &mut writers,
        Duration::from_millis(1500),
        Duration::from_millis(10),
    )
    .await;
    let mut ledger = Ledger::default();
    let (acknowledged, lost) = settle_and_count(
        "redis restart",
        &redis,
        &nodes.iter().collect::<Vec<_>>(),
        &writers,
        &mut ledger,
    )
    .await;
    println!(
        "redis restart: {acked_at_kill} acknowledged at the kill, {} while redis was down",
        acked_while_down - acked_at_kill
    );
    assert_eq!(lost, 0);
    assert_eq!(
        acked_while_down, acked_at_kill,
        "nothing acknowledged while redis was down"
    );
    assert!(acknowledged > acked_at_kill as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_offline_past_the_trimming_gets_the_full_state() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let mut nodes = three_nodes(&redis, &["--compact-every", "5"]);
    let mut offline = Writer::new("offline".into(), 0, &nodes[0].url());
    for _ in 0..5 {
        offline.write();
    }
    offline.wait_all_acked().await;
    // The client goes offline (its node dies; it keeps retrying that address).
    nodes[0].kill();
    let mut writers: Vec<Writer> = (0..4)
        .map(|i| Writer::new(format!("c{i}"), 1 + i % 2, &nodes[1 + i % 2].url()))
        .collect();
    write_for(
        &mut writers,
        Duration::from_millis(2000),
        Duration::from_millis(10),
    )
    .await;
    for w in &writers {
        w.wait_all_acked().await;
    }
    let (_, snapshotted) = in_redis(&redis.url()).await;
    assert!(snapshotted, "the writes were compacted");
    let written: usize = writers.iter().map(|w| w.marks.len()).sum();
    // Back online: its node restarts on the same address.
    nodes[0].restart();
    let mut ledger = Ledger::default();
    ledger.record(&offline);
    let (acknowledged, lost) = settle_and_count(
        "offline past trimming",
        &redis,
        &nodes.iter().collect::<Vec<_>>(),
        &writers,
        &mut ledger,
    )
    .await;
    let all_present = |doc: &Document| ledger.missing(doc) == 0;
    let _ = tokio::time::timeout(
        Duration::from_secs(30),
        offline.client.wait_until(all_present),
    )
    .await;
    let lost_offline = offline.client.read(|doc| ledger.missing(doc));
    println!("offline past trimming: the returning client lacks {lost_offline} of {acknowledged}");
    assert_eq!(lost + lost_offline, 0);
    assert!(written > 100, "too few writes to trim: {written}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_concurrent_with_writes_and_two_compactors_loses_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    // No lease: every node compacts whenever it has 3 new entries, so compactions
    // overlap each other and the writes.
    let nodes = three_nodes(
        &redis,
        &["--compact-every", "3", "--compaction-lease-ms", "0"],
    );
    let mut writers: Vec<Writer> = (0..6)
        .map(|i| Writer::new(format!("c{i}"), i % 3, &nodes[i % 3].url()))
        .collect();
    write_for(
        &mut writers,
        Duration::from_millis(3000),
        Duration::from_millis(10),
    )
    .await;
    let mut ledger = Ledger::default();
    let (acknowledged, lost) = settle_and_count(
        "concurrent compactions",
        &redis,
        &nodes.iter().collect::<Vec<_>>(),
        &writers,
        &mut ledger,
    )
    .await;
    let compactions: Vec<f64> = nodes
        .iter()
        .map(|n| n.metric("converge_relay_compactions_total").unwrap_or(0.0))
        .collect();
    let gaps: f64 = nodes
        .iter()
        .map(|n| n.metric("converge_relay_stream_gaps_total").unwrap_or(0.0))
        .sum();
    println!("concurrent compactions: compactions per node {compactions:?}, stream gaps {gaps}");
    assert_eq!(lost, 0);
    assert!(acknowledged > 100);
    assert!(
        compactions.iter().filter(|c| **c > 0.0).count() >= 2,
        "at least two nodes compacted: {compactions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_lets_go_of_a_document_its_clients_left_while_other_nodes_write() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let nodes: Vec<Node> = (0..2)
        .map(|i| Node::start(&format!("n{i}"), &redis.url(), &["--idle-evict-secs", "1"]))
        .collect();
    let mut visitor = Writer::new("visitor".into(), 0, &nodes[0].url());
    visitor.write();
    visitor.wait_all_acked().await;
    visitor.client.close().await;
    // Node 1's client keeps writing: node 0 keeps receiving the document's entries,
    // but has no client for it, so it must still evict it after a second idle.
    let mut writers = vec![Writer::new("busy".into(), 1, &nodes[1].url())];
    write_for(
        &mut writers,
        Duration::from_millis(3500),
        Duration::from_millis(100),
    )
    .await;
    let loaded = nodes[0].metric("converge_relay_documents_loaded");
    println!("idle eviction under remote writes: node 0 has {loaded:?} documents loaded");
    assert_eq!(loaded, Some(0.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_paused_past_a_trim_reloads_and_its_clients_catch_up() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let nodes = three_nodes(&redis, &["--compact-every", "5"]);
    let mut reader = Writer::new("reader".into(), 0, &nodes[0].url());
    reader.write();
    reader.wait_all_acked().await;
    let mut writers: Vec<Writer> = (0..4)
        .map(|i| Writer::new(format!("c{i}"), 1 + i % 2, &nodes[1 + i % 2].url()))
        .collect();
    write_for(
        &mut writers,
        Duration::from_millis(300),
        Duration::from_millis(10),
    )
    .await;
    // Node 0 stops (SIGSTOP) while the others write and compact past where it read.
    nodes[0].signal("STOP");
    write_for(
        &mut writers,
        Duration::from_millis(2000),
        Duration::from_millis(10),
    )
    .await;
    for w in &writers {
        w.wait_all_acked().await;
    }
    nodes[0].signal("CONT");
    let mut ledger = Ledger::default();
    writers.push(reader);
    let (acknowledged, lost) = settle_and_count(
        "paused node",
        &redis,
        &nodes.iter().collect::<Vec<_>>(),
        &writers,
        &mut ledger,
    )
    .await;
    let gaps = nodes[0].metric("converge_relay_stream_gaps_total");
    println!("paused node: node 0 reloaded {gaps:?} times");
    assert_eq!(lost, 0);
    assert!(acknowledged > 100);
    assert!(
        gaps.is_some_and(|g| g >= 1.0),
        "node 0 found the gap: {gaps:?}"
    );
}

/// Issue 18 item 2: a client whose node is SIGKILLed moves to another node and
/// resumes there with its sync token (a delta), not the full state: the nodes'
/// hubs of one document speak as one sync session (the document's epoch in Redis,
/// sequence numbers = stream positions). The document is large, so a full state
/// would show in what the new node sends; it sends the moved client only the
/// writes made during the move (and acks), and the client sends it a delta, not
/// its own full state (the session acknowledged its writes before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_moved_to_another_node_resumes_with_a_delta() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let mut nodes = three_nodes(&redis, &[]);
    // A large document, written through node 2.
    let mut bulk = Writer::new("bulk".into(), 2, &nodes[2].url());
    for _ in 0..1500 {
        bulk.write();
    }
    bulk.wait_all_acked().await;
    let mut ledger = Ledger::default();
    // The mover syncs with node 0 (node 1 is where it goes next).
    let mover =
        Client::connect_nodes(&[nodes[0].url(), nodes[1].url()], DOC, options()).expect("client");
    let has_bulk = |doc: &Document| has_marker(doc, "bulk", 1500);
    tokio::time::timeout(Duration::from_secs(30), mover.wait_until(has_bulk))
        .await
        .expect("the mover got the document in time")
        .expect("synced");
    // A replica passes on the news it received, to the relay too: the mover sends
    // the document back once (as its full state, the interval being as large). Wait
    // until node 0 acknowledged that, so what node 1 receives is the move's alone.
    tokio::time::timeout(Duration::from_secs(30), mover.wait_acked(0))
        .await
        .expect("node 0 acknowledged the mover's echo in time")
        .expect("acknowledged");
    let full_len = mover.state().encode().expect("encodes").len();
    let sent_before = nodes[1]
        .metric("converge_relay_bytes_out_total")
        .expect("node 1's metrics");
    let received_before = nodes[1]
        .metric("converge_relay_bytes_in_total")
        .expect("node 1's metrics");
    // Node 0 dies; writes go on through node 2 while the mover moves.
    nodes[0].kill();
    // The mover writes while its node is dead (sent to node 1 once it moved).
    let mut moved = Writer {
        who: "mover".into(),
        node: 1,
        client: mover,
        marks: Vec::new(),
    };
    moved.write();
    for _ in 0..5 {
        bulk.write();
    }
    bulk.wait_all_acked().await;
    moved.wait_all_acked().await;
    let last = bulk.marks.len() as u64;
    let has_all = |doc: &Document| has_marker(doc, "bulk", last);
    tokio::time::timeout(Duration::from_secs(30), moved.client.wait_until(has_all))
        .await
        .expect("the moved client caught up in time")
        .expect("synced");
    assert_eq!(
        moved.client.node_url(),
        nodes[1].url(),
        "the client moved to node 1"
    );
    let sent = nodes[1]
        .metric("converge_relay_bytes_out_total")
        .expect("node 1's metrics")
        - sent_before;
    let received = nodes[1]
        .metric("converge_relay_bytes_in_total")
        .expect("node 1's metrics")
        - received_before;
    println!(
        "moved client: node 1 sent it {sent} bytes and received {received}; \
         the full state is {full_len} bytes"
    );
    assert!(
        sent * 4.0 < full_len as f64,
        "node 1 sent {sent} bytes, a full state is {full_len}: the move cost a full state"
    );
    assert!(
        received * 4.0 < full_len as f64,
        "node 1 received {received} bytes, a full state is {full_len}: the client sent its own"
    );
    let (acknowledged, lost) = settle_and_count(
        "moved client",
        &redis,
        &[&nodes[1], &nodes[2]],
        &[bulk, moved],
        &mut ledger,
    )
    .await;
    assert_eq!(lost, 0);
    assert!(acknowledged > 1500);
}

/// Every node that follows a document gets the same sync epoch (made once, kept in
/// Redis), which is what lets a client's token move between nodes; another document
/// has its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_follows_a_document_with_the_same_epoch() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = RedisServer::start(dir.path());
    let mut epochs = Vec::new();
    for (node, doc) in [("a", DOC), ("b", DOC), ("a", "other"), ("b", "other")] {
        let storage = RedisStorage::connect(&redis.url(), RedisOptions::new(node))
            .await
            .expect("connect to redis");
        let (_, follow) = storage.load_and_follow(doc).await.expect("load");
        epochs.push(follow.expect("redis follows").epoch);
    }
    assert_eq!(epochs[0], epochs[1], "two nodes, one document: one epoch");
    assert_eq!(epochs[2], epochs[3]);
    assert_ne!(epochs[0], epochs[2], "another document, another epoch");
}
