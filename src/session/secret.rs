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
    same(&hash(secret), expected)
}

/// A session's join ticket: 64 bits derived from its screen token's hash, as 16 hex characters.
/// The QR code's link carries it (`/join/{code}#{ticket}`), so a phone that scanned the projector
/// proves it saw the code without being counted as a guess; it reveals nothing of the screen
/// token, and it is the same after a restart, since the hash is journalled.
pub fn join_ticket(screen_hash: &str) -> String {
    let digest = Sha256::digest(format!("loupe join ticket\0{screen_hash}").as_bytes());
    hex::encode(&digest[..8])
}

/// Whether `ticket` is this session's join ticket, compared in constant time.
pub fn is_join_ticket(ticket: &str, screen_hash: &str) -> bool {
    same(ticket, &join_ticket(screen_hash))
}

/// String equality in time that depends only on the lengths.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
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

    #[test]
    fn a_join_ticket_is_fixed_by_the_screen_token_and_tells_nothing_of_it() {
        let screen = hash(&generate());
        let ticket = join_ticket(&screen);
        assert_eq!(ticket.len(), 16);
        assert!(ticket.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(ticket, join_ticket(&screen), "derived, not drawn");
        assert!(!screen.contains(&ticket));
        assert!(is_join_ticket(&ticket, &screen));
        assert!(!is_join_ticket(&ticket, &hash(&generate())));
        assert!(!is_join_ticket(&ticket[..15], &screen));
        assert!(!is_join_ticket("", &screen));
    }
}
