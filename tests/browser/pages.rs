//! Page smoke tests: the join page loads on a phone in French and in English, in the browser's
//! language, at phone width, shows no raw i18n key, passes axe, and refuses a wrong code in
//! plain words; a pupil held up by code guessing on the same network is told, and gets in (once
//! the projector is in, or a classmate scanned the QR code's join ticket); a pupil back after the
//! session is gone is told so, and the phone forgets its place; so are a console and a projector
//! window back after their session is gone.

use loupe::protocol::{ClientMsg, ErrorCode};
use loupe_tools::client::{self, Client};
use serde_json::json;

use crate::a11y;
use crate::device::{tid, Device};
use crate::harness::{exclusive, skip, Driver, Form, Server};
use crate::texts::Dict;
use crate::Problems;

/// The join page in each language: right language and width, no raw key, axe clean, clear
/// errors for a malformed code and for a code no session has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_page_in_both_languages() -> anyhow::Result<()> {
    if skip("join_page_in_both_languages") {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start().await?;
    let driver = Driver::start().await?;
    let mut problems = Problems::default();
    for lang in ["fr", "en"] {
        let phone = driver
            .device(&format!("pupil-{lang}"), Form::Phone, lang)
            .await?;
        let r = join_page(&server, &phone, lang, &mut problems).await;
        problems.check(&format!("[{lang}] join page"), r);
        phone.close().await;
    }
    drop(driver);
    problems.finish("join_page_in_both_languages")
}

async fn join_page(
    server: &Server,
    phone: &Device,
    lang: &str,
    problems: &mut Problems,
) -> anyhow::Result<()> {
    let dict = Dict::load(lang)?;
    phone.goto(&server.url("/")).await?;
    phone.wait_visible(&tid("code")).await?;
    let title = dict.t("join.title", &[])?;
    let r = phone.wait_contains(&tid("v-join"), &title).await;
    problems.check(&format!("[{lang}] join page title"), r);
    let seen = phone
        .js("return [navigator.language, window.innerWidth];", vec![])
        .await?;
    if !seen[0].as_str().unwrap_or("").starts_with(lang) || seen[1].as_u64() != Some(390) {
        problems.add(format!(
            "[{lang}] the phone browser reports language and width {seen}"
        ));
    }
    let html_lang = phone.attr("html", "lang").await?;
    if html_lang.as_deref() != Some(lang) {
        problems.add(format!("[{lang}] join page: <html lang> is {html_lang:?}"));
    }
    let raw = phone.raw_keys().await?;
    if !raw.is_empty() {
        problems.add(format!("[{lang}] join page shows raw i18n keys: {raw:?}"));
    }
    a11y::audit(phone, "join page", problems).await?;

    // Five digits: refused on the phone, in plain words.
    phone.type_into(&tid("code"), "12345").await?;
    phone.click(&tid("join-btn")).await?;
    let bad = dict.t("join.bad", &[])?;
    let r = phone.wait_contains(&tid("join-error"), &bad).await;
    problems.check(&format!("[{lang}] a 5-digit code is refused"), r);
    // Six digits that no session has: the server says so, and the page repeats it.
    phone.type_into(&tid("code"), "000000").await?;
    phone.click(&tid("join-btn")).await?;
    let unknown = dict.t("err.unknown", &[])?;
    let r = phone.wait_contains(&tid("join-error"), &unknown).await;
    problems.check(&format!("[{lang}] an unknown code is refused"), r);
    a11y::audit(phone, "join page with an error", problems).await?;
    Ok(())
}

/// A server whose failed-join budget is one failure (then one a minute), a session nobody is in,
/// and one wrong code already tried from 127.0.0.1: new joins from there are held up. Also
/// gives the WebSocket address.
async fn held_up_network() -> anyhow::Result<(Server, client::Created, String)> {
    let server = Server::start_with(|c| c.failed_joins_per_minute = 1).await?;
    let s = client::create_session(&server.url(""), &json!({"quiz": "browser-fr"})).await?;
    let ws_url = format!("ws://{}/ws", server.host());
    let mut guesser = Client::connect(&ws_url).await?;
    let wrong = if s.code == "000000" {
        "000001"
    } else {
        "000000"
    };
    anyhow::ensure!(
        guesser.hello_player(wrong, None).await.is_err(),
        "a wrong code joined"
    );
    Ok((server, s, ws_url))
}

