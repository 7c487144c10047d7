//! The tables of `docs/PERFORMANCE.md`, built from a folder of run reports: Loupe beside the
//! baseline measured in the same session, the durability modes side by side, and the targets.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::report::RunReport;
use super::stats::Pct;

/// Reads every `*.json` run report in `dir`.
pub fn load(dir: &Path) -> anyhow::Result<Vec<RunReport>> {
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        if let Ok(report) = serde_json::from_str::<RunReport>(&text) {
            out.push(report);
        }
    }
    Ok(out)
}

/// The servers of a case, in table order: the two baselines, then Loupe's durability modes.
const VARIANTS: [&str; 5] = ["bare", "baseline", "memory", "default", "full"];

/// Reports by case, then by variant (repeats of a run merged, see [`merge`]).
type ByCase = BTreeMap<String, BTreeMap<String, RunReport>>;

fn by_case(runs: &[RunReport]) -> ByCase {
    let mut m: BTreeMap<String, BTreeMap<String, Vec<&RunReport>>> = BTreeMap::new();
    for r in runs {
        m.entry(r.case.clone())
            .or_default()
            .entry(r.variant.clone())
            .or_default()
            .push(r);
    }
    m.into_iter()
        .map(|(case, v)| (case, v.into_iter().map(|(k, rs)| (k, merge(&rs))).collect()))
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Repeats of one run: the median of each figure shown, errors added up, ok only if all were.
pub fn merge(runs: &[&RunReport]) -> RunReport {
    let mut m = runs[0].clone();
    let pct =
        |f: fn(&RunReport) -> Pct| Pct::median(&runs.iter().map(|r| f(r)).collect::<Vec<_>>());
    let num = |f: fn(&RunReport) -> f64| median(runs.iter().map(|r| f(r)).collect());
    m.summary.fanout = pct(|r| r.summary.fanout);
    m.summary.storm = pct(|r| r.summary.storm);
    m.summary.answer_to_count = pct(|r| r.summary.answer_to_count);
    m.join.per_pupil = pct(|r| r.join.per_pupil);
    m.join.all_ms = num(|r| r.join.all_ms);
    m.rss.per_pupil_bytes = num(|r| r.rss.per_pupil_bytes);
    m.cpu.questions_s = num(|r| r.cpu.questions_s);
    m.cpu.other_s = num(|r| r.cpu.other_s);
    m.messages.mean = num(|r| r.messages.mean);
    if let Some(storm) = m.reconnect.as_mut() {
        let storms: Vec<_> = runs.iter().filter_map(|r| r.reconnect.as_ref()).collect();
        storm.all_ms = median(storms.iter().map(|s| s.all_ms).collect());
        storm.per_pupil = Pct::median(&storms.iter().map(|s| s.per_pupil).collect::<Vec<_>>());
        storm.failed = storms.iter().map(|s| s.failed).sum();
        storm.acks_changed = storms.iter().map(|s| s.acks_changed).sum();
        storm.answers_lost = storms
            .iter()
            .try_fold(0, |sum, s| s.answers_lost.map(|n| sum + n));
    }
    m.ok = runs.iter().all(|r| r.ok);
    m.errors = BTreeMap::new();
    for r in runs {
        for (k, n) in &r.errors {
            *m.errors.entry(k.clone()).or_insert(0) += n;
        }
    }
    m.tcp = BTreeMap::new();
    for r in runs {
        for (k, n) in &r.tcp {
            *m.tcp.entry(k.clone()).or_insert(0) += n;
        }
    }
    m.repeats = runs.len();
    m
}

fn ratio(x: f64, base: Option<f64>) -> String {
    match base {
        Some(b) if b > 0.0 => format!(" ({:.2}×)", x / b),
        _ => String::new(),
    }
}

/// The ratios of `x` to the acknowledging baseline and to the bare one: " (1.02× · 2.31× bare)".
fn ratios(x: f64, base: Option<f64>, bare: Option<f64>) -> String {
    let over = |b: Option<f64>| b.filter(|b| *b > 0.0).map(|b| x / b);
    match (over(base), over(bare)) {
        (Some(a), Some(b)) => format!(" ({a:.2}× · {b:.2}× bare)"),
        (Some(a), None) => format!(" ({a:.2}×)"),
        (None, Some(b)) => format!(" ({b:.2}× bare)"),
        (None, None) => String::new(),
    }
}

fn p3(p: &Pct) -> String {
    format!("{:.1} / {:.1} / {:.1}", p.p50_ms, p.p99_ms, p.max_ms)
}

fn errors(r: &RunReport) -> String {
    if r.errors.is_empty() {
        return if r.ok {
            "0".into()
        } else {
            "0 (not ok)".into()
        };
    }
    r.errors
        .iter()
        .map(|(k, n)| format!("{k}: {n}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The Markdown tables for every case found.
pub fn tables(runs: &[RunReport]) -> String {
    let cases = by_case(runs);
    let mut t = String::new();
    let mut single: Vec<(&String, &BTreeMap<String, RunReport>)> = cases
        .iter()
        .filter(|(_, v)| v.values().any(|r| r.sessions == 1 && r.reconnect.is_none()))
        .collect();
    single.sort_by_key(|(_, v)| v.values().next().map_or(0, |r| r.pupils));
    let _ = writeln!(t, "### One session\n");
    let _ = writeln!(t, "Times in ms: p50 / p99 / all (the last pupil, or the last answer). Ratios are to the baseline of the same case (which acknowledges every answer, as Loupe does) and to the bare baseline (which acknowledges nothing), on the \"all\" figure.\n");
    let _ = writeln!(t, "| pupils | server | runs | all joined | join p50 / p99 | fan-out | answer storm | msgs / pupil | RSS / pupil | CPU s (questions) | errors |");
    let _ = writeln!(t, "|---:|---|---:|---:|---|---|---|---:|---:|---:|---|");
    for (_, v) in &single {
        let base = v.get("baseline");
        let bare = v.get("bare");
        for name in VARIANTS {
            let Some(r) = v.get(name) else { continue };
            let s = &r.summary;
            let _ = writeln!(
                t,
                "| {} | {} | {} | {:.0} | {:.1} / {:.1} | {}{} | {}{} | {:.1} | {:.1} kB | {:.2} | {} |",
                r.pupils,
                name,
                r.repeats,
                r.join.all_ms,
                r.join.per_pupil.p50_ms,
                r.join.per_pupil.p99_ms,
                p3(&s.fanout),
                ratios(
                    s.fanout.max_ms,
                    base.map(|b| b.summary.fanout.max_ms),
                    bare.map(|b| b.summary.fanout.max_ms)
                ),
                p3(&s.storm),
                ratios(
                    s.storm.max_ms,
                    base.map(|b| b.summary.storm.max_ms),
                    bare.map(|b| b.summary.storm.max_ms)
                ),
                r.messages.mean,
                r.rss.per_pupil_bytes / 1000.0,
                r.cpu.questions_s,
                errors(r),
            );
        }
    }
    let multi: Vec<_> = cases
        .iter()
        .filter(|(_, v)| v.values().any(|r| r.sessions > 1))
        .collect();
    if !multi.is_empty() {
        let _ = writeln!(t, "\n### Many sessions\n");
        let _ = writeln!(t, "| case | server | answer → host count p50 / p99 / max | question open → counted | fan-out | all joined | RSS / pupil | CPU s (questions) | errors |");
        let _ = writeln!(t, "|---|---|---|---|---|---:|---:|---:|---|");
        for (case, v) in &multi {
            let base = v.get("baseline");
            for name in VARIANTS {
                let Some(r) = v.get(name) else { continue };
                let s = &r.summary;
                let _ = writeln!(
                    t,
                    "| {case} | {name} | {}{} | {} | {} | {:.0} | {:.1} kB | {:.2} | {} |",
                    p3(&s.answer_to_count),
                    ratio(
                        s.answer_to_count.p99_ms,
                        base.map(|b| b.summary.answer_to_count.p99_ms)
                    ),
                    p3(&s.storm),
                    p3(&s.fanout),
                    r.join.all_ms,
                    r.rss.per_pupil_bytes / 1000.0,
                    r.cpu.questions_s,
                    errors(r),
                );
            }
        }
    }
    let storms: Vec<_> = cases
        .iter()
        .filter(|(_, v)| v.values().any(|r| r.reconnect.is_some()))
        .collect();
    if !storms.is_empty() {
        let _ = writeln!(t, "\n### Reconnect storm\n");
        let _ = writeln!(t, "| case | server | all resumed | per pupil p50 / p99 / max | resumed / failed | acks changed | answers lost | SYN retransmits | errors |");
        let _ = writeln!(t, "|---|---|---:|---|---|---:|---|---:|---|");
        for (case, v) in &storms {
            for name in VARIANTS {
                let Some(r) = v.get(name) else { continue };
                let Some(s) = &r.reconnect else { continue };
                let _ = writeln!(
                    t,
                    "| {case} | {name} | {:.0} ms | {} | {} / {} | {} | {} | {} | {} |",
                    s.all_ms,
                    p3(&s.per_pupil),
                    s.resumed,
                    s.failed,
                    s.acks_changed,
                    s.answers_lost.map_or("n/a".into(), |n| n.to_string()),
                    r.tcp.get("TCPSynRetrans").copied().unwrap_or(0),
                    errors(r),
                );
            }
        }
    }
    t
}

/// One target line: what, the figure, the limit, met or not.
fn target(t: &mut String, what: &str, value: Option<f64>, limit: f64, unit: &str) {
    let line = match value {
        Some(v) if limit == 0.0 && v <= 0.0 => format!("| {what} | 0 | 0 | **met** |"),
        Some(v) if limit == 0.0 => format!("| {what} | {v} | 0 | **not met** |"),
        Some(v) if v <= limit => format!(
            "| {what} | {v:.2}{unit} | ≤ {limit}{unit} | **met** ({:.0}% of the limit) |",
            100.0 * v / limit
        ),
        Some(v) => format!(
            "| {what} | {v:.2}{unit} | ≤ {limit}{unit} | **not met** (+{:.2}{unit}) |",
            v - limit
        ),
        None => format!("| {what} | — | ≤ {limit}{unit} | not measured |"),
    };
    let _ = writeln!(t, "{line}");
}

/// The targets of issue 7, checked against the default-durability runs.
pub fn targets(runs: &[RunReport]) -> String {
    let cases = by_case(runs);
    let get = |case: &str, variant: &str| cases.get(case).and_then(|v| v.get(variant));
    let mut t = String::new();
    let _ = writeln!(t, "| target | measured | limit | verdict |");
    let _ = writeln!(t, "|---|---:|---:|---|");
    let one = get("s1-n10000", "default");
    let base = get("s1-n10000", "baseline");
    let mem = get("s1-n10000", "memory");
    let rel = |f: fn(&RunReport) -> f64| match (one, base) {
        (Some(a), Some(b)) if f(b) > 0.0 => Some(f(a) / f(b)),
        _ => None,
    };
    target(
        &mut t,
        "10,000 in one session: fan-out (all) ÷ baseline",
        rel(|r| r.summary.fanout.max_ms),
        1.25,
        "×",
    );
    target(
        &mut t,
        "10,000 in one session: answer storm (all) ÷ baseline",
        rel(|r| r.summary.storm.max_ms),
        1.25,
        "×",
    );
    let errs = one.map(|r| r.errors.values().sum::<u64>() as f64 + if r.ok { 0.0 } else { 1.0 });
    target(
        &mut t,
        "10,000 in one session: errors (+1 if not every answer counted)",
        errs,
        0.0,
        "",
    );
    let spread = cases
        .iter()
        .find(|(c, _)| c.contains("spread"))
        .and_then(|(_, v)| v.get("default"));
    target(
        &mut t,
        "300 sessions, opens over 10 s: p99 answer → host count",
        spread.map(|r| r.summary.answer_to_count.p99_ms),
        50.0,
        " ms",
    );
    target(
        &mut t,
        "RSS per connected pupil (10,000 in one session)",
        one.map(|r| r.rss.per_pupil_bytes / 1000.0),
        16.0,
        " kB",
    );
    target(
        &mut t,
        "join storm: 10,000 all joined",
        one.map(|r| r.join.all_ms),
        2000.0,
        " ms",
    );
    target(
        &mut t,
        "join storm: per-pupil join p99",
        one.map(|r| r.join.per_pupil.p99_ms),
        100.0,
        " ms",
    );
    let refused = one.map(|r| {
        r.errors
            .iter()
            .filter(|(k, _)| k.contains("ECONNREFUSED"))
            .map(|(_, n)| *n as f64)
            .sum::<f64>()
    });
    target(&mut t, "join storm: connections refused", refused, 0.0, "");
    let storm = cases
        .iter()
        .find(|(c, _)| c.ends_with("-storm") && c.contains("n10000"))
        .and_then(|(_, v)| v.get("default"))
        .and_then(|r| r.reconnect.as_ref());
    target(
        &mut t,
        "reconnect storm of 10,000: all resumed",
        storm.map(|s| s.all_ms),
        3000.0,
        " ms",
    );
    let lost =
        storm.map(|s| (s.answers_lost.unwrap_or(0) as usize + s.acks_changed + s.failed) as f64);
    target(
        &mut t,
        "reconnect storm: answers lost, acks changed or pupils not resumed",
        lost,
        0.0,
        "",
    );
    let cost = match (one, mem) {
        (Some(a), Some(m)) if m.summary.storm.max_ms > 0.0 => {
            Some(a.summary.storm.max_ms / m.summary.storm.max_ms)
        }
        _ => None,
    };
    target(
        &mut t,
        "default durability ÷ --journal memory, answer storm (all)",
        cost,
        1.2,
        "×",
    );
    // Not targets: what the acknowledgement costs, against a server that sends pupils nothing.
    let bare = get("s1-n10000", "bare");
    let _ = writeln!(
        t,
        "\nAgainst the bare baseline (no acknowledgements; context, not a target):\n"
    );
    let _ = writeln!(
        t,
        "| figure (10,000 in one session, all) | default ÷ bare | baseline ÷ bare |"
    );
    let _ = writeln!(t, "|---|---:|---:|");
    for (what, f) in [
        (
            "fan-out",
            (|r: &RunReport| r.summary.fanout.max_ms) as fn(&RunReport) -> f64,
        ),
        ("answer storm", |r: &RunReport| r.summary.storm.max_ms),
    ] {
        let over = |a: Option<&RunReport>| match (a, bare) {
            (Some(a), Some(b)) if f(b) > 0.0 => format!("{:.2}×", f(a) / f(b)),
            _ => "—".into(),
        };
        let _ = writeln!(t, "| {what} | {} | {} |", over(one), over(base));
    }
    t
}
