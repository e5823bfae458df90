//! What a reset of a document counter cancels, now that a counter keeps one entry
//! per replica with its running totals (issue 13): a removal cancels the totals of
//! the replicas that did not write concurrently with it, and a replica that did keeps
//! its whole total. Also: several entries of one replica (hostile or version 1 input)
//! fold deterministically, and version 1 per-change deltas meeting version 2 peers
//! reach the same state whatever the delivery order.

use converge_core::{Causal, CausalContext, Dot, DotFun, Embeddable, Lattice, ReplicaId};
use converge_ormap::{Contribution, Counter, Document};

const A: ReplicaId = ReplicaId::new(1);
const B: ReplicaId = ReplicaId::new(2);
const C: ReplicaId = ReplicaId::new(3);

fn counter_at(doc: &Document, path: &[&str]) -> Option<i128> {
    doc.get_at(path)
        .and_then(|n| n.get::<Counter>())
        .map(Counter::value)
}

fn inc(doc: &mut Document, r: ReplicaId, by: u64) -> Document {
    doc.update_at(&["cart", "n"], |c: &mut Counter| c.increment(r, by))
        .unwrap()
}

/// The decided semantics: A and B wrote, a removal saw both; concurrently A adds 2.
/// B's 3 is cancelled, A's earlier 5 comes back with A's new total (7), not 2.
#[test]
fn a_removal_concurrent_with_increments_keeps_that_replicas_whole_total() {
    let mut here = Document::new();
    inc(&mut here, A, 5);
    inc(&mut here, B, 3);
    let mut there = here.clone();
    let removal = here.remove_at(&["cart"]).unwrap();
    let more = inc(&mut there, A, 2);
    here.join(more);
    there.join(removal);
    assert_eq!(here, there);
    assert_eq!(counter_at(&here, &["cart", "n"]), Some(7));
}

/// A replica that did not write concurrently with the removal loses its whole
/// contribution, even if it writes after seeing the removal: it starts from zero.
#[test]
fn a_replica_that_observed_the_removal_starts_from_zero() {
    let mut here = Document::new();
    inc(&mut here, A, 5);
    inc(&mut here, B, 3);
    let mut there = here.clone();
    let removal = here.remove_at(&["cart"]).unwrap();
    there.join(removal);
    let after = inc(&mut there, B, 1);
    here.join(after);
    assert_eq!(here, there);
    assert_eq!(counter_at(&here, &["cart", "n"]), Some(1));
}

/// Three replicas, two concurrent removals and concurrent increments, merged in
/// every order: the same state everywhere, and exactly the concurrent writers'
/// totals survive.
#[test]
fn concurrent_removals_and_increments_converge_in_every_order() {
    let mut base = Document::new();
    inc(&mut base, A, 10);
    inc(&mut base, B, 20);
    inc(&mut base, C, 30);
    let (mut x, mut y, mut z) = (base.clone(), base.clone(), base);
    let deltas = [
        x.remove_at(&["cart", "n"]).unwrap(),
        inc(&mut y, B, 1),
        z.remove_at(&["cart"]).unwrap(),
        inc(&mut y, B, 1),
        inc(&mut x, A, 4),
    ];
    let states = [x, y, z];
    // Full states in two orders, and the deltas forwards and backwards onto each.
    let forward = states.iter().cloned().fold(Document::new(), |mut a, s| {
        a.join(s);
        a
    });
    let backward = states
        .iter()
        .rev()
        .cloned()
        .fold(Document::new(), |mut a, s| {
            a.join(s);
            a
        });
    assert_eq!(forward, backward);
    for state in &states {
        let mut fwd = state.clone();
        deltas.iter().cloned().for_each(|d| fwd.join(d));
        let mut bwd = state.clone();
        deltas.iter().rev().cloned().for_each(|d| bwd.join(d));
        assert_eq!(fwd, forward);
        assert_eq!(bwd, forward);
    }
    // x is A: it removed the counter, then wrote 4, its total since that reset.
    // y is B: concurrent with both removals, its whole total 22 survives.
    // z is C: C's 30 was seen by both removals and C wrote nothing since: cancelled.
    assert_eq!(counter_at(&forward, &["cart", "n"]), Some(4 + 22));
}

fn entry(r: ReplicaId, counter: u64, up: u64, down: u64) -> (Dot, Contribution) {
    (Dot::new(r, counter), Contribution { up, down })
}

