//! The wire format: MessagePack (as rmp-serde writes it, compact arrays) inside a
//! 3-byte envelope of magic byte, type tag and format version. The reader and writer
//! are converge's own (`msgpack_decoder.rs`, `msgpack_encoder.rs`), for size.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::msgpack_decoder::{DecodeError, Decoder};
use crate::msgpack_encoder::{to_msgpack, write_msgpack};
use crate::packed_body::{pack, unpack};
use crate::{EncodeError, Error};

/// First byte of every converge encoding. 0xC1 is the one byte MessagePack never
/// uses, so a bare MessagePack value (or most text) is rejected at once.
pub const MAGIC: u8 = 0xC1;

/// Deepest nesting of arrays and maps the decoder accepts. Far below what a wasm
/// stack survives, far above what any converge state needs.
pub const MAX_DEPTH: usize = 128;

/// Which type an encoding holds: the second byte of the envelope. One list for the
/// whole workspace, so tags never collide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TypeTag {
    /// `GCounter`
    GCounter = 1,
    /// `PnCounter`
    PnCounter = 2,
    /// `OrSet`
    OrSet = 3,
    /// `LwwRegister`
    LwwRegister = 4,
    /// `MvRegister`
    MvRegister = 5,
    /// `OrMap`
    OrMap = 6,
    /// `VersionVector`
    VersionVector = 7,
    /// A sync protocol message.
    SyncMessage = 16,
    /// A sync resume token.
    SyncToken = 17,
    /// A sync replica saved to bytes.
    SyncReplica = 18,
}

impl TypeTag {
    const ALL: [TypeTag; 10] = [
        TypeTag::GCounter,
        TypeTag::PnCounter,
        TypeTag::OrSet,
        TypeTag::LwwRegister,
        TypeTag::MvRegister,
        TypeTag::OrMap,
        TypeTag::VersionVector,
        TypeTag::SyncMessage,
        TypeTag::SyncToken,
        TypeTag::SyncReplica,
    ];

    /// The tag with this byte, if any.
    pub fn from_byte(byte: u8) -> Option<TypeTag> {
        TypeTag::ALL.into_iter().find(|t| *t as u8 == byte)
    }

    /// The type's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            TypeTag::GCounter => "GCounter",
            TypeTag::PnCounter => "PnCounter",
            TypeTag::OrSet => "OrSet",
            TypeTag::LwwRegister => "LwwRegister",
            TypeTag::MvRegister => "MvRegister",
            TypeTag::OrMap => "OrMap",
            TypeTag::VersionVector => "VersionVector",
            TypeTag::SyncMessage => "sync message",
            TypeTag::SyncToken => "sync token",
            TypeTag::SyncReplica => "saved sync replica",
        }
    }
}

/// Encoding to and decoding from converge's wire format. Implement it with the type's
/// tag and current version; `encode` and `decode` come for free.
///
/// - Equal values encode to identical bytes (maps and sets are written in key order).
/// - `decode` never panics, refuses nesting past [`MAX_DEPTH`], and allocates in
///   proportion to the input: a length prefix claiming four billion entries in a
///   20-byte input fails when the entries run out, without reserving room for them.
/// - A new format bumps `VERSION`; [`decode_version`](Self::decode_version) keeps
///   reading the old ones.
///
/// ```
/// use converge_core::{Codec, VersionVector, ReplicaId, Dot, Error};
/// let mut vv = VersionVector::new();
/// vv.observe(Dot::new(ReplicaId::new(7), 3));
/// let bytes = vv.encode()?;
/// assert_eq!(VersionVector::decode(&bytes)?, vv);
/// assert!(matches!(VersionVector::decode(&bytes[..2]), Err(Error::TooShort { .. })));
/// # Ok::<(), Error>(())
/// ```
pub trait Codec: Serialize + DeserializeOwned {
    /// The type tag in the envelope.
    const TAG: TypeTag;
    /// The format version this build writes (and the newest it reads).
    const VERSION: u8 = 1;

    /// The envelope followed by the compact MessagePack body.
    ///
    /// Fails only when a value inside fails to serialize (an element, key or value
    /// whose `Serialize` returns an error, such as a `PathBuf` that is not UTF-8);
    /// converge's own types and plain data always encode.
    fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        encode_enveloped(self, Self::TAG, Self::VERSION)
    }

    /// Decodes bytes made by [`encode`](Self::encode) (of this version or an older one).
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let (version, body) = open_versioned(bytes, Self::TAG, Self::VERSION)?;
        Self::decode_version(version, body)
    }

    /// Decodes the body of format `version` (1 ..= `VERSION`). The default reads the
    /// current format; override it to keep older versions readable after a change.
    fn decode_version(version: u8, body: &[u8]) -> Result<Self, Error> {
        let _ = version;
        decode_body(Self::TAG, body)
    }
}

/// The envelope of `tag` and `version` followed by the compact MessagePack body of
/// `value`: what [`Codec::encode`] writes, for a wire form that is not a `Codec` (a
/// sync message that carries no CRDT value is encoded so once for every CRDT type).
pub fn encode_enveloped<T: Serialize + ?Sized>(
    value: &T,
    tag: TypeTag,
    version: u8,
) -> Result<Vec<u8>, EncodeError> {
    let out = vec![MAGIC, tag as u8, version];
    write_msgpack(out, value).map_err(|e| EncodeError {
        type_name: tag.name(),
        reason: e.0,
    })
}

