//! `Flag`: an enable-wins flag: on while some enable is live; a disable turns off
//! only the enables it observed.

use converge_core::{Causal, DeltaCrdt, DotSet, DotStore, Embeddable, Lattice, ReplicaId};

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

impl Lattice for Flag {
    fn join(&mut self, other: Self) {
        self.state.join(other.state);
    }
}

impl DeltaCrdt for Flag {}

impl Embeddable for Flag {
    type Store = DotSet;
    fn as_causal(&self) -> &Causal<DotSet> {
        &self.state
    }
    fn as_causal_mut(&mut self) -> &mut Causal<DotSet> {
        &mut self.state
    }
    fn from_causal(state: Causal<DotSet>) -> Self {
        Flag { state }
    }
    fn into_causal(self) -> Causal<DotSet> {
        self.state
    }
}
