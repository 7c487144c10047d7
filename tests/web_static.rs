//! Static checks of the pages in `web/`, against the real server on 127.0.0.1:0: the pupil
//! page's compressed weight, ES2017 syntax (acorn), security headers, zoom, i18n dictionaries,
//! and the asset cache (ETag, 304, immutable `?v=`, gzip, path traversal).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context};
use common::raw_http::{get, Reply};
use common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The pupil page with everything it loads must stay under this many bytes on the wire.
const PUPIL_BUDGET: usize = 60 * 1000;
/// The CSP every page and asset carries when served to `host`: its WebSocket origin, and no
/// other, is named in `connect-src` (Safari before 15.4 needs it), or `'self'` alone.
fn csp(host: Option<&str>) -> String {
    let connect = host.map_or("'self'".to_owned(), |h| {
        format!("'self' ws://{h} wss://{h}")
    });
    format!(
        "default-src 'self'; img-src 'self' data:; connect-src {connect}; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

const GZIP: &[(&str, &str)] = &[("Accept-Encoding", "gzip, deflate, br")];

async fn server() -> anyhow::Result<(TestServer, SocketAddr)> {
    let server = TestServer::plain().await?;
    let addr = server.http_url().trim_start_matches("http://").parse()?;
    Ok((server, addr))
}

fn web() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web")
}

/// Every file under `dir`, as paths relative to `web/` with `/` separators.
fn files(dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else {
            let rel = path
                .strip_prefix(web())?
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
    out.sort();
    Ok(())
}

fn web_files(ext: &str) -> anyhow::Result<Vec<String>> {
    let mut all = Vec::new();
    files(&web(), &mut all)?;
    Ok(all.into_iter().filter(|f| f.ends_with(ext)).collect())
}

fn read(rel: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(web().join(rel)).with_context(|| format!("reading web/{rel}"))
}

/// The routes serving the page `web/{name}.html`.
fn routes(name: &str) -> &'static [&'static str] {
    match name {
        "pupil" => &["/", "/join/123456"],
        "host" => &["/host"],
        "screen" => &["/screen/123456"],
        "remote" => &["/remote"],
        _ => &[],
    }
}

/// Values of `attr="…"` in `html`.
fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    for (at, _) in html.match_indices(&needle) {
        let rest = &html[at + needle.len()..];
        out.extend(rest.split('"').next());
    }
    out
}

/// The `/assets/…` paths a page loads with `<script src>` and `<link href>`, query removed.
fn page_assets(html: &str) -> Vec<String> {
    let mut out: Vec<String> = attr_values(html, "src")
        .into_iter()
        .chain(attr_values(html, "href"))
        .filter_map(|v| v.strip_prefix("/assets/"))
        .map(|v| v.split('?').next().unwrap_or(v).to_owned())
        .collect();
    out.dedup();
    out
}

/// String literals of a script, comments skipped (enough for hand-written page code).
fn literals(js: &str) -> Vec<String> {
    let (mut out, mut chars) = (Vec::new(), js.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                chars.by_ref().find(|&c| c == '\n');
            }
            '/' if chars.peek() == Some(&'*') => {
                let mut last = ' ';
                chars
                    .by_ref()
                    .find(|&c| std::mem::replace(&mut last, c) == '*' && c == '/');
            }
            '\'' | '"' => {
                let mut s = String::new();
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => s.extend(chars.next()),
                        d if d == c || d == '\n' => break,
                        d => s.push(d),
                    }
                }
                out.push(s);
            }
            _ => {}
        }
    }
    out
}

/// Keys passed literally to `t('…')` in a script.
fn t_keys(js: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in js.match_indices("t(") {
        let before = js[..at].chars().next_back().unwrap_or(' ');
        if before.is_alphanumeric() || before == '_' || before == '$' {
            continue;
        }
        let rest = js[at + 2..].trim_start();
        let Some(q) = rest.chars().next().filter(|q| *q == '\'' || *q == '"') else {
            continue;
        };
        let mut parts = rest[1..].splitn(2, q);
        let (key, after) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        // `t('prefix.' + name)` builds its key at run time: not a literal key.
        if !after.trim_start().starts_with('+') {
            out.push(key.to_owned());
        }
    }
    out
}

