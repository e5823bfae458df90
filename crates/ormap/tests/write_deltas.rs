//! `WriteDeltas` (issue 16, the deltas pending for `takeDelta()` in the JavaScript
//! package): the deltas of writes one at a time, kept per first key, give the join
//! of those deltas; and with a peer's deltas merged between the writes, a delta
//! that brings a replica that has everything else to the same document, and holds
//! nothing the writer no longer holds; some writes are made as changes of three
//! (`write_all`, pushed with `push_change`), and the join may start from a document
//! (`from_delta`).

use converge_core::testing::with_every_map_indexed;
use converge_core::{DeltaCrdt, Hlc, Lattice, ManualClock, ReplicaId};
use converge_ormap::{Document, Policies, Write, WriteDeltas, WriteGuard};
use proptest::prelude::*;

mod support;

const ME: ReplicaId = ReplicaId::new(0xa);
const PEER: ReplicaId = ReplicaId::new(0xb);

/// Paths over a few first keys, some with a key below, so writes meet.
fn path_strategy() -> impl Strategy<Value = Vec<String>> {
    (
        prop::sample::select(vec!["a", "b", "c", "d", "e"]),
        prop::collection::vec(prop::sample::select(vec!["x", "y"]), 0..2),
    )
        .prop_map(|(first, rest)| {
            let mut keys = vec![first.to_owned()];
            keys.extend(rest.iter().map(|k| (*k).to_owned()));
            keys
        })
}

/// A step: my write, or (when `true`) the peer's write, merged here at once.
fn steps(max: usize) -> impl Strategy<Value = Vec<(bool, Vec<String>, Write)>> {
    prop::collection::vec(
        (
            prop::bool::weighted(0.2),
            path_strategy(),
            support::document_write(),
        ),
        0..max,
    )
}

fn write(
    doc: &mut Document,
    who: ReplicaId,
    path: &[String],
    write: Write,
    clock: &mut Hlc<ManualClock>,
) -> Document {
    let policies = Policies::new();
    let guard = WriteGuard {
        writer: who,
        policies: &policies,
        if_match: None,
    };
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    doc.write(&keys, write, &guard, clock)
        .expect("these writes are valid")
}

fn check(
    before: &[(bool, Vec<String>, Write)],
    steps: &[(bool, Vec<String>, Write)],
    with_peer: bool,
    seed_at: usize,
    change: &[usize],
) -> Result<(), TestCaseError> {
    let mut clock = Hlc::new(ManualClock::new(1_000));
    let mut peer_clock = Hlc::new(ManualClock::new(1_500));
    let (mut doc, mut peer) = (Document::new(), Document::new());
    for (_, path, w) in before {
        let delta = write(&mut doc, ME, path, w.clone(), &mut clock);
        peer.join(delta);
    }
    let start = doc.clone();
    let (mut joined, mut deltas, mut theirs) =
        (Document::new(), WriteDeltas::new(), Document::new());
    let mut skip = 0;
    for (i, (peers, path, w)) in steps.iter().enumerate() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if i == seed_at {
            // The join so far, as a document, to push onto (as the wasm's pending
            // deltas do once they are joined into one).
            deltas = WriteDeltas::from_delta(joined.clone());
        }
        if *peers && with_peer {
            let delta = write(&mut peer, PEER, path, w.clone(), &mut peer_clock);
            doc.join(delta.clone());
            theirs.join(delta);
            continue;
        }
        if change.contains(&i) {
            // This write and the next two (mine) as one change, pushed together.
            let writes: Vec<(Vec<String>, Write)> = steps[i..]
                .iter()
                .take(3)
                .map(|(_, p, w)| (p.clone(), w.clone()))
                .collect();
            let policies = Policies::new();
            let guard = WriteGuard {
                writer: ME,
                policies: &policies,
                if_match: None,
            };
            let delta = doc
                .write_all(writes.clone(), &guard, &mut clock)
                .expect("valid");
            joined.join(delta.clone());
            let paths: Vec<Vec<String>> = writes.into_iter().map(|(p, _)| p).collect();
            deltas.push_change(&paths, delta);
            skip = 2;
            continue;
        }
        let class = w.class();
        let delta = write(&mut doc, ME, path, w.clone(), &mut clock);
        joined.join(delta.clone());
        deltas.push(path, class, delta);
    }
    let delta = deltas.into_delta();
    if !with_peer {
        // Fast path == general path.
        prop_assert_eq!(&delta, &joined);
    }
    // A replica with everything else reaches this document from the delta, and the
    // delta holds nothing this document does not.
    prop_assert!(
        delta.is_subsumed_by(&doc),
        "the delta holds what the writer does not"
    );
    let mut elsewhere = start;
    elsewhere.join(theirs);
    elsewhere.join(delta);
    prop_assert_eq!(elsewhere, doc);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn write_deltas_join_as_the_deltas_do(
        before in steps(10),
        steps in steps(40),
        indexed in any::<bool>(),
        seed_at in 0usize..60,
        change in prop::collection::vec(0usize..40, 0..4),
    ) {
        let run = || check(&before, &steps, false, seed_at, &change);
        if indexed { with_every_map_indexed(run)? } else { run()? }
    }

    #[test]
    fn write_deltas_with_a_peer_between_bring_a_replica_to_the_writer(
        before in steps(10),
        steps in steps(40),
        indexed in any::<bool>(),
        seed_at in 0usize..60,
        change in prop::collection::vec(0usize..40, 0..4),
    ) {
        let run = || check(&before, &steps, true, seed_at, &change);
        if indexed { with_every_map_indexed(run)? } else { run()? }
    }
}
