//! `WrittenPaths` (issue 16, the deltas pending for `takeDelta()` in the JavaScript
//! package): the delta read back from the document under the paths written is the
//! join of the writes' deltas when nothing else wrote in between; with a peer's
//! deltas merged between the writes, it holds nothing the writer no longer holds and
//! brings a replica that has everything else to the same document. Paths go three
//! keys deep and are often prefixes of each other; some writes are made as changes of
//! three (`write_all`, recorded with `record_change`); the deltas may be taken in the
//! middle (as `takeDelta()` does), the two taken deltas joining to the whole.

use converge_core::testing::with_every_map_indexed;
use converge_core::{DeltaCrdt, Hlc, Lattice, ManualClock, ReplicaId};
use converge_ormap::{Document, Policies, Write, WriteGuard, WrittenPaths};
use proptest::prelude::*;

mod support;

const ME: ReplicaId = ReplicaId::new(0xa);
const PEER: ReplicaId = ReplicaId::new(0xb);

/// Paths of one to four keys over a few keys per level, so writes meet and one path
/// is often a prefix of another.
fn path_strategy() -> impl Strategy<Value = Vec<String>> {
    (
        prop::sample::select(vec!["a", "b", "c"]),
        prop::collection::vec(prop::sample::select(vec!["x", "y"]), 0..4),
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

fn guard(who: ReplicaId, policies: &Policies) -> WriteGuard<'_> {
    WriteGuard {
        writer: who,
        policies,
        if_match: None,
    }
}

fn write(
    doc: &mut Document,
    who: ReplicaId,
    path: &[String],
    write: Write,
    clock: &mut Hlc<ManualClock>,
) -> Document {
    let policies = Policies::new();
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    doc.write(&keys, write, &guard(who, &policies), clock)
        .expect("these writes are valid")
}

fn check(
    before: &[(bool, Vec<String>, Write)],
    steps: &[(bool, Vec<String>, Write)],
    with_peer: bool,
    take_at: usize,
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
    let (mut joined, mut written, mut theirs) =
        (Document::new(), WrittenPaths::new(ME), Document::new());
    // What was taken in the middle.
    let mut taken = Document::new();
    let mut skip = 0;
    for (i, (peers, path, w)) in steps.iter().enumerate() {
        if i == take_at {
            taken = written.delta_from(&doc);
            written = WrittenPaths::new(ME);
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if *peers && with_peer {
            let delta = write(&mut peer, PEER, path, w.clone(), &mut peer_clock);
            doc.join(delta.clone());
            theirs.join(delta);
            continue;
        }
        if change.contains(&i) {
            // This write and the next two (mine) as one change, recorded together.
            let writes: Vec<(Vec<String>, Write)> = steps[i..]
                .iter()
                .take(3)
                .map(|(_, p, w)| (p.clone(), w.clone()))
                .collect();
            let policies = Policies::new();
            let delta = doc
                .write_all(writes.clone(), &guard(ME, &policies), &mut clock)
                .expect("valid");
            let paths: Vec<Vec<String>> = writes.into_iter().map(|(p, _)| p).collect();
            written.record_change(&paths, &delta);
            joined.join(delta);
            skip = 2;
            continue;
        }
        let delta = write(&mut doc, ME, path, w.clone(), &mut clock);
        written.record(path, &delta);
        joined.join(delta);
    }
    let rest = written.delta_from(&doc);
    prop_assert!(
        rest.is_subsumed_by(&doc) && taken.is_subsumed_by(&doc),
        "a delta holds what the writer does not"
    );
    let mut delta = taken.clone();
    delta.join(rest.clone());
    if !with_peer {
        // Read back from the document == the join of the deltas.
        if take_at >= steps.len() {
            prop_assert_eq!(&rest, &joined);
        }
        prop_assert_eq!(&delta, &joined);
    }
    // A replica with everything else reaches this document from the deltas.
    let mut elsewhere = start;
    elsewhere.join(theirs);
    elsewhere.join(taken);
    elsewhere.join(rest);
    prop_assert_eq!(elsewhere, doc);
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
        let delta = write(&mut doc, ME, &path(&[key]), Write::Increment(1), &mut clock);
        written.record(&path(&[key]), &delta);
        joined.join(delta);
    }
    // The twin, writing as ME from this state, elsewhere.
    let mut twin = doc.clone();
    let mut theirs = Document::new();
    for key in ["t", "u", "v"] {
        theirs.join(write(
            &mut twin,
            ME,
            &path(&[key, "x"]),
            Write::Enable,
            &mut clock,
        ));
    }
    doc.join(theirs.clone());
    let delta = write(&mut doc, ME, &path(&["a"]), Write::Increment(2), &mut clock);
    written.record(&path(&["a"]), &delta);
    joined.join(delta);

    let taken = written.delta_from(&doc);
    assert_eq!(taken, joined);
    let mut elsewhere = theirs;
    elsewhere.join(taken);
    assert_eq!(elsewhere, doc, "the twin's writes survive the delta");
}
