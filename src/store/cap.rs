//! The cap on the total size of stored reports (`--max-reports-size`): without a host key anyone
//! who reaches the server can create and end sessions, and each leaves a report for as long as
//! its retention. Over the cap, expired reports go first, then the oldest; never the newest one,
//! and never a live session (live sessions are journals, not reports).

use rusqlite::{params, Connection};

use super::ReportRow;

/// What enforcing the cap deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trimmed {
    /// Reports past their retention.
    pub expired: usize,
    /// Reports deleted before their retention, oldest first.
    pub oldest: usize,
    /// Bytes the reports take now.
    pub bytes: u64,
}

impl ReportRow {
    /// The bytes this report takes in the store, as counted against the cap: its text columns
    /// plus 8 bytes for each time. Migration 3 computes the same for older reports.
    pub fn bytes(&self) -> u64 {
        let text = [
            self.code.len(),
            self.host_hash.len(),
            self.quiz_id.len(),
            self.quiz_title.len(),
            self.lang.len(),
            self.label.as_ref().map_or(0, String::len),
            self.summary.len(),
        ];
        (text.iter().sum::<usize>() + 24) as u64
    }
}

/// Bytes all reports take.
pub fn total(conn: &Connection) -> rusqlite::Result<u64> {
    let sum: i64 = conn.query_row("SELECT COALESCE(SUM(bytes), 0) FROM reports", [], |r| {
        r.get(0)
    })?;
    Ok(sum.max(0) as u64)
}

/// Brings the reports under `max_bytes`: expired ones first, then the oldest, never the newest.
/// `None` when they were already under it.
pub fn enforce(
    conn: &Connection,
    max_bytes: u64,
    now_ms: i64,
) -> rusqlite::Result<Option<Trimmed>> {
    let mut bytes = total(conn)?;
    if bytes <= max_bytes {
        return Ok(None);
    }
    let expired = conn.execute(
        "DELETE FROM reports WHERE expires_unix_ms < ?1",
        params![now_ms],
    )?;
    bytes = total(conn)?;
    let mut doomed = Vec::new();
    if bytes > max_bytes {
        let mut oldest =
            conn.prepare("SELECT id, bytes FROM reports ORDER BY finished_unix_ms, id")?;
        let mut rows = oldest.query([])?;
        let mut seen: Vec<(i64, u64)> = Vec::new();
        // Look one row ahead, so the newest report is never among the deleted.
        while let Some(row) = rows.next()? {
            seen.push((row.get(0)?, row.get::<_, i64>(1)?.max(0) as u64));
            if seen.len() < 2 {
                continue;
            }
            let (id, size) = seen.remove(0);
            doomed.push(id);
            bytes = bytes.saturating_sub(size);
            if bytes <= max_bytes {
                break;
            }
        }
        drop(rows);
        let mut delete = conn.prepare("DELETE FROM reports WHERE id = ?1")?;
        for id in &doomed {
            delete.execute(params![id])?;
        }
    }
    Ok(Some(Trimmed {
        expired,
        oldest: doomed.len(),
        bytes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(code: &str, finished: u64, expires: u64) -> ReportRow {
        ReportRow {
            code: code.into(),
            host_hash: "h".repeat(64),
            quiz_id: "q".into(),
            quiz_title: "Quiz".into(),
            lang: "fr".into(),
            label: None,
            created_unix_ms: finished,
            finished_unix_ms: finished,
            expires_unix_ms: expires,
            summary: "x".repeat(900),
            reader_hashes: Vec::new(),
        }
    }

    fn codes(conn: &Connection) -> Vec<String> {
        let mut s = conn
            .prepare("SELECT code FROM reports ORDER BY finished_unix_ms")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn expired_reports_go_first_then_the_oldest_never_the_newest() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        let now = 1_000_000;
        // 111111 is the oldest but still kept; 222222 is newer but expired.
        for r in [
            report("111111", 10, now + 1),
            report("222222", 20, now - 1),
            report("333333", 30, now + 1),
            report("444444", 40, now + 1),
        ] {
            super::super::writer::insert_report(&conn, &r).unwrap();
        }
        let one = report("x", 0, 0).bytes() - 1 + "111111".len() as u64;
        assert_eq!(total(&conn).unwrap(), 4 * one);
        assert_eq!(enforce(&conn, 4 * one, now as i64).unwrap(), None);
        // Room for three: the expired one goes, nothing else.
        let t = enforce(&conn, 3 * one, now as i64).unwrap().unwrap();
        assert_eq!((t.expired, t.oldest, t.bytes), (1, 0, 3 * one));
        assert_eq!(codes(&conn), ["111111", "333333", "444444"]);
        // Room for one and a half: the two oldest go.
        let t = enforce(&conn, one + one / 2, now as i64).unwrap().unwrap();
        assert_eq!((t.expired, t.oldest), (0, 2));
        assert_eq!(codes(&conn), ["444444"]);
        // Even a cap smaller than one report keeps the newest.
        let t = enforce(&conn, 10, now as i64).unwrap().unwrap();
        assert_eq!((t.expired, t.oldest, t.bytes), (0, 0, one));
        assert_eq!(codes(&conn), ["444444"]);
    }
}
