//! Value parsers for the retention and abuse flags: durations with a unit and sizes in bytes.

use std::time::Duration;

/// Parses `90s`, `30m`, `12h` or `2d` (a bare number is `default_unit`) between `min` and `max`.
pub fn duration(
    raw: &str,
    default_unit: &str,
    min: Duration,
    max: Duration,
) -> Result<Duration, String> {
    let raw = raw.trim();
    let (digits, unit) = match raw.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => raw.split_at(i),
        None => (raw, default_unit),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{raw}` is not a duration such as 90s, 30m or 12h"))?;
    let secs = match unit.trim() {
        "s" => n,
        "m" | "min" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        other => return Err(format!("unknown unit `{other}`: use s, m, h or d")),
    };
    let d = Duration::from_secs(secs);
    if d < min || d > max {
        return Err(format!("must be between {} and {}", human(min), human(max)));
    }
    Ok(d)
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 => format!("{} days", s / 86_400),
        s if s % 3600 == 0 => format!("{} hours", s / 3600),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// `--max-session-life`: 1 second to 7 days, hours when bare.
pub fn session_life(raw: &str) -> Result<Duration, String> {
    duration(
        raw,
        "h",
        Duration::from_secs(1),
        Duration::from_secs(7 * 86_400),
    )
}

/// Parses a size: bytes, or a number with `KB`, `MB`, `GB` (powers of 1000) or `KiB`, `MiB`,
/// `GiB` (powers of 1024), any case; at least 1 KB.
pub fn size(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let (digits, unit) = match raw.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => raw.split_at(i),
        None => (raw, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{raw}` is not a size such as 256MB or 1GB"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let factor: u64 = match unit.as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1000,
        "mb" | "m" => 1000 * 1000,
        "gb" | "g" => 1000 * 1000 * 1000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => return Err(format!("unknown unit `{other}`: use KB, MB or GB")),
    };
    let bytes = n
        .checked_mul(factor)
        .ok_or_else(|| format!("`{raw}` is too large"))?;
    if bytes < 1000 {
        return Err("must be at least 1KB".into());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_and_bounds() {
        assert_eq!(session_life("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(session_life("12"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(session_life("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(session_life("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert!(session_life("0").is_err());
        assert!(session_life("8d").unwrap_err().contains("7 days"));
        assert!(session_life("3w").is_err());
        assert!(session_life("soon").is_err());
    }

    #[test]
    fn sizes_take_units() {
        assert_eq!(size("256MB"), Ok(256_000_000));
        assert_eq!(size("4kb"), Ok(4000));
        assert_eq!(size("1 GiB"), Ok(1 << 30));
        assert_eq!(size("5000"), Ok(5000));
        assert!(size("10").is_err());
        assert!(size("5TB").is_err());
        assert!(size("99999999999999GB").is_err());
    }
}
