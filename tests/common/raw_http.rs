//! One HTTP request on a fresh raw socket, for tests that must see exactly what goes over the
//! wire: the path is sent as written (nothing normalised), and the request is HTTP/1.0, so the
//! server never chunks the reply and closes the connection after it (the body is everything up
//! to EOF).
//!
//! Self-contained, so test binaries that do not use the rest of `common` include just this file
//! (`#[path = "common/raw_http.rs"] mod raw_http;`).
#![allow(dead_code)]

use std::fmt::Display;
use std::io::Read;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one exchange may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed HTTP response; header names are lower-cased, the body is as sent (maybe gzip).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        let found = self.headers.iter().find(|(n, _)| *n == name);
        found.map(|(_, v)| v.as_str())
    }

    /// The body, gunzipped when it was sent compressed.
    pub fn decoded(&self) -> anyhow::Result<Vec<u8>> {
        if self.header("content-encoding") != Some("gzip") {
            return Ok(self.body.clone());
        }
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&self.body[..]).read_to_end(&mut out)?;
        Ok(out)
    }

    /// The decoded body as UTF-8 text.
    pub fn text(&self) -> anyhow::Result<String> {
        String::from_utf8(self.decoded()?).context("body is not UTF-8")
    }

    /// The decoded body as JSON.
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.decoded()?)
            .with_context(|| format!("not JSON: {:?}", self.text()))
    }

    /// Checks that this is an API error with this status and code, and a message.
    pub fn expect_error(&self, status: u16, code: &str) -> anyhow::Result<()> {
        let body = self.json()?;
        let message = body["message"].as_str().unwrap_or_default();
        anyhow::ensure!(
            (self.status, body["error"].as_str(), message.is_empty())
                == (status, Some(code), false),
            "expected {status} {code}, got {} {:.300}",
            self.status,
            body.to_string()
        );
        Ok(())
    }
}

/// `method path` to `addr` (`ip:port`) with extra `headers` and a `body` (a `Content-Length` is
/// always sent).
pub async fn request(
    addr: impl Display,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<Reply> {
    let addr = addr.to_string();
    let exchange = async {
        let mut stream = TcpStream::connect(&addr).await?;
        let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        anyhow::Ok(raw)
    };
    let raw = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .context("request timed out")??;
    parse(&raw)
}

/// [`request`] with a JSON `body` (and its `Content-Type`); the status and the body as text.
pub async fn send_json(
    addr: impl Display,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> anyhow::Result<(u16, String)> {
    let json = [("Content-Type", "application/json")];
    let headers: Vec<(&str, &str)> = headers.iter().chain(&json).copied().collect();
    let reply = request(addr, method, path, &headers, body.as_bytes()).await?;
    Ok((reply.status, reply.text()?))
}

/// `GET path` with extra `headers`.
pub async fn get(
    addr: impl Display,
    path: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<Reply> {
    request(addr, "GET", path, headers, b"").await
}

/// Parses a whole response read to EOF.
pub fn parse(raw: &[u8]) -> anyhow::Result<Reply> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers")?;
    let head = std::str::from_utf8(&raw[..split])?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .context("no status line")?
        .parse()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}
