//! Abuse limits that never lock out a class.
//!
//! A school is one address behind NAT, and a reverse proxy makes every client look local, so
//! nothing here caps *successful* joins per address. What is limited:
//! - **failed** joins (unknown code, wrong secret or token, locked or full session) per address:
//!   a burst, then about one a second; over its budget, an address's new joins are slowed and
//!   refused without the code being looked up;
//! - failed joins in total: when a distributed guesser drains the global budget, new joins from
//!   addresses that failed recently are slowed and refused, while addresses that never failed
//!   join as usual;
//! - connections in total (`--max-connections`) and live sessions per address;
//! - sessions *created* per address per minute (`--new-sessions-per-minute`): without a host key
//!   anyone who reaches the server may create sessions, and each one that ran leaves a report.
//!
//! A budget does not stop a class once anything from its address is in: a code this address is
//! already in (a pupil, the teacher's console or the projector was welcomed with it in the last
//! half hour) is always looked up, so a bot guessing codes behind a school's NAT holds up only
//! its own guesses.
//!
//! Addresses are never kept as such: counters are keyed by a hash with a per-process random key,
//! and dropped when they are back to full or have not been used for a while.

mod address;
mod bucket;
mod open_files;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

pub use address::{client_ip, Cidr};
pub use bucket::{Take, TokenBucket};
pub use open_files::{default_max_connections, raise_open_file_limit};

/// Failed joins allowed per address per minute (`--failed-joins-per-minute`), after a burst of
/// half as many.
pub const DEFAULT_FAILED_JOINS_PER_MINUTE: u32 = 60;
/// Failed joins allowed per minute from all addresses together
/// (`--failed-joins-total-per-minute`), after a burst of a third as many.
pub const DEFAULT_FAILED_JOINS_TOTAL_PER_MINUTE: u32 = 600;
/// A code stays "in use from this address" this long after its last welcome from there.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 60);
/// At most this many (address, code) pairs are remembered; past it, new pairs are not recorded
/// (their joins then simply go through the budgets).
const KNOWN_MAX: usize = 200_000;

/// Limits for [`Guard::new`].
#[derive(Debug, Clone)]
pub struct GuardLimits {
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted: Vec<Cidr>,
    /// Most WebSocket connections at once.
    pub max_connections: usize,
    /// Most live sessions created from one address.
    pub max_sessions_per_address: usize,
    /// Sessions one address may create per minute, after a burst of as many.
    pub new_sessions_per_minute: u32,
    /// Failed joins a minute per address, after a burst of half as many.
    pub failed_joins_per_minute: u32,
    /// Failed joins a minute from all addresses, after a burst of a third as many.
    pub failed_joins_total_per_minute: u32,
}

/// How often failure counters back to full are swept away (nothing is remembered longer).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct Counters {
    failures: HashMap<u64, TokenBucket>,
    /// Sessions created lately, per address (charged on each creation).
    creations: HashMap<u64, TokenBucket>,
    /// Hash of (address, code) → last welcome: the codes each address is in.
    known: HashMap<u64, Instant>,
    sessions: HashMap<u64, Vec<String>>,
    swept: Option<Instant>,
}

impl Counters {
    /// Drops the failure counters that are back to full and the codes not welcomed for
    /// [`KNOWN_FOR`], at most once a [`SWEEP_EVERY`] (or at once past 10,000 failure counters),
    /// so an address's trace lasts about a minute after its last failure.
    fn sweep(&mut self, now: Instant) {
        let due = self
            .swept
            .is_none_or(|t| now.saturating_duration_since(t) >= SWEEP_EVERY);
        if due || self.failures.len() > 10_000 {
            self.failures.retain(|_, b| !b.is_full(now));
            self.creations.retain(|_, b| !b.is_full(now));
            self.known
                .retain(|_, at| now.saturating_duration_since(*at) < KNOWN_FOR);
            self.swept = Some(now);
        }
    }
}

/// Shared abuse limits; cheap to clone.
#[derive(Debug, Clone)]
pub struct Guard {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limits: GuardLimits,
    keys: RandomState,
    counters: Mutex<Counters>,
    global: Mutex<TokenBucket>,
    /// One permit per connection `--max-connections` allows.
    connections: Arc<Semaphore>,
    /// How many permits `connections` started with.
    max_connections: usize,
}

/// Holds one of the `--max-connections` places until dropped.
pub type ConnectionPermit = OwnedSemaphorePermit;

/// Why a join attempt is refused before it is even looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This address failed too often.
    AddressOverBudget,
    /// Too many failures everywhere, and this address failed recently.
    GlobalOverBudget,
}

impl Guard {
    /// A guard with these limits.
    pub fn new(limits: GuardLimits) -> Guard {
        let global = TokenBucket::per_minute(limits.failed_joins_total_per_minute, 3);
        let max_connections = limits.max_connections.min(Semaphore::MAX_PERMITS);
        let inner = Inner {
            limits,
            keys: RandomState::new(),
            counters: Mutex::default(),
            global: Mutex::new(global),
            connections: Arc::new(Semaphore::new(max_connections)),
            max_connections,
        };
        Guard {
            inner: Arc::new(inner),
        }
    }

