//! The scaling half of the report (issue 13): reads `results/scaling-rust.tsv` (the
//! `scaling` bench) and `results/scaling-js.tsv` (`benches/js/scaling.mjs`), and gives
//! the table of cost per operation against the number of keys, the goals (cost at
//! 100k keys within 2x of 1k; a nested delta within 2x of a top-level one) and the
//! log-log chart `results/scaling.svg`.

use std::fmt::Write as _;
use std::path::Path;

use super::fmt_ratio;

/// One figure: workload, depth, keys, subject, ns per op (None: not measured), ops
/// timed, note.
struct Point {
    workload: String,
    depth: usize,
    n: usize,
    subject: String,
    ns: Option<f64>,
    ops: usize,
    note: String,
}

/// One platform's figures.
struct Platform {
    /// "Rust" or "JS".
    name: &'static str,
    points: Vec<Point>,
    /// Run facts: load at start and end, seconds.
    run: Vec<(String, f64)>,
}

/// What the scaling half contributes to the report.
pub(crate) struct ScalingReport {
    /// Markdown: the section with the tables.
    pub(crate) markdown: String,
    /// Goals: what, the ratio it reads, the bound (the ratio must be at most it).
    pub(crate) goals: Vec<(String, Option<f64>, f64)>,
    /// The chart.
    pub(crate) svg: String,
}

/// How each workload is named, per platform and subject.
fn label(platform: &str, workload: &str, subject: &str) -> &'static str {
    match (platform, workload, subject) {
        ("Rust", "apply", "converge") => "`Document::join` of a one-write delta",
        ("Rust", "apply", _) => "`apply` of a one-key op",
        ("Rust", "write", "converge") => {
            "one write (`update_at` + `pending.join`), N writes pending"
        }
        ("Rust", "write", _) => "one local write (`update` + `apply`)",
        ("Rust", "receive", _) => "`Replica::receive` of a one-write sync message",
        ("Rust", "merge", _) => "`Replica::merge` of a one-write delta",
        ("JS", "apply", "converge") => "`doc.merge(bytes)` of a one-write delta",
        ("JS", "apply", "Yjs") => "`Y.applyUpdate` of a one-key update",
        ("JS", "apply", _) => "`doc.import` of a one-key update",
        ("JS", "write", "converge") => "`doc.set(path, v)`, N writes pending (no `takeDelta()`)",
        ("JS", "write", "Yjs") => "`ymap.set` in its own transaction",
        ("JS", "write", _) => "`map.set` + `commit()`",
        ("JS", "receive", _) => "`doc.receive(message)` of a one-write sync message",
        _ => "?",
    }
}

const WORKLOADS: [&str; 4] = ["apply", "write", "receive", "merge"];
const DEPTHS: [usize; 3] = [0, 2, 4];

fn read(benches: &Path, name: &'static str, file: &str) -> Option<Platform> {
    let text = std::fs::read_to_string(benches.join("results").join(file)).ok()?;
    let mut points = Vec::new();
    let mut run = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 6 {
            continue;
        }
        if f[0] == "run" {
            if let Ok(v) = f[4].parse() {
                run.push((f[3].to_string(), v));
            }
            continue;
        }
        points.push(Point {
            workload: f[0].into(),
            depth: f[1].parse().ok()?,
            n: f[2].parse().ok()?,
            subject: f[3].into(),
            ns: f[4].parse().ok(),
            ops: f[5].parse().unwrap_or(0),
            note: f.get(6).unwrap_or(&"").to_string(),
        });
    }
    Some(Platform { name, points, run })
}

impl Platform {
    fn get(&self, workload: &str, depth: usize, n: usize, subject: &str) -> Option<&Point> {
        self.points.iter().find(|p| {
            p.workload == workload && p.depth == depth && p.n == n && p.subject == subject
        })
    }
    fn ns(&self, workload: &str, depth: usize, n: usize, subject: &str) -> Option<f64> {
        self.get(workload, depth, n, subject).and_then(|p| p.ns)
    }
    fn sizes(&self) -> Vec<usize> {
        let mut s: Vec<usize> = self.points.iter().map(|p| p.n).collect();
        s.sort_unstable();
        s.dedup();
        s
    }
    /// Subjects in order of first appearance (converge first).
    fn subjects(&self, workload: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in self.points.iter().filter(|p| p.workload == workload) {
            if !out.contains(&p.subject.as_str()) {
                out.push(&p.subject);
            }
        }
        out
    }
    fn run(&self, what: &str) -> f64 {
        self.run
            .iter()
            .find(|(k, _)| k == what)
            .map_or(0.0, |r| r.1)
    }
    /// Cost at the largest size over cost at the smallest.
    fn growth(&self, workload: &str, depth: usize, subject: &str) -> Option<f64> {
        let sizes = self.sizes();
        let (first, last) = (*sizes.first()?, *sizes.last()?);
        Some(self.ns(workload, depth, last, subject)? / self.ns(workload, depth, first, subject)?)
    }
    /// Cost at `depth` over cost at depth 0, at the largest size.
    fn nesting(&self, workload: &str, depth: usize, subject: &str) -> Option<f64> {
        let last = *self.sizes().last()?;
        Some(self.ns(workload, depth, last, subject)? / self.ns(workload, 0, last, subject)?)
    }
}

