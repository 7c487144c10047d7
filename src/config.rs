//! The serve configuration: every flag also a `LOUPE_*` variable, every default written once,
//! and the options each layer gets from it (the subcommands are in `cli.rs`).

mod cli;
mod parse;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::guard::{
    Cidr, GuardLimits, DEFAULT_FAILED_JOINS_PER_MINUTE, DEFAULT_FAILED_JOINS_TOTAL_PER_MINUTE,
};
use crate::session::Limits;
use crate::store::{StoreOptions, SyncMode};

pub use cli::{default_quiz_dir, CheckArgs, Cli, Command, PurgeArgs};

/// Where Loupe listens unless told otherwise: every interface, so phones on the LAN can join.
pub const DEFAULT_ADDR: &str = "0.0.0.0:8080";
/// How long a session survives with no host connected (`--host-grace`).
pub const DEFAULT_HOST_GRACE: &str = "30m";
/// The help-request window (`--help-window`): alerts reach hosts at whole minutes.
pub const DEFAULT_HELP_WINDOW: &str = "1m";
/// How long a session lives at most (`--max-session-life`): a school day, 7:30 to 19:30, holds
/// any lesson, an after-school club or a whole prevention day; a console left open in the
/// evening does not keep pupils' answers on disk overnight.
pub const DEFAULT_MAX_SESSION_LIFE: &str = "12h";
/// Sessions one address may create per minute (`--new-sessions-per-minute`): a school's
/// teachers behind one NAT starting their lessons at the bell stay well under it.
pub const DEFAULT_NEW_SESSIONS_PER_MINUTE: u32 = 30;
/// Most bytes all stored reports take (`--max-reports-size`): about 25,000 reports of a
/// 20-question quiz.
pub const DEFAULT_MAX_REPORTS_SIZE: &str = "256MB";
/// Most pupils in one session.
pub const DEFAULT_MAX_PLAYERS: u32 = 10_000;
/// Most live sessions on one server.
pub const DEFAULT_MAX_SESSIONS: usize = 1_000;
/// Most live sessions from one address (a school behind NAT is one address).
pub const DEFAULT_MAX_SESSIONS_PER_ADDRESS: usize = 50;
/// Extra quiz folder used when `--quizzes` is not given and this folder exists.
pub const DEFAULT_QUIZ_DIR: &str = "quizzes";
/// Longest accepted `--public-url`: join links must stay short enough for a readable QR code.
const MAX_PUBLIC_URL_LEN: usize = 200;

/// `--data`, else the system data folder + `loupe`, else `./loupe-data`.
fn data_dir_of(data: Option<&PathBuf>) -> PathBuf {
    match (data, dirs::data_dir()) {
        (Some(dir), _) => dir.clone(),
        (None, Some(system)) => system.join("loupe"),
        (None, None) => PathBuf::from("loupe-data"),
    }
}

/// Where session journals are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum JournalKind {
    /// In the SQLite store in --data: sessions survive a crash or a restart.
    #[default]
    Sqlite,
    /// In memory: nothing survives the process.
    Memory,
}