/// A counter holding exactly `entries`, having seen exactly their dots and `seen`.
fn counter_of(entries: &[(Dot, Contribution)], seen: &[Dot]) -> Counter {
    let mut store = DotFun::new();
    for (dot, c) in entries {
        store.insert(*dot, *c);
    }
    let context = CausalContext::from_dots(entries.iter().map(|e| e.0).chain(seen.iter().copied()));
    Counter::from_causal(Causal::new(store, context))
}

/// Hostile (or version 1) input with two entries of A: they add up, and A's next
/// write folds both into one entry whose delta names both, so every replica that
/// holds them ends with the same single entry.
#[test]
fn two_entries_of_one_replica_fold_into_the_next_write() {
    let hostile = counter_of(
        &[entry(A, 1, 5, 0), entry(A, 2, 7, 1), entry(B, 1, 3, 0)],
        &[],
    );
    assert_eq!(hostile.value(), 14);
    let mut at_a = hostile.clone();
    let delta = at_a.increment(A, 1);
    assert_eq!(at_a.value(), 15, "the value moves by exactly the increment");
    let entries: Vec<_> = at_a.entries().map(|(d, c)| (d, *c)).collect();
    assert_eq!(entries, [entry(A, 3, 13, 1), entry(B, 1, 3, 0)]);
    let mut elsewhere = hostile;
    elsewhere.join(delta);
    assert_eq!(elsewhere, at_a);
}

/// Another replica's entries are never folded into a write, however many there are.
#[test]
fn a_write_never_folds_other_replicas_entries() {
    let mut c = counter_of(
        &[entry(B, 1, 3, 0), entry(B, 4, 1, 0), entry(C, 2, 0, 9)],
        &[],
    );
    c.increment(A, 1);
    assert_eq!(c.entries().len(), 4);
    assert_eq!(c.value(), 3 + 1 - 9 + 1);
}

/// Version 1 peers made one entry per change, each delta naming only its own dot.
/// Such deltas meeting version 2 peers are read correctly, because a replica's
/// entries add up: a v1 replica A's per-change deltas, then A upgraded (its state
/// decoded as is) writing a total that folds them, delivered in any order and with
/// a concurrent reset, reach the state of joining the full states.
#[test]
fn version_1_per_change_deltas_and_version_2_totals_mix_correctly() {
    // A (version 1) added 1, 2 and 4, one entry and one delta each.
    let v1_deltas: Vec<Counter> = [(1, 1), (2, 2), (3, 4)]
        .iter()
        .map(|&(n, by)| counter_of(&[entry(A, n, by, 0)], &[]))
        .collect();
    let mut a = Counter::new();
    v1_deltas.iter().cloned().for_each(|d| a.join(d));
    assert_eq!(a.value(), 7);
    // B (version 2) saw the first two changes and resets concurrently with A's
    // upgrade, after which A's next write folds its three entries.
    let mut b = Counter::new();
    b.join(v1_deltas[0].clone());
    b.join(v1_deltas[1].clone());
    let reset = b.reset();
    let upgraded = a.increment(A, 10);
    assert_eq!(a.entries().len(), 1);
    // A wrote concurrently with the reset: A's whole total, 17, survives.
    let mut full = a.clone();
    full.join(b.clone());
    assert_eq!(full.value(), 17);
    let mut all: Vec<Counter> = v1_deltas;
    all.push(reset);
    all.push(upgraded);
    for order in permutations(all.len()) {
        let mut c = Counter::new();
        for i in order {
            c.join(all[i].clone());
        }
        assert_eq!(c, full);
    }
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for at in 0..=p.len() {
            let mut q = p.clone();
            q.insert(at, n - 1);
            out.push(q);
        }
    }
    out
}

/// Why version 1 states are not folded when decoded: two peers can hold different
/// subsets of one replica's per-change entries (each removed a different one). Folded
/// under the highest dot, both would hold that dot with different totals, and the
/// join, which trusts a dot to name one value, would diverge. Kept as they are, the
/// entries join exactly: A's +1 at dot 1 was reset at one peer, A's +2 at dot 2 at
/// the other, A's +4 at dot 3 survives both.
#[test]
fn version_1_states_with_different_entries_removed_join_exactly() {
    let one_removed = counter_of(&[entry(A, 2, 2, 0), entry(A, 3, 4, 0)], &[Dot::new(A, 1)]);
    let two_removed = counter_of(&[entry(A, 1, 1, 0), entry(A, 3, 4, 0)], &[Dot::new(A, 2)]);
    let mut x = one_removed.clone();
    x.join(two_removed.clone());
    let mut y = two_removed;
    y.join(one_removed);
    assert_eq!(x, y);
    assert_eq!(x.value(), 4);
}
