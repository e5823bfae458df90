//! No echo: a delta a replica received from a peer's session is not sent back to that
//! session (it holds it), yet it is sent to a later session of the peer, which may
//! have restarted from bytes saved before it sent it. An interval made for one
//! session (it leaves that session's deltas out) is never taken as whole by another.

mod support;

use converge_core::ReplicaId;
use converge_orset::OrSet;
use converge_sync::{Config, Replica};
use proptest::prelude::*;
use support::{deliver, parse, replica, same_bytes, sync_pair, A, B, C, DELTA_FOR, HELLO};

type Set = OrSet<String>;

fn has(r: &Replica<Set>, element: &str) -> bool {
    r.state().contains(&element.to_string())
}

fn write(r: &mut Replica<Set>, element: &str) {
    r.update(|s, writer| s.add(writer, element.to_string()));
}

/// Hub A between clients B and C, all in sync.
fn star() -> (Replica<Set>, Replica<Set>, Replica<Set>) {
    let (mut a, mut b, mut c) = (replica(A), replica(B), replica(C));
    write(&mut b, "b0");
    write(&mut c, "c0");
    sync_pair(&mut a, &mut b);
    sync_pair(&mut a, &mut c);
    sync_pair(&mut a, &mut b);
    (a, b, c)
}

/// What B sent the hub is not sent back to B, only on to C; and when C writes, B's
/// message carries C's write and not its own. (Before, the hub echoed B's write.)
#[test]
fn a_delta_from_a_peer_is_not_sent_back_to_it() {
    let (mut a, mut b, mut c) = star();
    write(&mut b, "b1");
    deliver(b.message_for(A).unwrap().unwrap(), &mut a, &mut b);
    let sent = a.metrics().bytes_sent;
    assert_eq!(a.message_for(B).unwrap(), None, "B's own write, echoed");
    assert_eq!(a.metrics().bytes_sent, sent);
    // C writes before it hears of b1: it holds c1 and not b1.
    write(&mut c, "c1");
    deliver(c.message_for(A).unwrap().unwrap(), &mut a, &mut c);
    let to_b = a.message_for(B).unwrap().unwrap();
    assert_eq!(parse(&to_b).unwrap().kind, DELTA_FOR);
    assert!(
        !c.would_bring_news(&to_b).unwrap(),
        "B's message carries more than c1: its own b1"
    );
    deliver(to_b, &mut b, &mut a);
    assert!(has(&b, "c1"));
    assert_eq!(a.message_for(B).unwrap(), None);
    // C still gets b1.
    sync_pair(&mut a, &mut c);
    assert!(has(&c, "b1"));
    assert!(same_bytes(&a, &b) && same_bytes(&a, &c));
}

/// A client that crashes after its write reached the hub, and restores bytes saved
/// before the write, gets the write back from the hub.
#[test]
fn a_peer_restarted_from_older_bytes_gets_its_own_delta_back() {
    let (mut a, b, _) = star();
    let saved = b.save().unwrap();
    let mut b = b;
    write(&mut b, "b1");
    deliver(b.message_for(A).unwrap().unwrap(), &mut a, &mut b);
    assert_eq!(a.message_for(B).unwrap(), None);
    let mut b = Replica::<Set>::restore(&saved).unwrap();
    assert!(!has(&b, "b1"));
    let reply = a.receive(&b.hello(A).unwrap()).unwrap().expect("b1, back");
    deliver(reply, &mut b, &mut a);
    assert!(
        has(&b, "b1"),
        "the restarted B never got its lost write back"
    );
    sync_pair(&mut a, &mut b);
    assert!(same_bytes(&a, &b));
}

/// An interval made for B's first session (without B's own write) that reaches B's
/// next session, restored from bytes older than the write, is joined but not claimed:
/// B answers with a hello, and gets its write back. Taken as whole, it would make B
/// acknowledge the hub past its lost write, which it would then never get.
#[test]
fn an_interval_made_for_a_previous_session_is_not_claimed_by_the_next() {
    let (mut a, b, mut c) = star();
    let saved = b.save().unwrap();
    let mut b = b;
    write(&mut b, "b1");
    deliver(b.message_for(A).unwrap().unwrap(), &mut a, &mut b);
    write(&mut c, "c1");
    deliver(c.message_for(A).unwrap().unwrap(), &mut a, &mut c);
    let in_flight = a.message_for(B).unwrap().unwrap();
    assert_eq!(parse(&in_flight).unwrap().kind, DELTA_FOR);
    let mut b = Replica::<Set>::restore(&saved).unwrap();
    let reply = b.receive(&in_flight).unwrap().expect("a hello");
    assert_eq!(
        parse(&reply).unwrap().kind,
        HELLO,
        "the interval was claimed"
    );
    assert!(has(&b, "c1") && !has(&b, "b1"));
    deliver(reply, &mut a, &mut b);
    sync_pair(&mut a, &mut b);
    assert!(
        has(&b, "b1"),
        "the restarted B never got its lost write back"
    );
    assert!(same_bytes(&a, &b));
}

