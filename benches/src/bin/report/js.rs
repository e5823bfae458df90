//! The JS half of the report: reads `results/js.tsv` (written by a full-size run of
//! `benches/js/bench.mjs`) and gives the table of converge/peer ratios, the JS goals
//! of issue 7 and the chart's bars. The full JS report is `results/js.md`.

use std::fmt::Write as _;
use std::path::Path;

/// The JS peers, in column order.
const PEERS: [&str; 3] = ["Yjs", "Automerge", "Loro"];

/// Headline measures: tsv name, table label (`{n}`: the writes), unit.
const MEASURES: [(&str, &str, &str); 12] = [
    (
        "doc_writes_ms",
        "JS Document: {n} writes over {k} keys, one change / transaction / commit",
        "ms",
    ),
    (
        "doc_single_writes_ms",
        "JS Document: {n} writes over {k} keys, one at a time",
        "ms",
    ),
    (
        "doc_nested_writes_ms",
        "JS Document: the same writes nested at ['users', key, 'n'], one change / transaction / commit",
        "ms",
    ),
    (
        "doc_nested_single_writes_ms",
        "JS Document: the same writes nested at ['users', key, 'n'], one at a time",
        "ms",
    ),
    ("encoded_bytes", "JS Document: encoded bytes", "bytes"),
    (
        "decode_merge_ms",
        "JS Document: decode two replicas + merge",
        "ms",
    ),
    ("set_adds_ms", "JS: {n} set adds", "ms"),
    ("increments_ms", "JS: {k} counter increments", "ms"),
    (
        "increments_batch_ms",
        "JS: {k} counter increments, one change / commit",
        "ms",
    ),
    (
        "increments_single_ms",
        "JS: {k} counter increments, one at a time",
        "ms",
    ),
    (
        "heap_bytes",
        "JS: heap after building the document",
        "bytes",
    ),
    (
        "shipped_gzip_bytes",
        "JS: shipped wasm + JS, gzip -9",
        "bytes",
    ),
];

/// One JS goal: what, the ratio it reads, the bound (the ratio must be at most it).
pub(crate) type JsGoal = (String, Option<f64>, f64);

/// What the JS half contributes to the report.
pub(crate) struct JsReport {
    /// Markdown: the section with the table.
    pub(crate) markdown: String,
    /// Chart bars: label, ratio.
    pub(crate) bars: Vec<(String, f64)>,
    /// Goals of the issue that read JS figures.
    pub(crate) goals: Vec<JsGoal>,
}

fn figures(text: &str) -> Vec<(String, String, f64)> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split('\t');
            let (m, s, v) = (f.next()?, f.next()?, f.next()?);
            Some((m.into(), s.into(), v.parse().ok()?))
        })
        .collect()
}

fn fmt(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "–".into(),
        Some(ms) if unit == "ms" && ms >= 1000.0 => format!("{:.2} s", ms / 1000.0),
        Some(ms) if unit == "ms" => format!("{ms:.1} ms"),
        Some(b) => format!("{b:.0}"),
    }
}

