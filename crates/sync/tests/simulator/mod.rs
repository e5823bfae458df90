//! A deterministic, seeded network simulator for [`Replica`]: a few replicas make
//! random local writes (under `Replica::writer`) and sync every round over a network
//! that drops, duplicates, delays and reorders messages, splits into partitions and
//! heals, while replicas restart from their saved bytes (a crash loses what came
//! after the last save; a clean restart saves first). Replies travel back through
//! the same network. Then the network heals for good (no more drops, duplicates,
//! partitions, writes or restarts) and, within a bounded number of rounds, every
//! replica must encode its state to the same bytes and have nothing left to send.
//!
//! For add-only workloads the run also checks that no acknowledged write is lost. A
//! write must survive once some replica held it at the end of a round after which
//! that replica never restarted (the writer itself, if it never restarted after the
//! write; or any replica it reached that kept it): in an add-only workload nothing
//! but a restart may take a write out of a state, so such a write is still there
//! when the network heals and must spread to everyone. Writes lost by every replica
//! that held them (the writer crashed before anyone received it) are not required.
//!
//! The network, the writes and the faults are drawn from one splitmix64 stream
//! seeded by the run's seed, so a failing seed replays (`replay_seed` in
//! simulation.rs, with `SIM_TRACE=1` for every message). The replicas' session
//! epochs and post-restore writer ids come from the operating system; they can nudge
//! an encoding's size by a byte, and with it a delta-or-full-state choice, but not
//! the faults a run meets.

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unused_imports)]

mod config;
mod repro;
mod rng;
mod stats;

use std::collections::BTreeSet;

use converge_core::{Codec, ReplicaId};
use converge_sync::Replica;

pub(crate) use config::{Restarts, SimConfig, Topology, Workload};
#[allow(unused_imports)] // not every test binary that includes the simulator shrinks
pub(crate) use repro::{shrink, Repro};
pub(crate) use rng::Rng;
pub(crate) use stats::Stats;

use crate::support::describe;

/// A message on the wire.
struct InFlight {
    from: usize,
    to: usize,
    bytes: Vec<u8>,
    /// The round at (or after) which it is delivered.
    due: u64,
}

struct Node<T> {
    replica: Replica<T>,
    /// The last `save()` bytes: what a restart comes back to.
    saved: Vec<u8>,
    incarnation: u64,
    /// Tracked writes seen in this replica's state since its last restart. A write
    /// here can only disappear through a bug (add-only workloads).
    held: BTreeSet<u64>,
    /// Metrics of earlier incarnations (metrics restart with the replica).
    full_states_sent: u64,
    deltas_sent: u64,
}

/// Network state shared by every phase.
struct Network {
    in_flight: Vec<InFlight>,
    /// `side[i]`: which side of the current partition replica `i` is on.
    side: Vec<u8>,
    partition_until: u64,
}

struct Sim<'w, W: Workload> {
    seed: u64,
    config: SimConfig,
    rng: Rng,
    workload: &'w mut W,
    nodes: Vec<Node<W::State>>,
    net: Network,
    round: u64,
    next_write: u64,
    /// Which writes exist, by number: (node, incarnation).
    writes: Vec<(usize, u64)>,
    stats: Stats,
    log: Vec<String>,
    /// Log every message too (`SIM_TRACE=1`), and show the whole log on failure.
    trace: bool,
    /// A failed check outside message delivery (after a write or a restore).
    failure: Option<String>,
}

fn sync_id(node: usize) -> ReplicaId {
    // Far apart in the 64-bit space, so encodings see large ids.
    ReplicaId::new(0x1000_0000_0000_0000 * (node as u64 + 1) + 7)
}

