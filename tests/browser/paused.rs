//! A phone whose answer never reached the journal before a pause (a server restart brings the
//! open question back paused): the page keeps the answer, says it will go when the lesson
//! resumes, and sends it by itself on `resume`.

use loupe::protocol::{ClientMsg, ServerMsg, Stage};
use loupe_tools::client::{self, Client};
use serde_json::json;

use crate::device::tid;
use crate::harness::{exclusive, screenshots_dir, skip, Driver, Form, Server, WAIT};
use crate::texts::Dict;
use crate::Problems;

/// The host (a typed client) opens q1 and pauses; the phone holds an answer it sent but never
/// saw acknowledged (as after a restart: put in its storage, then the page reloads). Resumed, the
/// page re-sends it: the server refuses it `paused`, the page keeps it and says so; on `resume`
/// it goes again and is counted. (The page used to drop it on `paused`, and the pupil's answer
/// was lost unless they tapped again.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_refused_while_paused_goes_again_on_resume() -> anyhow::Result<()> {
    if skip("an_answer_refused_while_paused_goes_again_on_resume") {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start().await?;
    let s = client::create_session(&server.url(""), &json!({"quiz": "browser-fr"})).await?;
    let mut host = Client::connect(&format!("ws://{}/ws", server.host())).await?;
    host.hello_host(&s.code, &s.host_secret).await?;
    let driver = Driver::start().await?;
    let phone = driver.device("paused-phone", Form::Phone, "fr").await?;
    let dict = Dict::load("fr")?;
    let mut problems = Problems::default();
    phone
        .goto(&server.url(&format!("/join/{}", s.code)))
        .await?;
    phone.wait_visible(&tid("v-wait")).await?;
    for cmd in [ClientMsg::Start, ClientMsg::Next] {
        host.send(&cmd).await?;
    }
    phone.wait_visible(&tid("v-question")).await?;
    host.send(&ClientMsg::Pause).await?;
    host.recv_until(WAIT, |m| matches!(m, ServerMsg::Phase { paused: true, .. }))
        .await?;
    phone.wait_visible(&tid("pause")).await?;

    // The answer the phone sent just before the server went down, never acknowledged.
    let pending = json!({"type": "answer", "question": "q1", "round": 1, "client_seq": 7,
        "choice": {"options": [0]}});
    let put = "localStorage.setItem(arguments[0], arguments[1]); return true;";
    let key = format!("loupe.pending.{}", s.code);
    phone
        .js(put, vec![json!(key), json!(pending.to_string())])
        .await?;
    phone.reload().await?;
    let kept = dict.t("q.paused.kept", &[])?;
    let r = phone.wait_contains(&tid("q-status"), &kept).await;
    problems.check("the phone says the answer will go on resume", r);
    phone
        .screenshot(&screenshots_dir("fr")?, "pupil-paused-answer-kept")
        .await?;

    host.send(&ClientMsg::Resume).await?;
    let counted = host
        .recv_until(
            WAIT,
            |m| matches!(m, ServerMsg::Answers { question, count: 1, .. } if question == "q1"),
        )
        .await;
    if counted.is_err() {
        problems.add("the answer refused while paused was not sent again on resume");
    }
    host.send(&ClientMsg::Close).await?;
    host.recv_until(WAIT, |m| {
        matches!(
            m,
            ServerMsg::Phase {
                stage: Stage::Closed,
                ..
            }
        )
    })
    .await?;
    let r = phone.wait_visible(&tid("closed-yours")).await;
    problems.check("the closed question shows the pupil's answer", r);
    phone.close().await;
    drop(driver);
    problems.finish("an_answer_refused_while_paused_goes_again_on_resume")
}
