//! Gathers the figures of the `peers` bench into `benches/RESULTS.md` and draws the
//! ratios as `benches/results/ratios.svg`.
//!
//! Times come from criterion's own output, `<criterion dir>/<group>/<subject>/new/
//! estimates.json` (the median's point estimate, in nanoseconds: other processes on
//! a shared machine skew a few samples, which moves the mean more than the median); the criterion
//! directory is `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else the
//! workspace's `target/criterion`. Byte figures come from `results/peers_sizes.tsv`
//! (written by a full-size `peers` run), and the delta figures from
//! `results/sync_bytes.md` (written by the `sync_bytes` bench). Run it after
//! `cargo bench -p converge-benches` (`make bench` does both). The JS half's headline
//! figures come from `results/js.tsv` (see [`js`]); the scaling figures (cost per
//! operation against the document's size) from `results/scaling-rust.tsv` and
//! `results/scaling-js.tsv`, also drawn as `results/scaling.svg` (see [`scaling`]).

mod js;
mod scaling;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const BENCHES: &str = env!("CARGO_MANIFEST_DIR");

/// The peers, in column order.
const PEERS: [&str; 3] = ["crdts", "dson", "std"];

/// Timed workloads: criterion group, and how the table names it.
const TIMED: [(&str, &str); 11] = [
    (
        "gcounter_increments",
        "GCounter: 1,000,000 increments over 8 replicas",
    ),
    (
        "pncounter_increments",
        "PNCounter: 1,000,000 changes (3/4 up, 1/4 down) over 8 replicas",
    ),
    (
        "gcounter_merge",
        "GCounter: merge two counters of 1,000 replicas (500 shared)",
    ),
    (
        "pncounter_merge",
        "PNCounter: merge two counters of 1,000 replicas (500 shared)",
    ),
    ("orset_add", "OR-Set: add 100,000 distinct 16-byte strings"),
    ("orset_remove_half", "OR-Set: remove 50,000 of them"),
    (
        "orset_merge",
        "OR-Set: merge two 100,000-element sets, 50% overlap, two writers",
    ),
    ("lww_writes", "LWW register: 1,000,000 writes"),
    (
        "mv_concurrent_then_resolve",
        "MV register: 8 concurrent writers, merge, one resolving write",
    ),
    (
        "ormap_updates",
        "OR-Map: 100,000 updates over 10,000 keys (counter + register each)",
    ),
    (
        "ormap_merge",
        "OR-Map: merge two such maps written by different replicas",
    ),
];

/// Byte figures: (workload, measure) in `peers_sizes.tsv`, and how the table names it.
const SIZED: [(&str, &str, &str); 7] = [
    (
        "orset",
        "encoded bytes",
        "OR-Set of 100,000 16-byte strings: encoded bytes",
    ),
    (
        "orset",
        "heap bytes per element",
        "OR-Set of 100,000 16-byte strings: heap bytes per element",
    ),
    (
        "ormap",
        "encoded bytes",
        "OR-Map after the 100,000 updates: encoded bytes",
    ),
    (
        "ormap",
        "heap bytes per key",
        "OR-Map after the 100,000 updates: heap bytes per key",
    ),
    (
        "gcounter",
        "encoded bytes",
        "GCounter of 1,000 replicas: encoded bytes",
    ),
    (
        "pncounter",
        "encoded bytes",
        "PNCounter of 1,000 replicas: encoded bytes",
    ),
    (
        "mvregister",
        "encoded bytes",
        "MV register after the resolving write: encoded bytes",
    ),
];

/// One table row: converge's figure and each peer's (None: not measured).
struct Row {
    label: String,
    unit: &'static str,
    converge: Option<f64>,
    peers: [Option<f64>; 3],
    /// Raw element bytes, for the OR-Set encoding row.
    raw: Option<f64>,
}

fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    Path::new(BENCHES).join("../target/criterion")
}

/// The median's point estimate in `estimates.json`, in nanoseconds.
fn median_ns(dir: &Path, group: &str, subject: &str) -> Option<f64> {
    let path = dir.join(group).join(subject).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let median = &text[text.find("\"median\"")?..];
    let rest = &median[median.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

fn sizes() -> Vec<(String, String, String, f64)> {
    let path = Path::new(BENCHES).join("results/peers_sizes.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (run `cargo bench -p converge-benches --bench peers` at full size first)",
            path.display()
        )
    });
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split('\t');
            let (w, m, s, v) = (f.next()?, f.next()?, f.next()?, f.next()?);
            Some((w.into(), m.into(), s.into(), v.parse().ok()?))
        })
        .collect()
}

