//! "Talk to an adult" alerts: batched on fixed boundaries of session time, so that the moment an
//! alert reaches the teacher says nothing about the moment a pupil tapped.
//!
//! The console is on the wall and the teacher is in the room: an alert sent the instant a pupil
//! taps would point at whoever just touched their phone. Alerts therefore leave only at whole
//! multiples of the window in session time (one minute by default): every tap in the same window
//! produces the same alert at the same moment, and the first tap of a quiet lesson is no
//! exception. Pure book-keeping in session milliseconds; the actor turns the due time into a
//! deadline of its `select!`.

use std::collections::HashMap;

use super::machine::{Millis, PupilId};

/// One pupil's requests count once in this long (a pupil who taps again is not counted twice).
pub const PER_PUPIL_MS: Millis = 60_000;

/// The first window boundary strictly after `now_ms`.
pub fn boundary_after(now_ms: Millis, window_ms: Millis) -> Millis {
    let window = window_ms.max(1);
    (now_ms / window + 1) * window
}

/// The help requests of one session, between the machine (which records them) and the hosts.
#[derive(Debug)]
pub struct HelpAlerts {
    window_ms: Millis,
    /// Requests recorded since the last alert.
    new: u32,
    /// Session time of the next alert, while requests wait for it.
    due_ms: Option<Millis>,
    /// The total the hosts have been told (what a console that attaches is shown).
    announced: u32,
    /// When each pupil's last counted request arrived.
    last_by_pupil: HashMap<PupilId, Millis>,
}

impl HelpAlerts {
    /// Alerts every `window_ms`; `announced` requests are already known (after a restart).
    pub fn new(window_ms: Millis, announced: u32) -> HelpAlerts {
        HelpAlerts {
            window_ms,
            new: 0,
            due_ms: None,
            announced,
            last_by_pupil: HashMap::new(),
        }
    }

    /// Whether a request from `pupil` arriving at `at_ms` counts (once per pupil per minute).
    pub fn counts(&mut self, pupil: PupilId, at_ms: Millis) -> bool {
        let recent = self
            .last_by_pupil
            .get(&pupil)
            .is_some_and(|last| at_ms.saturating_sub(*last) < PER_PUPIL_MS);
        if !recent {
            self.last_by_pupil.insert(pupil, at_ms);
        }
        !recent
    }

    /// A request was recorded at `now_ms`: it goes out at the next boundary.
    pub fn recorded(&mut self, now_ms: Millis) {
        self.new += 1;
        let window = self.window_ms;
        self.due_ms
            .get_or_insert_with(|| boundary_after(now_ms, window));
    }

    /// When the next alert is due, if requests are waiting.
    pub fn due_ms(&self) -> Option<Millis> {
        self.due_ms
    }

    /// At `now_ms`, the number of new requests to announce (with `total` now the announced
    /// total), if their boundary has come.
    pub fn take(&mut self, now_ms: Millis, total: u32) -> Option<u32> {
        if self.due_ms.is_none_or(|due| now_ms < due) {
            return None;
        }
        self.due_ms = None;
        self.announced = total;
        Some(std::mem::take(&mut self.new))
    }

    /// The total the hosts have been told.
    pub fn announced(&self) -> u32 {
        self.announced
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_whole_windows_of_session_time() {
        assert_eq!(boundary_after(0, 60_000), 60_000);
        assert_eq!(boundary_after(59_999, 60_000), 60_000);
        assert_eq!(boundary_after(60_000, 60_000), 120_000);
        assert_eq!(boundary_after(5, 0), 6, "a zero window is one millisecond");
    }

    #[test]
    fn a_first_request_waits_for_the_boundary_like_any_other() {
        let mut help = HelpAlerts::new(60_000, 0);
        assert!(help.counts(1, 61_000));
        help.recorded(61_000);
        assert_eq!(help.due_ms(), Some(120_000));
        assert_eq!(help.take(61_000, 1), None, "not at once");
        assert_eq!(help.take(119_999, 1), None);
        assert_eq!(help.announced(), 0, "not announced before its boundary");
        // A second pupil taps later in the same window: the same alert, at the same moment.
        assert!(help.counts(2, 118_000));
        help.recorded(118_000);
        assert_eq!(help.due_ms(), Some(120_000));
        assert_eq!(help.take(120_000, 2), Some(2));
        assert_eq!((help.due_ms(), help.announced()), (None, 2));
    }

    #[test]
    fn whenever_a_tap_lands_in_a_window_the_alert_leaves_at_its_end() {
        for at in (0..60_000).step_by(997) {
            let mut help = HelpAlerts::new(60_000, 0);
            help.recorded(600_000 + at);
            assert_eq!(help.due_ms(), Some(660_000), "tap at {at}");
        }
    }

    #[test]
    fn a_pupil_counts_once_a_minute() {
        let mut help = HelpAlerts::new(60_000, 3);
        assert!(help.counts(7, 1_000));
        assert!(!help.counts(7, 60_999));
        assert!(help.counts(7, 61_000));
        assert!(help.counts(8, 61_000));
        assert_eq!(help.announced(), 3);
    }
}
