//! `WriteDeltas` (issue 16, the deltas pending for `takeDelta()` in the JavaScript
//! package): the deltas of writes one at a time, kept per first key, give the join
//! of those deltas; and with a peer's deltas merged between the writes, a delta
//! that brings a replica that has everything else to the same document, and holds
//! nothing the writer no longer holds; some writes are made as changes of three
//! (`write_all`, pushed with `push_change`), and the join may start from a document
//! (`from_delta`).

use converge_core::testing::with_every_map_indexed;
use converge_core::DeltaCrdt;
use converge_ormap::{Write, WriteDeltas};
use proptest::prelude::*;

mod support;

/// Up to `max` steps at paths of one or two keys over a few first keys, so writes
/// meet.
fn steps(max: usize) -> impl Strategy<Value = Vec<(bool, Vec<String>, Write)>> {
    support::writer_steps(support::path_under(vec!["a", "b", "c", "d", "e"], 2), max)
}

fn check(
    before: &[(bool, Vec<String>, Write)],
    steps: &[(bool, Vec<String>, Write)],
    with_peer: bool,
    seed_at: usize,
    change: &[usize],
) -> Result<(), TestCaseError> {
    let mut deltas = WriteDeltas::new();
    let played = support::replay(before, steps, with_peer, change, &mut |step| match step {
        support::Replayed::Step(i, _, joined) => {
            if i == seed_at {
                // The join so far, as a document, to push onto (as the wasm's
                // pending deltas did once they were joined into one).
                deltas = WriteDeltas::from_delta(joined.clone());
            }
        }
        support::Replayed::Write(path, class, delta) => deltas.push(path, class, delta.clone()),
        support::Replayed::Change(paths, delta) => deltas.push_change(paths, delta.clone()),
    });
    let delta = deltas.into_delta();
    if !with_peer {
        // Fast path == general path.
        prop_assert_eq!(&delta, &played.joined);
    }
    // A replica with everything else reaches this document from the delta, and the
    // delta holds nothing this document does not.
    prop_assert!(
        delta.is_subsumed_by(&played.doc),
        "the delta holds what the writer does not"
    );
    prop_assert_eq!(played.reached_by([delta]), played.doc);
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
