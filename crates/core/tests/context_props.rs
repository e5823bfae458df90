//! `CausalContext` and `VersionVector` agree with an obviously correct model: the plain
//! set of dots they hold (a `BTreeSet<Dot>`).
//!
//! - After any sequence of inserts and joins, `contains`, `next_dot`, `dot_count` and
//!   `is_empty` answer as the set does.
//! - The form is canonical: the vector is exactly the contiguous prefix of each
//!   replica's dots and the cloud exactly the rest, so contexts holding the same dots,
//!   built in any order, are `==` and encode to the same bytes.
//! - `residual` loses nothing: it and the store's dots rebuild the context.
//! - `VersionVector::compare` is set inclusion of the dots the vectors cover, and a
//!   vector's join is the union of those sets.

use std::collections::BTreeSet;

use converge_core::{
    Causal, CausalContext, Causality, Codec, Dot, DotSet, Lattice, ReplicaId, VersionVector,
};
use proptest::prelude::*;

/// Few replicas and small counters, so gaps open and fill often.
const REPLICAS: u64 = 3;
const MAX_COUNTER: u64 = 8;

type Model = BTreeSet<Dot>;

fn dot(r: u64, c: u64) -> Dot {
    Dot::new(ReplicaId::new(r), c)
}

/// Counter 0 included: it names no write, and both sides must ignore it.
fn any_dot() -> impl Strategy<Value = Dot> {
    (0..REPLICAS, 0..=MAX_COUNTER).prop_map(|(r, c)| dot(r, c))
}

fn dots_of(dots: &[Dot]) -> Model {
    dots.iter().copied().filter(|d| d.counter > 0).collect()
}

/// The dots a vector covers: `1..=n` for each entry `n`.
fn covered(vv: &VersionVector) -> Model {
    vv.iter()
        .flat_map(|(r, n)| (1..=n).map(move |c| Dot::new(r, c)))
        .collect()
}

#[derive(Clone, Debug)]
enum Op {
    Insert(Dot),
    Extend(Vec<Dot>),
    /// Join a context made of these dots.
    Join(Vec<Dot>),
    /// Join a context made of a vector.
    JoinVector(Vec<(u64, u64)>),
}

fn op() -> impl Strategy<Value = Op> {
    let dots = || prop::collection::vec(any_dot(), 0..8);
    prop_oneof![
        4 => any_dot().prop_map(Op::Insert),
        1 => dots().prop_map(Op::Extend),
        2 => dots().prop_map(Op::Join),
        1 => prop::collection::vec((0..REPLICAS, 0..=MAX_COUNTER), 0..3).prop_map(Op::JoinVector),
    ]
}

fn vector(entries: &[(u64, u64)]) -> VersionVector {
    entries
        .iter()
        .map(|&(r, c)| (ReplicaId::new(r), c))
        .collect()
}

fn apply(ctx: &mut CausalContext, model: &mut Model, op: &Op) {
    match op {
        Op::Insert(d) => {
            ctx.insert(*d);
            model.extend(dots_of(&[*d]));
        }
        Op::Extend(dots) => {
            ctx.extend(dots.iter().copied());
            model.extend(dots_of(dots));
        }
        Op::Join(dots) => {
            ctx.join(CausalContext::from_dots(dots.iter().copied()));
            model.extend(dots_of(dots));
        }
        Op::JoinVector(entries) => {
            let vv = vector(entries);
            model.extend(covered(&vv));
            ctx.join(CausalContext::from_version_vector(vv));
        }
    }
}

/// The bytes a context encodes to, as part of a causal state with an empty store.
fn encoded(ctx: &CausalContext) -> Vec<u8> {
    rmp_serde::to_vec(&Causal::new(DotSet::new(), ctx.clone())).expect("encoding into memory")
}

