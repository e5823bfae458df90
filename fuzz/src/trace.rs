//! The stateful target: the fuzzer's bytes drive a trace of writes, merges,
//! encode/decode round trips, clean restarts and sync steps across three replicas of a
//! [`Document`] over a network that drops, duplicates and reorders messages.
//!
//! At every step the replica touched must round-trip through its encoding, and every
//! message an honest replica sends must be accepted. At the end the network heals
//! (every message delivered, replies too) and within a few rounds all replicas must
//! hold byte-identical states, equal to the join of every write's delta: nothing is
//! lost, whatever order, duplication or loss the trace applied.

use converge::{Codec, Document, Lattice, Replica, ReplicaId};

use crate::{check_codec, Subject, RECEIVER, SENDER, THIRD};

const IDS: [ReplicaId; 3] = [SENDER, RECEIVER, THIRD];
/// Rounds of a healed network within which the replicas must agree.
const HEAL_ROUNDS: usize = 8;
/// Messages in flight at most (the oldest is dropped beyond).
const MAX_IN_FLIGHT: usize = 64;
/// Steps at most: longer inputs are cut, so the fuzzer keeps a high rate of runs.
const MAX_STEPS: usize = 200;

/// The fuzzer's bytes, read as choices; 0 once they run out.
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        *first
    }

    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n
    }
}

struct Message {
    from: usize,
    to: usize,
    bytes: Vec<u8>,
}

struct Trace {
    replicas: Vec<Replica<Document>>,
    network: Vec<Message>,
    /// The join of every write's delta: what every replica must end up holding.
    expected: Document,
    /// Sessions started, so each gets its own epoch bits and writer id.
    sessions: u32,
    writes: u64,
}

impl Trace {
    fn new() -> Self {
        let mut trace = Trace {
            replicas: Vec::new(),
            network: Vec::new(),
            expected: Document::new(),
            sessions: 0,
            writes: 0,
        };
        for id in IDS {
            let replica = match Replica::new(id, Document::new()) {
                Ok(replica) => trace.fix_session(replica, id),
                Err(e) => panic!("no replica: {e}"),
            };
            trace.replicas.push(replica);
        }
        trace
    }

    fn fix_session(&mut self, replica: Replica<Document>, writer: ReplicaId) -> Replica<Document> {
        self.sessions += 1;
        replica.with_session(0x7ace_0000 + self.sessions, writer)
    }

    fn send(&mut self, from: usize, to: usize, bytes: Vec<u8>) {
        if self.network.len() >= MAX_IN_FLIGHT {
            self.network.remove(0);
        }
        self.network.push(Message { from, to, bytes });
    }

    /// Delivers message `i`; its reply goes back through the network.
    fn deliver(&mut self, i: usize) {
        let Message { from, to, bytes } = self.network.remove(i);
        match self.replicas[to].receive(&bytes) {
            Ok(Some(reply)) => self.send(to, from, reply),
            Ok(None) => {}
            Err(e) => panic!("replica {to} rejected an honest message from {from}: {e}"),
        }
    }

    fn step(&mut self, choices: &mut Choices<'_>) {
        let r = choices.below(3);
        let other = (r + 1 + choices.below(2)) % 3;
        match choices.below(10) {
            0..=2 => {
                let n = u64::from(choices.byte()) + 256 * self.writes;
                self.writes += 1;
                let mut delta = Document::new();
                self.replicas[r].update(|doc, writer| {
                    delta = doc.sample_write(writer, n);
                    delta.clone()
                });
                // The delta round-trips alone, and is what the replicas must agree on.
                check_codec::<Document>(&delta.encode().unwrap());
                self.expected.join(delta);
                check_codec::<Document>(&self.replicas[r].state().encode().unwrap());
            }
            3 | 4 => {
                let to = IDS[other];
                if let Some(bytes) = self.replicas[r].message_for(to).unwrap() {
                    self.send(r, other, bytes);
                }
            }
            5 => {
                let hello = self.replicas[r].hello(IDS[other]).unwrap();
                self.send(r, other, hello);
            }
            6 if !self.network.is_empty() => {
                let i = choices.below(self.network.len());
                self.deliver(i);
            }
            7 if !self.network.is_empty() => {
                // Duplicate or drop one.
                let i = choices.below(self.network.len());
                if choices.byte().is_multiple_of(2) {
                    let copy = Message {
                        bytes: self.network[i].bytes.clone(),
                        ..self.network[i]
                    };
                    self.network.push(copy);
                } else {
                    self.network.remove(i);
                }
            }
            8 => {
                // A merge outside the protocol: a state that travelled some other way,
                // through its bytes.
                let bytes = self.replicas[other].state().encode().unwrap();
                let state = check_codec::<Document>(&bytes);
                let state =
                    state.unwrap_or_else(|| panic!("replica {other}'s state does not decode"));
                self.replicas[r].merge(state);
                check_codec::<Document>(&self.replicas[r].state().encode().unwrap());
            }
            _ => {
                // A clean restart: save, then restore (a new session, nothing lost).
                let saved = self.replicas[r].save().unwrap();
                let restored = match Replica::<Document>::restore(&saved) {
                    Ok(restored) => restored,
                    Err(e) => panic!("replica {r}'s saved bytes do not restore: {e}"),
                };
                assert_eq!(restored.state(), self.replicas[r].state());
                let writer = ReplicaId::new(0x00c0_ffee_0000_0000 + u64::from(self.sessions));
                self.replicas[r] = self.fix_session(restored, writer);
            }
        }
    }

    /// Delivers everything, every round offering each pair what it lacks, until no
    /// replica has anything to send.
    fn heal(&mut self) {
        for _ in 0..HEAL_ROUNDS {
            while !self.network.is_empty() {
                self.deliver(0);
            }
            let mut quiet = true;
            for from in 0..3 {
                for (to, id) in IDS.iter().enumerate() {
                    if from != to {
                        if let Some(bytes) = self.replicas[from].message_for(*id).unwrap() {
                            quiet = false;
                            self.send(from, to, bytes);
                        }
                    }
                }
            }
            if quiet {
                return;
            }
        }
        panic!("no quiescence after {HEAL_ROUNDS} rounds of a healed network");
    }
}

/// Runs the trace `data` describes and checks convergence at its end.
pub fn run(data: &[u8]) {
    let mut choices = Choices(data);
    let mut trace = Trace::new();
    for _ in 0..MAX_STEPS {
        if choices.0.is_empty() {
            break;
        }
        trace.step(&mut choices);
    }
    trace.heal();
    let expected = trace.expected.encode().unwrap();
    for (i, replica) in trace.replicas.iter().enumerate() {
        assert_eq!(
            replica.state().encode().unwrap(),
            expected,
            "replica {i} ended elsewhere than the join of every write"
        );
    }
}
