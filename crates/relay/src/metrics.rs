//! The relay's counters, rendered in the Prometheus text format at `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::close_code;

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0,
];

/// A latency histogram (Prometheus buckets: each counts the observations at or below
/// its bound).
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.micros
            .fetch_add(took.as_micros().min(u128::from(u64::MAX)) as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            );
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}\n{name}_count {count}",
            self.micros.load(Relaxed) as f64 / 1e6
        );
    }
}

/// Counters and gauges, updated lock-free.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Open WebSocket connections.
    pub connections: AtomicU64,
    /// Documents loaded in memory.
    pub documents_loaded: AtomicU64,
    /// Frames received.
    pub messages_in: AtomicU64,
    /// Frames sent.
    pub messages_out: AtomicU64,
    /// Bytes received in frames.
    pub bytes_in: AtomicU64,
    /// Bytes sent in frames.
    pub bytes_out: AtomicU64,
    /// Log entries appended.
    pub log_entries: AtomicU64,
    /// Compactions done.
    pub compactions: AtomicU64,
    /// Storage failures.
    pub storage_errors: AtomicU64,
    /// Reloads of a document whose shared log was trimmed past what this node had
    /// read, or whose hub fell a whole queue behind it (Redis backend).
    pub stream_gaps: AtomicU64,
    rejected: [AtomicU64; close_code::REJECTIONS.len()],
    commit: Histogram,
    hub_wait: Histogram,
}

impl Metrics {
    /// Counts a connection closed (or a message refused) with `code`.
    pub fn reject(&self, code: u16) {
        if let Some(i) = close_code::REJECTIONS.iter().position(|c| *c == code) {
            self.rejected[i].fetch_add(1, Relaxed);
        }
    }

    /// How many rejections with `code` were counted.
    pub fn rejected(&self, code: u16) -> u64 {
        close_code::REJECTIONS
            .iter()
            .position(|c| *c == code)
            .map_or(0, |i| self.rejected[i].load(Relaxed))
    }

    /// Records one commit's latency.
    pub fn observe_commit(&self, took: Duration) {
        self.commit.observe(took);
    }

    /// Records how long a frame that brought news waited in the relay: from its
    /// arrival to its ack being queued (its batch's commit included).
    pub fn observe_hub_wait(&self, took: Duration) {
        self.hub_wait.observe(took);
    }

    /// Adds one frame sent of `len` bytes.
    pub fn sent(&self, len: usize) {
        self.messages_out.fetch_add(1, Relaxed);
        self.bytes_out.fetch_add(len as u64, Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let gauge = |out: &mut String, name: &str, help: &str, v: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}",
                v.load(Relaxed)
            );
        };
        let counter = |out: &mut String, name: &str, help: &str, v: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Relaxed)
            );
        };
        gauge(
            &mut out,
            "converge_relay_connections",
            "Open WebSocket connections.",
            &self.connections,
        );
        gauge(
            &mut out,
            "converge_relay_documents_loaded",
            "Documents loaded in memory.",
            &self.documents_loaded,
        );
        counter(
            &mut out,
            "converge_relay_messages_in_total",
            "Frames received.",
            &self.messages_in,
        );
        counter(
            &mut out,
            "converge_relay_messages_out_total",
            "Frames sent.",
            &self.messages_out,
        );
        counter(
            &mut out,
            "converge_relay_bytes_in_total",
            "Bytes received in frames.",
            &self.bytes_in,
        );
        counter(
            &mut out,
            "converge_relay_bytes_out_total",
            "Bytes sent in frames.",
            &self.bytes_out,
        );
        counter(
            &mut out,
            "converge_relay_log_entries_total",
            "Deltas appended to the durable log.",
            &self.log_entries,
        );
        counter(
            &mut out,
            "converge_relay_compactions_total",
            "Snapshots written (log compactions).",
            &self.compactions,
        );
        counter(
            &mut out,
            "converge_relay_storage_errors_total",
            "Storage operations that failed.",
            &self.storage_errors,
        );
        counter(
            &mut out,
            "converge_relay_stream_gaps_total",
            "Documents reloaded because their shared log was trimmed past what this node had read, or their hub fell a queue behind.",
            &self.stream_gaps,
        );
        let _ = writeln!(out, "# HELP converge_relay_rejected_total Connections closed or messages refused, by reason.\n# TYPE converge_relay_rejected_total counter");
        for (code, v) in close_code::REJECTIONS.iter().zip(&self.rejected) {
            let _ = writeln!(
                out,
                "converge_relay_rejected_total{{reason=\"{}\",code=\"{code}\"}} {}",
                close_code::reason(*code),
                v.load(Relaxed)
            );
        }
        self.commit.render(
            &mut out,
            "converge_relay_commit_seconds",
            "Latency of durable log commits.",
        );
        self.hub_wait.render(
            &mut out,
            "converge_relay_hub_wait_seconds",
            "From a frame with news arriving to its ack being queued (commit included).",
        );
        out
    }
}
