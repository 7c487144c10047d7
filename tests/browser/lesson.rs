//! The end-to-end lesson, once in French and once in English: a teacher's laptop (console and
//! projector window), a teacher's phone (remote) and three pupils' phones, each its own browser.
//!
//! This file sets the lesson up and runs the start: the library, the session options, the lobby,
//! the projector window and the three joins. `run.rs` drives the questions and `finish.rs` the
//! remote and the end. Checks that later steps depend on stop the test at once; the others
//! (texts, counts, axe, raw keys, notes on the projector) are collected in [`Problems`] and
//! reported together at the end.

use std::path::PathBuf;

use anyhow::{bail, Context};
use fantoccini::wd::WindowHandle;

use crate::a11y;
use crate::device::{tid, until, Device};
use crate::harness::{exclusive, screenshots_dir, skip, Driver, Form, Server, WAIT};
use crate::texts::{Dict, Quiz};
use crate::Problems;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lesson_in_french() -> anyhow::Result<()> {
    lesson("fr").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lesson_in_english() -> anyhow::Result<()> {
    lesson("en").await
}

/// The whole lesson in `lang`.
async fn lesson(lang: &'static str) -> anyhow::Result<()> {
    let test = format!("lesson_{lang}");
    if skip(&test) {
        return Ok(());
    }
    let _one = exclusive().await;
    let started = std::time::Instant::now();
    let mut l = Lesson::open(lang).await?;
    let outcome = l.play().await;
    let Lesson {
        driver,
        teacher,
        pupils,
        remote,
        problems,
        ..
    } = l;
    if outcome.is_err() {
        eprintln!("chromedriver log (end):\n{}", driver.log_tail());
    }
    teacher.close().await;
    for p in pupils {
        p.close().await;
    }
    if let Some(r) = remote {
        r.close().await;
    }
    drop(driver);
    eprintln!("{test}: {:.1} s", started.elapsed().as_secs_f64());
    outcome.with_context(|| format!("{test} stopped"))?;
    problems.finish(&test)
}

/// Everything one lesson run holds.
pub struct Lesson {
    pub lang: &'static str,
    pub server: Server,
    pub driver: Driver,
    pub dict: Dict,
    pub quiz: Quiz,
    pub shots: PathBuf,
    pub problems: Problems,
    /// The teacher's laptop: the console window and, once opened, the projector window.
    pub teacher: Device,
    pub console: WindowHandle,
    pub screen: Option<WindowHandle>,
    /// The teacher's phone, once paired.
    pub remote: Option<Device>,
    /// Three pupils' phones.
    pub pupils: Vec<Device>,
    /// The session's join code.
    pub code: String,
    /// The join ticket in the lobby QR code's link (read from the console's QR image).
    pub ticket: String,
}

impl Lesson {
    /// Starts the server, chromedriver and the five browsers.
    async fn open(lang: &'static str) -> anyhow::Result<Lesson> {
        let server = Server::start().await?;
        let driver = Driver::start().await?;
        let teacher = driver.device("teacher", Form::Laptop, lang).await?;
        let console = teacher.client.window().await?;
        let mut pupils = Vec::new();
        for n in 1..=3 {
            pupils.push(
                driver
                    .device(&format!("pupil-{n}"), Form::Phone, lang)
                    .await?,
            );
        }
        Ok(Lesson {
            lang,
            server,
            driver,
            dict: Dict::load(lang)?,
            quiz: Quiz::load(lang)?,
            shots: screenshots_dir(lang)?,
            problems: Problems::default(),
            teacher,
            console,
            screen: None,
            remote: None,
            pupils,
            code: String::new(),
            ticket: String::new(),
        })
    }

    /// The lesson, step by step.
    async fn play(&mut self) -> anyhow::Result<()> {
        self.prepare().await?;
        self.lobby().await?;
        self.join().await?;
        self.first_question().await?;
        self.pause_and_reveal().await?;
        self.second_question_and_back().await?;
        self.pair_remote().await?;
        self.finish().await?;
        Ok(())
    }

    /// Records `result` as a problem when it is an error (the lesson goes on).
    pub fn soft<T>(&mut self, what: &str, result: anyhow::Result<T>) -> Option<T> {
        self.problems
            .check(&format!("[{}] {what}", self.lang), result)
    }

    /// A dictionary string (a missing key is a problem, and the returned text then never
    /// matches a page).
    pub fn t(&mut self, key: &str, vars: &[(&str, &str)]) -> String {
        let r = self.dict.t(key, vars);
        self.soft("dictionary", r)
            .unwrap_or_else(|| format!("⟦{key}⟧"))
    }

    /// A plural dictionary string for `n`.
    pub fn tn(&mut self, key: &str, n: u32) -> String {
        let r = self.dict.tn(key, n);
        self.soft("dictionary", r)
            .unwrap_or_else(|| format!("⟦{key}⟧"))
    }

    /// Switches the teacher's browser to the console window.
    pub async fn to_console(&self) -> anyhow::Result<()> {
        self.teacher
            .client
            .switch_to_window(self.console.clone())
            .await?;
        Ok(())
    }

    /// Switches the teacher's browser to the projector window.
    pub async fn to_screen(&self) -> anyhow::Result<()> {
        let Some(screen) = self.screen.clone() else {
            bail!("the projector window is not open");
        };
        self.teacher.client.switch_to_window(screen).await?;
        Ok(())
    }

    /// Saves a screenshot of `device` as `name.png`.
    pub async fn shot(&mut self, device: Who, name: &str) {
        let r = self.device(device).screenshot(&self.shots, name).await;
        self.soft(&format!("screenshot {name}"), r);
    }

    /// Runs axe on `device`'s page (screen `screen`).
    pub async fn axe(&mut self, device: Who, screen: &str) {
        let d = match device {
            Who::Teacher => &self.teacher,
            Who::Pupil(i) => &self.pupils[i],
            Who::Remote => self.remote.as_ref().unwrap_or(&self.teacher),
        };
        let r = a11y::audit(d, screen, &mut self.problems).await;
        self.problems
            .check(&format!("[{}] axe on {screen}", self.lang), r);
    }

    /// The device `who`.
    pub fn device(&self, who: Who) -> &Device {
        match who {
            Who::Teacher => &self.teacher,
            Who::Pupil(i) => &self.pupils[i],
            Who::Remote => self.remote.as_ref().unwrap_or(&self.teacher),
        }
    }

    /// After step `step`: no page shows a raw i18n key, and neither the projector nor the console
    /// (unless its private panel is open) nor a pupil shows the facilitator notes.
    pub async fn sweep(&mut self, step: &str) -> anyhow::Result<()> {
        let marker = self.quiz.note_marker;
        let mut seen = Vec::new();
        self.to_console().await?;
        seen.push((
            "console",
            self.teacher.raw_keys().await?,
            self.teacher.page_text().await?,
        ));
        if self.screen.is_some() {
            self.to_screen().await?;
            seen.push((
                "projector",
                self.teacher.raw_keys().await?,
                self.teacher.page_text().await?,
            ));
            self.to_console().await?;
        }
        for (i, p) in self.pupils.iter().enumerate() {
            let name = ["pupil 1", "pupil 2", "pupil 3"][i];
            seen.push((name, p.raw_keys().await?, p.page_text().await?));
        }
        if let Some(r) = &self.remote {
            seen.push(("remote", r.raw_keys().await?, String::new()));
        }
        for (page, raw, text) in seen {
            if !raw.is_empty() {
                self.problems.add(format!(
                    "[{}] {step}: the {page} shows raw i18n keys {raw:?}",
                    self.lang
                ));
            }
            if text.contains(marker) {
                self.problems.add(format!(
                    "[{}] {step}: the {page} shows the facilitator notes (text {marker:?} is visible)",
                    self.lang
                ));
            }
        }
        Ok(())
    }

    /// The library, the preview and the session options, then "create".
    async fn prepare(&mut self) -> anyhow::Result<()> {
        let t = &self.teacher;
        t.goto(&self.server.url("/host")).await?;
        t.wait_visible(&tid("view-library")).await?;
        let quiz = self.quiz.id.clone();
        let card = t.wait_visible(&tid(&format!("quiz-{quiz}"))).await?;
        if !card.contains(&self.quiz.title) {
            self.problems.add(format!(
                "[{}] library: card of {quiz} reads {card:?}, without the title",
                self.lang
            ));
        }
        let t = &self.teacher;
        t.click(&tid(&format!("quiz-open-{quiz}"))).await?;
        let title = self.quiz.title.clone();
        let r = t.wait_contains(&tid("prepare-title"), &title).await;
        self.soft("preview title", r);
        let t = &self.teacher;
        for q in &self.quiz.questions {
            t.wait_visible(&tid(&format!("q-check-{}", q.id))).await?;
        }
        // Three pupils and one pass: at the lowest threshold (3), three answers show the split.
        t.type_into(&tid("opt-min-count"), "3").await?;
        t.type_into(&tid("opt-label"), "4e B").await?;
        t.click(&tid("create-session")).await?;
        Ok(())
    }

    /// The lobby: code, QR code and short address; then the projector window.
    async fn lobby(&mut self) -> anyhow::Result<()> {
        let t = &self.teacher;
        t.wait_visible(&tid("view-lobby")).await?;
        let code = t
            .wait_text(&tid("join-code"), "to show 6 digits", |s| {
                s.chars().filter(char::is_ascii_digit).count() == 6
            })
            .await?;
        self.code = code.chars().filter(char::is_ascii_digit).collect();
        let host = self.server.host();
        let r = t.wait_contains(&tid("join-address"), &host).await;
        self.soft("lobby short address", r);
        let t = &self.teacher;
        let qr = until("the lobby QR code to load", WAIT, || async {
            let v = t
                .js(
                    "var i = document.querySelector('[data-testid=\"join-qr\"]');\
                     return i && i.complete ? i.naturalWidth : 0;",
                    vec![],
                )
                .await?;
            Ok(if v.as_u64().unwrap_or(0) > 0 {
                Ok(())
            } else {
                Err(format!("width {v}"))
            })
        })
        .await;
        self.soft("lobby QR code", qr);
        // The QR code's link carries the session's join ticket (the console got it in its welcome).
        let t = &self.teacher;
        self.ticket = until(
            "the console's QR code to carry the join ticket",
            WAIT,
            || async {
                let src = t.attr(&tid("join-qr"), "src").await?.unwrap_or_default();
                Ok(src
                    .split_once("?ticket=")
                    .map(|(_, t)| t.to_owned())
                    .filter(|t| t.len() == 16 && t.bytes().all(|b| b.is_ascii_hexdigit()))
                    .ok_or(src))
            },
        )
        .await?;
        let none = self.tn("host.lobby.presence", 0);
        let r = self.teacher.wait_contains(&tid("presence"), &none).await;
        self.soft("lobby count before anyone joins", r);
        self.shot(Who::Teacher, "lobby").await;
        self.axe(Who::Teacher, "lobby").await;

        // The projector window, opened from the console (the screen token goes through
        // localStorage, so it must be the same browser).
        let before = self.teacher.client.windows().await?;
        self.teacher.click(&tid("open-screen")).await?;
        let t = &self.teacher;
        let screen = until("the projector window to open", WAIT, || async {
            let now = t.client.windows().await?;
            Ok(now
                .into_iter()
                .find(|w| !before.contains(w))
                .ok_or("no new window".to_owned()))
        })
        .await?;
        self.screen = Some(screen);
        self.to_screen().await?;
        self.teacher.wait_visible(&tid("screen-lobby")).await?;
        let code = self.code.clone();
        let r = self
            .teacher
            .wait_text(&tid("join-code"), "to show the code", |s| {
                s.chars().filter(char::is_ascii_digit).collect::<String>() == code
            })
            .await;
        self.soft("projector lobby code", r);
        let r = self
            .teacher
            .wait_contains(&tid("join-address"), &host)
            .await;
        self.soft("projector short address", r);
        let t = &self.teacher;
        let want = format!("?ticket={}", self.ticket);
        let r = until(
            "the projector's QR code to carry the join ticket",
            WAIT,
            || async {
                let src = t.attr(&tid("join-qr"), "src").await?.unwrap_or_default();
                Ok(if src.ends_with(&want) {
                    Ok(())
                } else {
                    Err(src)
                })
            },
        )
        .await;
        self.soft("projector QR code with the join ticket", r);
        self.to_console().await?;
        self.sweep("lobby").await
    }

    /// Pupil 1 through the QR code's link `/join/{code}#{ticket}`, pupils 2 and 3 by typing the
    /// code on `/`.
    async fn join(&mut self) -> anyhow::Result<()> {
        let qr_link = self
            .server
            .url(&format!("/join/{}#{}", self.code, self.ticket));
        self.pupils[0].goto(&qr_link).await?;
        for i in 1..3 {
            let p = &self.pupils[i];
            p.goto(&self.server.url("/")).await?;
            p.wait_visible(&tid("code")).await?;
            if i == 1 {
                self.shot(Who::Pupil(1), "join").await;
                self.axe(Who::Pupil(1), "join page").await;
            }
            let p = &self.pupils[i];
            p.type_into(&tid("code"), &self.code).await?;
            p.click(&tid("join-btn")).await?;
        }
        let inside = self.t("lobby.in", &[]);
        for i in 0..3 {
            let r = self.pupils[i].wait_visible(&tid("v-wait")).await;
            r.with_context(|| format!("pupil {} joining", i + 1))?;
            let r = self.pupils[i]
                .wait_contains(&tid("wait-title"), &inside)
                .await;
            self.soft(&format!("pupil {} lobby title", i + 1), r);
        }
        // The ticket leaves the address bar once the pupil is in (a screenshot shows no more).
        let shown = self.pupils[0]
            .js("return location.pathname + location.hash;", vec![])
            .await?;
        if shown != serde_json::json!(format!("/join/{}", self.code)) {
            self.problems
                .add(format!("pupil 1's address bar after joining: {shown}"));
        }
        self.shot(Who::Pupil(0), "pupil-lobby").await;
        let three = self.tn("host.lobby.presence", 3);
        let r = self.teacher.wait_contains(&tid("presence"), &three).await;
        self.soft("console counts 3 devices", r);
        self.to_screen().await?;
        let r = self.teacher.wait_contains(&tid("presence"), &three).await;
        self.soft("projector counts 3 devices", r);
        self.shot(Who::Teacher, "screen-lobby").await;
        self.to_console().await?;
        self.sweep("joined").await
    }
}

/// Which device a helper works on.
#[derive(Debug, Clone, Copy)]
pub enum Who {
    /// The teacher's laptop (whichever window is current).
    Teacher,
    /// Pupil 0, 1 or 2.
    Pupil(usize),
    /// The teacher's phone.
    Remote,
}
