//! `Flag`: an enable-wins flag: on while some enable is live; a disable turns off
//! only the enables it observed.

use converge_core::{Causal, DotSet, DotStore, ReplicaId};

/// An enable-wins boolean: an enable concurrent with a disable leaves it on.
#[derive(Clone, Default, PartialEq, Debug)]
pub struct Flag {
    state: Causal<DotSet>,
}

impl Flag {
    /// A flag that is off.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the flag is on.
    pub fn is_enabled(&self) -> bool {
        !self.state.store.is_empty()
    }

    /// Turns the flag on; returns the delta.
    pub fn enable(&mut self, replica: ReplicaId) -> Self {
        let Causal { store, context } = &mut self.state;
        Flag {
            state: store.write(context, replica),
        }
    }

    /// Turns the flag off as observed here; returns the delta.
    pub fn disable(&mut self) -> Self {
        Flag {
            state: self.state.clear(),
        }
    }
}

converge_core::causal_type!([] Flag, state: DotSet);

/// No concurrent writes to report: every write merges without a conflict.
impl converge_core::CountConflicts for Flag {}
