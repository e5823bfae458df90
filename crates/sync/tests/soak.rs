//! The network simulator's long-run mode (`make soak`) and the regressions it found.
//!
//! `soak` (ignored by default) runs seed after seed at 12 replicas, every workload of
//! `workloads/` on each seed (the differential ones included), alternating clean and
//! crash restarts, for `SOAK_MINUTES` minutes (default 1) or `SOAK_SEEDS` seeds,
//! starting at `SOAK_FIRST_SEED` (default 1,000,000, clear of the seeds CI runs).
//! `SOAK_REPLICAS` changes the replica count. Every minute and at the end it prints
//! the seeds, runs, operations (writes), messages sent, dropped and duplicated, and
//! the divergences (runs that failed: not converged, a lost write, a model mismatch).
//!
//! A failed run is shrunk (fewer rounds and replicas, fault rates down to zero while
//! it still fails) and the reproduction is appended as one line to
//! `tests/soak-regressions.txt`, which `soak_regressions_replay` runs in every
//! `make test`: commit the line with the fix.

mod simulator;
mod support;
mod workloads;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use converge_orset::OrSet;
use simulator::{run, shrink, Repro, Restarts, SimConfig, Stats, Workload};

fn regression_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/soak-regressions.txt")
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|e| panic!("{name}=`{value}` is not a number: {e}")),
    )
}

/// The reproductions in the regression file (`#` starts a comment).
fn regressions() -> Vec<Repro> {
    let text = std::fs::read_to_string(regression_file()).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.parse()
                .unwrap_or_else(|e| panic!("soak-regressions.txt: {e}"))
        })
        .collect()
}

fn replay(repro: &Repro) -> Result<Stats, String> {
    workloads::run_named(&repro.workload, repro.seed, &repro.config)
        .unwrap_or_else(|| Err(format!("unknown workload `{}`", repro.workload)))
}

/// Every reproduction the soak mode (or a person) recorded converges now.
#[test]
fn soak_regressions_replay() {
    let all = regressions();
    assert!(!all.is_empty(), "the regression file lists its first case");
    for repro in &all {
        let stats = replay(repro).unwrap_or_else(|e| panic!("{repro}\n{e}"));
        assert_eq!(stats.converged, 1, "{repro}");
    }
}

#[test]
#[ignore = "long run: make soak (SOAK_MINUTES, SOAK_SEEDS, SOAK_REPLICAS, SOAK_FIRST_SEED)"]
fn soak() {
    let minutes = env_number("SOAK_MINUTES").unwrap_or(1);
    let max_seeds = env_number("SOAK_SEEDS");
    let replicas = env_number("SOAK_REPLICAS").unwrap_or(12) as usize;
    let first = env_number("SOAK_FIRST_SEED").unwrap_or(1_000_000);
    let deadline = Instant::now() + Duration::from_secs(minutes * 60);
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut total = Stats::default();
    let mut divergences: Vec<Repro> = Vec::new();
    let mut seeds = 0;
    let report = |seeds: u64, total: &Stats, divergences: usize, elapsed: Duration| {
        eprintln!(
            "soak {:.1} min, {replicas} replicas: seeds {first}..{} ({seeds} seeds, {} \
             workloads each), operations {}, messages sent {}, dropped {}, duplicated {}, \
             delivered {}, restarts {}, states checked against models {}, divergences {divergences}",
            elapsed.as_secs_f64() / 60.0,
            first + seeds,
            workloads::NAMES.len(),
            total.writes,
            total.sent,
            total.dropped,
            total.duplicated,
            total.delivered,
            total.restarts,
            total.checks,
        );
    };
    while max_seeds.map_or(Instant::now() < deadline, |m| seeds < m) {
        let seed = first + seeds;
        let config = SimConfig {
            replicas,
            restarts: if seed % 2 == 0 {
                Restarts::Clean
            } else {
                Restarts::Crash
            },
            ..SimConfig::from_seed(seed)
        };
        for name in workloads::NAMES {
            let repro = Repro {
                workload: name.to_owned(),
                seed,
                config: config.clone(),
            };
            match replay(&repro) {
                Ok(stats) => total.add(&stats),
                Err(e) => {
                    eprintln!("DIVERGENCE {repro}\n{e}\nshrinking...");
                    let (small, runs) = shrink(&config, 400, |c| {
                        replay(&Repro {
                            config: c.clone(),
                            ..repro.clone()
                        })
                        .is_err()
                    });
                    let small = Repro {
                        config: small,
                        ..repro
                    };
                    eprintln!("minimized in {runs} runs: {small}");
                    record(&small);
                    divergences.push(small);
                }
            }
        }
        seeds += 1;
        if last_report.elapsed() >= Duration::from_secs(60) {
            report(seeds, &total, divergences.len(), started.elapsed());
            last_report = Instant::now();
        }
    }
    report(seeds, &total, divergences.len(), started.elapsed());
    eprintln!(
        "soak totals: {total}\nslowest convergence: {} healed rounds",
        total.max_heal_rounds
    );
    assert!(
        divergences.is_empty(),
        "{} divergence(s), reproductions appended to {}:\n{}",
        divergences.len(),
        regression_file().display(),
        divergences
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn record(repro: &Repro) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(regression_file())
        .expect("the regression file is writable");
    writeln!(file, "{repro}").expect("the regression file is writable");
}

/// Fails once some replica holds `limit` elements: a stand-in for a bug that needs
/// enough writes to show, to check that the shrinker keeps a failure failing.
struct Tripwire {
    limit: usize,
}

impl Workload for Tripwire {
    type State = OrSet<u64>;

    fn write(
        &mut self,
        _: &mut simulator::Rng,
        _: usize,
        set: &mut OrSet<u64>,
        writer: converge_core::ReplicaId,
        write: u64,
    ) -> OrSet<u64> {
        set.add(writer, write)
    }

    fn check(&self, set: &OrSet<u64>) -> Result<(), String> {
        if set.len() >= self.limit {
            Err(format!("{} elements", set.len()))
        } else {
            Ok(())
        }
    }
}

#[test]
fn the_shrinker_keeps_the_failure_and_makes_the_run_smaller() {
    let seed = 7;
    let original = SimConfig {
        replicas: 12,
        restarts: Restarts::Crash,
        ..SimConfig::from_seed(seed)
    };
    let fails = |c: &SimConfig| run(seed, c, &mut Tripwire { limit: 5 }).is_err();
    assert!(fails(&original), "the tripwire fires on the original run");
    let (small, runs) = shrink(&original, 400, fails);
    assert!(runs > 0);
    assert!(fails(&small), "the minimized run still fails");
    assert!(small.replicas <= original.replicas);
    assert!(small.active_rounds <= original.active_rounds);
    assert!(small.drop_percent <= original.drop_percent);
    assert!(
        small.replicas < original.replicas || small.active_rounds < original.active_rounds,
        "shrinking made the run smaller: {small:?}"
    );
    // The line the soak mode would write replays to the same configuration.
    let repro = Repro {
        workload: "orset-adds".into(),
        seed,
        config: small,
    };
    let back: Repro = repro.to_string().parse().expect("the line parses");
    assert_eq!(back, repro);
    assert!("orset-adds seed=1 replicas=3".parse::<Repro>().is_err());
}