fn dictionary(family: &str, lang: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let text = read(&format!("i18n/{family}.{lang}.json"))?;
    serde_json::from_str(&text).with_context(|| format!("i18n/{family}.{lang}.json"))
}

/// The pupil page with everything it loads weighs at most 60 KB with gzip, and shows the form.
#[tokio::test]
async fn pupil_page_weight_with_gzip() -> anyhow::Result<()> {
    let (_server, addr) = server().await?;
    let page = get(addr, "/join/123456", GZIP).await?;
    ensure!(page.status == 200, "pupil page: {}", page.status);
    let html = page.text()?;
    ensure!(
        html.contains("<form") && !html.contains("123456"),
        "the join form is in the HTML itself (the script fills in the code from the address)"
    );
    let mut wire = vec![("page".to_owned(), page.body.len())];
    let assets = page_assets(&html);
    let mut families = BTreeSet::new();
    for asset in &assets {
        let reply = get(addr, &format!("/assets/{asset}"), GZIP).await?;
        ensure!(reply.status == 200, "{asset}: {}", reply.status);
        ensure!(
            reply.header("content-encoding") == Some("gzip"),
            "{asset} not gzip"
        );
        if asset.ends_with(".js") {
            families.extend(loaded_families(&reply.text()?)?);
        }
        wire.push((asset.clone(), reply.body.len()));
    }
    ensure!(!families.is_empty(), "the pupil page loads no dictionary");
    for family in &families {
        // The page fetches one language; count the heavier one.
        let mut heaviest = (String::new(), 0);
        for lang in ["fr", "en"] {
            let path = format!("/assets/i18n/{family}.{lang}.json");
            let reply = get(addr, &path, GZIP).await?;
            ensure!(reply.status == 200, "{path}: {}", reply.status);
            if reply.body.len() > heaviest.1 {
                heaviest = (format!("i18n/{family}.{lang}.json"), reply.body.len());
            }
        }
        wire.push(heaviest);
    }
    let total: usize = wire.iter().map(|(_, n)| n).sum();
    for (name, bytes) in &wire {
        println!("  {bytes:>6} B  {name}");
    }
    println!("pupil page total on the wire (gzip): {total} bytes (budget {PUPIL_BUDGET})");
    ensure!(
        total <= PUPIL_BUDGET,
        "pupil page weighs {total} bytes gzip"
    );
    Ok(())
}

/// `GET` of `path` with `Host: host`, over HTTP/1.0 (the reply ends with the connection).
async fn get_as(addr: SocketAddr, path: &str, host: &str) -> anyhow::Result<Reply> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let head = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    Ok(common::raw_http::parse(&raw)?)
}

/// `/join/{code}` and `/screen/{code}` are one prepared page each, whatever the code (the script
/// reads it from the address): the same bytes and ETag for every code, the pupil page the same as
/// `/`; the CSP still names the host each request asked for.
#[tokio::test]
async fn one_page_for_every_join_code() -> anyhow::Result<()> {
    let (_server, addr) = server().await?;
    for (name, paths) in [
        ("pupil", ["/", "/join/123456", "/join/654321"]),
        (
            "screen",
            ["/screen/123456", "/screen/654321", "/screen/000000"],
        ),
    ] {
        let mut seen = Vec::new();
        for (path, host) in paths
            .iter()
            .zip(["a.example", "b.example", "c.example:8080"])
        {
            let reply = get_as(addr, path, host).await?;
            ensure!(reply.status == 200, "{path}: {}", reply.status);
            check_security_headers(path, &reply, Some(host))?;
            let etag = reply.header("etag").context("no ETag")?.to_owned();
            let html = String::from_utf8(reply.decoded()?)?;
            for code in ["123456", "654321", "000000"] {
                ensure!(!html.contains(code), "{path}: the page carries a code");
            }
            seen.push((path, etag, html));
        }
        for (path, etag, html) in &seen[1..] {
            ensure!(
                *etag == seen[0].1 && *html == seen[0].2,
                "{name}: {path} is not the page of {} ({etag} vs {})",
                seen[0].0,
                seen[0].1
            );
        }
        let again = get(addr, paths[2], &[("If-None-Match", &seen[0].1)]).await?;
        ensure!(again.status == 304, "{}: a known ETag gets 304", paths[2]);
    }
    Ok(())
}