/// A pupil whose network (the same address) is over its failed-join budget: the page says why it
/// waits and keeps trying by itself, and the pupil is in as soon as the classroom's projector has
/// opened the session from that address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pupil_held_up_by_guessing_on_the_same_network_is_told_then_joins() -> anyhow::Result<()>
{
    if skip("a_pupil_held_up_by_guessing_on_the_same_network_is_told_then_joins") {
        return Ok(());
    }
    let _one = exclusive().await;
    let (server, s, ws_url) = held_up_network().await?;
    let driver = Driver::start().await?;
    let phone = driver.device("pupil-held-up", Form::Phone, "fr").await?;
    let mut problems = Problems::default();
    let dict = Dict::load("fr")?;
    phone
        .goto(&server.url(&format!("/join/{}", s.code)))
        .await?;
    let busy = dict.t("join.busy", &[])?;
    let r = phone.wait_contains(&tid("join-error"), &busy).await;
    problems.check("the held-up pupil is told why", r);
    let r = phone.is_visible(&tid("v-wait")).await;
    if let Some(true) = problems.check("the pupil's view", r) {
        problems.add("the pupil got in while the network was over its budget");
    }
    a11y::audit(&phone, "join page, held up", &mut problems).await?;
    // The projector opens the session from the same address: the page's next try gets in.
    let mut projector = Client::connect(&ws_url).await?;
    projector.hello_screen(&s.code, &s.screen_token).await?;
    let r = phone.wait_visible(&tid("v-wait")).await;
    problems.check("the pupil joins once the projector is in", r);
    phone.close().await;
    drop(driver);
    problems.finish("a_pupil_held_up_by_guessing_on_the_same_network_is_told_then_joins")
}

/// The same held-up network, but nothing from it is in the session yet (the teacher's laptop is
/// elsewhere): a pupil who typed the code waits; a classmate who scanned the projector's QR code
/// (its link carries the join ticket) is in at once, the ticket leaves the address bar, and then
/// the first pupil's next try gets in too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pupil_who_scanned_the_qr_code_gets_in_past_a_held_up_network() -> anyhow::Result<()> {
    if skip("a_pupil_who_scanned_the_qr_code_gets_in_past_a_held_up_network") {
        return Ok(());
    }
    let _one = exclusive().await;
    let (server, s, _) = held_up_network().await?;
    let driver = Driver::start().await?;
    let typed = driver.device("pupil-typed", Form::Phone, "fr").await?;
    let scanned = driver.device("pupil-scanned", Form::Phone, "fr").await?;
    let mut problems = Problems::default();
    let dict = Dict::load("fr")?;
    typed
        .goto(&server.url(&format!("/join/{}", s.code)))
        .await?;
    let busy = dict.t("join.busy", &[])?;
    let r = typed.wait_contains(&tid("join-error"), &busy).await;
    problems.check("the pupil who typed the code is held up", r);
    scanned
        .goto(&server.url(&format!("/join/{}#{}", s.code, s.ticket)))
        .await?;
    let r = scanned.wait_visible(&tid("v-wait")).await;
    problems.check("the pupil who scanned the QR code is in", r);
    let bar = scanned
        .js("return location.pathname + location.hash;", vec![])
        .await?;
    if bar != json!(format!("/join/{}", s.code)) {
        problems.add(format!("the address bar after joining: {bar}"));
    }
    let r = typed.wait_visible(&tid("v-wait")).await;
    problems.check("then the pupil who typed the code gets in", r);
    typed.close().await;
    scanned.close().await;
    drop(driver);
    problems.finish("a_pupil_who_scanned_the_qr_code_gets_in_past_a_held_up_network")
}

/// A pupil comes back to a session that is gone: the phone still holds its resume token, the
/// server refuses it (as it refuses any token for a code it does not have), and the page says in
/// plain words that the place is gone, forgets the token, and offers the join form again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pupil_back_after_the_session_is_gone_is_told_plainly() -> anyhow::Result<()> {
    if skip("a_pupil_back_after_the_session_is_gone_is_told_plainly") {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start().await?;
    let s = client::create_session(&server.url(""), &json!({"quiz": "browser-fr"})).await?;
    let ws_url = format!("ws://{}/ws", server.host());
    let driver = Driver::start().await?;
    let phone = driver.device("pupil-back", Form::Phone, "fr").await?;
    let mut problems = Problems::default();
    let dict = Dict::load("fr")?;
    let join = server.url(&format!("/join/{}", s.code));
    phone.goto(&join).await?;
    phone.wait_visible(&tid("v-wait")).await?;
    let token_key = format!("loupe.token.{}", s.code);
    let held = "return localStorage.getItem(arguments[0]) !== null;";
    let r = phone.js(held, vec![json!(token_key)]).await?;
    anyhow::ensure!(
        r == json!(true),
        "the phone holds no resume token after joining"
    );
    // The phone leaves (its socket closes), then the teacher ends the session.
    phone.goto(&server.url("/api/health")).await?;
    end_and_forget(&ws_url, &s).await?;
    // Back on the join link: told, token forgotten, join form shown with the code.
    phone.goto(&join).await?;
    let gone = dict.t("err.token", &[])?;
    let r = phone.wait_contains(&tid("join-error"), &gone).await;
    problems.check("the pupil is told the place is gone", r);
    let r = phone.js(held, vec![json!(token_key)]).await?;
    if r != json!(false) {
        problems.add("the phone still holds the token of a session that is gone");
    }
    let r = phone.is_visible(&tid("code")).await;
    if let Some(false) = problems.check("the join form", r) {
        problems.add("the join form is not shown again");
    }
    a11y::audit(&phone, "join page, place gone", &mut problems).await?;
    phone.close().await;
    drop(driver);
    problems.finish("a_pupil_back_after_the_session_is_gone_is_told_plainly")
}

