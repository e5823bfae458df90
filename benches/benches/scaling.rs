//! How the cost of one operation grows with the document (issue 13): a document whose
//! map at depth 0, 2 or 4 holds N = 1,000, 10,000 or 100,000 keys (LWW registers of
//! small integers), and, per point, the time of one operation of each workload:
//!
//! - `apply`: `Document::join` of a one-write delta made by another replica
//!   (overwriting an existing key);
//! - `write`: `Document::update_at` of one overwrite plus `pending.join(delta)`, while
//!   the pending delta already holds the N writes that built the document (the way a
//!   Rust user keeps a delta to ship later, and what the npm package does per write);
//! - `receive`: `Replica::receive` of a sync message carrying one such write;
//! - `merge`: `Replica::merge` of a one-write delta;
//!
//! and for the peer `crdts` 7.3 (`Map`s nested to the same depth over `MVReg`s):
//! `apply` (`CmRDT::apply` of another actor's one-key op) and `write` (a local write:
//! `update` + `apply`; crdts keeps no pending delta, the op is the delta).
//!
//! Every timed operation is fresh work: the inputs (deltas, messages, ops) are made
//! before the timing, each overwrites an existing key and is applied once, in order,
//! so the map keeps its N keys (checked after each point). The time per operation is
//! the median over batches of operations; each point is bounded by the plan's budget
//! (1 s: a quarter for the warm-up, three quarters for the timed batches) and records
//! how many operations it timed. Figures go to stdout and, at full size, to
//! `results/scaling-rust.tsv` for the `report` binary.
//!
//! `CONVERGE_BENCH_SMALL=1` runs tiny sizes (N = 100 and 1,000, a few operations) and
//! writes nothing; `-- --test` (criterion's flag, as CI passes it) is accepted.

use std::fmt::Debug;
use std::hint::black_box;
use std::time::{Duration, Instant};

use converge_benches::workloads::{
    scaling_clock, scaling_deltas, scaling_document, scaling_key, scaling_len, scaling_messages,
    scaling_parents, scaling_paths, scaling_picks, scaling_write, SCALING_DEPTHS,
};
use converge_core::{Lattice, ReplicaId};
use converge_sync::Replica;
use crdts::ctx::AddCtx;
use crdts::{CmRDT, ResetRemove};

/// Sizes and limits of a run.
struct Plan {
    /// The key counts N.
    sizes: &'static [usize],
    /// Operations made per point (the first ones warm up).
    ops: usize,
    /// Warm-up operations (at most; also bounded by a quarter of the budget).
    warmup: usize,
    /// Wall-clock bound per point, warm-up included.
    budget: Duration,
}

const FULL: Plan = Plan {
    sizes: &[1_000, 10_000, 100_000],
    ops: 300,
    warmup: 20,
    budget: Duration::from_secs(1),
};

const SMALL: Plan = Plan {
    sizes: &[100, 1_000],
    ops: 20,
    warmup: 4,
    budget: Duration::from_millis(100),
};

/// A timed batch should last at least this long (timer overhead and resolution).
const BATCH_TARGET: Duration = Duration::from_micros(200);
const MAX_BATCH: usize = 20;

const OWNER: ReplicaId = ReplicaId::new(1);
const OTHER: ReplicaId = ReplicaId::new(2);

/// One measured point.
struct Point {
    workload: &'static str,
    depth: usize,
    n: usize,
    subject: &'static str,
    /// Median time per operation, in nanoseconds.
    ns_per_op: f64,
    /// Operations timed (warm-up excluded).
    ops: usize,
}

/// Runs `op` on each input in order: a warm-up (up to a quarter of `plan.budget`), then
/// batches timed as a whole, until the inputs or the rest of the budget run out (at
/// least one batch). Returns the median of the batches' time per operation and the
/// operations timed.
fn time_each<I>(inputs: Vec<I>, plan: &Plan, mut op: impl FnMut(I)) -> (f64, usize) {
    let mut inputs = inputs.into_iter();
    let start = Instant::now();
    // The warm-up's median op sizes the batches.
    let mut warm = Vec::new();
    while warm.len() < plan.warmup && start.elapsed() < plan.budget / 4 {
        let Some(input) = inputs.next() else { break };
        let t = Instant::now();
        op(input);
        warm.push(t.elapsed().as_nanos());
    }
    warm.sort_unstable();
    let per_op = warm.get(warm.len() / 2).copied().unwrap_or(0);
    let batch = (BATCH_TARGET.as_nanos() / per_op.max(1)).clamp(1, MAX_BATCH as u128) as usize;
    let mut samples = Vec::new();
    let mut timed = 0;
    // The rest of the budget, from here: a slow first op does not eat it.
    let timed_start = Instant::now();
    while timed == 0 || timed_start.elapsed() < plan.budget * 3 / 4 {
        let chunk: Vec<I> = inputs.by_ref().take(batch).collect();
        if chunk.is_empty() {
            break;
        }
        let k = chunk.len();
        let t = Instant::now();
        for input in chunk {
            op(input);
        }
        samples.push(t.elapsed().as_nanos() as f64 / k as f64);
        timed += k;
    }
    assert!(timed > 0, "no operation left to time after the warm-up");
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], timed)
}

