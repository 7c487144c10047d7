//! One browser playing one device: navigation, DOM waits by `data-testid` or CSS selector (polled
//! with a timeout, never a bare sleep), clicks, typing, screenshots and the raw-i18n-key check.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
pub use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::harness::WAIT;
use crate::texts::collapse;

/// How often a wait looks at the page again.
const POLL: Duration = Duration::from_millis(100);

/// `[data-testid="id"]`: the stable hooks the pages document at the top of their scripts.
pub fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// What [`Device::probe`] reads of one element.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// Whether an element matches.
    pub exists: bool,
    /// Whether it is rendered (not `hidden`, not `display: none`, not `visibility: hidden`).
    pub visible: bool,
    /// Its rendered text (`innerText`), whitespace collapsed.
    pub text: String,
}

/// One browser ("device") with its own profile.
pub struct Device {
    /// Who this is, for messages: `teacher`, `remote`, `pupil-1` …
    pub name: String,
    /// The WebDriver session.
    pub client: Client,
    /// The language the browser was started with.
    pub lang: String,
}

/// Polls `check` until it returns `Some`, for at most `timeout`; fails with `what` and the last
/// value seen.
pub async fn until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Result<T, String>>>,
{
    let start = Instant::now();
    loop {
        let last = match check().await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(seen)) => seen,
            Err(e) => format!("error: {e:#}"),
        };
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what}; last seen: {last}");
        }
        tokio::time::sleep(POLL).await; // the poll interval of a DOM wait, not a synchronisation
    }
}

impl Device {
    /// Wraps a new WebDriver session.
    pub fn new(name: &str, client: Client, lang: &str) -> Device {
        Device {
            name: name.to_owned(),
            client,
            lang: lang.to_owned(),
        }
    }

