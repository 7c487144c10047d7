//! Runs a fuzz target without AFL: on files (seeds, a corpus, AFL's crashes) to reproduce a
//! finding, or on random inputs for a while (no coverage feedback: a smoke test, not a fuzzer).
//!
//! ```text
//! cargo run --release --bin replay -- decode seeds/decode out/decode/default/crashes
//! cargo run --release --bin replay -- machine --random 60      # 60 seconds of random inputs
//! cargo run --release --bin replay -- machine --events out/machine/default/queue  # corpus depth
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn target(name: &str) -> Option<fn(&[u8])> {
    Some(match name {
        "decode" => loupe_fuzz::decode,
        "machine" => loupe_fuzz::machine,
        "quiz" => loupe_fuzz::quiz,
        "journal" => loupe_fuzz::journal,
        _ => return None,
    })
}

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.is_file() {
                out.push(p);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
}

/// splitmix64: enough randomness for a smoke run, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(run) = args.first().and_then(|n| target(n)) else {
        eprintln!("usage: replay decode|machine|quiz|journal (FILE|DIR)... | --random SECONDS");
        std::process::exit(2);
    };
    if args.get(1).map(String::as_str) == Some("--random") {
        let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        let mut rng = Rng(seed);
        let start = Instant::now();
        let mut runs = 0u64;
        let mut buf = Vec::new();
        while start.elapsed() < Duration::from_secs(secs) {
            buf.clear();
            let len = (rng.next() % 512) as usize;
            buf.extend((0..len).map(|_| rng.next() as u8));
            run(&buf);
            runs += 1;
        }
        println!("{runs} random inputs in {secs} s (seed {seed}), no failure");
        return;
    }
    // `replay machine --events DIR…`: how many inputs reach each kind of event (corpus depth).
    let events = args.get(1).map(String::as_str) == Some("--events");
    let mut inputs = Vec::new();
    for a in &args[1 + usize::from(events)..] {
        files(Path::new(a), &mut inputs);
    }
    if events {
        let mut reached = std::collections::BTreeMap::<String, usize>::new();
        for path in &inputs {
            let data = std::fs::read(path).unwrap_or_default();
            let kinds: std::collections::BTreeSet<String> = loupe_fuzz::machine_journal(&data)
                .iter()
                .map(|e| e.kind().to_owned())
                .collect();
            for k in kinds {
                *reached.entry(k).or_default() += 1;
            }
        }
        for (kind, n) in &reached {
            println!("{kind:>16}: {n} of {} inputs", inputs.len());
        }
        return;
    }
    for path in &inputs {
        let data = std::fs::read(path).unwrap_or_default();
        eprintln!("{}", path.display());
        run(&data);
    }
    println!("{} inputs, no failure", inputs.len());
}
