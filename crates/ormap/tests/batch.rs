//! `Document::write_all` (issue 16, the batch entry point): a batch of writes leaves
//! the document as the same writes one at a time do, and its delta is the join of
//! their deltas; a batch with a refused write changes nothing, whichever write is
//! refused and whether the refusal needs the state to be seen.

use converge_core::testing::with_every_map_indexed;
use converge_core::{DeltaCrdt, Hlc, Lattice, ManualClock, ReplicaId};
use converge_ormap::{
    coalesce, Document, Error, Policies, Policy, Value, Write, WriteGuard, MAX_PATH_LEN,
    MAX_VALUE_DEPTH,
};
use proptest::prelude::*;

mod support;

const ME: ReplicaId = ReplicaId::new(0xa);
const OWNER: ReplicaId = ReplicaId::new(0xb);

fn path(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

fn guard(policies: &Policies) -> WriteGuard<'_> {
    WriteGuard {
        writer: ME,
        policies,
        if_match: None,
    }
}

/// Short paths over three keys, so writes meet at the same fields and on the way
/// (a write at `a` and one at `a/b` supersede each other's kinds).
fn path_strategy() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..4)
        .prop_map(|keys| path(&keys))
}

fn writes_strategy(max: usize) -> impl Strategy<Value = Vec<(Vec<String>, Write)>> {
    prop::collection::vec((path_strategy(), support::document_write()), 0..max)
}

/// Writes over 30 first keys, some one key long, some with a key or two below.
fn many_keys_writes(max: usize) -> impl Strategy<Value = Vec<(Vec<String>, Write)>> {
    let path = (
        0..30usize,
        prop::collection::vec(prop::sample::select(vec!["a", "b"]), 0..3),
    )
        .prop_map(|(first, rest)| {
            let mut keys = vec![format!("k{first}")];
            keys.extend(rest.iter().map(|k| (*k).to_owned()));
            keys
        });
    prop::collection::vec((path, support::document_write()), 0..max)
}

/// The writes one at a time, from a clock at `millis`: the document after them and
/// the join of their deltas.
fn one_at_a_time(
    mut doc: Document,
    writes: &[(Vec<String>, Write)],
    policies: &Policies,
    millis: u64,
) -> (Document, Document) {
    let mut clock = Hlc::new(ManualClock::new(millis));
    let mut deltas = Document::new();
    for (path, write) in writes {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let delta = doc
            .write(&keys, write.clone(), &guard(policies), &mut clock)
            .expect("these writes are valid");
        deltas.join(delta);
    }
    (doc, deltas)
}

/// `write_all` against the writes one at a time, from the document `before` makes.
fn same_as_one_at_a_time(
    before: &[(Vec<String>, Write)],
    batch: &[(Vec<String>, Write)],
) -> Result<(), TestCaseError> {
    let policies = Policies::new();
    let (start, _) = one_at_a_time(Document::new(), before, &policies, 1_000);
    // Without authority rules or a precondition, the batch is coalesced first
    // (tests/coalesce.rs shows the coalesced writes read the same as the writes).
    let coalesced = coalesce(batch.to_vec());
    let (expected, expected_delta) = one_at_a_time(start.clone(), &coalesced, &policies, 2_000);

    let mut doc = start.clone();
    let mut clock = Hlc::new(ManualClock::new(2_000));
    let delta = doc
        .write_all(batch.to_vec(), &guard(&policies), &mut clock)
        .unwrap();
    prop_assert_eq!(&doc, &expected);
    prop_assert_eq!(&delta, &expected_delta);

    let mut elsewhere = start;
    elsewhere.join(delta);
    prop_assert_eq!(elsewhere, doc);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Fast path == general path: `write_all` leaves the same document as the
    /// (coalesced) writes one at a time, returns the join of their deltas, and that delta brings a
    /// replica that had the document before the batch to the document after it.
    #[test]
    fn a_batch_is_the_same_writes_one_at_a_time(
        before in writes_strategy(12),
        batch in writes_strategy(24),
        indexed in any::<bool>(),
    ) {
        // Also with every map's dot index on (as large maps have it), so the per-key
        // joins and the union meet indexed maps.
        let run = || same_as_one_at_a_time(&before, &batch);
        if indexed { with_every_map_indexed(run)? } else { run()? }
    }


    /// The same over many first keys (so the batch delta's map indexes its dots as
    /// it is built), with nested paths, and under an authority rule this writer
    /// passes (then the batch is not coalesced, and the document is copied first).
    #[test]
    fn a_batch_over_many_keys_is_the_same_writes_one_at_a_time(
        before in many_keys_writes(40),
        batch in many_keys_writes(120),
        authority in any::<bool>(),
    ) {
        let mut policies = Policies::new();
        if authority {
            policies.set(&["k1", "a"], Policy::Authority([ME].into()));
        }
        let (start, _) = one_at_a_time(Document::new(), &before, &policies, 1_000);
        let applied = match authority {
            true => batch.clone(),
            false => coalesce(batch.clone()),
        };
        let (expected, expected_delta) = one_at_a_time(start.clone(), &applied, &policies, 2_000);
        let mut doc = start.clone();
        let mut clock = Hlc::new(ManualClock::new(2_000));
        let delta = doc.write_all(batch, &guard(&policies), &mut clock).unwrap();
        prop_assert_eq!(&doc, &expected);
        prop_assert_eq!(&delta, &expected_delta);
        let mut elsewhere = start;
        elsewhere.join(delta);
        prop_assert_eq!(elsewhere, doc);
    }

    /// All or nothing: a batch with one refused write anywhere in it (a value too
    /// deep, a path too long, a field another replica is the authority of) changes
    /// nothing and returns that write's error.
    #[test]
    fn a_batch_with_a_refused_write_changes_nothing(
        before in writes_strategy(8),
        batch in writes_strategy(12),
        at in any::<prop::sample::Index>(),
        refusal in 0usize..3,
    ) {
        let mut policies = Policies::new();
        policies.set(&["owned"], Policy::Authority([OWNER].into()));
        let (start, _) = one_at_a_time(Document::new(), &before, &policies, 1_000);
        let (bad, expected) = match refusal {
            0 => {
                let deep = (0..=MAX_VALUE_DEPTH).fold(Value::Null, |v, _| Value::Array(vec![v]));
                ((path(&["a"]), Write::Set(deep)), "ERR_TOO_DEEP")
            }
            1 => ((vec!["k".to_owned(); MAX_PATH_LEN + 1], Write::Enable), "ERR_INVALID_ARGUMENT"),
            _ => ((path(&["owned", "x"]), Write::Increment(1)), "ERR_NOT_AUTHORITY"),
        };
        let mut batch = batch;
        batch.insert(at.index(batch.len() + 1), bad);

        let mut doc = start.clone();
        let mut clock = Hlc::new(ManualClock::new(2_000));
        let refused = doc.write_all(batch, &guard(&policies), &mut clock).unwrap_err();
        prop_assert_eq!(refused.code(), expected);
        prop_assert_eq!(doc, start);
    }
}

