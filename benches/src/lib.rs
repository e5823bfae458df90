//! Benchmarks of converge. The benchmarks live under `benches/` (run them with
//! `cargo bench -p converge-benches`); their byte figures are kept under `results/`.
//! This library holds what more than one of them runs.

pub mod workloads;
