//! The end of the lesson: pairing the teacher's phone as a remote (warning, 60-second QR code,
//! accepted on the console once scanned), finishing from the remote, the class summary on the
//! console and the projector, and each pupil's private result behind a tap: with two questions,
//! too few for a score, said kindly.

use crate::device::{tid, until};
use crate::harness::{Form, WAIT};
use crate::lesson::{Lesson, Who};

/// The scored questions each pupil answered: pupils 1 and 2 both, pupil 3 passed question 1.
/// A score needs 3, so none gets one (nor the class a histogram).
const ANSWERED: [u32; 3] = [2, 2, 1];

impl Lesson {
    /// The pairing dialog, then the remote opened from the address it shows.
    pub async fn pair_remote(&mut self) -> anyhow::Result<()> {
        self.watch_remote_fetch().await?;
        self.teacher.click(&tid("remote-open-run")).await?;
        self.teacher.wait_visible(&tid("remote-panel")).await?;
        let r = self.teacher.wait_visible(&tid("remote-warning")).await;
        self.soft("pairing warning before the QR code", r);
        self.teacher.click(&tid("remote-show")).await?;
        let r = self
            .teacher
            .wait_visible(&format!("{} svg", tid("remote-qr")))
            .await;
        self.soft("pairing QR code", r);
        let r = self.teacher.wait_visible(&tid("remote-countdown")).await;
        self.soft("pairing countdown", r);
        let url = self.remote_url().await?;
        if !url.starts_with(&self.server.url("/remote#")) {
            self.problems.add(format!(
                "[{}] the remote's address {url:?} is not {}…",
                self.lang,
                self.server.url("/remote#")
            ));
        }
        self.shot(Who::Teacher, "pairing").await;

        let remote = self.driver.device("remote", Form::Phone, self.lang).await?;
        remote.goto(&url).await?;
        self.remote = Some(remote);
        // Once scanned, the QR code leaves the console, which asks whether to accept the phone;
        // the phone waits for that.
        let r = self.teacher.wait_visible(&tid("pair-ask")).await;
        r.map_err(|e| anyhow::anyhow!("the console did not ask to accept the phone: {e:#}"))?;
        let r = self
            .teacher
            .wait_hidden(&format!("{} svg", tid("remote-qr")))
            .await;
        self.soft("the pairing QR code goes once scanned", r);
        let r = self
            .device(Who::Remote)
            .wait_visible(&tid("remote-waiting"))
            .await;
        self.soft("the remote waits for the teacher", r);
        self.teacher.click(&tid("pair-accept")).await?;
        let r = self
            .device(Who::Remote)
            .wait_visible(&tid("remote-main"))
            .await;
        r.map_err(|e| anyhow::anyhow!("the remote did not open: {e:#}"))?;
        let review = self.t("host.stage.review", &[]);
        let r = self
            .device(Who::Remote)
            .wait_contains(&tid("remote-stage"), &review)
            .await;
        self.soft("remote shows the stage", r);
        // Both "next" buttons send `next`, which after the last question ends the quiz: they
        // must say the same.
        let on_console = self.teacher.probe(&tid("cmd-next")).await?.text;
        let on_remote = self
            .device(Who::Remote)
            .probe(&tid("remote-next"))
            .await?
            .text;
        if on_console != on_remote {
            self.problems.add(format!(
                "[{}] reviewing question 1 after the last question was opened: the remote's \
                 [data-testid=remote-next] reads {on_remote:?}, the console's \
                 [data-testid=cmd-next] {on_console:?} (both send `next`)",
                self.lang
            ));
        }
        let r = self.teacher.wait_hidden(&tid("remote-panel")).await;
        self.soft("pairing dialog closes once the phone is accepted", r);

        // The remote shows the notes of the question on screen, which the projector never does,
        // even when it pairs after that question closed (host snapshots carry its notes).
        let rem = self.device(Who::Remote);
        rem.click(&tid("remote-notes-toggle")).await?;
        rem.wait_visible(&tid("remote-notes")).await?;
        let marker = self.quiz.note_marker;
        let notes = rem.probe(&tid("remote-notes")).await?.text;
        if !notes.contains(marker) {
            self.problems.add(format!(
                "[{}] remote paired during the review of question 1 shows no notes for it \
                 ([data-testid=remote-notes] reads {notes:?}; question 1 has notes)",
                self.lang
            ));
        }
        self.shot(Who::Remote, "remote").await;
        self.axe(Who::Remote, "remote").await;
        self.device(Who::Remote)
            .click(&tid("remote-notes-toggle"))
            .await?;
        self.sweep("remote paired").await
    }