/// Dictionary families (`web/i18n/{family}.fr.json`) a script names as string literals.
fn loaded_families(js: &str) -> anyhow::Result<BTreeSet<String>> {
    let known: BTreeSet<String> = web_files(".fr.json")?
        .iter()
        .filter_map(|f| f.strip_prefix("i18n/")?.strip_suffix(".fr.json"))
        .map(str::to_owned)
        .collect();
    Ok(literals(js)
        .into_iter()
        .filter(|l| known.contains(l))
        .collect())
}

/// Every page script parses as ES2017 (old Android browsers, in-app browsers).
#[test]
fn scripts_parse_as_es2017() -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let strict = std::env::var("CI").is_ok_and(|v| v == "true");
    let ready = root.join("node_modules/acorn/package.json").is_file()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ready {
        let message = "node or node_modules/acorn is missing: run `npm ci` (scripts/test does)";
        ensure!(!strict, "{message}");
        println!("SKIPPED: {message}");
        return Ok(());
    }
    const CHECK: &str = "const acorn = require('acorn'); const fs = require('fs'); let bad = 0;\n\
        for (const f of process.argv.slice(1)) {\n\
          try { acorn.parse(fs.readFileSync(f, 'utf8'), { ecmaVersion: 2017, sourceType: 'script' }); }\n\
          catch (e) { bad++; console.error(f + ': ' + e.message); }\n\
        }\n\
        process.exit(bad ? 1 : 0);";
    let scripts = web_files(".js")?;
    ensure!(!scripts.is_empty(), "no scripts in web/");
    let out = std::process::Command::new("node")
        .current_dir(&root)
        .arg("-e")
        .arg(CHECK)
        .args(scripts.iter().map(|s| web().join(s)))
        .output()?;
    ensure!(
        out.status.success(),
        "not ES2017:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{} scripts parse as ES2017", scripts.len());
    Ok(())
}

fn check_security_headers(what: &str, reply: &Reply, host: Option<&str>) -> anyhow::Result<()> {
    let policy = csp(host);
    let expected = [
        ("content-security-policy", policy.as_str()),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ];
    for (name, value) in expected {
        ensure!(
            reply.header(name) == Some(value),
            "{what}: {name} is {:?}",
            reply.header(name)
        );
    }
    Ok(())
}

/// Every page and every asset carries the security headers and the right type.
#[tokio::test]
async fn security_headers_on_every_page_and_asset() -> anyhow::Result<()> {
    let (_server, addr) = server().await?;
    let host = addr.to_string();
    let host = Some(host.as_str());
    for name in ["pupil", "host", "screen", "remote"] {
        let exists = web().join(format!("{name}.html")).is_file();
        for route in routes(name) {
            let reply = get(addr, route, &[]).await?;
            ensure!(
                reply.status == if exists { 200 } else { 404 },
                "{route}: {}",
                reply.status
            );
            check_security_headers(route, &reply, host)?;
            ensure!(reply.header("content-type") == Some("text/html; charset=utf-8"));
            ensure!(reply.header("cache-control") == Some("no-cache"), "{route}");
            let html = reply.text()?;
            ensure!(
                !html.contains("__V__") && !html.contains("__CODE__"),
                "{route}"
            );
        }
    }
    check_security_headers("404", &get(addr, "/nothing-here", &[]).await?, None)?;
    let mut all = Vec::new();
    files(&web(), &mut all)?;
    for file in all
        .iter()
        .filter(|f| !f.ends_with(".html") && !f.ends_with(".md"))
    {
        let reply = get(addr, &format!("/assets/{file}"), &[]).await?;
        ensure!(reply.status == 200, "{file}: {}", reply.status);
        check_security_headers(file, &reply, host)?;
        let kind = reply.header("content-type").unwrap_or_default();
        let expected = match file.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("json") => "application/json",
            _ => kind,
        };
        ensure!(kind == expected, "{file}: content-type {kind}");
    }
    Ok(())
}

