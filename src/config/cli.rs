//! The command line: `loupe [serve]`, `loupe check FILE…` and `loupe purge`.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use super::{data_dir_of, Config, DEFAULT_QUIZ_DIR};

/// Loupe: a live classroom quiz server about life online. Anonymous class results, a private score
/// for each pupil, nothing sent anywhere.
///
/// With no subcommand, `loupe` serves (same flags as `loupe serve`).
#[derive(Debug, Parser)]
#[command(name = "loupe", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    command: Option<Command>,
    /// Serve flags given without the `serve` subcommand.
    #[command(flatten)]
    serve: Config,
}

impl Cli {
    /// The command to run, with defaults that depend on the working directory resolved
    /// (see [`default_quiz_dir`]).
    pub fn into_command(self) -> Command {
        match self.command.unwrap_or(Command::Serve(self.serve)) {
            Command::Serve(mut config) => {
                if config.quizzes.is_none() {
                    config.quizzes = default_quiz_dir();
                }
                Command::Serve(config)
            }
            check => check,
        }
    }
}

/// `./quizzes` when it exists, unless it is the source folder the bundled quizzes were compiled
/// from (running from a checkout): those quizzes are already loaded, and loading them twice
/// would be refused as duplicate ids.
pub fn default_quiz_dir() -> Option<PathBuf> {
    let dir = Path::new(DEFAULT_QUIZ_DIR);
    if !dir.is_dir() {
        return None;
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_QUIZ_DIR);
    match (dir.canonicalize(), source.canonicalize()) {
        (Ok(a), Ok(b)) if a == b => None,
        _ => Some(dir.to_path_buf()),
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
// Parsed once at start: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Serve quizzes on the LAN (the default).
    Serve(Config),
    /// Check quiz files and print every problem as `file:line:column: message`.
    Check(CheckArgs),
    /// While Loupe is stopped: delete every live session's journal (keeping its anonymous
    /// report) and every expired report, securely, and print what was deleted.
    Purge(PurgeArgs),
}

/// Arguments of `loupe purge`.
#[derive(Debug, Clone, Args)]
pub struct PurgeArgs {
    /// The data folder to purge (the same as `loupe serve`'s).
    #[arg(long, env = "LOUPE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl PurgeArgs {
    /// The data folder, found as `loupe serve` finds it.
    pub fn data_dir(&self) -> PathBuf {
        data_dir_of(self.data.as_ref())
    }
}

/// Arguments of `loupe check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Quiz files to check; a folder stands for the `.toml` files directly inside it.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

impl CheckArgs {
    /// The files to check, with each folder replaced by its `.toml` files in name order.
    ///
    /// A folder that cannot be read is kept as it is, so the checker reports it as a problem.
    pub fn expand(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for path in &self.files {
            let entries = match path.is_dir().then(|| std::fs::read_dir(path)) {
                Some(Ok(entries)) => entries,
                _ => {
                    out.push(path.clone());
                    continue;
                }
            };
            let mut tomls: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
                .collect();
            tomls.sort();
            out.extend(tomls);
        }
        out
    }
}
