//! Benchmarks of converge. The benchmarks live under `benches/` (run them with
//! `cargo bench -p converge-benches`); their byte figures are kept under `results/`.
//! This library is empty: it only gives the package the target cargo requires.
