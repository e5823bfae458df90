//! Reproductions of failed runs: a workload, a seed and a configuration as one line
//! of text (what the soak mode writes to its regression file and the regression test
//! replays), and the shrinker that makes a failing configuration as small as it can
//! while it still fails.

use std::fmt;
use std::str::FromStr;

use super::{Restarts, SimConfig, Topology};

/// One failed run, replayable: `workload seed=… replicas=… topology=… …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Repro {
    pub(crate) workload: String,
    pub(crate) seed: u64,
    pub(crate) config: SimConfig,
}

impl fmt::Display for Repro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        write!(
            f,
            "{} seed={} replicas={} topology={} restarts={} rounds={} write={} drop={} \
             duplicate={} delay={} max_delay={} partition={} save={} restart={} heal={}",
            self.workload,
            self.seed,
            c.replicas,
            match c.topology {
                Topology::Full => "full",
                Topology::Star => "star",
            },
            match c.restarts {
                Restarts::Crash => "crash",
                Restarts::Clean => "clean",
            },
            c.active_rounds,
            c.write_percent,
            c.drop_percent,
            c.duplicate_percent,
            c.delay_percent,
            c.max_delay,
            c.partition_percent,
            c.save_percent,
            c.restart_percent,
            c.heal_rounds,
        )
    }
}

impl FromStr for Repro {
    type Err = String;

    fn from_str(line: &str) -> Result<Self, String> {
        let mut words = line.split_whitespace();
        let workload = words.next().ok_or("an empty reproduction line")?.to_owned();
        let mut seed = None;
        // Every field must be given: start from an arbitrary configuration and
        // count the fields set.
        let mut c = SimConfig::from_seed(0);
        let mut set = 0;
        for word in words {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| format!("`{word}` is not key=value"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|e| format!("{key}: `{value}` is not a number: {e}"))
            };
            match key {
                "seed" => seed = Some(number()?),
                "replicas" => c.replicas = number()? as usize,
                "topology" => {
                    c.topology = match value {
                        "full" => Topology::Full,
                        "star" => Topology::Star,
                        _ => return Err(format!("unknown topology `{value}`")),
                    }
                }
                "restarts" => {
                    c.restarts = match value {
                        "crash" => Restarts::Crash,
                        "clean" => Restarts::Clean,
                        _ => return Err(format!("unknown restart kind `{value}`")),
                    }
                }
                "rounds" => c.active_rounds = number()?,
                "write" => c.write_percent = number()?,
                "drop" => c.drop_percent = number()?,
                "duplicate" => c.duplicate_percent = number()?,
                "delay" => c.delay_percent = number()?,
                "max_delay" => c.max_delay = number()?,
                "partition" => c.partition_percent = number()?,
                "save" => c.save_percent = number()?,
                "restart" => c.restart_percent = number()?,
                "heal" => c.heal_rounds = number()?,
                _ => return Err(format!("unknown field `{key}`")),
            }
            set += 1;
        }
        if set != 14 {
            return Err(format!("{set} fields given, 14 expected: `{line}`"));
        }
        if c.replicas < 2 || c.max_delay == 0 {
            return Err(format!(
                "at least 2 replicas and a max_delay of 1: `{line}`"
            ));
        }
        Ok(Repro {
            workload,
            seed: seed.ok_or("no seed")?,
            config: c,
        })
    }
}

/// Smaller variants of `c`, most aggressive first.
fn smaller(c: &SimConfig) -> Vec<SimConfig> {
    let mut out = Vec::new();
    let mut with = |change: &dyn Fn(&mut SimConfig)| {
        let mut d = c.clone();
        change(&mut d);
        if d != *c {
            out.push(d);
        }
    };
    with(&|d| d.active_rounds = (d.active_rounds / 2).max(1));
    with(&|d| d.active_rounds = d.active_rounds.saturating_sub(1).max(1));
    with(&|d| d.replicas = (d.replicas / 2).max(2));
    with(&|d| d.replicas = (d.replicas - 1).max(2));
    with(&|d| d.topology = Topology::Full);
    with(&|d| d.restarts = Restarts::Clean);
    fn drop(d: &mut SimConfig) -> &mut u64 {
        &mut d.drop_percent
    }
    fn duplicate(d: &mut SimConfig) -> &mut u64 {
        &mut d.duplicate_percent
    }
    fn delay(d: &mut SimConfig) -> &mut u64 {
        &mut d.delay_percent
    }
    fn partition(d: &mut SimConfig) -> &mut u64 {
        &mut d.partition_percent
    }
    fn restart(d: &mut SimConfig) -> &mut u64 {
        &mut d.restart_percent
    }
    fn save(d: &mut SimConfig) -> &mut u64 {
        &mut d.save_percent
    }
    fn write(d: &mut SimConfig) -> &mut u64 {
        &mut d.write_percent
    }
    let knobs: [fn(&mut SimConfig) -> &mut u64; 7] =
        [drop, duplicate, delay, partition, restart, save, write];
    for knob in knobs {
        with(&|d| *knob(d) = 0);
        with(&|d| *knob(d) /= 2);
    }
    with(&|d| d.max_delay = 1);
    out
}

/// Shrinks a failing configuration greedily: takes the first smaller variant that
/// still fails, until none does (or `budget` runs are spent). Returns the smallest
/// failing configuration found and how many runs the search took.
pub(crate) fn shrink(
    config: &SimConfig,
    budget: usize,
    fails: impl Fn(&SimConfig) -> bool,
) -> (SimConfig, usize) {
    let mut current = config.clone();
    let mut runs = 0;
    'search: while runs < budget {
        for candidate in smaller(&current) {
            runs += 1;
            if fails(&candidate) {
                current = candidate;
                continue 'search;
            }
            if runs >= budget {
                break 'search;
            }
        }
        break;
    }
    (current, runs)
}
