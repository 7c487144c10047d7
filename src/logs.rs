//! Log set-up: `RUST_LOG` picks the level, but other crates never log below `info`.
//!
//! At `debug` and `trace` the libraries under Loupe log what passes through them: tungstenite
//! logs every WebSocket frame ("Received message {…secret…}"), hyper request lines and headers
//! (paths with a join code or a QR ticket, `Authorization`). Those frames carry resume tokens,
//! host secrets and pupils' answers, which must never reach a log, whatever an operator sets. So
//! the `RUST_LOG` filter is combined with a second one that lets Loupe's own code log at any
//! level and everything else at `info` at most. Loupe's own debug and trace lines follow the
//! house rule: never a secret, token, ticket, answer, address or raw request path.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{EnvFilter, FilterExt, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::config::LogFormat;

/// The level the `RUST_LOG` filter uses when it is unset or invalid.
pub const DEFAULT: &str = "loupe=info";

/// What may log below `info`: Loupe's own code only.
pub fn clamp() -> Targets {
    Targets::new()
        .with_target("loupe", LevelFilter::TRACE)
        .with_target("loupe_baseline", LevelFilter::TRACE)
        .with_default(LevelFilter::INFO)
}

/// Installs the global subscriber: lines on stderr in `format`, `RUST_LOG` clamped by
/// [`clamp`]; `ansi` colours them (for a terminal).
pub fn init(format: LogFormat, ansi: bool) {
    let env = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT));
    let filter = env.and(clamp());
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let registry = tracing_subscriber::registry();
    match format {
        LogFormat::Text => registry.with(layer.with_filter(filter)).init(),
        LogFormat::Json => registry.with(layer.json().with_filter(filter)).init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn only_loupe_logs_below_info() {
        let clamp = clamp();
        assert!(clamp.would_enable("loupe::ws::connection", &Level::TRACE));
        assert!(clamp.would_enable("loupe", &Level::DEBUG));
        for target in [
            "tungstenite::protocol",
            "hyper::proto::h1",
            "axum::rejection",
            "h2",
        ] {
            assert!(!clamp.would_enable(target, &Level::DEBUG), "{target}");
            assert!(clamp.would_enable(target, &Level::INFO), "{target}");
        }
    }
}
