//! Tests of the command line: flags, defaults, the README's flag table, value checks.

use clap::Parser;

use super::*;

fn parse(args: &[&str]) -> Result<Command, clap::Error> {
    Cli::try_parse_from(args).map(Cli::into_command)
}

fn no_loupe_env() -> bool {
    std::env::vars().all(|(k, _)| !k.starts_with("LOUPE_"))
}

#[test]
fn cli_is_well_formed() {
    use clap::CommandFactory;
    Cli::command().debug_assert();
}

#[test]
fn no_subcommand_means_serve_with_flags() {
    let Ok(Command::Serve(c)) =
        parse(&["loupe", "--addr", "127.0.0.1:9000", "--max-players", "40"])
    else {
        panic!("expected serve");
    };
    assert_eq!(c.addr, "127.0.0.1:9000".parse().unwrap());
    assert_eq!(c.max_players, 40);
    assert!(
        matches!(parse(&["loupe", "serve", "--host-grace", "5"]), Ok(Command::Serve(c)) if c.host_grace == Duration::from_secs(300))
    );
}

#[test]
fn clap_defaults_match_default() {
    if !no_loupe_env() {
        return; // the environment overrides defaults; nothing meaningful to compare
    }
    let Ok(Command::Serve(c)) = parse(&["loupe"]) else {
        panic!("expected serve")
    };
    let d = Config::default();
    assert_eq!(
        (c.addr, c.host_grace, c.max_players, c.max_sessions),
        (d.addr, d.host_grace, d.max_players, d.max_sessions)
    );
    assert_eq!(
        (c.public_url, c.data, c.host_key, c.log_format),
        (None, None, None, LogFormat::Text)
    );
    assert_eq!(
        (c.failed_joins_per_minute, c.failed_joins_total_per_minute),
        (d.failed_joins_per_minute, d.failed_joins_total_per_minute)
    );
    assert_eq!(
        (
            c.max_session_life,
            c.new_sessions_per_minute,
            c.max_reports_size
        ),
        (
            d.max_session_life,
            d.new_sessions_per_minute,
            d.max_reports_size
        )
    );
}

#[test]
fn purge_takes_the_data_folder() {
    let Ok(Command::Purge(a)) = parse(&["loupe", "purge", "--data", "/tmp/x"]) else {
        panic!("expected purge")
    };
    assert_eq!(a.data_dir(), PathBuf::from("/tmp/x"));
    assert!(parse(&["loupe", "purge", "--addr", "127.0.0.1:1"]).is_err());
}

#[test]
fn failed_join_budgets_are_flags_of_at_least_one() {
    let Ok(Command::Serve(c)) = parse(&[
        "loupe",
        "--failed-joins-per-minute",
        "120",
        "--failed-joins-total-per-minute",
        "3000",
    ]) else {
        panic!("expected serve")
    };
    let limits = c.guard_limits(None);
    assert_eq!(limits.failed_joins_per_minute, 120);
    assert_eq!(limits.failed_joins_total_per_minute, 3000);
    assert!(parse(&["loupe", "--failed-joins-per-minute", "0"]).is_err());
}

#[test]
fn the_readme_lists_every_serve_flag_and_only_those() {
    let readme = include_str!("../../README.md");
    let documented: std::collections::BTreeSet<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `--"))
        .filter_map(|l| l.split([' ', '`']).next())
        .map(|f| format!("--{f}"))
        .collect();
    let command = <Cli as clap::CommandFactory>::command();
    let actual: std::collections::BTreeSet<String> = command
        .get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|l| !["help", "version"].contains(l))
        .map(|l| format!("--{l}"))
        .collect();
    assert_eq!(
        documented, actual,
        "README's flag table and `loupe --help` differ"
    );
}

#[test]
fn check_takes_files() {
    let Ok(Command::Check(a)) = parse(&["loupe", "check", "a.toml", "b.toml"]) else {
        panic!("expected check")
    };
    assert_eq!(
        a.files,
        vec![PathBuf::from("a.toml"), PathBuf::from("b.toml")]
    );
    assert!(parse(&["loupe", "check"]).is_err());
}

#[test]
fn public_url_is_checked_and_trimmed() {
    assert_eq!(
        parse_public_url("http://10.0.0.2:8080/").as_deref(),
        Ok("http://10.0.0.2:8080")
    );
    assert_eq!(
        parse_public_url("https://quiz.example.org/loupe//").as_deref(),
        Ok("https://quiz.example.org/loupe")
    );
    assert!(parse_public_url("quiz.example.org").is_err());
    assert!(parse_public_url("http://").is_err());
    assert!(parse_public_url("http://a b").is_err());
    assert!(parse_public_url(&format!("http://{}", "a".repeat(300))).is_err());
}

#[test]
fn host_keys_are_printable_ascii() {
    assert!(parse(&["loupe", "--host-key", "k3y with spaces"]).is_ok());
    for bad in ["clé", "", "tab\there"] {
        assert!(parse(&["loupe", "--host-key", bad]).is_err(), "{bad:?}");
    }
}

#[test]
fn debug_hides_the_host_key() {
    let config = Config {
        host_key: Some("hunter2".into()),
        ..Config::default()
    };
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2") && shown.contains("<redacted>"));
}

#[test]
fn bad_limits_are_refused() {
    assert!(parse(&["loupe", "--max-sessions", "0"]).is_err());
    assert!(parse(&["loupe", "--max-players", "0"]).is_err());
    assert!(parse(&["loupe", "--host-grace", "0"]).is_err());
}

#[test]
fn for_tests_never_uses_the_user_data_dir() {
    let (a, b) = (Config::for_tests(), Config::for_tests());
    assert!(a.data_dir().starts_with(std::env::temp_dir()));
    assert_ne!(a.data_dir(), b.data_dir());
    assert_eq!(a.limits().host_grace, Duration::from_secs(30 * 60));
}
