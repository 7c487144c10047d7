//! The `loupe` binary: check quiz files, purge a stopped Loupe's data, or serve until Ctrl-C /
//! SIGTERM.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use loupe::app::App;
use loupe::config::{Cli, Command, Config, PurgeArgs};
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let result = match Cli::parse().into_command() {
        Command::Check(args) => check(&args.expand()),
        Command::Serve(config) => serve(config),
        Command::Purge(args) => purge(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("loupe: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `loupe check`: every problem on stderr, exit 1 if there is any.
fn check(files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(!files.is_empty(), "no quiz file (*.toml) to check");
    let problems = loupe::quiz::check_files(files);
    for problem in &problems {
        eprintln!("{problem}");
    }
    if !problems.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    println!("{} files OK", files.len());
    Ok(ExitCode::SUCCESS)
}

/// `loupe purge`: deletes live journals and expired reports of a stopped Loupe; prints counts.
fn purge(args: &PurgeArgs) -> anyhow::Result<ExitCode> {
    let dir = args.data_dir();
    let done = match loupe::store::purge_stopped(&dir) {
        Ok(done) => done,
        Err(loupe::store::StoreError::Locked(dir)) => anyhow::bail!(
            "a Loupe is running on {}: stop it first (while it runs, it deletes each session's \
             pupil data when the session ends)",
            dir.display()
        ),
        Err(e) => return Err(e).context(format!("purging {}", dir.display())),
    };
    if !done.found {
        println!("Nothing to purge: no Loupe database in {}.", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    println!("Purged {}:", dir.display());
    println!(
        "- journals of unfinished sessions deleted: {} ({} events: joins, answers, token hashes)",
        done.journals, done.events
    );
    println!(
        "- anonymous reports made from them: {} (kept for the retention their teacher chose)",
        done.reports_made
    );
    println!("- expired reports deleted: {}", done.expired);
    println!("- reports kept: {}", done.reports_left);
    println!(
        "Deleted data was overwritten, the database compacted and its write-ahead log emptied."
    );
    Ok(ExitCode::SUCCESS)
}

/// `loupe serve`: start, announce the addresses, serve until a signal.
#[tokio::main]
async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    loupe::logs::init(config.log_format, std::io::stderr().is_terminal());
    let app = App::new(config.clone())?;
    let listener = loupe::net::bind(config.addr)
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let bound = listener.local_addr()?;
    if let Some(path) = &config.ready_file {
        loupe::net::write_ready_file(path, bound)
            .with_context(|| format!("cannot write the ready file {}", path.display()))?;
    }
    println!("{}", loupe::net::startup_message(&config, bound));
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    app.serve(listener, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

/// Cancels `token` on Ctrl-C or, on Unix, SIGTERM.
async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => drop(signal.recv().await),
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("stopping (signal received)");
    token.cancel();
}
