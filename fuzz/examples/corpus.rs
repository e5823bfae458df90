//! Writes the seed corpora, fuzz/corpus/<target>/, from real encodings: states and
//! deltas of every type after sample writes, sync messages of every kind between
//! replicas in fixed sessions, tokens, saved replicas, values and traces.
//! Deterministic: the same build writes the same bytes.
//!
//!     cd fuzz && cargo run --release --example corpus

use std::fs;
use std::path::{Path, PathBuf};

use converge::{Codec, Document, GCounter, PnCounter, Replica, SyncToken, VersionVector};
use converge_fuzz::subjects::{sample_value, Lww, Mv, Set, TypedMap};
use converge_fuzz::{receiver, Subject, RECEIVER, SENDER, SENDER_EPOCH, THIRD};

/// One target's seed directory.
struct Seeds {
    dir: PathBuf,
    count: usize,
}

impl Seeds {
    fn new(root: &Path, target: &str) -> Seeds {
        let dir = root.join(target);
        if dir.exists() {
            fs::remove_dir_all(&dir).expect("clear the old seeds");
        }
        fs::create_dir_all(&dir).expect("create the seed directory");
        Seeds { dir, count: 0 }
    }

    fn add(&mut self, kind: &str, bytes: &[u8]) {
        let path = self.dir.join(format!("{kind}-{:03}", self.count));
        fs::write(path, bytes).expect("write a seed");
        self.count += 1;
    }
}

/// States and deltas of `T`: two replicas write, exchange deltas, and keep going.
fn states_and_deltas<T: Subject>(seeds: &mut Seeds, writes: u64) {
    let (mut a, mut b) = (T::default(), T::default());
    seeds.add("empty", &a.encode().unwrap());
    for n in 0..writes {
        let delta = a.sample_write(SENDER, n);
        seeds.add("delta", &delta.encode().unwrap());
        let other = b.sample_write(THIRD, n * 7 + 3);
        if n % 3 == 0 {
            b.join(delta);
            a.join(other);
        }
        seeds.add("state", &a.encode().unwrap());
    }
    a.join(b);
    seeds.add("joined", &a.encode().unwrap());
}

/// A sender in its fixed session.
fn sender<T: Subject>() -> Replica<T> {
    match Replica::new(SENDER, T::default()) {
        Ok(replica) => replica.with_session(SENDER_EPOCH, SENDER),
        Err(e) => panic!("no replica: {e}"),
    }
}

/// Sync traffic between a sender and the fuzzed receiver: full states, delta
/// intervals, acks (of the receiver's session), hellos; tokens and saved bytes.
fn sync_traffic<T: Subject>(messages: &mut Seeds, tokens: &mut Seeds, saved: &mut Seeds) {
    let mut from = sender::<T>();
    let mut to = receiver::<T>();
    let deliver = |bytes: Vec<u8>, at: &mut Replica<T>, messages: &mut Seeds| {
        messages.add("message", &bytes);
        at.receive(&bytes).ok().flatten()
    };
    for n in 0..8 {
        from.update(|s, writer| s.sample_write(writer, n + 100));
        if n % 2 == 0 {
            to.update(|s, writer| s.sample_write(writer, n + 200));
        }
        if let Some(message) = from.message_for(RECEIVER).unwrap() {
            if let Some(reply) = deliver(message, &mut to, messages) {
                deliver(reply, &mut from, messages);
            }
        }
        if let Some(message) = to.message_for(SENDER).unwrap() {
            // The sender's ack of the receiver's session is what the target's
            // receiver can act on.
            if let Some(ack) = deliver(message, &mut from, messages) {
                deliver(ack, &mut to, messages);
            }
        }
        if n % 3 == 1 {
            let hello = from.hello(RECEIVER).unwrap();
            if let Some(reply) = deliver(hello, &mut to, messages) {
                deliver(reply, &mut from, messages);
            }
        }
        for (replica, peer) in [(&from, RECEIVER), (&to, SENDER)] {
            if let Some(token) = replica.sync_token(peer).unwrap() {
                tokens.add("token", &token);
            }
            saved.add("saved", &replica.save().unwrap());
        }
    }
}

