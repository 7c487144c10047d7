//! The phone remote cannot be taken by a pupil, in Chromium, in French and in English: the
//! console's pairing QR code disappears the moment a phone scans it and the console asks to accept
//! or refuse that phone; a second phone scanning the same QR code gets nothing; a refused phone is
//! told and gets nothing; an accepted phone drives the lesson and is listed on the console, which
//! disconnects it at once: it is closed, says so, and cannot reconnect. Screenshots of each state
//! (console at 1920×1080 and 1280×720, phones at 360×640) go to `target/screenshots/{lang}/`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use loupe_tools::client;
use serde_json::json;

use crate::a11y;
use crate::device::{tid, Device};
use crate::harness::{exclusive, screenshots_dir, skip, Driver, Form, Server};
use crate::texts::Dict;
use crate::Problems;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pupil_cannot_take_the_phone_remote() -> anyhow::Result<()> {
    let test = "a_pupil_cannot_take_the_phone_remote";
    if skip(test) {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start().await?;
    let driver = Driver::start().await?;
    let mut problems = Problems::default();
    for lang in ["fr", "en"] {
        let r = pairing(&server, &driver, lang, &mut problems).await;
        if let Err(e) = r {
            eprintln!("chromedriver log (end):\n{}", driver.log_tail());
            return Err(e.context(format!("{test} [{lang}] stopped")));
        }
    }
    drop(driver);
    problems.finish(test)
}

/// One language's run: its own session, console and three phones.
struct Run<'a> {
    lang: &'static str,
    server: &'a Server,
    dict: Dict,
    shots: PathBuf,
    problems: &'a mut Problems,
    console: Device,
}

impl Run<'_> {
    /// Records `result` as a problem when it is an error (the run goes on).
    fn soft<T>(&mut self, what: &str, result: anyhow::Result<T>) -> Option<T> {
        self.problems
            .check(&format!("[{}] {what}", self.lang), result)
    }

    /// Screenshots of the console with a viewport of 1280×720 and 1920×1080 (left at the
    /// latter), scrolled to `sel` when given.
    async fn console_shots(&mut self, name: &str, sel: Option<&str>) {
        for (w, h) in [(1280, 720), (1920, 1080)] {
            let r = self.console.viewport(w, h).await;
            self.soft("resizing the console", r);
            if let Some(sel) = sel {
                let r = self
                    .console
                    .js(
                        "var e = document.querySelector(arguments[0]);\
                         if (e) e.scrollIntoView({block: 'center'});",
                        vec![json!(sel)],
                    )
                    .await;
                self.soft("scrolling the console", r);
            }
            let r = self
                .console
                .screenshot(&self.shots, &format!("{name}-{w}x{h}"))
                .await;
            self.soft(&format!("screenshot {name}"), r);
        }
    }

    /// A phone page screenshot, an axe audit and the raw-key check.
    async fn phone_check(&mut self, phone: &Device, name: &str) {
        let r = phone.screenshot(&self.shots, name).await;
        self.soft(&format!("screenshot {name}"), r);
        let r = a11y::audit(phone, name, self.problems).await;
        self.soft(&format!("axe on {name}"), r);
        self.raw_keys(phone, name).await;
    }

    async fn console_raw_keys(&mut self, name: &str) {
        let raw = self.console.raw_keys().await;
        self.report_raw(raw, name);
    }

    async fn raw_keys(&mut self, device: &Device, name: &str) {
        let raw = device.raw_keys().await;
        self.report_raw(raw, name);
    }

    fn report_raw(&mut self, raw: anyhow::Result<Vec<String>>, name: &str) {
        match raw {
            Ok(raw) if raw.is_empty() => {}
            Ok(raw) => self
                .problems
                .add(format!("[{}] {name}: raw i18n keys {raw:?}", self.lang)),
            Err(e) => self.problems.add(format!("[{}] {name}: {e:#}", self.lang)),
        }
    }

    /// Shows a pairing code on the console; returns the remote's address in it.
    async fn show_code(&mut self) -> anyhow::Result<String> {
        let c = &self.console;
        c.click(&tid("remote-show")).await?;
        c.wait_visible(&format!("{} svg", tid("remote-qr"))).await?;
        c.attr(&tid("remote-qr"), "data-url")
            .await?
            .context("no data-url on the QR code")
    }

    /// The console's prompt for phone `n`: the QR code is gone and the prompt names the phone.
    async fn asked_about(&mut self, n: u32) -> anyhow::Result<()> {
        let label = self
            .dict
            .t("host.remote.device_label", &[("n", &n.to_string())])?;
        self.console.wait_visible(&tid("pair-ask")).await?;
        let r = self
            .console
            .wait_hidden(&format!("{} svg", tid("remote-qr")))
            .await;
        self.soft("the console's QR code disappears once scanned", r);
        let r = self
            .console
            .wait_contains(&tid("pair-ask-text"), &label)
            .await;
        self.soft("the console names the phone", r);
        Ok(())
    }
}

