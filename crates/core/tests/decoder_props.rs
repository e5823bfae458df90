//! converge's MessagePack reader (behind `decode_body`) and writer (behind
//! `Codec::encode`) agree with rmp-serde, which they replaced for size:
//!
//! - the writer writes byte for byte what `rmp_serde::to_vec` writes, for a type using
//!   every serde shape, lengths known and unknown, at every integer and length
//!   boundary;
//! - on anything rmp-serde writes, for a type using every serde shape (structs, enums
//!   of each variant kind, options, maps, strings, bytes, floats, 128-bit integers,
//!   unit, tuples), both read back the value written;
//! - on arbitrary bytes, and on valid encodings with bytes changed, dropped or added,
//!   it never panics, and whatever it accepts rmp-serde accepts as the same value (it
//!   is never more lenient).

use std::collections::BTreeMap;

use converge_core::{decode_body, Codec, Error, TypeTag, MAX_DEPTH};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Kind {
    Unit,
    Newtype(i64),
    Tuple(u8, String),
    Struct { flag: bool, small: Option<u32> },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Unit;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Newtype(u16);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Sample {
    count: u64,
    signed: i64,
    small: i8,
    float: f64,
    single: f32,
    text: String,
    letter: char,
    raw: Vec<u8>,
    maybe: Option<i32>,
    map: BTreeMap<String, i16>,
    kinds: Vec<Kind>,
    pair: (i128, u128),
    unit: (),
    unit_struct: Unit,
    newtype: Newtype,
    nested: Vec<Vec<Option<bool>>>,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Unit),
        any::<i64>().prop_map(Kind::Newtype),
        (any::<u8>(), ".{0,8}").prop_map(|(a, b)| Kind::Tuple(a, b)),
        (any::<bool>(), any::<Option<u32>>())
            .prop_map(|(flag, small)| Kind::Struct { flag, small }),
    ]
}

prop_compose! {
    fn sample()(
        count in any::<u64>(),
        signed in any::<i64>(),
        small in any::<i8>(),
        float in -1e300f64..1e300,
        single in -1e30f32..1e30,
        text in ".{0,40}",
        letter in any::<char>(),
        raw in proptest::collection::vec(any::<u8>(), 0..40),
        maybe in any::<Option<i32>>(),
        map in proptest::collection::btree_map(".{0,6}", any::<i16>(), 0..6),
        kinds in proptest::collection::vec(kind(), 0..6),
        pair in any::<(i128, u128)>(),
        newtype in any::<u16>(),
        nested in proptest::collection::vec(proptest::collection::vec(any::<Option<bool>>(), 0..4), 0..4),
    ) -> Sample {
        Sample {
            count, signed, small, float, single, text, letter, raw, maybe, map, kinds, pair,
            unit: (), unit_struct: Unit, newtype: Newtype(newtype), nested,
        }
    }
}

impl Codec for Sample {
    const TAG: TypeTag = TypeTag::OrSet;
}

/// A sequence and a map whose lengths are not known up front (serialize_seq(None)).
#[derive(Clone, Debug, PartialEq)]
struct Unsized(Vec<i64>);

impl Serialize for Unsized {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut outer = serializer.serialize_map(None)?;
        outer.serialize_key("items")?;
        outer.serialize_value(&UnsizedSeq(&self.0))?;
        outer.end()
    }
}

struct UnsizedSeq<'a>(&'a [i64]);

impl Serialize for UnsizedSeq<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        for item in self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Unsized {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Vec<i64>>::deserialize(deserializer)?;
        Ok(Unsized(map.into_values().next().unwrap_or_default()))
    }
}

impl Codec for Unsized {
    const TAG: TypeTag = TypeTag::OrSet;
}

/// Binary data (`serialize_bytes`).
struct Bin(Vec<u8>);

impl Serialize for Bin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

/// Strings, binaries and arrays of a chosen length, for the encoder only.
#[derive(Serialize)]
struct Lengths((String, Bin, Vec<u8>, Vec<i64>));

impl<'de> Deserialize<'de> for Lengths {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("encode-only"))
    }
}

impl Codec for Lengths {
    const TAG: TypeTag = TypeTag::OrSet;
}

/// Integers at every boundary of MessagePack's forms.
fn boundary_integer() -> impl Strategy<Value = i64> {
    let edges: Vec<i64> = vec![
        0,
        1,
        31,
        32,
        127,
        128,
        255,
        256,
        65_535,
        65_536,
        4_294_967_295,
        4_294_967_296,
        i64::MAX,
        -1,
        -32,
        -33,
        -128,
        -129,
        -32_768,
        -32_769,
        -2_147_483_648,
        -2_147_483_649,
        i64::MIN,
    ];
    prop_oneof![proptest::sample::select(edges), any::<i64>()]
}

