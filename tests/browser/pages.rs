//! Page smoke tests: the join page loads on a phone in French and in English, in the browser's
//! language, at phone width, shows no raw i18n key, passes axe, and refuses a wrong code in
//! plain words.

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
