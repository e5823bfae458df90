//! Helpers shared by the sync test suites:
//!
//! - a reader and writer of the sync message wire form (see `message.rs`: the
//!   converge envelope around a MessagePack array `[type tag, sender, sender's
//!   epoch, kind, …fields]`), so tests can see what a message says and forge hostile
//!   ones byte for byte;
//! - replicas with fixed ids, snapshots of what must not change, and a perfect
//!   network to sync two replicas over.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use converge_core::{Codec, CountConflicts, DeltaCrdt, ReplicaId, TypeTag, MAGIC};
use converge_sync::Replica;

/// The kinds of sync message.
pub(crate) const DELTA: u8 = 0;
pub(crate) const FULL: u8 = 1;
pub(crate) const ACK: u8 = 2;
pub(crate) const HELLO: u8 = 3;
/// A delta interval made for one session of the receiver (without what came from
/// it): `[from, to, session]`.
pub(crate) const DELTA_FOR: u8 = 4;

/// What a message says, as far as the numbers go (the CRDT payload of a delta or
/// full state is left as bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) tag: u8,
    pub(crate) sender: u64,
    pub(crate) epoch: u64,
    pub(crate) kind: u8,
    /// Delta: `[from, to]`; full: `[to]`; ack: `[epoch, to]`; hello: `[epoch, to]`;
    /// delta for a session: `[from, to, session]` (`None` for nil).
    pub(crate) numbers: Vec<Option<u64>>,
    /// The payload's MessagePack bytes (deltas and full states; empty otherwise).
    pub(crate) payload: Vec<u8>,
}

impl Header {
    pub(crate) fn kind_name(&self) -> &'static str {
        match self.kind {
            DELTA => "delta",
            DELTA_FOR => "delta for a session",
            FULL => "full",
            ACK => "ack",
            HELLO => "hello",
            _ => "unknown",
        }
    }

    /// Whether it is a delta interval (of either kind).
    pub(crate) fn is_delta(&self) -> bool {
        matches!(self.kind, DELTA | DELTA_FOR)
    }

    pub(crate) fn number(&self, i: usize) -> Option<u64> {
        self.numbers.get(i).copied().flatten()
    }
}

/// Reads an unsigned MessagePack integer, or nil, at `*at`.
fn read_uint(bytes: &[u8], at: &mut usize) -> Option<Option<u64>> {
    let first = *bytes.get(*at)?;
    *at += 1;
    let width = match first {
        0x00..=0x7f => return Some(Some(u64::from(first))),
        0xc0 => return Some(None),
        0xcc => 1,
        0xcd => 2,
        0xce => 4,
        0xcf => 8,
        _ => return None,
    };
    let raw = bytes.get(*at..*at + width)?;
    *at += width;
    Some(Some(raw.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b))))
}

