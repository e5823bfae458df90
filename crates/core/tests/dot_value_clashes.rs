//! A dot value clash (one dot holding different values on two sides of a join, which
//! only a forged or buggy state produces) is settled the same way on every replica:
//! on states generated WITH clashing dots, the join of `DotFun` (alone, and nested in
//! a `DotMap`, indexed or not) is commutative, associative and idempotent, agrees
//! with the textbook join, and `is_subsumed_by` agrees with it. Each clash a join
//! meets is counted once, and trial joins count none.

use converge_core::testing::{check_join_laws, with_every_map_indexed};
use converge_core::{
    dot_value_clashes, Causal, CausalContext, DeltaCrdt, Dot, DotFun, DotMap, Lattice, ReplicaId,
};
use proptest::prelude::*;

type Register = Causal<DotFun<u8>>;
type Registers = Causal<DotMap<u8, DotFun<u8>>>;

/// A dot from a pool small enough that independent states share dots often.
fn dot() -> impl Strategy<Value = Dot> {
    (1u64..3, 1u64..4).prop_map(|(r, c)| Dot::new(ReplicaId::new(r), c))
}

/// Live writes (a dot, a value from a domain of 3, so a shared dot often carries
/// another value on the other side) and dots seen but no longer live.
fn writes() -> impl Strategy<Value = (Vec<(Dot, u8)>, Vec<Dot>)> {
    (
        prop::collection::vec((dot(), 0u8..3), 0..5),
        prop::collection::vec(dot(), 0..4),
    )
}

fn register((live, removed): (Vec<(Dot, u8)>, Vec<Dot>)) -> Register {
    let mut store = DotFun::new();
    let mut context = CausalContext::from_dots(removed);
    for (d, v) in live {
        store.insert(d, v);
        context.insert(d);
    }
    Causal::new(store, context)
}

/// Registers under keys 0 and 1; a dot lives under at most one key.
fn registers((live, removed): (Vec<(Dot, u8)>, Vec<Dot>)) -> Registers {
    let mut state = Registers::default();
    let mut taken = Vec::new();
    for (d, v) in live {
        if taken.contains(&d) {
            continue;
        }
        taken.push(d);
        let key = (d.counter % 2) as u8;
        let mut part = DotMap::new();
        let mut store = DotFun::new();
        store.insert(d, v);
        part.insert(key, store);
        state.join(Causal::new(part, CausalContext::from_dots([d])));
    }
    state.join(Causal::new(
        DotMap::new(),
        CausalContext::from_dots(removed),
    ));
    state
}

fn subsumption_agrees_with_join<T: DeltaCrdt>(a: &T, b: &T) -> Result<(), TestCaseError> {
    let mut joined = b.clone();
    joined.join(a.clone());
    prop_assert_eq!(
        a.is_subsumed_by(b),
        &joined == b,
        "is_subsumed_by disagrees with join"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_024))]

    #[test]
    fn register_join_laws_hold_with_clashing_dots(a in writes(), b in writes(), c in writes()) {
        let [a, b, c] = [a, b, c].map(register);
        check_join_laws(&a, &b, &c)?;
        subsumption_agrees_with_join(&a, &b)?;
        subsumption_agrees_with_join(&b, &a)?;
    }

    #[test]
    fn nested_register_join_laws_hold_with_clashing_dots(
        a in writes(),
        b in writes(),
        c in writes(),
        indexed in any::<bool>(),
    ) {
        let check = || {
            let [a, b, c] = [a, b, c].map(registers);
            check_join_laws(&a, &b, &c)?;
            subsumption_agrees_with_join(&a, &b)?;
            subsumption_agrees_with_join(&b, &a)
        };
        if indexed { with_every_map_indexed(check)? } else { check()? }
    }
}

fn one_write(value: u8) -> Register {
    register((vec![(Dot::new(ReplicaId::new(1), 1), value)], vec![]))
}

/// The defect of issue 14, item 2: each side kept its own value under the clashing
/// dot, so the two replicas never converged.
#[test]
fn both_sides_keep_the_same_value_under_a_clashing_dot() {
    let (honest, forged) = (one_write(1), one_write(2));
    let mut at_honest = honest.clone();
    at_honest.join(forged.clone());
    let mut at_forged = forged.clone();
    at_forged.join(honest);
    assert_eq!(at_honest, at_forged);
    assert_eq!(at_honest, forged, "the greater encoding wins");
}

#[test]
fn a_join_counts_each_clash_it_meets_once_and_a_trial_join_none() {
    let (honest, forged) = (one_write(1), one_write(2));
    let before = dot_value_clashes();
    assert!(!forged.is_subsumed_by(&honest));
    assert_eq!(dot_value_clashes(), before, "the news check is a trial");
    let mut state = honest.clone();
    state.join(forged.clone());
    assert_eq!(dot_value_clashes(), before + 1);
    // The greater value now stands on this side: the forged one brings nothing more.
    state.join(forged);
    assert_eq!(dot_value_clashes(), before + 1);
    // Where this side holds the greater value, the join still meets the clash.
    let mut forged_side = one_write(2);
    forged_side.join(honest);
    assert_eq!(dot_value_clashes(), before + 2);
}
