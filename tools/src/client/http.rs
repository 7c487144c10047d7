//! A minimal HTTP/1.1 client over `TcpStream` for the small JSON API: create sessions, read the
//! library and health, without an HTTP client crate in the library.

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

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

/// An HTTP answer: status and body.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body (chunked encoding already undone).
    pub body: String,
}

/// A minimal HTTP/1.1 client over `TcpStream` for the small JSON API (one request per
/// connection, `Connection: close`).
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
        Ok(HttpClient {
            authority: authority.to_owned(),
        })
    }

    /// Sends one request (JSON body if any) and reads the whole answer, within [`DEFAULT_TIMEOUT`].
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<HttpResponse> {
        let work = async {
            let mut stream = TcpStream::connect(&self.authority).await?;
            let body = body.unwrap_or("");
            let head = format!(
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: application/json\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                self.authority,
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(body.as_bytes()).await?;
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await?;
            parse_response(&raw)
        };
        match timeout(DEFAULT_TIMEOUT, work).await {
            Ok(r) => r,
            Err(_) => Err(ClientError::Timeout {
                after: DEFAULT_TIMEOUT,
                what: format!("{method} {path}"),
                skipped: vec![],
            }),
        }
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

/// Splits a raw HTTP/1.1 answer into status and body, undoing chunked encoding.
fn parse_response(raw: &[u8]) -> Result<HttpResponse> {
    let bad = |why: &str| ClientError::Http {
        status: 0,
        body: why.to_owned(),
    };
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("headers not UTF-8"))?;
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| bad("no status line"))?;
    let mut chunked = false;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else if name == "content-length" {
                let n: usize = value.parse().map_err(|_| bad("bad content-length"))?;
                body.truncate(n);
            }
        }
    }
    if chunked {
        body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    }
    let body = String::from_utf8(body).map_err(|_| bad("body not UTF-8"))?;
    Ok(HttpResponse { status, body })
}

/// Undoes `Transfer-Encoding: chunked`.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_answers() {
        let plain = b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(
            parse_response(plain).unwrap(),
            HttpResponse {
                status: 201,
                body: "{}".into()
            }
        );
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap().body, "abcde");
        assert!(parse_response(b"garbage").is_err());
    }

    #[test]
    fn reads_base_urls() {
        assert_eq!(
            HttpClient::new("http://127.0.0.1:80/x").unwrap().authority,
            "127.0.0.1:80"
        );
        assert!(HttpClient::new("https://x").is_err());
    }
}
