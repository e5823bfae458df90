//! Hostile input, for every decoder converge has: each type's state (and delta, the
//! same bytes), the dynamic document and its values, version vectors, sync messages
//! (through `Replica::receive`), sync tokens (`Replica::resume`) and saved replicas
//! (`Replica::restore`). Every input here must be refused with an error:
//!
//! - nesting 100,000 levels deep, both as bare arrays and maps behind the envelope
//!   and as a real encoding whose nested value is stretched that deep (`TooDeep`);
//! - length prefixes of `0xFFFFFFFF` for strings, binaries, arrays and maps in
//!   inputs under 16 bytes, cut from a real encoding at every point of its first ten
//!   bytes: refused having allocated under 1 MiB;
//! - 1 MiB of random bytes, bare and behind the right envelope: refused in well
//!   under 100 ms.
//!
//! A replica that rejects an input (a message, a token) is byte-identical afterwards:
//! its saved bytes and its state's encoding. Allocation is counted by the shared
//! counting allocator (`converge_core::testing::hostile`): every byte allocated
//! during the call, an upper bound of its peak. Run with `--nocapture` for the table
//! of inputs, results, allocations and times.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use converge::{
    Codec, Counter, Document, GCounter, Hlc, LwwRegister, ManualClock, MvRegister, OrMap, OrSet,
    PnCounter, Replica, ReplicaId, SyncToken, Value, VersionVector,
};
use converge_core::testing::hostile::{
    allocated_during, counting_allocator, deepen, exclusive, huge_prefixes, random_bytes,
    CountingAllocator, MIB,
};
use converge_core::{decode_body, CountConflicts, DeltaCrdt, TypeTag};

#[global_allocator]
static ALLOCATOR: CountingAllocator = counting_allocator();

const A: ReplicaId = ReplicaId::new(0x7fff_ffff_0000_00a1);
const B: ReplicaId = ReplicaId::new(0x0000_0000_0000_00b2);
const DEEP: usize = 100_000;

/// A value nested `levels` arrays deep, as apps write them (and `deepen` stretches).
fn nested(levels: usize) -> Value {
    (0..levels).fold(Value::Int(1), |v, _| Value::Array(vec![v]))
}

/// A type with a rich sample state: several writers, every kind of part, and (where
/// the type holds values) a value nested 20 deep.
trait Sample: DeltaCrdt + Codec + CountConflicts {
    fn sample() -> Self;
}

impl Sample for GCounter {
    fn sample() -> Self {
        let mut c = GCounter::new();
        let _ = (c.increment(A, 3), c.increment(B, u64::from(u32::MAX) + 9));
        c
    }
}

impl Sample for PnCounter {
    fn sample() -> Self {
        let mut c = PnCounter::new();
        let _ = (c.increment(A, 300), c.decrement(B, 70_000));
        c
    }
}

impl Sample for OrSet<Value> {
    fn sample() -> Self {
        let mut s = OrSet::new();
        s.add(A, "milk".into());
        s.add(B, nested(20));
        s.add(A, Value::Bytes(vec![1, 2, 3]));
        s
    }
}

impl Sample for LwwRegister<Value> {
    fn sample() -> Self {
        let mut r = LwwRegister::new();
        r.set(B, &mut Hlc::new(ManualClock::new(900)), "early".into());
        let mut concurrent = LwwRegister::new();
        concurrent.set(A, &mut Hlc::new(ManualClock::new(1_000)), nested(20));
        converge::Lattice::join(&mut r, concurrent);
        r
    }
}

impl Sample for MvRegister<Value> {
    fn sample() -> Self {
        let mut r = MvRegister::new();
        r.write(A, nested(20));
        let mut other = MvRegister::new();
        other.write(B, Value::Float(0.5));
        converge::Lattice::join(&mut r, other);
        r
    }
}

impl Sample for Document {
    fn sample() -> Self {
        let mut doc = Document::new();
        doc.update_at(&["cart", "n"], |c: &mut Counter| c.increment(A, 2))
            .unwrap();
        doc.update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
            s.add(B, nested(20))
        })
        .unwrap();
        doc.update_at(&["title"], |r: &mut MvRegister<Value>| {
            let mut object = BTreeMap::new();
            object.insert("k".to_owned(), Value::Str("v".into()));
            r.write(A, Value::Object(object))
        })
        .unwrap();
        doc
    }
}

