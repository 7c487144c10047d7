//! A console reloaded while it shows an earlier result again: "next" and the list of earlier
//! results come from where the lesson is (the phase's `current`), as on the phone remote.

use loupe::protocol::{ClientMsg, ServerMsg, Stage};
use loupe_tools::client::{self, Client};
use serde_json::json;

use crate::device::tid;
use crate::harness::{exclusive, skip, Driver, Form, Server, WAIT};
use crate::texts::Dict;
use crate::Problems;

/// The lesson reached its last question, then the teacher went back to question 1; the console
/// reloads (no `question` message comes for a review, only the phase). Its "next" leads to the
/// class summary and its list offers both results. (The console used to work out the current
/// question from the last `question` message alone: after the reload it offered "next question"
/// and an empty list, while the remote, reading the phase, said "summary".)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_reloaded_while_reviewing_knows_the_lesson_is_at_its_last_question(
) -> anyhow::Result<()> {
    let test = "a_console_reloaded_while_reviewing_knows_the_lesson_is_at_its_last_question";
    if skip(test) {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start().await?;
    let s = client::create_session(&server.url(""), &json!({"quiz": "browser-fr"})).await?;
    let mut host = Client::connect(&format!("ws://{}/ws", server.host())).await?;
    host.hello_host(&s.code, &s.host_secret).await?;
    let steps = [
        ClientMsg::Start,
        ClientMsg::Next,
        ClientMsg::Close,
        ClientMsg::Reveal,
        ClientMsg::Next,
        ClientMsg::Close,
        ClientMsg::Reveal,
        ClientMsg::ShowResults {
            question: "q1".to_owned(),
        },
    ];
    for step in steps {
        host.send(&step).await?;
    }
    host.recv_until(WAIT, |m| {
        matches!(
            m,
            ServerMsg::Phase { stage: Stage::Review, current: Some(1), question: Some(q), .. }
                if q == "q1"
        )
    })
    .await?;
    drop(host);

    let driver = Driver::start().await?;
    let laptop = driver.device("console-review", Form::Laptop, "fr").await?;
    let dict = Dict::load("fr")?;
    let mut problems = Problems::default();
    laptop.goto(&server.url("/host")).await?;
    laptop.wait_visible(&tid("view-library")).await?;
    laptop.keep_console(&s, "browser-fr", "4e B").await?;
    laptop.wait_visible(&tid("view-run")).await?;
    let summary = dict.t("host.cmd.to_summary", &[])?;
    let r = laptop
        .wait_text(&tid("cmd-next"), &format!("to read {summary:?}"), |t| {
            t == summary
        })
        .await;
    problems.check("after the reload, next leads to the summary", r);
    let listed = laptop
        .js(
            "return Array.prototype.map.call(document.querySelectorAll('#results-select option'),\
               function (o) { return o.value; });",
            vec![],
        )
        .await?;
    if listed != json!(["q1", "q2"]) {
        problems.add(format!(
            "the earlier results offered after the reload: {listed}"
        ));
    }
    laptop.close().await;
    drop(driver);
    problems.finish(test)
}
