//! A durable writer keeps its id across restarts and never names two values with one
//! dot: a replica in durable mode sends only what it has saved, so a crash between a
//! write and its save loses a write nobody saw, and the restored replica's next write
//! takes that dot for a value nobody else holds.
//!
//! The property: replica A (durable) writes, saves (a save may be durable or lost),
//! syncs with B, and crashes (restored from its last durable save) in random order;
//! C hears A only through B. At every step no dot names two values at B or C (a
//! ledger of every dot they ever held), no join meets a dot value clash, and at the
//! end, once A saves and everyone syncs, the three agree. A control run without the
//! holdback (the writer id reused, sends unsaved) shows the ledger catches the clash.

use std::collections::BTreeMap;

use converge_core::{dot_value_clashes, Dot, ReplicaId};
use converge_mvregister::MvRegister;
use converge_sync::{Replica, SaveMark};
use proptest::prelude::*;

type Reg = MvRegister<u64>;

const A: ReplicaId = ReplicaId::new(0xa);
const B: ReplicaId = ReplicaId::new(0xb);
const C: ReplicaId = ReplicaId::new(0xc);

#[derive(Clone, Debug)]
enum Op {
    WriteA,
    WriteB,
    /// A takes its bytes and mark; the storage has not committed them yet.
    SaveA,
    /// The storage commits A's last save; A hears of it.
    CommitA,
    /// The storage commits A's last save, and A crashes before it hears of it.
    CommitThenCrashA,
    SyncAB,
    SyncBC,
    /// A crashes and restarts from the last committed save (an uncommitted one is lost).
    CrashA,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::WriteA),
        1 => Just(Op::WriteB),
        2 => Just(Op::SaveA),
        2 => Just(Op::CommitA),
        1 => Just(Op::CommitThenCrashA),
        3 => Just(Op::SyncAB),
        1 => Just(Op::SyncBC),
        1 => Just(Op::CrashA),
    ]
}

/// Sends `from`'s message to `to` and bounces the replies until one side has nothing
/// to answer; returns whether there was a message.
fn send(from: &mut Replica<Reg>, to: &mut Replica<Reg>) -> bool {
    let Some(message) = from.message_for(to.id()).unwrap() else {
        return false;
    };
    let mut reply = to.receive(&message).unwrap();
    let mut toward_from = true;
    while let Some(r) = reply {
        reply = if toward_from {
            from.receive(&r).unwrap()
        } else {
            to.receive(&r).unwrap()
        };
        toward_from = !toward_from;
    }
    true
}

/// Exchanges messages between `x` and `y` until neither has more to say.
fn sync(x: &mut Replica<Reg>, y: &mut Replica<Reg>) {
    for _ in 0..6 {
        let one = send(x, y);
        let other = send(y, x);
        if !one && !other {
            return;
        }
    }
}

/// Every (dot, value) a peer ever held; a dot seen with two values is the anomaly.
#[derive(Default)]
struct Ledger(BTreeMap<Dot, u64>);

