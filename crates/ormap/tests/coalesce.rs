//! `coalesce` (issue 16, a change's writes folded before they are applied): the
//! coalesced writes one at a time leave a document that reads the same as the writes
//! one at a time, also after joining what a third replica wrote concurrently, and as
//! seen from a replica the delta reaches.

use converge_core::{Hlc, Lattice, ManualClock, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{
    coalesce, coalesce_indexed, Counter, Document, Flag, Kind, Node, Policies, Value, Write,
    WriteGuard,
};
use converge_orset::OrSet;
use proptest::prelude::*;

const ME: ReplicaId = ReplicaId::new(0xa);
const OTHER: ReplicaId = ReplicaId::new(0xc);

fn path(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

fn write_strategy() -> impl Strategy<Value = Write> {
    let value = (0i64..4).prop_map(Value::Int);
    prop_oneof![
        3 => value.clone().prop_map(Write::Set),
        2 => value.clone().prop_map(Write::SetMulti),
        // Some amounts near the top, so sums overflow.
        2 => prop_oneof![0u64..5, Just(u64::MAX - 1)].prop_map(Write::Increment),
        2 => prop_oneof![0u64..5, Just(u64::MAX / 2 + 1)].prop_map(Write::Decrement),
        1 => value.clone().prop_map(Write::AddToSet),
        1 => value.prop_map(Write::RemoveFromSet),
        2 => Just(Write::Enable),
        1 => Just(Write::Disable),
        1 => Just(Write::Remove),
    ]
}

/// Short paths over two keys, so writes meet at the same fields, above and below.
fn path_strategy() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(vec!["a", "b"]), 0..4)
        .prop_map(|keys| keys.iter().map(|k| (*k).to_owned()).collect())
}

fn writes_strategy(max: usize) -> impl Strategy<Value = Vec<(Vec<String>, Write)>> {
    prop::collection::vec((path_strategy(), write_strategy()), 0..max)
}

fn apply(
    doc: &mut Document,
    writes: &[(Vec<String>, Write)],
    writer: ReplicaId,
    millis: u64,
) -> Document {
    let policies = Policies::new();
    let guard = WriteGuard {
        writer,
        policies: &policies,
        if_match: None,
    };
    let mut clock = Hlc::new(ManualClock::new(millis));
    let mut deltas = Document::new();
    for (path, write) in writes {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let delta = doc
            .write(&keys, write.clone(), &guard, &mut clock)
            .expect("these writes are valid");
        deltas.join(delta);
    }
    deltas
}

/// What reads show of a document, with no dot and no timestamp: every kind under
/// every key, and each kind's live values (a register's every live write and its
/// writer, so concurrent writes count too).
fn view(doc: &Document) -> Vec<String> {
    let mut out = Vec::new();
    view_into(doc, "", &mut out);
    out
}

fn view_into(doc: &Document, at: &str, out: &mut Vec<String>) {
    for (key, node) in doc.iter_sorted() {
        let here = format!("{at}/{key}");
        for kind in node.kinds() {
            out.push(format!("{here} {kind}: {}", kind_view(node, kind)));
            if kind == Kind::Map {
                if let Some(map) = node.get::<Document>() {
                    view_into(map, &here, out);
                }
            }
        }
    }
}

fn kind_view(node: &Node, kind: Kind) -> String {
    match kind {
        Kind::Counter => format!("{:?}", node.get::<Counter>().map(Counter::value)),
        Kind::Flag => format!("{:?}", node.get::<Flag>().map(Flag::is_enabled)),
        Kind::Lww => {
            let writes = node.get::<LwwRegister<Value>>().map(|r| {
                let mut w: Vec<String> = r
                    .writes()
                    .iter()
                    .map(|w| format!("{}@{}", w.value, w.dot.replica))
                    .collect();
                w.sort();
                (r.value().cloned(), w)
            });
            format!("{writes:?}")
        }
        Kind::Mv => {
            let values = node.get::<MvRegister<Value>>().map(|r| {
                let mut v: Vec<String> = r.values().map(ToString::to_string).collect();
                v.sort();
                v
            });
            format!("{values:?}")
        }
        Kind::Set => format!("{:?}", node.get::<OrSet<Value>>().map(OrSet::to_sorted_vec)),
        Kind::Map => String::new(),
    }
}

