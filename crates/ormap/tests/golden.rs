//! Golden vectors: the encoded bytes of fixed `Document`s (a counter, an LWW and an MV
//! register, a set, a flag, a nested map, a key holding two kinds, every kind of
//! plain `Value`) and of a typed `OrMap`, plus a write delta and a remove delta, are
//! committed under `tests/vectors/` and checked byte for byte, so the wire format
//! cannot drift. Regenerate (only with a format version bump) with `CONVERGE_BLESS=1`.

use std::collections::BTreeMap;
use std::path::Path;

use converge_core::testing::check_golden;
use converge_core::{Hlc, Lattice, ManualClock, ReplicaId};
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
    doc.update_at(&["visits"], |c: &mut Counter| c.increment(A, 3));
    let mut other = doc.clone();
    other.update_at(&["visits"], |c: &mut Counter| c.decrement(B, 1));
    doc.update_at(&["visits"], |c: &mut Counter| c.increment(A, 300));
    doc.join(other);
    doc
}

fn lww() -> Document {
    // Two concurrent writes: the later one wins, the other stays as a conflict.
    let mut doc = Document::new();
    doc.update_at(&["title"], |r: &mut LwwRegister<Value>| {
        r.set(A, &mut at(NOW), "draft".into())
    });
    let mut other = Document::new();
    other.update_at(&["title"], |r: &mut LwwRegister<Value>| {
        r.set(B, &mut at(NOW + 5), "final".into())
    });
    doc.join(other);
    doc
}

fn mv() -> Document {
    let mut doc = Document::new();
    doc.update_at(&["color"], |r: &mut MvRegister<Value>| {
        r.write(A, "red".into())
    });
    let mut other = Document::new();
    other.update_at(&["color"], |r: &mut MvRegister<Value>| {
        r.write(B, "blue".into())
    });
    doc.join(other);
    doc
}

fn set() -> Document {
    let mut doc = Document::new();
    for (by, tag) in [(A, "red"), (B, "green"), (A, "blue")] {
        doc.update_at(&["tags"], |s: &mut OrSet<Value>| s.add(by, tag.into()));
    }
    doc.update_at(&["tags"], |s: &mut OrSet<Value>| s.remove(&"green".into()));
    doc
}

fn flag() -> Document {
    let mut doc = Document::new();
    doc.update_at(&["done"], |f: &mut Flag| f.enable(A));
    doc.update_at(&["done"], |f: &mut Flag| f.enable(B));
    doc
}

fn nested() -> Document {
    let mut doc = Document::new();
    doc.update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
        s.add(A, "apple".into())
    });
    doc.update_at(&["cart", "count"], |c: &mut Counter| c.increment(A, 1));
    doc.update_at(&["cart", "meta", "owner"], |r: &mut LwwRegister<Value>| {
        r.set(B, &mut at(NOW), "ann".into())
    });
    // A removed key leaves only its dots in the context.
    doc.update_at(&["cart", "coupon"], |r: &mut MvRegister<Value>| {
        r.write(A, "SAVE10".into())
    });
    doc.remove_at(&["cart", "coupon"]);
    doc
}

fn two_kinds() -> Document {
    let mut doc = Document::new();
    doc.update_at(&["x"], |c: &mut Counter| c.increment(A, 1));
    let mut other = Document::new();
    other.update_at(&["x"], |f: &mut Flag| f.enable(B));
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
        doc.update_at(&["values"], |s: &mut OrSet<Value>| s.add(A, v));
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
    let add_delta = with_cart.update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
        s.add(B, "pear".into())
    });
    let remove_delta = with_cart.remove_at(&["cart", "meta"]);

    for (name, value) in [
        ("empty", &Document::new()),
        ("counter", &counter()),
        ("lww", &lww()),
        ("mv", &mv()),
        ("set", &set()),
        ("flag", &flag()),
        ("nested", &nested()),
        ("two_kinds", &two_kinds()),
        ("every_value", &every_value()),
        ("nested_add_delta", &add_delta),
        ("nested_remove_delta", &remove_delta),
    ] {
        check_golden(vectors(), name, value).unwrap();
    }
    check_golden(vectors(), "typed_map_of_sets", &typed()).unwrap();
}

/// The vectors read back as what they say: a check that the blessed states are the
/// intended ones, not only stable bytes.
#[test]
fn the_fixtures_hold_what_they_claim() {
    let visits = counter();
    let c = visits.get_at(&["visits"]).and_then(|n| n.get::<Counter>());
    assert_eq!(c.map(Counter::value), Some(302));

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