/// A server and a session that was created, then ended and forgotten.
async fn session_gone() -> anyhow::Result<(Server, client::Created)> {
    let server = Server::start().await?;
    let s = client::create_session(&server.url(""), &json!({"quiz": "browser-fr"})).await?;
    end_and_forget(&format!("ws://{}/ws", server.host()), &s).await?;
    Ok((server, s))
}

/// The teacher ends session `s` from a socket of its own, then waits until its code is free.
async fn end_and_forget(ws_url: &str, s: &client::Created) -> anyhow::Result<()> {
    let mut host = Client::connect(ws_url).await?;
    host.hello_host(&s.code, &s.host_secret).await?;
    host.send(&ClientMsg::End).await?;
    host.recv_close(std::time::Duration::from_secs(10)).await?;
    crate::device::until(
        "the code to be free",
        std::time::Duration::from_secs(10),
        || async move {
            let mut probe = Client::connect(ws_url).await?;
            Ok(match probe.hello_player(&s.code, None).await {
                Err(client::ClientError::Refused {
                    code: ErrorCode::UnknownSession,
                    ..
                }) => Ok(()),
                other => Err(format!("{:?}", other.map(|_| "welcome"))),
            })
        },
    )
    .await
}

/// A console reopened (or reloaded) after its session is gone: the server refuses its secret
/// as for any code it does not have, and the console says the session is over, files it as
/// ended, and shows the library rather than reconnecting for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_back_after_its_session_is_gone_says_so() -> anyhow::Result<()> {
    if skip("a_console_back_after_its_session_is_gone_says_so") {
        return Ok(());
    }
    let _one = exclusive().await;
    let (server, s) = session_gone().await?;
    let driver = Driver::start().await?;
    let laptop = driver.device("console-back", Form::Laptop, "fr").await?;
    let mut problems = Problems::default();
    let dict = Dict::load("fr")?;
    // What this browser kept of the session when it ran it (see web/js/host.js, "Storage").
    laptop.goto(&server.url("/host")).await?;
    laptop.wait_visible(&tid("view-library")).await?;
    laptop.keep_console(&s, "browser-fr", "4e B").await?;
    let gone = dict.t("host.err.session_gone", &[])?;
    let r = laptop.wait_contains(&tid("notice"), &gone).await;
    problems.check("the console says the session is over", r);
    let r = laptop.wait_visible(&tid("view-library")).await;
    problems.check("the console shows the library", r);
    let kept = laptop
        .js(
            "return [localStorage.getItem('loupe.host.current'),\
                     JSON.parse(localStorage.getItem('loupe.host.' + arguments[0])).ended];",
            vec![json!(s.code)],
        )
        .await?;
    if kept != json!([null, true]) {
        problems.add(format!(
            "after the refusal, host.current and the record's `ended` are {kept}"
        ));
    }
    laptop.close().await;
    drop(driver);
    problems.finish("a_console_back_after_its_session_is_gone_says_so")
}

/// A projector window reopened after its session is gone: its token is refused as for any code
/// the server does not have, and the wall says in plain words to reopen it from the console.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_back_after_its_session_is_gone_says_so() -> anyhow::Result<()> {
    if skip("a_projector_back_after_its_session_is_gone_says_so") {
        return Ok(());
    }
    let _one = exclusive().await;
    let (server, s) = session_gone().await?;
    let driver = Driver::start().await?;
    let wall = driver.device("projector-back", Form::Laptop, "fr").await?;
    let mut problems = Problems::default();
    let dict = Dict::load("fr")?;
    // The console left the screen token in localStorage when it opened this window.
    let screen = server.url(&format!("/screen/{}", s.code));
    wall.goto(&screen).await?;
    let keep = "localStorage.setItem('loupe.screen.' + arguments[0], arguments[1]);";
    wall.js(keep, vec![json!(s.code), json!(s.screen_token)])
        .await?;
    wall.reload().await?;
    let reopen = dict.t("screen.bad_token", &[])?;
    let r = wall
        .wait_contains(&tid("screen-no-token-text"), &reopen)
        .await;
    problems.check("the projector says to reopen it from the console", r);
    a11y::audit(&wall, "projector, session gone", &mut problems).await?;
    wall.close().await;
    drop(driver);
    problems.finish("a_projector_back_after_its_session_is_gone_says_so")
}
