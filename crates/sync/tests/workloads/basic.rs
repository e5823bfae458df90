//! The simulator's basic workloads: adds to an OR-Set (with the lost-write check) and
//! increments of a G-Counter. (Document writes live in `document.rs`.)

use std::collections::BTreeSet;

use converge_core::ReplicaId;
use converge_gcounter::GCounter;
use converge_orset::OrSet;

use crate::simulator::{Rng, Workload};

/// Adds only, each element a write's unique number: what the lost-write check needs.
#[derive(Debug, Default)]
pub(crate) struct AddOnlySet;

impl Workload for AddOnlySet {
    type State = OrSet<String>;

    fn write(
        &mut self,
        _: &mut Rng,
        _: usize,
        set: &mut OrSet<String>,
        writer: ReplicaId,
        write: u64,
    ) -> OrSet<String> {
        set.add(writer, write.to_string())
    }

    fn writes_in(&self, set: &OrSet<String>, out: &mut BTreeSet<u64>) -> bool {
        out.extend(
            set.iter()
                .map(|e| e.parse::<u64>().expect("elements are numbers")),
        );
        true
    }
}

/// Increments of 1 to 5; remembers their sum.
#[derive(Debug, Default)]
pub(crate) struct Increments {
    pub(crate) total: u128,
}

impl Workload for Increments {
    type State = GCounter;

    fn write(
        &mut self,
        rng: &mut Rng,
        _: usize,
        counter: &mut GCounter,
        writer: ReplicaId,
        _: u64,
    ) -> GCounter {
        let by = rng.between(1, 5);
        self.total += u128::from(by);
        counter
            .increment(writer, by)
            .expect("small increments never overflow")
    }
}
