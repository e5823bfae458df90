//! `VersionVector` agrees with an obviously correct model, a `BTreeMap` from replica to
//! counter without zero entries (what the vector was stored as before it became a
//! sorted array with one entry inline):
//!
//! - after any sequence of `set`s, `observe`s and joins, `get`, `iter`, `len` and
//!   `is_empty` answer as the model does;
//! - a join takes the pointwise maximum whether the other vector is small (looked up
//!   entry by entry) or large (walked side by side with ours);
//! - `compare` is the pointwise comparison of the models;
//! - equality, hashing and the encoding depend only on the entries, not on how the
//!   vector was built (one inline entry, or an array that grew and shrank), and the
//!   encoding is the model's map, byte for byte.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use converge_core::{Causality, Codec, Dot, Lattice, ReplicaId, VersionVector};
use proptest::prelude::*;

/// Enough replicas that vectors outgrow the join's lookup path (4 entries).
const REPLICAS: u64 = 12;

type Model = BTreeMap<ReplicaId, u64>;

#[derive(Clone, Debug)]
enum Op {
    Set(u64, u64),
    Observe(u64, u64),
    CheckedAdd(u64, u64),
    Join(Vec<(u64, u64)>),
}

fn counter() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..4, 1 => any::<u64>()]
}

fn entries() -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::vec((0..REPLICAS, counter()), 0..10)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..REPLICAS, counter()).prop_map(|(r, c)| Op::Set(r, c)),
        3 => (0..REPLICAS, counter()).prop_map(|(r, c)| Op::Observe(r, c)),
        3 => (0..REPLICAS, counter()).prop_map(|(r, c)| Op::CheckedAdd(r, c)),
        2 => entries().prop_map(Op::Join),
    ]
}

fn model_of(entries: &[(u64, u64)]) -> Model {
    let mut model = Model::new();
    for &(r, c) in entries {
        if c > 0 {
            let e = model.entry(ReplicaId::new(r)).or_insert(0);
            *e = (*e).max(c);
        }
    }
    model
}

fn vector_of(entries: &[(u64, u64)]) -> VersionVector {
    entries
        .iter()
        .map(|&(r, c)| (ReplicaId::new(r), c))
        .collect()
}

fn apply(vv: &mut VersionVector, model: &mut Model, op: &Op) {
    match op {
        Op::Set(r, c) => {
            vv.set(ReplicaId::new(*r), *c);
            if *c == 0 {
                model.remove(&ReplicaId::new(*r));
            } else {
                model.insert(ReplicaId::new(*r), *c);
            }
        }
        Op::Observe(r, c) => {
            vv.observe(Dot::new(ReplicaId::new(*r), *c));
            if *c > 0 {
                let e = model.entry(ReplicaId::new(*r)).or_insert(0);
                *e = (*e).max(*c);
            }
        }
        Op::CheckedAdd(r, by) => {
            // The one-lookup fast path against the general path: get, add, set.
            let r = ReplicaId::new(*r);
            let before = vv.clone();
            let total = vv.checked_add(r, *by);
            let expected = before.get(r).checked_add(*by);
            assert_eq!(total, expected);
            match expected {
                Some(t) if t > 0 => {
                    model.insert(r, t);
                }
                _ => assert_eq!(*vv, before, "a failed or empty add changes nothing"),
            }
        }
        Op::Join(entries) => {
            vv.join(vector_of(entries));
            for (r, c) in model_of(entries) {
                let e = model.entry(r).or_insert(0);
                *e = (*e).max(c);
            }
        }
    }
}

fn agrees(vv: &VersionVector, model: &Model) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        vv.iter().collect::<Vec<_>>(),
        model.clone().into_iter().collect::<Vec<_>>()
    );
    prop_assert_eq!(vv.len(), model.len());
    prop_assert_eq!(vv.is_empty(), model.is_empty());
    for r in 0..REPLICAS {
        let r = ReplicaId::new(r);
        prop_assert_eq!(vv.get(r), model.get(&r).copied().unwrap_or(0));
    }
    Ok(())
}

fn hash_of(vv: &VersionVector) -> u64 {
    let mut h = DefaultHasher::new();
    vv.hash(&mut h);
    h.finish()
}

fn model_compare(a: &Model, b: &Model) -> Causality {
    let ahead = a.iter().any(|(r, c)| *c > b.get(r).copied().unwrap_or(0));
    let behind = b.iter().any(|(r, c)| *c > a.get(r).copied().unwrap_or(0));
    match (ahead, behind) {
        (false, false) => Causality::Equal,
        (false, true) => Causality::Before,
        (true, false) => Causality::After,
        (true, true) => Causality::Concurrent,
    }
}

proptest! {
    #[test]
    fn mutations_agree_with_the_model(ops in prop::collection::vec(op(), 0..40)) {
        let mut vv = VersionVector::new();
        let mut model = Model::new();
        for op in &ops {
            apply(&mut vv, &mut model, op);
            agrees(&vv, &model)?;
        }
        // However it was built, the vector equals, hashes and encodes like one built
        // from its entries at once, and its bytes are the model's map.
        let rebuilt: VersionVector = model.clone().into_iter().collect();
        prop_assert_eq!(&vv, &rebuilt);
        prop_assert_eq!(hash_of(&vv), hash_of(&rebuilt));
        prop_assert_eq!(vv.encode().unwrap(), rebuilt.encode().unwrap());
        prop_assert_eq!(
            rmp_serde::to_vec(&vv).expect("a vector encodes"),
            rmp_serde::to_vec(&model).expect("a map encodes")
        );
        prop_assert_eq!(VersionVector::decode(&vv.encode().unwrap()).expect("decodes"), vv);
    }

    #[test]
    fn single_is_set_on_an_empty_vector(r in 0..REPLICAS, c in counter()) {
        let mut set = VersionVector::new();
        set.set(ReplicaId::new(r), c);
        let single = VersionVector::single(ReplicaId::new(r), c);
        prop_assert_eq!(&single, &set);
        prop_assert_eq!(hash_of(&single), hash_of(&set));
        prop_assert_eq!(single.encode().unwrap(), set.encode().unwrap());
    }

    #[test]
    fn join_and_compare_agree_with_the_model(a in entries(), b in entries()) {
        let (va, vb) = (vector_of(&a), vector_of(&b));
        let (ma, mb) = (model_of(&a), model_of(&b));
        agrees(&va, &ma)?;
        prop_assert_eq!(va.compare(&vb), model_compare(&ma, &mb));
        prop_assert_eq!(vb.compare(&va), model_compare(&mb, &ma));
        let mut joined = va.clone();
        joined.join_ref(&vb);
        let mut model = ma.clone();
        for (r, c) in mb {
            let e = model.entry(r).or_insert(0);
            *e = (*e).max(c);
        }
        agrees(&joined, &model)?;
        let mut other_way = vb;
        other_way.join(va);
        prop_assert_eq!(joined, other_way);
    }
}
