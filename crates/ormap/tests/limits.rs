//! Whatever a document write accepts can be decoded by every replica: paths longer
//! than `MAX_PATH_LEN` and values nested deeper than `MAX_VALUE_DEPTH` are refused
//! with a typed error that leaves the document unchanged, and everything accepted
//! (random paths up to and past the limit, random nested values, every kind that
//! holds values) round-trips through encode/decode as a full state and as a delta.

use converge_core::{Codec, Hlc, Lattice, ManualClock, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Error, Flag, Node, Value, MAX_PATH_LEN, MAX_VALUE_DEPTH};
use converge_orset::OrSet;
use proptest::prelude::*;

const ME: ReplicaId = ReplicaId::new(1);

/// `depth` levels of arrays and objects around an integer: the `shape` bits choose.
fn nested(depth: usize, shape: u64) -> Value {
    let mut value = Value::Int(7);
    for level in 0..depth {
        value = if shape >> (level % 64) & 1 == 0 {
            Value::Array(vec![Value::Null, value])
        } else {
            Value::Object([("k".to_owned(), value)].into())
        };
    }
    value
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("k{i}")).collect()
}

/// One write of each kind that holds a value, then a counter and a flag.
fn write(doc: &mut Document, path: &[&str], kind: u8, value: Value) -> Result<Document, Error> {
    match kind % 5 {
        0 => doc.update_at(path, |r: &mut LwwRegister<Value>| {
            r.set(ME, &mut Hlc::new(ManualClock::new(5)), value)
        }),
        1 => doc.update_at(path, |r: &mut MvRegister<Value>| r.write(ME, value)),
        2 => doc.update_at(path, |s: &mut OrSet<Value>| s.add(ME, value)),
        3 => doc.update_at(path, |c: &mut Counter| c.increment(ME, 1)),
        _ => doc.update_at(path, |f: &mut Flag| f.enable(ME)),
    }
}

fn round_trips(doc: &Document) -> bool {
    doc.encode()
        .is_ok_and(|bytes| Document::decode(&bytes).as_ref() == Ok(doc))
}

/// Regression (issue 14, item 1): a 70-key path made full states that every peer
/// refused with `TooDeep`; now the write is refused, with a typed error.
#[test]
fn a_seventy_key_path_is_refused_with_a_typed_error() {
    let names = keys(70);
    let path: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut doc = Document::new();
    doc.update_at(&["kept"], |c: &mut Counter| c.increment(ME, 1))
        .unwrap();
    let before = doc.clone();
    let refused = Error::PathTooLong { len: 70, max: 32 };
    assert_eq!(
        doc.update_at(&path, |c: &mut Counter| c.increment(ME, 1)),
        Err(refused.clone())
    );
    assert_eq!(
        doc.try_update_at(&path, |c: &mut Counter| Ok::<_, Error>(c.increment(ME, 1))),
        Err(refused.clone())
    );
    assert_eq!(doc.remove_at(&path), Err(refused));
    assert_eq!(doc, before);
    assert!(round_trips(&doc));
}

#[test]
fn a_path_of_the_longest_length_is_accepted_and_decodes() {
    let names = keys(MAX_PATH_LEN);
    let path: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut doc = Document::new();
    for kind in 0..5 {
        let delta = write(&mut doc, &path, kind, nested(MAX_VALUE_DEPTH, 0x5555)).unwrap();
        assert!(round_trips(&delta));
    }
    assert!(round_trips(&doc));
    assert!(doc.remove_at(&path).is_ok());
}

/// A too-deep value is refused in a register or set that already holds writes, and
/// the register, the set and the context stay as they were.
#[test]
fn a_too_deep_value_is_refused_and_changes_nothing() {
    for kind in 0..3 {
        let mut doc = Document::new();
        write(&mut doc, &["f"], kind, Value::Int(1)).unwrap();
        let before = doc.clone();
        let too_deep = nested(MAX_VALUE_DEPTH + 1, 0);
        assert_eq!(
            write(&mut doc, &["f"], kind, too_deep),
            Err(Error::ValueTooDeep {
                depth: MAX_VALUE_DEPTH + 1,
                max: MAX_VALUE_DEPTH
            }),
            "kind {kind}"
        );
        assert_eq!(doc, before, "kind {kind}");
        // The next write goes on as if the refused one never happened.
        let delta = write(&mut doc, &["f"], kind, Value::Int(2)).unwrap();
        let mut elsewhere = before.clone();
        elsewhere.join(delta);
        assert_eq!(elsewhere, doc);
    }
}