/// A refusal only the state shows: the batch's second write would replace a map
/// holding a field another replica is the authority of (the first write is applied
/// by then): the document is put back as it was.
#[test]
fn a_refusal_that_needs_the_state_puts_earlier_writes_back() {
    let mut policies = Policies::new();
    policies.set(&["m", "*", "email"], Policy::Authority([OWNER].into()));
    let owner = WriteGuard {
        writer: OWNER,
        policies: &policies,
        if_match: None,
    };
    let mut clock = Hlc::new(ManualClock::new(1_000));
    let mut doc = Document::new();
    doc.write(
        &["m", "x", "email"],
        Write::Set("ada@example.com".into()),
        &owner,
        &mut clock,
    )
    .unwrap();
    let start = doc.clone();

    let batch = vec![
        (path(&["title"]), Write::Set("Hello".into())),
        (path(&["m", "x"]), Write::Set(Value::Int(5))),
    ];
    let refused = doc
        .write_all(batch, &guard(&policies), &mut clock)
        .unwrap_err();
    assert!(matches!(refused, Error::NotAuthority { .. }), "{refused:?}");
    assert_eq!(doc, start);
}

/// A conditional batch: every write's path must be at the expected version as the
/// earlier writes leave it; the second write to the same field is stale, so the
/// first is undone too.
#[test]
fn a_stale_write_in_a_conditional_batch_puts_earlier_writes_back() {
    let policies = Policies::new();
    let mut clock = Hlc::new(ManualClock::new(1_000));
    let mut doc = Document::new();
    doc.write(&["n"], Write::Increment(1), &guard(&policies), &mut clock)
        .unwrap();
    let start = doc.clone();
    let version = doc.version_at(&["n"]);
    let conditional = WriteGuard {
        if_match: Some(&version),
        ..guard(&policies)
    };
    let batch = vec![
        (path(&["n"]), Write::Increment(1)),
        (path(&["n"]), Write::Increment(1)),
    ];
    let refused = doc.write_all(batch, &conditional, &mut clock).unwrap_err();
    assert!(matches!(refused, Error::Stale { .. }), "{refused:?}");
    assert_eq!(doc, start);
}

/// An empty batch changes nothing and its delta is empty.
#[test]
fn an_empty_batch_is_the_identity() {
    let policies = Policies::new();
    let mut clock = Hlc::new(ManualClock::new(1_000));
    let mut doc = Document::new();
    let delta = doc
        .write_all(
            Vec::<(Vec<String>, Write)>::new(),
            &guard(&policies),
            &mut clock,
        )
        .unwrap();
    assert!(delta.is_bottom());
    assert_eq!(doc, Document::new());
}