/// Checks the envelope and returns the format version and the body.
pub fn open_envelope(bytes: &[u8], expected: TypeTag) -> Result<(u8, &[u8]), Error> {
    let [magic, tag, version, body @ ..] = bytes else {
        return Err(Error::TooShort { len: bytes.len() });
    };
    if *magic != MAGIC {
        return Err(Error::NotConverge { found: *magic });
    }
    if *tag != expected as u8 {
        let found = TypeTag::from_byte(*tag).map_or_else(
            || format!("unknown type (tag {tag})"),
            |t| t.name().to_owned(),
        );
        return Err(Error::WrongType {
            expected: expected.name(),
            found,
        });
    }
    Ok((*version, body))
}

/// Checks the envelope and that its version is one `newest` or older (not 0); not
/// generic, so one copy serves every type's `decode`.
fn open_versioned(bytes: &[u8], tag: TypeTag, newest: u8) -> Result<(u8, &[u8]), Error> {
    let (version, body) = open_envelope(bytes, tag)?;
    if version > newest || version == 0 {
        return Err(Error::UnsupportedVersion {
            type_name: tag.name(),
            found: version,
            supported: newest,
        });
    }
    Ok((version, body))
}

/// Decodes one MessagePack value that must fill `body` exactly, with the depth limit.
pub fn decode_body<T: DeserializeOwned>(tag: TypeTag, body: &[u8]) -> Result<T, Error> {
    let mut decoder = Decoder::new(body);
    let value = T::deserialize(&mut decoder).map_err(|e| decode_error(tag, e))?;
    if decoder.remaining() != 0 {
        return Err(Error::TrailingBytes {
            type_name: tag.name(),
            count: decoder.remaining(),
        });
    }
    Ok(value)
}

/// The envelope of `tag` and `version` followed by the *packed* body of `value`: its
/// MessagePack body re-coded token by token against the last token at the same place
/// in the structure (see `packed_body.rs`), for the formats that say so (`OrMap`'s
/// version 3). A value's `Codec::encode` calls it.
pub fn encode_packed<T: Serialize + ?Sized>(
    value: &T,
    tag: TypeTag,
    version: u8,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![MAGIC, tag as u8, version];
    append_packed(value, tag, &mut out)?;
    Ok(out)
}

/// Appends the packed body of `value` to `out` (what [`encode_packed`] writes after
/// the envelope), for a format whose body holds a packed value after other bytes;
/// [`decode_packed_body`] reads it back.
pub fn append_packed<T: Serialize + ?Sized>(
    value: &T,
    tag: TypeTag,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let failure = |reason: String| EncodeError {
        type_name: tag.name(),
        reason,
    };
    let msgpack = to_msgpack(value).map_err(|e| failure(e.0))?;
    out.reserve(msgpack.len() / 2);
    pack(&msgpack, out).map_err(|e| failure(e.to_string()))
}

/// Decodes a packed body (made by [`encode_packed`]): reads it as [`decode_body`]
/// reads the MessagePack body it unpacks to ([`unpack_body`]), token by token in one
/// pass, without writing that body.
pub fn decode_packed_body<T: DeserializeOwned>(tag: TypeTag, body: &[u8]) -> Result<T, Error> {
    let mut decoder = Decoder::packed(body);
    let value = T::deserialize(&mut decoder).map_err(|e| decode_error(tag, e))?;
    if decoder.remaining() != 0 {
        let trailing = DecodeError::Malformed("packed body: trailing bytes after the value".into());
        return Err(decode_error(tag, trailing));
    }
    Ok(value)
}

/// The MessagePack body a packed body holds: the body of the same value in the
/// unpacked format version, byte for byte (for tests and tools).
pub fn unpack_body(tag: TypeTag, body: &[u8]) -> Result<Vec<u8>, Error> {
    unpack(body).map_err(|e| decode_error(tag, e))
}

/// The crate's error for a failed decode (not generic: one copy for every type).
fn decode_error(tag: TypeTag, error: DecodeError) -> Error {
    match error {
        DecodeError::TooDeep => Error::TooDeep { limit: MAX_DEPTH },
        DecodeError::Malformed(reason) => Error::Malformed {
            type_name: tag.name(),
            reason,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde::{de, ser, Deserialize, Deserializer, Serializer};

    use super::*;

    /// A value whose `Serialize` fails, as an application's element may (a `PathBuf`
    /// that is not UTF-8).
    #[derive(Debug)]
    struct Unencodable;

    impl Serialize for Unencodable {
        fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(ser::Error::custom("this value has no encoding"))
        }
    }

    impl<'de> Deserialize<'de> for Unencodable {
        fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
            Err(de::Error::custom("never encoded"))
        }
    }

    impl Codec for Unencodable {
        const TAG: TypeTag = TypeTag::OrSet;
    }

    /// Regression test (issue 14, item 3): `encode` reached `unreachable!` here.
    #[test]
    fn encode_reports_a_serialize_failure_as_an_error() {
        let error = Unencodable.encode().expect_err("no encoding");
        assert_eq!(error.type_name, "OrSet");
        assert!(
            error.reason.contains("this value has no encoding"),
            "{error}"
        );
        assert!(matches!(Error::from(error), Error::Encode(_)));
    }
}
