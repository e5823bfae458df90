//! The deliberately naive reference model the differential workloads check the real
//! types against, and the pair that carries both through the sync protocol.
//!
//! [`Tagged`] is every causal type reduced to two grow-only sets: the contributions
//! made (each tagged with the unique number of the write that made it) and the
//! numbers of the writes whose contributions were removed (overwritten, removed,
//! cleared). A contribution is live while its number is not in the removed set.
//! Joining is the union of both sets, so it is a lattice by inspection, and a write
//! removes exactly the live contributions it observed, which is what the add-wins,
//! observed-remove semantics of the OR-Set, the registers and the OR-Map say. It
//! shares no code with converge: no dots, no version vectors, no compaction.
//!
//! [`Checked`] is a real type and its model side by side. The simulator syncs it like
//! any converge type (every delta interval, full state, save and restore carries
//! both), and a differential workload compares the two sides' reads after every step.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use converge_core::{Codec, CountConflicts, DeltaCrdt, Lattice, TypeTag};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Contributions tagged with the number of the write that made them, and the numbers
/// of the writes removed since.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "C: Serialize", deserialize = "C: DeserializeOwned"))]
pub(crate) struct Tagged<C> {
    made: BTreeMap<u64, C>,
    removed: BTreeSet<u64>,
}

impl<C> Default for Tagged<C> {
    fn default() -> Self {
        Tagged {
            made: BTreeMap::new(),
            removed: BTreeSet::new(),
        }
    }
}

impl<C: Clone> Tagged<C> {
    /// The live contributions with their write numbers, in write order.
    pub(crate) fn live(&self) -> impl Iterator<Item = (u64, &C)> + '_ {
        self.made
            .iter()
            .filter(|(w, _)| !self.removed.contains(w))
            .map(|(w, c)| (*w, c))
    }

    /// Write number `write` contributes `c` and removes the live contributions
    /// `replaces` picks; returns the delta (the contribution and those removals).
    pub(crate) fn write(&mut self, write: u64, c: C, replaces: impl Fn(&C) -> bool) -> Self {
        let mut delta = self.remove(replaces);
        delta.made.insert(write, c.clone());
        self.made.insert(write, c);
        delta
    }

    /// Removes the live contributions `which` picks; returns the delta.
    pub(crate) fn remove(&mut self, which: impl Fn(&C) -> bool) -> Self {
        let gone: BTreeSet<u64> = self
            .live()
            .filter(|(_, c)| which(c))
            .map(|(w, _)| w)
            .collect();
        self.removed.extend(gone.iter().copied());
        Tagged {
            made: BTreeMap::new(),
            removed: gone,
        }
    }
}

impl<C: Clone> Lattice for Tagged<C> {
    fn join(&mut self, other: Self) {
        self.made.extend(other.made);
        self.removed.extend(other.removed);
    }
}

impl<C: Clone + PartialEq + Debug> DeltaCrdt for Tagged<C> {
    fn is_subsumed_by(&self, other: &Self) -> bool {
        self.made.keys().all(|w| other.made.contains_key(w))
            && self.removed.is_subset(&other.removed)
    }
}

/// What a model must be to travel with its real type.
pub(crate) trait Model: DeltaCrdt + Serialize + DeserializeOwned {}
impl<M: DeltaCrdt + Serialize + DeserializeOwned> Model for M {}

/// A real converge type and its reference model, synced as one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Codec, M: Model", deserialize = "T: Codec, M: Model"))]
pub(crate) struct Checked<T, M> {
    pub(crate) real: T,
    pub(crate) model: M,
}

impl<T: Lattice, M: Lattice> Lattice for Checked<T, M> {
    fn join(&mut self, other: Self) {
        self.real.join(other.real);
        self.model.join(other.model);
    }
}

impl<T: DeltaCrdt, M: DeltaCrdt> DeltaCrdt for Checked<T, M> {
    fn is_subsumed_by(&self, other: &Self) -> bool {
        self.real.is_subsumed_by(&other.real) && self.model.is_subsumed_by(&other.model)
    }
}

impl<T: DeltaCrdt + Codec, M: Model> Codec for Checked<T, M> {
    const TAG: TypeTag = T::TAG;
}

/// Conflicts are the real type's; the model only joins.
impl<T: CountConflicts, M: Lattice + Clone> CountConflicts for Checked<T, M> {
    fn conflicts_between(before: &Self, after: &Self) -> u64 {
        T::conflicts_between(&before.real, &after.real)
    }

    fn join_counting(&mut self, other: Self) -> u64 {
        self.model.join(other.model);
        self.real.join_counting(other.real)
    }
}

/// `Ok` if the real reading equals the model's, else both, for the failure report.
pub(crate) fn same<R: PartialEq + Debug>(what: &str, real: R, model: R) -> Result<(), String> {
    if real == model {
        Ok(())
    } else {
        Err(format!(
            "{what}: the real type reads\n  {real:?}\nbut the reference model reads\n  {model:?}"
        ))
    }
}
