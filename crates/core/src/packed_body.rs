//! Packed bodies: a MessagePack body re-coded token by token, for the format
//! versions that say so (`OrMap`'s version 3). One linear pass each way, and
//! unpacking gives back exactly the MessagePack body that was packed, which the
//! usual decoder then reads: a packed format holds the same values as the unpacked
//! one, with the same checks.
//!
//! Each token is coded against the last token at the same *place*: the same path of
//! positions from the root (an array's element index, capped at 15, or a map's key
//! or value side). The entries of a large map share their places, so:
//!
//! - an integer is the zigzag difference from the last integer at its place: one
//!   byte below 128, two below 12,416, else a length byte and the bytes it needs
//!   (timestamps, dot counters and values of neighbouring entries differ little);
//!   or, when shorter, a length byte and the integer itself (random 64-bit replica
//!   ids differ by as much as they are large);
//! - a string is the length of the prefix it shares with the last string at its
//!   place (at most [`MAX_SHARED`] bytes) and the rest (sorted keys share most bytes);
//! - an array or a map of fewer than 16 items is one byte; any other token (a longer
//!   container's head, nil, a boolean, a float, binary, an extension) is the
//!   MessagePack token itself behind a marker byte.
//!
//! | first byte | token |
//! | --- | --- |
//! | `0x00..=0x7f` | integer, difference `b` |
//! | `0x80..=0xaf` | integer, difference `128 + ((b - 0x80) << 8 \| next byte)` |
//! | `0xb0..=0xb7` | integer, difference `12_416 +` the next `b - 0xaf` bytes (little-endian) |
//! | `0xb8..=0xbf` | integer, the value itself in the next `b - 0xb7` bytes (little-endian) |
//! | `0xc0` | integer, difference `12_416 +` a LEB128 varint |
//! | `0xc1` | a MessagePack token that is not an integer or a string, as is |
//! | `0xc2..=0xd1` | array of `b - 0xc2` items |
//! | `0xd2..=0xe1` | map of `b - 0xd2` entries |
//! | `0xe2..=0xfe` | string: rest length `b - 0xe2`, varint shared length, rest |
//! | `0xff` | string: varint rest length, varint shared length, rest |
//!
//! Unpacking never reads past its input, refuses nesting past [`MAX_DEPTH`], and
//! writes at most about 70 bytes per byte read (a shared prefix is capped), so the
//! memory it takes stays in proportion to the input.

use crate::msgpack_decoder::{DecodeError, Decoder, Head};
use crate::MAX_DEPTH;

/// The longest prefix a string may share with the last string at its place.
pub(crate) const MAX_SHARED: usize = 64;

/// How many places are remembered: a place is hashed to one of these slots (two
/// places may share one; both sides compute the same, so that only costs size).
const SLOTS: usize = 1024;

/// Differences below this take one byte.
const ONE_BYTE: u128 = 128;
/// Differences below this take two bytes.
const TWO_BYTES: u128 = ONE_BYTE + 48 * 256;

const INT_TWO: u8 = 0x80;
const INT_SIZED: u8 = 0xb0;
const INT_ITSELF: u8 = 0xb8;
const INT_VARINT: u8 = 0xc0;
const AS_IS: u8 = 0xc1;
const ARRAY: u8 = 0xc2;
const MAP: u8 = 0xd2;
const SHORT_STRING: u8 = 0xe2;
const STRING: u8 = 0xff;
/// Containers of fewer items than this are one byte.
const SHORT_CONTAINER: u32 = 16;
/// Strings whose rest is at most this long put its length in the first byte.
const SHORT_REST: usize = (STRING - SHORT_STRING - 1) as usize;

/// One open container.
struct Frame {
    place: u64,
    map: bool,
    index: u64,
    left: u64,
}

/// The frame around the one top-level value: its one item's place is 0 (`mix` of this
/// place and index 0 is 0), and the walk is done when that item is.
const ROOT: Frame = Frame {
    place: 1 << 57,
    map: false,
    index: 0,
    left: 1,
};