fn int(n: f64) -> String {
    let digits = format!("{n:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The JS section, or `None` if `results/js.tsv` is missing.
pub(crate) fn report(benches: &Path) -> Option<JsReport> {
    let text = std::fs::read_to_string(benches.join("results/js.tsv")).ok()?;
    let all = figures(&text);
    let get = |m: &str, s: &str| {
        all.iter()
            .find(|(m2, s2, _)| m2 == m && s2 == s)
            .map(|f| f.2)
    };
    let writes = get("writes", "all").unwrap_or(0.0);
    let ratio = |m: &str, peer: &str| match (get(m, "converge"), get(m, peer)) {
        (Some(c), Some(p)) if p > 0.0 => Some(c / p),
        _ => None,
    };
    let mut md = String::new();
    md += "\n## JavaScript\n\nFrom `benches/js/bench.mjs` (the npm package in Node against Yjs, \
           Automerge and Loro; full report with timings, spread and method in \
           [results/js.md](results/js.md)). Ratios are converge / peer: below 1 converge \
           is faster or smaller.\n\n";
    let _ = writeln!(
        md,
        "JS run: {} cores, load average {:.1} at the start and {:.1} at the end (other \
         processes share the machine), {:.0} s.\n",
        get("cores", "all").unwrap_or(0.0),
        get("load_start", "all").unwrap_or(0.0),
        get("load_end", "all").unwrap_or(0.0),
        get("run_ms", "all").unwrap_or(0.0) / 1000.0
    );
    md += "| measure | converge | Yjs | Automerge | Loro | converge / Yjs | converge / Automerge | converge / Loro |\n";
    md += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    let mut bars = Vec::new();
    for (measure, label, unit) in MEASURES {
        let label = label
            .replace("{n}", &int(writes))
            .replace("{k}", &int(writes / 10.0));
        let mut cells = vec![label.clone(), fmt(get(measure, "converge"), unit)];
        cells.extend(PEERS.map(|p| fmt(get(measure, p), unit)));
        for peer in PEERS {
            let r = ratio(measure, peer);
            cells.push(r.map_or("–".into(), |r| format!("{r:.2}")));
            if let Some(r) = r {
                bars.push((format!("{label} vs {peer}"), r));
            }
        }
        let _ = writeln!(md, "| {} |", cells.join(" | "));
    }
    md += "\nOne change / transaction / commit: converge `Document.change`, Yjs one \
           `transact`, Automerge one `change`, Loro one `commit`. One at a time: converge \
           one call per write, Yjs one transaction per write, Loro a commit per write \
           (Automerge: none, a change per write is out of reach at this size). Yjs has no \
           counter type; Loro and Automerge use their counters (in one commit / change, \
           except in the one-at-a-time row: Loro a commit per increment), converge its \
           `Document.increment` (one call each, except in the one change / commit row: \
           one `Document.change`). Nested: the same writes one level down a record, \
           converge at the path `['users', key, 'n']`, Yjs and Loro in a `Y.Map` / \
           `LoroMap` per record under one map, made on its first write (Automerge: not \
           run).\n";
    // A size against an absolute goal of `kb` thousand bytes.
    let per_kb = |m: &str, s: &str, kb: f64| get(m, s).map(|bytes| bytes / (kb * 1000.0));
    let fastest_merge = PEERS
        .iter()
        .filter_map(|p| get("decode_merge_ms", p))
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))));
    let goals = vec![
        (
            "JS document writes at least 2x Yjs's throughput (one change / transaction)"
                .to_string(),
            ratio("doc_writes_ms", "Yjs"),
            0.5,
        ),
        (
            "JS document writes one at a time at least Yjs's throughput (a transaction per write)"
                .to_string(),
            ratio("doc_single_writes_ms", "Yjs"),
            1.0,
        ),
        (
            "JS nested document writes (at ['users', key, 'n']) at least 2x Yjs's throughput (one change / transaction)"
                .to_string(),
            ratio("doc_nested_writes_ms", "Yjs"),
            0.5,
        ),
        (
            "JS nested document writes one at a time at least Yjs's throughput (a transaction per write)"
                .to_string(),
            ratio("doc_nested_single_writes_ms", "Yjs"),
            1.0,
        ),
        (
            "JS counter increments in one change at least Loro's throughput (one commit)"
                .to_string(),
            ratio("increments_batch_ms", "Loro"),
            1.0,
        ),
        (
            "JS counter increments one at a time at least Loro's throughput (a commit each)"
                .to_string(),
            ratio("increments_single_ms", "Loro"),
            1.0,
        ),
        (
            "JS document writes at least 2x Loro's throughput".to_string(),
            ratio("doc_writes_ms", "Loro"),
            0.5,
        ),
        (
            "JS document writes at least 20x Automerge's throughput".to_string(),
            ratio("doc_writes_ms", "Automerge"),
            0.05,
        ),
        (
            "JS decode + merge at least 10x faster than the fastest peer".to_string(),
            get("decode_merge_ms", "converge")
                .zip(fastest_merge)
                .map(|(c, p)| c / p),
            0.1,
        ),
        (
            "JS encoded document at most a quarter of Yjs's".to_string(),
            ratio("encoded_bytes", "Yjs"),
            0.25,
        ),
    ];
    // The size goals: each entry's slim (wasm + glue) and default (the wasm inlined)
    // sizes against 100 KB and 140 KB, as size / goal.
    let mut goals = goals;
    for (name, subject, entry) in [
        ("JS", "converge", "converge-crdt"),
        ("JS document alone:", "converge/core", "converge-crdt/core"),
    ] {
        goals.push((
            format!("{name} slim entry (`{entry}/slim`: wasm + glue) at most 100 KB gzip (size / 100 KB)"),
            per_kb("shipped_gzip_bytes", subject, 100.0),
            1.0,
        ));
        goals.push((
            format!("{name} default entry (`{entry}`: the wasm inlined) at most 140 KB gzip (size / 140 KB)"),
            per_kb("default_entry_gzip_bytes", subject, 140.0),
            1.0,
        ));
    }
    Some(JsReport {
        markdown: md,
        bars,
        goals,
    })
}
