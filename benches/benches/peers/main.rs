//! Side-by-side benchmarks: converge against its peers on the same work in the same run.
//!
//! Peers: the `crdts` crate (7.3: GCounter, PNCounter, Orswot, LWWReg, MVReg, Map),
//! `dson` (0.3: `CausalDotStore<OrMap<String>>` of `MvReg`s, map workloads only) and
//! std collections (`HashSet<String>`, `HashMap`) as the floor that has no merge
//! semantics at all.
//!
//! Two kinds of figures:
//! - times, measured by criterion (group = workload, function = subject); the
//!   `report` binary reads them back from `target/criterion/*/*/new/estimates.json`;
//! - bytes, measured once before criterion starts: encoded size (converge:
//!   `Codec::encode`; crdts and dson: bincode 1.x) and heap bytes (a counting global
//!   allocator, `cap`, over the whole bench binary: the bytes still allocated after
//!   building a value, so transient allocations are not counted). These go to stdout
//!   and, at full size, to `results/peers_sizes.tsv`.
//!
//! `CONVERGE_BENCH_SMALL=1` shrinks every workload (for a quick CI run with
//! `-- --test`); a small run prints its figures but leaves the results file alone.
//!
//! One file per workload under `peers/` (counters, orset, registers, map), each with
//! the subjects' builders, its byte figures and its timings; `harness.rs` holds what
//! they share.

use std::alloc::System;

use cap::Cap;
use criterion::Criterion;

use crate::harness::{Figure, Sizes, FULL, SMALL};

mod counters;
mod harness;
mod map;
mod orset;
mod registers;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Every byte figure, in the order of `results/peers_sizes.tsv`.
fn measure_sizes(sizes: Sizes) -> Vec<Figure> {
    let mut out = Vec::new();
    orset::figures(sizes, &mut out);
    counters::figures(sizes, &mut out);
    registers::figures(sizes, &mut out);
    map::figures(sizes, &mut out);
    out
}

/// The 1-minute load average times 100 (0 where `/proc/loadavg` is unreadable).
fn load_average_x100() -> usize {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0, |l| (l * 100.0).round() as usize)
}

fn main() {
    let small = std::env::var("CONVERGE_BENCH_SMALL").is_ok_and(|v| v == "1");
    let sizes = if small { SMALL } else { FULL };

    let mut figures = measure_sizes(sizes);
    // The machine's load when the bench starts (other processes skew the times).
    figures.push(Figure(
        "machine",
        "load average x100",
        "start",
        load_average_x100(),
    ));
    let mut tsv = String::from("workload\tmeasure\tsubject\tvalue\n");
    for Figure(workload, measure, subject, value) in &figures {
        println!("{workload:<12} {measure:<24} {subject:<9} {value}");
        tsv += &format!("{workload}\t{measure}\t{subject}\t{value}\n");
    }
    if small {
        println!("(CONVERGE_BENCH_SMALL=1: results/peers_sizes.tsv left unchanged)\n");
    } else {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results/peers_sizes.tsv");
        std::fs::write(path, &tsv).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        println!("written to {path}\n");
    }

    let mut c = Criterion::default().configure_from_args();
    counters::bench(&mut c, sizes);
    orset::bench(&mut c, sizes);
    registers::bench(&mut c, sizes);
    map::bench(&mut c, sizes);
    c.final_summary();
}
