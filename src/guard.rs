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

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::HeaderMap;
use tokio::time::Instant;

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

/// A token bucket for failures: charged only when something fails.
#[derive(Debug, Clone)]
struct Budget {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl Budget {
    /// `per_minute` failures a minute, after a burst of `per_minute / burst_divisor` (at least 1).
    fn per_minute(per_minute: u32, burst_divisor: u32) -> Budget {
        let burst = f64::from((per_minute / burst_divisor).max(1));
        Budget {
            tokens: burst,
            rate: f64::from(per_minute) / 60.0,
            burst,
            last: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
    }

    fn has_room(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= 1.0
    }

    fn charge(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = (self.tokens - 1.0).max(-self.burst);
    }

    fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.burst
    }

    /// How long until one token is back (zero when there is one now).
    fn wait(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.rate)
        }
    }
}

/// An IPv4 or IPv6 network, for `--trusted-proxy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `::1/128` or a bare address (a single host).
    pub fn parse(raw: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match raw.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw.trim(), None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{raw}` is not an IP network"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or(format!("bad prefix in `{raw}`"))?,
            None => max,
        };
        Ok(Cidr { net, prefix })
    }

    /// Whether `ip` is inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        fn bits(ip: IpAddr) -> (u128, u8) {
            match ip {
                IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => (u128::from(u32::from(v4)), 32),
                    None => (u128::from(v6), 128),
                },
            }
        }
        let (net, width) = bits(self.net);
        let (ip, ip_width) = bits(ip);
        if width != ip_width {
            return false;
        }
        let shift = u32::from(width - self.prefix.min(width));
        let mask = if shift >= 128 {
            0
        } else {
            (u128::MAX >> (128 - u32::from(width))) >> shift << shift
        };
        (net & mask) == (ip & mask)
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cidr::parse(s)
    }
}

/// The client's address: the peer, or the `X-Forwarded-For` entry a trusted proxy added.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = peer.ip();
    if !trusted.iter().any(|c| c.contains(peer)) {
        return peer;
    }
    // Walk the chain from the nearest hop; the first address not a trusted proxy is the client.
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    chain
        .into_iter()
        .rev()
        .find(|ip| !trusted.iter().any(|c| c.contains(*ip)))
        .unwrap_or(peer)
}

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
    failures: HashMap<u64, Budget>,
    /// Sessions created lately, per address (charged on each creation).
    creations: HashMap<u64, Budget>,
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
    global: Mutex<Budget>,
    connections: AtomicUsize,
}

/// Holds one of the `--max-connections` places until dropped.
#[derive(Debug)]
pub struct ConnectionPermit {
    guard: Guard,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        self.guard.inner.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

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
        let global = Budget::per_minute(limits.failed_joins_total_per_minute, 3);
        let inner = Inner {
            limits,
            keys: RandomState::new(),
            counters: Mutex::default(),
            global: Mutex::new(global),
            connections: AtomicUsize::new(0),
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
        let max = self.inner.limits.max_connections;
        let taken = self.inner.connections.fetch_add(1, Ordering::Relaxed);
        let permit = ConnectionPermit {
            guard: self.clone(),
        };
        (taken < max).then_some(permit)
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.inner.connections.load(Ordering::Relaxed)
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
        if !budget.has_room(now) {
            return Err(Refusal::AddressOverBudget);
        }
        let failed_recently = !budget.is_full(now);
        drop(counters);
        let mut global = self.inner.global.lock().unwrap_or_else(|e| e.into_inner());
        if failed_recently && !global.has_room(now) {
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
            .or_insert_with(|| Budget::per_minute(self.inner.limits.failed_joins_per_minute, 2))
            .charge(now);
        drop(counters);
        self.inner
            .global
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .charge(now);
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
            .or_insert_with(|| Budget::per_minute(per_minute, 1))
            .charge(now);
    }

    /// Drops counters that are back to full (nothing to remember).
    pub fn prune(&self) {
        let now = Instant::now();
        self.counters().failures.retain(|_, b| !b.is_full(now));
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::new(GuardLimits {
            trusted: vec![],
            max_connections: 2,
            max_sessions_per_address: 2,
            new_sessions_per_minute: 3,
            failed_joins_per_minute: DEFAULT_FAILED_JOINS_PER_MINUTE,
            failed_joins_total_per_minute: DEFAULT_FAILED_JOINS_TOTAL_PER_MINUTE,
        })
    }

    #[test]
    fn cidrs_match_their_networks() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.200.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(Cidr::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("127.0.0.1/8")
            .unwrap()
            .contains("::ffff:127.0.0.9".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.7, 10.0.0.2".parse().unwrap());
        let trusted = vec![Cidr::parse("10.0.0.0/8").unwrap()];
        let proxy: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let stranger: SocketAddr = "198.51.100.1:5000".parse().unwrap();
        assert_eq!(
            client_ip(proxy, &headers, &trusted),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(stranger, &headers, &trusted), stranger.ip());
    }

    #[test]
    fn failures_are_limited_per_address_and_successes_never() {
        let g = guard();
        let bot: IpAddr = "192.0.2.1".parse().unwrap();
        let class: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..30 {
            assert!(g.may_try(bot).is_ok());
            g.failed(bot);
        }
        assert_eq!(g.may_try(bot), Err(Refusal::AddressOverBudget));
        for _ in 0..1000 {
            assert!(
                g.may_try(class).is_ok(),
                "an address that never failed is never refused"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_failure_budgets_follow_their_flags() {
        let g = Guard::new(GuardLimits {
            failed_joins_per_minute: 12,
            failed_joins_total_per_minute: 30,
            ..guard().inner.limits.clone()
        });
        let ip: IpAddr = "192.0.2.6".parse().unwrap();
        // A burst of half the minute's allowance, then one every 5 s.
        for _ in 0..6 {
            assert!(g.may_try(ip).is_ok());
            g.failed(ip);
        }
        assert_eq!(g.may_try(ip), Err(Refusal::AddressOverBudget));
        tokio::time::advance(Duration::from_millis(4_900)).await;
        assert!(g.may_try(ip).is_err());
        tokio::time::advance(Duration::from_millis(200)).await;
        assert!(g.may_try(ip).is_ok());
        // The global burst is a third of its minute's allowance (10), and it refills at 0.5/s:
        // 6 spent above, 2.5 back since, 8 more failures elsewhere drain it.
        let others: Vec<IpAddr> = (10..18)
            .map(|i| format!("192.0.2.{i}").parse().unwrap())
            .collect();
        for ip in &others {
            g.failed(*ip);
        }
        assert_eq!(g.may_try(others[0]), Err(Refusal::GlobalOverBudget));
    }

    #[tokio::test(start_paused = true)]
    async fn a_code_in_use_from_an_address_passes_its_budget_for_half_an_hour() {
        let g = guard();
        let school: IpAddr = "192.0.2.3".parse().unwrap();
        let elsewhere: IpAddr = "192.0.2.4".parse().unwrap();
        g.welcomed(school, "123456");
        for _ in 0..40 {
            g.failed(school);
        }
        assert_eq!(g.may_try(school), Err(Refusal::AddressOverBudget));
        assert_eq!(
            g.may_join(school, "654321"),
            Err(Refusal::AddressOverBudget)
        );
        for _ in 0..100 {
            assert!(
                g.may_join(school, "123456").is_ok(),
                "the class was refused"
            );
        }
        // The pass belongs to the address that was welcomed, not to the code.
        for _ in 0..40 {
            g.failed(elsewhere);
        }
        assert!(g.may_join(elsewhere, "123456").is_err());
        // Each welcome renews it; without one for half an hour it lapses and is swept.
        tokio::time::advance(Duration::from_secs(29 * 60)).await;
        g.welcomed(school, "123456");
        tokio::time::advance(Duration::from_secs(29 * 60)).await;
        for _ in 0..40 {
            g.failed(school);
        }
        assert!(g.may_join(school, "123456").is_ok());
        tokio::time::advance(Duration::from_secs(2 * 60)).await;
        for _ in 0..40 {
            g.failed(school);
        }
        assert!(g.may_join(school, "123456").is_err());
        assert!(g.counters().known.is_empty(), "a lapsed code was kept");
    }

    #[tokio::test(start_paused = true)]
    async fn failure_counters_are_forgotten_about_a_minute_after_they_refill() {
        let g = guard();
        let ip: IpAddr = "192.0.2.5".parse().unwrap();
        g.failed(ip);
        assert_eq!(g.counters().failures.len(), 1);
        tokio::time::advance(std::time::Duration::from_secs(30)).await;
        assert!(g.may_try(ip).is_ok());
        tokio::time::advance(std::time::Duration::from_secs(31)).await;
        assert!(g.may_try(ip).is_ok());
        assert!(g.counters().failures.is_empty(), "a full counter was kept");
    }

    #[tokio::test(start_paused = true)]
    async fn creations_are_capped_per_address_per_minute() {
        let g = guard();
        let ip: IpAddr = "192.0.2.10".parse().unwrap();
        let other: IpAddr = "192.0.2.11".parse().unwrap();
        for n in 0..3 {
            assert_eq!(g.may_create_now(ip), Ok(()));
            g.created(ip, &format!("10000{n}"));
        }
        // A burst of 3, then one every 20 s.
        let wait = g.may_create_now(ip).unwrap_err();
        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(g.may_create_now(other), Ok(()));
        tokio::time::advance(Duration::from_secs(15)).await;
        let wait = g.may_create_now(ip).unwrap_err();
        assert!(wait <= Duration::from_secs(5), "{wait:?}");
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(g.may_create_now(ip), Ok(()));
        // Back to full, the counter is forgotten at the next sweep.
        tokio::time::advance(Duration::from_secs(120)).await;
        assert_eq!(g.may_create_now(other), Ok(()));
        assert!(g.counters().creations.is_empty(), "a full counter was kept");
    }

    #[test]
    fn connections_and_sessions_are_capped() {
        let g = guard();
        let a = g.connection().unwrap();
        let _b = g.connection().unwrap();
        assert!(g.connection().is_none());
        drop(a);
        assert!(g.connection().is_some());
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        g.created(ip, "111111");
        g.created(ip, "222222");
        assert!(!g.may_create(ip, |_| true));
        assert!(g.may_create(ip, |c| c != "111111"));
    }
}