fn fmt_time(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn fmt_value(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "–".into(),
        Some(v) if unit == "time" => fmt_time(v),
        Some(v) => format!("{v:.0}"),
    }
}

fn ratio(converge: Option<f64>, peer: Option<f64>) -> Option<f64> {
    match (converge, peer) {
        (Some(c), Some(p)) if p > 0.0 => Some(c / p),
        _ => None,
    }
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or("–".into(), |r| format!("{r:.2}"))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The 1-minute load average now (0 where `/proc/loadavg` is unreadable).
fn load_now() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// One goal: a description, the ratio it reads, the bound, and whether lower passes.
struct Goal {
    what: String,
    ratio: Option<f64>,
    bound: f64,
}

/// A horizontal bar chart of every converge/peer ratio on a log scale, 1 in the
/// middle: bars to the left of 1 are where converge is faster or smaller.
/// The start of an SVG chart: the root element, a white background and the title in
/// bold at `title_at` (its position and size attributes).
pub(crate) fn svg_open(width: f64, height: f64, title_at: &str, title: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" {title_at} font-weight="bold">{title}</text>"#
    );
    s
}

fn svg(bars: &[(String, f64)]) -> String {
    let (label_w, plot_w, bar_h, gap, top) = (470.0, 420.0, 16.0, 6.0, 40.0);
    let width = label_w + plot_w + 80.0;
    let height = top + bars.len() as f64 * (bar_h + gap) + 40.0;
    // log10 axis from 1/100 to 100.
    let (lo, hi) = (-2.0_f64, 2.0_f64);
    let x = |r: f64| label_w + (r.log10().clamp(lo, hi) - lo) / (hi - lo) * plot_w;
    let mut s = svg_open(
        width,
        height,
        r#"y="20" font-size="14""#,
        "converge / peer (log scale; left of 1 = converge faster or smaller)",
    );
    let bottom = top + bars.len() as f64 * (bar_h + gap);
    for tick in [0.01, 0.1, 1.0, 10.0, 100.0] {
        let tx = x(tick);
        let stroke = if tick == 1.0 { "#000" } else { "#ccc" };
        let _ = writeln!(
            s,
            r#"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{bottom:.1}" stroke="{stroke}"/>"#,
            top - 4.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{tx:.1}" y="{:.1}" text-anchor="middle">{tick}</text>"#,
            bottom + 16.0
        );
    }
    for (i, (label, r)) in bars.iter().enumerate() {
        let y = top + i as f64 * (bar_h + gap);
        let (x0, x1) = (x(1.0), x(*r));
        let (left, w) = (x0.min(x1), (x1 - x0).abs().max(1.0));
        let fill = if *r <= 1.0 { "#2a9d4b" } else { "#d1495b" };
        let label = label.replace('&', "&amp;").replace('<', "&lt;");
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
            label_w - 8.0,
            y + bar_h - 4.0
        );
        let _ = writeln!(
            s,
            r#"<rect x="{left:.1}" y="{y:.1}" width="{w:.1}" height="{bar_h}" fill="{fill}"/>"#
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{r:.2}</text>"#,
            x0.max(x1) + 4.0,
            y + bar_h - 4.0
        );
    }
    s += "</svg>\n";
    s
}

