//! The MessagePack reader behind [`decode_body`](crate::decode_body): serde's
//! `Deserializer` over a byte slice, reading what rmp-serde writes (compact arrays for
//! structs) and accepting what rmp-serde 1.3 accepted for every value converge writes.
//!
//! It exists for size. rmp-serde funnels every request through one large generic
//! function (`any_inner`), so each visitor type got its own copy of the whole
//! MessagePack grammar, and every `visit_*` default of every visitor was linked in.
//! Here the grammar is read once, by the non-generic [`Decoder::head`]; the generic
//! part left per visitor is a short match that calls only the `visit_*` methods the
//! request can lead to (a sequence request calls `visit_seq` and nothing else).
//!
//! Limits, as before: nesting of arrays and maps past [`MAX_DEPTH`] fails; a length
//! prefix is checked against the bytes left before anything is read or reserved (a
//! size hint never exceeds the bytes left); an array whose visitor stops early fails.

use std::fmt;

use serde::de::{self, DeserializeSeed, Visitor};

use crate::packed_body::{int_head, Unpacker};
use crate::MAX_DEPTH;

/// Why a body failed to decode.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// Arrays and maps nested past [`MAX_DEPTH`].
    TooDeep,
    /// Anything else: the reason, for the message.
    Malformed(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooDeep => f.write_str("depth limit exceeded"),
            DecodeError::Malformed(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError::Malformed(msg.to_string())
    }
}

/// One MessagePack item's head: a scalar with its value, or a container with its length.
#[derive(Clone, Copy)]
pub(crate) enum Head<'de> {
    Nil,
    Bool(bool),
    Uint(u64),
    Int(i64),
    Float(f64),
    Str(&'de str),
    /// A string of a packed body: its text is [`Decoder::rebuilt_text`].
    Rebuilt,
    Bin(&'de [u8]),
    Array(u32),
    Map(u32),
    Ext,
}

impl Head<'_> {
    /// What the head is, for messages.
    fn describe(self) -> &'static str {
        match self {
            Head::Nil => "nil",
            Head::Bool(_) => "a boolean",
            Head::Uint(_) | Head::Int(_) => "an integer",
            Head::Float(_) => "a float",
            Head::Str(_) | Head::Rebuilt => "a string",
            Head::Bin(_) => "binary data",
            Head::Array(_) => "an array",
            Head::Map(_) => "a map",
            Head::Ext => "an extension value",
        }
    }
}

/// The error for a head of the wrong kind. Not generic, so one copy serves every request.
#[cold]
#[inline(never)]
fn unexpected(head: Head<'_>, expected: &str) -> DecodeError {
    DecodeError::Malformed(format!(
        "invalid type: {}, expected {expected}",
        head.describe()
    ))
}

/// Reads MessagePack from a byte slice; see the module documentation.
pub(crate) struct Decoder<'de> {
    input: &'de [u8],
    depth_left: usize,
    /// Reading a packed body (`packed_body.rs`) instead of MessagePack: its tokens
    /// are read as the MessagePack heads they unpack to.
    packed: Option<Box<Unpacker>>,
}

impl<'de> Decoder<'de> {
    /// A decoder at the start of `input`.
    pub(crate) fn new(input: &'de [u8]) -> Self {
        Decoder {
            input,
            depth_left: MAX_DEPTH,
            packed: None,
        }
    }

    /// A decoder at the start of a packed body, reading it as the MessagePack body it
    /// unpacks to (without unpacking it first).
    pub(crate) fn packed(input: &'de [u8]) -> Self {
        Decoder {
            input,
            depth_left: MAX_DEPTH,
            packed: Some(Box::new(Unpacker::new())),
        }
    }

    /// The text of the string [`Head::Rebuilt`] just read.
    fn rebuilt_text(&self) -> Result<&str, DecodeError> {
        match &self.packed {
            Some(unpacker) => unpacker.text(),
            None => Err(DecodeError::Malformed("no packed string".to_owned())),
        }
    }

