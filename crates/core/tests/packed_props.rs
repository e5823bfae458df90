//! Packed bodies (`encode_packed`, `unpack_body`, `decode_packed_body`: `OrMap`'s
//! format version 3) on random values:
//!
//! - unpacking gives back, byte for byte, the MessagePack body the value has
//!   unpacked (as rmp-serde writes it), and the value decodes back;
//! - arbitrary bytes, and packed bodies with bytes changed or dropped, never panic;
//! - decoding a packed body in one pass (`decode_packed_body`) gives what unpacking
//!   it and decoding the MessagePack body (`unpack_body`, then `decode_body`) gives:
//!   the same value, or a failure where that fails.

use std::collections::BTreeMap;

use converge_core::{decode_body, decode_packed_body, encode_packed, unpack_body, TypeTag};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// Every enum form (a unit variant alone, the others as a one-entry map), for the
/// decoder's look-ahead at an enum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Choice {
    Unit,
    Newtype(u32),
    Tuple(u8, String),
    Struct { a: i64 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Record {
    choice: Choice,
    id: u64,
    signed: i64,
    name: String,
    flag: Option<bool>,
    float: f64,
    nested: Vec<(u32, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Sample {
    records: Vec<Record>,
    by_key: BTreeMap<String, (u64, i64)>,
}

/// Integers near the values a document holds: small, near a shared base, or random
/// 64-bit ones.
fn integer() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..300,
        1_767_225_600_000u64..1_767_225_700_000,
        any::<u64>(),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "k[0-9]{1,5}",
        "[a-z]{0,40}",
        ".{0,80}",
        "prefix-that-is-long-enough-to-share-over-sixty-four-bytes-with-its-neighbour-[0-9]{1,3}",
    ]
}

fn choice() -> impl Strategy<Value = Choice> {
    prop_oneof![
        Just(Choice::Unit),
        any::<u32>().prop_map(Choice::Newtype),
        (any::<u8>(), name()).prop_map(|(n, s)| Choice::Tuple(n, s)),
        any::<i64>().prop_map(|a| Choice::Struct { a }),
    ]
}

prop_compose! {
    fn record()(
        choice in choice(),
        id in integer(),
        signed in any::<i64>(),
        name in name(),
        flag in proptest::option::of(any::<bool>()),
        float in any::<f64>(),
        nested in proptest::collection::vec((any::<u32>(), name()), 0..20),
    ) -> Record {
        Record { choice, id, signed, name, flag, float: if float.is_nan() { 0.0 } else { float }, nested }
    }
}

prop_compose! {
    fn sample()(
        records in proptest::collection::vec(record(), 0..40),
        by_key in proptest::collection::btree_map(name(), (integer(), any::<i64>()), 0..60),
    ) -> Sample {
        Sample { records, by_key }
    }
}

/// The general path the one-pass decode must equal: unpack, then decode.
fn unpack_then_decode(body: &[u8]) -> Option<Sample> {
    let msgpack = unpack_body(TypeTag::OrMap, body).ok()?;
    decode_body(TypeTag::OrMap, &msgpack).ok()
}

fn packed(value: &Sample) -> Vec<u8> {
    encode_packed(value, TypeTag::OrMap, 3).expect("encodes")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn unpacking_gives_back_the_messagepack_body(value in sample()) {
        let bytes = packed(&value);
        prop_assert_eq!(&bytes[..3], &[0xc1, 6, 3]);
        let body = unpack_body(TypeTag::OrMap, &bytes[3..]).expect("unpacks");
        prop_assert_eq!(body, rmp_serde::to_vec(&value).expect("rmp-serde writes it"));
        let back: Sample = decode_packed_body(TypeTag::OrMap, &bytes[3..]).expect("decodes");
        prop_assert_eq!(back, value);
    }

    #[test]
    fn changed_packed_bodies_never_panic(
        value in sample(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let mut body = packed(&value)[3..].to_vec();
        if !body.is_empty() {
            let i = at.index(body.len());
            if cut {
                body.truncate(i);
            } else {
                body[i] = byte;
            }
        }
        let one_pass = decode_packed_body::<Sample>(TypeTag::OrMap, &body).ok();
        prop_assert_eq!(one_pass, unpack_then_decode(&body));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = unpack_body(TypeTag::OrMap, &bytes);
        let one_pass = decode_packed_body::<Sample>(TypeTag::OrMap, &bytes).ok();
        prop_assert_eq!(one_pass, unpack_then_decode(&bytes));
    }
}
