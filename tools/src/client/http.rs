//! One small HTTP/1.1 client over `TcpStream` (one request per connection, `Connection: close`),
//! for everything that drives a server over HTTP: the JSON API (create sessions, read the
//! library and health) and the tests that must see exactly what goes over the wire: any request
//! header, the path sent as written (nothing normalised), the answer's headers and raw body.

use std::fmt::Display;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

pub use super::reply::{parse, HttpResponse, Reply};
use super::{ClientError, Result, DEFAULT_TIMEOUT};

/// What `POST /api/sessions` answers (201).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Created {
    /// 6-digit join code.
    pub code: String,
    /// Host secret: `hello` as host with it.
    pub host_secret: String,
    /// Screen token: `hello` as screen with it.
    pub screen_token: String,
    /// Link for phones.
    #[serde(default)]
    pub join_url: String,
    /// Link for the projector.
    #[serde(default)]
    pub screen_url: String,
    /// The join ticket the QR code's link carries (`join_url#ticket`).
    #[serde(default)]
    pub ticket: String,
    /// The join link with its ticket, as an SVG QR code.
    #[serde(default)]
    pub qr_svg: String,
    /// When the session ends by itself at the latest (Unix ms), 0 from an older server.
    #[serde(default)]
    pub ends_by_unix_ms: u64,
}

/// The JSON API's request headers (besides those every request has).
const JSON: &[(&str, &str)] = &[
    ("Accept", "application/json"),
    ("Content-Type", "application/json"),
];

/// An HTTP/1.1 client for one server.
#[derive(Debug, Clone)]
pub struct HttpClient {
    authority: String,
}

impl HttpClient {
    /// A client for `base_url` (`http://host:port`, any path ignored).
    pub fn new(base_url: &str) -> Result<HttpClient> {
        let rest = base_url
            .strip_prefix("http://")
            .or_else(|| base_url.strip_prefix("ws://"))
            .ok_or_else(|| ClientError::BadUrl(base_url.to_owned()))?;
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() {
            return Err(ClientError::BadUrl(base_url.to_owned()));
        }
        Ok(HttpClient::to(authority))
    }

    /// A client for the server at `addr` (`host:port`).
    pub fn to(addr: impl Display) -> HttpClient {
        HttpClient {
            authority: addr.to_string(),
        }
    }

    /// Sends `method path` with `Host`, `Connection: close`, these `headers` and a
    /// `Content-Length` for `body`, and reads the whole answer, within [`DEFAULT_TIMEOUT`].
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply> {
        let exchange = async {
            let mut stream = TcpStream::connect(&self.authority).await?;
            let mut head = format!(
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
                self.authority
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(body).await?;
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await?;
            parse(&raw)
        };
        match timeout(DEFAULT_TIMEOUT, exchange).await {
            Ok(reply) => reply,
            Err(_) => Err(ClientError::Timeout {
                after: DEFAULT_TIMEOUT,
                what: format!("{method} {path}"),
                skipped: vec![],
            }),
        }
    }

    /// A JSON API request (JSON body if any); the status and the body as text.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<HttpResponse> {
        let body = body.unwrap_or("").as_bytes();
        self.send(method, path, JSON, body).await?.into_response()
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<HttpResponse> {
        self.request("GET", path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<HttpResponse> {
        self.request("POST", path, Some(&serde_json::to_string(body)?))
            .await
    }

    /// `POST /api/sessions` with `body` (`{"quiz": id, ...options}`); anything but 201 is an error.
    pub async fn create_session(&self, body: &serde_json::Value) -> Result<Created> {
        let r = self.post_json("/api/sessions", body).await?;
        if r.status != 201 {
            return Err(ClientError::Http {
                status: r.status,
                body: r.body,
            });
        }
        Ok(serde_json::from_str(&r.body)?)
    }
}

/// Creates a session on the server at `base_url`; see [`HttpClient::create_session`].
pub async fn create_session(base_url: &str, body: &serde_json::Value) -> Result<Created> {
    HttpClient::new(base_url)?.create_session(body).await
}

/// `method path` to `addr` (`host:port`) with these `headers` and `body`; see
/// [`HttpClient::send`].
pub async fn request(
    addr: impl Display,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Reply> {
    HttpClient::to(addr).send(method, path, headers, body).await
}

/// `GET path` from `addr` with these `headers`.
pub async fn get(addr: impl Display, path: &str, headers: &[(&str, &str)]) -> Result<Reply> {
    request(addr, "GET", path, headers, b"").await
}

/// [`request`] with a JSON `body` (and its `Content-Type`); the status and the body as text.
pub async fn send_json(
    addr: impl Display,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String)> {
    let json = [("Content-Type", "application/json")];
    let headers: Vec<(&str, &str)> = headers.iter().chain(&json).copied().collect();
    let reply = request(addr, method, path, &headers, body.as_bytes()).await?;
    Ok((reply.status, reply.text()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_base_urls() {
        assert_eq!(
            HttpClient::new("http://127.0.0.1:80/x").unwrap().authority,
            "127.0.0.1:80"
        );
        assert!(HttpClient::new("https://x").is_err());
    }
}
