//! The HTTP API and pages, tested against the real server on 127.0.0.1:0 with a tiny HTTP client.

use loupe_tools::client::http as raw_http;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use loupe::app::App;
use loupe::config::Config;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use raw_http::Reply;

/// Longest any single request may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A server running in this process; cancelled (and its data folder removed) when dropped.
struct Server {
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    data_dir: std::path::PathBuf,
}

impl Server {
    async fn start(config: Config) -> anyhow::Result<Server> {
        let data_dir = config.data_dir();
        let app = App::new(config)?;
        let listener = loupe::net::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(app.serve(listener, shutdown.clone()));
        Ok(Server {
            addr,
            shutdown,
            task: Some(task),
            data_dir,
        })
    }

    async fn default() -> anyhow::Result<Server> {
        Server::start(Config::for_tests()).await
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        Ok(raw_http::get(self.addr, path, &[]).await?)
    }

    async fn post_json(&self, path: &str, body: &Value) -> anyhow::Result<Reply> {
        self.post(
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
        .await
    }

    async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<Reply> {
        Ok(raw_http::request(self.addr, "POST", path, headers, body).await?)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Health answers with the crate version and the number of live sessions.
#[tokio::test]
async fn health_reports_version_and_sessions() -> anyhow::Result<()> {
    let server = Server::default().await?;
    let reply = server.get("/api/health").await?;
    assert_eq!(reply.status, 200);
    assert!(reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    assert_eq!(
        reply.json()?,
        json!({"ok": true, "version": env!("CARGO_PKG_VERSION"), "sessions": 0})
    );
    Ok(())
}

/// The library lists the bundled French and English quizzes with their counts.
#[tokio::test]
async fn quiz_list_has_the_bundled_quizzes() -> anyhow::Result<()> {
    let server = Server::default().await?;
    let list = server.get("/api/quizzes").await?.json()?;
    let list = list.as_array().context("not a list")?;
    for (id, lang) in [("reseaux-fr", "fr"), ("reseaux-en", "en")] {
        let quiz = list
            .iter()
            .find(|q| q["id"] == id)
            .with_context(|| format!("{id} missing"))?;
        assert_eq!(quiz["lang"], lang);
        for field in ["title", "audience", "description"] {
            assert!(
                quiz[field].as_str().is_some_and(|s| !s.is_empty()),
                "{id}.{field}"
            );
        }
        let questions = quiz["questions"].as_u64().context("questions count")?;
        assert!(questions > 0);
        assert!(quiz["core_questions"].as_u64().context("core count")? <= questions);
        assert!(quiz["sensitive"].as_u64().context("sensitive count")? <= questions);
        assert!(quiz["minutes"].as_u64().is_some());
        assert!(quiz["min_age"].is_null() || quiz["min_age"].is_u64());
        assert!(quiz.get("content_warning").is_some());
    }
    Ok(())
}

/// The host preview carries every question with its answer key and notes; unknown ids are 404.
#[tokio::test]
async fn preview_shows_questions_and_keys() -> anyhow::Result<()> {
    let server = Server::default().await?;
    let summary = server.get("/api/quizzes").await?.json()?;
    let preview = server.get("/api/quizzes/reseaux-fr").await?.json()?;
    assert_eq!(preview["id"], "reseaux-fr");
    let questions = preview["questions"].as_array().context("questions list")?;
    let expected = summary
        .as_array()
        .and_then(|l| l.iter().find(|q| q["id"] == "reseaux-fr"));
    assert_eq!(
        Some(questions.len() as u64),
        expected.and_then(|q| q["questions"].as_u64())
    );
    for q in questions {
        let fields = [
            "id",
            "kind",
            "text",
            "options",
            "notes",
            "sensitive",
            "core",
        ];
        for field in fields {
            assert!(
                q.get(field).is_some(),
                "question field {field} missing: {q}"
            );
        }
        let options = q["options"].as_array().context("options")?;
        assert!(options
            .iter()
            .all(|o| o.get("correct").is_some() && o.get("points").is_some()));
    }
    let missing = server.get("/api/quizzes/no-such-quiz").await?;
    missing.expect_error(404, "unknown_quiz")?;
    Ok(())
}

/// Creating a session gives a 6-digit code, two 128-bit secrets, links and a QR code.
/// (Needs the real registry.)
#[tokio::test]
async fn create_session_returns_code_secrets_links_and_qr() -> anyhow::Result<()> {
    let server = Server::default().await?;
    let reply = server
        .post_json(
            "/api/sessions",
            &json!({"quiz": "reseaux-fr", "min_count": 3}),
        )
        .await?;
    assert_eq!(reply.status, 201, "{:?}", reply.text());
    let body = reply.json()?;
    let code = body["code"].as_str().context("code")?;
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "code {code}"
    );
    for secret in ["host_secret", "screen_token"] {
        assert!(
            body[secret].as_str().is_some_and(|s| is_hex(s, 32)),
            "{secret}: {body}"
        );
    }
    assert_ne!(body["host_secret"], body["screen_token"]);
    assert_eq!(body["join_url"], server.url(&format!("/join/{code}")));
    assert_eq!(body["screen_url"], server.url(&format!("/screen/{code}")));
    let svg = body["qr_svg"].as_str().context("qr_svg")?;
    assert!(svg.contains("<svg") && svg.ends_with("</svg>"));

    // The QR code carries the join ticket: the endpoint draws the same with `?ticket=`, and
    // another without it (the bare link) or with another ticket.
    let ticket = body["ticket"].as_str().context("ticket")?;
    assert!(is_hex(ticket, 16), "ticket {ticket}");
    let http = &server;
    let qr_of = |query: &str| {
        let path = format!("/api/sessions/{code}/qr.svg{query}");
        async move { http.get(&path).await }
    };
    let qr = qr_of(&format!("?ticket={ticket}")).await?;
    assert_eq!(qr.status, 200);
    assert_eq!(qr.header("content-type"), Some("image/svg+xml"));
    assert_eq!(qr.text()?, svg);
    let bare = qr_of("").await?;
    assert_eq!(bare.status, 200);
    assert_ne!(bare.text()?, svg);
    assert_ne!(qr_of("?ticket=0123456789abcdef").await?.text()?, svg);
    for bad in [
        "?ticket=",
        "?ticket=0123",
        "?ticket=0123456789abcdeg",
        "?ticket=0123456789ABCDEF",
    ] {
        qr_of(bad).await?.expect_error(400, "bad_request")?;
    }
    let health = server.get("/api/health").await?.json()?;
    assert_eq!(health["sessions"], 1);
    Ok(())
}

/// A session of a quiz that is not loaded is a 404.
#[tokio::test]
async fn create_session_of_unknown_quiz_is_404() -> anyhow::Result<()> {
    let server = Server::default().await?;
    let reply = server
        .post_json("/api/sessions", &json!({"quiz": "no-such-quiz"}))
        .await?;
    reply.expect_error(404, "unknown_quiz")?;
    Ok(())
}

/// Unknown fields, malformed JSON, a missing quiz id and a non-JSON body are 400 `bad_request`.
#[tokio::test]
async fn create_session_refuses_bad_bodies() -> anyhow::Result<()> {
    let server = Server::default().await?;
    for body in [
        json!({"quiz": "reseaux-fr", "colour": "red"}),
        json!({"quiz": "reseaux-fr", "mode": "battle"}),
        json!({"mode": "challenge"}),
        json!(["reseaux-fr"]),
    ] {
        let reply = server.post_json("/api/sessions", &body).await?;
        reply
            .expect_error(400, "bad_request")
            .with_context(|| format!("{body}"))?;
    }
    let json_header = [("Content-Type", "application/json")];
    let broken = server
        .post("/api/sessions", &json_header, b"{\"quiz\":")
        .await?;
    broken.expect_error(400, "bad_request")?;
    let untyped = server.post("/api/sessions", &[], b"{}").await?;
    untyped.expect_error(400, "bad_request")?;
    Ok(())
}

/// A question id that is not in the quiz is a 400. (Needs the real registry.)
#[tokio::test]
async fn create_session_refuses_unknown_question() -> anyhow::Result<()> {
    let server = Server::default().await?;
    let body = json!({"quiz": "reseaux-fr", "questions": ["no-such-question"]});
    let reply = server.post_json("/api/sessions", &body).await?;
    reply.expect_error(400, "bad_request")?;
    Ok(())
}

/// A body over the API limit is refused with 413 before being parsed.
#[tokio::test]
async fn oversized_body_is_413() -> anyhow::Result<()> {
    let server = Server::default().await?;
    let big = json!({"quiz": "reseaux-fr", "label": "x".repeat(100 * 1024)});
    let reply = server.post_json("/api/sessions", &big).await?;
    reply.expect_error(413, "too_large")?;
    Ok(())
}

/// A body declared larger than the limit is refused at once, without waiting for it to arrive.
#[tokio::test]
async fn declared_oversized_body_is_refused_before_it_arrives() -> anyhow::Result<()> {
    let server = Server::default().await?;
    let exchange = async {
        let mut stream = TcpStream::connect(server.addr).await?;
        let head = format!(
            "POST /api/sessions HTTP/1.0\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: 10000000\r\n\r\n{{",
            server.addr
        );
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        anyhow::Ok(raw)
    };
    let raw = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .context("the server waited for a body it should have refused")??;
    raw_http::parse(&raw)?.expect_error(413, "too_large")?;
    Ok(())
}

/// A client that never finishes its request headers is disconnected after the header timeout,
/// instead of holding a socket forever.
#[tokio::test]
async fn unfinished_request_headers_are_cut_off() -> anyhow::Result<()> {
    let server = Server::default().await?;
    let mut stream = TcpStream::connect(server.addr).await?;
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        .await?;
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let wait = loupe::serve::HEADER_TIMEOUT + std::time::Duration::from_secs(10);
    let closed = tokio::time::timeout(wait, stream.read_to_end(&mut rest)).await;
    anyhow::ensure!(
        closed.is_ok(),
        "the connection was still open after {wait:?}"
    );
    anyhow::ensure!(
        started.elapsed() >= loupe::serve::HEADER_TIMEOUT / 2,
        "closed too early"
    );
    // The server still answers everyone else.
    server.get("/api/health").await?;
    Ok(())
}

/// Guessing the host key is limited like guessing join codes: after a burst of wrong keys the
/// address is refused (429) for a while.
#[tokio::test]
async fn host_key_guessing_is_limited() -> anyhow::Result<()> {
    let config = Config {
        host_key: Some("the-right-key".into()),
        ..Config::for_tests()
    };
    let server = Server::start(config).await?;
    let body = json!({"quiz": "reseaux-en"}).to_string();
    let mut limited = false;
    for i in 0..40 {
        let key = format!("guess-{i}");
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Loupe-Host-Key", key.as_str()),
        ];
        let reply = server
            .post("/api/sessions", &headers, body.as_bytes())
            .await?;
        if reply.status == 429 {
            reply.expect_error(429, "rate_limited")?;
            limited = true;
            break;
        }
        reply.expect_error(401, "bad_host_key")?;
    }
    anyhow::ensure!(limited, "40 wrong host keys in a row were never limited");
    Ok(())
}

/// With `--host-key`, creating a session needs the key in `X-Loupe-Host-Key`.
/// (The 201 needs the real registry.)
#[tokio::test]
async fn host_key_is_required_when_configured() -> anyhow::Result<()> {
    let config = Config {
        host_key: Some("s3cret-key".into()),
        ..Config::for_tests()
    };
    let server = Server::start(config).await?;
    let body = json!({"quiz": "reseaux-en"}).to_string();
    let json = ("Content-Type", "application/json");
    for key in ["", "wrong", "s3cret-ke", "S3CRET-KEY"] {
        let headers = [json, ("X-Loupe-Host-Key", key)];
        let reply = server
            .post("/api/sessions", &headers, body.as_bytes())
            .await?;
        reply
            .expect_error(401, "bad_host_key")
            .with_context(|| format!("key {key:?}"))?;
    }
    let reply = server
        .post("/api/sessions", &[json], body.as_bytes())
        .await?;
    reply.expect_error(401, "bad_host_key")?;
    let headers = [json, ("X-Loupe-Host-Key", "s3cret-key")];
    let reply = server
        .post("/api/sessions", &headers, body.as_bytes())
        .await?;
    assert_eq!(reply.status, 201, "{:?}", reply.text());
    let created = reply.json()?;
    let (code, secret) = (
        created["code"].as_str().context("code")?,
        created["host_secret"].as_str().context("host_secret")?,
    );

    // The answer keys too: the key, or the host secret of a live session, and nothing else.
    // The library list holds no answers and stays open.
    assert_eq!(server.get("/api/quizzes").await?.status, 200);
    let preview = "/api/quizzes/reseaux-en";
    let bearer = format!("Bearer {secret}");
    let wrong = format!("Bearer {}", "0".repeat(32));
    let with_session = format!("{preview}?session={code}");
    for (path, headers) in [
        (preview.to_owned(), vec![]),
        (preview.to_owned(), vec![("X-Loupe-Host-Key", "wrong")]),
        (preview.to_owned(), vec![("Authorization", bearer.as_str())]),
        (
            with_session.clone(),
            vec![("Authorization", wrong.as_str())],
        ),
        (with_session.clone(), vec![]),
    ] {
        raw_http::get(server.addr, &path, &headers)
            .await?
            .expect_error(401, "bad_host_key")
            .with_context(|| format!("{path} {headers:?}"))?;
    }
    for (path, headers) in [
        (preview.to_owned(), vec![("X-Loupe-Host-Key", "s3cret-key")]),
        (with_session, vec![("Authorization", bearer.as_str())]),
    ] {
        let reply = raw_http::get(server.addr, &path, &headers).await?;
        assert_eq!(reply.status, 200, "{path} {headers:?}");
        assert!(
            reply.text()?.contains("\"correct\""),
            "answer keys in the preview"
        );
    }
    Ok(())
}

/// The pages are HTML with the security headers; other addresses are 404s.
#[tokio::test]
async fn placeholder_pages_and_404s() -> anyhow::Result<()> {
    let server = Server::default().await?;
    for path in ["/", "/host", "/join/123456"] {
        let page = server.get(path).await?;
        assert_eq!(page.status, 200, "{path}");
        let expected = [
            ("content-type", "text/html; charset=utf-8"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
        ];
        for (name, value) in expected {
            assert_eq!(page.header(name), Some(value), "{path} {name}");
        }
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(csp.starts_with("default-src 'self';"), "{path} CSP {csp}");
        let text = page.text()?;
        assert!(
            text.contains("Loupe") && !text.contains("{{"),
            "{path}: {text}"
        );
        assert!(
            !text.contains("<script>") && !text.contains("http://") && !text.contains("https://")
        );
    }
    // One page for every code (the script reads the code from the address): the join page is
    // the pupil page of `/`.
    assert_eq!(
        server.get("/join/123456").await?.text()?,
        server.get("/").await?.text()?
    );
    for path in ["/join/12345", "/join/%3Cb%3E", "/nothing-here"] {
        let page = server.get(path).await?;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(
            page.header("content-type"),
            Some("text/html; charset=utf-8")
        );
    }
    let api = server.get("/api/nothing-here").await?;
    api.expect_error(404, "not_found")?;
    let wrong = server.get("/api/sessions").await?;
    wrong.expect_error(405, "method_not_allowed")?;
    let qr = server.get("/api/sessions/abc/qr.svg").await?;
    qr.expect_error(404, "unknown_session")?;
    // Any six-digit code gets its join link's QR code, live or not: a 404 would reveal live codes.
    let qr = server.get("/api/sessions/000000/qr.svg").await?;
    assert_eq!(qr.status, 200);
    assert_eq!(qr.header("content-type"), Some("image/svg+xml"));
    assert!(qr.text()?.ends_with("</svg>"));
    Ok(())
}

/// Cancelling the shutdown token stops the server promptly and cleanly.
#[tokio::test]
async fn shutdown_stops_the_server() -> anyhow::Result<()> {
    let mut server = Server::default().await?;
    assert_eq!(server.get("/api/health").await?.status, 200);
    server.shutdown.cancel();
    let task = server.task.take().context("no task")?;
    match tokio::time::timeout(TIMEOUT, task).await {
        Ok(joined) => joined??,
        Err(_) => bail!("the server did not stop"),
    }
    Ok(())
}

/// An invalid extra quiz refuses start-up with `file:line:col` positions.
#[tokio::test]
async fn invalid_quiz_refuses_to_start() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("loupe-bad-quizzes-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("broken.toml"), "id = \"broken\"\ntitle = 3\n")?;
    let config = Config {
        quizzes: Some(dir.clone()),
        ..Config::for_tests()
    };
    let Err(err) = App::new(config) else {
        bail!("started with a broken quiz")
    };
    let text = format!("{err:#}");
    std::fs::remove_dir_all(&dir)?;
    assert!(text.contains("broken.toml:"), "{text}");
    Ok(())
}