fn main() {
    let dir = criterion_dir();
    let sizes = sizes();
    let size = |w: &str, m: &str, s: &str| {
        sizes
            .iter()
            .find(|(w2, m2, s2, _)| w2 == w && m2 == m && s2 == s)
            .map(|f| f.3)
    };

    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for (group, label) in TIMED {
        let converge = median_ns(&dir, group, "converge");
        if converge.is_none() {
            missing.push(group);
        }
        rows.push(Row {
            label: label.into(),
            unit: "time",
            converge,
            peers: PEERS.map(|p| median_ns(&dir, group, p)),
            raw: None,
        });
    }
    assert!(
        missing.len() < TIMED.len(),
        "no criterion results under {} (run `cargo bench -p converge-benches` first)",
        dir.display()
    );
    for (workload, measure, label) in SIZED {
        rows.push(Row {
            label: label.into(),
            unit: "bytes",
            converge: size(workload, measure, "converge"),
            peers: PEERS.map(|p| size(workload, measure, p)),
            raw: size(workload, measure, "raw"),
        });
    }

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut md = String::new();
    md += "# converge against its peers\n\n";
    md += "Written by `make bench` (the `peers` and `sync_bytes` benches, the JS bench \
           `benches/js/bench.mjs`, then `cargo run -p converge-benches --bin report`); \
           do not edit by hand. \
           See [README.md](README.md) for what each workload does.\n\n";
    let _ = writeln!(
        md,
        "Machine: {cores} cores ({}), {} {}; 1-minute load average {:.1} when the Rust \
         benches started and {:.1} when this report was written (other processes share \
         the machine, so times are noisy; ratios within one run are the figure to read). \
         Times are criterion's median of 10 samples (flat sampling; the median, as load spikes from other processes move the mean); every subject ran the \
         same work in the same run. Ratios are converge / peer: below 1 converge is \
         faster or smaller.\n",
        cpu_model(),
        std::env::consts::OS,
        std::env::consts::ARCH,
        size("machine", "load average x100", "start").unwrap_or(0.0) / 100.0,
        load_now(),
    );
    md += "Peers: `crdts` 7.3 (GCounter, PNCounter, Orswot, LWWReg, MVReg, Map), `dson` 0.3 \
           (`CausalDotStore<OrMap<String>>` of `MvReg`s; map workloads only), std \
           (`HashSet<String>`, `HashMap`: the floor, no merge semantics). Encoded bytes: \
           converge `Codec::encode` (envelope + MessagePack); crdts bincode 1.x; dson \
           MessagePack (rmp-serde), as bincode cannot encode dson's serde derives. Heap \
           bytes: bytes still allocated after building the value (counting allocator).\n\n";
    md += "![converge / peer ratios](results/ratios.svg)\n\n";
    md += "| workload | converge | crdts | dson | std | converge / crdts | converge / dson | converge / std |\n";
    md += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    let mut bars = Vec::new();
    for row in &rows {
        let ratios = row.peers.map(|p| ratio(row.converge, p));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.label,
            fmt_value(row.converge, row.unit),
            fmt_value(row.peers[0], row.unit),
            fmt_value(row.peers[1], row.unit),
            fmt_value(row.peers[2], row.unit),
            fmt_ratio(ratios[0]),
            fmt_ratio(ratios[1]),
            fmt_ratio(ratios[2]),
        );
        for (peer, r) in PEERS.iter().zip(ratios) {
            if let Some(r) = r {
                bars.push((format!("{} vs {peer}", row.label), r));
            }
        }
        if let Some(raw) = row.raw {
            let _ = writeln!(
                md,
                "| {} vs raw element bytes ({raw:.0}) | | | | | | | {} (vs raw) |",
                row.label,
                fmt_ratio(ratio(row.converge, Some(raw))),
            );
            if let Some(r) = ratio(row.converge, Some(raw)) {
                bars.push((format!("{} vs raw element bytes", row.label), r));
            }
        }
    }

    let find = |label_start: &str| rows.iter().find(|r| r.label.starts_with(label_start));
    let r_of = |label_start: &str, peer: usize| {
        find(label_start).and_then(|r| ratio(r.converge, r.peers[peer]))
    };
    let orset_enc = find("OR-Set of 100,000 16-byte strings: encoded");
    let goals = [
        Goal {
            what: "OR-Set adds within 1.5x of HashSet<String>".into(),
            ratio: r_of("OR-Set: add", 2),
            bound: 1.5,
        },
        Goal {
            what: "OR-Set merge of two 100k sets at least 5x faster than Orswot".into(),
            ratio: r_of("OR-Set: merge", 0),
            bound: 0.2,
        },
        Goal {
            what: "OR-Set heap per element within 2x HashSet<String>".into(),
            ratio: r_of("OR-Set of 100,000 16-byte strings: heap", 2),
            bound: 2.0,
        },
        Goal {
            what: "OR-Map updates faster than crdts::Map".into(),
            ratio: r_of("OR-Map: 100,000 updates", 0),
            bound: 1.0,
        },
        Goal {
            what: "OR-Map updates faster than dson".into(),
            ratio: r_of("OR-Map: 100,000 updates", 1),
            bound: 1.0,
        },
        Goal {
            what: "OR-Map merge faster than crdts::Map".into(),
            ratio: r_of("OR-Map: merge", 0),
            bound: 1.0,
        },
        Goal {
            what: "OR-Map merge faster than dson".into(),
            ratio: r_of("OR-Map: merge", 1),
            bound: 1.0,
        },
        Goal {
            what: "OR-Set encoded at most 0.4x crdts + bincode".into(),
            ratio: r_of("OR-Set of 100,000 16-byte strings: encoded", 0),
            bound: 0.4,
        },
        Goal {
            what: "OR-Map encoded at most 0.4x crdts + bincode".into(),
            ratio: r_of("OR-Map after the 100,000 updates: encoded", 0),
            bound: 0.4,
        },
        Goal {
            what: "OR-Set encoded at most 1.35x raw element bytes".into(),
            ratio: orset_enc.and_then(|r| ratio(r.converge, r.raw)),
            bound: 1.35,
        },
    ];
    let js = js::report(Path::new(BENCHES));
    let mut goals = Vec::from(goals);
    if let Some(js) = &js {
        bars.extend(js.bars.iter().cloned());
        goals.extend(js.goals.iter().map(|(what, ratio, bound)| Goal {
            what: what.clone(),
            ratio: *ratio,
            bound: *bound,
        }));
        md += &js.markdown;
    } else {
        md += "\n## JavaScript\n\nresults/js.tsv not found: run `make bench-js` (or \
               `node benches/js/bench.mjs` at full size) first.\n";
    }
    let scaling = scaling::report(Path::new(BENCHES));
    if let Some(scaling) = &scaling {
        md += &scaling.markdown;
        goals.extend(scaling.goals.iter().map(|(what, ratio, bound)| Goal {
            what: what.clone(),
            ratio: *ratio,
            bound: *bound,
        }));
    } else {
        md += "\n## Scaling\n\nresults/scaling-rust.tsv and results/scaling-js.tsv not found: \
               run `make bench` (the `scaling` bench and `benches/js/bench.mjs`) first.\n";
    }
    md += "\n## Goals\n\n| goal | ratio | bound | met |\n| --- | ---: | ---: | --- |\n";
    for g in &goals {
        let met = match g.ratio {
            Some(r) if r <= g.bound => "yes",
            Some(_) => "**no**",
            None => "not measured",
        };
        let _ = writeln!(
            md,
            "| {} | {} | ≤ {} | {met} |",
            g.what,
            fmt_ratio(g.ratio),
            g.bound
        );
    }

    md += "\nWhere the time goes for the unmet goals (callgrind profiles, and the \
           instruction counts before and after each optimisation): \
           [PROFILES.md](PROFILES.md).\n";
    md += "\nWhere the shipped wasm's bytes go, by crate and by function (twiggy), and the \
           allocator comparison: [results/size.txt](results/size.txt) and \
           [size/README.md](size/README.md), written by `bash benches/size/report.sh`.\n";
    md += "\n## Deltas\n\nFrom the `sync_bytes` bench ([results/sync_bytes.md](results/sync_bytes.md)); \
           no peer has an equivalent anti-entropy layer, so there is no ratio.\n\n";
    match std::fs::read_to_string(Path::new(BENCHES).join("results/sync_bytes.md")) {
        Ok(table) => md += &table,
        Err(e) => {
            let _ = writeln!(md, "(results/sync_bytes.md not found: {e})");
        }
    }
    if rows.iter().all(|r| r.peers[1].is_none()) {
        md += "\n**dson was not run at full size.** Each dson update is a delta joined into \
               the store, and dson's join walks every key of the store, so the map \
               workloads are quadratic there (one 100,000-update map took over 4 minutes on \
               2 cores; criterion needs at least 13). Run the benches with \
               `CONVERGE_BENCH_DSON=1` to include it anyway; the small CI run always \
               includes it.\n";
    }
    if !missing.is_empty() {
        let _ = writeln!(md, "\nNo criterion result for: {}.", missing.join(", "));
    }

    let results = Path::new(BENCHES).join("RESULTS.md");
    std::fs::write(&results, &md).unwrap_or_else(|e| panic!("cannot write RESULTS.md: {e}"));
    let chart = Path::new(BENCHES).join("results/ratios.svg");
    std::fs::write(&chart, svg(&bars)).unwrap_or_else(|e| panic!("cannot write ratios.svg: {e}"));
    if let Some(scaling) = &scaling {
        let path = Path::new(BENCHES).join("results/scaling.svg");
        std::fs::write(&path, &scaling.svg)
            .unwrap_or_else(|e| panic!("cannot write scaling.svg: {e}"));
        println!("written to {}", path.display());
    }
    println!("{md}");
    println!("written to {} and {}", results.display(), chart.display());
}
