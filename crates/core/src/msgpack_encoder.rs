//! The MessagePack writer behind [`Codec::encode`](crate::Codec::encode): serde's
//! `Serializer` into a byte vector, writing byte for byte what rmp-serde 1.3 writes
//! with its default (compact) configuration: structs as arrays, the smallest integer
//! form, enum variants by name, `i128`/`u128` as 16 big-endian bytes.
//!
//! It exists for size, like [`msgpack_decoder`](crate::msgpack_decoder): the grammar
//! is written by non-generic functions, so what is left per serialized type is the
//! type's own `serialize` and a short element loop.

use std::fmt;

use serde::ser::{self, Serialize};

/// Why a value failed to encode: the reason, for the message.
#[derive(Debug)]
pub(crate) struct EncodeFailure(pub(crate) String);

impl fmt::Display for EncodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeFailure {}

impl ser::Error for EncodeFailure {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        EncodeFailure(msg.to_string())
    }
}

/// The compact MessagePack encoding of `value`, as `rmp_serde::to_vec` writes it.
pub(crate) fn to_msgpack<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, EncodeFailure> {
    let mut encoder = Encoder { out: Vec::new() };
    value.serialize(&mut encoder)?;
    Ok(encoder.out)
}

/// Appends to `out` the compact MessagePack encoding of `value`.
pub(crate) fn write_msgpack<T: Serialize + ?Sized>(
    out: Vec<u8>,
    value: &T,
) -> Result<Vec<u8>, EncodeFailure> {
    let mut encoder = Encoder { out };
    value.serialize(&mut encoder)?;
    Ok(encoder.out)
}

/// Writes MessagePack into its vector; see the module documentation.
pub(crate) struct Encoder {
    out: Vec<u8>,
}

/// The smallest header for a length: the fix form below `fix_limit`, else 16 or 32 bits.
fn header(
    len: usize,
    fix: u8,
    fix_limit: usize,
    marker16: u8,
    marker32: u8,
) -> Result<Vec<u8>, EncodeFailure> {
    let mut bytes = Vec::with_capacity(5);
    if len < fix_limit {
        bytes.push(fix | len as u8);
    } else if let Ok(len) = u16::try_from(len) {
        bytes.push(marker16);
        bytes.extend_from_slice(&len.to_be_bytes());
    } else if let Ok(len) = u32::try_from(len) {
        bytes.push(marker32);
        bytes.extend_from_slice(&len.to_be_bytes());
    } else {
        return Err(EncodeFailure(format!(
            "a length of {len} does not fit MessagePack's 32 bits"
        )));
    }
    Ok(bytes)
}

fn array_header(len: usize) -> Result<Vec<u8>, EncodeFailure> {
    header(len, 0x90, 16, 0xdc, 0xdd)
}

fn map_header(len: usize) -> Result<Vec<u8>, EncodeFailure> {
    header(len, 0x80, 16, 0xde, 0xdf)
}

impl Encoder {
    fn byte(&mut self, byte: u8) {
        self.out.push(byte);
    }

    fn marked(&mut self, marker: u8, bytes: &[u8]) {
        self.out.push(marker);
        self.out.extend_from_slice(bytes);
    }

    fn uint(&mut self, v: u64) {
        if v < 128 {
            self.byte(v as u8);
        } else if v < 256 {
            self.marked(0xcc, &[v as u8]);
        } else if let Ok(v) = u16::try_from(v) {
            self.marked(0xcd, &v.to_be_bytes());
        } else if let Ok(v) = u32::try_from(v) {
            self.marked(0xce, &v.to_be_bytes());
        } else {
            self.marked(0xcf, &v.to_be_bytes());
        }
    }

    fn sint(&mut self, v: i64) {
        if v >= 0 {
            self.uint(v as u64);
        } else if v >= -32 {
            self.byte(v as i8 as u8);
        } else if let Ok(v) = i8::try_from(v) {
            self.marked(0xd0, &v.to_be_bytes());
        } else if let Ok(v) = i16::try_from(v) {
            self.marked(0xd1, &v.to_be_bytes());
        } else if let Ok(v) = i32::try_from(v) {
            self.marked(0xd2, &v.to_be_bytes());
        } else {
            self.marked(0xd3, &v.to_be_bytes());
        }
    }

    fn str(&mut self, s: &str) -> Result<(), EncodeFailure> {
        let head = if s.len() < 256 && s.len() >= 32 {
            vec![0xd9, s.len() as u8]
        } else {
            header(s.len(), 0xa0, 32, 0xda, 0xdb)?
        };
        self.out.extend_from_slice(&head);
        self.out.extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn bin(&mut self, b: &[u8]) -> Result<(), EncodeFailure> {
        let head = if b.len() < 256 {
            vec![0xc4, b.len() as u8]
        } else {
            header(b.len(), 0, 0, 0xc5, 0xc6)?
        };
        self.out.extend_from_slice(&head);
        self.out.extend_from_slice(b);
        Ok(())
    }

    fn extend(&mut self, bytes: Result<Vec<u8>, EncodeFailure>) -> Result<(), EncodeFailure> {
        self.out.extend_from_slice(&bytes?);
        Ok(())
    }

    /// A container: its header now when its length is known, else once it ends.
    fn compound(&mut self, len: Option<usize>, map: bool) -> Result<Compound<'_>, EncodeFailure> {
        let header_at = match len {
            Some(len) => {
                self.extend(if map {
                    map_header(len)
                } else {
                    array_header(len)
                })?;
                None
            }
            None => Some(self.out.len()),
        };
        Ok(Compound {
            encoder: self,
            header_at,
            count: 0,
            map,
        })
    }
}