    /// Loads `url` and waits for the document to be complete.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("{}: opening {url}", self.name))?;
        Ok(())
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.client
            .execute(script, args)
            .await
            .map_err(|e| anyhow!("{}: script failed: {e}", self.name))
    }

    /// Reads whether `sel` exists and is rendered, and its text.
    pub async fn probe(&self, sel: &str) -> anyhow::Result<Probe> {
        let v = self
            .js(
                "var e = document.querySelector(arguments[0]);\
                 if (!e) return null;\
                 var vis = e.checkVisibility ? e.checkVisibility({visibilityProperty: true})\
                                             : e.getClientRects().length > 0;\
                 return {visible: vis, text: (e.innerText || e.textContent || '')};",
                vec![json!(sel)],
            )
            .await?;
        Ok(match v {
            Value::Object(o) => Probe {
                exists: true,
                visible: o.get("visible").and_then(Value::as_bool).unwrap_or(false),
                text: collapse(o.get("text").and_then(Value::as_str).unwrap_or("")),
            },
            _ => Probe::default(),
        })
    }

    /// Waits until `sel` is rendered; returns its text.
    pub async fn wait_visible(&self, sel: &str) -> anyhow::Result<String> {
        self.wait_text(sel, "to be visible", |_| true).await
    }

    /// Waits until `sel` is rendered and its text contains `needle` (case-insensitive).
    pub async fn wait_contains(&self, sel: &str, needle: &str) -> anyhow::Result<String> {
        let lower = needle.to_lowercase();
        self.wait_text(sel, &format!("to contain {needle:?}"), move |t| {
            t.to_lowercase().contains(&lower)
        })
        .await
    }

    /// Waits until `sel` is rendered and `ok(text)`; returns the text.
    pub async fn wait_text(
        &self,
        sel: &str,
        what: &str,
        ok: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let desc = format!("{}: `{sel}` {what}", self.name);
        until(&desc, WAIT, || async {
            let p = self.probe(sel).await?;
            Ok(if p.visible && ok(&p.text) {
                Ok(p.text)
            } else if !p.exists {
                Err("no such element".to_owned())
            } else if !p.visible {
                Err(format!("hidden, text {:?}", p.text))
            } else {
                Err(format!("text {:?}", p.text))
            })
        })
        .await
    }

    /// Waits until `sel` is absent or hidden.
    pub async fn wait_hidden(&self, sel: &str) -> anyhow::Result<()> {
        let desc = format!("{}: `{sel}` to be hidden or absent", self.name);
        until(&desc, WAIT, || async {
            let p = self.probe(sel).await?;
            Ok(if p.visible {
                Err(format!("visible, text {:?}", p.text))
            } else {
                Ok(())
            })
        })
        .await
    }

    /// Whether `sel` is rendered now.
    pub async fn is_visible(&self, sel: &str) -> anyhow::Result<bool> {
        Ok(self.probe(sel).await?.visible)
    }

    /// Counts the rendered elements matching `sel`.
    pub async fn count_visible(&self, sel: &str) -> anyhow::Result<usize> {
        let v = self
            .js(
                "return Array.prototype.filter.call(document.querySelectorAll(arguments[0]),\
                   function (e) { return e.checkVisibility ? e.checkVisibility({visibilityProperty: true})\
                                                          : e.getClientRects().length > 0; }).length;",
                vec![json!(sel)],
            )
            .await?;
        Ok(v.as_u64().unwrap_or(0) as usize)
    }

    /// Reads attribute `attr` of the first element matching `sel` (`None` if absent).
    pub async fn attr(&self, sel: &str, attr: &str) -> anyhow::Result<Option<String>> {
        let v = self
            .js(
                "var e = document.querySelector(arguments[0]);\
                 return e ? e.getAttribute(arguments[1]) : null;",
                vec![json!(sel), json!(attr)],
            )
            .await?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// Waits until attribute `attr` of `sel` equals `want`.
    pub async fn wait_attr(&self, sel: &str, attr: &str, want: &str) -> anyhow::Result<()> {
        let desc = format!("{}: `{sel}` to have {attr}={want:?}", self.name);
        until(&desc, WAIT, || async {
            Ok(match self.attr(sel, attr).await? {
                Some(v) if v == want => Ok(()),
                other => Err(format!("{attr}={other:?}")),
            })
        })
        .await
    }

    /// Waits until `sel` is rendered and enabled, then clicks it like a user would.
    pub async fn click(&self, sel: &str) -> anyhow::Result<()> {
        let desc = format!("{}: click on `{sel}`", self.name);
        until(&desc, WAIT, || async {
            let el = match self.client.find(Locator::Css(sel)).await {
                Ok(el) => el,
                Err(e) => return Ok(Err(format!("not found ({e})"))),
            };
            if !el.is_displayed().await.unwrap_or(false) {
                return Ok(Err("not displayed".to_owned()));
            }
            if !el.is_enabled().await.unwrap_or(false) {
                return Ok(Err("disabled".to_owned()));
            }
            Ok(match el.click().await {
                Ok(()) => Ok(()),
                Err(e) => Err(format!("click refused: {e}")),
            })
        })
        .await
    }

    /// Waits for the field `sel`, empties it and types `text` into it.
    pub async fn type_into(&self, sel: &str, text: &str) -> anyhow::Result<()> {
        self.wait_visible(sel).await?;
        let el = self.client.find(Locator::Css(sel)).await?;
        el.clear().await?;
        el.send_keys(text).await?;
        Ok(())
    }

    /// Presses and releases `key` (a character, or `Key::PageDown.into()`) on whatever has the
    /// focus, like a keyboard or a presentation clicker.
    pub async fn press(&self, key: char) -> anyhow::Result<()> {
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// Reloads the page.
    pub async fn reload(&self) -> anyhow::Result<()> {
        self.client.refresh().await?;
        Ok(())
    }

    /// The whole rendered text of the page, whitespace collapsed.
    pub async fn page_text(&self) -> anyhow::Result<String> {
        let v = self
            .js(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await?;
        Ok(collapse(v.as_str().unwrap_or("")))
    }

    /// Raw i18n keys (`⟦key⟧`) anywhere in the page's text or attributes.
    pub async fn raw_keys(&self) -> anyhow::Result<Vec<String>> {
        let v = self
            .js(
                "var html = document.documentElement.outerHTML;\
                 var found = html.match(/⟦[^⟧]{0,80}⟧/g) || [];\
                 return found.filter(function (k, i) { return found.indexOf(k) === i; });",
                vec![],
            )
            .await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Sizes the window so that its viewport (what a screenshot shows) is `width`×`height`: the
    /// window's frame takes some of its size, so it is grown by what is missing.
    pub async fn viewport(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.client.set_window_size(width, height).await?;
        let inner = self
            .js("return [window.innerWidth, window.innerHeight];", vec![])
            .await?;
        let (w, h) = (
            inner[0].as_u64().unwrap_or(0) as u32,
            inner[1].as_u64().unwrap_or(0) as u32,
        );
        if w < width || h < height {
            self.client
                .set_window_size(
                    width + width - w.min(width),
                    height + height - h.min(height),
                )
                .await?;
        }
        Ok(())
    }

    /// Puts session `s` into this browser's storage as the console leaves it (`web/js/host.js`):
    /// quiz `quiz`, label `label`, created now (an older record is forgotten once its report
    /// would have expired); then reloads, so the console reopens that session.
    pub async fn keep_console(
        &self,
        s: &loupe_tools::client::Created,
        quiz: &str,
        label: &str,
    ) -> anyhow::Result<()> {
        let rec = json!({
            "code": s.code, "host_secret": s.host_secret, "screen_token": s.screen_token,
            "join_url": s.join_url, "quiz": quiz, "title": "Quiz", "label": label,
            "created": loupe::session::unix_ms(), "questions": null, "min_count": 3, "ended": false
        });
        let keep = "localStorage.setItem('loupe.host.' + arguments[0], arguments[1]);\
                    localStorage.setItem('loupe.host.index', JSON.stringify([arguments[0]]));\
                    localStorage.setItem('loupe.host.current', arguments[0]);";
        self.js(keep, vec![json!(s.code), json!(rec.to_string())])
            .await?;
        self.reload().await
    }

    /// Saves a PNG of the viewport to `dir/name.png`.
    pub async fn screenshot(&self, dir: &Path, name: &str) -> anyhow::Result<()> {
        let png = self.client.screenshot().await?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    /// Ends the WebDriver session (the browser quits).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
