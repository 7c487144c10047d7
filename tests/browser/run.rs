//! The running part of the lesson: question 1 (answers, a pass, a reload that keeps the answer),
//! pause and resume, the reveal, question 2, and back to question 1's result — checking the
//! console, the projector and each phone at each step.

use crate::device::{tid, Key};
use crate::lesson::{Lesson, Who};
use crate::texts::letter;

/// What each pupil picks on question 1 and 2: an option index, or `None` to pass.
const Q1_PICKS: [Option<usize>; 3] = [Some(1), Some(0), None];
const Q2_PICKS: [Option<usize>; 3] = [Some(1), Some(0), Some(1)];

impl Lesson {
    /// "B — text": how a pupil's phone names option `i` of question `q`.
    fn option_label(&self, q: usize, i: usize) -> String {
        format!("{} — {}", letter(i), self.quiz.questions[q].options[i])
    }

    /// Start, open question 1; pupils answer (one passes); pupil 2 reloads and finds its answer.
    pub async fn first_question(&mut self) -> anyhow::Result<()> {
        self.teacher.click(&tid("start")).await?;
        self.teacher.wait_visible(&tid("view-run")).await?;
        let r = self.teacher.wait_visible(&tid("intro")).await;
        self.soft("console intro", r);
        self.to_screen().await?;
        let r = self
            .teacher
            .wait_contains(&tid("screen-title"), &self.quiz.title)
            .await;
        self.soft("projector intro shows the quiz title", r);
        self.to_console().await?;
        self.teacher.click(&tid("cmd-next")).await?;
        let q = self.quiz.questions[0].clone();
        self.teacher.wait_contains(&tid("q-text"), &q.text).await?;
        let zero = self.tn("host.run.answers", 0);
        let r = self
            .teacher
            .wait_contains(&tid("answer-count"), &zero)
            .await;
        self.soft("console answer count at the opening", r);

        for i in 0..3 {
            let p = &self.pupils[i];
            p.wait_visible(&tid("v-question")).await?;
            let r = p.wait_contains(&tid("q-text"), &q.text).await;
            self.soft(&format!("pupil {} question text", i + 1), r);
            for (j, text) in q.options.iter().enumerate() {
                let r = self.pupils[i]
                    .wait_contains(&tid(&format!("option-{j}")), text)
                    .await;
                self.soft(&format!("pupil {} option {j}", i + 1), r);
            }
            let pass = self.t("q.pass", &[]);
            let r = self.pupils[i].wait_contains(&tid("q-pass"), &pass).await;
            self.soft(&format!("pupil {} pass button", i + 1), r);
        }
        self.to_screen().await?;
        self.teacher.wait_visible(&tid("screen-question")).await?;
        let r = self.teacher.wait_contains(&tid("q-text"), &q.text).await;
        self.soft("projector question text", r);
        self.to_console().await?;
        self.shot(Who::Pupil(0), "question").await;
        self.axe(Who::Pupil(0), "pupil question").await;

        self.answer(0, Q1_PICKS).await?;
        let three = self.tn("host.run.answers", 3);
        let r = self
            .teacher
            .wait_contains(&tid("answer-count"), &three)
            .await;
        self.soft("console shows 3 answers", r);
        self.no_bars_while_open("console").await?;
        self.to_screen().await?;
        let r = self
            .teacher
            .wait_contains(&tid("answer-count"), &three)
            .await;
        self.soft("projector shows 3 answers", r);
        self.no_bars_while_open("projector").await?;
        self.shot(Who::Teacher, "screen-question").await;
        self.to_console().await?;
        self.shot(Who::Teacher, "running").await;
        self.axe(Who::Teacher, "running console").await;
        self.private_panel().await?;

        // Pupil 2 reloads mid-question: the page resumes and shows the acknowledged answer.
        self.pupils[1].reload().await?;
        self.pupils[1].wait_visible(&tid("v-question")).await?;
        let r = self.pupils[1]
            .wait_attr(&tid("option-0"), "aria-pressed", "true")
            .await;
        self.soft("pupil 2 after a reload: its answer is still selected", r);
        let saved = self.t("q.saved", &[("choice", &self.option_label(0, 0))]);
        let r = self.pupils[1].wait_contains(&tid("q-status"), &saved).await;
        self.soft(
            "pupil 2 after a reload: its answer is still acknowledged",
            r,
        );
        let r = self
            .teacher
            .wait_contains(&tid("answer-count"), &three)
            .await;
        self.soft("console still shows 3 answers after the reload", r);
        self.sweep("question 1 open").await
    }