/// Writes `n` as the shortest unsigned MessagePack integer (as rmp-serde does).
pub(crate) fn write_uint(out: &mut Vec<u8>, n: u64) {
    if n < 0x80 {
        out.push(n as u8);
    } else if n <= 0xff {
        out.extend([0xcc, n as u8]);
    } else if n <= 0xffff {
        out.push(0xcd);
        out.extend((n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(0xce);
        out.extend((n as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend(n.to_be_bytes());
    }
}

/// Parses a sync message's header, or `None` if it is not one.
pub(crate) fn parse(bytes: &[u8]) -> Option<Header> {
    let [magic, tag, _version, rest @ ..] = bytes else {
        return None;
    };
    if *magic != MAGIC || *tag != TypeTag::SyncMessage as u8 {
        return None;
    }
    let len = usize::from(*rest.first()?);
    if !(0x90..=0x9f).contains(&len) {
        return None;
    }
    let mut at = 1;
    let crdt_tag = read_uint(rest, &mut at)??;
    let sender = read_uint(rest, &mut at)??;
    let epoch = read_uint(rest, &mut at)??;
    let kind = read_uint(rest, &mut at)?? as u8;
    let count = match kind {
        DELTA | ACK | HELLO => 2,
        DELTA_FOR => 3,
        FULL => 1,
        _ => 0,
    };
    let numbers = (0..count)
        .map(|_| read_uint(rest, &mut at))
        .collect::<Option<Vec<_>>>()?;
    Some(Header {
        tag: crdt_tag as u8,
        sender,
        epoch,
        kind,
        numbers,
        payload: rest[at..].to_vec(),
    })
}

/// Builds a message from its parts: `numbers` are written as integers (`None` as
/// nil), then `payload` as is (already MessagePack).
pub(crate) fn build(
    tag: u8,
    sender: u64,
    epoch: u64,
    kind: u8,
    numbers: &[Option<u64>],
    payload: &[u8],
) -> Vec<u8> {
    let fields = 4 + numbers.len() + usize::from(!payload.is_empty());
    let mut out = vec![MAGIC, TypeTag::SyncMessage as u8, 1, 0x90 | fields as u8];
    for n in [u64::from(tag), sender, epoch, u64::from(kind)] {
        write_uint(&mut out, n);
    }
    for n in numbers {
        match n {
            Some(n) => write_uint(&mut out, *n),
            None => out.push(0xc0),
        }
    }
    out.extend_from_slice(payload);
    out
}

/// Rebuilds `header` as bytes (after a test changed some of its fields).
pub(crate) fn rebuild(header: &Header) -> Vec<u8> {
    build(
        header.tag,
        header.sender,
        header.epoch,
        header.kind,
        &header.numbers,
        &header.payload,
    )
}

/// One line describing a message, for traces and failure reports.
pub(crate) fn describe(bytes: &[u8]) -> String {
    match parse(bytes) {
        Some(h) => format!(
            "{} from {:x} epoch {:x} {:?} ({} bytes)",
            h.kind_name(),
            h.sender,
            h.epoch,
            h.numbers,
            bytes.len()
        ),
        None => format!("unparsable ({} bytes)", bytes.len()),
    }
}

/// Ids far apart in the 64-bit space, so encodings see large ids.
pub(crate) const A: ReplicaId = ReplicaId::new(0x0000_0000_0000_00a1);
pub(crate) const B: ReplicaId = ReplicaId::new(0x7fff_ffff_0000_00b2);
pub(crate) const C: ReplicaId = ReplicaId::new(0xffff_ffff_ffff_ffc3);

/// The bounds every synced type meets.
pub(crate) trait Synced: DeltaCrdt + Codec + CountConflicts {}
impl<T: DeltaCrdt + Codec + CountConflicts> Synced for T {}

/// A fresh replica holding the bottom state.
pub(crate) fn replica<T: Synced>(id: ReplicaId) -> Replica<T> {
    Replica::new(id, T::default()).expect("the OS has a random source")
}

/// What must not change when a replica rejects (or ignores) an input: its saved bytes
/// and its state's encoding.
pub(crate) fn snapshot<T: Synced>(r: &Replica<T>) -> (Vec<u8>, Vec<u8>) {
    (r.save().unwrap(), r.state().encode().unwrap())
}

/// Delivers `message` to `to` and the reply (if any) back to `from`, and so on until
/// the conversation ends (replies to replies are bounded: acks have none).
pub(crate) fn deliver<T: Synced>(message: Vec<u8>, to: &mut Replica<T>, from: &mut Replica<T>) {
    let mut next = Some(message);
    let mut forward = true;
    let mut hops = 0;
    while let Some(m) = next.take() {
        hops += 1;
        assert!(hops < 10, "a conversation that does not end");
        next = if forward {
            to.receive(&m)
        } else {
            from.receive(&m)
        }
        .expect("honest messages are accepted");
        forward = !forward;
    }
}

/// Syncs two replicas over a perfect network until neither has anything to send;
/// returns how many rounds that took.
pub(crate) fn sync_pair<T: Synced>(a: &mut Replica<T>, b: &mut Replica<T>) -> usize {
    for round in 1..=10 {
        let (ida, idb) = (a.id(), b.id());
        let to_b = a.message_for(idb).unwrap();
        let to_a = b.message_for(ida).unwrap();
        if to_b.is_none() && to_a.is_none() {
            return round;
        }
        if let Some(m) = to_b {
            deliver(m, b, a);
        }
        if let Some(m) = to_a {
            deliver(m, a, b);
        }
    }
    panic!("two replicas on a perfect network still talk after 10 rounds");
}

/// Whether two replicas' states encode to the same bytes.
pub(crate) fn same_bytes<T: Synced>(a: &Replica<T>, b: &Replica<T>) -> bool {
    a.state().encode().unwrap() == b.state().encode().unwrap()
}
