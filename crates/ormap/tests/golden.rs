//! Golden vectors: the encoded bytes of fixed `Document`s (a counter, a counter that
//! several replicas wrote and one reset, an LWW and an MV register, a set, a flag, a
//! nested map, a key holding two kinds, every kind of plain `Value`) and of a typed
//! `OrMap`, plus a write delta, a counter increment delta and a remove delta, are
//! committed under `tests/vectors/` and checked byte for byte, so the wire format
//! cannot drift. Regenerate (only with a format version bump) with `CONVERGE_BLESS=1`.
//!
//! `tests/vectors/v1/` keeps the vectors of format version 1 (a counter entry per
//! change), never rewritten: they must still decode, to the same values.
//!
//! Format version 3 packs version 2's body (`converge_core::encode_packed`): its
//! vectors are under `tests/vectors/v3/`; the version 2 vectors (directly under
//! `tests/vectors/`) are never rewritten either, must still decode, and must be
//! exactly what the version 3 vectors unpack to.
//!
//! Format version 4 writes a document's scalar fields as records before a version 3
//! body of the rest: its vectors are under `tests/vectors/v4/`. The version 3 vectors
//! are never rewritten and must still decode, to the same values.

use std::collections::BTreeMap;
use std::path::Path;

use converge_core::testing::{check_golden, read_golden};
use converge_core::{
    encode_enveloped, unpack_body, Codec, Hlc, Lattice, ManualClock, ReplicaId, TypeTag,
};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Flag, OrMap, Value};
use converge_orset::OrSet;

const A: ReplicaId = ReplicaId::new(1);
const B: ReplicaId = ReplicaId::new(0xfeed_beef_0000_0001);
const NOW: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn vectors() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

fn at(millis: u64) -> Hlc<ManualClock> {
    Hlc::new(ManualClock::new(millis))
}

fn counter() -> Document {
    let mut doc = Document::new();
    doc.update_at(&["visits"], |c: &mut Counter| c.increment(A, 3))
        .unwrap();
    let mut other = doc.clone();
    other
        .update_at(&["visits"], |c: &mut Counter| c.decrement(B, 1))
        .unwrap();
    doc.update_at(&["visits"], |c: &mut Counter| c.increment(A, 300))
        .unwrap();
    doc.join(other);
    doc
}

/// Three replicas write a counter; a reset that saw A's and B's entries runs
/// concurrently with a further increment by A and a first one by C: B's entry is
/// cancelled, A's whole total and C's survive.
fn counter_reset() -> Document {
    const C: ReplicaId = ReplicaId::new(3);
    let mut doc = Document::new();
    doc.update_at(&["score"], |c: &mut Counter| c.increment(A, 10))
        .unwrap();
    doc.update_at(&["score"], |c: &mut Counter| c.decrement(B, 4))
        .unwrap();
    let mut other = doc.clone();
    doc.remove_at(&["score"]).unwrap();
    other
        .update_at(&["score"], |c: &mut Counter| c.increment(A, 1))
        .unwrap();
    other
        .update_at(&["score"], |c: &mut Counter| c.increment(C, 7))
        .unwrap();
    doc.join(other);
    doc
}

fn lww() -> Document {
    // Two concurrent writes: the later one wins, the other stays as a conflict.
    let mut doc = Document::new();
    doc.update_at(&["title"], |r: &mut LwwRegister<Value>| {
        r.set(A, &mut at(NOW), "draft".into())
    })
    .unwrap();
    let mut other = Document::new();
    other
        .update_at(&["title"], |r: &mut LwwRegister<Value>| {
            r.set(B, &mut at(NOW + 5), "final".into())
        })
        .unwrap();
    doc.join(other);
    doc
}

fn mv() -> Document {
    let mut doc = Document::new();
    doc.update_at(&["color"], |r: &mut MvRegister<Value>| {
        r.write(A, "red".into())
    })
    .unwrap();
    let mut other = Document::new();
    other
        .update_at(&["color"], |r: &mut MvRegister<Value>| {
            r.write(B, "blue".into())
        })
        .unwrap();
    doc.join(other);
    doc
}