/// Runs one simulation; returns its stats and the state every replica converged to,
/// or what went wrong (with the seed and the run's event log, so the failure replays).
pub(crate) fn run<W: Workload>(
    seed: u64,
    config: &SimConfig,
    workload: &mut W,
) -> Result<(Stats, W::State), String> {
    let nodes = (0..config.replicas)
        .map(|i| {
            let replica = Replica::new(sync_id(i), W::State::default())
                .map_err(|e| format!("Replica::new: {e}"))?;
            Ok(Node {
                saved: replica.save().unwrap(),
                replica,
                incarnation: 0,
                held: BTreeSet::new(),
                full_states_sent: 0,
                deltas_sent: 0,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut sim = Sim {
        seed,
        config: config.clone(),
        rng: Rng::new(seed),
        workload,
        nodes,
        net: Network {
            in_flight: Vec::new(),
            side: vec![0; config.replicas],
            partition_until: 0,
        },
        round: 0,
        next_write: 0,
        writes: Vec::new(),
        stats: Stats {
            runs: 1,
            ..Stats::default()
        },
        log: Vec::new(),
        trace: std::env::var_os("SIM_TRACE").is_some(),
        failure: None,
    };
    sim.run().map_err(|e| {
        let keep = if sim.trace { usize::MAX } else { 40 };
        let tail: Vec<&String> = sim.log.iter().rev().take(keep).rev().collect();
        format!(
            "seed {seed} ({:?}): {e}\nlast events:\n{}",
            sim.config,
            tail.iter()
                .map(|s| format!("  {s}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let state = sim.nodes[0].replica.state().clone();
    Ok((sim.stats, state))
}

impl<W: Workload> Sim<'_, W> {
    fn neighbours(&self, node: usize) -> Vec<usize> {
        let n = self.config.replicas;
        match self.config.topology {
            Topology::Full => (0..n).filter(|&j| j != node).collect(),
            Topology::Star if node == 0 => (1..n).collect(),
            Topology::Star => vec![0],
        }
    }

    fn run(&mut self) -> Result<(), String> {
        for _ in 0..self.config.active_rounds {
            self.round += 1;
            self.faults();
            self.write_and_save();
            if let Some(e) = self.failure.take() {
                return Err(format!("round {}: {e}", self.round));
            }
            self.send_all(true);
            self.deliver(true)?;
            self.checkpoint();
        }
        // Heal: no more writes, restarts, drops, duplicates or partitions. Messages
        // still held by the network are delivered on time.
        self.net.side.iter_mut().for_each(|s| *s = 0);
        self.net.partition_until = 0;
        self.log
            .push(format!("round {}: network heals", self.round));
        for healed in 1..=self.config.heal_rounds {
            self.round += 1;
            self.send_all(false);
            self.deliver(false)?;
            self.checkpoint();
            if self.converged() && self.net.in_flight.is_empty() && self.quiet() {
                self.stats.max_heal_rounds = healed;
                return self.finish();
            }
        }
        let encodings: Vec<usize> = self
            .nodes
            .iter()
            .map(|n| n.replica.state().encode().unwrap().len())
            .collect();
        let mut union = BTreeSet::new();
        let mut holdings = Vec::new();
        for node in &self.nodes {
            let mut held = BTreeSet::new();
            self.workload.writes_in(node.replica.state(), &mut held);
            union.extend(held.iter().copied());
            holdings.push(held);
        }
        let states: Vec<String> = self
            .nodes
            .iter()
            .zip(&holdings)
            .map(|(n, held)| {
                let lacks: Vec<u64> = union.difference(held).copied().collect();
                if std::env::var_os("SIM_DEBUG").is_some() {
                    format!("lacks writes {lacks:?}: {:?}", n.replica)
                } else {
                    format!("lacks writes {lacks:?}")
                }
            })
            .collect();
        Err(format!(
            "not converged (or not quiet) after {} healed rounds: state sizes {encodings:?}, \
             converged {}, in flight {}, replicas:\n{}",
            self.config.heal_rounds,
            self.converged(),
            self.net.in_flight.len(),
            states.join("\n")
        ))
    }

    /// Whether every replica's state encodes to the same bytes.
    fn converged(&self) -> bool {
        let first = self.nodes[0].replica.state().encode().unwrap();
        self.nodes
            .iter()
            .all(|n| n.replica.state().encode().unwrap() == first)
    }

    /// Whether no replica has anything left to send (judged without sending): every
    /// peer has acknowledged everything.
    fn quiet(&self) -> bool {
        self.nodes.iter().all(|n| {
            n.replica
                .peers()
                .all(|(_, p)| p.acked.is_some() && p.pending == 0)
        })
    }

    fn finish(&mut self) -> Result<(), String> {
        self.stats.converged = 1;
        for node in &self.nodes {
            self.stats.full_states_sent +=
                node.full_states_sent + node.replica.metrics().full_states_sent;
            self.stats.deltas_sent += node.deltas_sent + node.replica.metrics().deltas_sent;
        }
        let mut final_writes = BTreeSet::new();
        if !self
            .workload
            .writes_in(self.nodes[0].replica.state(), &mut final_writes)
        {
            return Ok(());
        }
        let required: BTreeSet<u64> = self
            .nodes
            .iter()
            .flat_map(|n| n.held.iter().copied())
            .collect();
        self.stats.acknowledged_writes = required.len() as u64;
        let lost: Vec<String> = required
            .difference(&final_writes)
            .map(|w| {
                let (node, incarnation) = self.writes[*w as usize];
                format!("write {w} (by replica {node}, incarnation {incarnation})")
            })
            .collect();
        if !lost.is_empty() {
            return Err(format!(
                "{} acknowledged write(s) lost: {}",
                lost.len(),
                lost.join(", ")
            ));
        }
        if let Some(w) = final_writes.iter().find(|w| **w >= self.next_write) {
            return Err(format!(
                "the final state holds write {w}, which was never made"
            ));
        }
        Ok(())
    }

    /// Partitions begin and end; replicas restart from their saved bytes.
    fn faults(&mut self) {
        if self.net.partition_until != 0 && self.round >= self.net.partition_until {
            self.net.side.iter_mut().for_each(|s| *s = 0);
            self.net.partition_until = 0;
            self.log
                .push(format!("round {}: partition heals", self.round));
        }
        if self.net.partition_until == 0 && self.rng.chance(self.config.partition_percent) {
            // Two non-empty sides.
            let n = self.config.replicas as u64;
            let mask = self.rng.between(1, (1 << n) - 2);
            for (i, side) in self.net.side.iter_mut().enumerate() {
                *side = ((mask >> i) & 1) as u8;
            }
            self.net.partition_until = self.round + self.rng.between(2, 8);
            self.stats.partitions += 1;
            self.log.push(format!(
                "round {}: partition {:?} until round {}",
                self.round, self.net.side, self.net.partition_until
            ));
        }
        for i in 0..self.nodes.len() {
            if self.rng.chance(self.config.restart_percent) {
                self.restart(i);
            }
        }
    }

    fn restart(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        if self.config.restarts == Restarts::Clean {
            node.saved = node.replica.save().unwrap();
            self.stats.saves += 1;
        }
        let replica = match Replica::restore(&node.saved) {
            Ok(r) => r,
            Err(e) => panic!("seed {}: restoring saved bytes failed: {e}", self.seed),
        };
        let old = std::mem::replace(&mut node.replica, replica);
        node.full_states_sent += old.metrics().full_states_sent;
        node.deltas_sent += old.metrics().deltas_sent;
        node.incarnation += 1;
        node.held.clear();
        self.stats.restarts += 1;
        self.log.push(format!(
            "round {}: replica {i} restarts from its save (incarnation {})",
            self.round, node.incarnation
        ));
        self.stats.checks += 1;
        if let Err(e) = self.workload.check(self.nodes[i].replica.state()) {
            self.failure = Some(format!("replica {i} after its restart: {e}"));
        }
        // Reconnect: tell every peer what we hold of it (the saved position).
        for j in self.neighbours(i) {
            let hello = self.nodes[i].replica.hello(sync_id(j)).unwrap();
            self.send(i, j, hello, true);
        }
    }

    fn write_and_save(&mut self) {
        for i in 0..self.nodes.len() {
            if self.rng.chance(self.config.write_percent) {
                let number = self.next_write;
                self.next_write += 1;
                self.writes.push((i, self.nodes[i].incarnation));
                let (rng, workload) = (&mut self.rng, &mut *self.workload);
                let seq = self.nodes[i]
                    .replica
                    // The id the replica says to write under (fresh after a restore).
                    .update(|state, writer| workload.write(rng, i, state, writer, number));
                self.stats.writes += 1;
                self.log.push(format!(
                    "round {}: replica {i} writes {number} (seq {seq})",
                    self.round
                ));
                self.stats.checks += 1;
                if let Err(e) = self.workload.check(self.nodes[i].replica.state()) {
                    self.failure = Some(format!("replica {i} after write {number}: {e}"));
                }
            }
            if self.rng.chance(self.config.save_percent) {
                self.nodes[i].saved = self.nodes[i].replica.save().unwrap();
                self.stats.saves += 1;
            }
        }
    }

    fn send_all(&mut self, lossy: bool) {
        for i in 0..self.nodes.len() {
            for j in self.neighbours(i) {
                if let Some(bytes) = self.nodes[i].replica.message_for(sync_id(j)).unwrap() {
                    self.send(i, j, bytes, lossy);
                }
            }
        }
    }

    /// Puts a message on the wire, where it may be lost, cut by a partition,
    /// duplicated or delayed.
    fn send(&mut self, from: usize, to: usize, bytes: Vec<u8>, lossy: bool) {
        self.stats.sent += 1;
        self.stats.bytes += bytes.len() as u64;
        if self.trace {
            self.log.push(format!(
                "round {}: {from} -> {to}: {}",
                self.round,
                describe(&bytes)
            ));
        }
        if self.net.side[from] != self.net.side[to] {
            self.stats.partitioned += 1;
            if self.trace {
                self.log.push("  cut by the partition".into());
            }
            return;
        }
        if !lossy {
            self.net.in_flight.push(InFlight {
                from,
                to,
                bytes,
                due: self.round,
            });
            return;
        }
        if self.rng.chance(self.config.drop_percent) {
            self.stats.dropped += 1;
            if self.trace {
                self.log.push("  dropped".into());
            }
            return;
        }
        let copies = if self.rng.chance(self.config.duplicate_percent) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let due = if self.rng.chance(self.config.delay_percent) {
                self.stats.delayed += 1;
                self.round + self.rng.between(1, self.config.max_delay)
            } else {
                self.round
            };
            self.net.in_flight.push(InFlight {
                from,
                to,
                bytes: bytes.clone(),
                due,
            });
        }
    }

    /// Delivers every message that is due, in random order; replies go back through
    /// the network (and are delivered this round if nothing delays them).
    fn deliver(&mut self, lossy: bool) -> Result<(), String> {
        // Replies to replies are bounded: an ack has no reply, and a hello's reply is
        // a delta or full state whose reply is an ack.
        for _ in 0..4 {
            let round = self.round;
            let (mut due, later): (Vec<InFlight>, Vec<InFlight>) =
                self.net.in_flight.drain(..).partition(|m| m.due <= round);
            self.net.in_flight = later;
            if due.is_empty() {
                break;
            }
            self.rng.shuffle(&mut due);
            for m in due {
                self.stats.delivered += 1;
                if self.trace {
                    self.log.push(format!(
                        "round {}: {} receives from {}: {}",
                        self.round,
                        m.to,
                        m.from,
                        describe(&m.bytes)
                    ));
                }
                let reply = self.nodes[m.to].replica.receive(&m.bytes).map_err(|e| {
                    format!(
                        "round {}: replica {} rejected a message from replica {}: {e}",
                        self.round, m.to, m.from
                    )
                })?;
                self.stats.checks += 1;
                self.workload
                    .check(self.nodes[m.to].replica.state())
                    .map_err(|e| {
                        format!(
                            "round {}: replica {} after a message from replica {}: {e}",
                            self.round, m.to, m.from
                        )
                    })?;
                if let Some(reply) = reply {
                    self.send(m.to, m.from, reply, lossy);
                }
            }
        }
        Ok(())
    }

    /// Records which tracked writes each replica holds now.
    fn checkpoint(&mut self) {
        for node in &mut self.nodes {
            self.workload
                .writes_in(node.replica.state(), &mut node.held);
        }
    }
}
