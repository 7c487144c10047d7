//! What an HTTP answer is once read: [`Reply`] (status, headers, the body's bytes as sent) and
//! [`HttpResponse`] (status and text, for the JSON API), parsed from the raw bytes.

use std::io::Read;

use super::{ClientError, Result};

/// A whole HTTP answer: header names lower-cased, the body as sent (maybe gzip; chunked
/// transfer encoding already undone).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers in the order sent, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// An HTTP answer of the JSON API: status and body text.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body (chunked encoding already undone).
    pub body: String,
}

impl Reply {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        let found = self.headers.iter().find(|(n, _)| *n == name);
        found.map(|(_, v)| v.as_str())
    }

    /// The body, gunzipped when it was sent compressed.
    pub fn decoded(&self) -> Result<Vec<u8>> {
        if self.header("content-encoding") != Some("gzip") {
            return Ok(self.body.clone());
        }
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&self.body[..]).read_to_end(&mut out)?;
        Ok(out)
    }

    /// The decoded body as UTF-8 text.
    pub fn text(&self) -> Result<String> {
        String::from_utf8(self.decoded()?).map_err(|_| unreadable("body is not UTF-8"))
    }

    /// The decoded body as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        let decoded = self.decoded()?;
        serde_json::from_slice(&decoded).map_err(|e| {
            let text = String::from_utf8_lossy(&decoded);
            ClientError::Unexpected(format!("not JSON ({e}): {text:.300}"))
        })
    }

    /// Checks that this is an API error with this status and code, and a message.
    pub fn expect_error(&self, status: u16, code: &str) -> Result<()> {
        let body = self.json()?;
        let message = body["message"].as_str().unwrap_or_default();
        if (self.status, body["error"].as_str(), message.is_empty()) == (status, Some(code), false)
        {
            return Ok(());
        }
        Err(ClientError::Unexpected(format!(
            "expected {status} {code}, got {} {:.300}",
            self.status,
            body.to_string()
        )))
    }

    /// The status and the body as text.
    pub fn into_response(self) -> Result<HttpResponse> {
        Ok(HttpResponse {
            status: self.status,
            body: self.text()?,
        })
    }
}

fn unreadable(why: &str) -> ClientError {
    ClientError::Http {
        status: 0,
        body: why.to_owned(),
    }
}

/// Parses a whole answer read to the end of the connection, undoing chunked encoding.
pub fn parse(raw: &[u8]) -> Result<Reply> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| unreadable("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| unreadable("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| unreadable("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut reply = Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    };
    if reply
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        reply.body = dechunk(&reply.body).ok_or_else(|| unreadable("bad chunked body"))?;
    } else if let Some(length) = reply.header("content-length") {
        let n: usize = length
            .parse()
            .map_err(|_| unreadable("bad content-length"))?;
        reply.body.truncate(n);
    }
    Ok(reply)
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
        let plain = b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: b\r\n\r\n{}";
        let reply = parse(plain).unwrap();
        assert_eq!(
            (reply.status, reply.header("x-a"), reply.text().unwrap()),
            (201, Some("b"), "{}".into())
        );
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse(chunked).unwrap().body, b"abcde");
        assert!(parse(b"garbage").is_err());
    }

    #[test]
    fn api_errors_are_checked() {
        let raw = b"HTTP/1.1 404 Not Found\r\n\r\n{\"error\":\"unknown_quiz\",\"message\":\"no\"}";
        let reply = parse(raw).unwrap();
        assert!(reply.expect_error(404, "unknown_quiz").is_ok());
        assert!(reply.expect_error(400, "unknown_quiz").is_err());
    }
}
