//! When a client tries again after losing its connection: exponential backoff with full jitter.
//!
//! After a restart (close 1012), a crash or a Wi-Fi drop, every phone of a class — or of an
//! auditorium — reconnects at once. If they all retried on the same schedule, the server would
//! meet 2,000 handshakes in the same millisecond, fail some, and meet them again on the next
//! tick. Full jitter (Brooker, "Exponential Backoff And Jitter", AWS 2015) spreads each retry
//! uniformly over its whole window, which removes the synchronised waves.
//!
//! The rule, shared by the test clients, the load generator and the pupil page's JavaScript:
//!
//! ```text
//! ceiling(n) = min(cap, first · 2ⁿ)           n = 0, 1, 2 … failed attempts so far
//! delay(n)   = uniform(floor, max(floor, ceiling(n)))
//! ```
//!
//! With the defaults (`floor` 0.25 s, `first` 1 s, `cap` 10 s) the first try comes within
//! 0.25–1 s, then within 0.25–2 s, 0.25–4 s, 0.25–8 s and 0.25–10 s from then on. The floor
//! keeps a phone from hammering a server that is still starting; everything above it is jitter.
//! Reset the backoff once a resume has succeeded.

use std::time::Duration;

use rand::Rng;

/// Shortest wait before any attempt.
pub const FLOOR: Duration = Duration::from_millis(250);
/// Upper end of the first attempt's window.
pub const FIRST: Duration = Duration::from_secs(1);
/// Longest wait, however many attempts have failed.
pub const CAP: Duration = Duration::from_secs(10);

/// The delays before successive reconnection attempts (see the module docs for the rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    floor: Duration,
    first: Duration,
    cap: Duration,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

impl Backoff {
    /// The default policy: first try within 0.25–1 s, windows doubling up to 10 s.
    pub fn new() -> Backoff {
        Backoff::with_limits(FLOOR, FIRST, CAP)
    }

    /// A policy with other limits (a load generator may want shorter ones). `first` and `cap`
    /// below `floor` are raised to it.
    pub fn with_limits(floor: Duration, first: Duration, cap: Duration) -> Backoff {
        Backoff {
            floor,
            first: first.max(floor),
            cap: cap.max(floor),
            attempt: 0,
        }
    }

    /// Failed attempts so far (0 before the first try).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The window `[low, high]` the next delay is drawn from.
    pub fn window(&self) -> (Duration, Duration) {
        // 2^n overflows nothing: the shift is capped, and the product saturates.
        let factor = 1u32 << self.attempt.min(20);
        let ceiling = self.first.saturating_mul(factor).min(self.cap);
        (self.floor, ceiling.max(self.floor))
    }

    /// The delay before the next attempt, drawn with `rng`; counts the attempt.
    pub fn next_delay_with<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Duration {
        let (low, high) = self.window();
        self.attempt = self.attempt.saturating_add(1);
        let (low_ns, high_ns) = (nanos(low), nanos(high));
        Duration::from_nanos(rng.random_range(low_ns..=high_ns))
    }

    /// The delay before the next attempt, drawn from the thread's random generator.
    pub fn next_delay(&mut self) -> Duration {
        self.next_delay_with(&mut rand::rng())
    }

    /// Back to the first window, after a successful reconnection.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn windows_double_from_one_second_up_to_the_cap() {
        let mut b = Backoff::new();
        let mut rng = StdRng::seed_from_u64(1);
        let expected = [1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000];
        for high in expected {
            assert_eq!(b.window(), (ms(250), ms(high)));
            b.next_delay_with(&mut rng);
        }
        for _ in 0..100 {
            b.next_delay_with(&mut rng);
        }
        assert_eq!(
            b.window(),
            (ms(250), ms(10_000)),
            "no overflow after many attempts"
        );
        b.reset();
        assert_eq!((b.attempt(), b.window()), (0, (ms(250), ms(1_000))));
    }

    #[test]
    fn every_delay_lies_in_its_window() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let mut b = Backoff::new();
            for _ in 0..8 {
                let (low, high) = b.window();
                let d = b.next_delay_with(&mut rng);
                assert!(low <= d && d <= high, "{d:?} outside {low:?}..={high:?}");
            }
        }
    }

    #[test]
    fn the_first_try_is_within_a_quarter_second_and_one_second_and_spread_out() {
        let mut rng = StdRng::seed_from_u64(42);
        let firsts: Vec<Duration> = (0..2_000)
            .map(|_| Backoff::new().next_delay_with(&mut rng))
            .collect();
        assert!(firsts.iter().all(|d| ms(250) <= *d && *d <= ms(1_000)));
        // Full jitter: the tries cover the window rather than bunching up (each quarter of the
        // window gets a fair share of 2,000 draws).
        for quarter in 0..4u64 {
            let (lo, hi) = (ms(250 + quarter * 187), ms(250 + (quarter + 1) * 187));
            let n = firsts.iter().filter(|d| lo <= **d && **d < hi).count();
            assert!(
                n > 350,
                "quarter {quarter} got only {n} of 2000 first tries"
            );
        }
    }

    #[test]
    fn limits_below_the_floor_are_raised() {
        let b = Backoff::with_limits(ms(500), ms(100), ms(200));
        assert_eq!(b.window(), (ms(500), ms(500)));
        let mut b = Backoff::with_limits(ms(10), ms(20), ms(50));
        let mut rng = StdRng::seed_from_u64(3);
        let d = b.next_delay_with(&mut rng);
        assert!(ms(10) <= d && d <= ms(20), "{d:?}");
        assert_eq!(b.window(), (ms(10), ms(40)));
        b.next_delay_with(&mut rng);
        assert_eq!(b.window(), (ms(10), ms(50)));
    }
}
