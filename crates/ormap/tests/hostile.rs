//! Hostile input: decoding untrusted bytes as a `Document` returns an error and never
//! panics, whether the body behind a valid envelope `[0xC1, 6, 1]` is random or a
//! corrupted valid encoding; what does decode is a valid state (it round-trips and
//! joins like any other). A `Value` nested 100,000 levels deep in a register or a set,
//! or documents nested 100,000 levels deep, are refused with `Error::TooDeep` instead
//! of exhausting the stack.

use converge_core::{Codec, Error, Hlc, Lattice, ManualClock, ReplicaId, MAX_DEPTH};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Flag, Value};
use converge_orset::OrSet;
use proptest::prelude::*;

/// The envelope of a current-version OR-Map.
const ENVELOPE: [u8; 3] = [0xC1, 6, 1];

const DEEP: usize = 100_000;

/// A document with every kind, nested maps, a removed key and two replicas, so its
/// encoding exercises every decoder.
fn rich_document() -> Document {
    let (a, b) = (ReplicaId::new(1), ReplicaId::new(0xfeed_beef_0000_0001));
    let mut doc = Document::new();
    doc.update_at(&["n"], |c: &mut Counter| c.increment(a, 3))
        .unwrap();
    doc.update_at(&["n"], |f: &mut Flag| f.enable(b)).unwrap();
    doc.update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
        s.add(b, Value::Array(vec![Value::Int(1), "x".into()]))
    })
    .unwrap();
    doc.update_at(&["cart", "meta", "owner"], |r: &mut LwwRegister<Value>| {
        r.set(a, &mut Hlc::new(ManualClock::new(1_000)), "ann".into())
    })
    .unwrap();
    doc.update_at(&["mv"], |r: &mut MvRegister<Value>| {
        r.write(b, Value::Float(0.5))
    })
    .unwrap();
    doc.update_at(&["gone"], |r: &mut MvRegister<Value>| {
        r.write(a, Value::Null)
    })
    .unwrap();
    doc.remove_at(&["gone"]).unwrap();
    doc
}

/// What a hostile decode may do: fail with an error, or produce a valid state.
fn decodes_safely(bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(doc) = Document::decode(bytes) else {
        return Ok(());
    };
    // A decoded state is a state like any other: it round-trips, and joins with
    // another replica's state commutatively and idempotently, whether that replica is
    // one the corrupted bytes cannot name or the one they were forged from (a forged
    // state that puts another value under a dot of a real write contradicts that
    // write, and no decoder can tell; the join settles the clash alike on both sides).
    let again = Document::decode(&doc.encode().unwrap())
        .map_err(|e| TestCaseError::fail(format!("a decoded state does not re-decode: {e}")))?;
    prop_assert_eq!(&again, &doc);
    for other in [elsewhere(), rich_document()] {
        let mut ab = doc.clone();
        ab.join(other.clone());
        let mut ba = other;
        ba.join(doc.clone());
        prop_assert_eq!(&ab, &ba);
    }
    let mut aa = doc.clone();
    aa.join(doc.clone());
    prop_assert_eq!(&aa, &doc);
    Ok(())
}

/// A document written by a replica whose id no test input here contains, at keys
/// that overlap the rich document's.
fn elsewhere() -> Document {
    let far = ReplicaId::new(0x1234_5678_9abc_def0);
    let mut doc = Document::new();
    doc.update_at(&["n"], |c: &mut Counter| c.increment(far, 1))
        .unwrap();
    doc.update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
        s.add(far, "y".into())
    })
    .unwrap();
    doc.update_at(&["k"], |r: &mut MvRegister<Value>| {
        r.write(far, Value::Null)
    })
    .unwrap();
    doc
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_048))]

    #[test]
    fn random_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let mut bytes = ENVELOPE.to_vec();
        bytes.extend_from_slice(&body);
        decodes_safely(&bytes)?;
    }

    /// Random bodies that start like a document (a triple whose store is a map), so
    /// decoding gets past the first byte more often.
    #[test]
    fn random_bodies_shaped_like_a_document_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut bytes = ENVELOPE.to_vec();
        bytes.extend_from_slice(&[0x93, 0x81, 0xa1, b'k']);
        bytes.extend_from_slice(&body);
        decodes_safely(&bytes)?;
    }

    #[test]
    fn corrupted_encodings_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = rich_document().encode().unwrap();
        for (at, byte) in edits {
            // Leave the envelope alone: the body is what is under attack.
            let i = ENVELOPE.len() + at.index(bytes.len() - ENVELOPE.len());
            bytes[i] = byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        decodes_safely(&bytes)?;
    }
}

/// A document with one key `k` whose node holds one part of `kind` with `store`.
fn document_with_part(kind: u8, store: &[u8]) -> Vec<u8> {
    let mut bytes = ENVELOPE.to_vec();
    bytes.extend_from_slice(&[0x93, 0x81, 0xa1, b'k', 0x92, kind]);
    bytes.extend_from_slice(store);
    bytes.extend_from_slice(&[0x80, 0x90]); // empty version vector, no extra dots
    bytes
}

/// A `Value` of `depth` nested one-element arrays around a nil: `0x91` repeated.
fn deep_value(depth: usize) -> Vec<u8> {
    let mut bytes = vec![0x91; depth];
    bytes.push(0xc0);
    bytes
}

fn assert_too_deep(bytes: &[u8], what: &str) {
    match Document::decode(bytes) {
        Err(Error::TooDeep { limit }) => assert_eq!(limit, MAX_DEPTH),
        other => panic!("{what}: expected Error::TooDeep, got {other:?}"),
    }
}

