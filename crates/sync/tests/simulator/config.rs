//! What a simulation run is made of: its topology, how replicas restart, the
//! fault rates, and the workload that writes.

use std::collections::BTreeSet;

use converge_core::{Codec, CountConflicts, DeltaCrdt, ReplicaId};

use super::Rng;

/// Who talks to whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Topology {
    /// Every replica syncs with every other.
    Full,
    /// Replica 0 is the hub; the leaves sync only with it, so a leaf's writes reach
    /// the other leaves only by relay.
    Star,
}

/// How replicas restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Restarts {
    /// A crash: the replica comes back from its last save, losing every write and
    /// every received delta since.
    Crash,
    /// A clean shutdown: the replica saves, then comes back from those bytes (a new
    /// session that has lost nothing).
    Clean,
}

/// The knobs of one run. Percentages are per replica (writes, saves, restarts), per
/// message (drops, duplicates, delays) or per round (partitions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SimConfig {
    pub(crate) replicas: usize,
    pub(crate) topology: Topology,
    pub(crate) restarts: Restarts,
    /// Rounds with writes, faults and restarts.
    pub(crate) active_rounds: u64,
    pub(crate) write_percent: u64,
    pub(crate) drop_percent: u64,
    pub(crate) duplicate_percent: u64,
    pub(crate) delay_percent: u64,
    /// A delayed message is held for 1..=max_delay rounds.
    pub(crate) max_delay: u64,
    pub(crate) partition_percent: u64,
    pub(crate) save_percent: u64,
    pub(crate) restart_percent: u64,
    /// Rounds of a healed, lossless network allowed for convergence.
    pub(crate) heal_rounds: u64,
}

impl SimConfig {
    /// A configuration drawn from `seed`: 3 to 5 replicas, a star one time in four,
    /// 20-30 % loss.
    pub(crate) fn from_seed(seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ 0x5eed_c0f1_9000_0000);
        SimConfig {
            replicas: rng.between(3, 5) as usize,
            topology: if rng.chance(25) {
                Topology::Star
            } else {
                Topology::Full
            },
            restarts: Restarts::Crash,
            active_rounds: rng.between(15, 30),
            write_percent: rng.between(20, 50),
            drop_percent: rng.between(20, 30),
            duplicate_percent: rng.between(5, 15),
            delay_percent: rng.between(10, 30),
            max_delay: rng.between(1, 6),
            partition_percent: 8,
            save_percent: rng.between(10, 30),
            restart_percent: rng.between(2, 6),
            heal_rounds: 20,
        }
    }
}

/// What a workload writes, and (for add-only workloads) which writes a state holds.
pub(crate) trait Workload {
    type State: DeltaCrdt + Codec + CountConflicts;

    /// Makes one random local write at `node` as `writer` and returns its delta.
    /// `write` numbers the write uniquely within the run.
    fn write(
        &mut self,
        rng: &mut Rng,
        node: usize,
        state: &mut Self::State,
        writer: ReplicaId,
        write: u64,
    ) -> Self::State;

    /// For add-only workloads: adds to `out` the numbers of the writes `state`
    /// holds, and returns true. Others return false (no lost-write check).
    fn writes_in(&self, state: &Self::State, out: &mut BTreeSet<u64>) -> bool {
        let _ = (state, out);
        false
    }

    /// Checks one replica's state after each step that changed it (a write, a
    /// received message, a restore). Differential workloads compare the real type's
    /// reads with their reference model's here; others have nothing to check.
    fn check(&self, state: &Self::State) -> Result<(), String> {
        let _ = state;
        Ok(())
    }
}
