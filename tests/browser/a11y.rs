//! axe-core in the page: injects `tests/browser/node_modules/axe-core/axe.min.js` (installed by
//! `npm ci --prefix tests/browser`), runs `axe.run()`, prints every violation, and records the
//! serious and critical ones as problems of the test.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::device::Device;
use crate::Problems;

/// Impacts that fail a test.
const FAILING: [&str; 2] = ["serious", "critical"];

/// `tests/browser/node_modules/axe-core/axe.min.js`.
fn axe_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js")
}

/// The axe-core source, read once.
fn axe_source() -> anyhow::Result<&'static str> {
    static SOURCE: OnceLock<String> = OnceLock::new();
    if let Some(s) = SOURCE.get() {
        return Ok(s);
    }
    let path = axe_path();
    let source = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is missing: install axe-core with `npm ci --prefix tests/browser` \
             (scripts/test does it)",
            path.display()
        )
    })?;
    Ok(SOURCE.get_or_init(|| source))
}

/// One violation as axe reports it.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The rule id, e.g. `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// The rule's one-line description.
    pub help: String,
    /// CSS selectors of the offending nodes, with axe's summary of the first ones.
    pub targets: Vec<String>,
}

/// Runs axe on the page `device` shows now (screen `screen`, for messages), prints every
/// violation, and adds each serious or critical one to `problems`.
pub async fn audit(device: &Device, screen: &str, problems: &mut Problems) -> anyhow::Result<()> {
    let found = run(device).await?;
    if found.is_empty() {
        eprintln!("axe [{}] {screen}: no violation", device.lang);
    }
    for v in &found {
        let line = format!(
            "axe [{}] {screen}: {} ({}) — {} — at {}",
            device.lang,
            v.id,
            v.impact,
            v.help,
            v.targets.join(" | ")
        );
        eprintln!("{line}");
        if FAILING.contains(&v.impact.as_str()) {
            problems.add(line);
        }
    }
    Ok(())
}

/// Injects axe (once per page load) and returns every violation on the page.
pub async fn run(device: &Device) -> anyhow::Result<Vec<Violation>> {
    let loaded = device
        .js("return typeof window.axe === 'object';", vec![])
        .await?;
    if loaded != Value::Bool(true) {
        device.js(axe_source()?, vec![]).await?;
    }
    let script = "var done = arguments[arguments.length - 1];\
        window.axe.run(document, {resultTypes: ['violations']}).then(function (r) {\
          done({ok: r.violations.map(function (v) {\
            return {id: v.id, impact: v.impact || 'unknown', help: v.help,\
              targets: v.nodes.slice(0, 6).map(function (n) {\
                return n.target.join(' ') + ' ⇒ ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 200);\
              })};\
          })});\
        }, function (e) { done({err: String(e)}); });";
    let out = device
        .client
        .execute_async(script, vec![])
        .await
        .with_context(|| format!("{}: running axe", device.name))?;
    if let Some(err) = out.get("err") {
        bail!("{}: axe failed: {err}", device.name);
    }
    let list = out.get("ok").cloned().unwrap_or(json!([]));
    let mut found = Vec::new();
    for v in list.as_array().into_iter().flatten() {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        found.push(Violation {
            id: s("id"),
            impact: s("impact"),
            help: s("help"),
            targets: v
                .get("targets")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Ok(found)
}
