//! The disclosure rules as the console, the projector and a phone show them, in French and in
//! English: a round hidden whole says only the number of answers; a partly hidden round shows
//! "hidden" with its legend and no percentage for a hidden count; the summary says how many
//! questions the class scores count; the phone shows its score; the console's CSV neutralises a
//! question text that starts with `=` and is byte for byte the server's CSV.
//!
//! Eight pupils are typed protocol clients (`loupe_tools::client`), the teacher drives from one too;
//! the console, the projector and one pupil's phone are real browsers. Screenshots of the
//! console and projector at 1920×1080 and 1280×720 and of the phone at 360×640 go to
//! `target/screenshots/{fr,en}/privacy-*.png`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use loupe::protocol::{Answer, Choice, ClientMsg, ServerMsg};
use loupe_tools::client::{self, Client};
use serde_json::json;

use crate::device::{tid, Device};
use crate::harness::{exclusive, screenshots_dir, skip, Driver, Form, Server};
use crate::texts::Dict;
use crate::Problems;

/// Longest wait for one protocol message.
const T: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_counts_in_french() -> anyhow::Result<()> {
    privacy("fr").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_counts_in_english() -> anyhow::Result<()> {
    privacy("en").await
}

/// The quizzes of this test (`browser-privacy-fr`, `browser-privacy-en`).
fn quizzes() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/privacy")
}

/// A typed pupil (or teacher) socket.
struct Typed {
    client: Client,
}

impl Typed {
    /// Waits for question `q` to be open, answers `choice` and waits for the acknowledgement.
    async fn answer(&mut self, q: &str, choice: Choice) -> anyhow::Result<()> {
        self.client
            .recv_until(
                T,
                |m| matches!(m, ServerMsg::Question { question, .. } if question == q),
            )
            .await?;
        let answer = ClientMsg::Answer(Answer {
            question: q.into(),
            round: 1,
            client_seq: 1,
            choice,
        });
        self.client.send(&answer).await?;
        self.client
            .recv_until(
                T,
                |m| matches!(m, ServerMsg::Ack { question, .. } if question == q),
            )
            .await?;
        Ok(())
    }
}