/// A client that only writes is told now and then that it holds everything (an empty
/// interval), so what it confirmed of the hub, and its sync token, stay recent.
#[test]
fn a_lone_writer_is_confirmed_now_and_then() {
    let (mut a, mut b, _) = star();
    a.remove_peer(C);
    let mut sent = 0;
    for i in 0..100 {
        write(&mut b, &format!("w{i}"));
        deliver(b.message_for(A).unwrap().unwrap(), &mut a, &mut b);
        if let Some(m) = a.message_for(B).unwrap() {
            assert!(!b.would_bring_news(&m).unwrap());
            sent += 1;
            deliver(m, &mut b, &mut a);
        }
    }
    assert!(
        (2..=4).contains(&sent),
        "{sent} confirmations for 100 writes"
    );
    assert!(
        a.buffer_depth() <= 40,
        "the hub buffers {}",
        a.buffer_depth()
    );
}

/// A step of a random star: client `c` writes, sends the hub what it lacks (`Up`),
/// gets what it lacks from the hub (`Down`), or the hub's message for it is held in
/// flight (`Hold`) and delivered later (`Release`), maybe to a later session; a
/// client saves, crashes (restores its last save) or restarts cleanly, or reconnects
/// in the same session (`Reconnect`: a hello, as after a dropped socket); the hub
/// restarts from its bytes (`HubRestart`).
#[derive(Clone, Debug)]
enum Step {
    Reconnect(usize),
    HubRestart,
    Write(usize),
    Up(usize),
    Down(usize),
    Hold(usize),
    Release(usize),
    Save(usize),
    Crash(usize),
    Clean(usize),
}

fn step(restarts: bool) -> impl Strategy<Value = Step> {
    let c = 0..3usize;
    let plain = prop_oneof![
        3 => c.clone().prop_map(Step::Write),
        3 => c.clone().prop_map(Step::Up),
        3 => c.clone().prop_map(Step::Down),
        1 => c.clone().prop_map(Step::Hold),
        1 => c.clone().prop_map(Step::Release),
    ];
    let faults = prop_oneof![
        c.clone().prop_map(Step::Reconnect),
        Just(Step::HubRestart),
        c.clone().prop_map(Step::Save),
        c.clone().prop_map(Step::Crash),
        c.prop_map(Step::Clean),
    ];
    if restarts {
        prop_oneof![6 => plain, 1 => faults].boxed()
    } else {
        plain.boxed()
    }
}

const HUB: ReplicaId = ReplicaId::new(1000);

struct Star {
    hub: Replica<Set>,
    hub_config: Config,
    clients: Vec<Replica<Set>>,
    saved: Vec<Vec<u8>>,
    held: Vec<Option<Vec<u8>>>,
    writes: usize,
}

impl Star {
    fn new() -> Self {
        Self::with_hub(Config::default())
    }

    fn with_hub(hub_config: Config) -> Self {
        let clients: Vec<Replica<Set>> = (0..3)
            .map(|i| replica(ReplicaId::new(i as u64 + 1)))
            .collect();
        Star {
            hub: replica(HUB).with_config(hub_config.clone()),
            hub_config,
            saved: clients.iter().map(|c| c.save().unwrap()).collect(),
            held: vec![None; 3],
            clients,
            writes: 0,
        }
    }

    /// Runs `step`; with `check_echo` (no restarts, no messages held), asserts that
    /// every delta interval either way brings the receiver news, or is empty.
    fn run(&mut self, step: &Step, check_echo: bool) -> Result<(), TestCaseError> {
        match *step {
            Step::Write(c) => {
                self.writes += 1;
                write(&mut self.clients[c], &format!("{c}:{}", self.writes));
            }
            Step::Up(c) => {
                let client = &mut self.clients[c];
                if let Some(m) = client.message_for(HUB).unwrap() {
                    if check_echo {
                        no_echo(&m, &self.hub)?;
                    }
                    deliver(m, &mut self.hub, client);
                }
            }
            Step::Down(c) => {
                let client = &mut self.clients[c];
                if let Some(m) = self.hub.message_for(client.id()).unwrap() {
                    if check_echo {
                        no_echo(&m, client)?;
                    }
                    deliver(m, client, &mut self.hub);
                }
            }
            Step::Hold(c) => {
                let id = self.clients[c].id();
                self.held[c] = self.hub.message_for(id).unwrap();
            }
            Step::Release(c) => {
                if let Some(m) = self.held[c].take() {
                    deliver(m, &mut self.clients[c], &mut self.hub);
                }
            }
            Step::Save(c) => self.saved[c] = self.clients[c].save().unwrap(),
            Step::Crash(c) => {
                self.clients[c] = Replica::restore(&self.saved[c]).unwrap();
                let hello = self.clients[c].hello(HUB).unwrap();
                if let Some(reply) = self.hub.receive(&hello).unwrap() {
                    deliver(reply, &mut self.clients[c], &mut self.hub);
                }
            }
            Step::Clean(c) => {
                self.saved[c] = self.clients[c].save().unwrap();
                self.clients[c] = Replica::restore(&self.saved[c]).unwrap();
            }
            Step::Reconnect(c) => {
                let hello = self.clients[c].hello(HUB).unwrap();
                if let Some(reply) = self.hub.receive(&hello).unwrap() {
                    deliver(reply, &mut self.clients[c], &mut self.hub);
                }
            }
            Step::HubRestart => {
                let bytes = self.hub.save().unwrap();
                self.hub = Replica::restore(&bytes)
                    .unwrap()
                    .with_config(self.hub_config.clone());
            }
        }
        Ok(())
    }
}