/// A set too large to copy before each write (more than 64 dots) is repaired from the
/// refused write's delta instead: still nothing changes, and the write costs the write.
#[test]
fn a_too_deep_value_refused_by_a_large_set_changes_nothing() {
    let mut doc = Document::new();
    for i in 0..200 {
        write(&mut doc, &["tags"], 2, Value::Int(i)).unwrap();
    }
    // Another replica's elements too, so the context is not one writer's prefix.
    let other = ReplicaId::new(2);
    let delta = doc
        .update_at(&["tags"], |s: &mut OrSet<Value>| {
            s.add(other, Value::Int(500))
        })
        .unwrap();
    let before = doc.clone();
    let too_deep = nested(MAX_VALUE_DEPTH + 3, 5);
    let refused = doc.update_at(&["tags"], |s: &mut OrSet<Value>| {
        let mut d = s.add(ME, Value::Int(1_000));
        d.join(s.add(ME, too_deep));
        d
    });
    assert!(matches!(refused, Err(Error::ValueTooDeep { .. })));
    assert_eq!(doc, before);
    // The next write and its delta go on as if the refused one never happened.
    let next = doc
        .update_at(&["tags"], |s: &mut OrSet<Value>| {
            s.add(ME, Value::Int(7_000))
        })
        .unwrap();
    let mut elsewhere = before.clone();
    elsewhere.join(delta);
    elsewhere.join(next);
    assert_eq!(elsewhere, doc);
}

/// A write nested inside another write's mutator counts the keys above it: two
/// 20-key paths, one inside the other, are a 40-key path and are refused, changing
/// nothing; and a chain of single-key `try_update_by`/`Node::try_update` calls is
/// refused past the limit the same way.
#[test]
fn writes_nested_in_writes_count_every_key() {
    let k = keys(20);
    let path: Vec<&str> = k.iter().map(String::as_str).collect();
    let mut doc = Document::new();
    write(&mut doc, &["other"], 3, Value::Null).unwrap();
    let before = doc.clone();
    let refused = doc.try_update_at(&path, |inner: &mut Document| {
        inner.update_at(&path, |c: &mut Counter| c.increment(ME, 1))
    });
    assert_eq!(
        refused,
        Err(Error::PathTooLong {
            len: 40,
            max: MAX_PATH_LEN
        })
    );
    assert_eq!(doc, before);
    // Within the limit, nesting is fine and decodes.
    let long = keys(MAX_PATH_LEN);
    let long: Vec<&str> = long.iter().map(String::as_str).collect();
    let accepted = doc
        .try_update_at(&long[..10], |inner: &mut Document| {
            inner.update_at(&long[10..], |c: &mut Counter| c.increment(ME, 1))
        })
        .unwrap();
    assert!(round_trips(&doc) && round_trips(&accepted));

    fn chain(doc: &mut Document, depth: usize) -> Result<Document, Error> {
        doc.try_update(&"k".to_owned(), |node: &mut Node| {
            if depth == 1 {
                node.try_update(|c: &mut Counter| Ok::<_, Error>(c.increment(ME, 1)))
            } else {
                node.try_update(|map: &mut Document| chain(map, depth - 1))
            }
        })
    }
    let mut doc = Document::new();
    assert!(matches!(
        chain(&mut doc, MAX_PATH_LEN + 1),
        Err(Error::PathTooLong { .. })
    ));
    assert!(doc.is_empty());
    chain(&mut doc, MAX_PATH_LEN).unwrap();
    assert!(round_trips(&doc));
}

#[test]
fn value_depth_counts_containers() {
    assert_eq!(Value::Int(1).depth(), 0);
    assert_eq!(Value::Array(vec![]).depth(), 1);
    assert_eq!(nested(3, 0b010).depth(), 3);
    assert_eq!(nested(1_000, 0).depth(), 1_000);
}

proptest! {
    #[test]
    fn whatever_a_write_accepts_round_trips(
        writes in prop::collection::vec(
            (0..=MAX_PATH_LEN + 8, 0..=MAX_VALUE_DEPTH + 8, any::<u64>(), any::<u8>()),
            1..6,
        )
    ) {
        let names = keys(MAX_PATH_LEN + 8);
        let mut doc = Document::new();
        for (len, depth, shape, kind) in writes {
            let path: Vec<&str> = names[..len].iter().map(String::as_str).collect();
            let before = doc.clone();
            let holds_value = kind % 5 < 3;
            match write(&mut doc, &path, kind, nested(depth, shape)) {
                Ok(delta) => {
                    prop_assert!(len <= MAX_PATH_LEN);
                    if len == 0 {
                        // The empty path is the identity: nothing is written.
                        prop_assert_eq!(&doc, &before);
                    } else {
                        prop_assert!(!holds_value || depth <= MAX_VALUE_DEPTH);
                    }
                    prop_assert!(round_trips(&delta), "the delta does not decode");
                    prop_assert!(round_trips(&doc), "the state does not decode");
                }
                Err(Error::PathTooLong { len: l, max }) => {
                    prop_assert_eq!((l, max), (len, MAX_PATH_LEN));
                    prop_assert!(len > MAX_PATH_LEN);
                    prop_assert_eq!(&doc, &before);
                }
                Err(Error::ValueTooDeep { depth: d, max }) => {
                    prop_assert_eq!((d, max), (depth, MAX_VALUE_DEPTH));
                    prop_assert!(holds_value && depth > MAX_VALUE_DEPTH);
                    prop_assert_eq!(&doc, &before);
                }
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }
    }
}
