//! Version 4 of a map's encoding writes a document's scalar fields (keys holding one
//! LWW write of a value that is not an array or an object) as records read in a
//! straight line, and the rest as version 3 does. The records are a fast path of the
//! decoder: on random documents it must give exactly what the general decoder gives
//! for the same state written as version 3, and corrupted records must fail with an
//! error or decode to a valid state, never panic.

mod support;

use converge_core::{encode_packed, Codec, Error, Hlc, Lattice, ManualClock, ReplicaId, TypeTag};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, OrMap, Policies, Value, WriteGuard};
use converge_orset::OrSet;
use proptest::prelude::*;
use support::document_write;

const A: ReplicaId = ReplicaId::new(1);
const B: ReplicaId = ReplicaId::new(0xfeed_beef_0000_0001);
const C: ReplicaId = ReplicaId::new(u64::MAX);

/// A scalar value of every tag, at the extremes too.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), -3i64..3].prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        "[a-zé\u{1F600}]{0,6}".prop_map(Value::Str),
        prop::collection::vec(any::<u8>(), 0..5).prop_map(Value::Bytes),
        // Not scalar fields: these stay in the rest.
        Just(Value::Array(vec![Value::Int(1)])),
    ]
}

/// Keys that share prefixes (and sort unlike their write order).
fn key() -> impl Strategy<Value = String> {
    prop_oneof!["[ab]{0,3}", "k[0-9]{1,3}", "[\u{e9}\u{1F600}x]{1,2}",]
}

/// One step of a random document's history.
#[derive(Clone, Debug)]
enum Step {
    /// An LWW write of `value` at `path` by replica `who` at `millis`.
    Set {
        who: usize,
        path: Vec<String>,
        value: Value,
        millis: u64,
    },
    /// A write of any kind at a path one to three keys long (nested fields, other
    /// kinds, removals), through the shared test helpers.
    Other {
        who: usize,
        path: Vec<String>,
        write: converge_ormap::Write,
    },
    /// A key removed.
    Remove { key: String },
    /// A replica's state joined into another's (concurrent writes, conflicts).
    Join { from: usize, into: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0usize..3, prop::collection::vec(key(), 1..4), scalar(), prop_oneof![0u64..4, Just(u64::MAX), any::<u64>()])
            .prop_map(|(who, path, value, millis)| Step::Set { who, path, value, millis }),
        2 => (0usize..3, prop::collection::vec(key(), 1..4), document_write())
            .prop_map(|(who, path, write)| Step::Other { who, path, write }),
        1 => key().prop_map(|key| Step::Remove { key }),
        2 => (0usize..3, 0usize..3).prop_map(|(from, into)| Step::Join { from, into }),
    ]
}

/// The document replica 0 holds after `steps` run on three replicas.
fn document(steps: &[Step]) -> Document {
    let ids = [A, B, C];
    let mut docs = [Document::new(), Document::new(), Document::new()];
    for step in steps {
        match step {
            Step::Set {
                who,
                path,
                value,
                millis,
            } => {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                // A path through a field is refused; the document stays as it was.
                let _ = docs[*who].update_at(&path, |r: &mut LwwRegister<Value>| {
                    r.set(
                        ids[*who],
                        &mut Hlc::new(ManualClock::new(*millis)),
                        value.clone(),
                    )
                });
            }
            Step::Other { who, path, write } => {
                let policies = Policies::new();
                let guard = WriteGuard {
                    writer: ids[*who],
                    policies: &policies,
                    if_match: None,
                };
                let mut clock = Hlc::new(ManualClock::new(7));
                // A write refused (a path through a scalar, say) leaves the document as it was.
                let _ = docs[*who].write_all([(path.clone(), write.clone())], &guard, &mut clock);
            }
            Step::Remove { key } => {
                let _ = docs[0].remove_at(&[key.as_str()]);
            }
            Step::Join { from, into } => {
                let other = docs[*from].clone();
                docs[*into].join(other);
            }
        }
    }
    let [mut doc, b, c] = docs;
    if steps.len() % 2 == 0 {
        doc.join(b);
        doc.join(c);
    }
    doc
}

/// How many scalar fields `doc` holds at any depth: keys holding one LWW register and
/// nothing else, none of whose writes is an array or an object.
fn scalar_fields(doc: &Document) -> usize {
    doc.iter()
        .map(|(_, node)| {
            let scalar = node.kinds().count() == 1
                && node.get::<LwwRegister<Value>>().is_some_and(|r| {
                    r.writes()
                        .iter()
                        .all(|w| !matches!(w.value, Value::Array(_) | Value::Object(_)))
                });
            match node.get::<Document>() {
                _ if scalar => 1,
                Some(child) => scalar_fields(child),
                None => 0,
            }
        })
        .sum()
}

/// The same state written as version 3 (the general decoder reads all of it).
fn version_3(doc: &Document) -> Vec<u8> {
    encode_packed(doc, TypeTag::OrMap, 3).unwrap()
}

