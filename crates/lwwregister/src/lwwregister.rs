//! `LwwRegister`: a register whose value is the latest write by hybrid-logical-clock
//! timestamp, where a causally later write always replaces what it saw and losing
//! concurrent writes stay readable as conflicts.

use std::fmt::Debug;

use converge_core::{
    Causal, Clock, Codec, DotFun, Hlc, ReplicaId, Timestamp, TypeTag, VersionVector,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{LwwRead, LwwWrite, Stamped};

/// A last-writer-wins register that loses no write silently. See the
/// [crate docs](crate).
///
/// Its state is a [`Causal`]`<`[`DotFun`]`<`[`Stamped`]`<V>>>`: the live writes, each
/// under the dot that names it with its timestamp, and the context of every write
/// seen. Encoded as that causal state:
/// `[[replica, counter, [millis, logical, value], …], version vector, extra dots]`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(
    transparent,
    bound(
        serialize = "V: Clone + PartialEq + Debug + Serialize",
        deserialize = "V: Clone + PartialEq + Debug + Serialize + DeserializeOwned"
    )
)]
pub struct LwwRegister<V> {
    state: Causal<DotFun<Stamped<V>>>,
}

impl<V> Default for LwwRegister<V> {
    fn default() -> Self {
        LwwRegister {
            state: Causal::default(),
        }
    }
}

impl<V> LwwRegister<V> {
    /// An empty register: nothing written, nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// The live writes, in dot order.
    fn live(&self) -> impl ExactSizeIterator<Item = LwwWrite<'_, V>> + '_ {
        self.state.store.iter().map(|(dot, stamped)| LwwWrite {
            dot,
            timestamp: stamped.timestamp,
            value: &stamped.value,
        })
    }

    /// The register's value: the winning write's, or `None` if the register is empty
    /// (never written, or cleared).
    pub fn value(&self) -> Option<&V> {
        self.winner().map(|w| w.value)
    }

    /// The winning write: of the live (mutually concurrent) writes, the one with the
    /// greatest timestamp; on equal timestamps, the one from the greater replica id.
    pub fn winner(&self) -> Option<LwwWrite<'_, V>> {
        self.live().max_by_key(LwwWrite::rank)
    }

    /// Every live write, the winner first, then the losers from the most recent down.
    pub fn writes(&self) -> Vec<LwwWrite<'_, V>> {
        let mut writes: Vec<_> = self.live().collect();
        // The shared stable sort (one copy of the sorting code in the wasm build).
        converge_core::sort_stable_by(&mut writes, |a, b| b.rank().cmp(&a.rank()));
        writes
    }

    /// The losing concurrent writes, most recent first: writes made without seeing
    /// the winner (nor it them). They stay readable until a write, or a clear, by a
    /// replica that has seen them supersedes them. Empty when there is no conflict.
    pub fn conflicts(&self) -> Vec<LwwWrite<'_, V>> {
        let mut writes = self.writes();
        if !writes.is_empty() {
            writes.remove(0);
        }
        writes
    }

    /// Whether concurrent writes are live, so the value was chosen by timestamp among
    /// them (see [`conflicts`](Self::conflicts)).
    pub fn is_conflicted(&self) -> bool {
        self.state.store.len() > 1
    }

    /// Whether the register holds no value (never written, or cleared).
    pub fn is_empty(&self) -> bool {
        self.state.store.len() == 0
    }

    /// Reads the register under a clock-skew tolerance, in milliseconds: if a losing
    /// concurrent write's timestamp is closer to the winner's than the tolerance
    /// (strictly: `winner.millis - loser.millis < skew_tolerance_ms`), skew between
    /// the writers' clocks may have decided the order, and the read says
    /// [`Ambiguous`](LwwRead::Ambiguous) instead of [`Confident`](LwwRead::Confident).
    ///
    /// Only the milliseconds count, not the logical counter. A tolerance of 0 never
    /// finds ambiguity. The tolerance is the reader's policy: it changes nothing in
    /// the state, its equality or its encoding, and the winner is the same whatever
    /// the tolerance.
    pub fn read(&self, skew_tolerance_ms: u64) -> LwwRead<'_, V> {
        LwwRead::judge(self.writes(), skew_tolerance_ms)
    }

    /// [`read`](Self::read) counting only the writes of replicas `counts` accepts, as
    /// if the others did not exist (an authority policy: only named replicas decide
    /// the value, identically on every replica that reads with the same filter).
    pub fn read_only(
        &self,
        skew_tolerance_ms: u64,
        counts: impl Fn(ReplicaId) -> bool,
    ) -> LwwRead<'_, V> {
        let mut writes = self.writes();
        writes.retain(|w| counts(w.writer()));
        LwwRead::judge(writes, skew_tolerance_ms)
    }

    /// The greatest timestamp among the live writes (the winner's); `None` if empty.
    pub fn latest_timestamp(&self) -> Option<Timestamp> {
        self.winner().map(|w| w.timestamp)
    }

    /// The version vector of the writes this replica has seen (the contiguous part of
    /// its causal context). Compare two replicas' vectors with
    /// [`VersionVector::compare`] to tell a stale replica from a concurrent one.
    pub fn version(&self) -> &VersionVector {
        self.state.context.version_vector()
    }
}

