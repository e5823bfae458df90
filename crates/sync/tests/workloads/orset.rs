//! Differential workload: `OrSet<u8>` against the reference model of (element, write)
//! pairs. Adds (which refresh the element: they replace the adds observed here),
//! removes and clears of four elements, so every write collides with others.

use converge_core::ReplicaId;
use converge_orset::OrSet;

use super::model::{same, Checked, Tagged};
use crate::simulator::{Rng, Workload};

/// The real set and its model.
pub(crate) type CheckedSet = Checked<OrSet<u8>, Tagged<u8>>;

/// Random adds, removes and clears, applied to the set and its model alike.
#[derive(Debug, Default)]
pub(crate) struct SetAgainstModel;

impl Workload for SetAgainstModel {
    type State = CheckedSet;

    fn write(
        &mut self,
        rng: &mut Rng,
        _: usize,
        s: &mut CheckedSet,
        writer: ReplicaId,
        write: u64,
    ) -> CheckedSet {
        let e = rng.below(4) as u8;
        match rng.below(10) {
            0..=5 => Checked {
                real: s.real.add(writer, e),
                model: s.model.write(write, e, |x| *x == e),
            },
            6..=8 => Checked {
                real: s.real.remove(&e),
                model: s.model.remove(|x| *x == e),
            },
            _ => Checked {
                real: s.real.clear(),
                model: s.model.remove(|_| true),
            },
        }
    }

    fn check(&self, s: &CheckedSet) -> Result<(), String> {
        let mut model: Vec<u8> = s.model.live().map(|(_, e)| *e).collect();
        model.sort_unstable();
        model.dedup();
        let real: Vec<u8> = s.real.to_sorted_vec().into_iter().copied().collect();
        same("OR-Set elements", real, model.clone())?;
        same("OR-Set length", s.real.len(), model.len())?;
        same(
            "OR-Set contains, element by element",
            (0..4).map(|e| s.real.contains(&e)).collect::<Vec<_>>(),
            (0..4).map(|e| model.contains(&e)).collect(),
        )
    }
}