/// Every answer of `ctx` matches the model's, and its form is the canonical one.
fn agrees(ctx: &CausalContext, model: &Model) -> Result<(), TestCaseError> {
    for r in 0..=REPLICAS {
        // Counter 0 names no write; what `contains` says of it is not specified.
        for c in 1..=MAX_COUNTER + 2 {
            let d = dot(r, c);
            prop_assert_eq!(ctx.contains(d), model.contains(&d), "contains({:?})", d);
        }
        let replica = ReplicaId::new(r);
        let top = model
            .iter()
            .filter(|d| d.replica == replica)
            .map(|d| d.counter)
            .max()
            .unwrap_or(0);
        prop_assert_eq!(ctx.next_dot(replica), Dot::new(replica, top + 1));
        // Canonical: the vector is the contiguous prefix.
        let prefix = (1..).take_while(|&c| model.contains(&Dot::new(replica, c)));
        prop_assert_eq!(ctx.version_vector().get(replica), prefix.count() as u64);
    }
    // ... and the cloud is everything else.
    let in_vector = covered(ctx.version_vector());
    let cloud: Model = ctx.cloud().collect();
    prop_assert_eq!(
        &cloud,
        &model.difference(&in_vector).copied().collect::<Model>()
    );
    prop_assert!(in_vector.is_subset(model));
    prop_assert_eq!(ctx.dot_count(), model.len() as u128);
    prop_assert_eq!(ctx.is_empty(), model.is_empty());
    Ok(())
}

