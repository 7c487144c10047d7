//! The optional host key (`--host-key`): who may create sessions and read answer keys, checked in
//! constant time; and the `Authorization: Bearer` secrets the API also takes.

use std::fmt;
use std::sync::Arc;

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};

/// The header that carries the host key.
pub const HOST_KEY_HEADER: &str = "x-loupe-host-key";

/// The host key, kept only as its SHA-256 digest so the plain key never sits in shared state and
/// every comparison runs over 32 bytes whatever the candidate's length.
#[derive(Clone)]
pub struct HostKey(Arc<[u8; 32]>);

impl HostKey {
    /// The key a server was started with.
    pub fn new(key: &str) -> HostKey {
        HostKey(Arc::new(Sha256::digest(key.as_bytes()).into()))
    }

    /// Whether `candidate` is the key, in time that does not depend on where they differ.
    pub fn verify(&self, candidate: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        let diff = digest
            .iter()
            .zip(self.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }

    /// Whether the request's headers carry the key.
    pub fn verify_headers(&self, headers: &HeaderMap) -> bool {
        headers
            .get(HOST_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| self.verify(v))
    }
}

/// The secret of an `Authorization: Bearer <secret>` header (scheme case-insensitive).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

impl fmt::Debug for HostKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HostKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_key() {
        let key = HostKey::new("correct horse");
        assert!(key.verify("correct horse"));
        assert!(!key.verify("correct hors"));
        assert!(!key.verify(""));
        assert_eq!(format!("{key:?}"), "HostKey(<redacted>)");
    }

    #[test]
    fn reads_the_header() {
        let key = HostKey::new("k");
        let mut headers = HeaderMap::new();
        assert!(!key.verify_headers(&headers));
        headers.insert(HOST_KEY_HEADER, "k".parse().unwrap());
        assert!(key.verify_headers(&headers));
    }

    #[test]
    fn reads_bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        for (value, want) in [
            ("Bearer abc", Some("abc")),
            ("bearer  abc ", Some("abc")),
            ("Basic abc", None),
            ("Bearer ", None),
            ("Bearer", None),
        ] {
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(bearer(&headers), want, "{value:?}");
        }
    }
}
