//! `CountConflicts::join_counting` of a document, which counts on the part of the map
//! the merge touches (so counting a delta's merge costs the delta), gives exactly
//! `conflicts_between` the whole state before and after the join, and joins exactly:
//! on random nested documents written concurrently by three replicas (writes of every
//! kind, removals, clears), merged with one another's states and deltas.

mod support;

use converge_core::{CountConflicts, Lattice, ReplicaId};
use converge_ormap::Document;
use proptest::prelude::*;
use support::{keys_of, path, write, write_at, Write};

#[derive(Clone, Debug)]
enum Step {
    Write(usize, Vec<u8>, Write),
    RemoveAt(usize, Vec<u8>),
    Sync(usize, usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0usize..3, path(), write()).prop_map(|(r, p, w)| Step::Write(r, p, w)),
        2 => (0usize..3, path()).prop_map(|(r, p)| Step::RemoveAt(r, p)),
        1 => (0usize..3, 0usize..3).prop_map(|(a, b)| Step::Sync(a, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn counting_on_the_touched_part_counts_what_the_whole_state_shows(
        steps in prop::collection::vec(step(), 1..30),
    ) {
        let ids = [ReplicaId::new(1), ReplicaId::new(2), ReplicaId::new(3)];
        let mut states = vec![Document::new(); 3];
        let mut deltas = Vec::new();
        for s in &steps {
            match s {
                Step::Write(r, p, w) => deltas.push(write_at(&mut states[*r], ids[*r], &keys_of(p), w)),
                Step::RemoveAt(r, p) => deltas.push(states[*r].remove_at(&keys_of(p)).unwrap()),
                Step::Sync(from, to) => {
                    let sent = states[*from].clone();
                    states[*to].join(sent);
                }
            }
        }
        let others: Vec<&Document> = deltas.iter().chain(states.iter()).collect();
        for x in &states {
            for other in &others {
                let mut whole = x.clone();
                whole.join((*other).clone());
                let expected = Document::conflicts_between(x, &whole);
                let mut counted = x.clone();
                let met = counted.join_counting((*other).clone());
                prop_assert_eq!(&counted, &whole, "join_counting does not join");
                prop_assert_eq!(met, expected, "conflicts counted on the touched part differ");
            }
        }
    }
}
