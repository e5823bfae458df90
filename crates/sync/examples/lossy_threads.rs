//! Three replicas of an `OrSet<String>`, each on its own thread, syncing over channels
//! that lose 30% of messages. Run: `cargo run -p converge-sync --example lossy_threads`.
//!
//! A coordinator (the main thread) drives rounds. In each, every replica makes a few
//! writes and offers each peer `message_for(peer)`; then, twice, every replica applies
//! what arrived and answers with `receive`'s reply. After the last write the rounds go
//! on until the three states encode to the same bytes. Outgoing messages wait in an
//! outbox until a step of their own sends them, every step ends on all threads before
//! the next begins, and each link loses messages by its own seeded PRNG: so what a
//! replica reads never depends on thread timing, and every run prints the same.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::Duration;

use converge_core::{Codec, ReplicaId};
use converge_orset::OrSet;
use converge_sync::Replica;

const REPLICAS: u64 = 3;
const WRITES: usize = 50;
const WRITES_PER_ROUND: usize = 5;
const LOSS: f64 = 0.3;
const MAX_ROUNDS: usize = 100;
const TIMEOUT: Duration = Duration::from_secs(10);

/// A uniform draw in [0, 1) from a seeded splitmix64 generator.
fn draw(seed: &mut u64) -> f64 {
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

type Envelope = (ReplicaId, Vec<u8>);

/// One replica, its inbox, its lossy links to the peers (peer, inbox, PRNG seed), and
/// what it will send when the coordinator says so (so no inbox fills while read).
struct Node {
    replica: Replica<OrSet<String>>,
    inbox: Receiver<Envelope>,
    links: Vec<(ReplicaId, Sender<Envelope>, u64)>,
    outbox: Vec<Envelope>,
    writes: u64,
    sent: u64,
    dropped: u64,
}

impl Node {
    /// Sends what the last step queued, each message lost with probability `LOSS`.
    fn flush(&mut self) {
        let from = self.replica.id();
        for (to, bytes) in std::mem::take(&mut self.outbox) {
            let (_, inbox, seed) = self.links.iter_mut().find(|l| l.0 == to).expect("a link");
            self.sent += 1;
            if draw(seed) < LOSS {
                self.dropped += 1;
            } else {
                inbox.send((from, bytes)).expect("the peer's inbox is open");
            }
        }
    }

    /// Makes this round's writes and queues for each peer what it lacks.
    fn write_and_send(&mut self) {
        let id = self.replica.id();
        for _ in 0..WRITES_PER_ROUND.min(WRITES - self.writes as usize) {
            let element = format!("{id}/item-{}", self.writes);
            self.replica.update(|set, writer| set.add(writer, element));
            self.writes += 1;
        }
        let peers: Vec<ReplicaId> = self.links.iter().map(|l| l.0).collect();
        for peer in peers {
            if let Some(message) = self.replica.message_for(peer).expect("strings encode") {
                self.outbox.push((peer, message));
            }
        }
    }

    /// Applies what arrived and queues the replies (acks, or what a hello asks for).
    fn receive_all(&mut self) {
        let mut arrived: Vec<Envelope> = self.inbox.try_iter().collect();
        arrived.sort_by_key(|(from, _)| *from); // one order, whatever the scheduling
        for (from, bytes) in arrived {
            if let Some(reply) = self.replica.receive(&bytes).expect("a valid message") {
                self.outbox.push((from, reply));
            }
        }
    }
}

/// What every node does before any does the next thing; `None` stops the node.
type Step = Option<fn(&mut Node)>;

fn main() {
    let ids: Vec<ReplicaId> = (1..=REPLICAS).map(ReplicaId::new).collect();
    let (inboxes, receivers): (Vec<_>, Vec<_>) = ids.iter().map(|_| channel()).unzip();
    let (state_tx, states) = channel();
    let (mut steps, mut threads) = (Vec::new(), Vec::new());
    for (i, (id, inbox)) in ids.iter().zip(receivers).enumerate() {
        let links = (ids.iter().zip(&inboxes).enumerate())
            .filter(|(j, _)| *j != i)
            .map(|(j, (peer, tx))| (*peer, tx.clone(), 1000 * i as u64 + j as u64))
            .collect();
        let replica = Replica::new(*id, OrSet::new()).expect("a random source");
        let (outbox, writes, sent, dropped) = (Vec::new(), 0, 0, 0);
        let mut node = Node {
            replica,
            inbox,
            links,
            outbox,
            writes,
            sent,
            dropped,
        };
        let (step_tx, step_rx) = channel::<Step>();
        let state_tx = state_tx.clone();
        steps.push(step_tx);
        // The node's thread: takes steps, answering each with its state's bytes, until
        // told to stop; then hands the node back.
        threads.push(std::thread::spawn(move || {
            while let Some(step) = step_rx.recv_timeout(TIMEOUT).expect("no coordinator") {
                step(&mut node);
                let state = node.replica.state().encode().expect("strings encode");
                state_tx.send(state).expect("a coordinator");
            }
            node
        }));
    }
    let step_all = |step: fn(&mut Node)| -> Vec<Vec<u8>> {
        for s in &steps {
            s.send(Some(step)).expect("the node runs");
        }
        let state = || states.recv_timeout(TIMEOUT).expect("a node stalled");
        ids.iter().map(|_| state()).collect()
    };
    let round: [fn(&mut Node); 3] = [Node::write_and_send, Node::receive_all, Node::receive_all];
    let writing_rounds = WRITES.div_ceil(WRITES_PER_ROUND);
    let converged_after = (1..=MAX_ROUNDS).find(|r| {
        let mut last = Vec::new();
        for step in round {
            step_all(step);
            last = step_all(Node::flush);
        }
        *r >= writing_rounds && last.iter().all(|s| *s == last[0])
    });
    for s in &steps {
        s.send(None).expect("the node runs");
    }
    let nodes: Vec<Node> = (threads.into_iter().map(|t| t.join().expect("a node ran"))).collect();
    let sizes: Vec<usize> = nodes.iter().map(|n| n.replica.state().len()).collect();
    let Some(rounds) = converged_after else {
        eprintln!("FAILED: the replicas still differ after {MAX_ROUNDS} rounds (sizes {sizes:?})");
        std::process::exit(1);
    };
    let total = |count: fn(&Node) -> u64| nodes.iter().map(count).sum::<u64>();
    let (writes, sent, dropped) = (total(|n| n.writes), total(|n| n.sent), total(|n| n.dropped));
    assert_eq!(sizes[0] as u64, writes, "every write is on every replica");
    let bytes = total(|n| n.replica.metrics().bytes_sent);
    let deltas = total(|n| n.replica.metrics().deltas_sent);
    let fulls = total(|n| n.replica.metrics().full_states_sent);
    let lost = 100.0 * dropped as f64 / sent as f64;
    println!(
        "writes: {writes} ({WRITES} adds on each of {REPLICAS} replicas)\n\
         messages sent: {sent} (deltas, full states, acks, hellos)\n\
         dropped: {dropped} ({lost:.0}%)\n\
         bytes sent: {bytes}\n\
         delta intervals sent: {deltas}\n\
         full-state fallbacks: {fulls}\n\
         rounds to converge: {rounds} ({writing_rounds} with writes, {} after)\n\
         elements on every replica: {}\n\
         converged: true",
        rounds - writing_rounds,
        sizes[0]
    );
}