/// Parses a grace period: minutes, or a number with `s`, `m` or `h`; 1 second to 7 days.
fn parse_grace(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (digits, unit) = match raw.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => raw.split_at(i),
        None => (raw, "m"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{raw}` is not a duration such as 30m or 90s"))?;
    let secs = match unit.trim() {
        "s" => n,
        "m" | "min" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        other => return Err(format!("unknown unit `{other}`: use s, m or h")),
    };
    if !(1..=7 * 24 * 3600).contains(&secs) {
        return Err("the grace must be between 1 second and 7 days".into());
    }
    Ok(Duration::from_secs(secs))
}

/// A host key: 1 to 200 printable ASCII characters (a header cannot carry others reliably, so a
/// key with an accent would never match what a browser sends).
fn parse_host_key(raw: &str) -> Result<String, String> {
    let printable = raw.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if raw.trim().is_empty() || raw.len() > 200 || !printable {
        return Err("the host key must be 1 to 200 printable ASCII characters (no accents)".into());
    }
    Ok(raw.to_owned())
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Serve configuration; `Config::default()` (or [`Config::for_tests`]) builds one without a command line.
///
/// Every default is written once, in the `#[arg]` attributes below (with the `DEFAULT_*`
/// constants): `Config::default()` is what they give, and the session, store and guard options
/// are built from a `Config` ([`Config::limits`], [`Config::store_options`],
/// [`Config::guard_limits`]), never with defaults of their own.
///
/// Its `Debug` output hides the host key, so logging a configuration never leaks it.
#[derive(Clone, Args)]
pub struct Config {
    /// Address and port to listen on. Use 127.0.0.1:8080 to allow this computer only.
    #[arg(long, env = "LOUPE_ADDR", default_value = DEFAULT_ADDR, value_name = "IP:PORT")]
    pub addr: SocketAddr,

    /// Address phones use to reach Loupe, for join links and QR codes (e.g.
    /// `https://quiz.example.org`). Default: guessed from this computer's LAN address.
    #[arg(long, env = "LOUPE_PUBLIC_URL", value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// Extra folder of quiz files (*.toml), loaded after the bundled quizzes.
    /// Default: ./quizzes when it exists (except the bundled quizzes' own source folder).
    #[arg(long, env = "LOUPE_QUIZZES", value_name = "DIR")]
    pub quizzes: Option<PathBuf>,

    /// Folder for Loupe's data (created at start). Default: the system data folder + /loupe
    /// (e.g. ~/.local/share/loupe), or ./loupe-data when there is none.
    #[arg(long, env = "LOUPE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// When set, creating a session and seeing a quiz with its answers need this key (HTTP header
    /// X-Loupe-Host-Key; printable ASCII, as HTTP headers are). Default: anyone who can reach the
    /// server may create sessions.
    #[arg(
        long,
        env = "LOUPE_HOST_KEY",
        value_name = "KEY",
        hide_env_values = true,
        value_parser = parse_host_key
    )]
    pub host_key: Option<String>,

    /// How long a session survives with no host connected, in minutes (`30`), or with a unit
    /// (`90s`, `30m`, `2h`). Also how long an unfinished session found at start is kept.
    #[arg(long, env = "LOUPE_HOST_GRACE", value_name = "DURATION",
          default_value = DEFAULT_HOST_GRACE, value_parser = parse_grace)]
    pub host_grace: Duration,

    /// "Talk to an adult" alerts reach the teacher only at whole multiples of this in session
    /// time (`60s`, `2m`; a bare number is minutes), so the moment an alert arrives does not
    /// point at the pupil who just tapped. Shorter is quicker, and tells more.
    #[arg(long, env = "LOUPE_HELP_WINDOW", value_name = "DURATION",
          default_value = DEFAULT_HELP_WINDOW, value_parser = parse_grace)]
    pub help_window: Duration,
    /// Longest a session lives, from its creation (`12h`, `90m`, `2d`; a bare number is hours).
    /// Then it ends as if its host had ended it, even with a console open, and across restarts.
    #[arg(long, env = "LOUPE_MAX_SESSION_LIFE", value_name = "DURATION",
          default_value = DEFAULT_MAX_SESSION_LIFE, value_parser = parse::session_life)]
    pub max_session_life: Duration,

    /// Where session journals are kept: `sqlite` (in --data; every acknowledged answer survives a
    /// crash) or `memory` (nothing survives the process; for comparison runs).
    #[arg(long, env = "LOUPE_JOURNAL", value_enum, default_value_t = JournalKind::Sqlite)]
    pub journal: JournalKind,

    /// Durability of the SQLite journal: `normal` survives a crash of Loupe or of the computer's
    /// programs; `full` also survives a power cut, at the cost of a disk sync per commit.
    #[arg(long, env = "LOUPE_SYNC", value_enum, default_value_t = SyncMode::Normal)]
    pub sync: SyncMode,

    /// Most pupils in one session.
    #[arg(long, env = "LOUPE_MAX_PLAYERS", value_name = "N", default_value_t = DEFAULT_MAX_PLAYERS,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_players: u32,

    /// Most live sessions on this server.
    #[arg(long, env = "LOUPE_MAX_SESSIONS", value_name = "N", default_value_t = DEFAULT_MAX_SESSIONS,
          value_parser = parse_positive_usize)]
    pub max_sessions: usize,

    /// Proxies whose X-Forwarded-For header is believed for the client address (comma-separated
    /// networks, e.g. `127.0.0.1/32,10.0.0.0/8`). Default: none, the peer address is the client.
    #[arg(
        long,
        env = "LOUPE_TRUSTED_PROXY",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub trusted_proxy: Vec<Cidr>,

    /// Most WebSocket connections at once. Default: the open-file limit (raised at start to the
    /// hard limit) minus 64.
    #[arg(long, env = "LOUPE_MAX_CONNECTIONS", value_name = "N", value_parser = parse_positive_usize)]
    pub max_connections: Option<usize>,

    /// Most live sessions created from one address (a school behind NAT is one address).
    #[arg(long, env = "LOUPE_MAX_SESSIONS_PER_ADDRESS", value_name = "N",
          default_value_t = DEFAULT_MAX_SESSIONS_PER_ADDRESS, value_parser = parse_positive_usize)]
    pub max_sessions_per_address: usize,

    /// Sessions one address may create per minute, after a burst of as many; over it, creating
    /// one answers 429 with `Retry-After`.
    #[arg(long, env = "LOUPE_NEW_SESSIONS_PER_MINUTE", value_name = "N",
          default_value_t = DEFAULT_NEW_SESSIONS_PER_MINUTE,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub new_sessions_per_minute: u32,

    /// Most space all stored reports may take (`256MB`, `1GB`; KB, MB, GB or KiB, MiB, GiB).
    /// Over it, expired reports are deleted first, then the oldest (never a live session's data).
    #[arg(long, env = "LOUPE_MAX_REPORTS_SIZE", value_name = "SIZE",
          default_value = DEFAULT_MAX_REPORTS_SIZE, value_parser = parse::size)]
    pub max_reports_size: u64,

    /// Failed joins (unknown code, wrong secret or token, locked or full session) allowed per
    /// address per minute, after a burst of half as many. Over it, a new join from that address
    /// waits a second and is refused, unless it is to a session that address is already in.
    /// Below 60, a class typing a code wrong may be held up.
    #[arg(long, env = "LOUPE_FAILED_JOINS_PER_MINUTE", value_name = "N",
          default_value_t = DEFAULT_FAILED_JOINS_PER_MINUTE,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub failed_joins_per_minute: u32,

    /// Failed joins allowed per minute from all addresses together, after a burst of a third as
    /// many. Over it, addresses that failed lately are refused as above; others join as usual.
    #[arg(long, env = "LOUPE_FAILED_JOINS_TOTAL_PER_MINUTE", value_name = "N",
          default_value_t = DEFAULT_FAILED_JOINS_TOTAL_PER_MINUTE,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub failed_joins_total_per_minute: u32,

    /// After binding, write the bound address (ip:port and a newline) to this file, atomically.
    /// Useful with --addr 127.0.0.1:0 to learn the port picked.
    #[arg(long, env = "LOUPE_READY_FILE", value_name = "PATH")]
    pub ready_file: Option<PathBuf>,

    /// Log format. The log level comes from RUST_LOG (default: loupe=info); other crates never
    /// log below info, whatever RUST_LOG says (their debug lines carry frames and secrets).
    #[arg(long, env = "LOUPE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Default for Config {
    /// What `loupe serve` runs with when given no flag and no `LOUPE_*` variable: the defaults of
    /// the `#[arg]` attributes, read through clap itself so they cannot drift apart.
    fn default() -> Self {
        let command = <Config as Args>::augment_args(clap::Command::new("loupe"))
            .mut_args(|arg| arg.env(None::<&str>));
        let matches = command
            .try_get_matches_from(["loupe"])
            .expect("the serve flags' defaults parse");
        <Config as clap::FromArgMatches>::from_arg_matches(&matches)
            .expect("the serve flags' defaults make a configuration")
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("public_url", &self.public_url)
            .field("quizzes", &self.quizzes)
            .field("data", &self.data)
            .field("host_key", &self.host_key.as_ref().map(|_| "<redacted>"))
            .field("host_grace", &self.host_grace)
            .field("help_window", &self.help_window)
            .field("max_session_life", &self.max_session_life)
            .field("journal", &self.journal)
            .field("sync", &self.sync)
            .field("max_players", &self.max_players)
            .field("max_sessions", &self.max_sessions)
            .field("trusted_proxy", &self.trusted_proxy)
            .field("max_connections", &self.max_connections)
            .field("max_sessions_per_address", &self.max_sessions_per_address)
            .field("new_sessions_per_minute", &self.new_sessions_per_minute)
            .field("max_reports_size", &self.max_reports_size)
            .field("failed_joins_per_minute", &self.failed_joins_per_minute)
            .field(
                "failed_joins_total_per_minute",
                &self.failed_joins_total_per_minute,
            )
            .field("ready_file", &self.ready_file)
            .field("log_format", &self.log_format)
            .finish()
    }
}

