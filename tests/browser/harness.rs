//! The real-browser harness: Loupe in-process on 127.0.0.1:0, Debian's chromedriver on a free
//! loopback port, and one fresh Chromium profile per "device" (teacher laptop, teacher phone,
//! pupils).
//!
//! Nothing here downloads a browser. When `/usr/bin/chromium` or `/usr/bin/chromedriver` is
//! missing, [`Driver::start`] fails with the command that installs them (`scripts/test` does it);
//! only `LOUPE_SKIP_BROWSER=1` skips the browser tests ([`skip`]). Dropping a [`Driver`] asks
//! chromedriver to shut down (which quits its browsers), kills it if it lingers, and removes every
//! profile folder; dropping a [`Server`] cancels the app and removes its data folder.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use fantoccini::wd::{Capabilities, TimeoutConfiguration};
use fantoccini::ClientBuilder;
use hyper_util::client::legacy::connect::HttpConnector;
use loupe::app::App;
use loupe::config::Config;
use serde_json::json;
use tokio::sync::{Mutex, MutexGuard};
use tokio_util::sync::CancellationToken;

pub use crate::device::Device;

/// Debian's Chromium (package `chromium`).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's matching WebDriver server (package `chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Set to `1` to skip the browser tests (say so in the output; never silently).
pub const SKIP_VAR: &str = "LOUPE_SKIP_BROWSER";

/// Longest wait for any DOM condition.
pub const WAIT: Duration = Duration::from_secs(15);

/// The browser tests run one at a time even under `cargo test`'s parallel threads: a lesson
/// drives five browsers, which is all a 2-core machine should carry.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Takes the browser-test lock (an async one: a test that failed while holding it releases it).
pub async fn exclusive() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

/// Whether the browser tests are switched off by `LOUPE_SKIP_BROWSER=1` (prints why).
pub fn skip(test: &str) -> bool {
    let skip = std::env::var(SKIP_VAR).is_ok_and(|v| v == "1");
    if skip {
        eprintln!("{test}: skipped because {SKIP_VAR}=1");
    }
    skip
}

/// A fresh folder under the system temporary folder, unique in this process.
fn temp_dir(kind: &str) -> anyhow::Result<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("loupe-browser-{}-{kind}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// The quizzes of the browser tests (`browser-fr`, `browser-en`).
pub fn quizzes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/quizzes")
}

/// `target/screenshots/<sub>` (or under `$CARGO_TARGET_DIR`), created.
pub fn screenshots_dir(sub: &str) -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots").join(sub);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The real Loupe app, serving in this process until dropped.
pub struct Server {
    addr: SocketAddr,
    shutdown: CancellationToken,
    data: PathBuf,
}

impl Server {
    /// Starts Loupe on 127.0.0.1:0 with the browser-test quizzes, its public URL set to the bound
    /// address (so join links, QR codes and the short address point at this server).
    pub async fn start() -> anyhow::Result<Server> {
        Server::start_with(|_| {}).await
    }

    /// [`Server::start`], with `tweak` applied to the configuration first.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> anyhow::Result<Server> {
        let listener = loupe::net::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let mut config = Config::for_tests();
        config.addr = addr;
        config.quizzes = Some(quizzes_dir());
        config.public_url = Some(format!("http://{addr}"));
        tweak(&mut config);
        let data = config.data_dir();
        let app = App::new(config).context("starting the app")?;
        let shutdown = CancellationToken::new();
        let serve = app.serve(listener, shutdown.clone());
        tokio::spawn(async move {
            if let Err(e) = serve.await {
                eprintln!("the test server stopped with an error: {e:#}");
            }
        });
        Ok(Server {
            addr,
            shutdown,
            data,
        })
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// Which kind of device a browser plays: sets its window size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A phone: 390×844.
    Phone,
    /// A small phone: 360×640 (the smallest screen the pages are checked at).
    SmallPhone,
    /// The teacher's laptop: 1366×768.
    Laptop,
}

/// A running chromedriver and the profile folders of the browsers it started.
pub struct Driver {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl Driver {
    /// Starts `/usr/bin/chromedriver` on a free loopback port and waits until it answers.
    pub async fn start() -> anyhow::Result<Driver> {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            if !Path::new(path).exists() {
                bail!(
                    "{path} is missing: the browser tests need Debian's `{package}` package.\n\
                     `scripts/test` installs it (as root or in CI: apt-get update && apt-get \
                     install -y chromium chromium-driver); never download a browser.\n\
                     To skip the browser tests on a machine without them: {SKIP_VAR}=1."
                );
            }
        }
        let root = temp_dir("driver")?;
        let port = free_port()?;
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .arg(format!(
                "--log-path={}",
                root.join("chromedriver.log").display()
            ))
            .arg("--log-level=WARNING")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {CHROMEDRIVER}"))?;
        let driver = Driver { child, port, root };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > Duration::from_secs(20) {
                bail!("{CHROMEDRIVER} did not listen on port {port} within 20 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await; // polling a port, not syncing a page
        }
        Ok(driver)
    }

    /// Opens a new browser ("device") with its own fresh profile, in language `lang`.
    pub async fn device(&self, name: &str, form: Form, lang: &str) -> anyhow::Result<Device> {
        let profile = self.root.join(format!("profile-{name}"));
        std::fs::create_dir_all(&profile)?;
        let (width, height) = match form {
            Form::Phone => (390, 844),
            Form::SmallPhone => (360, 640),
            Form::Laptop => (1366, 768),
        };
        let size = format!("{width},{height}");
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-extensions".to_owned(),
            "--disable-features=Translate,MediaRouter,OptimizationHints".to_owned(),
            "--disable-renderer-backgrounding".to_owned(),
            "--disable-background-timer-throttling".to_owned(),
            "--disable-backgrounding-occluded-windows".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--window-size={size}"),
            format!("--lang={lang}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut options = json!({
            "binary": CHROMIUM,
            "args": args,
            "prefs": { "intl": { "accept_languages": lang } },
        });
        if form != Form::Laptop {
            // A desktop window is at least 500 px wide even headless: emulate the phone's
            // viewport (and touch) so pages are seen at its width.
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": true, "mobile": true }
            });
        }
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("pageLoadStrategy".into(), json!("normal"));
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .with_context(|| format!("opening the browser of {name}"))?;
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(30)),
                Some(Duration::from_secs(30)),
                Some(Duration::ZERO),
            ))
            .await?;
        Ok(Device::new(name, client, lang))
    }

    /// The end of chromedriver's log (for a failure message).
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.root.join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // `/shutdown` makes chromedriver quit every browser it started, then exit.
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.write_all(
                format!(
                    "GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                    self.port
                )
                .as_bytes(),
            );
            let _ = s.read(&mut [0u8; 256]);
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A loopback port free right now (chromedriver binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}