    /// N opens the console's private panel (notes, with the "visible if mirrored" warning)
    /// while the projector still shows no notes; "hide" closes it.
    async fn private_panel(&mut self) -> anyhow::Result<()> {
        self.teacher.press('n').await?;
        let r = self.teacher.wait_visible(&tid("private-panel")).await;
        if self
            .soft("N opens the console's private panel", r)
            .is_none()
        {
            return Ok(());
        }
        let r = self.teacher.wait_visible(&tid("private-warning")).await;
        self.soft("private panel warns that a mirrored screen shows it", r);
        let marker = self.quiz.note_marker;
        let r = self.teacher.wait_contains(&tid("notes"), marker).await;
        self.soft("private panel shows the notes", r);
        self.shot(Who::Teacher, "private-panel").await;
        self.to_screen().await?;
        let text = self.teacher.page_text().await?;
        if text.contains(marker) {
            self.problems.add(format!(
                "[{}] the projector shows the notes while the console's private panel is open",
                self.lang
            ));
        }
        self.to_console().await?;
        self.teacher.click(&tid("private-hide")).await?;
        let r = self.teacher.wait_hidden(&tid("private-panel")).await;
        self.soft("private panel hides again", r);
        Ok(())
    }

    /// Each pupil answers question `q` as `picks` says, and sees it acknowledged.
    async fn answer(&mut self, q: usize, picks: [Option<usize>; 3]) -> anyhow::Result<()> {
        for (i, pick) in picks.iter().enumerate() {
            let target = match pick {
                Some(j) => tid(&format!("option-{j}")),
                None => tid("q-pass"),
            };
            self.pupils[i].click(&target).await?;
        }
        for (i, pick) in picks.iter().enumerate() {
            let (target, saved) = match pick {
                Some(j) => (
                    tid(&format!("option-{j}")),
                    self.t("q.saved", &[("choice", &self.option_label(q, *j))]),
                ),
                None => (tid("q-pass"), self.t("q.saved.pass", &[])),
            };
            let r = self.pupils[i]
                .wait_attr(&target, "aria-pressed", "true")
                .await;
            self.soft(
                &format!("pupil {} answer {} shown as chosen", i + 1, q + 1),
                r,
            );
            let r = self.pupils[i].wait_contains(&tid("q-status"), &saved).await;
            self.soft(&format!("pupil {} answer {} acknowledged", i + 1, q + 1), r);
        }
        Ok(())
    }

    /// While a question is open the page shows no per-option bars or counts.
    async fn no_bars_while_open(&mut self, page: &str) -> anyhow::Result<()> {
        let d = &self.teacher;
        let bars = d.count_visible(&tid("bars")).await?;
        let counts = d.count_visible("[data-testid^=\"bar-\"]").await?;
        if bars + counts > 0 {
            self.problems.add(format!(
                "[{}] the {page} shows per-option results while the question is open \
                 ({bars} [data-testid=bars], {counts} [data-testid^=bar-])",
                self.lang
            ));
        }
        Ok(())
    }

    /// Checks the reveal chart of question 1 on the current teacher window: 1 A, 1 B, 0 C of 2
    /// pupils who chose, 1 pass, B marked correct.
    async fn check_q1_bars(&mut self, page: &str) -> anyhow::Result<()> {
        self.teacher.wait_visible(&tid("bars")).await?;
        let expect = [(0, 1, 50), (1, 1, 50), (2, 0, 0)];
        for (i, n, pct) in expect {
            let want = self.t(
                "chart.count",
                &[("n", &n.to_string()), ("pct", &pct.to_string())],
            );
            let r = self
                .teacher
                .wait_contains(&tid(&format!("bar-count-{i}")), &want)
                .await;
            self.soft(&format!("{page}: bar of option {}", letter(i)), r);
        }
        let marked = self
            .teacher
            .wait_visible(&format!("{} {}", tid("bar-1"), tid("correct-mark")))
            .await;
        self.soft(&format!("{page}: option B marked correct"), marked);
        let marks = self.teacher.count_visible(&tid("correct-mark")).await?;
        if marks != 1 {
            self.problems.add(format!(
                "[{}] {page}: {marks} options marked correct, expected 1",
                self.lang
            ));
        }
        let passed = self.t("chart.passed", &[("n", "1")]);
        let r = self
            .teacher
            .wait_contains(&tid("passed-count"), &passed)
            .await;
        self.soft(&format!("{page}: the pass is counted"), r);
        Ok(())
    }