impl Config {
    /// A configuration for in-process tests: loopback on a free port, bundled quizzes only, and a
    /// fresh data folder under the system temporary folder (never the user's data folder).
    pub fn for_tests() -> Config {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let data = std::env::temp_dir().join(format!("loupe-test-{}-{n}", std::process::id()));
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: Some(data),
            ..Config::default()
        }
    }

    /// The data folder: `--data`, else the system data folder + `loupe`, else `./loupe-data`.
    pub fn data_dir(&self) -> PathBuf {
        data_dir_of(self.data.as_ref())
    }

    /// How long a session survives with no host connected.
    pub fn host_grace(&self) -> Duration {
        self.host_grace
    }

    /// The session limits this configuration sets.
    pub fn limits(&self) -> Limits {
        Limits {
            host_grace: self.host_grace(),
            max_life: self.max_session_life,
            max_players: self.max_players,
            max_sessions: self.max_sessions,
            help_window: self.help_window,
        }
    }

    /// How the store runs.
    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            sync: self.sync,
            host_grace: self.host_grace,
            max_life: self.max_session_life,
            max_reports_bytes: self.max_reports_size,
        }
    }
}

impl Config {
    /// The abuse limits this configuration sets; `open_files` is the process's open-file limit.
    pub fn guard_limits(&self, open_files: Option<u64>) -> GuardLimits {
        GuardLimits {
            trusted: self.trusted_proxy.clone(),
            max_connections: self
                .max_connections
                .unwrap_or_else(|| crate::guard::default_max_connections(open_files)),
            max_sessions_per_address: self.max_sessions_per_address,
            new_sessions_per_minute: self.new_sessions_per_minute,
            failed_joins_per_minute: self.failed_joins_per_minute,
            failed_joins_total_per_minute: self.failed_joins_total_per_minute,
        }
    }
}

/// Accepts an `http://` or `https://` URL of reasonable length and trims trailing slashes.
fn parse_public_url(raw: &str) -> Result<String, String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("must start with http:// or https://")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("needs a host name after http:// or https://".into());
    }
    if url.len() > MAX_PUBLIC_URL_LEN {
        return Err(format!("longer than {MAX_PUBLIC_URL_LEN} characters"));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#'))
    {
        return Err("must not contain spaces, `?` or `#`".into());
    }
    Ok(url.to_owned())
}

/// A whole number of at least 1.
fn parse_positive_usize(raw: &str) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests;
