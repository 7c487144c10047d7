//! How many connections the process can hold: the open-file limit, raised where it can be.

/// Raises this process's soft open-file limit to its hard limit (each pupil is one socket) and
/// returns the limit now in force, where the platform has one.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::increase_nofile_limit(u64::MAX).ok()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Connections allowed when `--max-connections` is not given: the open-file limit minus a margin
/// for the database, the listener and logs (or 10,000 where there is no such limit).
pub fn default_max_connections(open_files: Option<u64>) -> usize {
    match open_files {
        Some(n) => n.saturating_sub(64).max(64) as usize,
        None => 10_000,
    }
}