/// One way bytes enter converge.
trait Entry {
    fn name(&self) -> String;
    /// A valid input of this entry, to cut and stretch.
    fn valid(&mut self) -> Vec<u8>;
    /// Feeds `bytes`: Ok if accepted, the error's text if refused.
    fn feed(&mut self, bytes: &[u8]) -> Result<(), String>;
    /// What a refused input must leave unchanged (empty for plain decoders).
    fn fingerprint(&self) -> Vec<u8> {
        Vec::new()
    }
}

/// `T::decode`: a state or a delta of a type.
struct Decode<T>(T);

impl<T: Sample> Entry for Decode<T> {
    fn name(&self) -> String {
        format!("{}::decode", T::TAG.name())
    }
    fn valid(&mut self) -> Vec<u8> {
        self.0.encode().unwrap()
    }
    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        T::decode(bytes).map(drop).map_err(|e| format!("{e:?}"))
    }
}

/// Plain decoders that are not a synced type.
struct Plain {
    name: &'static str,
    valid: Vec<u8>,
    decode: fn(&[u8]) -> Result<(), converge::DecodeError>,
}

impl Entry for Plain {
    fn name(&self) -> String {
        self.name.to_owned()
    }
    fn valid(&mut self) -> Vec<u8> {
        self.valid.clone()
    }
    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        (self.decode)(bytes).map_err(|e| format!("{e:?}"))
    }
}

/// `Replica::receive` (a sync message) or `Replica::resume` (a token) at a replica
/// holding the sample state.
struct Receive<T> {
    replica: Replica<T>,
    token: bool,
}

impl<T: Sample> Receive<T> {
    fn new(token: bool) -> Self {
        let mut replica = Replica::new(B, T::default()).expect("a replica");
        replica.merge(T::sample());
        Receive { replica, token }
    }
}

impl<T: Sample> Entry for Receive<T> {
    fn name(&self) -> String {
        let what = if self.token { "resume" } else { "receive" };
        format!("Replica<{}>::{what}", T::TAG.name())
    }
    fn valid(&mut self) -> Vec<u8> {
        let mut sender = Replica::new(A, T::sample()).expect("a replica");
        if self.token {
            let mut peer = Replica::new(B, T::default()).expect("a replica");
            let full = sender.message_for(B).unwrap().expect("a full state");
            peer.receive(&full).expect("an honest message");
            peer.sync_token(A).unwrap().expect("a token")
        } else {
            sender.message_for(B).unwrap().expect("a full state")
        }
    }
    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        let result = if self.token {
            self.replica.resume(bytes).map(drop)
        } else {
            self.replica.receive(bytes).map(drop)
        };
        result.map_err(|e| format!("{e:?}"))
    }
    fn fingerprint(&self) -> Vec<u8> {
        let mut bytes = self.replica.save().unwrap();
        bytes.extend(self.replica.state().encode().unwrap());
        bytes
    }
}

/// `Replica::restore`: saved replica bytes.
struct Restore<T>(std::marker::PhantomData<T>);

impl<T: Sample> Entry for Restore<T> {
    fn name(&self) -> String {
        format!("Replica<{}>::restore", T::TAG.name())
    }
    fn valid(&mut self) -> Vec<u8> {
        Replica::new(A, T::sample())
            .expect("a replica")
            .save()
            .unwrap()
    }
    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        Replica::<T>::restore(bytes)
            .map(drop)
            .map_err(|e| format!("{e:?}"))
    }
}

fn decode_value(bytes: &[u8]) -> Result<(), converge::DecodeError> {
    decode_body::<Value>(TypeTag::OrMap, bytes).map(drop)
}

fn decode_typed_map(bytes: &[u8]) -> Result<(), converge::DecodeError> {
    OrMap::<String, OrSet<String>>::decode(bytes).map(drop)
}