    /// How many bytes are left unread.
    pub(crate) fn remaining(&self) -> usize {
        self.input.len()
    }

    /// The next `n` bytes, consumed; an error when fewer are left.
    fn take(&mut self, n: usize) -> Result<&'de [u8], DecodeError> {
        if n > self.input.len() {
            return Err(DecodeError::Malformed(format!(
                "unexpected end of input: {n} bytes wanted, {} left",
                self.input.len()
            )));
        }
        let (taken, rest) = self.input.split_at(n);
        self.input = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn bin(&mut self, len: usize) -> Result<Head<'de>, DecodeError> {
        Ok(Head::Bin(self.take(len)?))
    }

    fn str(&mut self, len: usize) -> Result<Head<'de>, DecodeError> {
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map(Head::Str)
            .map_err(|e| DecodeError::Malformed(format!("string is not UTF-8: {e}")))
    }

    /// Skips an extension value's type byte and data.
    fn ext(&mut self, len: usize) -> Result<Head<'de>, DecodeError> {
        self.take(len + 1)?;
        Ok(Head::Ext)
    }

    /// Reads the next item's head (and a string's or binary's bytes).
    #[inline(never)]
    pub(crate) fn head(&mut self) -> Result<Head<'de>, DecodeError> {
        if let Some(unpacker) = &mut self.packed {
            return unpacker.head(&mut self.input);
        }
        let marker = self.u8()?;
        Ok(match marker {
            0x00..=0x7f => Head::Uint(u64::from(marker)),
            0x80..=0x8f => Head::Map(u32::from(marker & 0x0f)),
            0x90..=0x9f => Head::Array(u32::from(marker & 0x0f)),
            0xa0..=0xbf => return self.str(usize::from(marker & 0x1f)),
            0xc0 => Head::Nil,
            0xc1 => return Err(DecodeError::Malformed("reserved marker 0xc1".to_owned())),
            0xc2 => Head::Bool(false),
            0xc3 => Head::Bool(true),
            0xc4 => return self.u8().and_then(|n| self.bin(usize::from(n))),
            0xc5 => return self.u16().and_then(|n| self.bin(usize::from(n))),
            0xc6 => return self.u32().and_then(|n| self.bin(n as usize)),
            0xc7 => return self.u8().and_then(|n| self.ext(usize::from(n))),
            0xc8 => return self.u16().and_then(|n| self.ext(usize::from(n))),
            0xc9 => return self.u32().and_then(|n| self.ext(n as usize)),
            0xca => Head::Float(f64::from(f32::from_bits(self.u32()?))),
            0xcb => Head::Float(f64::from_bits(self.u64()?)),
            0xcc => Head::Uint(u64::from(self.u8()?)),
            0xcd => Head::Uint(u64::from(self.u16()?)),
            0xce => Head::Uint(u64::from(self.u32()?)),
            0xcf => Head::Uint(self.u64()?),
            0xd0 => Head::Int(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Head::Int(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Head::Int(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Head::Int(i64::from_be_bytes(self.array()?)),
            0xd4 => return self.ext(1),
            0xd5 => return self.ext(2),
            0xd6 => return self.ext(4),
            0xd7 => return self.ext(8),
            0xd8 => return self.ext(16),
            0xd9 => return self.u8().and_then(|n| self.str(usize::from(n))),
            0xda => return self.u16().and_then(|n| self.str(usize::from(n))),
            0xdb => return self.u32().and_then(|n| self.str(n as usize)),
            0xdc => Head::Array(u32::from(self.u16()?)),
            0xdd => Head::Array(self.u32()?),
            0xde => Head::Map(u32::from(self.u16()?)),
            0xdf => Head::Map(self.u32()?),
            0xe0..=0xff => Head::Int(i64::from(marker as i8)),
        })
    }

    /// The next item's head, where a number is likely: a packed body's integer token
    /// is read at once, without the rest of [`head`](Self::head).
    fn number_head(&mut self) -> Result<Head<'de>, DecodeError> {
        let packed = match &mut self.packed {
            Some(unpacker) => unpacker.integer(&mut self.input)?,
            None => None,
        };
        match packed {
            Some(value) => int_head(value),
            None => self.head(),
        }
    }

    /// An array request's length; a packed body's short array is read at once.
    fn array_len(&mut self) -> Result<u32, DecodeError> {
        let packed = match &mut self.packed {
            Some(unpacker) => unpacker.short_array(&mut self.input)?,
            None => None,
        };
        match packed {
            Some(len) => Ok(len),
            None => match self.head()? {
                Head::Array(len) => Ok(len),
                other => Err(unexpected(other, "an array")),
            },
        }
    }

    /// Goes one level deeper; an error past [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<(), DecodeError> {
        self.depth_left = self.depth_left.checked_sub(1).ok_or(DecodeError::TooDeep)?;
        Ok(())
    }

    /// Visits the `len` elements of an array whose head was read; every element
    /// must be read.
    fn visit_array<V: Visitor<'de>>(
        &mut self,
        len: u32,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.enter()?;
        let mut seq = Elements {
            de: self,
            left: len,
        };
        let value = visitor.visit_seq(&mut seq)?;
        let left = seq.left;
        self.depth_left += 1;
        finished(len, left)?;
        Ok(value)
    }

    /// Visits the `len` entries of a map whose head was read; every entry must be read.
    fn visit_map<V: Visitor<'de>>(
        &mut self,
        len: u32,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.enter()?;
        let mut map = Elements {
            de: self,
            left: len,
        };
        let value = visitor.visit_map(&mut map)?;
        let left = map.left;
        self.depth_left += 1;
        finished(len, left)?;
        Ok(value)
    }

    /// An integer request's value, checked against the requested type's range
    /// here, so serde's integer visitors are only ever given values they take (their
    /// refusals would link serde's `Unexpected` formatting, floats and all).
    fn integer(&mut self, min: i64, max: u64) -> Result<Integer, DecodeError> {
        // A packed integer token's value is checked at once, without a head (what
        // `int_head` makes of it: unsigned when it is not negative).
        let packed = match &mut self.packed {
            Some(unpacker) => unpacker.integer(&mut self.input)?,
            None => None,
        };
        if let Some(value) = packed {
            if let Ok(u) = u64::try_from(value) {
                if u <= max {
                    return Ok(Integer::Unsigned(u));
                }
            } else if let Ok(i) = i64::try_from(value) {
                if i >= min {
                    return Ok(Integer::Signed(i));
                }
            }
            int_head(value)?;
            return Err(out_of_range());
        }
        let value = match self.head()? {
            Head::Uint(u) if u <= max => Integer::Unsigned(u),
            Head::Int(i) if i >= 0 && i as u64 <= max => Integer::Unsigned(i as u64),
            Head::Int(i) if i >= min => Integer::Signed(i),
            Head::Uint(_) | Head::Int(_) => return Err(out_of_range()),
            other => return Err(unexpected(other, "an integer")),
        };
        Ok(value)
    }

    /// A signed request's value in `min..=max`.
    fn signed(&mut self, min: i64, max: i64) -> Result<i64, DecodeError> {
        Ok(match self.integer(min, max as u64)? {
            Integer::Unsigned(u) => u as i64,
            Integer::Signed(i) => i,
        })
    }

    /// An unsigned request's value in `0..=max`.
    fn unsigned(&mut self, max: u64) -> Result<u64, DecodeError> {
        match self.integer(0, max)? {
            Integer::Unsigned(u) => Ok(u),
            Integer::Signed(_) => Err(DecodeError::Malformed(
                "invalid value: negative integer for an unsigned type".to_owned(),
            )),
        }
    }

    /// A float request: floats or integers (as rmp-serde, read as the nearest float).
    fn float(&mut self) -> Result<f64, DecodeError> {
        match self.head()? {
            Head::Float(f) => Ok(f),
            Head::Uint(u) => Ok(u as f64),
            Head::Int(i) => Ok(i as f64),
            other => Err(unexpected(other, "a number")),
        }
    }

    /// A string request: a UTF-8 string. (rmp-serde also took binary data holding
    /// UTF-8; converge never writes that, and a string visitor's refusal of other
    /// bytes would link serde's `Unexpected` formatting.)
    fn visit_text<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.head()? {
            Head::Str(s) => visitor.visit_borrowed_str(s),
            Head::Rebuilt => visitor.visit_str(self.rebuilt_text()?),
            other => Err(unexpected(other, "a string")),
        }
    }

    /// A 128-bit integer request: an integer, or 16 big-endian bytes.
    fn int128(&mut self) -> Result<i128, DecodeError> {
        match self.head()? {
            Head::Uint(u) => Ok(i128::from(u)),
            Head::Int(i) => Ok(i128::from(i)),
            Head::Bin(b) => <[u8; 16]>::try_from(b)
                .map(i128::from_be_bytes)
                .map_err(|_| {
                    DecodeError::Malformed(format!(
                        "a 128-bit integer needs 16 bytes, not {}",
                        b.len()
                    ))
                }),
            other => Err(unexpected(other, "an integer")),
        }
    }
}

