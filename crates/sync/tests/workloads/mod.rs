//! The workloads the simulator runs, shared by the simulation, differential and soak
//! suites, and a registry that runs any of them by name (for the soak mode and its
//! regression file).
//!
//! - `basic`: adds to an OR-Set (with the lost-write check), G-Counter increments;
//! - `document`: random writes of every kind into a `Document`;
//! - differential (`orset`, `registers`, `document`): the real type and its
//!   reference model from `model`, compared after every step.

// Each test file uses a different subset of these.
#![allow(dead_code, unused_imports)]

pub(crate) mod basic;
pub(crate) mod document;
pub(crate) mod model;
pub(crate) mod orset;
pub(crate) mod registers;

pub(crate) use basic::{AddOnlySet, Increments};
pub(crate) use document::{DocumentAgainstModel, DocumentWrites};
pub(crate) use orset::SetAgainstModel;
pub(crate) use registers::{LwwAgainstModel, MvAgainstModel};

use crate::simulator::{run, SimConfig, Stats};

/// Every workload, by name.
pub(crate) const NAMES: [&str; 7] = [
    "orset-adds",
    "gcounter",
    "document",
    "orset-vs-model",
    "mvregister-vs-model",
    "lwwregister-vs-model",
    "document-vs-model",
];

/// Runs the workload called `name` (one of [`NAMES`]); `None` for an unknown name.
pub(crate) fn run_named(
    name: &str,
    seed: u64,
    config: &SimConfig,
) -> Option<Result<Stats, String>> {
    let stats = match name {
        "orset-adds" => run(seed, config, &mut AddOnlySet).map(|(s, _)| s),
        "gcounter" => {
            let mut increments = Increments::default();
            run(seed, config, &mut increments).and_then(|(s, counter)| {
                if counter.value() > increments.total {
                    Err(format!(
                        "seed {seed}: the counter reads {} but only {} was incremented",
                        counter.value(),
                        increments.total
                    ))
                } else {
                    Ok(s)
                }
            })
        }
        "document" => run(seed, config, &mut DocumentWrites).map(|(s, _)| s),
        "orset-vs-model" => run(seed, config, &mut SetAgainstModel).map(|(s, _)| s),
        "mvregister-vs-model" => run(seed, config, &mut MvAgainstModel).map(|(s, _)| s),
        "lwwregister-vs-model" => run(seed, config, &mut LwwAgainstModel).map(|(s, _)| s),
        "document-vs-model" => run(seed, config, &mut DocumentAgainstModel).map(|(s, _)| s),
        _ => return None,
    };
    Some(stats)
}