impl Ledger {
    fn record(&mut self, who: &str, register: &Reg) -> Result<(), String> {
        for (dot, value) in register.siblings() {
            match self.0.insert(dot, *value) {
                Some(old) if old != *value => {
                    return Err(format!(
                        "{who} holds {dot:?} as {value}, seen before as {old}"
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The world of one run: A durable (or, for the control, reusing its writer while
/// sending unsaved writes), B and C plain.
struct World {
    a: Replica<Reg>,
    b: Replica<Reg>,
    c: Replica<Reg>,
    durable: bool,
    stored: Vec<u8>,
    pending: Option<(Vec<u8>, SaveMark)>,
    next_value: u64,
    ledger: Ledger,
}

impl World {
    fn new(durable: bool) -> Self {
        let mut a = Replica::new(A, Reg::new()).unwrap();
        if durable {
            a.enable_durable_writer().unwrap();
        }
        let stored = a.save().unwrap();
        World {
            a,
            b: Replica::new(B, Reg::new()).unwrap(),
            c: Replica::new(C, Reg::new()).unwrap(),
            durable,
            stored,
            pending: None,
            next_value: 0,
            ledger: Ledger::default(),
        }
    }

    fn value(&mut self) -> u64 {
        self.next_value += 1;
        self.next_value
    }

    fn step(&mut self, op: &Op, restarts: &mut u32) -> Result<(), String> {
        match op {
            Op::WriteA => {
                let v = self.value();
                self.a.update(|r, w| r.write(w, v));
            }
            Op::WriteB => {
                let v = self.value();
                self.b.update(|r, w| r.write(w, v));
            }
            Op::SaveA => {
                let mark = self.a.save_mark();
                self.pending = Some((self.a.save().unwrap(), mark));
            }
            Op::CommitA => {
                if let Some((bytes, mark)) = self.pending.take() {
                    self.stored = bytes;
                    self.a.mark_saved(mark);
                }
            }
            Op::CommitThenCrashA => {
                if let Some((bytes, _)) = self.pending.take() {
                    self.stored = bytes;
                }
                return self.step(&Op::CrashA, restarts);
            }
            Op::SyncAB => sync(&mut self.a, &mut self.b),
            Op::SyncBC => sync(&mut self.b, &mut self.c),
            Op::CrashA => {
                self.pending = None;
                *restarts += 1;
                self.a = if self.durable {
                    Replica::restore_durable(&self.stored).unwrap()
                } else {
                    // The unsafe scheme: the old writer id, everything sent at once.
                    let writer = self.a.writer();
                    Replica::restore(&self.stored)
                        .unwrap()
                        .with_session(*restarts, writer)
                };
            }
        }
        self.ledger.record("B", self.b.state())?;
        self.ledger.record("C", self.c.state())
    }

    /// Runs `ops`, then saves A durably and syncs everyone; returns the first anomaly.
    fn run(&mut self, ops: &[Op]) -> Result<(), String> {
        let clashes = dot_value_clashes();
        let mut restarts = 0;
        for op in ops {
            self.step(op, &mut restarts)?;
        }
        for op in [Op::SaveA, Op::CommitA, Op::SyncAB, Op::SyncBC, Op::SyncAB] {
            self.step(&op, &mut restarts)?;
        }
        if dot_value_clashes() != clashes {
            return Err(format!(
                "{} dot value clashes met",
                dot_value_clashes() - clashes
            ));
        }
        if self.a.state() != self.b.state() || self.b.state() != self.c.state() {
            return Err("the replicas did not converge".into());
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_crash_never_gives_one_dot_two_values(ops in prop::collection::vec(op(), 0..60)) {
        let mut world = World::new(true);
        if let Err(anomaly) = world.run(&ops) {
            prop_assert!(false, "{anomaly}");
        }
        // One writer id for A, whatever the restarts.
        let writers: Vec<_> = world.c.state().version().iter()
            .map(|(r, _)| r)
            .filter(|r| r.writes_for(A))
            .collect();
        prop_assert!(writers.len() <= 1, "A wrote under {writers:?}");
    }
}

/// The scenario the holdback exists for, step by step: a write sent before its
/// save, a crash, a new write under the same id.
#[test]
fn the_unsafe_scheme_gives_one_dot_two_values_and_the_durable_one_does_not() {
    let crash = [Op::WriteA, Op::SyncAB, Op::CrashA, Op::WriteA, Op::SyncAB];
    let mut unsafe_world = World::new(false);
    let anomaly = unsafe_world.run(&crash).unwrap_err();
    assert!(anomaly.contains("seen before"), "{anomaly}");
    World::new(true).run(&crash).unwrap();
}

#[test]
fn unsaved_writes_wait_and_a_mark_releases_them() {
    let mut a = Replica::new(A, Reg::new()).unwrap();
    a.enable_durable_writer().unwrap();
    let mut b = Replica::new(B, Reg::new()).unwrap();
    a.update(|r, w| r.write(w, 1));
    assert_eq!(a.unsaved(), 1);
    assert!(a.message_for(B).unwrap().is_none(), "a full state waits");
    a.mark_saved(a.save_mark());
    sync(&mut a, &mut b);
    assert_eq!(b.state().values().copied().collect::<Vec<_>>(), vec![1]);
    // Deltas: the saved prefix goes, the rest waits.
    a.update(|r, w| r.write(w, 2));
    let mark = a.save_mark();
    let _bytes = a.save().unwrap();
    a.update(|r, w| r.write(w, 3));
    assert!(a.message_for(B).unwrap().is_none(), "nothing saved yet");
    a.mark_saved(mark);
    assert_eq!(a.unsaved(), 1, "the third write is not in the save");
    sync(&mut a, &mut b);
    assert_eq!(b.state().values().copied().collect::<Vec<_>>(), vec![2]);
    a.mark_saved(a.save_mark());
    sync(&mut a, &mut b);
    assert_eq!(b.state().values().copied().collect::<Vec<_>>(), vec![3]);
    assert_eq!(a.unsaved(), 0);
}

/// 1,000 reloads of one profile (write, save, sync, restart; every third one
/// crashes before its save is durable) add at most one writer id to the document.
#[test]
fn a_thousand_reloads_add_at_most_one_writer_id() {
    // A profile whose bytes were saved before durable mode: the first durable
    // restore takes one fresh writer, and keeps it.
    let mut legacy = Replica::new(A, Reg::new()).unwrap();
    legacy.update(|r, w| r.write(w, 0));
    let mut stored = legacy.save().unwrap();
    let mut b = Replica::new(B, Reg::new()).unwrap();
    sync(&mut legacy, &mut b);
    for reload in 1..=1000u64 {
        let mut a = Replica::<Reg>::restore_durable(&stored).unwrap();
        a.update(|r, w| r.write(w, reload));
        let mark = a.save_mark();
        let bytes = a.save().unwrap();
        if reload % 3 != 0 {
            stored = bytes;
            a.mark_saved(mark);
        }
        sync(&mut a, &mut b);
    }
    let writers = b.state().version().len();
    assert_eq!(
        writers, 2,
        "A's own id (before durable mode) and one durable writer"
    );
    // A replica durable from its start writes under its own id for ever.
    let mut a = Replica::new(A, Reg::new()).unwrap();
    a.enable_durable_writer().unwrap();
    let mut stored = a.save().unwrap();
    let mut b = Replica::new(B, Reg::new()).unwrap();
    for reload in 1..=1000u64 {
        let mut a = Replica::<Reg>::restore_durable(&stored).unwrap();
        assert_eq!(a.writer(), A);
        a.update(|r, w| r.write(w, reload));
        let mark = a.save_mark();
        stored = a.save().unwrap();
        a.mark_saved(mark);
        sync(&mut a, &mut b);
    }
    assert_eq!(b.state().version().len(), 1);
}

/// A plain restore of durable bytes still takes a fresh writer (the second tab of a
/// profile, which must not share the first one's id), and enabling durable mode
/// after writes have gone out takes a fresh one too.
#[test]
fn plain_restores_and_late_enabling_take_fresh_writers() {
    let mut a = Replica::new(A, Reg::new()).unwrap();
    a.enable_durable_writer().unwrap();
    let saved = a.save().unwrap();
    assert_ne!(Replica::<Reg>::restore(&saved).unwrap().writer(), A);
    assert_eq!(Replica::<Reg>::restore_durable(&saved).unwrap().writer(), A);
    let mut late = Replica::new(A, Reg::new()).unwrap();
    late.update(|r, w| r.write(w, 1));
    late.enable_durable_writer().unwrap();
    assert_ne!(late.writer(), A);
    assert!(late.writer().writes_for(A));
}