#[test]
fn the_hand_built_framing_decodes_with_a_shallow_value() {
    // The same framing as the deep cases below, with a value 3 levels deep: accepted,
    // so the deep cases fail for their depth and not for their framing.
    let mut mv = vec![0x93, 0x01, 0x01];
    mv.extend(deep_value(3));
    let doc = Document::decode(&document_with_part(3, &mv)).expect("a valid document");
    let register = doc
        .get_at(&["k"])
        .and_then(|n| n.get::<MvRegister<Value>>())
        .expect("an MV register under k");
    let expected = Value::Array(vec![Value::Array(vec![Value::Array(vec![Value::Null])])]);
    assert_eq!(register.values().collect::<Vec<_>>(), [&expected]);
}

#[test]
fn a_value_nested_100_000_deep_in_an_mv_register_is_refused() {
    // MV store: [replica, counter, value].
    let mut store = vec![0x93, 0x01, 0x01];
    store.extend(deep_value(DEEP));
    assert_too_deep(&document_with_part(3, &store), "MV register");
}

#[test]
fn a_value_nested_100_000_deep_in_an_lww_register_is_refused() {
    // LWW store: [replica, counter, [millis, logical, value]].
    let mut store = vec![0x93, 0x01, 0x01, 0x93, 0x01, 0x00];
    store.extend(deep_value(DEEP));
    assert_too_deep(&document_with_part(2, &store), "LWW register");
}

#[test]
fn a_value_nested_100_000_deep_as_a_set_element_is_refused() {
    // Set store: {element: [replica, counter]}.
    let mut store = vec![0x81];
    store.extend(deep_value(DEEP));
    store.extend_from_slice(&[0x92, 0x01, 0x01]);
    assert_too_deep(&document_with_part(4, &store), "set element");
}

#[test]
fn documents_nested_100_000_deep_are_refused() {
    // Each level: {"k": [5 (map), <nested map store>]}; the innermost map is empty.
    let mut bytes = ENVELOPE.to_vec();
    bytes.push(0x93);
    for _ in 0..DEEP {
        bytes.extend_from_slice(&[0x81, 0xa1, b'k', 0x92, 0x05]);
    }
    bytes.extend_from_slice(&[0x80, 0x80, 0x90]);
    assert_too_deep(&bytes, "nested documents");
}

#[test]
fn nesting_within_the_limit_decodes() {
    // Documents nested 20 deep (each level costs a few MessagePack levels).
    let path: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let mut doc = Document::new();
    doc.update_at(&path, |c: &mut Counter| c.increment(ReplicaId::new(1), 1))
        .unwrap();
    assert_eq!(Document::decode(&doc.encode().unwrap()), Ok(doc));
}

#[test]
fn specific_malformed_bodies_are_errors() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("unknown kind", document_with_part(9, &[0x90])),
        ("kind without store", {
            let mut b = ENVELOPE.to_vec();
            b.extend_from_slice(&[0x93, 0x81, 0xa1, b'k', 0x91, 0x00, 0x80, 0x90]);
            b
        }),
        ("kinds out of order", {
            let mut b = ENVELOPE.to_vec();
            b.extend_from_slice(&[0x93, 0x81, 0xa1, b'k', 0x94]);
            b.extend_from_slice(&[0x01, 0x92, 0x01, 0x01]); // flag, dot (1, 1)
            b.extend_from_slice(&[0x00, 0x93, 0x01, 0x02, 0x92, 0x01, 0x00]); // counter
            b.extend_from_slice(&[0x80, 0x90]);
            b
        }),
        ("one dot in two keys", {
            let mut b = ENVELOPE.to_vec();
            b.extend_from_slice(&[0x93, 0x82]);
            b.extend_from_slice(&[0xa1, b'a', 0x92, 0x01, 0x92, 0x01, 0x01]);
            b.extend_from_slice(&[0xa1, b'b', 0x92, 0x01, 0x92, 0x01, 0x01]);
            b.extend_from_slice(&[0x80, 0x90]);
            b
        }),
        ("duplicate key", {
            let mut b = ENVELOPE.to_vec();
            b.extend_from_slice(&[0x93, 0x82]);
            b.extend_from_slice(&[0xa1, b'a', 0x92, 0x01, 0x92, 0x01, 0x01]);
            b.extend_from_slice(&[0xa1, b'a', 0x92, 0x01, 0x92, 0x01, 0x02]);
            b.extend_from_slice(&[0x80, 0x90]);
            b
        }),
        ("integer beyond i64", {
            document_with_part(
                3,
                &[
                    0x93, 0x01, 0x01, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                ],
            )
        }),
        ("object with a duplicate key", {
            document_with_part(
                3,
                &[0x93, 0x01, 0x01, 0x82, 0xa1, b'x', 0x01, 0xa1, b'x', 0x02],
            )
        }),
        ("trailing bytes", {
            let mut b = rich_document().encode().unwrap();
            b.push(0x00);
            b
        }),
        ("truncated", {
            let b = rich_document().encode().unwrap();
            b[..b.len() - 1].to_vec()
        }),
        ("a huge claimed length", {
            let mut b = ENVELOPE.to_vec();
            b.extend_from_slice(&[0x93, 0xdf, 0xff, 0xff, 0xff, 0xff]);
            b
        }),
    ];
    for (what, bytes) in cases {
        let result = Document::decode(&bytes);
        assert!(result.is_err(), "{what}: decoded to {result:?}");
        println!("{what}: {}", result.unwrap_err());
    }
}
