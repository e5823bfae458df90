//! Native / wasm parity: the fixture `js-tests/node/fixtures/parity.jsonl` that the
//! npm package's `parity.test.mjs` replays, and the check that it is up to date.
//!
//! For each of 1,000 seeds (the simulator's splitmix64 stream) one type is chosen in
//! turn (G-Counter, PN-Counter, OR-Set, LWW-Register, MV-Register, Document) and two
//! replicas with fixed ids run 4-14 random steps natively: a write through the
//! type's JavaScript-facing operation, or one replica merging another's full state.
//! Every other Document seed is a counter trace instead (issue 13): three replicas
//! incrementing and decrementing a few counters, removing them and their parent map
//! (resets), and merging, so that increments concurrent with resets are covered.
//! Writes stamped by a clock (LWW sets, in registers and documents) cannot be
//! replayed in JavaScript, whose clock is the wall clock, so the fixture carries
//! their delta bytes and JavaScript merges those. Each line holds the steps and the
//! native encodings of both replicas at the end; JavaScript must reach the same bytes.
//!
//! `CONVERGE_BLESS=1 cargo test -p converge-sync --test parity` rewrites the fixture
//! after a deliberate change of the generator (a changed encoding is a wire-format
//! change: see the golden vectors).

mod simulator;
mod support;

use std::fmt::Write as _;
use std::path::PathBuf;

use converge_core::{Codec, Hlc, Lattice, ManualClock, ReplicaId};
use converge_gcounter::GCounter;
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Flag, Value};
use converge_orset::OrSet;
use converge_pncounter::PnCounter;
use simulator::Rng;

/// How many seeds the fixture holds.
const SEEDS: u64 = 1_000;

/// The replicas, as JavaScript names them (`ids.a`, `ids.b` in helpers.mjs; the
/// third only in counter traces, which list it in their `ids`).
const IDS: [(ReplicaId, &str); 3] = [
    (ReplicaId::new(0xa1), "00000000000000a1"),
    (ReplicaId::new(0xb2), "00000000000000b2"),
    (ReplicaId::new(0xc3), "00000000000000c3"),
];

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../js-tests/node/fixtures/parity.jsonl")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A value and its JSON form.
fn value(rng: &mut Rng) -> (Value, &'static str) {
    match rng.below(4) {
        0 => (Value::Str("a".into()), "\"a\""),
        1 => (Value::Str("b".into()), "\"b\""),
        2 => (Value::Int(1), "1"),
        _ => (Value::Int(2), "2"),
    }
}

/// A write step: the method, its JSON arguments.
fn op(method: &str, args: &[&str]) -> String {
    format!("{{\"op\":\"{method}\",\"args\":[{}]", args.join(","))
}

/// A step whose delta JavaScript merges.
fn delta<T: Codec>(d: &T) -> String {
    format!("{{\"delta\":\"{}\"", hex(&d.encode().unwrap()))
}

/// The steps of one seed and the final encodings of its replicas.
type Trace = (Vec<String>, Vec<String>);

/// Runs one seed's steps on type `T` with two replicas; `write` makes a random write
/// on a replica and returns its step (without the replica field and closing brace).
fn case<T: Codec + Lattice + Default + Clone>(
    rng: &mut Rng,
    write: impl Fn(&mut Rng, &mut T, ReplicaId) -> String,
) -> Trace {
    case_of(rng, 2, (4, 14), 25, write)
}

/// [`case`] with `n` replicas, `steps` (low, high) steps, and a merge in
/// `merge_percent` of them.
fn case_of<T: Codec + Lattice + Default + Clone>(
    rng: &mut Rng,
    n: u64,
    (low, high): (u64, u64),
    merge_percent: u64,
    write: impl Fn(&mut Rng, &mut T, ReplicaId) -> String,
) -> Trace {
    let mut replicas = vec![T::default(); n as usize];
    let mut steps = Vec::new();
    for _ in 0..rng.between(low, high) {
        let r = rng.below(n) as usize;
        if rng.chance(merge_percent) {
            // Two replicas draw nothing here, which keeps their traces as they were.
            let from = if n == 2 {
                1 - r
            } else {
                (r + 1 + rng.below(n - 1) as usize) % n as usize
            };
            let other = replicas[from].clone();
            replicas[r].join(other);
            steps.push(format!("{{\"r\":{r},\"merge\":{from}}}"));
        } else {
            let step = write(rng, &mut replicas[r], IDS[r].0);
            steps.push(format!("{step},\"r\":{r}}}"));
        }
    }
    (
        steps,
        replicas.iter().map(|s| hex(&s.encode().unwrap())).collect(),
    )
}