fn fmt_ns(ns: Option<f64>) -> String {
    match ns {
        None => "not measured".into(),
        Some(ns) if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        Some(ns) if ns >= 1e3 => format!("{:.2} µs", ns / 1e3),
        Some(ns) => format!("{ns:.0} ns"),
    }
}

/// A power of ten of nanoseconds, as an axis label: 100 ns, 1 µs, ..., 1 s.
fn fmt_tick(ns: f64) -> String {
    let (v, unit) = match ns {
        ns if ns >= 1e9 => (ns / 1e9, "s"),
        ns if ns >= 1e6 => (ns / 1e6, "ms"),
        ns if ns >= 1e3 => (ns / 1e3, "µs"),
        ns => (ns, "ns"),
    };
    format!("{v:.0} {unit}")
}

fn fmt_n(n: usize) -> String {
    if n >= 1000 && n % 1000 == 0 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// The largest of `ratios`, or None if any is missing (a goal over every shape is not
/// measured until every shape is).
fn worst(ratios: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    ratios
        .into_iter()
        .try_fold(0.0_f64, |m, r| r.map(|r| m.max(r)))
}

fn table(p: &Platform, md: &mut String, notes: &mut Vec<String>) {
    let sizes = p.sizes();
    let (Some(&first), Some(&last)) = (sizes.first(), sizes.last()) else {
        return;
    };
    let _ = writeln!(
        md,
        "{} run: 1-minute load average {:.1} at the start and {:.1} at the end, {:.0} s.\n",
        p.name,
        p.run("load_start"),
        p.run("load_end"),
        p.run("seconds")
    );
    let mut header = String::from("| workload | depth | subject |");
    for n in &sizes {
        let _ = write!(header, " {} keys |", fmt_n(*n));
    }
    let _ = write!(
        header,
        " {} / {} | depth / top level at {} | converge / peer at {} |",
        fmt_n(last),
        fmt_n(first),
        fmt_n(last),
        fmt_n(last)
    );
    let _ = writeln!(md, "{header}");
    let _ = writeln!(
        md,
        "|---|---:|---|{}---:|---:|---:|",
        "---:|".repeat(sizes.len())
    );
    for workload in WORKLOADS {
        for depth in DEPTHS {
            for subject in p.subjects(workload) {
                if p.get(workload, depth, first, subject).is_none() {
                    continue;
                }
                let mut row = format!(
                    "| {} | {depth} | {subject} |",
                    label(p.name, workload, subject)
                );
                for n in &sizes {
                    match p.get(workload, depth, *n, subject) {
                        Some(pt) if pt.ns.is_none() => {
                            notes.push(format!(
                                "{} {} depth {depth}, {} keys, {subject}: {}",
                                p.name,
                                workload,
                                fmt_n(*n),
                                pt.note
                            ));
                            let _ = write!(row, " not measured [{}] |", notes.len());
                        }
                        pt => {
                            let ops = pt.map_or(String::new(), |pt| format!(" ({})", pt.ops));
                            let _ = write!(row, " {}{ops} |", fmt_ns(pt.and_then(|pt| pt.ns)));
                        }
                    }
                }
                let nesting = if depth == 0 {
                    "–".into()
                } else {
                    fmt_ratio(p.nesting(workload, depth, subject))
                };
                let versus = if subject == "converge" {
                    "–".into()
                } else {
                    fmt_ratio(
                        p.ns(workload, depth, last, "converge")
                            .zip(p.ns(workload, depth, last, subject))
                            .map(|(c, s)| c / s),
                    )
                };
                let _ = writeln!(
                    md,
                    "{row} {} | {nesting} | {versus} |",
                    fmt_ratio(p.growth(workload, depth, subject))
                );
            }
        }
    }
    md.push('\n');
}

fn goals(p: &Platform, out: &mut Vec<(String, Option<f64>, f64)>) {
    for workload in WORKLOADS {
        if p.get(workload, 0, *p.sizes().first().unwrap_or(&0), "converge")
            .is_none()
        {
            continue;
        }
        let what = label(p.name, workload, "converge");
        out.push((
            format!(
                "{} {what}: cost at 100k keys at most 2x the cost at 1k (worst of depths 0, 2, 4)",
                p.name
            ),
            worst(DEPTHS.map(|d| p.growth(workload, d, "converge"))),
            2.0,
        ));
        if workload != "write" {
            out.push((
                format!(
                    "{} {what}: nested (depth 2, 4) within 2x of top level at 100k keys",
                    p.name
                ),
                worst([2, 4].map(|d| p.nesting(workload, d, "converge"))),
                2.0,
            ));
        }
    }
}

/// The chart: per platform a panel, cost per op against keys, both log scales; one
/// line per workload, depth and subject. Colour: workload; marker: depth (circle 0,
/// square 2, triangle 4); converge solid, peers dashed (crdts, Yjs) or dotted (Loro).
fn svg(platforms: &[Platform]) -> String {
    let (pw, ph, left, top, gap) = (470.0, 380.0, 70.0, 60.0, 90.0);
    let width = (left + platforms.len() as f64 * (pw + gap) + 20.0).max(960.0);
    let height = top + ph + 150.0;
    let mut s = super::svg_open(
        width,
        height,
        r#"y="22" font-size="15""#,
        "Cost of one operation against the keys in the map (log-log); flat is the goal",
    );
    let colour = |w: &str| match w {
        "apply" => "#1f77b4",
        "write" => "#d62728",
        "receive" => "#2ca02c",
        _ => "#9467bd",
    };
    let dash = |subject: &str| match subject {
        "converge" => "",
        "Loro" => r#" stroke-dasharray="2 3""#,
        _ => r#" stroke-dasharray="7 4""#,
    };
    for (i, p) in platforms.iter().enumerate() {
        let x0 = left + i as f64 * (pw + gap);
        let sizes = p.sizes();
        let measured: Vec<f64> = p.points.iter().filter_map(|pt| pt.ns).collect();
        if sizes.is_empty() || measured.is_empty() {
            continue;
        }
        let (nlo, nhi) = (
            (sizes[0] as f64).log10().floor(),
            (*sizes.last().expect("non-empty") as f64).log10().ceil(),
        );
        let ylo = measured
            .iter()
            .copied()
            .fold(f64::MAX, f64::min)
            .log10()
            .floor();
        let yhi = measured.iter().copied().fold(0.0, f64::max).log10().ceil();
        let (nhi, yhi) = (nhi.max(nlo + 1.0), yhi.max(ylo + 1.0));
        let x = |n: f64| x0 + (n.log10() - nlo) / (nhi - nlo) * pw;
        let y = |ns: f64| top + ph - (ns.log10() - ylo) / (yhi - ylo) * ph;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="14" font-weight="bold" text-anchor="middle">{}</text>"#,
            x0 + pw / 2.0,
            top - 12.0,
            p.name
        );
        let _ = writeln!(
            s,
            r##"<rect x="{x0:.1}" y="{top:.1}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>"##
        );
        let mut e = nlo;
        while e <= nhi {
            let tx = x(10f64.powf(e));
            let _ = writeln!(
                s,
                r##"<line x1="{tx:.1}" y1="{top:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#ddd"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                top + ph,
                top + ph + 16.0,
                fmt_n(10f64.powf(e) as usize)
            );
            e += 1.0;
        }
        let mut e = ylo;
        while e <= yhi {
            let ty = y(10f64.powf(e));
            let _ = writeln!(
                s,
                r##"<line x1="{x0:.1}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                x0 + pw,
                x0 - 6.0,
                ty + 4.0,
                fmt_tick(10f64.powf(e))
            );
            e += 1.0;
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">keys in the map (N)</text>"#,
            x0 + pw / 2.0,
            top + ph + 34.0
        );
        for workload in WORKLOADS {
            for subject in p.subjects(workload) {
                for depth in DEPTHS {
                    let pts: Vec<(f64, f64)> = sizes
                        .iter()
                        .filter_map(|n| {
                            Some((x(*n as f64), y(p.ns(workload, depth, *n, subject)?)))
                        })
                        .collect();
                    if pts.is_empty() {
                        continue;
                    }
                    let line: Vec<String> =
                        pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
                    let _ = writeln!(
                        s,
                        r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.6"{}><title>{} {workload} depth {depth}</title></polyline>"#,
                        line.join(" "),
                        colour(workload),
                        dash(subject),
                        subject
                    );
                    for (a, b) in pts {
                        let c = colour(workload);
                        let fill = if subject == "converge" { c } else { "white" };
                        let _ = writeln!(s, "{}", marker(depth, a, b, c, fill));
                    }
                }
            }
        }
    }
    // Legend.
    let ly = top + ph + 60.0;
    let mut lx = left;
    for (workload, name) in [
        ("apply", "apply a delta"),
        ("write", "write"),
        ("receive", "receive a sync message"),
        ("merge", "Replica::merge"),
    ] {
        let _ = writeln!(
            s,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{name}</text>"#,
            lx + 24.0,
            colour(workload),
            lx + 30.0,
            ly + 4.0
        );
        lx += 190.0;
    }
    let ly = ly + 24.0;
    let mut lx = left;
    for (depth, name) in [
        (0, "depth 0 (top level)"),
        (2, "depth 2 (a/b/)"),
        (4, "depth 4 (a/b/c/d/)"),
    ] {
        let _ = writeln!(s, "{}", marker(depth, lx + 8.0, ly, "#333", "#333"));
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{name}</text>"#,
            lx + 20.0,
            ly + 4.0
        );
        lx += 190.0;
    }
    let ly = ly + 24.0;
    let mut lx = left;
    for (subject, name) in [
        ("converge", "converge: solid, filled markers"),
        ("crdts", "crdts (Rust), Yjs (JS): dashed, hollow markers"),
        ("Loro", "Loro (JS): dotted, hollow markers"),
    ] {
        let _ = writeln!(
            s,
            r##"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="#333" stroke-width="1.6"{}/><text x="{:.1}" y="{:.1}">{name}</text>"##,
            lx + 30.0,
            dash(subject),
            lx + 36.0,
            ly + 4.0
        );
        lx += if subject == "crdts" { 370.0 } else { 260.0 };
    }
    s += "</svg>\n";
    s
}

