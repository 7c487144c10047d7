//! [`TokenBucket`]: the one rate limiter, for a connection's messages and for failed joins and
//! session creations alike.

use std::time::Duration;

use tokio::time::Instant;

/// Tokens that come back at a steady rate up to a burst. Each event takes one; without one the
/// balance goes into debt, at most one burst deep, and has to be paid back before the next
/// event is within the budget again.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    /// Tokens back per second.
    rate: f64,
    burst: f64,
    last: Instant,
}

/// What taking a token came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// There was a token.
    Paid,
    /// There was none: the balance went (further) into debt.
    Debt,
    /// There was none, and the debt would have gone past one burst (it stays there).
    Overdrawn,
}

impl TokenBucket {
    /// A full bucket: `burst` tokens, `per_second` back each second.
    pub fn new(per_second: f64, burst: f64) -> TokenBucket {
        TokenBucket {
            tokens: burst,
            rate: per_second,
            burst,
            last: Instant::now(),
        }
    }

    /// `per_minute` tokens a minute, after a burst of `per_minute / burst_divisor` (at least 1).
    pub fn per_minute(per_minute: u32, burst_divisor: u32) -> TokenBucket {
        let burst = f64::from((per_minute / burst_divisor.max(1)).max(1));
        TokenBucket::new(f64::from(per_minute) / 60.0, burst)
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
    }

    /// Takes a token for an event at `now`.
    pub fn take(&mut self, now: Instant) -> Take {
        self.refill(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Take::Paid
        } else if self.tokens < -self.burst {
            self.tokens = -self.burst;
            Take::Overdrawn
        } else {
            Take::Debt
        }
    }

    /// Whether there is a token at `now` (nothing is taken).
    pub fn has_token(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= 1.0
    }

    /// Whether the bucket is back to full at `now` (nothing to remember about it).
    pub fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.burst
    }

    /// How long after `now` a token is back (zero when there is one).
    pub fn wait(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_debt_down_to_one_burst() {
        let start = Instant::now();
        let mut b = TokenBucket::new(10.0, 3.0);
        let takes: Vec<Take> = (0..8).map(|_| b.take(start)).collect();
        use Take::*;
        assert_eq!(
            takes,
            [Paid, Paid, Paid, Debt, Debt, Debt, Overdrawn, Overdrawn]
        );
        // Three tokens owed and one more to have one: 0.4 s at 10 a second.
        let wait = b.wait(start).as_secs_f64();
        assert!((wait - 0.4).abs() < 1e-9, "{wait}");
        assert!(!b.has_token(start + Duration::from_millis(399)));
        assert!(b.has_token(start + Duration::from_millis(401)));
        assert!(!b.is_full(start + Duration::from_millis(599)));
        assert!(b.is_full(start + Duration::from_millis(601)));
    }

    #[test]
    fn per_minute_bursts_a_share_of_the_minute() {
        let start = Instant::now();
        let mut b = TokenBucket::per_minute(60, 2);
        assert_eq!((0..40).filter(|_| b.take(start) == Take::Paid).count(), 30);
        assert_eq!(TokenBucket::per_minute(1, 3).burst, 1.0);
    }
}