/// Where the next token sits, and what was last seen at each place.
struct Walk {
    /// The innermost open container (the root frame before and after the value),
    /// kept out of `outer` so the step of every token touches no vector.
    top: Frame,
    /// The frames around `top`, outermost first.
    outer: Vec<Frame>,
    ints: Vec<i128>,
    /// The last string at each place: start and length in the MessagePack bytes.
    strings: Vec<(usize, usize)>,
}

fn mix(place: u64, step: u64) -> u64 {
    (place.rotate_left(7) ^ step.wrapping_add(1)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl Walk {
    fn new() -> Self {
        Walk {
            top: ROOT,
            outer: Vec::new(),
            ints: vec![0; SLOTS],
            strings: vec![(0, 0); SLOTS],
        }
    }

    /// Whether the one top-level value is complete.
    #[inline]
    fn done(&self) -> bool {
        self.top.left == 0
    }

    #[inline(always)]
    fn place(&self) -> u64 {
        let f = &self.top;
        mix(f.place, if f.map { f.index & 1 } else { f.index.min(15) })
    }

    /// The slot of a place.
    #[inline]
    fn slot(place: u64) -> usize {
        (place >> 54) as usize % SLOTS
    }

    /// Moves past a token at `place` (the one [`place`](Self::place) gave for it);
    /// `container` is its kind (map or not) and item count.
    #[inline(always)]
    fn step(&mut self, place: u64, container: Option<(bool, u32)>) -> Result<(), DecodeError> {
        self.top.index += 1;
        self.top.left -= 1;
        if let Some((map, len)) = container {
            if len > 0 {
                return self.open(place, map, len);
            }
        }
        if self.top.left == 0 {
            self.close();
        }
        Ok(())
    }

    /// Opens a container of `len` (more than 0) items at `place`.
    fn open(&mut self, place: u64, map: bool, len: u32) -> Result<(), DecodeError> {
        // (The root frame is in `outer` once a container is open.)
        if self.outer.len() >= MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let inner = Frame {
            place: mix(place, 16 + u64::from(map)),
            map,
            index: 0,
            left: u64::from(len) * if map { 2 } else { 1 },
        };
        self.outer.push(std::mem::replace(&mut self.top, inner));
        Ok(())
    }

    /// Closes the containers whose last item was just read.
    fn close(&mut self) {
        while self.top.left == 0 {
            match self.outer.pop() {
                Some(frame) => self.top = frame,
                None => break,
            }
        }
    }
}

#[cold]
#[inline(never)]
fn malformed(reason: &str) -> DecodeError {
    DecodeError::Malformed(format!("packed body: {reason}"))
}

fn zigzag(d: i128) -> u128 {
    ((d << 1) ^ (d >> 127)) as u128
}

fn unzigzag(z: u128) -> i128 {
    ((z >> 1) as i128) ^ -((z & 1) as i128)
}

fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The bytes `v` takes without its leading zero bytes.
fn byte_len(v: u128) -> usize {
    (128 - v.leading_zeros() as usize).div_ceil(8)
}

/// Writes an integer: the zigzag difference `z` from the last one at its place, or
/// `value` itself when that is shorter.
fn put_packed_int(out: &mut Vec<u8>, z: u128, value: i128) {
    if z < ONE_BYTE {
        out.push(z as u8);
    } else if z < TWO_BYTES {
        let y = z - ONE_BYTE;
        out.push(INT_TWO + (y >> 8) as u8);
        out.push(y as u8);
    } else {
        let sized = byte_len(z - TWO_BYTES).max(1);
        let itself = u64::try_from(value).map_or(usize::MAX, |v| byte_len(u128::from(v)).max(1));
        if itself < sized {
            out.push(INT_ITSELF + itself as u8 - 1);
            out.extend_from_slice(&value.to_le_bytes()[..itself]);
        } else if sized <= 8 {
            out.push(INT_SIZED + sized as u8 - 1);
            out.extend_from_slice(&(z - TWO_BYTES).to_le_bytes()[..sized]);
        } else {
            out.push(INT_VARINT);
            put_varint(out, z - TWO_BYTES);
        }
    }
}

/// Packs the MessagePack body `msgpack` (one value, as converge's encoder writes it)
/// onto `out`.
pub(crate) fn pack(msgpack: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let mut walk = Walk::new();
    let mut decoder = Decoder::new(msgpack);
    while !walk.done() {
        let start = msgpack.len() - decoder.remaining();
        let head = decoder.head()?;
        let end = msgpack.len() - decoder.remaining();
        let place = walk.place();
        let slot = Walk::slot(place);
        let mut container = None;
        match head {
            Head::Uint(_) | Head::Int(_) => {
                let value = match head {
                    Head::Uint(u) => i128::from(u),
                    Head::Int(i) => i128::from(i),
                    _ => 0,
                };
                let z = zigzag(value - walk.ints[slot]);
                walk.ints[slot] = value;
                put_packed_int(out, z, value);
            }
            Head::Str(s) => {
                let at = end - s.len();
                let (last_at, last_len) = walk.strings[slot];
                let last = &msgpack[last_at..last_at + last_len];
                let shared = last
                    .iter()
                    .zip(s.as_bytes())
                    .take(MAX_SHARED)
                    .take_while(|(a, b)| a == b)
                    .count();
                let rest = &s.as_bytes()[shared..];
                if rest.len() <= SHORT_REST {
                    out.push(SHORT_STRING + rest.len() as u8);
                } else {
                    out.push(STRING);
                    put_varint(out, rest.len() as u128);
                }
                put_varint(out, shared as u128);
                out.extend_from_slice(rest);
                walk.strings[slot] = (at, s.len());
            }
            // (Short forms only for one-byte heads, so unpacking gives back the same
            // bytes whatever head the writer chose.)
            Head::Array(n) if n < SHORT_CONTAINER && end - start == 1 => {
                out.push(ARRAY + n as u8);
                container = Some((false, n));
            }
            Head::Map(n) if n < SHORT_CONTAINER && end - start == 1 => {
                out.push(MAP + n as u8);
                container = Some((true, n));
            }
            _ => {
                out.push(AS_IS);
                out.extend_from_slice(&msgpack[start..end]);
                container = match head {
                    Head::Array(n) => Some((false, n)),
                    Head::Map(n) => Some((true, n)),
                    _ => None,
                };
            }
        }
        walk.step(place, container)?;
    }
    if decoder.remaining() != 0 {
        return Err(malformed("trailing bytes after the value"));
    }
    Ok(())
}

/// Reads a packed body.
struct Reader<'a> {
    input: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    // (Inlined: read for every token; the wasm build kept it a call.)
    #[inline]
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let byte = *self
            .input
            .get(self.at)
            .ok_or_else(|| malformed("unexpected end of input"))?;
        self.at += 1;
        Ok(byte)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.input.len())
            .ok_or_else(|| malformed("unexpected end of input"))?;
        let taken = &self.input[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// A LEB128 varint of at most 10 bytes (70 bits: every difference fits).
    fn varint(&mut self) -> Result<u128, DecodeError> {
        let mut value = 0u128;
        for i in 0..10 {
            let byte = self.byte()?;
            value |= u128::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(malformed("a varint longer than 10 bytes"))
    }

    /// An unsigned integer of `n` (at most 8) little-endian bytes.
    fn little_endian(&mut self, n: usize) -> Result<i128, DecodeError> {
        let mut bytes = [0u8; 16];
        bytes[..n].copy_from_slice(self.take(n)?);
        Ok(i128::from_le_bytes(bytes))
    }

    /// A varint length. (One byte below 128, nearly always: read at once.)
    #[inline]
    fn length(&mut self) -> Result<usize, DecodeError> {
        if let Some(&byte) = self.input.get(self.at).filter(|b| **b < 0x80) {
            self.at += 1;
            return Ok(usize::from(byte));
        }
        usize::try_from(self.varint()?).map_err(|_| malformed("a length past the address space"))
    }

    /// The value of an integer token whose first byte is `first` (already read),
    /// coded against `last`, the last integer at its place.
    #[inline]
    fn int_token(&mut self, first: u8, last: i128) -> Result<i128, DecodeError> {
        if (INT_ITSELF..INT_VARINT).contains(&first) {
            return self.little_endian(usize::from(first - INT_ITSELF) + 1);
        }
        let z = match first {
            0x00..=0x7f => u128::from(first),
            INT_TWO..=0xaf => {
                let low = self.byte()?;
                ONE_BYTE + (u128::from(first - INT_TWO) << 8 | u128::from(low))
            }
            INT_SIZED..=0xb7 => {
                let n = usize::from(first - INT_SIZED) + 1;
                TWO_BYTES + self.little_endian(n)? as u128
            }
            _ => TWO_BYTES + self.varint()?,
        };
        last.checked_add(unzigzag(z))
            .ok_or_else(|| malformed("an integer outside MessagePack's range"))
    }

    /// A string token whose first byte is `first` (already read): how many bytes it
    /// shares with the start of `last_len` bytes of the last string at its place,
    /// and the bytes that follow them.
    #[inline]
    fn string_token(
        &mut self,
        first: u8,
        last_len: usize,
    ) -> Result<(usize, &'a [u8]), DecodeError> {
        let rest_len = if first == STRING {
            self.length()?
        } else {
            usize::from(first - SHORT_STRING)
        };
        let shared = self.length()?;
        if shared > MAX_SHARED || shared > last_len {
            return Err(malformed("a string shares more than the last one holds"));
        }
        Ok((shared, self.take(rest_len)?))
    }
}

/// Writes `v` as the smallest MessagePack integer, as converge's encoder does.
fn put_int(out: &mut Vec<u8>, v: i128) -> Result<(), DecodeError> {
    if let Ok(u) = u64::try_from(v) {
        if u < 128 {
            out.push(u as u8);
        } else if let Ok(u) = u8::try_from(u) {
            out.extend_from_slice(&[0xcc, u]);
        } else if let Ok(u) = u16::try_from(u) {
            out.push(0xcd);
            out.extend_from_slice(&u.to_be_bytes());
        } else if let Ok(u) = u32::try_from(u) {
            out.push(0xce);
            out.extend_from_slice(&u.to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&u.to_be_bytes());
        }
    } else if let Ok(i) = i64::try_from(v) {
        if i >= -32 {
            out.push(i as i8 as u8);
        } else if let Ok(i) = i8::try_from(i) {
            out.extend_from_slice(&[0xd0, i as u8]);
        } else if let Ok(i) = i16::try_from(i) {
            out.push(0xd1);
            out.extend_from_slice(&i.to_be_bytes());
        } else if let Ok(i) = i32::try_from(i) {
            out.push(0xd2);
            out.extend_from_slice(&i.to_be_bytes());
        } else {
            out.push(0xd3);
            out.extend_from_slice(&i.to_be_bytes());
        }
    } else {
        return Err(malformed("an integer outside MessagePack's range"));
    }
    Ok(())
}

/// Writes a MessagePack string head for `len` bytes, as converge's encoder does.
fn put_str_head(out: &mut Vec<u8>, len: usize) -> Result<(), DecodeError> {
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if let Ok(len) = u8::try_from(len) {
        out.extend_from_slice(&[0xd9, len]);
    } else if let Ok(len) = u16::try_from(len) {
        out.push(0xda);
        out.extend_from_slice(&len.to_be_bytes());
    } else if let Ok(len) = u32::try_from(len) {
        out.push(0xdb);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        return Err(malformed("a string longer than MessagePack allows"));
    }
    Ok(())
}

/// The MessagePack body a packed body holds.
pub(crate) fn unpack(packed: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(packed.len().saturating_mul(2));
    let mut walk = Walk::new();
    let mut reader = Reader {
        input: packed,
        at: 0,
    };
    while !walk.done() {
        let place = walk.place();
        let slot = Walk::slot(place);
        let first = reader.byte()?;
        let mut container = None;
        match first {
            0x00..=INT_VARINT => {
                let value = reader.int_token(first, walk.ints[slot])?;
                put_int(&mut out, value)?;
                walk.ints[slot] = value;
            }
            AS_IS => {
                let rest = &packed[reader.at..];
                let mut decoder = Decoder::new(rest);
                let head = decoder.head()?;
                let len = rest.len() - decoder.remaining();
                container = match head {
                    Head::Uint(_) | Head::Int(_) | Head::Str(_) => {
                        return Err(malformed("an integer or string token as is"))
                    }
                    Head::Array(n) => Some((false, n)),
                    Head::Map(n) => Some((true, n)),
                    _ => None,
                };
                out.extend_from_slice(reader.take(len)?);
            }
            ARRAY..=0xd1 => {
                let n = u32::from(first - ARRAY);
                out.push(0x90 | n as u8);
                container = Some((false, n));
            }
            MAP..=0xe1 => {
                let n = u32::from(first - MAP);
                out.push(0x80 | n as u8);
                container = Some((true, n));
            }
            SHORT_STRING..=STRING => {
                let (last_at, last_len) = walk.strings[slot];
                let (shared, rest) = reader.string_token(first, last_len)?;
                let rest_len = rest.len();
                put_str_head(&mut out, shared + rest_len)?;
                let at = out.len();
                out.extend_from_within(last_at..last_at + shared);
                out.extend_from_slice(rest);
                walk.strings[slot] = (at, shared + rest_len);
            }
        }
        walk.step(place, container)?;
    }
    if reader.at != packed.len() {
        return Err(malformed("trailing bytes after the value"));
    }
    Ok(out)
}

/// A packed body read token by token as MessagePack heads: what [`unpack`] writes,
/// read as the decoder reads it, without the MessagePack body being written (the
/// decoder's packed mode, [`Decoder::packed`]). Each token is checked as `unpack`
/// checks it.
pub(crate) struct Unpacker {
    walk: Walk,
    /// Every string read so far, one after another (the last string at each place
    /// is found here, for the prefix the next one shares).
    text: Vec<u8>,
    /// The last string read: where it starts in `text`.
    last: usize,
}

/// The MessagePack head of an integer token's value, as `put_int` writes it:
/// unsigned when it is not negative.
#[inline]
pub(crate) fn int_head(value: i128) -> Result<Head<'static>, DecodeError> {
    if let Ok(u) = u64::try_from(value) {
        Ok(Head::Uint(u))
    } else if let Ok(i) = i64::try_from(value) {
        Ok(Head::Int(i))
    } else {
        Err(malformed("an integer outside MessagePack's range"))
    }
}

impl Unpacker {
    pub(crate) fn new() -> Self {
        Unpacker {
            walk: Walk::new(),
            text: Vec::new(),
            last: 0,
        }
    }

    /// The next token of `input` (moved past it) as a MessagePack head. A string is
    /// [`Head::Rebuilt`]: its text is [`text`](Self::text).
    // (Inlined into its one caller, `Decoder::head`: one call per token, not two.)
    #[inline]
    pub(crate) fn head<'de>(&mut self, input: &mut &'de [u8]) -> Result<Head<'de>, DecodeError> {
        match input.first() {
            Some(&first) if first <= INT_VARINT => {
                if let Some(value) = self.integer(input)? {
                    return int_head(value);
                }
            }
            Some(&first) if first < MAP => {
                if let Some(n) = self.short_array(input)? {
                    return Ok(Head::Array(n));
                }
            }
            _ => {}
        }
        self.other_head(input)
    }

    /// The next token of `input` if it is an integer (moved past it): the most common
    /// token, read without the rest of [`head`](Self::head). `None`, with nothing
    /// read, for any other token, or none (which `head` reports).
    #[inline]
    pub(crate) fn integer(&mut self, input: &mut &[u8]) -> Result<Option<i128>, DecodeError> {
        let first = match input.first() {
            Some(&first) if first <= INT_VARINT && !self.walk.done() => first,
            _ => return Ok(None),
        };
        let place = self.walk.place();
        let slot = Walk::slot(place);
        let mut reader = Reader { input, at: 1 };
        let value = reader.int_token(first, self.walk.ints[slot])?;
        self.walk.ints[slot] = value;
        *input = &input[reader.at..];
        self.walk.step(place, None)?;
        Ok(Some(value))
    }

    /// The item count of the next token of `input` if it is an array of fewer than
    /// 16 items (moved past it), as [`integer`](Self::integer) reads an integer.
    #[inline]
    pub(crate) fn short_array(&mut self, input: &mut &[u8]) -> Result<Option<u32>, DecodeError> {
        let n = match input.split_first() {
            Some((&first, rest)) if (ARRAY..MAP).contains(&first) && !self.walk.done() => {
                *input = rest;
                u32::from(first - ARRAY)
            }
            _ => return Ok(None),
        };
        let place = self.walk.place();
        self.walk.step(place, Some((false, n)))?;
        Ok(Some(n))
    }

    /// [`head`](Self::head) of a token that is neither an integer nor a short array.
    fn other_head<'de>(&mut self, input: &mut &'de [u8]) -> Result<Head<'de>, DecodeError> {
        if self.walk.done() {
            return Err(malformed("trailing bytes after the value"));
        }
        let place = self.walk.place();
        let slot = Walk::slot(place);
        let packed: &'de [u8] = input;
        let mut reader = Reader {
            input: packed,
            at: 0,
        };
        let first = reader.byte()?;
        let mut container = None;
        let head = match first {
            // (Never: `head` reads integers with `integer`.)
            0x00..=INT_VARINT => return Err(malformed("an integer read as another token")),
            AS_IS => {
                let mut decoder = Decoder::new(&packed[reader.at..]);
                let head = decoder.head()?;
                reader.at = packed.len() - decoder.remaining();
                container = match head {
                    Head::Uint(_) | Head::Int(_) | Head::Str(_) | Head::Rebuilt => {
                        return Err(malformed("an integer or string token as is"))
                    }
                    Head::Array(n) => Some((false, n)),
                    Head::Map(n) => Some((true, n)),
                    _ => None,
                };
                head
            }
            // (Never: `head` reads them with `short_array`.)
            ARRAY..=0xd1 => return Err(malformed("a short array read as another token")),
            MAP..=0xe1 => {
                let n = u32::from(first - MAP);
                container = Some((true, n));
                Head::Map(n)
            }
            SHORT_STRING..=STRING => {
                let (last_at, last_len) = self.walk.strings[slot];
                let (shared, rest) = reader.string_token(first, last_len)?;
                let rest_len = rest.len();
                if u32::try_from(shared + rest_len).is_err() {
                    return Err(malformed("a string longer than MessagePack allows"));
                }
                let at = self.text.len();
                self.text.extend_from_within(last_at..last_at + shared);
                self.text.extend_from_slice(rest);
                self.walk.strings[slot] = (at, shared + rest_len);
                self.last = at;
                Head::Rebuilt
            }
        };
        *input = &packed[reader.at..];
        self.walk.step(place, container)?;
        Ok(head)
    }

    /// The text of the last string read.
    pub(crate) fn text(&self) -> Result<&str, DecodeError> {
        std::str::from_utf8(&self.text[self.last..])
            .map_err(|e| DecodeError::Malformed(format!("string is not UTF-8: {e}")))
    }

    /// Whether the next token of `input` is nil (read it with [`head`](Self::head)).
    pub(crate) fn next_is_nil(input: &[u8]) -> bool {
        input.starts_with(&[AS_IS, 0xc0])
    }

    /// The entry count of the next token of `input` if it is a map (read it with
    /// [`head`](Self::head)).
    pub(crate) fn next_map_len(input: &[u8]) -> Option<u32> {
        match input.split_first()? {
            (&first, _) if (MAP..=0xe1).contains(&first) => Some(u32::from(first - MAP)),
            (&AS_IS, rest) => match Decoder::new(rest).head() {
                Ok(Head::Map(n)) => Some(n),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(msgpack: &[u8]) -> Vec<u8> {
        let mut packed = Vec::new();
        pack(msgpack, &mut packed).expect("packs");
        assert_eq!(unpack(&packed).expect("unpacks"), msgpack);
        packed
    }

    #[test]
    fn integers_and_strings_of_a_place_are_coded_against_the_last_one() {
        // {"key-1": [1000], "key-2": [1001], "other": [1003]}: a map's entries
        // share their places.
        let mut msgpack = vec![0x83];
        for (n, s) in [(1000u16, "key-1"), (1001, "key-2"), (1003, "other")] {
            msgpack.push(0xa0 | s.len() as u8);
            msgpack.extend_from_slice(s.as_bytes());
            msgpack.extend_from_slice(&[0x91, 0xcd]);
            msgpack.extend_from_slice(&n.to_be_bytes());
        }
        let packed = round_trip(&msgpack);
        // The second entry: 4 shared bytes and "2", an array, +1 (zigzag 2).
        assert!(
            packed
                .windows(5)
                .any(|w| w == [SHORT_STRING + 1, 4, b'2', ARRAY + 1, 2]),
            "{packed:x?}"
        );
        assert!(packed.len() + 5 < msgpack.len(), "{packed:x?}");
    }

    #[test]
    fn every_integer_width_and_the_extremes_round_trip() {
        // Items from index 15 on share one place, so each is coded against the one
        // before it: small and huge differences, and random 64-bit values.
        let values = [
            0i128,
            127,
            128,
            255,
            256,
            65_535,
            65_536,
            12_543,
            12_544,
            i128::from(u64::MAX),
            -1,
            -32,
            -33,
            -128,
            -129,
            i128::from(i64::MIN),
            i128::from(u64::MAX),
            0x9e37_79b9_7f4a_7c15,
            0x3c6e_f372_fe94_f82a,
            7,
        ];
        let mut msgpack = vec![0xdc, 0, 15 + values.len() as u8];
        msgpack.extend_from_slice(&[0xc0; 15]);
        for v in values {
            put_int(&mut msgpack, v).expect("in range");
        }
        let packed = round_trip(&msgpack);
        // No integer is longer than in MessagePack (a random id: 9 bytes); the 15
        // nils and the long array's head pass as is, a byte more each.
        assert!(packed.len() <= msgpack.len() + 16, "{packed:x?}");
    }

    #[test]
    fn other_tokens_pass_as_is() {
        // [nil, true, 1.5f64, bin "ab", a long string, a 16-item array of nils]
        let mut msgpack = vec![0x96, 0xc0, 0xc3, 0xcb];
        msgpack.extend_from_slice(&1.5f64.to_bits().to_be_bytes());
        msgpack.extend_from_slice(&[0xc4, 2, b'a', b'b', 0xd9, 40]);
        msgpack.extend_from_slice(&[b'x'; 40]);
        msgpack.extend_from_slice(&[0xdc, 0, 16]);
        msgpack.extend_from_slice(&[0xc0; 16]);
        round_trip(&msgpack);
    }

    #[test]
    fn hostile_packed_bodies_fail_without_panicking() {
        for bad in [
            &[][..],
            &[
                0xc0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
            &[
                0xc0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ],
            &[SHORT_STRING, 1],
            &[STRING, 0xff, 0xff, 0xff, 0xff, 0x0f, 0],
            &[AS_IS, 0x05],
            &[AS_IS, 0xa1, b'a'],
            &[AS_IS, 0xdd, 0xff, 0xff, 0xff, 0xff],
            &[ARRAY + 2, 1],
            &[1, 2],
        ] {
            assert!(unpack(bad).is_err(), "{bad:x?}");
        }
        let deep = vec![ARRAY + 1; MAX_DEPTH + 1];
        assert!(matches!(unpack(&deep), Err(DecodeError::TooDeep)));
    }
}