fn typed_map() -> Vec<u8> {
    let mut map = OrMap::<String, OrSet<String>>::new();
    map.update(&"k".to_owned(), |s| s.add(A, "x".into()));
    map.encode().unwrap()
}

/// Every entry point.
fn entries() -> Vec<Box<dyn Entry>> {
    fn each<T: Sample + 'static>(out: &mut Vec<Box<dyn Entry>>) {
        out.push(Box::new(Decode(T::sample())));
        out.push(Box::new(Receive::<T>::new(false)));
        out.push(Box::new(Restore::<T>(std::marker::PhantomData)));
    }
    let mut out: Vec<Box<dyn Entry>> = Vec::new();
    each::<GCounter>(&mut out);
    each::<PnCounter>(&mut out);
    each::<OrSet<Value>>(&mut out);
    each::<LwwRegister<Value>>(&mut out);
    each::<MvRegister<Value>>(&mut out);
    each::<Document>(&mut out);
    out.push(Box::new(Receive::<Document>::new(true)));
    let mut vv = VersionVector::new();
    vv.observe(converge::Dot::new(A, 70_000));
    out.push(Box::new(Plain {
        name: "VersionVector::decode",
        valid: vv.encode().unwrap(),
        decode: |b| VersionVector::decode(b).map(drop),
    }));
    out.push(Box::new(Plain {
        name: "SyncToken::decode",
        valid: SyncToken {
            peer: A,
            epoch: 1 << 40,
            to: 9,
        }
        .encode()
        .unwrap(),
        decode: |b| SyncToken::decode(b).map(drop),
    }));
    out.push(Box::new(Plain {
        name: "OrMap<String, OrSet<String>>::decode",
        valid: typed_map(),
        decode: decode_typed_map,
    }));
    let value = rmp_serde::to_vec(&nested(20)).expect("a value encodes");
    out.push(Box::new(Plain {
        name: "Value (bare MessagePack)",
        valid: value,
        decode: decode_value,
    }));
    out
}

/// What one hostile input did.
struct Outcome {
    error: String,
    allocated: usize,
    elapsed: Duration,
}

/// Feeds `bytes` to `entry` while counting: it must be refused and leave the entry's
/// fingerprint as it was.
fn refused(entry: &mut dyn Entry, what: &str, bytes: &[u8]) -> Outcome {
    let before = entry.fingerprint();
    let start = Instant::now();
    let (result, allocated) = allocated_during(&ALLOCATOR, || entry.feed(bytes));
    let elapsed = start.elapsed();
    let Err(error) = result else {
        panic!("{} accepted {what}", entry.name());
    };
    assert_eq!(
        entry.fingerprint(),
        before,
        "{}: refusing {what} changed the replica",
        entry.name()
    );
    println!(
        "| {} | {what} ({} B) | {} | {allocated} B | {:.2} ms |",
        entry.name(),
        bytes.len(),
        error.split([' ', '(', '{']).next().unwrap_or(""),
        elapsed.as_secs_f64() * 1e3
    );
    Outcome {
        error,
        allocated,
        elapsed,
    }
}

#[test]
fn every_entry_accepts_its_valid_input() {
    let _guard = exclusive();
    for mut entry in entries() {
        let valid = entry.valid();
        assert_eq!(entry.feed(&valid), Ok(()), "{}", entry.name());
    }
}

#[test]
fn nesting_100_000_deep_is_refused_by_every_entry() {
    let _guard = exclusive();
    let mut worst = 0;
    for mut entry in entries() {
        let valid = entry.valid();
        // Behind the entry's own envelope (bare for a Value).
        let envelope = if valid[0] == converge_core::MAGIC {
            3
        } else {
            0
        };
        for (name, byte) in [("arrays", 0x91), ("maps", 0x81)] {
            let mut bytes = valid[..envelope].to_vec();
            bytes.resize(envelope + DEEP, byte);
            let outcome = refused(entry.as_mut(), &format!("{DEEP} nested {name}"), &bytes);
            assert!(outcome.allocated < MIB);
            worst = worst.max(outcome.allocated);
        }
        // A real encoding whose value nested 20 deep now goes 100,000 deep.
        let holds_nested = valid.windows(20).any(|w| w == [0x91; 20]);
        if let Some(bytes) = deepen(&valid, DEEP).filter(|_| holds_nested) {
            let outcome = refused(
                entry.as_mut(),
                "a real encoding nested 100,000 deep",
                &bytes,
            );
            assert!(
                outcome.error.contains("TooDeep"),
                "{}: {}",
                entry.name(),
                outcome.error
            );
            assert!(outcome.allocated < MIB);
            worst = worst.max(outcome.allocated);
        }
    }
    println!("most allocated refusing deep nesting: {worst} B");
}

