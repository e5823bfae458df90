//! Version 4 of a map's encoding: a document's *scalar fields* (keys holding one
//! last-writer-wins register and nothing else, none of whose live writes is an array
//! or an object: nearly every key of an app's document, conflicted or not) written
//! as a run of plain records, and the rest of the map as version 3 writes it.
//!
//! Version 3's packed body is read token by token through the general decoder, about
//! ten tokens a key. A scalar field here is one record read in a straight line into
//! the node it makes, so decoding a document of scalar fields costs about half of
//! what version 3's did.
//!
//! The body, after the envelope:
//!
//! | part | what |
//! | --- | --- |
//! | field count | varint; 0 for any map that is not a [`Document`] |
//! | replica table | (when the count is not 0) varint `r`, then `r` replica ids, 8 bytes little-endian each, in ascending order |
//! | records | one per scalar field, in key order |
//! | the rest | version 3's packed `[store, version vector, extra dots]` of the map, its store holding the other keys |
//!
//! A record is its key, its count of writes and the writes in dot order. Each number
//! is coded against the write before (the first against 0):
//!
//! | field | coding |
//! | --- | --- |
//! | key | a varint of the bytes shared with the last key, times two, plus 1 if the field has more than one write; varint length of the rest; the rest |
//! | write count | (only when more than one) varint count minus 2 |
//! | dot | varint index into the replica table; the counter as a zigzag varint difference |
//! | timestamp | the milliseconds as a zigzag varint difference; the logical count, varint |
//! | value | a tag byte: 0 null, 1 false, 2 true, 3 integer (zigzag varint difference from the last integer value), 4 float (8 bytes little-endian), 5 string and 6 bytes (varint length, then the bytes) |
//!
//! Differences wrap (two's complement), so every 64-bit value has its one coding.
//! The version vector and extra dots are what is left of the context once every dot
//! of the store, scalar fields included, is taken out, as in every version. Keys
//! must ascend strictly and a field's dots too; a key or a dot met twice, anywhere in
//! the map, is refused, as is a record that reads past the body: the decoder never
//! panics and reserves room only in proportion to the bytes it was given.
//!
//! Only the top level is written so: a nested map's fields are in the rest.

use std::any::Any;

use converge_core::{
    append_packed, decode_packed_body, Causal, Dot, DotFun, DotMap, Embeddable, Embedded,
    EncodeError, Error, ReplicaId, SortedEntries, Timestamp, TypeTag, MAGIC,
};
use converge_lwwregister::Stamped;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Document, Key, Node, OrMap, Value};

/// The version whose body starts with the scalar fields.
pub(crate) const VERSION: u8 = 4;

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const FLOAT: u8 = 4;
const STR: u8 = 5;
const BYTES: u8 = 6;

/// The fewest bytes a write takes (one per number, a tag), and a record (its key's
/// two lengths, one write): a claimed count is held to what the body
/// can hold before room is reserved for it.
const MIN_WRITE: usize = 5;
const MIN_RECORD: usize = 2 + MIN_WRITE;

/// One scalar field as the records hold it: its key and its writes.
type Field<'a> = (&'a str, &'a DotFun<Stamped<Value>>);

/// Encodes `map` as version 4: a [`Document`]'s scalar fields as records, every other
/// map with none.
pub(crate) fn encode<K, V>(map: &OrMap<K, V>) -> Result<Vec<u8>, EncodeError>
where
    K: Key + Serialize + 'static,
    V: Embeddable + 'static,
    V::Store: Serialize,
{
    match (map as &dyn Any).downcast_ref::<Document>() {
        Some(document) => encode_with(document, |key, node| {
            node.get().scalar_writes().map(|w| (key.as_str(), w))
        }),
        None => encode_with(map, |_, _| None),
    }
}

