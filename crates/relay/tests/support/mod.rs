//! Shared helpers of the relay tests: an in-process relay, and writes and reads of
//! one marker per write (an element of an OR-set under `["w", <client>]`).

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use converge_core::ReplicaId;
use converge_ormap::{Document, Value};
use converge_orset::OrSet;
use converge_relay::{serve, Metrics, RelayConfig, SqliteStorage};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A relay running in this process.
pub struct TestRelay {
    pub addr: SocketAddr,
    pub storage: Arc<SqliteStorage>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<Arc<Metrics>, converge_relay::Error>>,
}

impl TestRelay {
    /// Starts a relay on a free loopback port, storing in `dir`; `configure` adjusts
    /// the config.
    pub async fn start(dir: &Path, configure: impl FnOnce(&mut RelayConfig)) -> TestRelay {
        let storage = Arc::new(SqliteStorage::open_dir(dir).expect("open storage"));
        let mut config = RelayConfig::new(storage.clone());
        configure(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, config, async move {
            let _ = stopped.await;
        }));
        TestRelay {
            addr,
            storage,
            stop: Some(stop),
            task,
        }
    }

    /// `ws://addr`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Drains the relay and returns its final metrics.
    pub async fn stop(mut self) -> Arc<Metrics> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task)
            .await
            .expect("relay task")
            .expect("relay ran")
    }
}

/// Adds marker `n` under `["w", who]`: the delta.
pub fn write_marker(doc: &mut Document, writer: ReplicaId, who: &str, n: u64) -> Document {
    doc.update_at(&["w", who], |set: &mut OrSet<Value>| {
        set.add(writer, Value::from(n as i64))
    })
    .expect("a two-key path is valid")
}

/// Writes markers `range` under `["w", who]` through `client`, one update each, and
/// waits (20 s at most) until the relay acknowledged the last: the last's sequence.
pub async fn write_markers_acked(
    client: &converge_relay::Client,
    who: &str,
    range: std::ops::Range<u64>,
) -> u64 {
    let mut last = 0;
    for n in range {
        last = client.update(|doc, w| write_marker(doc, w, who, n));
    }
    tokio::time::timeout(std::time::Duration::from_secs(20), client.wait_acked(last))
        .await
        .expect("acknowledged in time")
        .expect("acknowledged");
    last
}

/// Whether marker `n` under `["w", who]` is in `doc`.
pub fn has_marker(doc: &Document, who: &str, n: u64) -> bool {
    doc.get_at(&["w", who])
        .and_then(|node| node.get::<OrSet<Value>>())
        .is_some_and(|set| set.contains(&Value::from(n as i64)))
}

/// How many markers are under `["w", who]`.
pub fn marker_count(doc: &Document, who: &str) -> usize {
    doc.get_at(&["w", who])
        .and_then(|node| node.get::<OrSet<Value>>())
        .map_or(0, |set| set.len())
}

/// Counts one write under `["n", who]` (a counter): the delta. The state stays one
/// entry per writer however many writes are made.
pub fn count_write(doc: &mut Document, writer: ReplicaId, who: &str) -> Document {
    doc.update_at(&["n", who], |counter: &mut converge_ormap::Counter| {
        counter.increment(writer, 1)
    })
    .expect("a two-key path is valid")
}

/// How many writes `["n", who]` counts.
pub fn counted(doc: &Document, who: &str) -> u64 {
    doc.get_at(&["n", who])
        .and_then(|node| node.get::<converge_ormap::Counter>())
        .map_or(0, |c| u64::try_from(c.value()).unwrap_or(0))
}

pub mod redis_cluster;