/// Everything in `lang`.
async fn pairing(
    server: &Server,
    driver: &Driver,
    lang: &'static str,
    problems: &mut Problems,
) -> anyhow::Result<()> {
    let quiz = format!("browser-{lang}");
    let s =
        client::create_session(&server.url(""), &json!({"quiz": quiz, "label": "4e B"})).await?;
    let console = driver
        .device(&format!("teacher-{lang}"), Form::Laptop, lang)
        .await?;
    let mut run = Run {
        lang,
        server,
        dict: Dict::load(lang)?,
        shots: screenshots_dir(lang)?,
        problems,
        console,
    };
    let outcome = steps(&mut run, driver, &s, &quiz).await;
    run.console.close().await;
    outcome
}

async fn steps(
    run: &mut Run<'_>,
    driver: &Driver,
    s: &client::Created,
    quiz: &str,
) -> anyhow::Result<()> {
    let lang = run.lang;
    // The console of this session, as this browser would have kept it (web/js/host.js).
    run.console.viewport(1920, 1080).await?;
    run.console.goto(&run.server.url("/host")).await?;
    run.console.wait_visible(&tid("view-library")).await?;
    run.console.keep_console(s, quiz, "4e B").await?;
    run.console.wait_visible(&tid("view-lobby")).await?;
    run.console.click(&tid("remote-open")).await?;
    run.console.wait_visible(&tid("remote-warning")).await?;
    let url = run.show_code().await?;
    run.console_shots("remote-qr", None).await;

    // A pupil's phone scans first: the QR code goes, the console asks, the phone waits.
    let pupil = driver
        .device(&format!("pupil-phone-{lang}"), Form::SmallPhone, lang)
        .await?;
    pupil.goto(&url).await?;
    run.asked_about(1).await?;
    let label1 = run.dict.t("host.remote.device_label", &[("n", "1")])?;
    let r = pupil.wait_contains(&tid("remote-device"), &label1).await;
    run.soft("the waiting phone shows its number", r);
    run.phone_check(&pupil, "remote-waiting").await;
    run.console_shots("remote-ask", None).await;
    let r = a11y::audit(&run.console, "console pairing prompt", run.problems).await;
    run.soft("axe on the pairing prompt", r);
    run.console_raw_keys("console pairing prompt").await;

    // A second phone scanning the same QR code gets nothing.
    let second = driver
        .device(&format!("second-phone-{lang}"), Form::SmallPhone, lang)
        .await?;
    second.goto(&url).await?;
    let r = second.wait_visible(&tid("remote-expired")).await;
    run.soft(
        "a second phone scanning the same code is told it no longer works",
        r,
    );
    if second.is_visible(&tid("remote-main")).await?
        || second.is_visible(&tid("remote-waiting")).await?
    {
        run.problems.add(format!(
            "[{lang}] a second phone scanning the same QR code got in"
        ));
    }
    second.close().await;

    // Refused: the phone is told, gets nothing, and keeps nothing.
    run.console.click(&tid("pair-refuse")).await?;
    let r = pupil.wait_visible(&tid("remote-refused")).await;
    run.soft("a refused phone is told", r);
    run.phone_check(&pupil, "remote-refused").await;
    let kept = pupil
        .js("return sessionStorage.getItem('loupe.remote');", vec![])
        .await?;
    if !kept.is_null() {
        run.problems
            .add(format!("[{lang}] a refused phone keeps {kept}"));
    }
    pupil.reload().await?;
    let r = pupil.wait_visible(&tid("remote-none")).await;
    run.soft("a refused phone reloaded has nothing", r);
    if pupil.is_visible(&tid("remote-main")).await? {
        run.problems.add(format!("[{lang}] a refused phone got in"));
    }
    pupil.close().await;
    run.console.wait_visible(&tid("remote-warning")).await?;

    // The teacher's phone: scanned, accepted, listed, drives the lesson.
    let url = run.show_code().await?;
    let phone = driver
        .device(&format!("teacher-phone-{lang}"), Form::SmallPhone, lang)
        .await?;
    phone.goto(&url).await?;
    run.asked_about(2).await?;
    phone.wait_visible(&tid("remote-waiting")).await?;
    run.console.click(&tid("pair-accept")).await?;
    phone.wait_visible(&tid("remote-main")).await?;
    run.phone_check(&phone, "remote-accepted").await;
    let label2 = run.dict.t("host.remote.device_label", &[("n", "2")])?;
    let listed = format!("{} {}", tid("devices-lobby"), tid("device-2"));
    let r = run.console.wait_contains(&listed, &label2).await;
    run.soft("the console lists the accepted phone", r);
    let connected = run.dict.t("host.remote.connected", &[])?;
    let r = run.console.wait_contains(&listed, &connected).await;
    run.soft("the console says the phone is connected", r);
    if run.console.is_visible(&tid("device-1")).await? {
        run.problems.add(format!(
            "[{lang}] the refused phone is listed on the console"
        ));
    }
    run.console_shots("remote-devices", Some(&tid("devices-lobby")))
        .await;
    let r = a11y::audit(&run.console, "console device list", run.problems).await;
    run.soft("axe on the device list", r);
    let credential = phone
        .js(
            "return JSON.parse(sessionStorage.getItem('loupe.remote') || 'null');",
            vec![],
        )
        .await?;
    phone.click(&tid("remote-next")).await?;
    let r = run.console.wait_visible(&tid("view-run")).await;
    run.soft("the accepted phone drives the lesson", r);

    // Disconnected from the console: closed at once, says so, and cannot come back.
    let revoke = format!("{} {}", tid("devices-run"), tid("revoke-2"));
    run.console.click(&revoke).await?;
    let r = phone.wait_visible(&tid("remote-revoked")).await;
    run.soft("a disconnected phone is told", r);
    run.phone_check(&phone, "remote-revoked").await;
    let r = run.console.wait_hidden(&tid("devices-run")).await;
    run.soft("the console no longer lists it", r);
    if credential.is_null() {
        bail!("[{lang}] the accepted phone kept no pairing to try again with");
    }
    // Even with the credential put back, the page is refused and never drives again.
    phone
        .js(
            "sessionStorage.setItem('loupe.remote', JSON.stringify(arguments[0]));",
            vec![credential],
        )
        .await?;
    phone.reload().await?;
    let r = phone.wait_visible(&tid("remote-expired")).await;
    run.soft("a disconnected phone cannot reconnect", r);
    if phone.is_visible(&tid("remote-main")).await? {
        run.problems
            .add(format!("[{lang}] a disconnected phone reconnected"));
    }
    phone.close().await;
    Ok(())
}