/// What a hostile decode may do: fail with an error, or give a state that round-trips
/// and joins like any other.
fn decodes_safely(bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(doc) = Document::decode(bytes) else {
        return Ok(());
    };
    let again = Document::decode(&doc.encode().unwrap())
        .map_err(|e| TestCaseError::fail(format!("a decoded state does not re-decode: {e}")))?;
    prop_assert_eq!(&again, &doc);
    let mut aa = doc.clone();
    aa.join(doc.clone());
    prop_assert_eq!(&aa, &doc);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn the_records_decode_to_what_the_general_decoder_gives(
        steps in prop::collection::vec(step(), 0..40),
    ) {
        let doc = document(&steps);
        let bytes = doc.encode().unwrap();
        prop_assert_eq!(&bytes[..3], &[0xc1, 6, 4]);
        // As many records as scalar fields, judged through the public API (at most
        // 127 here: the count is one varint byte).
        prop_assert_eq!(usize::from(bytes[3]), scalar_fields(&doc));
        let fast = Document::decode(&bytes).unwrap();
        let general = Document::decode(&version_3(&doc)).unwrap();
        prop_assert_eq!(&fast, &doc);
        prop_assert_eq!(&fast, &general);
        // Canonical: the decoded state writes the same bytes again.
        prop_assert_eq!(fast.encode().unwrap(), bytes);
    }

    #[test]
    fn corrupted_records_never_panic(
        steps in prop::collection::vec(step(), 1..24),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = document(&steps).encode().unwrap();
        // The records come first: aim most edits there, past the envelope.
        let records_end = bytes.len().min(3 + 40);
        for (at, byte) in edits {
            let i = 3 + at.index(records_end - 3);
            if i < bytes.len() {
                bytes[i] = byte;
            }
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        decodes_safely(&bytes)?;
    }

    #[test]
    fn random_records_never_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut bytes = vec![0xc1, 6, 4];
        bytes.extend_from_slice(&body);
        decodes_safely(&bytes)?;
        // A body that claims one replica and a few records, so decoding gets further.
        let mut bytes = vec![0xc1, 6, 4, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0];
        bytes.extend_from_slice(&body);
        decodes_safely(&bytes)?;
    }
}

/// A document of scalar fields only, and its encoding split at the records' end.
fn scalar_document() -> Document {
    let mut doc = Document::new();
    for (i, key) in ["apple", "apricot", "banana"].iter().enumerate() {
        doc.update_at(&[*key], |r: &mut LwwRegister<Value>| {
            r.set(A, &mut Hlc::new(ManualClock::new(10)), Value::Int(i as i64))
        })
        .unwrap();
    }
    doc
}

fn malformed(bytes: &[u8]) -> String {
    match Document::decode(bytes) {
        Err(Error::Malformed { reason, .. }) => reason,
        other => panic!("expected a malformed-body error, got {other:?}"),
    }
}

#[test]
fn a_document_of_scalar_fields_is_all_records_and_an_empty_rest() {
    let bytes = scalar_document().encode().unwrap();
    // Three records, one replica (A, little-endian), then the records.
    assert_eq!(bytes[..5], [0xc1, 6, 4, 3, 1]);
    assert_eq!(bytes[5..13], 1u64.to_le_bytes());
    // The first path shares nothing, is one segment long and has one write (head 0);
    // its key shares nothing either. ("apricot" shares "ap" with "apple".)
    assert_eq!(bytes[13..16], [0, 0, 5]);
    assert_eq!(&bytes[16..21], b"apple");
    assert_eq!(bytes[21], 0, "the first write's replica index");
    // The rest is a version 3 body whose store holds no key.
    let rest_start = bytes.len() - version_3(&Document::new()).len() + 3;
    assert!(rest_start > 20);
    assert_eq!(Document::decode(&bytes).unwrap(), scalar_document());
}

#[test]
fn records_that_break_the_rules_are_refused() {
    let good = scalar_document().encode().unwrap();
    // The second record's key ("apricot", from "ap" and the rest "ricot") made
    // "apaaaaa": below "apple", so the keys no longer ascend.
    let at = good
        .windows(5)
        .position(|w| w == b"ricot")
        .expect("the second key's rest");
    let mut descending = good.clone();
    descending[at..at + 5].copy_from_slice(b"aaaaa");
    assert!(malformed(&descending).contains("do not ascend"));
    // A replica index past the table.
    let mut replica = good.clone();
    replica[21] = 9;
    assert!(
        malformed(&replica).contains("names no replica"),
        "{replica:?}"
    );
    // A body cut inside the records.
    for cut in 13..30 {
        let reason = malformed(&good[..cut]);
        assert!(
            reason.contains("past the end") || reason.contains("more scalar fields"),
            "{cut}: {reason}"
        );
    }
    // A key shares more than the last key holds (the first key shares nothing).
    let mut shares = good.clone();
    shares[14] = 1;
    assert!(malformed(&shares).contains("shares more"));
}