// ---------------------------------------------------------------------------------
// converge

fn converge_points(depth: usize, n: usize, plan: &Plan, out: &mut Vec<Point>) {
    let doc = scaling_document(depth, n, OWNER);
    assert_eq!(scaling_len(&doc, depth), n);
    let mut point = |workload, (ns_per_op, ops)| {
        out.push(Point {
            workload,
            depth,
            n,
            subject: "converge",
            ns_per_op,
            ops,
        });
        print_point(out.last().expect("just pushed"));
    };

    // apply: Document::join of one-write deltas by another replica.
    let deltas = scaling_deltas(&doc, depth, n, plan.ops, OTHER);
    let mut state = doc.clone();
    let timing = time_each(deltas.clone(), plan, |d| state.join(black_box(d)));
    assert_eq!(scaling_len(&state, depth), n);
    drop(state);
    point("apply", timing);

    // merge: Replica::merge of the same deltas.
    let mut replica = Replica::new(OWNER, doc.clone()).expect("a random source");
    let timing = time_each(deltas, plan, |d| {
        black_box(replica.merge(black_box(d)));
    });
    assert_eq!(scaling_len(replica.state(), depth), n);
    drop(replica);
    point("merge", timing);

    // receive: Replica::receive of one-write sync messages.
    let (mut replica, messages) = scaling_messages(&doc, depth, n, plan.ops, (OWNER, OTHER));
    let timing = time_each(messages, plan, |m| {
        black_box(replica.receive(black_box(&m)).expect("a valid message"));
    });
    assert_eq!(scaling_len(replica.state(), depth), n);
    drop(replica);
    point("receive", timing);

    // write: overwrites while the pending delta holds the N writes that built the
    // document. The join of those N deltas is the document itself (a state is the
    // join of the deltas that made it; checked below at the smallest size), so it
    // is built as a clone.
    let mut pending = doc.clone();
    if n == plan.sizes[0] {
        assert_eq!(pending, pending_by_joins(depth, n), "pending delta = state");
    }
    let mut state = doc;
    let keys: Vec<String> = scaling_picks(n, plan.ops)
        .into_iter()
        .map(scaling_key)
        .collect();
    let paths = scaling_paths(depth, &keys);
    let mut clock = scaling_clock();
    let mut value = 0;
    let timing = time_each(paths, plan, |path| {
        value += 1;
        let delta = scaling_write(&mut state, &path, value, OWNER, &mut clock);
        pending.join(delta);
    });
    assert_eq!(scaling_len(&pending, depth), n);
    point("write", timing);
}

/// The pending delta of N writes built the long way: each write's delta joined in.
fn pending_by_joins(depth: usize, n: usize) -> converge_ormap::Document {
    let keys: Vec<String> = (0..n).map(scaling_key).collect();
    let mut clock = scaling_clock();
    let mut doc = converge_ormap::Document::new();
    let mut pending = converge_ormap::Document::new();
    for (i, path) in scaling_paths(depth, &keys).iter().enumerate() {
        pending.join(scaling_write(&mut doc, path, i as i64, OWNER, &mut clock));
    }
    pending
}

// ---------------------------------------------------------------------------------
// crdts: Map<String, Map<String, ... Map<String, MVReg<u64, u64>>>>, nested `depth`
// times above the map of N keys.

type Reg = crdts::MVReg<u64, u64>;
type Map<V> = crdts::Map<String, V, u64>;
type Depth0 = Map<Reg>;
type Depth2 = Map<Map<Depth0>>;
type Depth4 = Map<Map<Depth2>>;

/// A level of a nested crdts map (or the register at the bottom).
trait CrdtsNode: CmRDT + Clone + Default + ResetRemove<u64> + Debug {
    /// The op that writes `value` to the register at the end of `path`.
    fn write_op(&self, path: &[&str], value: u64, ctx: AddCtx<u64>) -> Self::Op;
    /// How many keys the map at the end of `path` holds.
    fn len_at(&self, path: &[&str]) -> usize;
    /// The context of a write by `actor`, as a user reads it before writing.
    fn add_ctx(&self, actor: u64) -> AddCtx<u64>;
}

impl CrdtsNode for Reg {
    fn write_op(&self, path: &[&str], value: u64, ctx: AddCtx<u64>) -> Self::Op {
        debug_assert!(path.is_empty());
        self.write(value, ctx)
    }
    fn len_at(&self, _path: &[&str]) -> usize {
        0
    }
    fn add_ctx(&self, actor: u64) -> AddCtx<u64> {
        self.read_ctx().derive_add_ctx(actor)
    }
}