async fn privacy(lang: &'static str) -> anyhow::Result<()> {
    let test = format!("privacy_{lang}");
    if skip(&test) {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start_with(|c| c.quizzes = Some(quizzes())).await?;
    let driver = Driver::start().await?;
    let console = driver.device("console", Form::Laptop, lang).await?;
    let wall = driver.device("projector", Form::Laptop, lang).await?;
    let phone = driver.device("phone", Form::SmallPhone, lang).await?;
    let late = driver.device("late-phone", Form::SmallPhone, lang).await?;
    let mut run = Run {
        dict: Dict::load(lang)?,
        shots: screenshots_dir(lang)?,
        problems: Problems::default(),
        lang,
    };
    let outcome = run.play(&server, &console, &wall, [&phone, &late]).await;
    if outcome.is_err() {
        eprintln!("chromedriver log (end):\n{}", driver.log_tail());
    }
    for d in [console, wall, phone, late] {
        d.close().await;
    }
    drop(driver);
    outcome?;
    run.problems.finish(&test)
}

struct Run {
    dict: Dict,
    shots: PathBuf,
    problems: Problems,
    lang: &'static str,
}

impl Run {
    fn t(&mut self, key: &str, vars: &[(&str, &str)]) -> String {
        match self.dict.t(key, vars) {
            Ok(s) => s,
            Err(e) => {
                self.problems.add(format!("{e:#}"));
                format!("⟦{key}⟧")
            }
        }
    }

    /// Screenshots of the console and the projector at 1920×1080 and 1280×720.
    async fn shots(&mut self, console: &Device, wall: &Device, name: &str) {
        for (w, h) in [(1920, 1080), (1280, 720)] {
            for (d, page) in [(console, "console"), (wall, "projector")] {
                let r = async {
                    d.viewport(w, h).await?;
                    d.screenshot(&self.shots, &format!("privacy-{page}-{name}-{w}"))
                        .await
                }
                .await;
                self.problems
                    .check(&format!("screenshot {page} {name} {w}"), r);
            }
        }
        for d in [console, wall] {
            let r = d.client.set_window_size(1366, 768).await;
            self.problems
                .check("window size back", r.map_err(Into::into));
        }
    }

    async fn play(
        &mut self,
        server: &Server,
        console: &Device,
        wall: &Device,
        [phone, late]: [&Device; 2],
    ) -> anyhow::Result<()> {
        let quiz = format!("browser-privacy-{}", self.lang);
        let s = client::create_session(&server.url(""), &json!({"quiz": quiz, "label": "=4e B"}))
            .await?;
        let ws = format!("ws://{}/ws", server.host());
        let mut host = Client::connect(&ws).await?;
        host.hello_host(&s.code, &s.host_secret).await?;
        // The console and the projector, as the console leaves them in this browser's storage.
        console.goto(&server.url("/host")).await?;
        console.wait_visible(&tid("view-library")).await?;
        console.keep_console(&s, &quiz, "=4e B").await?;
        console.wait_visible(&tid("view-lobby")).await?;
        wall.goto(&server.url(&format!("/screen/{}", s.code)))
            .await?;
        let token = "localStorage.setItem('loupe.screen.' + arguments[0], arguments[1]);";
        wall.js(token, vec![json!(s.code), json!(s.screen_token)])
            .await?;
        wall.reload().await?;
        wall.wait_visible(&tid("screen-lobby")).await?;
        for p in [phone, late] {
            p.goto(&format!("{}#{}", s.join_url, s.ticket)).await?;
            p.wait_visible(&tid("v-wait")).await?;
        }
        let mut pupils = Vec::new();
        for _ in 0..8 {
            let mut c = Client::connect(&ws).await?;
            c.hello_player(&s.code, None).await?;
            pupils.push(Typed { client: c });
        }
        host.send(&ClientMsg::Start).await?;
        host.send(&ClientMsg::Next).await?;

        // s1, the example: true/false, 6 answers, 5 against 1. Only "6 answers".
        let picks: [Option<u8>; 8] = [
            Some(0),
            Some(0),
            Some(0),
            Some(0),
            Some(0),
            Some(1),
            None,
            None,
        ];
        self.question(&mut host, &mut pupils, "s1", &picks, 0)
            .await?;
        host.send(&ClientMsg::Close).await?;
        let shown = results(&mut host, "s1").await?;
        if (shown.passed, shown.counts.clone()) != (None, None) {
            bail!("s1 published {shown:?}");
        }
        let hidden = self.t("chart.hidden", &[]);
        let passed_word = self.t("chart.passed", &[("n", "")]);
        for (d, page) in [(console, "console"), (wall, "projector")] {
            let r = d.wait_contains(&tid("no-distribution"), &hidden).await;
            self.problems
                .check(&format!("{page}: s1 says only the answers are shown"), r);
            let chart = d.wait_visible(&tid("bars")).await?;
            if chart.contains('%') || chart.contains(passed_word.trim_end()) {
                self.problems
                    .add(format!("[{}] {page}: s1 shows {chart:?}", self.lang));
            }
        }
        self.shots(console, wall, "s1").await;

        // s2: [4, 3, 1], no pass: the 1 hides with the 3; the passes (0) and the 4 stay.
        let picks = [
            Some(0),
            Some(0),
            Some(0),
            Some(0),
            Some(1),
            Some(1),
            Some(1),
            Some(2),
        ];
        host.send(&ClientMsg::Next).await?;
        self.question(&mut host, &mut pupils, "s2", &picks, 0)
            .await?;
        host.send(&ClientMsg::Close).await?;
        let shown = results(&mut host, "s2").await?;
        if (shown.passed, shown.counts.clone()) != (Some(0), Some(vec![Some(4), None, None])) {
            bail!("s2 published {shown:?}");
        }
        let four = self.t("chart.count", &[("n", "4"), ("pct", "50")]);
        let masked = self.t("chart.masked", &[]);
        let legend = self.t("chart.masked_legend", &[]);
        let none_passed = self.t("chart.passed", &[("n", "0")]);
        for (d, page) in [(console, "console"), (wall, "projector")] {
            let r = d.wait_contains(&tid("bar-count-0"), &four).await;
            self.problems
                .check(&format!("{page}: s2 shows the 4 with its share"), r);
            for i in [1, 2] {
                let cell = d
                    .wait_contains(&tid(&format!("bar-count-{i}")), &masked)
                    .await;
                if let Some(cell) = self.problems.check(&format!("{page}: s2 hides {i}"), cell) {
                    if cell.contains('%') || cell.chars().any(|c| c.is_ascii_digit()) {
                        self.problems.add(format!(
                            "[{}] {page}: hidden cell {i} reads {cell:?}",
                            self.lang
                        ));
                    }
                }
            }
            let r = d.wait_contains(&tid("masked-legend"), &legend).await;
            self.problems
                .check(&format!("{page}: s2 explains what hidden means"), r);
            let r = d.wait_contains(&tid("passed-count"), &none_passed).await;
            self.problems
                .check(&format!("{page}: a 0 pass count hides nothing"), r);
        }
        self.shots(console, wall, "s2").await;

        // k1..k3 (option 0 is right): the phone is right three times; typed pupils 2 and 5 never,
        // 7 once, 6 twice: class scores 0, 0, 33, 67 and five 100s, in ranges 0–39 and 60–100.
        // The late phone answers k1 only: too few answers for a score.
        for (q, wrong) in [("k1", [2, 5, 7]), ("k2", [2, 5, 6]), ("k3", [2, 5, 7])] {
            host.send(&ClientMsg::Next).await?;
            let picks: Vec<Option<u8>> =
                (0..8).map(|i| Some(u8::from(wrong.contains(&i)))).collect();
            let phones: &[&Device] = if q == "k1" { &[phone, late] } else { &[phone] };
            for p in phones {
                p.wait_visible(&tid("v-question")).await?;
                p.click(&tid("option-0")).await?;
            }
            self.question(&mut host, &mut pupils, q, &picks, phones.len() as u32)
                .await
                .with_context(|| q.to_owned())?;
            host.send(&ClientMsg::Reveal).await?;
            phone.wait_visible(&tid("v-reveal")).await?;
            if q == "k1" {
                let r = phone.screenshot(&self.shots, "privacy-phone-reveal").await;
                self.problems.check("screenshot phone reveal", r);
            }
        }
        host.send(&ClientMsg::Finish).await?;
        let summary = host
            .recv_until(T, |m| matches!(m, ServerMsg::Summary(_)))
            .await?;
        let ServerMsg::Summary(sum) = summary.msg else {
            bail!("no summary")
        };
        if (sum.scored_questions, sum.counted_questions, sum.scored) != (3, 3, 9) {
            bail!("summary counts {sum:?}");
        }
        let basis = self.t("chart.scores_basis_all", &[("n", "3")]);
        let r = console.wait_contains(&tid("scores-basis"), &basis).await;
        self.problems
            .check("console: the questions class scores count", r);
        let r = console.wait_visible(&tid("histogram")).await;
        self.problems.check("console: the class histogram", r);
        let r = wall.wait_contains(&tid("scores-basis"), &basis).await;
        self.problems
            .check("projector: the questions class scores count", r);
        self.shots(console, wall, "summary").await;

        // The phone: its own score on three answers.
        phone.wait_visible(&tid("result-btn")).await?;
        phone.click(&tid("result-btn")).await?;
        let score = self.t("result.outof", &[("score", "100")]);
        let r = phone.wait_contains(&tid("r-score"), &score).await;
        self.problems.check("phone: score out of 100", r);
        let based = self.t("result.based.many", &[("n", "3")]);
        let r = phone.wait_contains(&tid("r-based"), &based).await;
        self.problems.check("phone: based on 3 questions", r);
        let r = phone.screenshot(&self.shots, "privacy-phone-result").await;
        self.problems.check("screenshot phone result", r);
        // The late phone: no score on one answer, said kindly, and no points or rank.
        late.wait_visible(&tid("result-btn")).await?;
        late.click(&tid("result-btn")).await?;
        let few = self.t("result.too_few", &[]);
        let r = late.wait_contains(&tid("r-score"), &few).await;
        self.problems
            .check("late phone: too few questions for a score", r);
        let why = self.t("result.too_few.why", &[("min", "3"), ("n", "1")]);
        let r = late.wait_contains(&tid("r-based"), &why).await;
        self.problems.check("late phone: why there is no score", r);
        let r = late.screenshot(&self.shots, "privacy-phone-too-few").await;
        self.problems.check("screenshot phone too few", r);

        self.csv(console, &mut host, &s).await
    }

    /// Makes the typed pupils answer the open question `q` (`None`: no answer) and waits until
    /// the host counts them and `others` more (the phone).
    async fn question(
        &mut self,
        host: &mut Client,
        pupils: &mut [Typed],
        q: &str,
        picks: &[Option<u8>],
        others: u32,
    ) -> anyhow::Result<()> {
        let mut n = others;
        for (p, pick) in pupils.iter_mut().zip(picks) {
            if let Some(i) = pick {
                p.answer(q, Choice::Options(vec![*i])).await?;
                n += 1;
            }
        }
        host.recv_until(T, |m| matches!(m, ServerMsg::Answers { question, count, .. } if question == q && *count >= n))
            .await?;
        Ok(())
    }

    /// The console's CSV neutralises `=`, `+`, `-` and `@` and equals the server's.
    async fn csv(
        &mut self,
        console: &Device,
        host: &mut Client,
        s: &client::Created,
    ) -> anyhow::Result<()> {
        let title = if self.lang == "fr" {
            "Test navigateur : petits effectifs"
        } else {
            "Browser test: small groups"
        };
        let built = console
            .js(
                "return LoupeHost.summaryCsv({lang: arguments[0], quiz_title: arguments[1], label: '=4e B'}, LoupeHost.st.summary);",
                vec![json!(self.lang), json!(title)],
            )
            .await?;
        let built = built
            .as_str()
            .context("the console builds a CSV")?
            .to_owned();
        let sep = if self.lang == "fr" { ';' } else { ',' };
        for line in built.lines() {
            for cell in line.split(sep) {
                let cell = cell.trim_start_matches('\u{feff}').trim_start_matches('"');
                if cell.starts_with(['=', '+', '-', '@']) {
                    self.problems.add(format!(
                        "[{}] console CSV cell {cell:?} could start a formula",
                        self.lang
                    ));
                }
            }
        }
        if !built.contains(&format!("{sep}'=4e B")) || !built.contains("'=") {
            self.problems.add(format!(
                "[{}] console CSV without the neutralised texts:\n{built}",
                self.lang
            ));
        }
        host.send(&ClientMsg::End).await?;
        host.recv_close(T).await?;
        // The body as sent, byte order mark included (`text()` would drop it).
        let fetch = "var done = arguments[arguments.length - 1];\
                     fetch('/api/reports/' + arguments[0] + '/csv', {headers: {Authorization: 'Bearer ' + arguments[1]}})\
                       .then(function (r) { return r.ok ? r.arrayBuffer() : Promise.reject(r.status); })\
                       .then(function (b) { done(new TextDecoder('utf-8', {ignoreBOM: true}).decode(b)); },\
                             function (e) { done('error ' + e); });";
        let served = crate::device::until("the server's CSV", T, || async {
            let v = console
                .client
                .execute_async(fetch, vec![json!(s.code), json!(s.host_secret)])
                .await?;
            let text = v.as_str().unwrap_or_default().to_owned();
            Ok(if !text.starts_with("error") {
                Ok(text)
            } else {
                Err(text)
            })
        })
        .await?;
        if served != built {
            self.problems.add(format!(
                "[{}] the console's CSV differs from the server's:\n{built}\n---\n{served}",
                self.lang
            ));
        }
        Ok(())
    }
}

/// The first vote of `q`'s next `results` message.
async fn results(host: &mut Client, q: &str) -> anyhow::Result<loupe::protocol::Distribution> {
    let env = host
        .recv_until(
            T,
            |m| matches!(m, ServerMsg::Results { question, .. } if question == q),
        )
        .await?;
    match env.msg {
        ServerMsg::Results { results, .. } => Ok(results),
        other => bail!("not results: {other:?}"),
    }
}