impl<V: Clone + PartialEq + Debug + Serialize> LwwRegister<V> {
    /// Writes `value` as `replica` and returns the delta: the new write with its
    /// timestamp, and a context of its dot and the dots it replaced.
    ///
    /// The write replaces every write this replica has seen, whatever their
    /// timestamps. To stamp it, `clock` first observes the latest timestamp here
    /// ([`latest_timestamp`](Self::latest_timestamp)) and then ticks, so the new
    /// timestamp is after every live write here even if the wall clock lags. Pass the
    /// replica's one long-lived clock, so its timestamps also stay after writes it
    /// made or saw elsewhere; writes concurrent with this one (not yet seen here) are
    /// ordered against it by timestamp.
    #[inline]
    pub fn set<C: Clock>(
        &mut self,
        replica: ReplicaId,
        clock: &mut Hlc<C>,
        value: V,
    ) -> LwwRegister<V> {
        if let Some(latest) = self.latest_timestamp() {
            clock.observe(latest);
        }
        let stamped = Stamped::new(clock.tick(), value);
        let Causal { store, context } = &mut self.state;
        LwwRegister {
            state: store.write(context, replica, stamped),
        }
    }

    /// Removes every write this replica has seen (an observed remove) and returns the
    /// delta: no value, with a context of exactly the removed dots. A write made
    /// concurrently elsewhere survives the merge with the clear, whatever its
    /// timestamp.
    pub fn clear(&mut self) -> LwwRegister<V> {
        LwwRegister {
            state: self.state.clear(),
        }
    }
}

impl<V: Clone + PartialEq + Debug + Serialize + DeserializeOwned> Codec for LwwRegister<V> {
    const TAG: TypeTag = TypeTag::LwwRegister;
}

converge_core::causal_type!(
    [V: Clone + PartialEq + Debug + Serialize] LwwRegister<V>,
    state: DotFun<Stamped<V>>,
    counting conflicts
);

#[cfg(test)]
mod tests {
    use converge_core::Lattice;
    use converge_core::ManualClock;

    use super::*;

    const A: ReplicaId = ReplicaId::new(1);
    const B: ReplicaId = ReplicaId::new(2);

    fn at(millis: u64) -> Hlc<ManualClock> {
        Hlc::new(ManualClock::new(millis))
    }

    #[test]
    fn equal_timestamps_go_to_the_greater_replica_id() {
        let mut a = LwwRegister::new();
        let mut b = LwwRegister::new();
        a.set(A, &mut at(100), "from a");
        b.set(B, &mut at(100), "from b");
        let mut ab = a.clone();
        ab.join(b.clone());
        let mut ba = b;
        ba.join(a);
        assert_eq!(ab, ba);
        assert_eq!(ab.value(), Some(&"from b"));
        assert_eq!(ab.winner().map(|w| w.writer()), Some(B));
        assert_eq!(ab.conflicts().len(), 1);
    }

    #[test]
    fn set_stamps_after_the_latest_write_seen_even_with_a_fresh_clock() {
        let mut r = LwwRegister::new();
        r.set(A, &mut at(500), 1);
        // A clock that has seen nothing and reads earlier still stamps after 500.
        let delta = r.set(A, &mut at(10), 2);
        assert_eq!(r.latest_timestamp(), Some(Timestamp::new(500, 1)));
        assert_eq!(delta.latest_timestamp(), Some(Timestamp::new(500, 1)));
        assert_eq!(r.value(), Some(&2));
        assert!(!r.is_conflicted());
    }

    #[test]
    fn clear_empties_and_a_concurrent_write_survives_it() {
        let mut a = LwwRegister::new();
        a.set(A, &mut at(100), "old");
        let mut b = a.clone();
        let cleared = a.clear();
        assert!(a.is_empty() && a.value().is_none() && a.latest_timestamp().is_none());
        // B writes concurrently, with an earlier clock than the write A cleared.
        let concurrent = b.set(B, &mut at(50), "new");
        a.join(concurrent);
        b.join(cleared);
        assert_eq!(a, b);
        assert_eq!(a.value(), Some(&"new"));
    }

    #[test]
    fn embedded_in_a_map_it_stamps_and_writes_with_the_maps_context() {
        use converge_core::{CausalContext, Embedded};
        let mut map_context = CausalContext::new();
        let mut value: Embedded<LwwRegister<u8>> = Embedded::default();
        value.with_context(&mut map_context, |r| r.set(A, &mut at(100), 1));
        value.with_context(&mut map_context, |r| r.set(A, &mut at(50), 2));
        let register = value.get();
        assert_eq!(register.value(), Some(&2));
        assert_eq!(register.latest_timestamp(), Some(Timestamp::new(100, 1)));
        assert!(register.version().is_empty());
        assert_eq!(map_context.version_vector().get(A), 2);
    }

    #[test]
    fn the_tolerance_changes_neither_state_nor_winner() {
        let mut a = LwwRegister::new();
        let mut b = LwwRegister::new();
        a.set(A, &mut at(100), 'a');
        b.set(B, &mut at(101), 'b');
        a.join(b);
        let before = a.encode().unwrap();
        for tolerance in [0, 1, 2, 1_000] {
            assert_eq!(a.read(tolerance).value(), Some(&'b'));
        }
        assert_eq!(a.encode().unwrap(), before);
    }
}