fn set() -> Document {
    let mut doc = Document::new();
    for (by, tag) in [(A, "red"), (B, "green"), (A, "blue")] {
        doc.update_at(&["tags"], |s: &mut OrSet<Value>| s.add(by, tag.into()))
            .unwrap();
    }
    doc.update_at(&["tags"], |s: &mut OrSet<Value>| s.remove(&"green".into()))
        .unwrap();
    doc
}

fn flag() -> Document {
    let mut doc = Document::new();
    doc.update_at(&["done"], |f: &mut Flag| f.enable(A))
        .unwrap();
    doc.update_at(&["done"], |f: &mut Flag| f.enable(B))
        .unwrap();
    doc
}

fn nested() -> Document {
    let mut doc = Document::new();
    doc.update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
        s.add(A, "apple".into())
    })
    .unwrap();
    doc.update_at(&["cart", "count"], |c: &mut Counter| c.increment(A, 1))
        .unwrap();
    doc.update_at(&["cart", "meta", "owner"], |r: &mut LwwRegister<Value>| {
        r.set(B, &mut at(NOW), "ann".into())
    })
    .unwrap();
    // A removed key leaves only its dots in the context.
    doc.update_at(&["cart", "coupon"], |r: &mut MvRegister<Value>| {
        r.write(A, "SAVE10".into())
    })
    .unwrap();
    doc.remove_at(&["cart", "coupon"]).unwrap();
    doc
}

fn two_kinds() -> Document {
    let mut doc = Document::new();
    doc.update_at(&["x"], |c: &mut Counter| c.increment(A, 1))
        .unwrap();
    let mut other = Document::new();
    other.update_at(&["x"], |f: &mut Flag| f.enable(B)).unwrap();
    doc.join(other);
    doc
}

fn every_value() -> Document {
    let object: BTreeMap<String, Value> = [
        ("k".to_owned(), Value::Int(1)),
        ("nested".to_owned(), Value::Array(vec![Value::Null])),
    ]
    .into_iter()
    .collect();
    let values = vec![
        Value::Null,
        Value::Bool(true),
        Value::Int(-7),
        Value::Int(i64::MAX),
        Value::Float(1.5),
        Value::Str("héllo".into()),
        Value::Bytes(vec![0, 1, 0xff]),
        Value::Array(vec![Value::Int(1), Value::Str("two".into())]),
        Value::Object(object),
    ];
    let mut doc = Document::new();
    for v in values {
        doc.update_at(&["values"], |s: &mut OrSet<Value>| s.add(A, v))
            .unwrap();
    }
    doc
}

fn typed() -> OrMap<String, OrSet<String>> {
    let mut map = OrMap::new();
    map.update(&"fruit".to_owned(), |s: &mut OrSet<String>| {
        s.add(A, "apple".to_owned())
    });
    map.update(&"veg".to_owned(), |s| s.add(B, "leek".to_owned()));
    map.update(&"fruit".to_owned(), |s| s.add(B, "fig".to_owned()));
    map
}

#[test]
fn golden_vectors() {
    let mut with_cart = nested();
    let add_delta = with_cart
        .update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
            s.add(B, "pear".into())
        })
        .unwrap();
    let remove_delta = with_cart.remove_at(&["cart", "meta"]).unwrap();
    let mut visits = counter();
    let increment_delta = visits
        .update_at(&["visits"], |c: &mut Counter| c.increment(A, 2))
        .unwrap();

    for (name, value) in [
        ("empty", &Document::new()),
        ("counter", &counter()),
        ("counter_reset", &counter_reset()),
        ("lww", &lww()),
        ("mv", &mv()),
        ("set", &set()),
        ("flag", &flag()),
        ("nested", &nested()),
        ("two_kinds", &two_kinds()),
        ("every_value", &every_value()),
        ("nested_add_delta", &add_delta),
        ("nested_remove_delta", &remove_delta),
        ("counter_increment_delta", &increment_delta),
    ] {
        check_golden(&vectors().join("v4"), name, value).unwrap();
        check_older_versions(name, value);
    }
    check_golden(&vectors().join("v4"), "typed_map_of_sets", &typed()).unwrap();
    check_older_versions("typed_map_of_sets", &typed());
}

