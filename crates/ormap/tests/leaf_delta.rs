//! `Document::write_leaf` (the JavaScript package's single writes, when only their
//! dots are kept) is `Document::write` without the root delta: on random documents
//! (my writes and a peer's merged between them, of every kind, so nodes hold other
//! kinds and concurrent writes), at random paths (the empty path, prefixes of each
//! other, too long), with values too deep and writes an authority refuses, both
//! leave the same document, return the same result or refusal, and the leaf's
//! `into_delta` is `write`'s delta (so its bottomness, its dots and its context are
//! too); and `WrittenPaths` fed with `record_leaf` reads back what it reads back fed
//! with `record`, which is what `takeDelta()` returns.

use converge_core::testing::with_every_map_indexed;
use converge_core::{DeltaCrdt, Hlc, Lattice, ManualClock, ReplicaId};
use converge_ormap::{Document, Policies, Policy, Value, Write, WriteGuard, WrittenPaths};
use proptest::prelude::*;

mod support;

use support::{ME, PEER};

/// A value nested `depth` arrays deep.
fn nested(depth: usize) -> Value {
    (0..depth).fold(Value::Int(1), |v, _| Value::Array(vec![v]))
}

/// A path: mostly one to four keys over a few keys per level; sometimes empty, or
/// longer than a document takes.
fn path() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        8 => support::path_under(vec!["a", "b", "c"], 4),
        1 => Just(Vec::new()),
        1 => Just(vec!["a".to_owned(); converge_ormap::MAX_PATH_LEN + 1]),
    ]
}

/// A write of every kind, sometimes of a value nested too deep.
fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        9 => support::document_write(),
        1 => Just(Write::Set(nested(converge_ormap::MAX_VALUE_DEPTH + 1))),
    ]
}

/// Steps: mine (`false`) or the peer's, merged into mine at once.
fn steps(max: usize) -> impl Strategy<Value = Vec<(bool, Vec<String>, Write)>> {
    prop::collection::vec((prop::bool::weighted(0.25), path(), write()), 0..max)
}

fn check(steps: &[(bool, Vec<String>, Write)], authority: bool) -> Result<(), TestCaseError> {
    let mut policies = Policies::new();
    if authority {
        // Fields under `b/x` belong to the peer: my writes there (and my writes
        // replacing `b`) are refused.
        policies.set(&["b", "x"], Policy::Authority([PEER].into()));
    }
    let guard = |writer: ReplicaId| WriteGuard {
        writer,
        policies: &policies,
        if_match: None,
    };
    let mut clock = Hlc::new(ManualClock::new(1_000));
    let mut leaf_clock = Hlc::new(ManualClock::new(1_000));
    let mut peer_clock = Hlc::new(ManualClock::new(1_500));
    let (mut doc, mut leaf_doc, mut peer) = (Document::new(), Document::new(), Document::new());
    let (mut recorded, mut leaf_recorded) = (WrittenPaths::new(ME), WrittenPaths::new(ME));
    for (peers, path, w) in steps {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        if *peers {
            if let Ok(delta) = peer.write(&keys, w.clone(), &guard(PEER), &mut peer_clock) {
                doc.join(delta.clone());
                leaf_doc.join(delta);
            }
            continue;
        }
        let written = doc.write(&keys, w.clone(), &guard(ME), &mut clock);
        let leaf = leaf_doc.write_leaf(&keys, w.clone(), &guard(ME), &mut leaf_clock);
        prop_assert_eq!(&doc, &leaf_doc);
        match (written, leaf) {
            (Ok(delta), Ok(leaf)) => {
                prop_assert_eq!(leaf.is_bottom(), delta.is_bottom());
                // As the JavaScript package keeps them: a bottom delta not at all.
                if !delta.is_bottom() {
                    recorded.record(path, &delta);
                    leaf_recorded.record_leaf(path, &leaf);
                }
                prop_assert_eq!(leaf.into_delta(&keys), delta);
            }
            (written, leaf) => prop_assert_eq!(written.map(drop), leaf.map(drop)),
        }
    }
    prop_assert_eq!(recorded.is_empty(), leaf_recorded.is_empty());
    prop_assert_eq!(
        recorded.delta_from(&doc),
        leaf_recorded.delta_from(&leaf_doc)
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn a_leaf_write_is_the_write_without_its_root_delta(
        steps in steps(40),
        authority in prop::bool::weighted(0.3),
        indexed in any::<bool>(),
    ) {
        let run = || check(&steps, authority);
        if indexed { with_every_map_indexed(run)? } else { run()? }
    }
}

/// The nested write the JavaScript bench makes, many times over a few keys: the
/// leaf's delta and the recorded paths match the root delta's at every write.
#[test]
fn repeated_nested_writes_match() -> Result<(), TestCaseError> {
    let steps: Vec<(bool, Vec<String>, Write)> = (0..300)
        .map(|i: i64| {
            let path = vec!["users".to_owned(), format!("k{}", i % 7), "n".to_owned()];
            (i % 11 == 0, path, Write::Set(Value::Int(i)))
        })
        .collect();
    check(&steps, false)
}