/// A client's frames to the relay hub, as the `relay_frame` target reads them: a
/// scope byte, then `[u16 length][frame]` each: hello, full state, deltas, acks of the
/// hub's messages, in write and read-only scope.
fn relay_sessions(seeds: &mut Seeds) {
    use converge_relay::RELAY_PEER_ID;
    for (scope, writes) in [(0u8, 6u64), (1, 3), (0, 12)] {
        let mut client = sender::<Document>();
        let mut hub = Replica::new(RELAY_PEER_ID, Document::default())
            .unwrap()
            .with_session(converge_fuzz::RECEIVER_EPOCH, RELAY_PEER_ID);
        let mut input = vec![scope];
        let mut push = |frame: &[u8], input: &mut Vec<u8>| {
            input.extend_from_slice(&(frame.len() as u16).to_le_bytes());
            input.extend_from_slice(frame);
        };
        let hello = client.hello(RELAY_PEER_ID).unwrap();
        push(&hello, &mut input);
        if let Some(reply) = hub.receive(&hello).unwrap() {
            if let Some(ack) = client.receive(&reply).unwrap() {
                push(&ack, &mut input);
                hub.receive(&ack).unwrap();
            }
        }
        for n in 0..writes {
            client.update(|s, writer| s.sample_write(writer, n + 300));
            if let Some(message) = client.message_for(RELAY_PEER_ID).unwrap() {
                push(&message, &mut input);
                if let Some(ack) = hub.receive(&message).unwrap() {
                    client.receive(&ack).unwrap();
                }
            }
        }
        seeds.add("session", &input);
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut total = 0;
    let mut done = |seeds: Seeds| {
        println!("{:>4} seeds in {}", seeds.count, seeds.dir.display());
        total += seeds.count;
    };

    macro_rules! states {
        ($target:literal, $type:ty, $writes:expr) => {{
            let mut seeds = Seeds::new(&root, $target);
            states_and_deltas::<$type>(&mut seeds, $writes);
            done(seeds);
        }};
    }
    states!("gcounter", GCounter, 20);
    states!("pncounter", PnCounter, 20);
    states!("orset", Set, 30);
    states!("lwwregister", Lww, 24);
    states!("mvregister", Mv, 24);
    states!("ormap", TypedMap, 30);
    states!("document", Document, 40);

    let mut vectors = Seeds::new(&root, "version_vector");
    let mut set = Set::default();
    vectors.add("empty", &VersionVector::new().encode().unwrap());
    for n in 0..30 {
        let writer = [SENDER, RECEIVER, THIRD][(n % 3) as usize];
        let _delta = set.sample_write(writer, n);
        vectors.add("vector", &set.version().encode().unwrap());
    }
    done(vectors);

    let mut values = Seeds::new(&root, "value");
    for n in 0..60 {
        match rmp_serde::to_vec(&sample_value(n)) {
            Ok(bytes) => values.add("value", &bytes),
            Err(e) => panic!("value {n} does not encode: {e}"),
        }
    }
    done(values);

    let mut messages = Seeds::new(&root, "sync_message");
    let mut tokens = Seeds::new(&root, "sync_token");
    let mut saved = Seeds::new(&root, "sync_saved");
    sync_traffic::<GCounter>(&mut messages, &mut tokens, &mut saved);
    sync_traffic::<PnCounter>(&mut messages, &mut tokens, &mut saved);
    sync_traffic::<Set>(&mut messages, &mut tokens, &mut saved);
    sync_traffic::<Lww>(&mut messages, &mut tokens, &mut saved);
    sync_traffic::<Mv>(&mut messages, &mut tokens, &mut saved);
    sync_traffic::<Document>(&mut messages, &mut tokens, &mut saved);
    // Regression: saved bytes cut inside the list of peers, then a claim of four
    // billion peers (serde used to reserve 1 MiB for them).
    let mut claim = receiver::<GCounter>().save().unwrap()[..10].to_vec();
    claim.extend_from_slice(&[0xdd, 0xff, 0xff, 0xff, 0xff]);
    saved.add("regression-peers", &claim);
    for (peer, epoch, to) in [
        (SENDER, 0, 0),
        (THIRD, u64::MAX, u64::MAX),
        (RECEIVER, 1, 1),
    ] {
        tokens.add("forged", &SyncToken { peer, epoch, to }.encode().unwrap());
    }
    done(messages);
    done(tokens);
    done(saved);

    // Traces: splitmix64 bytes of growing length, then each with a long tail of
    // sync steps.
    let mut traces = Seeds::new(&root, "trace");
    let mut x = 0x7ace_5eed_u64;
    for i in 0..60 {
        let bytes: Vec<u8> = (0..(8 + i * 8))
            .map(|_| {
                x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)) as u8
            })
            .collect();
        traces.add("trace", &bytes);
    }
    done(traces);

    let mut frames = Seeds::new(&root, "relay_frame");
    relay_sessions(&mut frames);
    done(frames);

    println!("{total} seeds in all");
}