/// The body of `value` under version 2 (its MessagePack body).
fn version_2_body<T: Codec>(value: &T) -> Vec<u8> {
    encode_enveloped(value, TypeTag::OrMap, 2).unwrap()[3..].to_vec()
}

/// Scalar fields of every value tag, written by three replicas, with keys that share
/// prefixes, an integer that falls, one field conflicted and one key holding a
/// counter: version 4 writes all but the counter as records.
fn scalar_fields() -> Document {
    let values = [
        ("a", Value::Null),
        ("a1", Value::Bool(false)),
        ("a2", Value::Bool(true)),
        ("b", Value::Int(-7)),
        ("ba", Value::Int(i64::MAX)),
        ("bb", Value::Int(i64::MIN)),
        ("c", Value::Float(-0.0)),
        ("cé", Value::Str("héllo".into())),
        ("d", Value::Bytes(vec![0, 1, 0xff])),
    ];
    let mut doc = Document::new();
    for (i, (key, value)) in values.into_iter().enumerate() {
        let writer = if i % 3 == 0 { B } else { A };
        doc.update_at(&[key], |r: &mut LwwRegister<Value>| {
            r.set(writer, &mut at(NOW + i as u64), value)
        })
        .unwrap();
    }
    let mut other = Document::new();
    other
        .update_at(&["b"], |r: &mut LwwRegister<Value>| {
            r.set(ReplicaId::new(3), &mut at(NOW), Value::Int(8))
        })
        .unwrap();
    doc.join(other);
    doc.update_at(&["counter"], |c: &mut Counter| c.increment(A, 2))
        .unwrap();
    doc
}

/// The version 4 vector of scalar fields (no older version has one): its records are
/// what the general decoder reads from the same state written as version 3.
#[test]
fn scalar_fields_vector() {
    let doc = scalar_fields();
    check_golden(&vectors().join("v4"), "scalar_fields", &doc).unwrap();
    let bytes = doc.encode().unwrap();
    assert_eq!(bytes[..4], [0xc1, 6, 4, 9], "nine scalar fields as records");
    let v3 = converge_core::encode_packed(&doc, TypeTag::OrMap, 3).unwrap();
    assert_eq!(Document::decode(&v3).unwrap(), doc);
    let b = doc
        .get_at(&["b"])
        .and_then(|n| n.get::<LwwRegister<Value>>())
        .expect("a register");
    assert_eq!(b.writes().len(), 2, "b is conflicted");
}

/// The version 2 and 3 vectors `name` still decode to `value`, and the version 3
/// vector's body unpacks to exactly the version 2 vector's.
fn check_older_versions<T: Codec + PartialEq + std::fmt::Debug>(name: &str, value: &T) {
    let v2 = read_golden(&vectors().join(format!("{name}.hex"))).unwrap();
    assert_eq!(v2[..3], [0xc1, 6, 2], "{name} is a version 2 OrMap");
    assert_eq!(&T::decode(&v2).unwrap(), value, "{name}");
    let v3 = read_golden(&vectors().join("v3").join(format!("{name}.hex"))).unwrap();
    assert_eq!(v3[..3], [0xc1, 6, 3], "{name} is a version 3 OrMap");
    assert_eq!(&T::decode(&v3).unwrap(), value, "{name}");
    let unpacked = unpack_body(TypeTag::OrMap, &v3[3..]).unwrap();
    assert_eq!(unpacked, v2[3..], "{name}: the packed body");
}

