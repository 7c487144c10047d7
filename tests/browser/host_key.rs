//! A server with `--host-key`: the console asks for the key before showing a quiz with its
//! answers (a wrong key is said so), starts the session with it, and, reloaded mid-lesson,
//! loads the quiz again with the session's host secret instead of the key it no longer has.

use serde_json::json;

use crate::device::{tid, until};
use crate::harness::{exclusive, screenshots_dir, skip, Driver, Form, Server, WAIT};
use crate::texts::Dict;
use crate::Problems;

const KEY: &str = "cle-de-test-7f3a";

/// The console on a keyed server, from the library to a reload during the first question.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_asks_the_host_key_before_a_quizs_answers() -> anyhow::Result<()> {
    if skip("the_console_asks_the_host_key_before_a_quizs_answers") {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start_with(|c| c.host_key = Some(KEY.into())).await?;
    let driver = Driver::start().await?;
    let teacher = driver.device("keyed-console", Form::Laptop, "fr").await?;
    let dict = Dict::load("fr")?;
    let mut problems = Problems::default();
    teacher.goto(&server.url("/host")).await?;
    teacher.click(&tid("quiz-open-browser-fr")).await?;
    let needed = dict.t("host.key.needed_preview", &[])?;
    let r = teacher
        .wait_contains(&tid("library-key-why"), &needed)
        .await;
    problems.check("the console asks for the key", r);
    teacher
        .screenshot(&screenshots_dir("fr")?, "console-library-host-key")
        .await?;
    if teacher.is_visible(&tid("view-prepare")).await? {
        problems.add("the quiz with its answers opened without the key");
    }
    teacher
        .type_into(&tid("library-host-key"), "pas-la-clé")
        .await?;
    teacher.click(&tid("library-key-go")).await?;
    let wrong = dict.t("host.key.wrong", &[])?;
    let r = teacher.wait_contains(&tid("library-key-why"), &wrong).await;
    problems.check("a wrong key is said so", r);
    teacher.type_into(&tid("library-host-key"), KEY).await?;
    teacher.click(&tid("library-key-go")).await?;
    teacher.wait_visible(&tid("view-prepare")).await?;
    teacher.click(&tid("create-session")).await?;
    teacher.wait_visible(&tid("view-lobby")).await?;
    teacher.click(&tid("start")).await?;
    teacher.wait_visible(&tid("cmd-next")).await?;
    teacher.click(&tid("cmd-next")).await?;
    teacher.wait_visible(&tid("q-text")).await?;

    // Reloaded, the console has no key any more: it shows its secret for the quiz instead.
    teacher.reload().await?;
    teacher.wait_visible(&tid("q-text")).await?;
    let status = "var e = performance.getEntriesByType('resource').filter(function (r) {\
                  return r.name.indexOf('/api/quizzes/browser-fr') >= 0; });\
                  return e.length ? e[e.length - 1].responseStatus : 0;";
    let r = until("the quiz to load after the reload", WAIT, || async {
        let v = teacher.js(status, vec![]).await?;
        Ok(if v == json!(200) {
            Ok(())
        } else {
            Err(format!("status {v}"))
        })
    })
    .await;
    problems.check(
        "the reloaded console loads the quiz with its host secret",
        r,
    );
    teacher.close().await;
    drop(driver);
    problems.finish("the_console_asks_the_host_key_before_a_quizs_answers")
}