fn reads_the_same(
    before: &[(Vec<String>, Write)],
    batch: &[(Vec<String>, Write)],
    concurrent: &[(Vec<String>, Write)],
) -> Result<(), TestCaseError> {
    let mut start = Document::new();
    apply(&mut start, before, ME, 1_000);
    let coalesced = coalesce(batch.to_vec());
    prop_assert!(coalesced.len() <= batch.len());

    let mut one_at_a_time = start.clone();
    let all_deltas = apply(&mut one_at_a_time, batch, ME, 2_000);
    let mut folded = start.clone();
    let folded_deltas = apply(&mut folded, &coalesced, ME, 2_000);
    prop_assert_eq!(view(&folded), view(&one_at_a_time));

    // The delta brings a replica that had the start to the same reads.
    let mut reached = start.clone();
    reached.join(folded_deltas.clone());
    prop_assert_eq!(&reached, &folded);

    // A third replica wrote concurrently, from the start (its clock later, so no
    // timestamp ties with the change's): both ways meet its writes alike, whichever
    // side joins which.
    let mut third = start.clone();
    let third_deltas = apply(&mut third, concurrent, OTHER, 3_000);
    let (mut a, mut b) = (one_at_a_time.clone(), folded.clone());
    a.join(third_deltas.clone());
    b.join(third_deltas);
    prop_assert_eq!(view(&a), view(&b));
    let (mut a, mut b) = (third.clone(), third);
    a.join(all_deltas);
    b.join(folded_deltas);
    prop_assert_eq!(view(&a), view(&b));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Fast path == general path: the coalesced writes read the same as the writes,
    /// alone, after a third replica's concurrent writes, and at a replica their delta
    /// reaches.
    #[test]
    fn coalesced_writes_read_the_same(
        before in writes_strategy(8),
        batch in writes_strategy(24),
        concurrent in writes_strategy(8),
    ) {
        reads_the_same(&before, &batch, &concurrent)?;
    }

    /// Fast path == general path: writes naming their paths by index into a table
    /// (some paths in it twice, the empty one among them, an index past its end)
    /// coalesce to what `coalesce` keeps of the same writes named by path, nested
    /// paths, removes, counters and mixed classes among them.
    #[test]
    fn indexed_writes_coalesce_as_the_writes_by_path(
        table in prop::collection::vec(path_strategy(), 0..8),
        picks in prop::collection::vec((0usize..9, write_strategy()), 0..40),
    ) {
        let path_at = |i: usize| table.get(i).cloned().unwrap_or_default();
        let by_path: Vec<(Vec<String>, Write)> =
            picks.iter().map(|(i, w)| (path_at(*i), w.clone())).collect();
        let indexed = coalesce_indexed(&table, picks);
        let indexed: Vec<(Vec<String>, Write)> =
            indexed.into_iter().map(|(i, w)| (path_at(i), w)).collect();
        prop_assert_eq!(indexed, coalesce(by_path));
    }
}

/// The bench's shape: each key written many times keeps only its last write, and the
/// increments of one counter become one.
#[test]
fn repeated_writes_keep_the_last_and_increments_add_up() {
    let mut writes = Vec::new();
    for i in 0..30 {
        writes.push((path(&[&format!("k{}", i % 3)]), Write::Set(Value::Int(i))));
        writes.push((path(&["n"]), Write::Increment(2)));
    }
    let coalesced = coalesce(writes);
    assert_eq!(
        coalesced,
        vec![
            (path(&["k0"]), Write::Set(Value::Int(27))),
            (path(&["k1"]), Write::Set(Value::Int(28))),
            (path(&["k2"]), Write::Set(Value::Int(29))),
            (path(&["n"]), Write::Increment(60)),
        ]
    );
}

/// A write above or below the path between two writes keeps both; a write at a
/// sibling path does not.
#[test]
fn a_write_on_the_way_keeps_both() {
    let set = |keys: &[&str], v: i64| (path(keys), Write::Set(Value::Int(v)));
    let above = vec![set(&["a", "x"], 1), set(&["a"], 2), set(&["a", "x"], 3)];
    assert_eq!(coalesce(above.clone()), above);
    let below = vec![set(&["a"], 1), set(&["a", "x"], 2), set(&["a"], 3)];
    assert_eq!(coalesce(below.clone()), below);
    let sibling = vec![
        set(&["a", "x"], 1),
        set(&["a", "y"], 2),
        set(&["a", "x"], 3),
    ];
    assert_eq!(
        coalesce(sibling),
        vec![set(&["a", "y"], 2), set(&["a", "x"], 3)]
    );
    let other_kind = vec![
        set(&["a"], 1),
        (path(&["a"]), Write::SetMulti(Value::Int(2))),
        set(&["a"], 3),
    ];
    assert_eq!(coalesce(other_kind.clone()), other_kind);
}

/// Increments whose sum would overflow a `u64` stay apart (the counter keeps a
/// second entry rather than lose one); those that fit still add up.
#[test]
fn increments_that_would_overflow_stay_apart() {
    let n = || path(&["n"]);
    let writes = vec![
        (n(), Write::Increment(u64::MAX - 1)),
        (n(), Write::Increment(1)),
        (n(), Write::Increment(1)),
    ];
    assert_eq!(
        coalesce(writes),
        vec![
            (n(), Write::Increment(u64::MAX - 1)),
            (n(), Write::Increment(2)),
        ]
    );
}