/// `connect-src` names the origin the page was asked for, in lower case, and nothing else: a
/// `Host` that is not a host name (one that would write into the policy) gets `'self'` alone.
#[tokio::test]
async fn the_csp_connects_only_to_the_pages_own_origin() -> anyhow::Result<()> {
    let (_server, addr) = server().await?;
    for (host, expected) in [
        ("Quiz.Example.org", Some("quiz.example.org")),
        ("[::1]:8080", Some("[::1]:8080")),
        ("a; script-src *", None),
    ] {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let head = format!("GET /host HTTP/1.0\r\nHost: {host}\r\n\r\n");
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        let reply = common::raw_http::parse(&raw)?;
        ensure!(reply.status == 200, "Host {host:?}: {}", reply.status);
        check_security_headers(host, &reply, expected)?;
        let policy = reply.header("content-security-policy").unwrap_or_default();
        ensure!(
            !policy.contains(" ws: ") && !policy.contains("wss:;"),
            "a bare scheme: {policy}"
        );
    }
    Ok(())
}

/// Nothing lets text from a quiz or a pupil become markup, and the CSP needs no exception.
#[test]
fn no_inner_html_and_no_inline_code() -> anyhow::Result<()> {
    for js in web_files(".js")? {
        let text = read(&js)?;
        for banned in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
        ] {
            ensure!(!text.contains(banned), "web/{js} uses {banned}");
        }
    }
    for page in web_files(".html")? {
        let html = read(&page)?.to_ascii_lowercase();
        for (at, _) in html.match_indices("<script") {
            let tag = html[at..].split('>').next().unwrap_or_default();
            ensure!(tag.contains(" src="), "web/{page}: inline <script>");
        }
        ensure!(!html.contains("<style"), "web/{page}: inline <style>");
        ensure!(!html.contains(" style="), "web/{page}: style= attribute");
        ensure!(!html.contains("javascript:"), "web/{page}: javascript: URL");
        let handler = html.split_whitespace().any(|w| {
            w.starts_with("on")
                && w.split('=')
                    .next()
                    .is_some_and(|n| n.len() > 2 && !n.contains('-'))
                && w.contains('=')
        });
        ensure!(!handler, "web/{page}: inline event handler");
    }
    Ok(())
}

/// Every page lets people zoom: a viewport without maximum-scale or user-scalable=no.
#[test]
fn viewport_never_disables_zoom() -> anyhow::Result<()> {
    for page in web_files(".html")? {
        let html = read(&page)?.to_ascii_lowercase();
        let at = html
            .find("name=\"viewport\"")
            .with_context(|| format!("web/{page}: no viewport meta"))?;
        let tag = &html[html[..at].rfind('<').unwrap_or(0)..];
        let tag = tag.split('>').next().unwrap_or_default().replace(' ', "");
        ensure!(
            !tag.contains("maximum-scale")
                && !tag.contains("user-scalable=no")
                && !tag.contains("user-scalable=0"),
            "web/{page}: the viewport disables zoom: {tag}"
        );
    }
    Ok(())
}