proptest! {
    #[test]
    fn context_agrees_with_a_set_of_dots(ops in prop::collection::vec(op(), 0..24)) {
        let mut ctx = CausalContext::new();
        let mut model = Model::new();
        for op in &ops {
            apply(&mut ctx, &mut model, op);
            agrees(&ctx, &model)?;
        }
        // The same set, built at once, is the same value with the same bytes.
        let direct = CausalContext::from_dots(model.iter().copied());
        prop_assert_eq!(&direct, &ctx);
        prop_assert_eq!(encoded(&direct), encoded(&ctx));
    }

    #[test]
    fn order_of_building_does_not_matter(
        (dots, shuffled) in prop::collection::vec(any_dot(), 0..24)
            .prop_flat_map(|dots| (Just(dots.clone()), Just(dots).prop_shuffle())),
        split in 0usize..24,
    ) {
        let model = dots_of(&dots);
        let at_once = CausalContext::from_dots(dots.iter().copied());
        let mut one_by_one = CausalContext::new();
        for d in shuffled.iter().rev() {
            one_by_one.insert(*d);
        }
        // Two halves of the other order, joined newest first.
        let (left, right) = shuffled.split_at(split.min(shuffled.len()));
        let mut joined = CausalContext::from_dots(right.iter().copied());
        joined.join(CausalContext::from_dots(left.iter().copied()));
        for ctx in [&one_by_one, &joined] {
            agrees(ctx, &model)?;
            prop_assert_eq!(ctx, &at_once);
            prop_assert_eq!(encoded(ctx), encoded(&at_once));
            prop_assert_eq!(ctx.version_vector().encode().unwrap(), at_once.version_vector().encode().unwrap());
        }
    }

    #[test]
    fn context_join_is_set_union(
        a in prop::collection::vec(any_dot(), 0..16),
        b in prop::collection::vec(any_dot(), 0..16),
    ) {
        let (ca, cb) = (CausalContext::from_dots(a.clone()), CausalContext::from_dots(b.clone()));
        let mut ab = ca.clone();
        ab.join(cb.clone());
        let mut ba = cb.clone();
        ba.join(ca.clone());
        let union: Model = dots_of(&a).union(&dots_of(&b)).copied().collect();
        agrees(&ab, &union)?;
        // The same structure (vector and compact cloud) as the union built at once.
        prop_assert_eq!(&ab, &CausalContext::from_dots(union.iter().copied()));
        prop_assert_eq!(&ab, &ba);
        let mut again = ab.clone();
        again.join(ab.clone());
        prop_assert_eq!(&again, &ab);
    }

    /// The residual of a context, with the store's dots added back, is the context.
    #[test]
    fn residual_and_store_dots_rebuild_the_context(
        ops in prop::collection::vec(op(), 0..16),
        pick in prop::collection::vec(any::<bool>(), 64),
    ) {
        let mut ctx = CausalContext::new();
        let mut model = Model::new();
        for op in &ops {
            apply(&mut ctx, &mut model, op);
        }
        // Any subset of the context can be a store's dots (sorted, distinct).
        let store: Vec<Dot> = model
            .iter()
            .zip(pick.iter().cycle())
            .filter(|(_, &keep)| keep)
            .map(|(d, _)| *d)
            .collect();
        let (vv, extra) = ctx.residual(&store);
        prop_assert!(extra.iter().all(|d| store.binary_search(&d).is_err()));
        let mut rebuilt = CausalContext::from_version_vector(vv);
        rebuilt.extend(extra.iter());
        rebuilt.extend(store.iter().copied());
        prop_assert_eq!(rebuilt, ctx);
    }

    #[test]
    fn vector_agrees_with_the_dots_it_covers(
        a in prop::collection::vec((0..REPLICAS, 0..=MAX_COUNTER), 0..5),
        b in prop::collection::vec((0..REPLICAS, 0..=MAX_COUNTER), 0..5),
    ) {
        let (va, vb) = (vector(&a), vector(&b));
        let (sa, sb) = (covered(&va), covered(&vb));
        let expected = match (sa.is_subset(&sb), sb.is_subset(&sa)) {
            (true, true) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (false, false) => Causality::Concurrent,
        };
        prop_assert_eq!(va.compare(&vb), expected);
        let mirrored = match expected {
            Causality::Before => Causality::After,
            Causality::After => Causality::Before,
            other => other,
        };
        prop_assert_eq!(vb.compare(&va), mirrored);
        prop_assert_eq!(va == vb, sa == sb);

        for r in 0..=REPLICAS {
            for c in 0..=MAX_COUNTER + 1 {
                prop_assert_eq!(va.contains(dot(r, c)), c == 0 || sa.contains(&dot(r, c)));
            }
            let replica = ReplicaId::new(r);
            prop_assert_eq!(va.next_dot(replica), Dot::new(replica, va.get(replica) + 1));
        }

        let mut joined = va.clone();
        joined.join(vb.clone());
        prop_assert_eq!(covered(&joined), sa.union(&sb).copied().collect::<Model>());
        prop_assert_eq!(joined.compare(&va), if sa.is_superset(&sb) { Causality::Equal } else { Causality::After });
    }

    #[test]
    fn vector_form_is_canonical(
        entries in prop::collection::vec((0..REPLICAS, 0..=MAX_COUNTER), 0..8)
            .prop_flat_map(|e| (Just(e.clone()), Just(e).prop_shuffle())),
    ) {
        let (entries, shuffled) = entries;
        let collected = vector(&entries);
        // Observed one at a time in another order, and joined from singletons.
        let mut observed = VersionVector::new();
        let mut joined = VersionVector::new();
        for &(r, c) in &shuffled {
            observed.observe(dot(r, c));
            joined.join(vector(&[(r, c)]));
        }
        for vv in [&observed, &joined] {
            prop_assert_eq!(vv, &collected);
            prop_assert_eq!(vv.encode().unwrap(), collected.encode().unwrap());
        }
        prop_assert!(collected.iter().all(|(_, c)| c > 0), "a zero entry is kept");
        prop_assert_eq!(VersionVector::decode(&collected.encode().unwrap()), Ok(collected));
    }
}

/// `Causality` is what the crate docs promise: a stale write is `Before`, a concurrent
/// one `Concurrent`, whatever the replicas' numbering.
#[test]
fn compare_matches_the_models_on_a_worked_example() {
    let seen: VersionVector = [(ReplicaId::new(1), 3), (ReplicaId::new(2), 1)]
        .into_iter()
        .collect();
    let stale = vector(&[(1, 2), (2, 1)]);
    let concurrent = vector(&[(1, 2), (2, 2)]);
    assert_eq!(stale.compare(&seen), Causality::Before);
    assert_eq!(concurrent.compare(&seen), Causality::Concurrent);
    assert!(covered(&stale).is_subset(&covered(&seen)));
}