    /// Trusted proxies.
    pub fn trusted(&self) -> &[Cidr] {
        &self.inner.limits.trusted
    }

    fn key(&self, ip: IpAddr) -> u64 {
        self.inner.keys.hash_one(ip)
    }

    fn pair(&self, ip: IpAddr, code: &str) -> u64 {
        self.inner.keys.hash_one((ip, code))
    }

    fn counters(&self) -> MutexGuard<'_, Counters> {
        self.inner
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a connection place, or `None` when the server is full.
    pub fn connection(&self) -> Option<ConnectionPermit> {
        self.inner.connections.clone().try_acquire_owned().ok()
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.inner.max_connections - self.inner.connections.available_permits()
    }

    /// Whether a join attempt from `ip` may be looked at.
    pub fn may_try(&self, ip: IpAddr) -> Result<(), Refusal> {
        let now = Instant::now();
        let key = self.key(ip);
        let mut counters = self.counters();
        counters.sweep(now);
        let Some(budget) = counters.failures.get_mut(&key) else {
            return Ok(());
        };
        if !budget.has_token(now) {
            return Err(Refusal::AddressOverBudget);
        }
        let failed_recently = !budget.is_full(now);
        drop(counters);
        let mut global = self.inner.global.lock().unwrap_or_else(|e| e.into_inner());
        if failed_recently && !global.has_token(now) {
            return Err(Refusal::GlobalOverBudget);
        }
        Ok(())
    }

    /// Whether a new join from `ip` with `code` may be looked at: always when `ip` is already in
    /// that session (see [`Guard::welcomed`]), else as [`Guard::may_try`] says.
    pub fn may_join(&self, ip: IpAddr, code: &str) -> Result<(), Refusal> {
        let now = Instant::now();
        let pair = self.pair(ip, code);
        let known = self
            .counters()
            .known
            .get(&pair)
            .is_some_and(|at| now.saturating_duration_since(*at) < KNOWN_FOR);
        if known {
            return Ok(());
        }
        self.may_try(ip)
    }

    /// Records that a connection from `ip` was welcomed into the session `code` (a pupil, the
    /// host or the screen): new joins from `ip` with that code then pass its budgets, since
    /// whoever is behind that address already knows it.
    pub fn welcomed(&self, ip: IpAddr, code: &str) {
        let now = Instant::now();
        let pair = self.pair(ip, code);
        let mut counters = self.counters();
        counters.sweep(now);
        if counters.known.len() < KNOWN_MAX || counters.known.contains_key(&pair) {
            counters.known.insert(pair, now);
        }
    }

    /// Records a failed join attempt from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        let now = Instant::now();
        let key = self.key(ip);
        let mut counters = self.counters();
        counters.sweep(now);
        counters
            .failures
            .entry(key)
            .or_insert_with(|| {
                TokenBucket::per_minute(self.inner.limits.failed_joins_per_minute, 2)
            })
            .take(now);
        drop(counters);
        self.inner
            .global
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(now);
    }

    /// Whether `ip` may create another session, given which codes are still live.
    pub fn may_create(&self, ip: IpAddr, live: impl Fn(&str) -> bool) -> bool {
        let key = self.key(ip);
        let mut counters = self.counters();
        let Some(codes) = counters.sessions.get_mut(&key) else {
            return true;
        };
        codes.retain(|c| live(c));
        let room = codes.len() < self.inner.limits.max_sessions_per_address;
        if codes.is_empty() {
            counters.sessions.remove(&key);
        }
        room
    }

    /// Whether `ip` may create a session now, under `--new-sessions-per-minute`; if not, how
    /// long until it may (for `Retry-After`).
    pub fn may_create_now(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let key = self.key(ip);
        let mut counters = self.counters();
        counters.sweep(now);
        match counters.creations.get_mut(&key) {
            Some(budget) => match budget.wait(now) {
                Duration::ZERO => Ok(()),
                wait => Err(wait),
            },
            None => Ok(()),
        }
    }

    /// Records a session created from `ip`.
    pub fn created(&self, ip: IpAddr, code: &str) {
        let now = Instant::now();
        let key = self.key(ip);
        let per_minute = self.inner.limits.new_sessions_per_minute;
        let mut counters = self.counters();
        counters
            .sessions
            .entry(key)
            .or_default()
            .push(code.to_owned());
        counters
            .creations
            .entry(key)
            .or_insert_with(|| TokenBucket::per_minute(per_minute, 1))
            .take(now);
    }

    /// Drops counters that are back to full (nothing to remember).
    pub fn prune(&self) {
        let now = Instant::now();
        self.counters().failures.retain(|_, b| !b.is_full(now));
    }
}