/// fr and en dictionaries match key for key with no empty text, and every key a page uses
/// exists in the dictionaries that page loads.
#[test]
fn i18n_dictionaries_are_complete() -> anyhow::Result<()> {
    let mut all_keys = BTreeMap::new();
    for fr in web_files(".fr.json")? {
        let family = fr.trim_start_matches("i18n/").trim_end_matches(".fr.json");
        let (fr, en) = (dictionary(family, "fr")?, dictionary(family, "en")?);
        let (kf, ke): (BTreeSet<_>, BTreeSet<_>) = (fr.keys().collect(), en.keys().collect());
        ensure!(
            kf == ke,
            "{family}: fr only {:?}, en only {:?}",
            &kf - &ke,
            &ke - &kf
        );
        for (key, text) in fr.iter().chain(en.iter()) {
            ensure!(!text.trim().is_empty(), "{family}: {key} is empty");
        }
        all_keys.insert(family.to_owned(), fr.into_keys().collect::<BTreeSet<_>>());
    }
    let mut problems = Vec::new();
    for page in web_files(".html")? {
        let html = read(&page)?;
        let mut used: BTreeSet<String> = attr_values(&html, "data-i18n")
            .into_iter()
            .map(str::to_owned)
            .collect();
        for pairs in attr_values(&html, "data-i18n-attr") {
            let keys = pairs.split(';').filter_map(|p| p.split_once(':'));
            used.extend(keys.map(|(_, k)| k.trim().to_owned()));
        }
        let mut families = BTreeSet::new();
        for asset in page_assets(&html).iter().filter(|a| a.ends_with(".js")) {
            let Ok(js) = read(asset) else { continue }; // another engineer's file, not there yet
            families.extend(loaded_families(&js)?);
            used.extend(t_keys(&js));
        }
        if used.is_empty() {
            continue;
        }
        if families.is_empty() {
            problems.push(format!("web/{page} uses i18n keys but loads no dictionary"));
            continue;
        }
        let known: BTreeSet<&String> = families.iter().flat_map(|f| &all_keys[f]).collect();
        let missing: Vec<_> = used.iter().filter(|k| !known.contains(k)).collect();
        if missing.is_empty() {
            println!("web/{page}: {} keys, all in {families:?}", used.len());
        } else {
            problems.push(format!(
                "web/{page} (dictionaries {families:?}) uses missing keys {missing:?}"
            ));
        }
    }
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

/// Assets: strong ETag and 304, immutable with the current `?v=`, gzip, traversal is 404.
#[tokio::test]
async fn asset_caching_and_traversal() -> anyhow::Result<()> {
    let (_server, addr) = server().await?;
    let page = get(addr, "/", GZIP).await?;
    let html = page.text()?;
    let version = attr_values(&html, "data-v")
        .first()
        .map(|v| v.to_string())
        .context("no data-v on <html>")?;
    ensure!(
        version.len() >= 8 && !version.contains("__"),
        "version {version}"
    );
    let etag = page.header("etag").context("page without ETag")?.to_owned();
    let again = get(addr, "/", &[("If-None-Match", &etag)]).await?;
    ensure!(
        again.status == 304 && again.body.is_empty(),
        "page revalidation: {}",
        again.status
    );

    let path = "/assets/js/core.js";
    let plain = get(addr, path, &[]).await?;
    ensure!(plain.status == 200 && plain.header("content-encoding").is_none());
    ensure!(plain.header("cache-control") == Some("no-cache"));
    let etag = plain.header("etag").context("asset without ETag")?;
    ensure!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
        "strong ETag {etag}"
    );
    for tag in [
        etag.to_owned(),
        format!("W/{etag}"),
        format!("\"nope\", {etag}"),
    ] {
        let cached = get(addr, path, &[("If-None-Match", &tag)]).await?;
        ensure!(
            cached.status == 304 && cached.body.is_empty(),
            "If-None-Match {tag}"
        );
        ensure!(cached.header("etag").is_some() && cached.header("cache-control").is_some());
    }
    let stale = get(addr, path, &[("If-None-Match", "\"0000\"")]).await?;
    ensure!(stale.status == 200, "a stale ETag gets the file");

    let zipped = get(addr, path, GZIP).await?;
    ensure!(zipped.header("content-encoding") == Some("gzip"));
    ensure!(zipped.header("vary") == Some("Accept-Encoding"));
    ensure!(zipped.body.len() < plain.body.len() && zipped.decoded()? == plain.body);

    let versioned = get(addr, &format!("{path}?v={version}"), &[]).await?;
    ensure!(
        versioned.header("cache-control") == Some("public, max-age=31536000, immutable"),
        "?v=current: {:?}",
        versioned.header("cache-control")
    );
    let old = get(addr, &format!("{path}?v=0123456789"), &[]).await?;
    ensure!(old.header("cache-control") == Some("no-cache"), "?v=old");

    for attempt in [
        "/assets/../Cargo.toml",
        "/assets/js/../../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/%2E%2E/%2e%2e/Cargo.toml",
        "/assets/js/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/assets/..%5cCargo.toml",
        "/assets/js%5c..%5c..%5cCargo.toml",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
        "/assets/C:/Windows/win.ini",
        "/assets/.gitignore",
        "/assets/pupil.html",
        "/assets/nothing.js",
    ] {
        let reply = get(addr, attempt, &[]).await?;
        ensure!(reply.status == 404, "{attempt}: {}", reply.status);
        ensure!(
            !reply.text()?.contains("[package]"),
            "{attempt} leaked a file"
        );
    }
    Ok(())
}
