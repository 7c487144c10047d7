//! Secrets and tokens: 128 random bits, shown once, stored only as SHA-256 hashes.

use sha2::{Digest, Sha256};

/// A fresh secret: 128 random bits as 32 hex characters.
pub fn generate() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The SHA-256 of a secret, hex; what the session keeps instead of the secret.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` hashes to `expected`, compared in constant time.
pub fn matches(secret: &str, expected: &str) -> bool {
    let got = hash(secret);
    got.len() == expected.len()
        && got
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_match_only_their_hash() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(matches(&a, &hash(&a)));
        assert!(!matches(&b, &hash(&a)));
    }
}
