//! The wire form of an `OrSet`: elements grouped by the replica that added them,
//! counters as gaps, so the encoding is close to the elements' own bytes.
//!
//! ```text
//! [ version vector, extra dots, replica₀, [gap, element, gap, element, …], replica₁, […], … ]
//! ```
//!
//! Replicas ascend; within a group dots ascend and each gap is the difference to the
//! previous counter (the first is the counter itself), so it is at least 1. An element
//! with several dots appears once per dot. The vector and extra dots are the context
//! minus what the elements' dots already say (`CausalContext::residual`).

use std::fmt;
use std::marker::PhantomData;

use converge_core::{
    Causal, CausalContext, Dot, DotMap, DotSet, DotStore, ReplicaId, VersionVector,
};
use serde::de::{self, DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Element, OrSet};

impl<E: Element + Serialize> Serialize for OrSet<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Causal { store, context } = &self.state;
        let mut by_dot: Vec<(Dot, &E)> = Vec::with_capacity(store.dot_count());
        for (element, dots) in store.iter() {
            by_dot.extend(dots.iter().map(|d| (d, element)));
        }
        // Dots are unique in a set, so the stable shared sort orders as any sort would.
        converge_core::sort_stable_by(&mut by_dot, |a, b| a.0.cmp(&b.0));
        let in_store: Vec<Dot> = by_dot.iter().map(|(d, _)| *d).collect();
        let (vv, extra) = context.residual(&in_store);
        let groups: Vec<&[(Dot, &E)]> =
            by_dot.chunk_by(|a, b| a.0.replica == b.0.replica).collect();

        let mut seq = serializer.serialize_seq(Some(2 + 2 * groups.len()))?;
        seq.serialize_element(&vv)?;
        seq.serialize_element(&extra)?;
        for group in groups {
            seq.serialize_element(&group[0].0.replica)?;
            seq.serialize_element(&Group(group))?;
        }
        seq.end()
    }
}

/// One replica's elements in dot order, written as `[gap, element, …]`.
struct Group<'a, E>(&'a [(Dot, &'a E)]);

impl<E: Serialize> Serialize for Group<'_, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len() * 2))?;
        let mut previous = 0;
        for (dot, element) in self.0 {
            seq.serialize_element(&(dot.counter - previous))?;
            seq.serialize_element(element)?;
            previous = dot.counter;
        }
        seq.end()
    }
}

impl<'de, E: Element + DeserializeOwned> Deserialize<'de> for OrSet<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(SetVisitor(PhantomData))
    }
}

struct SetVisitor<E>(PhantomData<E>);

impl<'de, E: Element + DeserializeOwned> Visitor<'de> for SetVisitor<E> {
    type Value = OrSet<E>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OR-Set: [version vector, extra dots, replica, elements, …]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OrSet<E>, A::Error> {
        let vv: VersionVector = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("OR-Set lacks its version vector"))?;
        let extra: DotSet = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("OR-Set lacks its extra dots"))?;
        for (replica, top) in vv.iter() {
            Dot::checked(replica, top).map_err(de::Error::custom)?;
        }
        let mut context = CausalContext::from_version_vector(vv);
        context.extend(extra.iter());

        let mut store: DotMap<E, DotSet> = DotMap::new();
        let mut last_replica: Option<ReplicaId> = None;
        while let Some(replica) = seq.next_element::<ReplicaId>()? {
            if last_replica.is_some_and(|last| last >= replica) {
                return Err(de::Error::custom(
                    "OR-Set replicas are not in ascending order",
                ));
            }
            last_replica = Some(replica);
            let group: GroupOf<E> = seq
                .next_element()?
                .ok_or_else(|| de::Error::custom("OR-Set replica lacks its elements"))?;
            for (counter, element) in group.0 {
                let dot = Dot::checked(replica, counter).map_err(de::Error::custom)?;
                context.insert(dot);
                store.insert_dot(element, dot);
            }
        }
        Ok(OrSet {
            state: Causal::new(store, context),
        })
    }
}

/// A decoded group: `(counter, element)` with counters rebuilt from the gaps.
struct GroupOf<E>(Vec<(u64, E)>);

impl<'de, E: Element + DeserializeOwned> Deserialize<'de> for GroupOf<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(GroupVisitor(PhantomData))
    }
}

struct GroupVisitor<E>(PhantomData<E>);

impl<'de, E: Element + DeserializeOwned> Visitor<'de> for GroupVisitor<E> {
    type Value = GroupOf<E>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a flat array of counter gaps and elements")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<GroupOf<E>, A::Error> {
        let mut entries = Vec::new();
        let mut counter: u64 = 0;
        while let Some(gap) = seq.next_element::<u64>()? {
            if gap == 0 {
                return Err(de::Error::custom(
                    "OR-Set counter gap of 0 (dots must ascend)",
                ));
            }
            counter = counter
                .checked_add(gap)
                .ok_or_else(|| de::Error::custom("OR-Set counter passes u64::MAX"))?;
            let element: E = seq
                .next_element()?
                .ok_or_else(|| de::Error::custom("OR-Set counter gap lacks its element"))?;
            entries.push((counter, element));
        }
        Ok(GroupOf(entries))
    }
}