fn marker(depth: usize, x: f64, y: f64, stroke: &str, fill: &str) -> String {
    match depth {
        0 => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{fill}" stroke="{stroke}"/>"#),
        2 => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="8" height="8" fill="{fill}" stroke="{stroke}"/>"#,
            x - 4.0,
            y - 4.0
        ),
        _ => format!(
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{fill}" stroke="{stroke}"/>"#,
            x,
            y - 5.0,
            x - 5.0,
            y + 4.0,
            x + 5.0,
            y + 4.0
        ),
    }
}

/// The scaling section, or `None` if neither results file exists.
pub(crate) fn report(benches: &Path) -> Option<ScalingReport> {
    let platforms: Vec<Platform> = [
        read(benches, "Rust", "scaling-rust.tsv"),
        read(benches, "JS", "scaling-js.tsv"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if platforms.is_empty() {
        return None;
    }
    let mut md = String::from(
        "\n## Scaling\n\nHow the cost of one operation grows with the document (issue 13), from \
         the `scaling` bench (Rust) and `benches/js/scaling.mjs` (the npm package in Node): a \
         document whose map at depth 0 (top level), 2 (`a/b/`) or 4 (`a/b/c/d/`) holds N \
         keys, and one operation that overwrites one existing key. Each cost is the median \
         time per operation over the operations timed in one run (their count in \
         parentheses; each point is bounded to about 1 s); what each workload and peer does is in \
         [README.md](README.md#scaling). The goal is a flat curve: the cost at 100k keys \
         within 2x of the cost at 1k, and a nested delta within 2x of a top-level one.\n\n\
         ![cost per operation against N](results/scaling.svg)\n\n",
    );
    let mut notes = Vec::new();
    let mut all_goals = Vec::new();
    for p in &platforms {
        table(p, &mut md, &mut notes);
        goals(p, &mut all_goals);
    }
    for (i, note) in notes.iter().enumerate() {
        let _ = writeln!(md, "[{}] {note}.  ", i + 1);
    }
    if platforms.len() < 2 {
        md += "\nOnly one platform's figures were found: run both halves of `make bench`.\n";
    }
    Some(ScalingReport {
        markdown: md,
        goals: all_goals,
        svg: svg(&platforms),
    })
}