fn path(rng: &mut Rng) -> (Vec<&'static str>, String) {
    let keys: Vec<&'static str> = (0..rng.between(1, 2))
        .map(|_| if rng.chance(50) { "a" } else { "b" })
        .collect();
    let json = format!(
        "[{}]",
        keys.iter()
            .map(|k| format!("\"{k}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    (keys, json)
}

fn document_write(rng: &mut Rng, doc: &mut Document, me: ReplicaId) -> String {
    let (keys, p) = path(rng);
    let keys = keys.as_slice();
    let (v, vj) = value(rng);
    let n = rng.between(1, 5);
    let nj = n.to_string();
    match rng.below(9) {
        0 => delta(
            &doc.update_at(keys, |r: &mut LwwRegister<Value>| {
                r.set(me, &mut Hlc::new(ManualClock::new(rng.below(3) * 1000)), v)
            })
            .unwrap(),
        ),
        1 => {
            doc.update_at(keys, |r: &mut MvRegister<Value>| r.write(me, v))
                .unwrap();
            op("setMulti", &[&p, vj])
        }
        2 => {
            doc.update_at(keys, |c: &mut Counter| c.increment(me, n))
                .unwrap();
            op("increment", &[&p, &nj])
        }
        3 => {
            doc.update_at(keys, |c: &mut Counter| c.decrement(me, n))
                .unwrap();
            op("decrement", &[&p, &nj])
        }
        4 => {
            doc.update_at(keys, |s: &mut OrSet<Value>| s.add(me, v))
                .unwrap();
            op("addToSet", &[&p, vj])
        }
        5 => {
            doc.update_at(keys, |s: &mut OrSet<Value>| s.remove(&v))
                .unwrap();
            op("removeFromSet", &[&p, vj])
        }
        6 => {
            doc.update_at(keys, |f: &mut Flag| f.enable(me)).unwrap();
            op("enable", &[&p])
        }
        7 => {
            doc.update_at(keys, |f: &mut Flag| f.disable()).unwrap();
            op("disable", &[&p])
        }
        _ => {
            doc.remove_at(keys).unwrap();
            op("remove", &[&p])
        }
    }
}

/// A counter trace's write: mostly increments and decrements of three counters (one
/// nested), sometimes a reset (removing the counter's key or its parent map).
fn counter_write(rng: &mut Rng, doc: &mut Document, me: ReplicaId) -> String {
    const PATHS: [(&[&str], &str); 3] = [
        (&["a"], "[\"a\"]"),
        (&["b"], "[\"b\"]"),
        (&["m", "a"], "[\"m\",\"a\"]"),
    ];
    let (keys, p) = PATHS[rng.below(3) as usize];
    let n = rng.between(1, 5);
    let nj = n.to_string();
    match rng.below(10) {
        0..=4 => {
            doc.update_at(keys, |c: &mut Counter| c.increment(me, n))
                .unwrap();
            op("increment", &[p, &nj])
        }
        5..=7 => {
            doc.update_at(keys, |c: &mut Counter| c.decrement(me, n))
                .unwrap();
            op("decrement", &[p, &nj])
        }
        8 => {
            doc.remove_at(keys).unwrap();
            op("remove", &[p])
        }
        _ => {
            doc.remove_at(&["m"]).unwrap();
            op("remove", &["[\"m\"]"])
        }
    }
}

/// The fixture: one JSON object per line.
fn fixture() -> String {
    const TYPES: [&str; 6] = [
        "GCounter",
        "PNCounter",
        "OrSet",
        "LwwRegister",
        "MvRegister",
        "Document",
    ];
    let mut out = String::new();
    for seed in 0..SEEDS {
        let kind = TYPES[(seed % 6) as usize];
        let rng = &mut Rng::new(seed);
        let (steps, expect) = match kind {
            "GCounter" => case(rng, |rng, c: &mut GCounter, me| {
                let n = rng.between(1, 5);
                c.increment(me, n).expect("small increments");
                op("increment", &[&n.to_string()])
            }),
            "PNCounter" => case(rng, |rng, c: &mut PnCounter, me| {
                let n = rng.between(1, 5);
                if rng.chance(50) {
                    c.increment(me, n).expect("small increments");
                    op("increment", &[&n.to_string()])
                } else {
                    c.decrement(me, n).expect("small decrements");
                    op("decrement", &[&n.to_string()])
                }
            }),
            "OrSet" => case(rng, |rng, s: &mut OrSet<Value>, me| {
                let (v, vj) = value(rng);
                match rng.below(6) {
                    0..=2 => {
                        s.add(me, v);
                        op("add", &[vj])
                    }
                    3 | 4 => {
                        s.remove(&v);
                        op("remove", &[vj])
                    }
                    _ => {
                        s.clear();
                        op("clear", &[])
                    }
                }
            }),
            "LwwRegister" => case(rng, |rng, r: &mut LwwRegister<Value>, me| {
                let (v, _) = value(rng);
                delta(&r.set(me, &mut Hlc::new(ManualClock::new(rng.below(3) * 1000)), v))
            }),
            "MvRegister" => case(rng, |rng, r: &mut MvRegister<Value>, me| {
                let (v, vj) = value(rng);
                r.write(me, v);
                op("set", &[vj])
            }),
            _ if seed % 12 == 11 => case_of(rng, 3, (8, 24), 30, counter_write),
            _ => case(rng, document_write),
        };
        let quoted = |all: &mut dyn Iterator<Item = &str>| {
            all.map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(",")
        };
        let _ = writeln!(
            out,
            "{{\"seed\":{seed},\"type\":\"{kind}\",\"ids\":[{}],\"steps\":[{}],\"expect\":[{}]}}",
            quoted(&mut IDS[..expect.len()].iter().map(|(_, name)| *name)),
            steps.join(","),
            quoted(&mut expect.iter().map(String::as_str)),
        );
    }
    out
}

/// The committed fixture is what this generator makes now.
#[test]
fn parity_fixture_is_up_to_date() {
    let made = fixture();
    assert_eq!(made.lines().count() as u64, SEEDS);
    let path = fixture_path();
    if std::env::var_os("CONVERGE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &made).expect("the fixture is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (run with CONVERGE_BLESS=1 to create it)",
            path.display()
        )
    });
    if let Some((n, (a, b))) = committed
        .lines()
        .zip(made.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
    {
        panic!(
            "the parity fixture is out of date at line {}:\n committed: {a}\n now:       {b}\n\
             If the change is deliberate, rerun with CONVERGE_BLESS=1.",
            n + 1
        );
    }
    assert_eq!(
        committed, made,
        "the parity fixture has extra or missing lines"
    );
}
