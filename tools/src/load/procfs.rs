//! The server's memory and CPU time from `/proc/<pid>/status` and `/proc/<pid>/stat` (Linux;
//! `None` elsewhere), and a description of this machine.

use serde::{Deserialize, Serialize};

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcSample {
    /// Resident set size (kB).
    pub rss_kb: u64,
    /// Peak resident set size so far (kB).
    pub hwm_kb: u64,
    /// User plus system CPU time (seconds).
    pub cpu_s: f64,
}

/// Reads `pid`'s RSS, peak RSS and CPU time.
pub fn sample(pid: u32) -> Option<ProcSample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(ProcSample {
        rss_kb: kb("VmRSS:")?,
        hwm_kb: kb("VmHWM:").unwrap_or(0),
        cpu_s: cpu_seconds(&stat)?,
    })
}

/// utime + stime from the text of `/proc/<pid>/stat`.
fn cpu_seconds(stat: &str) -> Option<f64> {
    // Fields after the command name (which may hold spaces and parentheses): state is the
    // first, utime the 12th and stime the 13th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

/// CPU seconds spent by the whole machine (all cores, every state but idle and iowait) since
/// boot, from the first line of `/proc/stat`.
pub fn machine_busy_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((total - idle) as f64 / TICKS_PER_SECOND)
}

/// TCP counters of `/proc/net/netstat` that explain slow connects: listen queue overflows and
/// drops, SYN retransmits, syncookies, and TIME_WAIT collisions. Machine-wide.
pub const TCP_COUNTERS: &[&str] = &[
    "ListenOverflows",
    "ListenDrops",
    "TCPSynRetrans",
    "SyncookiesSent",
    "PAWSActive",
    "PAWSTimewait",
    "TWRecycled",
    "TCPBacklogDrop",
];

/// The current values of [`TCP_COUNTERS`].
pub fn tcp_counters() -> std::collections::BTreeMap<String, i64> {
    let text = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
        return Default::default();
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .filter(|(n, _)| TCP_COUNTERS.contains(n))
        .filter_map(|(n, v)| Some((n.to_owned(), v.parse().ok()?)))
        .collect()
}

/// The 1-minute load average.
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

/// The machine the numbers come from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Online CPUs (not the generator's affinity mask).
    pub cpus: usize,
    /// CPU model name.
    pub cpu_model: String,
    /// Kernel release.
    pub kernel: String,
    /// Total memory (kB).
    pub mem_kb: u64,
}

/// Describes this machine from `/proc`.
pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    Machine {
        cpus: cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count(),
        cpu_model: cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default(),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default(),
        mem_kb: meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_time_past_a_tricky_name() {
        let stat = "42 (a b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0";
        assert_eq!(cpu_seconds(stat), Some(3.0));
    }

    #[test]
    fn samples_this_process() {
        if cfg!(target_os = "linux") {
            let s = sample(std::process::id()).expect("own /proc entry");
            assert!(s.rss_kb > 0 && s.hwm_kb >= s.rss_kb);
        }
    }
}
