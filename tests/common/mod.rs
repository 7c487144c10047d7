//! Shared integration-test harness: the real server in-process on 127.0.0.1:0, plus helpers.
//!
//! `TestServer::start` runs `App::serve` on a port-0 listener with the fixture quizzes of
//! `tests/fixtures/quizzes` loaded; dropping it cancels the server. Tracing stays silent unless
//! `TEST_LOG=1`. Nothing here sleeps to synchronise: helpers wait for the message they expect,
//! with a timeout.
#![allow(dead_code)]

pub mod flow;
pub mod lesson;
pub mod model;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use anyhow::Context;
use loupe::app::App;
use loupe::config::Config;
use loupe_tools::client::{Created, HttpClient};
use tokio_util::sync::CancellationToken;

/// The tools' HTTP client, for raw requests (any header, the answer's headers and bytes).
#[allow(unused_imports)]
pub use loupe_tools::client::http as raw_http;
pub use loupe_tools::client::{Client, Received, Welcome};

/// How long a test waits for any expected message.
pub const T: Duration = Duration::from_secs(10);

/// Folder of the test quizzes (`test-kinds`, `test-challenge`).
pub fn fixtures_dir() -> PathBuf {
    // This harness serves the server's tests and the tools crate's (`tools/tests`), whose
    // manifest is one folder down: the fixtures are the repository's either way.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = match manifest.join("tests/fixtures").is_dir() {
        true => manifest,
        false => manifest.parent().map(PathBuf::from).unwrap_or(manifest),
    };
    root.join("tests/fixtures/quizzes")
}

/// Installs a tracing subscriber once per test binary when `TEST_LOG=1` (else logs are dropped).
fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("loupe=debug"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
    });
}

/// A real Loupe server running in this process until dropped.
pub struct TestServer {
    addr: SocketAddr,
    shutdown: CancellationToken,
    data: PathBuf,
}

impl TestServer {
    /// Starts the app on 127.0.0.1:0 with the fixture quizzes, after `tweak` has adjusted the
    /// configuration (pass `|_| {}` for none).
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> anyhow::Result<TestServer> {
        init_tracing();
        let mut config = Config::for_tests();
        config.quizzes = Some(fixtures_dir());
        tweak(&mut config);
        let data = config.data_dir();
        let app = App::new(config).context("starting the app")?;
        let listener = loupe::net::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let serve = app.serve(listener, shutdown.clone());
        tokio::spawn(async move {
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "test server stopped with an error");
            }
        });
        Ok(TestServer {
            addr,
            shutdown,
            data,
        })
    }

    /// Starts the app with the default test configuration.
    pub async fn plain() -> anyhow::Result<TestServer> {
        TestServer::start(|_| {}).await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// An HTTP client for this server.
    pub fn http(&self) -> anyhow::Result<HttpClient> {
        Ok(HttpClient::new(&self.http_url())?)
    }

    /// `POST /api/sessions` with `body`; fails unless the server answers 201.
    pub async fn create_session(&self, body: serde_json::Value) -> anyhow::Result<Created> {
        Ok(self.http()?.create_session(&body).await?)
    }

    /// A new WebSocket to `/ws` (no hello sent yet).
    pub async fn connect(&self) -> anyhow::Result<Client> {
        Ok(Client::connect(&self.ws_url()).await?)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
        // Best effort: the store may still be closing; a leftover temp folder is harmless.
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
