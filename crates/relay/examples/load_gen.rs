//! Load generator for the relay bench (benches/relay/run.sh): `clients` clients of one
//! document in this process, the first `writers` of them writing `rate` times a
//! second each. A write sets the writer's counter `["t", <writer>]` to the wall
//! clock in microseconds (an increment by the time elapsed since its last value), so
//! every client reads each write's send time from the document and records the
//! delivery latency of every write it sees. Prints one line of JSON: counts and this
//! process's CPU seconds; the latency samples (µs, one a line) go to OUT_FILE.
//!
//! cargo run --release -p converge-relay --example load_gen -- \
//!     URL DOC CLIENTS WRITERS RATE SECONDS NAME OUT_FILE MODE
//!
//! MODE: `write` (the first WRITERS clients here write), `watch` (clients only read;
//! they watch the WRITERS writers of the `write` process), `idle` (connect and stay).

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use converge_ormap::{Counter, Document};
use converge_relay::{Client, ClientOptions};

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn counter_at(doc: &Document, key: &str) -> u64 {
    doc.get_at(&["t", key])
        .and_then(|n| n.get::<Counter>())
        .map_or(0, |c| u64::try_from(c.value()).unwrap_or(0))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 10 {
        eprintln!("usage: load_gen URL DOC CLIENTS WRITERS RATE SECONDS NAME OUT_FILE MODE");
        std::process::exit(2);
    }
    let (url, doc) = (args[1].clone(), args[2].clone());
    let parse = |i: usize| args[i].parse::<u64>().unwrap_or(0);
    let (clients, writers, rate, seconds) = (parse(3), parse(4), parse(5), parse(6));
    let (name, out) = (args[7].clone(), args[8].clone());
    let idle = args[9] == "idle";
    let hosts_writers = args[9] == "write";
    let options = ClientOptions {
        min_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(5),
        ..ClientOptions::default()
    };
    let mut all = Vec::new();
    for _ in 0..clients {
        all.push(Arc::new(
            Client::connect(&url, &doc, options.clone()).expect("client"),
        ));
        // Connect at a bounded pace (a thundering herd measures the herd).
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for c in &all {
        let _ = tokio::time::timeout(Duration::from_secs(60), c.wait_connected()).await;
    }
    let connected = all.iter().filter(|c| c.is_connected()).count();
    if idle {
        println!("{{\"name\":\"{name}\",\"connected\":{connected}}}");
        let _ = std::io::stdout().flush();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        return;
    }
    let cpu_start = cpu_seconds();
    let (samples_tx, mut samples_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (i, client) in all.iter().enumerate() {
        // Every client watches every writer's counter.
        let (watcher, tx) = (Arc::clone(client), samples_tx.clone());
        // A writer does not time its own writes.
        let own = (hosts_writers && (i as u64) < writers).then(|| format!("w-{i}"));
        let keys: Vec<String> = (0..writers)
            .map(|w| format!("w-{w}"))
            .filter(|k| Some(k) != own.as_ref())
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut frames = watcher.frames();
            let mut seen: Vec<u64> = vec![0; keys.len()];
            loop {
                tokio::select! {
                    changed = frames.changed() => if changed.is_err() { break },
                    _ = tokio::time::sleep_until(deadline) => break,
                }
                let now = now_micros();
                watcher.read(|doc| {
                    for (k, key) in keys.iter().enumerate() {
                        let sent = counter_at(doc, key);
                        if sent > seen[k] {
                            if seen[k] > 0 {
                                let _ = tx.send(now.saturating_sub(sent));
                            }
                            seen[k] = sent;
                        }
                    }
                });
            }
        }));
        if hosts_writers && (i as u64) < writers {
            let writer = Arc::clone(client);
            let key = format!("w-{i}");
            let period = Duration::from_micros(1_000_000 / rate.max(1));
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(period);
                while tokio::time::Instant::now() < deadline {
                    tick.tick().await;
                    let key = key.clone();
                    writer.update(move |doc, id| {
                        let current = counter_at(doc, &key);
                        let by = now_micros().saturating_sub(current).max(1);
                        doc.update_at(&["t", &key], |c: &mut Counter| c.increment(id, by))
                            .unwrap_or_default()
                    });
                }
            }));
        }
    }
    drop(samples_tx);
    // The samples stay in memory until the end, as the Yjs generator's do: a write
    // (a system call) per sample during the run cost this process CPU in every burst
    // of deliveries, on the cores the relay and the other clients share.
    let mut samples: Vec<u64> = Vec::new();
    let collect = async {
        while let Some(sample) = samples_rx.recv().await {
            samples.push(sample);
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(seconds + 5), collect).await;
    for t in tasks {
        t.abort();
    }
    let count = samples.len();
    let mut text = String::with_capacity(count * 8);
    for sample in &samples {
        text.push_str(&sample.to_string());
        text.push('\n');
    }
    std::fs::write(&out, text).expect("samples file");
    println!(
        "{{\"name\":\"{name}\",\"connected\":{connected},\"samples\":{count},\"cpu_seconds\":{:.2}}}",
        cpu_seconds() - cpu_start
    );
}