fn ours<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    decode_body(TypeTag::OrSet, bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn writes_what_rmp_serde_writes(value in sample(), len in 0usize..70_000, ints in proptest::collection::vec(boundary_integer(), 0..40)) {
        let encoded = value.encode().expect("plain data encodes");
        prop_assert_eq!(&encoded[3..], &rmp_serde::to_vec(&value).expect("encodes")[..]);
        // strings, binaries and arrays at every length form (fix, 8, 16, 32 bits)
        let text = "x".repeat(len);
        let long = Lengths((text, Bin(vec![7u8; len]), vec![1u8; len / 1000], ints.clone()));
        prop_assert_eq!(&long.encode().expect("encodes")[3..], &rmp_serde::to_vec(&long).expect("encodes")[..]);
        let unsized_ = Unsized(ints);
        let bytes = unsized_.encode().expect("encodes");
        prop_assert_eq!(&bytes[3..], &rmp_serde::to_vec(&unsized_).expect("encodes")[..]);
        prop_assert_eq!(Unsized::decode(&bytes).expect("decodes"), unsized_);
    }

    #[test]
    fn reads_back_what_rmp_serde_writes(value in sample()) {
        let bytes = rmp_serde::to_vec(&value).expect("plain data encodes");
        prop_assert_eq!(ours::<Sample>(&bytes).expect("decodes"), value.clone());
        prop_assert_eq!(rmp_serde::from_slice::<Sample>(&bytes).expect("decodes"), value);
    }

    #[test]
    fn changed_encodings_never_panic_and_are_never_more_lenient(
        value in sample(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut bytes = rmp_serde::to_vec(&value).expect("plain data encodes");
        for (at, byte, how) in edits {
            match how {
                0 if !bytes.is_empty() => {
                    let i = at.index(bytes.len());
                    bytes[i] = byte;
                }
                1 if !bytes.is_empty() => {
                    bytes.remove(at.index(bytes.len()));
                }
                _ => bytes.insert(at.index(bytes.len() + 1), byte),
            }
        }
        if let Ok(decoded) = ours::<Sample>(&bytes) {
            prop_assert_eq!(rmp_serde::from_slice::<Sample>(&bytes).ok(), Some(decoded));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(decoded) = ours::<Vec<Kind>>(&bytes) {
            prop_assert_eq!(rmp_serde::from_slice::<Vec<Kind>>(&bytes).ok(), Some(decoded));
        }
        let _ = ours::<Sample>(&bytes);
        let _ = ours::<BTreeMap<String, Vec<u64>>>(&bytes);
    }
}

/// A struct is read from the array converge writes, not from a map of field names
/// (rmp-serde's `to_vec_named`, which converge never wrote): the decoder links no
/// struct's field-name matching (size). Both forms of the same value: the array reads,
/// the map is refused as malformed.
#[test]
fn structs_read_from_arrays_not_from_named_maps() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Pair {
        flag: bool,
        small: u32,
    }
    let value = Pair {
        flag: true,
        small: 7,
    };
    let compact = rmp_serde::to_vec(&value).expect("plain data encodes");
    assert_eq!(ours::<Pair>(&compact).expect("the array form reads"), value);
    let named = rmp_serde::to_vec_named(&value).expect("plain data encodes");
    assert_ne!(named, compact);
    assert!(matches!(ours::<Pair>(&named), Err(Error::Malformed { .. })));
}

/// Nesting: exactly `MAX_DEPTH` arrays decode, one more is `TooDeep`.
#[test]
fn depth_limit_is_max_depth_arrays() {
    let nested = |depth: usize| {
        let mut bytes = vec![0x91; depth - 1];
        bytes.push(0x90);
        bytes
    };
    assert!(ours::<serde::de::IgnoredAny>(&nested(MAX_DEPTH)).is_ok());
    assert!(matches!(
        ours::<serde::de::IgnoredAny>(&nested(MAX_DEPTH + 1)),
        Err(Error::TooDeep { limit: MAX_DEPTH })
    ));
}

/// An array longer than its visitor reads is an error, as with rmp-serde, and a
/// length prefix past the input fails without reserving room for it.
#[test]
fn unread_elements_and_lying_lengths_are_errors() {
    // [1, 2, 3] read as a (u8, u8)
    assert!(matches!(
        ours::<(u8, u8)>(&[0x93, 1, 2, 3]),
        Err(Error::Malformed { .. })
    ));
    // an array claiming 2^32 - 1 elements, then one
    assert!(matches!(
        ours::<Vec<u8>>(&[0xdd, 0xff, 0xff, 0xff, 0xff, 1]),
        Err(Error::Malformed { .. })
    ));
    // a string claiming 2^32 - 1 bytes
    assert!(matches!(
        ours::<String>(&[0xdb, 0xff, 0xff, 0xff, 0xff, b'a']),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        ours::<u8>(&[1, 2]),
        Err(Error::TrailingBytes { count: 1, .. })
    ));
}
