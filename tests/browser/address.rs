//! The pages carry no join code (one prepared page serves every session): the pupil page reads
//! the code from its address, joins with it, and keeps it in the form when the join is refused.

use loupe_tools::client;
use serde_json::json;

use crate::device::tid;
use crate::harness::{exclusive, screenshots_dir, skip, Driver, Form, Server};
use crate::texts::Dict;
use crate::Problems;

/// The code box of the page `phone` shows.
async fn code_box(phone: &crate::device::Device) -> anyhow::Result<serde_json::Value> {
    phone
        .js("return document.getElementById('code').value;", vec![])
        .await
}

/// `/join/{code}` of a live session joins it; `/join/{code}` of a code the server does not have
/// says so and leaves that code in the form, ready to be corrected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pupil_page_takes_the_code_from_its_address() -> anyhow::Result<()> {
    let test = "the_pupil_page_takes_the_code_from_its_address";
    if skip(test) {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start().await?;
    let s = client::create_session(&server.url(""), &json!({"quiz": "browser-fr"})).await?;
    let driver = Driver::start().await?;
    let phone = driver
        .device("pupil-address", Form::SmallPhone, "fr")
        .await?;
    let dict = Dict::load("fr")?;
    let mut problems = Problems::default();

    phone
        .goto(&server.url(&format!("/join/{}", s.code)))
        .await?;
    let r = phone.wait_visible(&tid("v-wait")).await;
    problems.check("the pupil is in the session of the address", r);
    let shown = code_box(&phone).await?;
    if shown != json!(s.code) {
        problems.add(format!("the code box after joining {}: {shown}", s.code));
    }

    let other = if s.code == "654321" {
        "123456"
    } else {
        "654321"
    };
    phone.goto(&server.url(&format!("/join/{other}"))).await?;
    let unknown = dict.t("err.unknown", &[])?;
    let r = phone.wait_contains(&tid("join-error"), &unknown).await;
    problems.check("a code the server does not have is refused", r);
    let r = phone.wait_visible(&tid("code")).await;
    problems.check("the join form is back", r);
    let shown = code_box(&phone).await?;
    if shown != json!(other) {
        problems.add(format!(
            "the code box after the refusal of {other}: {shown}"
        ));
    }
    let r = phone
        .screenshot(&screenshots_dir("fr")?, "pupil-join-refused-360")
        .await;
    problems.check("screenshot", r);
    phone.close().await;
    drop(driver);
    problems.finish(test)
}
