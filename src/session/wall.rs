//! Wall-clock time for what outlives a process: Unix milliseconds, and "31 August" (the end of
//! the school year a retention may run to) without a date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

const DAY_MS: u64 = 86_400_000;

/// Milliseconds since the Unix epoch (0 if the clock is set before 1970).
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// (year, month 1–12, day 1–31) of a Unix day number (days since 1970-01-01).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm, for the proleptic Gregorian calendar.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The Unix day number of a calendar date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The end of the school year after `unix_ms`: the next 31 August, 23:59:59.999 UTC (the same
/// day if `unix_ms` falls on it).
pub fn end_of_school_year(unix_ms: u64) -> u64 {
    let day = (unix_ms / DAY_MS) as i64;
    let (year, month, _) = civil_from_days(day);
    let year = if month > 8 { year + 1 } else { year };
    let end = days_from_civil(year, 8, 31);
    (end as u64 + 1) * DAY_MS - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_year_ends_on_the_next_31_august() {
        // 2026-11-27 12:00 UTC -> 2027-08-31 23:59:59.999
        assert_eq!(end_of_school_year(1_795_780_800_000), 1_819_756_799_999);
        // 2027-03-01 -> same school year end
        assert_eq!(end_of_school_year(1_803_859_200_000), 1_819_756_799_999);
        // 2027-08-31 10:00 -> that very day
        assert_eq!(end_of_school_year(1_819_706_400_000), 1_819_756_799_999);
        // 2027-09-01 -> the next year
        assert_eq!(end_of_school_year(1_819_756_800_000), 1_851_379_199_999);
        for day in [0, 10_000, 20_000, 30_000] {
            assert_eq!(days_from_civil_roundtrip(day), day);
        }
    }

    fn days_from_civil_roundtrip(day: i64) -> i64 {
        let (y, m, d) = civil_from_days(day);
        days_from_civil(y, m, d)
    }
}
