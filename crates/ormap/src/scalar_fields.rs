//! Version 4 of a map's encoding: a document's *scalar fields* (keys holding one
//! last-writer-wins register and nothing else, none of whose live writes is an array
//! or an object: nearly every field of an app's document, conflicted or not, at any
//! depth) written as a run of plain records, and the rest of the map as version 3
//! writes it.
//!
//! Version 3's packed body is read token by token through the general decoder, about
//! ten tokens a field. A scalar field here is one record read in a straight line into
//! the node it makes, and the nested maps above it are built from the records' paths,
//! so decoding a document of scalar fields costs about half of what version 3's did.
//!
//! The body, after the envelope:
//!
//! | part | what |
//! | --- | --- |
//! | field count | varint; 0 for any map that is not a [`Document`] |
//! | replica table | (when the count is not 0) varint `r`, then `r` replica ids, 8 bytes little-endian each, in ascending order |
//! | records | one per scalar field, in path order (segment by segment) |
//! | the rest | version 3's packed `[store, version vector, extra dots]` of the map without its scalar fields: a node that held some keeps its other parts and fields |
//!
//! A record is its path, its count of writes and the writes in dot order. Each
//! number is coded against the record or write before (the first against 0):
//!
//! | field | coding |
//! | --- | --- |
//! | head | one varint: the segments shared with the last path, times 8; plus how many follow, less one, capped at 3, times 2; plus 1 if the field has more than one write |
//! | segments | (when 4 or more follow) varint count less 4; then each new segment: varint bytes it shares with the last path's segment at its depth, varint length of the rest, the rest |
//! | write count | (only when more than one) varint count less 2 |
//! | dot | varint index into the replica table; the counter as a zigzag varint difference |
//! | timestamp | the milliseconds as a zigzag varint difference; the logical count, varint |
//! | value | a tag byte: 0 null, 1 false, 2 true, 3 integer (zigzag varint difference from the last integer value), 4 float (8 bytes little-endian), 5 string and 6 bytes (varint length, then the bytes) |
//!
//! Differences wrap (two's complement), so every 64-bit value has its one coding.
//! The version vector and extra dots are what is left of the context once every dot
//! of the store, scalar fields included, is taken out, as in every version. Paths
//! must ascend strictly (so no field is also a map), be at most
//! [`MAX_PATH_LEN`] segments long, and a field's dots must ascend; a dot met twice
//! under two keys is refused, as is a record that reads past the body. A key the
//! records and the rest both hold (a map some of whose fields are records) is their
//! union. The decoder never panics and reserves room only in proportion to the
//! bytes it was given.

use std::any::Any;
use std::borrow::Cow;

use converge_core::{
    append_packed, decode_packed_body, Causal, CausalContext, Dot, DotFun, DotMap, DotStore,
    Embeddable, Embedded, EncodeError, Error, ReplicaId, SortedEntries, Timestamp, TypeTag, MAGIC,
};
use converge_lwwregister::Stamped;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Document, Key, Node, OrMap, Value, MAX_PATH_LEN};

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

/// One scalar field as the records hold it: its path and its writes.
type Field<'a> = (Vec<&'a str>, &'a DotFun<Stamped<Value>>);

/// A map's entries that are not written as records, in key order: borrowed as they
/// are, or a node rebuilt without the fields below it that are.
type Rest<'a> = Vec<(&'a String, Cow<'a, Embedded<Node>>)>;

/// Encodes `map` as version 4: a [`Document`]'s scalar fields as records, every other
/// map with none.
pub(crate) fn encode<K, V>(map: &OrMap<K, V>) -> Result<Vec<u8>, EncodeError>
where
    K: Key + Serialize + 'static,
    V: Embeddable + 'static,
    V::Store: Serialize,
{
    match (map as &dyn Any).downcast_ref::<Document>() {
        Some(document) => {
            let state = document.as_causal();
            let mut fields = Vec::new();
            let rest = split_map(&state.store, &mut Vec::new(), &mut fields);
            let rest = rest
                .iter()
                .map(|(key, node)| (*key, node.as_ref()))
                .collect();
            finish(&fields, SortedEntries(rest), state)
        }
        None => {
            let state = map.as_causal();
            finish(&[], SortedEntries(state.store.iter_sorted()), state)
        }
    }
}

fn finish<R: Serialize, S: DotStore>(
    fields: &[Field<'_>],
    rest: R,
    state: &Causal<S>,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![MAGIC, TypeTag::OrMap as u8, VERSION];
    write_records(fields, &mut out);
    let (vv, extra) = state.encoded_context();
    append_packed(&(rest, vv, extra), TypeTag::OrMap, &mut out)?;
    Ok(out)
}

/// Splits `map`'s entries, in key order, into the scalar fields at and below it
/// (appended to `fields`, under `path` and their keys) and what is left.
fn split_map<'a>(
    map: &'a DotMap<String, Embedded<Node>>,
    path: &mut Vec<&'a str>,
    fields: &mut Vec<Field<'a>>,
) -> Rest<'a> {
    let mut rest = Vec::new();
    for (key, node) in map.iter_sorted() {
        path.push(key);
        match split_node(node, path, fields) {
            Split::Whole => rest.push((key, Cow::Borrowed(node))),
            Split::Left(Some(left)) => rest.push((key, Cow::Owned(left))),
            Split::Left(None) => {}
        }
        path.pop();
    }
    rest
}