    /// Pause (everyone sees "discussion"), resume, reveal (bars, correct option, feedback).
    pub async fn pause_and_reveal(&mut self) -> anyhow::Result<()> {
        self.teacher.click(&tid("cmd-pause")).await?;
        let r = self.teacher.wait_visible(&tid("paused-banner")).await;
        self.soft("console paused banner", r);
        let discussion = self.t("pause.title", &[]);
        for i in 0..3 {
            let r = self.pupils[i]
                .wait_contains(&tid("pause"), &discussion)
                .await;
            self.soft(&format!("pupil {} sees the discussion pause", i + 1), r);
        }
        self.to_screen().await?;
        let r = self.teacher.wait_visible(&tid("screen-paused")).await;
        self.soft("projector paused banner", r);
        self.to_console().await?;
        // The same button resumes once the console knows it is paused.
        self.teacher
            .wait_attr(&tid("cmd-pause"), "aria-pressed", "true")
            .await?;
        self.teacher.click(&tid("cmd-pause")).await?;
        let r = self.teacher.wait_hidden(&tid("paused-banner")).await;
        self.soft("console resumes", r);
        for i in 0..3 {
            let r = self.pupils[i].wait_hidden(&tid("pause")).await;
            self.soft(&format!("pupil {} resumes", i + 1), r);
        }
        self.to_screen().await?;
        let r = self.teacher.wait_hidden(&tid("screen-paused")).await;
        self.soft("projector resumes", r);
        self.to_console().await?;

        self.teacher.click(&tid("cmd-reveal")).await?;
        let revealed = self.t("host.stage.revealed", &[]);
        self.teacher.wait_contains(&tid("stage"), &revealed).await?;
        self.check_q1_bars("console reveal").await?;
        let q = self.quiz.questions[0].clone();
        let r = self
            .teacher
            .wait_contains(&tid("explanation"), &q.explanation)
            .await;
        self.soft("console explanation", r);
        self.shot(Who::Teacher, "reveal").await;
        self.axe(Who::Teacher, "console reveal").await;

        self.to_screen().await?;
        self.teacher.wait_visible(&tid("screen-results")).await?;
        let r = self
            .teacher
            .wait_contains(&tid("results-text"), &q.text)
            .await;
        self.soft("projector results question", r);
        self.check_q1_bars("projector reveal").await?;
        let r = self
            .teacher
            .wait_contains(&tid("explanation"), &q.explanation)
            .await;
        self.soft("projector explanation", r);
        self.shot(Who::Teacher, "screen").await;
        self.to_console().await?;

        let answer = self.option_label(0, q.correct);
        let heads = [
            self.t("reveal.right", &[]),
            self.t("reveal.wrong.one", &[("answer", &answer)]),
            self.t("reveal.passed", &[]),
        ];
        for (i, head) in heads.iter().enumerate() {
            self.pupils[i].wait_visible(&tid("v-reveal")).await?;
            let r = self.pupils[i]
                .wait_contains(&tid("reveal-title"), head)
                .await;
            self.soft(&format!("pupil {} feedback", i + 1), r);
            let r = self.pupils[i]
                .wait_contains(&tid("reveal-explanation"), &q.explanation)
                .await;
            self.soft(&format!("pupil {} explanation", i + 1), r);
        }
        let sub = self.t("reveal.answer.one", &[("answer", &answer)]);
        let r = self.pupils[2]
            .wait_contains(&tid("reveal-answer"), &sub)
            .await;
        self.soft("pupil 3 (passed) is told the answer", r);
        self.shot(Who::Pupil(1), "result").await;
        self.axe(Who::Pupil(1), "pupil result").await;
        self.sweep("question 1 revealed").await
    }

    /// Question 2 (opened with the clicker's PageDown; everyone answers), close it, then back to
    /// question 1's result.
    pub async fn second_question_and_back(&mut self) -> anyhow::Result<()> {
        let q = self.quiz.questions[1].clone();
        self.teacher.press(Key::PageDown.into()).await?;
        let r = self.teacher.wait_contains(&tid("q-text"), &q.text).await;
        if self
            .soft("PageDown (clicker) opens the next question", r)
            .is_none()
        {
            self.teacher.click(&tid("cmd-next")).await?;
            self.teacher.wait_contains(&tid("q-text"), &q.text).await?;
        }
        for i in 0..3 {
            self.pupils[i]
                .wait_contains(&tid("q-text"), &q.text)
                .await?;
        }
        self.answer(1, Q2_PICKS).await?;
        let three = self.tn("host.run.answers", 3);
        let r = self
            .teacher
            .wait_contains(&tid("answer-count"), &three)
            .await;
        self.soft("console shows 3 answers to question 2", r);

        // "Next" closes the answers; "back" then shows question 1's result again.
        self.teacher.click(&tid("cmd-next")).await?;
        let closed = self.t("host.stage.closed", &[]);
        self.teacher.wait_contains(&tid("stage"), &closed).await?;
        let closed_title = self.t("closed.title", &[]);
        for i in 0..3 {
            let r = self.pupils[i]
                .wait_contains(&tid("v-closed"), &closed_title)
                .await;
            self.soft(&format!("pupil {} sees answers closed", i + 1), r);
        }
        self.teacher.click(&tid("cmd-back")).await?;
        let review = self.t("host.stage.review", &[]);
        self.teacher.wait_contains(&tid("stage"), &review).await?;
        let q1 = self.quiz.questions[0].text.clone();
        let r = self.teacher.wait_contains(&tid("q-text"), &q1).await;
        self.soft("console back on question 1", r);
        self.check_q1_bars("console back on question 1").await?;
        self.to_screen().await?;
        let r = self.teacher.wait_contains(&tid("results-text"), &q1).await;
        self.soft("projector back on question 1", r);
        self.check_q1_bars("projector back on question 1").await?;
        self.to_console().await?;
        let look = self.t("look.title", &[]);
        for i in 0..3 {
            let r = self.pupils[i]
                .wait_contains(&tid("wait-title"), &look)
                .await;
            self.soft(
                &format!("pupil {} looks at the screen during the review", i + 1),
                r,
            );
        }
        self.sweep("back to question 1").await
    }
}
