//! What the browsers keep, read from their localStorage and sessionStorage: the teacher's console
//! forgets past sessions with their report's retention, forgets them all on request, asks once
//! whether the computer is shared (then keeps nothing after the end) and says when the server
//! ended a session at its maximum life; a shared tablet keeps nothing of a pupil once the
//! session is over. Screenshots of each screen in French and English.

use std::time::Duration;

use anyhow::ensure;
use loupe::protocol::ClientMsg;
use loupe_tools::client::{self, Client};
use serde_json::{json, Value};

use crate::a11y;
use crate::device::{tid, until, Device};
use crate::harness::{exclusive, screenshots_dir, skip, Driver, Form, Server};
use crate::texts::Dict;
use crate::Problems;

const DAY_MS: u64 = 86_400_000;

/// Every `loupe.*` key of the page's localStorage with its value, and how many entries its
/// sessionStorage has.
async fn storage(d: &Device) -> anyhow::Result<(serde_json::Map<String, Value>, u64)> {
    let v = d
        .js(
            "var out = {};\
             for (var i = 0; i < localStorage.length; i++) {\
               var k = localStorage.key(i);\
               if (k.indexOf('loupe.') === 0) out[k] = localStorage.getItem(k);\
             }\
             return [out, sessionStorage.length];",
            vec![],
        )
        .await?;
    let local = v[0].as_object().cloned().unwrap_or_default();
    Ok((local, v[1].as_u64().unwrap_or(0)))
}

/// Saves the viewport at 1920×1080 and 1280×720 as `name-1920.png` and `name-1280.png`, scrolled
/// to `at` (a selector) when given.
async fn shots(d: &Device, lang: &str, name: &str, at: Option<&str>) -> anyhow::Result<()> {
    let dir = screenshots_dir(lang)?;
    for (w, h) in [(1920, 1080), (1280, 720)] {
        d.viewport(w, h).await?;
        if let Some(sel) = at {
            let scroll = "var e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'start'});";
            d.js(scroll, vec![json!(sel)]).await?;
        }
        // Let the page lay itself out at the new size before the picture.
        d.js("return new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(r); }); });", vec![]).await?;
        d.screenshot(&dir, &format!("{name}-{w}")).await?;
    }
    d.client.set_window_size(1366, 768).await?;
    Ok(())
}

fn now_ms() -> u64 {
    loupe::session::unix_ms()
}

