//! A connection's message budget (a [`TokenBucket`]): a pupil tapping fast is fine, a script flooding
//! is told, then cut.

use std::time::Duration;

use tokio::time::Instant;

use crate::guard::{Take, TokenBucket};

/// What to do with one incoming message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Within the budget: handle it.
    Pass,
    /// Over the budget: drop it; `warn` is true the first time in a row (send `rate_limited`).
    Drop {
        /// Tell the client (once per burst of drops).
        warn: bool,
    },
    /// Still flooding after the warning: close the connection (4029).
    Close,
}

/// A connection's message budget: a [`TokenBucket`] of `rate` messages a second after a burst
/// of `burst`; going `burst` messages into debt closes the connection. Remembers whether the
/// client was already warned in this run of drops.
#[derive(Debug)]
pub struct Bucket {
    tokens: TokenBucket,
    warned: bool,
    last_flow: Flow,
}

impl Bucket {
    /// A full bucket.
    pub fn new(rate: f64, burst: f64) -> Bucket {
        Bucket {
            tokens: TokenBucket::new(rate, burst),
            warned: false,
            last_flow: Flow::Pass,
        }
    }

    /// Budget for pupils and screens: 10 messages a second, bursts of 30.
    pub fn for_pupil() -> Bucket {
        Bucket::new(10.0, 30.0)
    }

    /// Budget for hosts (a console replays a few commands on reconnect): 50 a second, bursts of 100.
    pub fn for_host() -> Bucket {
        Bucket::new(50.0, 100.0)
    }

    /// Accounts for one message arriving at `now`.
    pub fn take(&mut self, now: Instant) -> Flow {
        match self.tokens.take(now) {
            Take::Paid => {
                self.warned = false;
                Flow::Pass
            }
            Take::Overdrawn => Flow::Close,
            Take::Debt => {
                let warn = !self.warned;
                self.warned = true;
                Flow::Drop { warn }
            }
        }
    }

    /// Charges one message; whether it may be handled (else see [`Bucket::verdict`]).
    pub fn allows(&mut self, now: Instant) -> bool {
        self.last_flow = self.take(now);
        self.last_flow == Flow::Pass
    }

    /// The outcome of the last [`Bucket::allows`].
    pub fn verdict(&self) -> Flow {
        self.last_flow
    }

    /// How long after `now` (when the last message was charged) one would pass again, for the
    /// error text.
    pub fn retry_after(&mut self, now: Instant) -> Duration {
        self.tokens.wait(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_a_flood_is_warned_then_closed() {
        let start = Instant::now();
        let mut b = Bucket::new(10.0, 30.0);
        for _ in 0..30 {
            assert_eq!(b.take(start), Flow::Pass);
        }
        assert_eq!(b.take(start), Flow::Drop { warn: true });
        for _ in 0..29 {
            assert_eq!(b.take(start), Flow::Drop { warn: false });
        }
        assert_eq!(b.take(start), Flow::Close);
    }

    #[test]
    fn steady_taps_never_trip() {
        let start = Instant::now();
        let mut b = Bucket::for_pupil();
        for i in 0..1000u64 {
            assert_eq!(b.take(start + Duration::from_millis(i * 100)), Flow::Pass);
        }
    }
}