#[test]
fn a_key_in_the_records_and_the_rest_is_their_union_and_a_dot_in_both_is_refused() {
    // "apple" as a record, and again in the rest (as an MV register): the encoder
    // never writes this (a node with two kinds is no scalar field), and the decoder
    // reads the union, as it does for a map some of whose fields are records.
    let records = scalar_document().encode().unwrap();
    let empty_rest = version_3(&Document::new()).len() - 3;
    let mut mv = Document::new();
    mv.update_at(&["apple"], |r: &mut MvRegister<Value>| {
        r.write(B, Value::Null)
    })
    .unwrap();
    let rest = mv.encode().unwrap();
    assert_eq!(rest[3], 0, "no records in the MV document");
    let rest_len = version_3(&mv).len() - 3;
    let mut both = records[..records.len() - empty_rest].to_vec();
    both.extend_from_slice(&rest[rest.len() - rest_len..]);
    let mut union = scalar_document();
    union.join(mv);
    assert_eq!(Document::decode(&both).unwrap(), union);

    // The same dot (A's first write) under a record and under a key of the rest.
    let mut clash = Document::new();
    clash
        .update_at(&["zzz"], |r: &mut MvRegister<Value>| {
            r.write(A, Value::Null)
        })
        .unwrap();
    let rest = clash.encode().unwrap();
    let rest_len = version_3(&clash).len() - 3;
    let mut twice = records[..records.len() - empty_rest].to_vec();
    twice.extend_from_slice(&rest[rest.len() - rest_len..]);
    assert!(malformed(&twice).contains("two keys"), "{twice:?}");
}

#[test]
fn other_maps_write_no_records_and_refuse_them() {
    let mut typed = OrMap::<String, OrSet<String>>::new();
    typed.update(&"tags".to_owned(), |s| s.add(A, "x".to_owned()));
    let bytes = typed.encode().unwrap();
    assert_eq!(bytes[..4], [0xc1, 6, 4, 0]);
    assert_eq!(
        OrMap::<String, OrSet<String>>::decode(&bytes).unwrap(),
        typed
    );
    // A document's records read as a map of counters.
    let document = scalar_document().encode().unwrap();
    assert!(matches!(
        OrMap::<String, Counter>::decode(&document),
        Err(Error::Malformed { reason, .. }) if reason.contains("not a document")
    ));
}

#[test]
fn nested_and_conflicted_fields_are_records_and_other_parts_stay_in_the_rest() {
    let mut doc = Document::new();
    doc.update_at(&["users", "ann", "n"], |r: &mut LwwRegister<Value>| {
        r.set(A, &mut Hlc::new(ManualClock::new(1)), Value::Int(1))
    })
    .unwrap();
    let mut other = Document::new();
    other
        .update_at(&["t"], |r: &mut LwwRegister<Value>| {
            r.set(B, &mut Hlc::new(ManualClock::new(1)), Value::Int(2))
        })
        .unwrap();
    doc.update_at(&["t"], |r: &mut LwwRegister<Value>| {
        r.set(A, &mut Hlc::new(ManualClock::new(1)), Value::Int(3))
    })
    .unwrap();
    doc.join(other);
    let bytes = doc.encode().unwrap();
    assert_eq!(bytes[3], 2, "two records: t and users/ann/n");
    // Two replicas in the table, then "t" with its two writes: head 1 (one new
    // segment, more than one write), the key, the count minus 2.
    assert_eq!(bytes[4], 2);
    let record = 4 + 1 + 16;
    assert_eq!(bytes[record..record + 5], [1, 0, 1, b't', 0]);
    assert_eq!(Document::decode(&bytes).unwrap(), doc);
    // The two writes out of dot order are refused: the first write (A's, replica
    // index 0) made B's, whose dot sorts after the second's.
    let mut swapped = bytes.clone();
    swapped[record + 5] = 1;
    assert!(malformed(&swapped).contains("not in dot order"));

    // A counter beside the nested fields: the fields are records, the counter and
    // the maps down to it stay in the rest, and the decoder joins the two.
    doc.update_at(&["users", "ann", "visits"], |c: &mut Counter| {
        c.increment(B, 4)
    })
    .unwrap();
    doc.update_at(&["users", "bob", "n"], |r: &mut LwwRegister<Value>| {
        r.set(B, &mut Hlc::new(ManualClock::new(2)), Value::Int(5))
    })
    .unwrap();
    let bytes = doc.encode().unwrap();
    assert_eq!(bytes[3], 3, "t, users/ann/n and users/bob/n");
    assert_eq!(Document::decode(&bytes).unwrap(), doc);
    assert_eq!(Document::decode(&version_3(&doc)).unwrap(), doc);
}
