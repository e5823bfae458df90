//! What simulation runs did, summed over runs and printed as one line.

use std::fmt;

/// What one run (or many, summed) did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub(crate) runs: u64,
    pub(crate) writes: u64,
    pub(crate) sent: u64,
    /// Bytes of every message sent.
    pub(crate) bytes: u64,
    pub(crate) dropped: u64,
    pub(crate) partitioned: u64,
    pub(crate) duplicated: u64,
    pub(crate) delayed: u64,
    pub(crate) delivered: u64,
    pub(crate) restarts: u64,
    pub(crate) saves: u64,
    pub(crate) partitions: u64,
    pub(crate) full_states_sent: u64,
    pub(crate) deltas_sent: u64,
    /// Tracked writes that had to survive (add-only workloads), and those that did.
    pub(crate) acknowledged_writes: u64,
    /// Healed rounds the slowest run needed to converge.
    pub(crate) max_heal_rounds: u64,
    pub(crate) converged: u64,
    /// States checked by the workload (differential workloads: reads compared with
    /// the reference model).
    pub(crate) checks: u64,
}

impl Stats {
    pub(crate) fn add(&mut self, other: &Stats) {
        self.runs += other.runs;
        self.writes += other.writes;
        self.sent += other.sent;
        self.bytes += other.bytes;
        self.dropped += other.dropped;
        self.partitioned += other.partitioned;
        self.duplicated += other.duplicated;
        self.delayed += other.delayed;
        self.delivered += other.delivered;
        self.restarts += other.restarts;
        self.saves += other.saves;
        self.partitions += other.partitions;
        self.full_states_sent += other.full_states_sent;
        self.deltas_sent += other.deltas_sent;
        self.acknowledged_writes += other.acknowledged_writes;
        self.max_heal_rounds = self.max_heal_rounds.max(other.max_heal_rounds);
        self.converged += other.converged;
        self.checks += other.checks;
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "runs {}, writes {}, messages sent {} ({} bytes; dropped {}, cut by partitions {}, \
             duplicated {}, delayed {}, delivered {}; {} full states, {} deltas), \
             partitions {}, saves {}, restarts {}, acknowledged writes checked {}, \
             states checked {}, converged {}/{} (slowest in {} healed rounds)",
            self.runs,
            self.writes,
            self.sent,
            self.bytes,
            self.dropped,
            self.partitioned,
            self.duplicated,
            self.delayed,
            self.delivered,
            self.full_states_sent,
            self.deltas_sent,
            self.partitions,
            self.saves,
            self.restarts,
            self.acknowledged_writes,
            self.checks,
            self.converged,
            self.runs,
            self.max_heal_rounds,
        )
    }
}
