//! Profiles the document write path (issue 16): 100,000 register writes over 10,000
//! top-level keys, as one `write_all` batch and as one `write` each (each delta joined
//! into one pending delta, as the wasm keeps them), and the batch delta's encoding.
//! Run with `cargo run --release -p converge-ormap --example write_profile [batch|indexed|single]`
//! (under `perf record` for a profile).

use std::time::Instant;

use converge_core::{Codec, Hlc, Lattice, ManualClock, ReplicaId};
use converge_ormap::{Document, Policies, Value, Write, WriteGuard};

const WRITES: usize = 100_000;
const KEYS: usize = 10_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let keys: Vec<String> = (0..KEYS).map(|i| format!("k{i}")).collect();
    let policies = Policies::new();
    let guard = WriteGuard {
        writer: ReplicaId::new(1),
        policies: &policies,
        if_match: None,
    };
    let mut best = [std::time::Duration::MAX; 4];
    for round in 0..15 {
        if mode.is_empty() || mode == "batch" {
            let mut clock = Hlc::new(ManualClock::new(1_000));
            let mut doc = Document::new();
            let start = Instant::now();
            let writes = (0..WRITES).map(|i| {
                let path = vec![keys[i % KEYS].clone()];
                (path, Write::Set(Value::Int(i as i64)))
            });
            let delta = doc.write_all(writes, &guard, &mut clock)?;
            let written = start.elapsed();
            let bytes = delta.encode()?;
            let encoded = start.elapsed() - written;
            best[0] = best[0].min(written);
            best[1] = best[1].min(encoded);
            println!(
                "round {round} batch: write_all {written:?}, encode {encoded:?} ({} bytes)",
                bytes.len()
            );
        }
        if mode.is_empty() || mode == "indexed" {
            // The wasm's shape: each write names its path by index into the change's
            // distinct paths (the writes, not the paths, are made in the timed part).
            let paths: Vec<Vec<String>> = keys.iter().map(|k| vec![k.clone()]).collect();
            let mut clock = Hlc::new(ManualClock::new(1_000));
            let mut doc = Document::new();
            let start = Instant::now();
            let writes = (0..WRITES)
                .map(|i| (i % KEYS, Write::Set(Value::Int(i as i64))))
                .collect();
            doc.write_all_indexed(&paths, writes, &guard, &mut clock)?;
            best[3] = best[3].min(start.elapsed());
            println!(
                "round {round} indexed: write_all_indexed {:?}",
                start.elapsed()
            );
        }
        if mode.is_empty() || mode == "single" || mode == "nojoin" {
            let mut clock = Hlc::new(ManualClock::new(1_000));
            let mut doc = Document::new();
            let mut pending = Document::new();
            let start = Instant::now();
            for i in 0..WRITES {
                let delta = doc.write(
                    &[keys[i % KEYS].as_str()],
                    Write::Set(Value::Int(i as i64)),
                    &guard,
                    &mut clock,
                )?;
                if mode != "nojoin" {
                    pending.join(delta);
                }
            }
            best[2] = best[2].min(start.elapsed());
            println!("round {round} single: {:?}", start.elapsed());
        }
    }
    println!(
        "fastest: write_all {:?}, encode {:?}, single {:?}, write_all_indexed {:?}",
        best[0], best[1], best[2], best[3]
    );
    Ok(())
}
