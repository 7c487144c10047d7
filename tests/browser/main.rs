//! Real-browser tests: Loupe in-process, Debian's Chromium driven through chromedriver with
//! fantoccini, one fresh profile per device; axe-core checks accessibility.
//!
//! Run only these: `cargo test --test browser -- --test-threads=1` (they take the machine to
//! themselves anyway: see [`harness::exclusive`]). Screenshots go to `target/screenshots/{fr,en}/`.
//! `LOUPE_SKIP_BROWSER=1` skips them; a missing Chromium is a failure that says how to install it.

mod a11y;
mod address;
mod device;
mod finish;
mod harness;
mod host_key;
mod lesson;
mod pages;
mod paused;
mod privacy;
mod reload;
mod remote;
mod run;
mod storage;
mod texts;

/// Problems found along a test that should not stop it (axe violations, raw i18n keys, a wrong
/// text that later steps do not depend on): listed together at the end, failing the test.
#[derive(Debug, Default)]
pub struct Problems {
    found: Vec<String>,
    notes: Vec<String>,
}

impl Problems {
    /// Records an observation for the page authors that does not fail the test (a known gap
    /// with a workaround in the test); printed at once and again at the end.
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        eprintln!("NOTE: {note}");
        self.notes.push(note);
    }

    /// Records a problem and prints it at once.
    pub fn add(&mut self, problem: impl Into<String>) {
        let problem = problem.into();
        eprintln!("PROBLEM: {problem}");
        self.found.push(problem);
    }

    /// Records `what` failed when `result` is an error; returns the value otherwise.
    pub fn check<T>(&mut self, what: &str, result: anyhow::Result<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(format!("{what}: {e:#}"));
                None
            }
        }
    }

    /// Fails with every problem recorded, if any.
    pub fn finish(self, test: &str) -> anyhow::Result<()> {
        for note in &self.notes {
            eprintln!("{test}: note: {note}");
        }
        if self.found.is_empty() {
            return Ok(());
        }
        anyhow::bail!(
            "{test}: {} problem(s):\n- {}",
            self.found.len(),
            self.found.join("\n- ")
        )
    }
}