/// What is left of a node once its scalar fields are records.
enum Split {
    /// No field at or below it is a record: the node as it is.
    Whole,
    /// The node without them (none if nothing else is left).
    Left(Option<Embedded<Node>>),
}

fn split_node<'a>(
    node: &'a Embedded<Node>,
    path: &mut Vec<&'a str>,
    fields: &mut Vec<Field<'a>>,
) -> Split {
    // (Paths no longer than a write's: what the decoder accepts.)
    if path.len() > MAX_PATH_LEN {
        return Split::Whole;
    }
    if let Some(writes) = node.get().scalar_writes() {
        fields.push((path.clone(), writes));
        return Split::Left(None);
    }
    let Some(child) = node.get().get::<Document>() else {
        return Split::Whole;
    };
    let before = fields.len();
    let rest = split_map(&child.as_causal().store, path, fields);
    if fields.len() == before {
        return Split::Whole;
    }
    let mut map = DotMap::new();
    for (key, left) in rest {
        map.insert(key.clone(), left.into_owned());
    }
    Split::Left(node.get().with_map(map))
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
    let mut last_path: &[&str] = &[];
    let (mut counter, mut millis, mut int) = (0, 0, 0);
    for (path, writes) in fields {
        // The segments shared with the last path, how many follow (at least one), and
        // whether the field has more than one write, in one varint (one byte for a
        // top-level key or a field of a map of records).
        let same = path
            .iter()
            .zip(last_path)
            .take_while(|(a, b)| a == b)
            .count();
        let new = path.len() - same;
        let more = writes.len() > 1;
        let head = (same as u64) << 3 | ((new - 1).min(3) as u64) << 1 | u64::from(more);
        put_varint(out, head);
        if new > 3 {
            put_varint(out, new as u64 - 4);
        }
        // Each new segment shares a prefix with the last path's segment at its depth.
        for (depth, segment) in path.iter().enumerate().skip(same) {
            let last = last_path.get(depth).map_or(&b""[..], |s| s.as_bytes());
            let shared = segment
                .bytes()
                .zip(last.iter())
                .take_while(|(a, b)| a == *b)
                .count();
            put_varint(out, shared as u64);
            put_bytes(out, &segment.as_bytes()[shared..]);
        }
        last_path = path;
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
    let Level {
        singles: fields,
        mut dots,
        ..
    } = read_records(&mut reader).map_err(malformed)?;
    let mut rest: Causal<DotMap<K, Embedded<V>>> =
        decode_packed_body(TypeTag::OrMap, reader.input)?;
    if fields.is_empty() {
        return Ok(OrMap::from_causal(rest));
    }
    // Only a document's nodes are written as records: `fields` is `Vec<(K,
    // Embedded<V>)>` exactly when `OrMap<K, V>` is a `Document`.
    let fields: Box<dyn Any> = Box::new(fields);
    let mut fields = *fields
        .downcast::<Vec<(K, Embedded<V>)>>()
        .map_err(|_| malformed("scalar fields in a map that is not a document"))?;
    // A key the rest holds too: a map some of whose fields are records, the rest
    // keeping its other parts and fields. The two are joined, each under a context of
    // just its own dots: their union. (One pass: the other fields, and the dots of
    // those of one write, keep their order.)
    if !DotStore::is_empty(&rest.store) {
        let mut kept = Vec::with_capacity(fields.len());
        let mut kept_dots = Vec::with_capacity(dots.len());
        for (i, (key, node)) in fields.into_iter().enumerate() {
            let Some(ours) = rest.store.get(&key) else {
                kept_dots.extend(dots.get(i).copied());
                kept.push((key, node));
                continue;
            };
            let ours = context_of(ours);
            let theirs = context_of(&node);
            let one = DotMap::from_decoded(vec![(key, node)], &[]).map_err(malformed_owned)?;
            rest.store.join(&ours, one, &theirs);
            rest.context.join_ref(&theirs);
        }
        (fields, dots) = (kept, kept_dots);
    }
    let state = rest
        .with_decoded_entries(fields, &dots)
        .map_err(malformed_owned)?;
    Ok(OrMap::from_causal(state))
}

/// The context of exactly `store`'s dots.
fn context_of<S: DotStore>(store: &S) -> CausalContext {
    let mut dots = Vec::new();
    store.collect_dots(&mut dots);
    let mut context = CausalContext::new();
    context.extend(dots);
    context
}

/// One open map of the records being read: its key in its parent, and its entries:
/// the fields of one write first (with their dots, one each), then the others.
#[derive(Default)]
struct Level {
    name: String,
    singles: Fields,
    dots: Vec<Dot>,
    others: Fields,
}

impl Level {
    /// The node of this map (its entries in one vector, the single-write fields
    /// first), under its key.
    fn close(mut self) -> Result<(String, Embedded<Node>), &'static str> {
        self.singles.append(&mut self.others);
        let map = DotMap::from_decoded(self.singles, &self.dots)
            .map_err(|_| "a nested field's key or dot appears twice")?;
        Ok((self.name, Node::of_map(map)))
    }
}