/// A delta interval `m` brings `to` news, or nothing at all (a confirmation).
fn no_echo(m: &[u8], to: &Replica<Set>) -> Result<(), TestCaseError> {
    let header = parse(m).unwrap();
    if header.is_delta()
        && replica::<Set>(ReplicaId::new(77))
            .would_bring_news(m)
            .unwrap()
    {
        prop_assert!(
            to.would_bring_news(m).unwrap(),
            "an echo: {} brings {:?} nothing",
            support::describe(m),
            to.id()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Without restarts and with every message delivered at once, no delta interval
    /// either way carries only what its receiver holds: nothing is echoed.
    #[test]
    fn no_interval_is_an_echo(steps in proptest::collection::vec(step(false), 0..60)) {
        let mut star = Star::new();
        for s in &steps {
            star.run(s, true)?;
        }
    }

    /// Random exchanges with held messages, saves, crashes and clean restarts still
    /// converge: once every client syncs with the hub, all hold the hub's state, and
    /// the hub holds every write a client still holds.
    #[test]
    fn exchanges_with_restarts_converge(steps in proptest::collection::vec(step(true), 0..80)) {
        let mut star = Star::new();
        for s in &steps {
            star.run(s, false)?;
        }
        star.converges()?;
    }

    /// The same with a hub that buffers at most 3 deltas: older ones are dropped
    /// (maybe a client's own, counted acknowledged, which it holds), and clients that
    /// lack them get the full state.
    #[test]
    fn exchanges_with_a_small_hub_buffer_converge(
        steps in proptest::collection::vec(step(true), 0..80),
    ) {
        let mut star = Star::with_hub(Config { max_buffer: 3, ..Config::default() });
        for s in &steps {
            star.run(s, false)?;
        }
        star.converges()?;
    }
}

impl Star {
    /// Once every client syncs with the hub (messages held are lost), all hold the
    /// hub's state and nobody has anything left to send.
    fn converges(&mut self) -> Result<(), TestCaseError> {
        let star = self;
        for c in 0..3 {
            star.held[c] = None;
        }
        for _ in 0..3 {
            for c in 0..3 {
                sync_pair(&mut star.hub, &mut star.clients[c]);
            }
        }
        for c in 0..3 {
            prop_assert!(
                same_bytes(&star.hub, &star.clients[c]),
                "client {} differs",
                c
            );
            prop_assert_eq!(star.hub.message_for(star.clients[c].id()).unwrap(), None);
            prop_assert_eq!(star.clients[c].message_for(HUB).unwrap(), None);
        }
        Ok(())
    }
}

/// The traffic of a busy star: two writers and a reader on a hub, every write synced
/// up and fanned out at once. Without echo the hub sends a writer only the other's
/// writes (and a confirmation now and then), and the writers send the hub only their
/// own.
#[test]
fn a_busy_star_sends_no_echo() {
    let (mut a, mut b, mut c) = star();
    let mut d = replica::<Set>(ReplicaId::new(0xd4));
    sync_pair(&mut a, &mut d);
    let start = |r: &Replica<Set>| r.metrics().bytes_sent;
    let before = [start(&a), start(&b), start(&c), start(&d)];
    let mut confirmations = 0;
    for i in 0..100 {
        let (writer, other) = match i % 2 {
            0 => (&mut b, &mut c),
            _ => (&mut c, &mut b),
        };
        write(writer, &format!("w{i}"));
        deliver(writer.message_for(A).unwrap().unwrap(), &mut a, writer);
        for r in [writer, other, &mut d] {
            if let Some(m) = a.message_for(r.id()).unwrap() {
                deliver(m, r, &mut a);
            }
            // At most a confirmation (an empty interval) now and then.
            if let Some(m) = r.message_for(A).unwrap() {
                assert!(!replica::<Set>(ReplicaId::new(77))
                    .would_bring_news(&m)
                    .unwrap());
                confirmations += 1;
                deliver(m, &mut a, r);
            }
        }
    }
    let sent = [start(&a), start(&b), start(&c), start(&d)];
    let total: u64 = sent.iter().zip(before).map(|(s, b)| s - b).sum();
    eprintln!("a busy star, 100 writes: {total} bytes sent in all");
    assert!(confirmations <= 10, "{confirmations} confirmations");
    assert!(same_bytes(&a, &b) && same_bytes(&a, &c) && same_bytes(&a, &d));
}
