//! Differential workloads for the registers. The MV-Register against a model of
//! (writer, value) contributions: every live one is a sibling. The LWW-Register
//! against a model of (timestamp, writer, value) contributions ranked by the
//! documented tie-break: the greatest timestamp, then the greater replica id, then
//! (two live writes of one replica) the later write. Timestamps come from clocks
//! reading 0-3 ms, so ties and near-ties are common, and writers observe the latest
//! timestamp they hold before stamping, as `LwwRegister::set` documents.

use converge_core::{Hlc, ManualClock, ReplicaId, Timestamp};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use serde::{Deserialize, Serialize};

use super::model::{same, Checked, Tagged};
use crate::simulator::{Rng, Workload};

/// The real MV-Register and its model.
pub(crate) type CheckedMv = Checked<MvRegister<u32>, Tagged<(ReplicaId, u32)>>;

/// Writes (three in four) and clears of an MV-Register and its model.
#[derive(Debug, Default)]
pub(crate) struct MvAgainstModel;

impl Workload for MvAgainstModel {
    type State = CheckedMv;

    fn write(
        &mut self,
        rng: &mut Rng,
        _: usize,
        r: &mut CheckedMv,
        writer: ReplicaId,
        write: u64,
    ) -> CheckedMv {
        if rng.chance(75) {
            let value = write as u32;
            Checked {
                real: r.real.write(writer, value),
                model: r.model.write(write, (writer, value), |_| true),
            }
        } else {
            Checked {
                real: r.real.clear(),
                model: r.model.remove(|_| true),
            }
        }
    }

    fn check(&self, r: &CheckedMv) -> Result<(), String> {
        let mut real: Vec<(ReplicaId, u32)> =
            r.real.siblings().map(|(d, v)| (d.replica, *v)).collect();
        real.sort_unstable();
        let mut model: Vec<(ReplicaId, u32)> = r.model.live().map(|(_, c)| *c).collect();
        model.sort_unstable();
        same("MV-Register siblings", real, model.clone())?;
        same(
            "MV-Register resolved by the greatest value",
            r.real.resolve(|s| s.iter().copied().max()).copied(),
            model.iter().map(|(_, v)| *v).max(),
        )?;
        same(
            "MV-Register conflicted",
            r.real.is_conflicted(),
            model.len() > 1,
        )
    }
}

/// One LWW write as the model keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Stamp {
    pub(crate) timestamp: Timestamp,
    pub(crate) writer: ReplicaId,
    pub(crate) value: u32,
}

/// The real LWW-Register and its model.
pub(crate) type CheckedLww = Checked<LwwRegister<u32>, Tagged<Stamp>>;

/// Live stamps ranked winner first: timestamp, then replica id, then write number.
pub(crate) fn ranked<'a>(live: impl Iterator<Item = (u64, &'a Stamp)>) -> Vec<Stamp> {
    let mut all: Vec<(Timestamp, ReplicaId, u64, Stamp)> =
        live.map(|(w, s)| (s.timestamp, s.writer, w, *s)).collect();
    all.sort_unstable_by(|a, b| b.cmp(a));
    all.into_iter().map(|(.., s)| s).collect()
}

/// The timestamp the model's writer stamps: a clock reading `millis` that first
/// observes the latest live timestamp (the winner's).
pub(crate) fn stamp_after(ranked: &[Stamp], millis: u64) -> Timestamp {
    let mut clock = Hlc::new(ManualClock::new(millis));
    if let Some(latest) = ranked.first() {
        clock.observe(latest.timestamp);
    }
    clock.tick()
}

/// The read under a skew tolerance as the model sees it: the winner and the rivals
/// whose milliseconds are closer to the winner's than the tolerance.
pub(crate) fn judged(ranked: &[Stamp], tolerance: u64) -> (Option<u32>, Vec<u32>) {
    let Some(winner) = ranked.first() else {
        return (None, Vec::new());
    };
    let rivals = ranked[1..]
        .iter()
        .take_while(|s| winner.timestamp.millis.abs_diff(s.timestamp.millis) < tolerance)
        .map(|s| s.value)
        .collect();
    (Some(winner.value), rivals)
}

/// Sets (four in five) and clears of an LWW-Register and its model.
#[derive(Debug, Default)]
pub(crate) struct LwwAgainstModel;

impl Workload for LwwAgainstModel {
    type State = CheckedLww;

    fn write(
        &mut self,
        rng: &mut Rng,
        _: usize,
        r: &mut CheckedLww,
        writer: ReplicaId,
        write: u64,
    ) -> CheckedLww {
        if rng.chance(80) {
            let millis = rng.below(4);
            let value = write as u32;
            let timestamp = stamp_after(&ranked(r.model.live()), millis);
            let stamp = Stamp {
                timestamp,
                writer,
                value,
            };
            Checked {
                real: r
                    .real
                    .set(writer, &mut Hlc::new(ManualClock::new(millis)), value),
                model: r.model.write(write, stamp, |_| true),
            }
        } else {
            Checked {
                real: r.real.clear(),
                model: r.model.remove(|_| true),
            }
        }
    }

    fn check(&self, r: &CheckedLww) -> Result<(), String> {
        let model = ranked(r.model.live());
        let real: Vec<Stamp> = r
            .real
            .writes()
            .iter()
            .map(|w| Stamp {
                timestamp: w.timestamp,
                writer: w.writer(),
                value: *w.value,
            })
            .collect();
        same("LWW-Register writes, winner first", real, model.clone())?;
        same(
            "LWW-Register value",
            r.real.value().copied(),
            model.first().map(|s| s.value),
        )?;
        for tolerance in [0, 2] {
            let read = r.real.read(tolerance);
            let rivals = match &read {
                converge_lwwregister::LwwRead::Ambiguous { rivals, .. } => {
                    rivals.iter().map(|w| *w.value).collect()
                }
                _ => Vec::new(),
            };
            same(
                &format!("LWW-Register read with a skew tolerance of {tolerance} ms"),
                (read.value().copied(), rivals),
                judged(&model, tolerance),
            )?;
        }
        Ok(())
    }
}