/// The vectors read back as what they say: a check that the blessed states are the
/// intended ones, not only stable bytes.
#[test]
fn the_fixtures_hold_what_they_claim() {
    let visits = counter();
    let c = visits.get_at(&["visits"]).and_then(|n| n.get::<Counter>());
    assert_eq!(c.map(Counter::value), Some(302));

    let score = counter_reset();
    let c = score.get_at(&["score"]).and_then(|n| n.get::<Counter>());
    assert_eq!(c.map(Counter::value), Some(18));
    assert_eq!(c.map(|c| c.entries().len()), Some(2));

    let title = lww();
    let r = title
        .get_at(&["title"])
        .and_then(|n| n.get::<LwwRegister<Value>>())
        .expect("a register");
    assert_eq!(r.value(), Some(&Value::from("final")));
    assert_eq!(r.conflicts().len(), 1);

    let color = mv();
    let r = color
        .get_at(&["color"])
        .and_then(|n| n.get::<MvRegister<Value>>())
        .expect("a register");
    assert_eq!(r.values().count(), 2);

    let tags = set();
    let s = tags
        .get_at(&["tags"])
        .and_then(|n| n.get::<OrSet<Value>>())
        .expect("a set");
    assert_eq!(
        s.to_sorted_vec(),
        [&Value::from("blue"), &Value::from("red")]
    );

    let done = flag();
    assert!(done
        .get_at(&["done"])
        .and_then(|n| n.get::<Flag>())
        .is_some_and(Flag::is_enabled));

    let cart = nested();
    assert!(cart.get_at(&["cart", "coupon"]).is_none());
    assert!(cart.get_at(&["cart", "meta", "owner"]).is_some());

    let x = two_kinds();
    let kinds: Vec<_> = x.get_at(&["x"]).expect("x").kinds().collect();
    assert_eq!(kinds.len(), 2);

    let values = every_value();
    let s = values
        .get_at(&["values"])
        .and_then(|n| n.get::<OrSet<Value>>())
        .expect("a set");
    assert_eq!(s.len(), 9);
}

fn read_hex(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let text: String = text.split_whitespace().collect();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn v1(name: &str) -> Vec<u8> {
    let bytes = read_hex(&vectors().join("v1").join(format!("{name}.hex")));
    assert_eq!(bytes[..3], [0xc1, 6, 1], "{name} is a version 1 OrMap");
    bytes
}

/// Format version 1 stays readable. Its bodies have the shape of version 2's, so
/// every fixture whose counters had one change per replica decodes to the state built
/// now and re-encodes to the same body under version 2.
#[test]
fn version_1_vectors_decode_to_the_same_states() {
    let mut with_cart = nested();
    let add_delta = with_cart
        .update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
            s.add(B, "pear".into())
        })
        .unwrap();
    let remove_delta = with_cart.remove_at(&["cart", "meta"]).unwrap();
    for (name, value) in [
        ("empty", Document::new()),
        ("lww", lww()),
        ("mv", mv()),
        ("set", set()),
        ("flag", flag()),
        ("nested", nested()),
        ("two_kinds", two_kinds()),
        ("every_value", every_value()),
        ("nested_add_delta", add_delta),
        ("nested_remove_delta", remove_delta),
    ] {
        let bytes = v1(name);
        let decoded = Document::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decoded, value, "{name}");
        assert_eq!(
            version_2_body(&decoded),
            bytes[3..],
            "{name}: the body changed"
        );
    }
    let typed_bytes = v1("typed_map_of_sets");
    let decoded = OrMap::<String, OrSet<String>>::decode(&typed_bytes).expect("decodes");
    assert_eq!(decoded, typed());
}

/// The version 1 counter held one entry per change (A's +3 and +300, B's -1). It
/// reads the same value, and A's next increment folds A's two entries into one.
#[test]
fn a_version_1_counter_reads_the_same_and_folds_on_the_next_write() {
    let mut old = Document::decode(&v1("counter")).expect("decodes");
    let at = |doc: &Document| {
        doc.get_at(&["visits"])
            .and_then(|n| n.get::<Counter>())
            .cloned()
    };
    let c = at(&old).expect("a counter");
    assert_eq!(c.value(), 302);
    assert_eq!(c.entries().len(), 3);

    let delta = old
        .update_at(&["visits"], |c: &mut Counter| c.increment(A, 1))
        .unwrap();
    let c = at(&old).expect("a counter");
    assert_eq!(c.value(), 303);
    assert_eq!(c.entries().len(), 2, "one entry for A, one for B: {c:?}");

    // A peer still holding the old per-change entries applies the delta exactly.
    let mut peer = Document::decode(&v1("counter")).expect("decodes");
    peer.join(delta);
    assert_eq!(peer, old);
}