impl<V: CrdtsNode> CrdtsNode for Map<V> {
    fn write_op(&self, path: &[&str], value: u64, ctx: AddCtx<u64>) -> Self::Op {
        let (key, rest) = path.split_first().expect("a path ends at a register");
        self.update(*key, ctx, |child, ctx| child.write_op(rest, value, ctx))
    }
    fn len_at(&self, path: &[&str]) -> usize {
        match path.split_first() {
            None => self.len().val,
            Some((key, rest)) => self
                .iter()
                .find(|entry| entry.val.0 == key)
                .map_or(0, |entry| entry.val.1.len_at(rest)),
        }
    }
    fn add_ctx(&self, actor: u64) -> AddCtx<u64> {
        self.read_ctx().derive_add_ctx(actor)
    }
}

/// A local write by `actor` at `path` (read context, op, apply); returns the op, what
/// a peer applies.
fn crdts_write<T: CrdtsNode<Op: Clone>>(
    map: &mut T,
    path: &[&str],
    value: u64,
    actor: u64,
) -> T::Op {
    let op = map.write_op(path, value, map.add_ctx(actor));
    map.apply(op.clone());
    op
}

fn crdts_points<T: CrdtsNode<Op: Clone>>(
    depth: usize,
    n: usize,
    plan: &Plan,
    out: &mut Vec<Point>,
) {
    let parents = scaling_parents(depth);
    let keys: Vec<String> = (0..n).map(scaling_key).collect();
    let mut map = T::default();
    for (i, path) in scaling_paths(depth, &keys).iter().enumerate() {
        crdts_write(&mut map, path, i as u64, 0);
    }
    assert_eq!(map.len_at(parents), n);
    let picks: Vec<String> = scaling_picks(n, plan.ops)
        .into_iter()
        .map(scaling_key)
        .collect();
    let paths = scaling_paths(depth, &picks);

    // apply: another actor's one-key ops, made on its copy.
    let mut other = map.clone();
    let ops: Vec<T::Op> = paths
        .iter()
        .enumerate()
        .map(|(i, path)| crdts_write(&mut other, path, (n + i) as u64, 1))
        .collect();
    let mut state = map.clone();
    let timing = time_each(ops, plan, |op| state.apply(black_box(op)));
    assert_eq!(state.len_at(parents), n);
    drop(state);
    let (ns_per_op, ops) = timing;
    out.push(Point {
        workload: "apply",
        depth,
        n,
        subject: "crdts",
        ns_per_op,
        ops,
    });
    print_point(out.last().expect("just pushed"));

    // write: a local write (read context, op, apply).
    let mut value = 2 * n as u64;
    let timing = time_each(paths, plan, |path| {
        value += 1;
        black_box(crdts_write(&mut map, &path, value, 0));
    });
    assert_eq!(map.len_at(parents), n);
    let (ns_per_op, ops) = timing;
    out.push(Point {
        workload: "write",
        depth,
        n,
        subject: "crdts",
        ns_per_op,
        ops,
    });
    print_point(out.last().expect("just pushed"));
}

// ---------------------------------------------------------------------------------

fn print_point(p: &Point) {
    println!(
        "{:<8} depth {} n {:>7} {:<9} {:>12.0} ns/op ({} ops)",
        p.workload, p.depth, p.n, p.subject, p.ns_per_op, p.ops
    );
}

/// The 1-minute load average (0 where `/proc/loadavg` is unreadable).
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

fn main() {
    let small = std::env::var("CONVERGE_BENCH_SMALL").is_ok_and(|v| v == "1");
    let plan = if small { &SMALL } else { &FULL };
    let (started, load_start) = (Instant::now(), load_average());
    let mut points = Vec::new();
    for &n in plan.sizes {
        for depth in SCALING_DEPTHS {
            converge_points(depth, n, plan, &mut points);
            match depth {
                0 => crdts_points::<Depth0>(depth, n, plan, &mut points),
                2 => crdts_points::<Depth2>(depth, n, plan, &mut points),
                4 => crdts_points::<Depth4>(depth, n, plan, &mut points),
                _ => unreachable!("SCALING_DEPTHS are 0, 2 and 4"),
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("scaling: {} points in {seconds:.0} s", points.len());
    if small {
        println!("(CONVERGE_BENCH_SMALL=1: results/scaling-rust.tsv left unchanged)");
        return;
    }
    // Same columns as the JS bench's results/scaling-js.tsv (whose `note` says why a
    // point was not measured; every Rust point is).
    let mut tsv = String::from("workload\tdepth\tn\tsubject\tns_per_op\tops\tnote\n");
    for p in &points {
        tsv += &format!(
            "{}\t{}\t{}\t{}\t{:.1}\t{}\t\n",
            p.workload, p.depth, p.n, p.subject, p.ns_per_op, p.ops
        );
    }
    tsv += &format!("run\t0\t0\tload_start\t{load_start:.2}\t0\t\n");
    tsv += &format!("run\t0\t0\tload_end\t{:.2}\t0\t\n", load_average());
    tsv += &format!("run\t0\t0\tseconds\t{seconds:.1}\t0\t\n");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results/scaling-rust.tsv");
    std::fs::write(path, tsv).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    println!("written to {path}");
}
