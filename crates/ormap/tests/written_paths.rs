//! `WrittenPaths` (issue 16, the deltas pending for `takeDelta()` in the JavaScript
//! package): the delta read back from the document under the paths written is the
//! join of the writes' deltas when nothing else wrote in between; with a peer's
//! deltas merged between the writes, it holds nothing the writer no longer holds and
//! brings a replica that has everything else to the same document. Paths go three
//! keys deep and are often prefixes of each other; some writes are made as changes of
//! three (`write_all`, recorded with `record_change`); the deltas may be taken in the
//! middle (as `takeDelta()` does), the two taken deltas joining to the whole.

use converge_core::testing::with_every_map_indexed;
use converge_core::{DeltaCrdt, Hlc, Lattice, ManualClock};
use converge_ormap::{Document, Write, WrittenPaths};
use proptest::prelude::*;

mod support;

use support::ME;

/// Up to `max` steps at paths of one to four keys over a few keys per level, so
/// writes meet and one path is often a prefix of another.
fn steps(max: usize) -> impl Strategy<Value = Vec<(bool, Vec<String>, Write)>> {
    support::writer_steps(support::path_under(vec!["a", "b", "c"], 4), max)
}

fn check(
    before: &[(bool, Vec<String>, Write)],
    steps: &[(bool, Vec<String>, Write)],
    with_peer: bool,
    take_at: usize,
    change: &[usize],
) -> Result<(), TestCaseError> {
    let mut written = WrittenPaths::new(ME);
    // What was taken in the middle.
    let mut taken = Document::new();
    let played = support::replay(before, steps, with_peer, change, &mut |step| match step {
        support::Replayed::Step(i, doc, _) => {
            if i == take_at {
                taken = written.delta_from(doc);
                written = WrittenPaths::new(ME);
            }
        }
        support::Replayed::Write(path, _, delta) => written.record(path, delta),
        support::Replayed::Change(paths, delta) => written.record_change(paths, delta),
    });
    let doc = &played.doc;
    let rest = written.delta_from(doc);
    prop_assert!(
        rest.is_subsumed_by(doc) && taken.is_subsumed_by(doc),
        "a delta holds what the writer does not"
    );
    let mut delta = taken.clone();
    delta.join(rest.clone());
    if !with_peer {
        // Read back from the document == the join of the deltas.
        if take_at >= steps.len() {
            prop_assert_eq!(&rest, &played.joined);
        }
        prop_assert_eq!(&delta, &played.joined);
    }
    // A replica with everything else reaches this document from the deltas.
    prop_assert_eq!(&played.reached_by([taken, rest]), doc);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn written_paths_read_back_the_join_of_the_deltas(
        before in steps(10),
        steps in steps(40),
        indexed in any::<bool>(),
        take_at in 0usize..80,
        change in prop::collection::vec(0usize..40, 0..4),
    ) {
        let run = || check(&before, &steps, false, take_at, &change);
        if indexed { with_every_map_indexed(run)? } else { run()? }
    }

    #[test]
    fn written_paths_with_a_peer_between_bring_a_replica_to_the_writer(
        before in steps(10),
        steps in steps(40),
        indexed in any::<bool>(),
        take_at in 0usize..80,
        change in prop::collection::vec(0usize..40, 0..4),
    ) {
        let run = || check(&before, &steps, true, take_at, &change);
        if indexed { with_every_map_indexed(run)? } else { run()? }
    }
}

/// A gap in the writer's counters (another replica wrote as the same writer, and its
/// writes were merged here in between): the delta's context names exactly the dots
/// the recorded writes' contexts named, not the counters the twin took, so a replica
/// holding the twin's writes keeps them.
#[test]
fn a_gap_in_the_writers_counters_is_not_claimed() {
    let mut clock = Hlc::new(ManualClock::new(1_000));
    let mut doc = Document::new();
    let mut written = WrittenPaths::new(ME);
    let mut joined = Document::new();
    let path = |keys: &[&str]| keys.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
    for key in ["a", "b"] {
        let delta = support::write_as(&mut doc, ME, &path(&[key]), Write::Increment(1), &mut clock);
        written.record(&path(&[key]), &delta);
        joined.join(delta);
    }
    // The twin, writing as ME from this state, elsewhere.
    let mut twin = doc.clone();
    let mut theirs = Document::new();
    for key in ["t", "u", "v"] {
        theirs.join(support::write_as(
            &mut twin,
            ME,
            &path(&[key, "x"]),
            Write::Enable,
            &mut clock,
        ));
    }
    doc.join(theirs.clone());
    let delta = support::write_as(&mut doc, ME, &path(&["a"]), Write::Increment(2), &mut clock);
    written.record(&path(&["a"]), &delta);
    joined.join(delta);

    let taken = written.delta_from(&doc);
    assert_eq!(taken, joined);
    let mut elsewhere = theirs;
    elsewhere.join(taken);
    assert_eq!(elsewhere, doc, "the twin's writes survive the delta");
}