    /// Finish from the remote; the summary everywhere; each pupil's score behind a tap.
    pub async fn finish(&mut self) -> anyhow::Result<()> {
        let rem = self.device(Who::Remote);
        rem.click(&tid("remote-finish")).await?;
        rem.click(&tid("remote-finish-confirm")).await?;
        let finished = self.t("host.stage.finished", &[]);
        let r = self
            .device(Who::Remote)
            .wait_contains(&tid("remote-stage"), &finished)
            .await;
        self.soft("remote shows the end", r);

        self.teacher.wait_visible(&tid("view-end")).await?;
        self.teacher.wait_visible(&tid("summary")).await?;
        let pupils = self.t("chart.pupils", &[]);
        let r = self
            .teacher
            .wait_text(&tid("summary-stats"), "to count 3 pupils", |s| {
                s.contains(&format!("{pupils} 3"))
            })
            .await;
        self.soft("console summary counts 3 pupils", r);
        for i in 0..2 {
            let r = self
                .teacher
                .wait_visible(&tid(&format!("summary-question-{i}")))
                .await;
            self.soft(&format!("console summary of question {}", i + 1), r);
        }
        let none = self.t("chart.no_histogram", &[]);
        let r = self
            .teacher
            .wait_contains(&tid("no-histogram"), &none)
            .await;
        self.soft("console: no class histogram without class scores", r);
        let basis = self.t("chart.scores_basis_all", &[("n", "2")]);
        let r = self
            .teacher
            .wait_contains(&tid("scores-basis"), &basis)
            .await;
        self.soft("console: the questions class scores are computed on", r);
        self.shot(Who::Teacher, "summary").await;
        self.axe(Who::Teacher, "summary").await;
        self.to_screen().await?;
        let r = self.teacher.wait_visible(&tid("screen-summary")).await;
        self.soft("projector summary", r);
        self.shot(Who::Teacher, "screen-summary").await;
        self.to_console().await?;

        let show = self.t("finished.show", &[]);
        for (i, answered) in ANSWERED.iter().enumerate() {
            self.pupils[i].wait_visible(&tid("v-finished")).await?;
            let r = self.pupils[i]
                .wait_contains(&tid("result-btn"), &show)
                .await;
            self.soft(&format!("pupil {} score button", i + 1), r);
            if self.pupils[i].is_visible(&tid("r-score")).await? {
                self.problems.add(format!(
                    "[{}] pupil {} sees the score before tapping",
                    self.lang,
                    i + 1
                ));
            }
            self.pupils[i].click(&tid("result-btn")).await?;
            self.pupils[i].wait_visible(&tid("result")).await?;
            let want = self.t("result.too_few", &[]);
            let r = self.pupils[i].wait_contains(&tid("r-score"), &want).await;
            self.soft(
                &format!("pupil {}: too few questions for a score", i + 1),
                r,
            );
            let n = answered.to_string();
            let why = self.t("result.too_few.why", &[("min", "3"), ("n", &n)]);
            let r = self.pupils[i].wait_contains(&tid("r-based"), &why).await;
            self.soft(&format!("pupil {}: why there is no score", i + 1), r);
            let r = self.pupils[i].wait_hidden(&tid("r-points")).await;
            self.soft(&format!("pupil {}: no points or rank", i + 1), r);
        }
        self.shot(Who::Pupil(0), "score").await;
        self.axe(Who::Pupil(0), "pupil score").await;
        self.sweep("finished").await
    }

    /// Reads the remote's address from the console's pairing dialog: a `data-url` on the QR
    /// code or a `remote-link`; otherwise (with a note) what the page fetched.
    async fn remote_url(&mut self) -> anyhow::Result<String> {
        let t = &self.teacher;
        let found = until("the remote's address in the pairing dialog", WAIT, || async {
            let v = t
                .js(
                    "var q = document.querySelector('[data-testid=\"remote-qr\"]');\
                     var u = q && (q.getAttribute('data-url') ||\
                       (q.querySelector('[data-url]') || {getAttribute: function () { return null; }}).getAttribute('data-url'));\
                     var a = document.querySelector('[data-testid=\"remote-link\"]');\
                     if (!u && a) u = a.getAttribute('href') || a.textContent;\
                     return {dom: u || null, fetched: window.__loupeRemoteUrl || null};",
                    vec![],
                )
                .await?;
            let dom = v.get("dom").and_then(|x| x.as_str()).map(str::to_owned);
            let fetched = v.get("fetched").and_then(|x| x.as_str()).map(str::to_owned);
            Ok(match (dom, fetched) {
                (Some(u), _) => Ok((u, true)),
                (None, Some(u)) => Ok((u, false)),
                _ => Err(format!("{v}")),
            })
        })
        .await?;
        if !found.1 {
            self.problems.add(format!(
                "[{}] console pairing dialog: the remote's address is not in the DOM (expected a \
                 `data-url` on [data-testid=remote-qr] or a [data-testid=remote-link]); the test \
                 read it from the POST …/remote response instead",
                self.lang
            ));
        }
        Ok(found.0)
    }

    /// Records the URL of the next `POST /api/sessions/{code}/remote` answer (a fallback for
    /// [`Lesson::remote_url`]).
    async fn watch_remote_fetch(&self) -> anyhow::Result<()> {
        self.teacher
            .js(
                "if (!window.__loupeWatch) { window.__loupeWatch = true; var f = window.fetch;\
                   window.fetch = function (u) { var p = f.apply(this, arguments);\
                     if (/\\/remote$/.test(String(u))) p.then(function (r) { r.clone().json()\
                       .then(function (j) { window.__loupeRemoteUrl = j.url; }, function () {}); });\
                     return p; }; }",
                vec![],
            )
            .await?;
        Ok(())
    }
}