/// Closes the open maps deeper than `depth` (the top level is 0), each into its
/// parent's entries.
fn close_to(levels: &mut Vec<Level>, depth: usize) -> Result<(), &'static str> {
    while levels.len() > depth + 1 {
        if let Some(level) = levels.pop() {
            let closed = level.close()?;
            if let Some(parent) = levels.last_mut() {
                parent.others.push(closed);
            }
        }
    }
    Ok(())
}

/// The scalar fields' records, read into the document nodes they make: the
/// top-level map's entries (nested maps built from the fields below them).
fn read_records(reader: &mut Reader<'_>) -> Result<Level, &'static str> {
    let count = reader.varint()?;
    if count == 0 {
        return Ok(Level::default());
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
    // The open maps, the top level first; the segments of the last path.
    let mut levels = vec![Level {
        singles: Vec::with_capacity(count as usize),
        dots: Vec::with_capacity(count as usize),
        ..Level::default()
    }];
    // The last path's segments.
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut last = Last::default();
    for index in 0..count {
        let head = reader.varint()?;
        let (same, more) = (head >> 3, head & 1 == 1);
        let new = match (head >> 1) & 3 {
            3 => reader.varint()?.saturating_add(4),
            n => n + 1,
        };
        // A path shares less than the whole last path (a field is no map), and no
        // path is longer than a write's.
        let same = usize::try_from(same)
            .ok()
            .filter(|s| *s < path.len() || (index == 0 && *s == 0))
            .ok_or("a path shares more than the last path holds")?;
        let len = usize::try_from(new)
            .ok()
            .and_then(|n| n.checked_add(same))
            .filter(|len| *len <= MAX_PATH_LEN)
            .ok_or("a path longer than a document nests")?;
        // The new segments overwrite the last path's from `same` on, in place (their
        // buffers reused), each after the prefix it shares with the one it replaces.
        for depth in same..len {
            let shared = reader.varint()?;
            let rest = reader.bytes()?;
            if depth == path.len() {
                path.push(Vec::new());
            }
            let segment = &mut path[depth];
            let shared = usize::try_from(shared)
                .ok()
                .filter(|s| *s <= segment.len())
                .ok_or("a key shares more than the last key holds")?;
            // Paths ascend: the first segment that differs is greater.
            if depth == same && index > 0 && rest <= &segment[shared..] {
                return Err("the scalar fields' paths do not ascend");
            }
            segment.truncate(shared);
            segment.extend_from_slice(rest);
        }
        path.truncate(len);
        // Close the maps the last path opened past the shared part; open this
        // path's.
        close_to(&mut levels, same)?;
        for segment in &path[same..len - 1] {
            let name = String::from_utf8(segment.clone()).map_err(|_| "a key is not UTF-8")?;
            levels.push(Level {
                name,
                ..Level::default()
            });
        }
        let key = String::from_utf8(path[len - 1].clone()).map_err(|_| "a key is not UTF-8")?;
        let n = match more {
            false => 1,
            true => reader.varint()?.saturating_add(2),
        };
        if n > (reader.input.len() / MIN_WRITE) as u64 + 1 {
            return Err("a scalar field has more writes than the body holds");
        }
        let first = read_write(reader, &replicas, &mut last)?;
        let Some(level) = levels.last_mut() else {
            return Err("a field outside every map");
        };
        if n == 1 {
            // (Nearly every field: one write, its vector made at its size at once.)
            level.dots.push(first.0);
            level
                .singles
                .push((key, Node::of_scalar_writes(DotFun::one(first.0, first.1))));
            continue;
        }
        let mut writes = Vec::with_capacity(n as usize);
        writes.push(first);
        for _ in 1..n {
            writes.push(read_write(reader, &replicas, &mut last)?);
        }
        let writes = DotFun::from_sorted(writes).ok_or("a field's writes are not in dot order")?;
        level.others.push((key, Node::of_scalar_writes(writes)));
    }
    close_to(&mut levels, 0)?;
    let mut top = levels.pop().unwrap_or_default();
    top.singles.append(&mut top.others);
    Ok(top)
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
