//! `loupe-load`: the load generator. `run` drives one scenario against Loupe or the baseline and
//! prints (and writes) its figures; `report DIR` prints the comparison tables of a folder of runs.
//!
//! Pin it to its own core (`taskset -c 1 loupe-load run …`); it pins the server it starts to
//! `--server-cpu` (0). `scripts/bench` runs every case of `docs/PERFORMANCE.md`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use loupe_tools::load::{compare, run, Options};

/// Load generator for Loupe: sessions × pupils through a quiz over real WebSockets on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "loupe-load", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run one scenario and print its table (and write JSON with --out).
    Run(Box<Options>),
    /// Print the comparison tables and the targets for a folder of run reports.
    Report {
        /// Folder of `*.json` run reports.
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Report { dir } => match compare::load(&dir) {
            Ok(runs) => {
                println!("{}", compare::tables(&runs));
                println!("### Targets\n\n{}", compare::targets(&runs));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("loupe-load: {e:#}");
                ExitCode::FAILURE
            }
        },
        Cmd::Run(opts) => {
            // One thread: the generator gets one core, and a current-thread runtime spends it
            // all on the sockets.
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("loupe-load: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(run::run(&opts)) {
                Ok(report) => {
                    print!("{}", report.table());
                    if let Some(path) = &opts.out {
                        let written = serde_json::to_string_pretty(&report)
                            .map_err(anyhow::Error::from)
                            .and_then(|json| {
                                if let Some(dir) = path.parent() {
                                    std::fs::create_dir_all(dir)?;
                                }
                                Ok(std::fs::write(path, json)?)
                            });
                        if let Err(e) = written {
                            eprintln!("loupe-load: cannot write {}: {e:#}", path.display());
                            return ExitCode::FAILURE;
                        }
                    }
                    if report.ok {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(2)
                    }
                }
                Err(e) => {
                    eprintln!("loupe-load: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