fn encode_with<'a, K, V>(
    map: &'a OrMap<K, V>,
    scalar: impl Fn(&'a K, &'a Embedded<V>) -> Option<Field<'a>>,
) -> Result<Vec<u8>, EncodeError>
where
    K: Key + Serialize,
    V: Embeddable,
    V::Store: Serialize,
{
    let state = map.as_causal();
    let mut fields = Vec::new();
    let mut rest = Vec::new();
    for (key, node) in state.store.iter_sorted() {
        match scalar(key, node) {
            Some(field) => fields.push(field),
            None => rest.push((key, node)),
        }
    }
    let mut out = vec![MAGIC, TypeTag::OrMap as u8, VERSION];
    write_records(&fields, &mut out);
    let (vv, extra) = state.encoded_context();
    append_packed(&(SortedEntries(rest), vv, extra), TypeTag::OrMap, &mut out)?;
    Ok(out)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// `value - last`, wrapped, as a zigzag varint: small either way.
fn put_difference(out: &mut Vec<u8>, value: u64, last: u64) {
    let d = value.wrapping_sub(last) as i64;
    put_varint(out, ((d << 1) ^ (d >> 63)) as u64);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn write_records(fields: &[Field<'_>], out: &mut Vec<u8>) {
    put_varint(out, fields.len() as u64);
    if fields.is_empty() {
        return;
    }
    // The table in id order, found by binary search: a document written by many
    // replicas (each user's own device, say) costs `n log r`, not `n r`.
    let mut replicas: Vec<ReplicaId> = fields
        .iter()
        .flat_map(|(_, writes)| writes.iter().map(|(dot, _)| dot.replica))
        .collect();
    replicas.sort_unstable();
    replicas.dedup();
    put_varint(out, replicas.len() as u64);
    for replica in &replicas {
        out.extend_from_slice(&replica.get().to_le_bytes());
    }
    let (mut key, mut counter, mut millis, mut int) = ("", 0, 0, 0);
    for (name, writes) in fields {
        let shared = name
            .bytes()
            .zip(key.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        // The shared length and whether the field has more than one write, in one
        // varint: a field of one write spends no byte on its count.
        let more = writes.len() > 1;
        put_varint(out, (shared as u64) << 1 | u64::from(more));
        put_bytes(out, &name.as_bytes()[shared..]);
        key = name;
        if more {
            put_varint(out, writes.len() as u64 - 2);
        }
        for (dot, stamped) in writes.iter() {
            // (Every write's replica is in the table.)
            let replica = replicas.binary_search(&dot.replica).unwrap_or_default();
            put_varint(out, replica as u64);
            put_difference(out, dot.counter, counter);
            counter = dot.counter;
            put_difference(out, stamped.timestamp.millis, millis);
            millis = stamped.timestamp.millis;
            put_varint(out, u64::from(stamped.timestamp.logical));
            match &stamped.value {
                Value::Null => out.push(NULL),
                Value::Bool(false) => out.push(FALSE),
                Value::Bool(true) => out.push(TRUE),
                Value::Int(i) => {
                    out.push(INT);
                    put_difference(out, *i as u64, int as u64);
                    int = *i;
                }
                Value::Float(f) => {
                    out.push(FLOAT);
                    out.extend_from_slice(&f.to_bits().to_le_bytes());
                }
                Value::Str(s) => {
                    out.push(STR);
                    put_bytes(out, s.as_bytes());
                }
                Value::Bytes(b) => {
                    out.push(BYTES);
                    put_bytes(out, b);
                }
                // Not a scalar field: `Node::scalar_writes` leaves these to the rest.
                Value::Array(_) | Value::Object(_) => out.push(NULL),
            }
        }
    }
}

/// Decodes a version 4 body into `OrMap<K, V>`: a [`Document`]'s scalar fields
/// become nodes; any other map must have none.
pub(crate) fn decode<K, V>(body: &[u8]) -> Result<OrMap<K, V>, Error>
where
    K: Key + DeserializeOwned + 'static,
    V: Embeddable + 'static,
    V::Store: DeserializeOwned,
{
    let mut reader = Reader { input: body };
    let (fields, dots) = read_records(&mut reader).map_err(malformed)?;
    let rest: Causal<DotMap<K, Embedded<V>>> = decode_packed_body(TypeTag::OrMap, reader.input)?;
    if fields.is_empty() {
        return Ok(OrMap::from_causal(rest));
    }
    // Only a document's nodes are written as records: `fields` is `Vec<(K,
    // Embedded<V>)>` exactly when `OrMap<K, V>` is a `Document`.
    let fields: Box<dyn Any> = Box::new(fields);
    let fields = fields
        .downcast::<Vec<(K, Embedded<V>)>>()
        .map_err(|_| malformed("scalar fields in a map that is not a document"))?;
    let state = rest
        .with_decoded_entries(*fields, &dots)
        .map_err(malformed_owned)?;
    Ok(OrMap::from_causal(state))
}

/// The scalar fields' records, read into the document nodes they make: the fields
/// of one write first, then the others, and the dots of the first (one each).
fn read_records(reader: &mut Reader<'_>) -> Result<(Fields, Vec<Dot>), &'static str> {
    let count = reader.varint()?;
    if count == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let replica_count = reader.varint()?;
    if replica_count > (reader.input.len() / 8) as u64 {
        return Err("the replica table is longer than the body");
    }
    let replicas = (0..replica_count)
        .map(|_| reader.u64_le().map(ReplicaId::new))
        .collect::<Result<Vec<_>, _>>()?;
    if count > (reader.input.len() / MIN_RECORD) as u64 + 1 {
        return Err("more scalar fields than the body holds");
    }
    let mut singles = Vec::with_capacity(count as usize);
    let mut dots = Vec::with_capacity(count as usize);
    let mut others = Vec::new();
    // The last key's bytes, for the prefix the next one shares.
    let mut key: Vec<u8> = Vec::new();
    let mut last = Last::default();
    for index in 0..count {
        let head = reader.varint()?;
        let (shared, more) = (head >> 1, head & 1 == 1);
        let rest = reader.bytes()?;
        let shared = usize::try_from(shared)
            .ok()
            .filter(|s| *s <= key.len())
            .ok_or("a key shares more than the last key holds")?;
        let mut name = Vec::with_capacity(shared + rest.len());
        name.extend_from_slice(&key[..shared]);
        name.extend_from_slice(rest);
        if index > 0 && name <= key {
            return Err("the scalar fields' keys do not ascend");
        }
        key.clear();
        key.extend_from_slice(&name);
        let name = String::from_utf8(name).map_err(|_| "a key is not UTF-8")?;
        let n = match more {
            false => 1,
            true => reader.varint()?.saturating_add(2),
        };
        if n > (reader.input.len() / MIN_WRITE) as u64 + 1 {
            return Err("a scalar field has more writes than the body holds");
        }
        let first = read_write(reader, &replicas, &mut last)?;
        if n == 1 {
            // (Nearly every field: one write, its vector made at its size at once.)
            dots.push(first.0);
            singles.push((name, Node::of_scalar_writes(DotFun::one(first.0, first.1))));
            continue;
        }
        let mut writes = Vec::with_capacity(n as usize);
        writes.push(first);
        for _ in 1..n {
            writes.push(read_write(reader, &replicas, &mut last)?);
        }
        let writes = DotFun::from_sorted(writes).ok_or("a field's writes are not in dot order")?;
        others.push((name, Node::of_scalar_writes(writes)));
    }
    singles.extend(others);
    Ok((singles, dots))
}

/// What the last write read held: the next one is coded against it.
#[derive(Default)]
struct Last {
    counter: u64,
    millis: u64,
    int: i64,
}

/// One write of a record: its dot and its stamped value.
#[inline]
fn read_write(
    reader: &mut Reader<'_>,
    replicas: &[ReplicaId],
    last: &mut Last,
) -> Result<(Dot, Stamped<Value>), &'static str> {
    let replica = usize::try_from(reader.varint()?)
        .ok()
        .and_then(|i| replicas.get(i).copied())
        .ok_or("a dot names no replica of the table")?;
    last.counter = reader.difference(last.counter)?;
    let dot = Dot::checked(replica, last.counter)?;
    last.millis = reader.difference(last.millis)?;
    let logical = u32::try_from(reader.varint()?).map_err(|_| "a logical count past 32 bits")?;
    let value = match reader.byte()? {
        NULL => Value::Null,
        FALSE => Value::Bool(false),
        TRUE => Value::Bool(true),
        INT => {
            last.int = reader.difference(last.int as u64)? as i64;
            Value::Int(last.int)
        }
        FLOAT => Value::Float(f64::from_bits(reader.u64_le()?)),
        STR => Value::Str(
            String::from_utf8(reader.bytes()?.to_vec())
                .map_err(|_| "a string value is not UTF-8")?,
        ),
        BYTES => Value::Bytes(reader.bytes()?.to_vec()),
        _ => return Err("an unknown scalar value tag"),
    };
    let timestamp = Timestamp {
        millis: last.millis,
        logical,
    };
    Ok((dot, Stamped::new(timestamp, value)))
}

/// The nodes the records make, under their keys.
type Fields = Vec<(String, Embedded<Node>)>;

/// The body's bytes not read yet.
struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    #[inline]
    fn byte(&mut self) -> Result<u8, &'static str> {
        let (&first, rest) = self.input.split_first().ok_or(SHORT)?;
        self.input = rest;
        Ok(first)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], &'static str> {
        let n = usize::try_from(n).map_err(|_| SHORT)?;
        if n > self.input.len() {
            return Err(SHORT);
        }
        let (taken, rest) = self.input.split_at(n);
        self.input = rest;
        Ok(taken)
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, &'static str> {
        match self.input.split_first() {
            Some((&first, rest)) if first < 0x80 => {
                self.input = rest;
                Ok(u64::from(first))
            }
            _ => self.long_varint(),
        }
    }

    fn long_varint(&mut self) -> Result<u64, &'static str> {
        let mut value = 0_u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            value |= bits << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err("a varint past 64 bits")
    }

    /// A number coded as its zigzag difference from `last`.
    fn difference(&mut self, last: u64) -> Result<u64, &'static str> {
        let z = self.varint()?;
        let d = (z >> 1) as i64 ^ -((z & 1) as i64);
        Ok(last.wrapping_add(d as u64))
    }

    fn bytes(&mut self) -> Result<&'a [u8], &'static str> {
        let n = self.varint()?;
        self.take(n)
    }

    fn u64_le(&mut self) -> Result<u64, &'static str> {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(bytes))
    }
}

#[cold]
fn malformed(reason: &str) -> Error {
    malformed_owned(reason.to_owned())
}

#[cold]
fn malformed_owned(reason: String) -> Error {
    Error::Malformed {
        type_name: TypeTag::OrMap.name(),
        reason: format!("version {VERSION} body: {reason}"),
    }
}

const SHORT: &str = "a record reads past the end of the body";
