//! HTTP requests for these tests, through the tools' one HTTP client: any request header (the
//! report endpoints need `Authorization`), and the answer's headers (`Content-Disposition`)
//! beside its text.

use std::collections::HashMap;
use std::net::SocketAddr;

use anyhow::Context;
use loupe_tools::client::{Created, HttpClient, Reply};

/// Status, headers (lower-case names) and body of an answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: HashMap<String, String>,
    /// Body as text.
    pub body: String,
}

impl Answer {
    /// A header's value, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    /// The body as JSON.
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_str(&self.body).with_context(|| format!("not JSON: {}", self.body))
    }

    fn of(reply: Reply) -> anyhow::Result<Answer> {
        let body = reply.text()?;
        Ok(Answer {
            status: reply.status,
            headers: reply.headers.into_iter().collect(),
            body,
        })
    }
}

/// Sends one request with `headers` and `body`, and reads the whole answer.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> anyhow::Result<Answer> {
    let reply = HttpClient::to(addr)
        .send(method, path, headers, body.as_bytes())
        .await?;
    Answer::of(reply)
}

/// `GET path` with `headers`.
pub async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Answer> {
    request(addr, "GET", path, headers, "").await
}

/// `POST /api/sessions` with `body`; fails unless 201.
pub async fn create_session(addr: SocketAddr, body: serde_json::Value) -> anyhow::Result<Created> {
    Ok(HttpClient::to(addr).create_session(&body).await?)
}
