//! The relay's CPU per one-write delta against the document's size (bench, not a
//! test): a hub replica of a document with 1,000 and 100,000 keys applies one-write
//! deltas from a client through `apply_frame` (decode, join, encode the news for the
//! log, the ack), as the relay's hub does; prints the mean time per delta.
//!
//! cargo run --release -p converge-relay --example delta_cost

use std::time::Instant;

use converge_core::ReplicaId;
use converge_ormap::{Counter, Document};
use converge_relay::{apply_frame, FrameOutcome, Scope, RELAY_PEER_ID};
use converge_sync::{MessageHead, Replica};

fn per_delta_micros(keys: usize, writes: usize) -> f64 {
    let mut doc = Document::new();
    let seeder = ReplicaId::new(3);
    for k in 0..keys {
        let _ = doc.update_at(&[&format!("k{k}")], |c: &mut Counter| {
            c.increment(seeder, 1)
        });
    }
    let mut hub = Replica::new(RELAY_PEER_ID, doc.clone()).expect("hub");
    let mut client = Replica::new(ReplicaId::new(7), doc).expect("client");
    // Sync once so deltas travel as intervals.
    let hello = client.hello(RELAY_PEER_ID).expect("hello");
    let mut news = Vec::new();
    let head = MessageHead::read::<Document>(&hello).expect("head");
    let _ = apply_frame(&mut hub, Scope::Write, &head, &hello, &mut news);
    let mut total = 0.0;
    let mut timed = 0u32;
    // The first message to the hub is the client's full state: sync it untimed.
    for n in 0..writes + 1 {
        let key = format!("k{}", n * 7919 % keys);
        client.update(|d, w| {
            d.update_at(&[&key], |c: &mut Counter| c.increment(w, 1))
                .unwrap_or_default()
        });
        let Some(message) = client.message_for(RELAY_PEER_ID).expect("message") else {
            continue;
        };
        news.clear();
        let started = Instant::now();
        let head = MessageHead::read::<Document>(&message).expect("head");
        let outcome = apply_frame(&mut hub, Scope::Write, &head, &message, &mut news);
        if n > 0 {
            total += started.elapsed().as_secs_f64();
            timed += 1;
        }
        if let Ok(FrameOutcome::Applied { reply: Some(ack) }) = outcome {
            let _ = client.receive(&ack);
        }
    }
    total * 1e6 / f64::from(timed.max(1))
}

fn main() {
    for keys in [1_000, 100_000] {
        let micros = per_delta_micros(keys, 2_000);
        println!("{keys:>7} keys: {micros:.1} µs of relay CPU per one-write delta");
    }
}
