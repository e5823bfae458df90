//! `DotSet`: a set of dots, the store of presence (an OR-Set element, an
//! enable-wins flag).

use std::fmt;

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Causal, CausalContext, Dot, DotStore, ReplicaId};

/// A set of dots. Non-empty means "present": an OR-Set element is present while its
/// dot set is non-empty, an enable-wins flag is on while its dot set is.
///
/// Encoded as a flat array `[replica, counter, replica, counter, …]` in dot order.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct DotSet {
    // Sorted, no duplicates. Usually one dot, so a vector beats a tree.
    dots: Vec<Dot>,
}

impl DotSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `dot` is in the set.
    pub fn contains(&self, dot: Dot) -> bool {
        self.dots.binary_search(&dot).is_ok()
    }

    /// Adds `dot`.
    pub fn insert(&mut self, dot: Dot) {
        if let Err(at) = self.dots.binary_search(&dot) {
            self.dots.insert(at, dot);
        }
    }

    /// The dots, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Dot> + '_ {
        self.dots.iter().copied()
    }

    #[allow(clippy::len_without_is_empty)] // `is_empty` is `DotStore::is_empty`
    /// Number of dots.
    pub fn len(&self) -> usize {
        self.dots.len()
    }

    /// Replaces every dot observed here with one fresh dot of `replica` (an add, or
    /// enabling a flag) and records it in `context`. Returns the exact delta: the
    /// fresh dot, with a context of the fresh dot and the replaced dots.
    pub fn write(&mut self, context: &mut CausalContext, replica: ReplicaId) -> Causal<DotSet> {
        let dot = context.next_dot(replica);
        context.insert(dot);
        let mut delta_context = CausalContext::from_dots(self.dots.drain(..));
        delta_context.insert(dot);
        self.dots.push(dot);
        Causal::new(DotSet { dots: vec![dot] }, delta_context)
    }
}

impl FromIterator<Dot> for DotSet {
    fn from_iter<I: IntoIterator<Item = Dot>>(iter: I) -> Self {
        let mut dots: Vec<Dot> = iter.into_iter().collect();
        dots.sort_unstable();
        dots.dedup();
        DotSet { dots }
    }
}

impl DotStore for DotSet {
    fn is_empty(&self) -> bool {
        self.dots.is_empty()
    }

    fn dot_count(&self) -> usize {
        self.dots.len()
    }

    fn collect_dots(&self, out: &mut Vec<Dot>) {
        out.extend_from_slice(&self.dots);
    }

    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        if self.dots == other.dots {
            return;
        }
        // Ours survive if the other side has them too or has never seen them.
        self.dots
            .retain(|&d| other.contains(d) || !other_context.contains(d));
        // Theirs are new to us unless we have seen (and so removed) them.
        for d in other.dots {
            if !context.contains(d) {
                self.insert(d);
            }
        }
    }
}

impl fmt::Debug for DotSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.dots).finish()
    }
}

impl Serialize for DotSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.dots.len() * 2))?;
        for dot in &self.dots {
            seq.serialize_element(&dot.replica)?;
            seq.serialize_element(&dot.counter)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for DotSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(FlatDots)
    }
}

/// Reads the flat `[replica, counter, …]` form shared by [`DotSet`] and, with a value
/// after each pair, [`DotFun`](crate::DotFun).
pub(crate) fn next_dot<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<Option<Dot>, A::Error> {
    let Some(replica) = seq.next_element::<ReplicaId>()? else {
        return Ok(None);
    };
    let counter: u64 = seq.next_element()?.ok_or_else(|| {
        serde::de::Error::custom("a dot's replica is not followed by its counter")
    })?;
    Dot::checked(replica, counter)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

struct FlatDots;

impl<'de> Visitor<'de> for FlatDots {
    type Value = DotSet;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a flat array of replica, counter pairs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DotSet, A::Error> {
        let mut dots = Vec::new();
        while let Some(dot) = next_dot(&mut seq)? {
            dots.push(dot);
        }
        Ok(dots.into_iter().collect())
    }
}