/// The error for an integer outside the requested type's range.
#[cold]
fn out_of_range() -> DecodeError {
    DecodeError::Malformed("invalid value: integer out of range for its type".to_owned())
}

/// An integer read for a request, within the requested type's range.
enum Integer {
    Unsigned(u64),
    Signed(i64),
}

/// The error for a container whose visitor left elements unread.
fn finished(len: u32, left: u32) -> Result<(), DecodeError> {
    if left == 0 {
        Ok(())
    } else {
        Err(DecodeError::Malformed(format!(
            "invalid length: {len} elements, {} read",
            len - left
        )))
    }
}

impl<'de> de::Deserializer<'de> for &mut Decoder<'de> {
    type Error = DecodeError;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.number_head()? {
            Head::Nil => visitor.visit_unit(),
            Head::Bool(b) => visitor.visit_bool(b),
            Head::Uint(u) => visitor.visit_u64(u),
            Head::Int(i) => visitor.visit_i64(i),
            Head::Float(f) => visitor.visit_f64(f),
            Head::Str(s) => visitor.visit_borrowed_str(s),
            Head::Rebuilt => visitor.visit_str(self.rebuilt_text()?),
            Head::Bin(b) => visitor.visit_borrowed_bytes(b),
            Head::Array(len) => self.visit_array(len, visitor),
            Head::Map(len) => self.visit_map(len, visitor),
            other @ Head::Ext => Err(unexpected(other, "a plain MessagePack value")),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.head()? {
            Head::Bool(b) => visitor.visit_bool(b),
            other => Err(unexpected(other, "a boolean")),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_i8(self.signed(i8::MIN.into(), i8::MAX.into())? as i8)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_i16(self.signed(i16::MIN.into(), i16::MAX.into())? as i16)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_i32(self.signed(i32::MIN.into(), i32::MAX.into())? as i32)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_i64(self.signed(i64::MIN, i64::MAX)?)
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_i128(self.int128()?)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u8(self.unsigned(u8::MAX.into())? as u8)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u16(self.unsigned(u16::MAX.into())? as u16)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u32(self.unsigned(u32::MAX.into())? as u32)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u64(self.unsigned(u64::MAX)?)
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        // rmp-serde reads the bits of an i128 and reinterprets them, as here.
        visitor.visit_u128(self.int128()? as u128)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_f32(self.float()? as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_f64(self.float()?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_text(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_text(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.visit_text(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.head()? {
            Head::Bin(b) => visitor.visit_borrowed_bytes(b),
            Head::Str(s) => visitor.visit_borrowed_str(s),
            Head::Rebuilt => visitor.visit_str(self.rebuilt_text()?),
            Head::Array(len) => self.visit_array(len, visitor),
            other => Err(unexpected(other, "binary data")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let nil = match self.packed {
            Some(_) => Unpacker::next_is_nil(self.input),
            None => self.input.first() == Some(&0xc0),
        };
        if nil {
            self.head()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.head()? {
            Head::Nil => visitor.visit_unit(),
            other => Err(unexpected(other, "nil")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        // rmp-serde writes a unit struct as an empty array and reads nil too.
        match self.head()? {
            Head::Nil | Head::Array(0) => visitor.visit_unit(),
            other => Err(unexpected(other, "nil or an empty array")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let len = self.array_len()?;
        self.visit_array(len, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.head()? {
            Head::Map(len) => self.visit_map(len, visitor),
            other => Err(unexpected(other, "a map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        // Written as an array (compact), the one form converge ever wrote. A map with
        // field names (rmp-serde's `to_vec_named`) is refused: accepting it linked every
        // struct's field-name matching into the wasm (about 5 KB gzip).
        self.deserialize_seq(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        // As rmp-serde: a one-entry map {variant: content}, or the variant alone (a
        // unit variant).
        let map = match self.packed {
            Some(_) => Unpacker::next_map_len(self.input),
            None => match Decoder::new(self.input).head()? {
                Head::Map(len) => Some(len),
                _ => None,
            },
        };
        match map {
            Some(1) => {
                self.head()?;
                visitor.visit_enum(VariantWithContent { de: self })
            }
            Some(len) => Err(DecodeError::Malformed(format!(
                "invalid length: an enum is a map of 1 entry, not {len}"
            ))),
            _ => visitor.visit_enum(UnitVariant { de: self }),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.head()? {
            Head::Str(s) => visitor.visit_borrowed_str(s),
            Head::Rebuilt => visitor.visit_str(self.rebuilt_text()?),
            Head::Bin(b) => visitor.visit_borrowed_bytes(b),
            Head::Uint(u) => visitor.visit_u64(u),
            other => Err(unexpected(other, "a field or variant name")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_any(visitor)
    }
}

/// The elements of an array, or the entries of a map, still to read.
struct Elements<'a, 'de> {
    de: &'a mut Decoder<'de>,
    left: u32,
}

impl Elements<'_, '_> {
    /// At most the elements left, and never more than the bytes left (each element
    /// takes at least one), so a lying length prefix reserves nothing.
    fn hint(&self) -> Option<usize> {
        Some((self.left as usize).min(self.de.remaining()))
    }
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        self.hint()
    }
}

impl<'de> de::MapAccess<'de> for Elements<'_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        seed.deserialize(&mut *self.de)
    }

    fn size_hint(&self) -> Option<usize> {
        self.hint()
    }
}

/// An enum written as a one-entry map: the variant, then its content.
struct VariantWithContent<'a, 'de> {
    de: &'a mut Decoder<'de>,
}

impl<'de> de::EnumAccess<'de> for VariantWithContent<'_, 'de> {
    type Error = DecodeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), DecodeError> {
        Ok((seed.deserialize(&mut *self.de)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for VariantWithContent<'_, 'de> {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        match self.de.head()? {
            Head::Nil => Ok(()),
            other => Err(unexpected(other, "nil")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, DecodeError> {
        seed.deserialize(self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_tuple(self.de, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_tuple(self.de, fields.len(), visitor)
    }
}

/// An enum written as its variant alone: a unit variant.
struct UnitVariant<'a, 'de> {
    de: &'a mut Decoder<'de>,
}

impl<'de> de::EnumAccess<'de> for UnitVariant<'_, 'de> {
    type Error = DecodeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), DecodeError> {
        Ok((seed.deserialize(&mut *self.de)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'_, 'de> {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        _seed: T,
    ) -> Result<T::Value, DecodeError> {
        Err(unit_variant_only("newtype"))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, DecodeError> {
        Err(unit_variant_only("tuple"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DecodeError> {
        Err(unit_variant_only("struct"))
    }
}

/// The error for a variant with content written as its name alone.
#[cold]
fn unit_variant_only(kind: &str) -> DecodeError {
    DecodeError::Malformed(format!(
        "invalid type: unit variant, expected {kind} variant"
    ))
}