/// A session created and ended (with a report) through the API; its record as the console
/// keeps it, with `extra` fields.
async fn ended_record(server: &Server, label: &str, extra: Value) -> anyhow::Result<Value> {
    let s = client::create_session(
        &server.url(""),
        &json!({"quiz": "browser-fr", "label": label}),
    )
    .await?;
    let mut host = Client::connect(&format!("ws://{}/ws", server.host())).await?;
    host.hello_host(&s.code, &s.host_secret).await?;
    host.send(&ClientMsg::Start).await?;
    host.send(&ClientMsg::End).await?;
    host.recv_close(Duration::from_secs(10)).await?;
    let mut rec = json!({
        "code": s.code, "host_secret": s.host_secret, "screen_token": s.screen_token,
        "join_url": s.join_url, "quiz": "browser-fr", "title": "Quiz", "label": label,
        "created": now_ms(), "questions": null, "min_count": 3, "ended": true,
        "retention": "thirty_days", "ends_by": s.ends_by_unix_ms
    });
    if let (Some(r), Some(e)) = (rec.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    Ok(rec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_forgets_past_sessions_in_french() -> anyhow::Result<()> {
    console_forgets("fr").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_forgets_past_sessions_in_english() -> anyhow::Result<()> {
    console_forgets("en").await
}

/// The console asks once whether the computer is shared; a past session whose report has
/// expired is forgotten when the console opens, the others say until when they are kept; and
/// "Forget the sessions on this computer" wipes every secret and label.
async fn console_forgets(lang: &str) -> anyhow::Result<()> {
    let test = format!("the_console_forgets_past_sessions_in_{lang}");
    if skip(&test) {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start().await?;
    let driver = Driver::start().await?;
    let laptop = driver.device("console-storage", Form::Laptop, lang).await?;
    let mut problems = Problems::default();
    let dict = Dict::load(lang)?;

    laptop.goto(&server.url("/host")).await?;
    laptop.wait_visible(&tid("view-library")).await?;
    let ask = dict.t("host.shared.question", &[])?;
    laptop.wait_contains(&tid("shared-ask"), &ask).await?;
    shots(&laptop, lang, "console-shared-ask", None).await?;
    a11y::audit(&laptop, "console, shared-computer question", &mut problems).await?;
    laptop.click(&tid("shared-no")).await?;
    let off = dict.t("host.shared.off", &[])?;
    let r = laptop.wait_contains(&tid("shared-state"), &off).await;
    problems.check("the console says what it keeps", r);
    laptop.wait_hidden(&tid("shared-ask")).await?;

    // Kept: ended a moment ago (report for 30 days). Expired: ended 31 days ago, retention 30 days.
    let kept = ended_record(&server, "4e B", json!({"ended_at": now_ms()})).await?;
    let old = ended_record(&server, "3e A", json!({"ended_at": now_ms() - 31 * DAY_MS})).await?;
    let (kc, oc) = (
        kept["code"].as_str().unwrap_or(""),
        old["code"].as_str().unwrap_or(""),
    );
    let seed = "localStorage.setItem('loupe.host.' + arguments[0], arguments[1]);\
                localStorage.setItem('loupe.host.' + arguments[2], arguments[3]);\
                localStorage.setItem('loupe.screen.' + arguments[2], 'x');\
                localStorage.setItem('loupe.host.index', JSON.stringify([arguments[0], arguments[2]]));";
    laptop
        .js(
            seed,
            vec![
                json!(kc),
                json!(kept.to_string()),
                json!(oc),
                json!(old.to_string()),
            ],
        )
        .await?;
    laptop.reload().await?;
    laptop.wait_visible(&tid(&format!("past-{kc}"))).await?;
    let r = laptop
        .wait_contains(
            &tid(&format!("past-{kc}")),
            dict.t("host.past.kept_until", &[("date", "")])?.trim(),
        )
        .await;
    problems.check("a past session says until when it is kept", r);
    if laptop.is_visible(&tid(&format!("past-{oc}"))).await? {
        problems.add("a past session whose report expired is still listed");
    }
    let (local, _) = storage(&laptop).await?;
    for key in [format!("loupe.host.{oc}"), format!("loupe.screen.{oc}")] {
        if local.contains_key(&key) {
            problems.add(format!("{key} is still stored after its report expired"));
        }
    }
    ensure!(
        local.contains_key(&format!("loupe.host.{kc}")),
        "the kept session was forgotten"
    );
    shots(&laptop, lang, "console-past-sessions", Some("#past-h")).await?;
    a11y::audit(&laptop, "console, past sessions", &mut problems).await?;

    laptop.click(&tid("past-forget-all")).await?;
    laptop.wait_visible(&tid("confirm")).await?;
    shots(&laptop, lang, "console-forget-all-confirm", None).await?;
    laptop.click(&tid("confirm-ok")).await?;
    laptop.wait_visible(&tid("past-empty")).await?;
    let (local, _) = storage(&laptop).await?;
    let left: Vec<&String> = local
        .keys()
        .filter(|k| {
            k.starts_with("loupe.host.")
                || k.starts_with("loupe.screen.")
                || k.starts_with("loupe.blank.")
        })
        .filter(|k| *k != "loupe.host.shared")
        .collect();
    if !left.is_empty() {
        problems.add(format!(
            "after forgetting everything, still stored: {left:?}"
        ));
    }
    if local.get("loupe.host.shared").and_then(Value::as_str) != Some("0") {
        problems.add("the shared-computer answer was forgotten too");
    }
    let r = laptop
        .wait_contains(&tid("notice"), &dict.t("host.past.forgotten", &[])?)
        .await;
    problems.check("the console says the sessions are forgotten", r);
    shots(&laptop, lang, "console-forgotten", Some("#past-h")).await?;
    laptop.close().await;
    drop(driver);
    problems.finish(&test)
}

/// On a computer the teacher said is shared, ending the session through the console ("End and
/// clear") leaves nothing of it in the browser: no record, no secret, no past session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_computer_keeps_nothing_after_end_and_clear() -> anyhow::Result<()> {
    let test = "a_shared_computer_keeps_nothing_after_end_and_clear";
    if skip(test) {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start().await?;
    let driver = Driver::start().await?;
    let laptop = driver.device("console-shared", Form::Laptop, "fr").await?;
    let mut problems = Problems::default();
    let dict = Dict::load("fr")?;
    laptop.goto(&server.url("/host")).await?;
    laptop.click(&tid("shared-yes")).await?;
    let on = dict.t("host.shared.on", &[])?;
    laptop.wait_contains(&tid("shared-state"), &on).await?;
    laptop.click(&tid("quiz-open-browser-fr")).await?;
    laptop.click(&tid("create-session")).await?;
    let code = laptop
        .wait_text(&tid("join-code"), "a code", |t| {
            t.chars().filter(char::is_ascii_digit).count() == 6
        })
        .await?;
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    let (local, _) = storage(&laptop).await?;
    ensure!(
        local.contains_key(&format!("loupe.host.{code}")),
        "the running session is not kept for a reload"
    );
    laptop.click(&tid("start")).await?;
    laptop.click(&tid("cmd-finish")).await?;
    laptop.click(&tid("confirm-ok")).await?;
    laptop.wait_visible(&tid("view-end")).await?;
    laptop.click(&tid("end-session")).await?;
    laptop.click(&tid("confirm-ok")).await?;
    laptop
        .wait_contains(&tid("end-state"), &dict.t("host.end.ended_state", &[])?)
        .await?;
    let r = laptop
        .wait_contains(&tid("end-hint"), &dict.t("host.end.shared_hint", &[])?)
        .await;
    problems.check("the end view says nothing is kept", r);
    let (local, session) = storage(&laptop).await?;
    let kept: Vec<&String> = local
        .keys()
        .filter(|k| k.contains(&code) || *k == "loupe.host.index" || *k == "loupe.host.current")
        .collect();
    let index_empty = local
        .get("loupe.host.index")
        .and_then(Value::as_str)
        .is_none_or(|v| v == "[]");
    if kept.iter().any(|k| k.contains(&code)) || !index_empty {
        problems.add(format!("after End and clear on a shared computer, still stored: {kept:?} (sessionStorage {session})"));
    }
    shots(&laptop, "fr", "console-shared-ended", None).await?;
    laptop.click(&tid("new-session")).await?;
    laptop.wait_visible(&tid("past-empty")).await?;
    laptop.close().await;
    drop(driver);
    problems.finish(test)
}

/// A console left open at `--max-session-life` is told in plain words that the server ended the
/// session, and lists it as ended automatically.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_left_open_is_told_the_session_reached_its_maximum_life() -> anyhow::Result<()> {
    let test = "a_console_left_open_is_told_the_session_reached_its_maximum_life";
    if skip(test) {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start_with(|c| c.max_session_life = Duration::from_secs(5)).await?;
    let driver = Driver::start().await?;
    let laptop = driver
        .device("console-max-life", Form::Laptop, "en")
        .await?;
    let mut problems = Problems::default();
    let dict = Dict::load("en")?;
    laptop.goto(&server.url("/host")).await?;
    laptop.click(&tid("shared-no")).await?;
    laptop.click(&tid("quiz-open-browser-en")).await?;
    laptop.click(&tid("create-session")).await?;
    laptop.wait_visible(&tid("join-code")).await?;
    let said = dict.t("host.end.max_life_plain", &[])?;
    until(
        "the console to say the session reached its maximum life",
        Duration::from_secs(30),
        || async {
            let p = laptop.probe(&tid("notice")).await?;
            Ok(if p.visible && p.text.contains(&said) {
                Ok(())
            } else {
                Err(p.text)
            })
        },
    )
    .await?;
    shots(&laptop, "en", "console-max-life", None).await?;
    let auto = dict.t("host.past.ended_auto", &[])?;
    let r = laptop.wait_contains(&tid("past-sessions"), &auto).await;
    problems.check("the past session says it ended automatically", r);
    shots(&laptop, "en", "console-max-life-past", Some("#past-h")).await?;
    laptop.close().await;
    drop(driver);
    problems.finish(test)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_tablet_keeps_nothing_of_a_pupil_in_french() -> anyhow::Result<()> {
    tablet_keeps_nothing("fr").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_tablet_keeps_nothing_of_a_pupil_in_english() -> anyhow::Result<()> {
    tablet_keeps_nothing("en").await
}

/// The pupil page keeps its place (token, answer counter, question) while the session runs,
/// forgets it once the private result was opened, keeps nothing of any pupil after `ended`, and
/// forgets places more than a day old when it opens.
async fn tablet_keeps_nothing(lang: &str) -> anyhow::Result<()> {
    let test = format!("a_shared_tablet_keeps_nothing_of_a_pupil_in_{lang}");
    if skip(&test) {
        return Ok(());
    }
    let _one = exclusive().await;
    let server = Server::start().await?;
    let quiz = format!("browser-{lang}");
    let s = client::create_session(&server.url(""), &json!({"quiz": quiz})).await?;
    let mut host = Client::connect(&format!("ws://{}/ws", server.host())).await?;
    host.hello_host(&s.code, &s.host_secret).await?;
    let driver = Driver::start().await?;
    let tablet = driver.device("tablet", Form::SmallPhone, lang).await?;
    let mut problems = Problems::default();
    let dict = Dict::load(lang)?;
    let place = |local: &serde_json::Map<String, Value>| -> Vec<String> {
        local
            .keys()
            .filter(|k| {
                ["token.", "seq.", "pending.", "q.", "name.", "since."]
                    .iter()
                    .any(|p| k.starts_with(&format!("loupe.{p}")))
            })
            .cloned()
            .collect()
    };

    tablet
        .goto(&server.url(&format!("/join/{}", s.code)))
        .await?;
    tablet.wait_visible(&tid("v-wait")).await?;
    // A second tablet whose pupil never opens the result.
    let other = driver.device("tablet-2", Form::SmallPhone, lang).await?;
    other
        .goto(&server.url(&format!("/join/{}", s.code)))
        .await?;
    other.wait_visible(&tid("v-wait")).await?;
    host.send(&ClientMsg::Start).await?;
    host.send(&ClientMsg::Next).await?;
    tablet.click(&tid("option-0")).await?;
    let (local, _) = storage(&tablet).await?;
    let held = place(&local);
    ensure!(
        held.iter().any(|k| k.starts_with("loupe.token."))
            && held.iter().any(|k| k.starts_with("loupe.q.")),
        "while the session runs the tablet keeps its place (for a reload): {held:?}"
    );
    host.send(&ClientMsg::Finish).await?;
    tablet.click(&tid("result-btn")).await?;
    tablet.wait_visible(&tid("result")).await?;
    let (local, _) = storage(&tablet).await?;
    let left = place(&local);
    if !left.is_empty() {
        problems.add(format!(
            "after the result was opened, still stored: {left:?}"
        ));
    }
    host.send(&ClientMsg::End).await?;
    let (_, seen) = host.recv_close(Duration::from_secs(10)).await?;
    ensure!(
        seen.iter()
            .any(|e| matches!(e.msg, loupe::protocol::ServerMsg::Ended { .. })),
        "no ended"
    );
    let ended = dict.t("stop.ended.title", &[])?;
    let r = tablet.wait_contains(&tid("finished-ended"), &ended).await;
    problems.check("the tablet says the session is over", r);
    let (local, session) = storage(&tablet).await?;
    let left = place(&local);
    if !left.is_empty() || session != 0 {
        problems.add(format!(
            "after the end, still stored: {left:?}, sessionStorage {session}"
        ));
    }
    let dir = screenshots_dir(lang)?;
    tablet
        .screenshot(&dir, "pupil-after-end-reading-360")
        .await?;
    a11y::audit(&tablet, "pupil page after the end", &mut problems).await?;
    let r = other
        .wait_contains(&tid("stop-text"), &dict.t("stop.ended", &[])?)
        .await;
    problems.check("the other tablet says the session is over", r);
    let (local, session) = storage(&other).await?;
    let left = place(&local);
    if !left.is_empty() || session != 0 {
        problems.add(format!(
            "after the end, the other tablet still stores: {left:?}, sessionStorage {session}"
        ));
    }
    other.screenshot(&dir, "pupil-after-end-360").await?;
    other.close().await;

    // A place two days old (the page was closed before the end) and one from a moment ago.
    let seed = "localStorage.setItem('loupe.token.111111', 't'); localStorage.setItem('loupe.q.111111', '{}');\
                localStorage.setItem('loupe.since.111111', String(Date.now() - 2 * 86400000));\
                localStorage.setItem('loupe.token.222222', 't'); localStorage.setItem('loupe.since.222222', String(Date.now()));";
    tablet.js(seed, vec![]).await?;
    tablet.goto(&server.url("/")).await?;
    tablet.wait_visible(&tid("code")).await?;
    let (local, _) = storage(&tablet).await?;
    let left = place(&local);
    if left.iter().any(|k| k.ends_with("111111")) {
        problems.add(format!("a place two days old is still stored: {left:?}"));
    }
    if !left.iter().any(|k| k == "loupe.token.222222") {
        problems.add("a place from a moment ago was forgotten");
    }
    tablet.close().await;
    drop(driver);
    problems.finish(&test)
}