#[test]
fn length_prefixes_of_0xffffffff_are_refused_under_1_mib() {
    let _guard = exclusive();
    let (mut worst, mut count) = (0, 0);
    for mut entry in entries() {
        let valid = entry.valid();
        for (what, bytes) in huge_prefixes(&valid) {
            assert!(bytes.len() < 16);
            let outcome = refused(entry.as_mut(), &what, &bytes);
            assert!(
                outcome.allocated < MIB,
                "{}: {what}: {} B",
                entry.name(),
                outcome.allocated
            );
            worst = worst.max(outcome.allocated);
            count += 1;
        }
    }
    println!("{count} inputs; most allocated by one: {worst} B");
    assert!(count > 500);
}

#[test]
fn one_mib_of_random_bytes_is_refused_in_well_under_100_ms() {
    let _guard = exclusive();
    let (mut slowest, mut most) = (Duration::ZERO, 0);
    for mut entry in entries() {
        let valid = entry.valid();
        let envelope = if valid[0] == converge_core::MAGIC {
            3
        } else {
            0
        };
        for seed in 0..4 {
            let noise = random_bytes(MIB, seed);
            let mut enveloped = valid[..envelope].to_vec();
            enveloped.extend_from_slice(&noise[envelope..]);
            for (what, bytes) in [
                ("1 MiB of noise", &noise),
                ("its envelope, then noise", &enveloped),
            ] {
                let outcome = refused(entry.as_mut(), what, bytes);
                assert!(
                    outcome.elapsed < Duration::from_millis(100),
                    "{}: {what} took {:?}",
                    entry.name(),
                    outcome.elapsed
                );
                // Never more than the input could justify.
                assert!(outcome.allocated < 4 * MIB);
                slowest = slowest.max(outcome.elapsed);
                most = most.max(outcome.allocated);
            }
        }
    }
    println!("slowest refusal of 1 MiB: {slowest:?}; most allocated: {most} B");
}

/// Regression, found by the JavaScript hostile suite (wasm memory grew 1.06 MiB for a
/// 15-byte input): saved replica bytes cut inside the list of peers and followed by a
/// length prefix claiming four billion peers made serde reserve room for 43,690 of
/// them (its 1 MiB cap) before reading one. Replica ids that encode short (here
/// 0xa1, two bytes) put that list within the first ten bytes.
#[test]
fn saved_bytes_claiming_four_billion_peers_reserve_nothing() {
    let _guard = exclusive();
    let short = ReplicaId::new(0xa1);
    let mut replica = Replica::new(short, GCounter::sample()).expect("a replica");
    let mut peer = Replica::new(B, GCounter::default()).expect("a replica");
    peer.receive(&replica.message_for(B).unwrap().expect("a full state"))
        .expect("an honest message");
    replica
        .receive(&peer.message_for(short).unwrap().expect("a full state"))
        .expect("an honest message");
    let saved = replica.save().unwrap();
    let mut most = 0;
    for cut in 0..saved.len() {
        for (marker, _) in converge_core::testing::hostile::HUGE_MARKERS {
            let mut bytes = saved[..cut].to_vec();
            bytes.extend_from_slice(&[marker, 0xff, 0xff, 0xff, 0xff]);
            let (result, allocated) = allocated_during(&ALLOCATOR, || {
                Replica::<GCounter>::restore(&bytes).map(drop)
            });
            assert!(result.is_err());
            most = most.max(allocated);
        }
    }
    println!("most allocated: {most} B");
    assert!(most < 64 * 1024, "{most} B");
}
