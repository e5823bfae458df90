//! Every converge type syncs: three replicas write concurrently (each under its
//! `writer()` id), messages go in reverse order and twice, one replica restarts from
//! its saved bytes and writes on, and all three end on the bytes of the join of
//! everything written: `GCounter`, `PnCounter`, `OrSet`, `LwwRegister`,
//! `MvRegister`, `Document` and a typed `OrMap<String, Counter>`.

use converge_core::{Hlc, ManualClock, ReplicaId};
use converge_gcounter::GCounter;
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Flag, OrMap, Value};
use converge_orset::OrSet;
use converge_pncounter::PnCounter;
use converge_sync::Replica;

use crate::support::{replica, sync_pair, Synced, A, B, C};

/// The `i`-th write of a replica writing as `writer`.
type Write<T> = fn(&mut T, ReplicaId, u64) -> T;

fn syncs<T: Synced>(write: Write<T>) {
    let mut replicas = [replica::<T>(A), replica::<T>(B), replica::<T>(C)];
    let mut expected = T::default();
    let step = |replicas: &mut [Replica<T>; 3], expected: &mut T, round: u64| {
        for (k, r) in replicas.iter_mut().enumerate() {
            let i = round * 10 + k as u64;
            r.update(|s, w| write(s, w, i));
            expected.join(r.state().clone());
        }
        // Every replica's message for every other, delivered in reverse order and
        // then again (replies dropped: acks and hellos may be lost too).
        let mut messages = Vec::new();
        for from in 0..3 {
            for to in 0..3 {
                if from != to {
                    let peer = replicas[to].id();
                    if let Some(m) = replicas[from].message_for(peer).unwrap() {
                        messages.push((to, m));
                    }
                }
            }
        }
        for (to, m) in messages.iter().rev().chain(messages.iter()) {
            replicas[*to]
                .receive(m)
                .expect("honest messages are accepted");
        }
    };
    step(&mut replicas, &mut expected, 0);
    step(&mut replicas, &mut expected, 1);
    // C restarts from what it saves now, and writes on under a fresh writer id.
    let saved = replicas[2].save().unwrap();
    replicas[2] = Replica::restore(&saved).expect("saved bytes restore");
    assert_ne!(
        replicas[2].writer(),
        C,
        "a restored replica writes under a fresh id"
    );
    step(&mut replicas, &mut expected, 2);
    for _ in 0..2 {
        let [a, b, c] = &mut replicas;
        sync_pair(a, b);
        sync_pair(b, c);
        sync_pair(a, c);
    }
    for r in &replicas {
        assert_eq!(r.state(), &expected, "{:?} differs from the join", r.id());
        assert_eq!(r.state().encode().unwrap(), expected.encode().unwrap());
    }
    let [a, b, c] = &mut replicas;
    assert_eq!(
        (sync_pair(a, b), sync_pair(b, c), sync_pair(a, c)),
        (1, 1, 1),
        "quiet"
    );
}

#[test]
fn gcounter() {
    syncs::<GCounter>(|c, w, i| c.increment(w, i % 5 + 1).unwrap());
}

#[test]
fn pncounter() {
    syncs::<PnCounter>(|c, w, i| {
        if i % 3 == 0 {
            c.decrement(w, 2).unwrap()
        } else {
            c.increment(w, i + 1).unwrap()
        }
    });
}

#[test]
fn orset() {
    syncs::<OrSet<String>>(|s, w, i| match i % 4 {
        3 => s.remove(&format!("e{}", i % 3)),
        _ => s.add(w, format!("e{}", i % 3)),
    });
}

#[test]
fn lwwregister() {
    syncs::<LwwRegister<String>>(|r, w, i| {
        if i % 5 == 4 {
            r.clear()
        } else {
            // Few distinct times, so concurrent writes tie and fall to the writer id.
            r.set(w, &mut Hlc::new(ManualClock::new(i % 2)), format!("v{i}"))
        }
    });
}

#[test]
fn mvregister() {
    syncs::<MvRegister<String>>(|r, w, i| {
        if i % 5 == 4 {
            r.clear()
        } else {
            r.write(w, format!("v{i}"))
        }
    });
}

#[test]
fn document() {
    syncs::<Document>(|d, w, i| match i % 6 {
        0 => d
            .update_at(&["cart", "apples"], |c: &mut Counter| c.increment(w, i + 1))
            .unwrap(),
        1 => d
            .update_at(&["cart", "done"], |f: &mut Flag| f.enable(w))
            .unwrap(),
        2 => d
            .update_at(&["title"], |r: &mut MvRegister<Value>| {
                r.write(w, Value::Int(i as i64))
            })
            .unwrap(),
        3 => d
            .update_at(&["tags"], |s: &mut OrSet<Value>| {
                s.add(w, Value::Int((i % 3) as i64))
            })
            .unwrap(),
        4 => d.remove_at(&["cart"]).unwrap(),
        _ => d
            .update_at(&["owner"], |r: &mut LwwRegister<Value>| {
                r.set(
                    w,
                    &mut Hlc::new(ManualClock::new(i)),
                    Value::from("someone"),
                )
            })
            .unwrap(),
    });
}

#[test]
fn typed_ormap_of_counters() {
    syncs::<OrMap<String, Counter>>(|m, w, i| {
        let key = format!("k{}", i % 3);
        match i % 4 {
            3 => m.remove(&key),
            2 => m.update(&key, |c| c.decrement(w, 1)),
            _ => m.update(&key, |c| c.increment(w, i + 1)),
        }
    });
}
