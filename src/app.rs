//! The application: shared state, start-up (quizzes, data folder, registry) and `App::serve`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::FromRef;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, JournalKind};
use crate::guard::Guard;
use crate::http::{HostKey, Pairings, PublicUrl};
use crate::quiz::Library;
use crate::session::{Journals, MemoryJournals, Registry};
use crate::store::{Opened, Store, StoreWriter};
use crate::ws::WsState;

/// How long shutdown waits for connections and session actors to finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long shutdown then waits for the store to commit what the actors left and close.
const STORE_CLOSE: Duration = Duration::from_secs(3);

/// State shared by every handler and connection; cheap to clone. Handlers take only their part
/// of it (`FromRef`, below), so nothing under the app depends on it.
#[derive(Clone)]
pub struct AppState {
    /// The loaded quizzes.
    pub library: Arc<Library>,
    /// Live sessions by join code.
    pub registry: Registry,
    /// Cancelled when the server shuts down; every connection and actor selects on it.
    pub shutdown: CancellationToken,
    /// Tracks connection and actor tasks so shutdown can wait for them.
    pub tracker: TaskTracker,
    /// Base URL phones use (e.g. `http://192.168.1.20:8080`), for join links and QR codes.
    pub public_url: Arc<str>,
    /// When set, creating a session needs this key (`--host-key`).
    pub host_key: Option<HostKey>,
    /// The embedded store (`None` with `--journal memory`): journals and past sessions' reports.
    pub store: Option<Store>,
    /// Abuse limits: failed joins, connections, sessions per address.
    pub guard: Guard,
    /// Phone-remote pairing tokens waiting to be claimed (60 s, single use, in memory only).
    pub remotes: Pairings,
}

/// Hands each handler the part of [`AppState`] it takes (`State<Registry>` …).
macro_rules! parts {
    ($($part:ty => |$s:ident| $get:expr;)*) => {
        $(impl FromRef<AppState> for $part {
            fn from_ref($s: &AppState) -> $part {
                $get
            }
        })*
    };
}

parts! {
    Arc<Library> => |s| s.library.clone();
    Registry => |s| s.registry.clone();
    Guard => |s| s.guard.clone();
    Option<HostKey> => |s| s.host_key.clone();
    Option<Store> => |s| s.store.clone();
    Pairings => |s| s.remotes.clone();
    PublicUrl => |s| PublicUrl(s.public_url.clone());
    WsState => |s| WsState {
        registry: s.registry.clone(),
        guard: s.guard.clone(),
        shutdown: s.shutdown.clone(),
        tracker: s.tracker.clone(),
        public_url: s.public_url.clone(),
    };
}

/// A Loupe server ready to serve: quizzes loaded, data folder created, registry running.
pub struct App {
    state: AppState,
    config: Config,
    data_dir: PathBuf,
    /// The store's writer thread, closed (and joined) at the end of [`App::serve`].
    writer: Option<StoreWriter>,
}

impl App {
    /// Loads and validates the quizzes (bundled, plus `config.quizzes`), creates the data folder
    /// and the session registry.
    ///
    /// Fails, listing every problem as `file:line:column: message`, when a quiz is invalid:
    /// better to refuse to start than to discover a broken question in front of a class.
    pub fn new(config: Config) -> anyhow::Result<App> {
        let library = crate::quiz::load_library(config.quizzes.as_deref())
            .context("some quizzes are invalid; fix them (or check them with `loupe check`)")?;
        let data_dir = config.data_dir();
        crate::store::create_data_dir(&data_dir)
            .with_context(|| format!("cannot create the data folder {}", data_dir.display()))?;
        let open_files = crate::guard::raise_open_file_limit();
        match open_files {
            Some(n) => tracing::info!(open_files = n, "open-file limit raised to the hard limit"),
            None => tracing::info!("no open-file limit to raise on this platform"),
        }
        let shutdown = CancellationToken::new();
        let tracker = TaskTracker::new();
        // The one place the journal engine is chosen: the registry only knows `Journals`.
        let (store, writer, restored) = match config.journal {
            JournalKind::Sqlite => {
                let Opened {
                    store,
                    writer,
                    restored,
                } = Store::open(&data_dir, config.store_options())?;
                (Some(store), Some(writer), restored)
            }
            JournalKind::Memory => (None, None, Vec::new()),
        };
        let journals: Arc<dyn Journals> = match &store {
            Some(store) => Arc::new(store.clone()),
            None => Arc::new(MemoryJournals),
        };
        let registry = Registry::new(config.limits(), journals, shutdown.clone(), tracker.clone());
        if !restored.is_empty() {
            tracing::info!(
                sessions = restored.len(),
                "sessions restored after a restart"
            );
        }
        registry.restore(restored);
        let state = AppState {
            library: Arc::new(library),
            registry,
            shutdown,
            tracker,
            public_url: crate::net::public_url(&config, config.addr).into(),
            host_key: config.host_key.as_deref().map(HostKey::new),
            store,
            remotes: Pairings::default(),
            guard: Guard::new(config.guard_limits(open_files)),
        };
        Ok(App {
            state,
            config,
            data_dir,
            writer,
        })
    }

    /// A clone of the shared state (the public URL is final only once [`App::serve`] knows the
    /// bound port).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The data folder, created by [`App::new`].
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Serves on `listener` until `shutdown` is cancelled, then stops accepting, cancels every
    /// connection and session actor, waits for them up to [`SHUTDOWN_GRACE`] (an actor finishes
    /// handing an ended session to its journal first), then closes the store: its writer
    /// commits what is queued, closes the database and is joined.
    ///
    /// The listener is bound by the caller (tests bind `127.0.0.1:0`); see [`crate::net::bind`].
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let App {
            mut state,
            config,
            writer,
            ..
        } = self;
        let bound = listener
            .local_addr()
            .context("the listener has no local address")?;
        state.public_url = crate::net::public_url(&config, bound).into();
        let (internal, tracker) = (state.shutdown.clone(), state.tracker.clone());
        if let Some(store) = state.store.clone() {
            // Reports past their retention are deleted at start and then every hour.
            let stop = internal.clone();
            tracker.spawn(async move {
                let mut hourly = tokio::time::interval(Duration::from_secs(3600));
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = hourly.tick() => store.expire(),
                    }
                }
            });
        }
        tracing::info!(
            port = bound.port(),
            quizzes = state.library.list().len(),
            host_key = state.host_key.is_some(),
            "serving"
        );

        // Either token stops the server; both end cancelled, so WebSockets and actors (which
        // axum's graceful shutdown does not track) stop too.
        // Either token stops the server: the internal one is what connections and actors watch.
        let forward = {
            let internal = internal.clone();
            async move {
                shutdown.cancelled().await;
                internal.cancel();
            }
        };
        let router = crate::http::router(state);
        tokio::select! {
            _ = crate::serve::serve(listener, router, internal.clone(), &tracker) => {}
            _ = forward => {}
        }
        internal.cancel();

        tracker.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(left = tracker.len(), "some tasks did not stop in time");
        }
        if let Some(writer) = writer {
            let closed = tokio::task::spawn_blocking(move || writer.close(STORE_CLOSE)).await;
            if !matches!(closed, Ok(true)) {
                tracing::warn!("the store did not close in time: the next start recovers it");
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}