/// An array or map being written; counts its items when its length was not given.
pub(crate) struct Compound<'a> {
    encoder: &'a mut Encoder,
    header_at: Option<usize>,
    count: usize,
    map: bool,
}

impl Compound<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeFailure> {
        self.count += 1;
        value.serialize(&mut *self.encoder)
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeFailure> {
        value.serialize(&mut *self.encoder)
    }

    fn finish(self) -> Result<(), EncodeFailure> {
        if let Some(at) = self.header_at {
            let head = if self.map {
                map_header(self.count)?
            } else {
                array_header(self.count)?
            };
            self.encoder.out.splice(at..at, head);
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Encoder {
    type Ok = ();
    type Error = EncodeFailure;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, v: bool) -> Result<(), EncodeFailure> {
        self.byte(if v { 0xc3 } else { 0xc2 });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), EncodeFailure> {
        self.sint(v.into());
        Ok(())
    }

    fn serialize_i16(self, v: i16) -> Result<(), EncodeFailure> {
        self.sint(v.into());
        Ok(())
    }

    fn serialize_i32(self, v: i32) -> Result<(), EncodeFailure> {
        self.sint(v.into());
        Ok(())
    }

    fn serialize_i64(self, v: i64) -> Result<(), EncodeFailure> {
        self.sint(v);
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), EncodeFailure> {
        self.bin(&v.to_be_bytes())
    }

    fn serialize_u8(self, v: u8) -> Result<(), EncodeFailure> {
        self.uint(v.into());
        Ok(())
    }

    fn serialize_u16(self, v: u16) -> Result<(), EncodeFailure> {
        self.uint(v.into());
        Ok(())
    }

    fn serialize_u32(self, v: u32) -> Result<(), EncodeFailure> {
        self.uint(v.into());
        Ok(())
    }

    fn serialize_u64(self, v: u64) -> Result<(), EncodeFailure> {
        self.uint(v);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), EncodeFailure> {
        self.bin(&v.to_be_bytes())
    }

    fn serialize_f32(self, v: f32) -> Result<(), EncodeFailure> {
        self.marked(0xca, &v.to_be_bytes());
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), EncodeFailure> {
        self.marked(0xcb, &v.to_be_bytes());
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), EncodeFailure> {
        self.str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), EncodeFailure> {
        self.str(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), EncodeFailure> {
        self.bin(v)
    }

    fn serialize_none(self) -> Result<(), EncodeFailure> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), EncodeFailure> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), EncodeFailure> {
        self.byte(0xc0);
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeFailure> {
        self.byte(0x90);
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeFailure> {
        self.str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), EncodeFailure> {
        if name == "_ExtStruct" {
            // rmp-serde's marker for its MessagePack extension type, which converge's
            // format does not use.
            return Err(EncodeFailure(
                "MessagePack extension values are not part of converge's format".to_owned(),
            ));
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), EncodeFailure> {
        self.byte(0x81);
        self.str(variant)?;
        value.serialize(self)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>, EncodeFailure> {
        self.compound(len, false)
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, EncodeFailure> {
        self.compound(Some(len), false)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, EncodeFailure> {
        self.compound(Some(len), false)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, EncodeFailure> {
        self.byte(0x81);
        self.str(variant)?;
        self.compound(Some(len), false)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>, EncodeFailure> {
        self.compound(len, true)
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, EncodeFailure> {
        self.compound(Some(len), false)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, EncodeFailure> {
        self.byte(0x81);
        self.str(variant)?;
        self.compound(Some(len), false)
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = EncodeFailure;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeFailure> {
        self.item(value)
    }

    fn end(self) -> Result<(), EncodeFailure> {
        self.finish()
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = EncodeFailure;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeFailure> {
        self.item(value)
    }

    fn end(self) -> Result<(), EncodeFailure> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = EncodeFailure;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeFailure> {
        self.item(value)
    }

    fn end(self) -> Result<(), EncodeFailure> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = EncodeFailure;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeFailure> {
        self.item(value)
    }

    fn end(self) -> Result<(), EncodeFailure> {
        self.finish()
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = EncodeFailure;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeFailure> {
        self.item(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeFailure> {
        self.value(value)
    }

    fn end(self) -> Result<(), EncodeFailure> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = EncodeFailure;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _key: &'static str,
        value: &T,
    ) -> Result<(), EncodeFailure> {
        self.item(value)
    }

    fn end(self) -> Result<(), EncodeFailure> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = EncodeFailure;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _key: &'static str,
        value: &T,
    ) -> Result<(), EncodeFailure> {
        self.item(value)
    }

    fn end(self) -> Result<(), EncodeFailure> {
        self.finish()
    }
}
