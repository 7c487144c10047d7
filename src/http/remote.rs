//! Pairing the phone remote: a 60-second single-use QR code that gets a phone its own credential, for the console to accept.
//!
//! `POST /api/sessions/{code}/remote` (with `Authorization: Bearer <host_secret>`) issues a
//! pairing token of 128 random bits and answers the remote's address, `<public_url>/remote#<token>`
//! (a fragment: browsers never send it to a server or put it in a `Referer`), with its QR code.
//! `POST /api/remote/claim {"token": "…"}` trades the token, once, for `{"code", "credential"}`:
//! a fresh 128-bit credential for this phone alone, never the host secret. The session's actor is
//! told (only the credential's hash crosses), the console stops showing the QR code and asks the
//! teacher to accept or refuse the phone; until then the credential opens nothing. A second claim
//! of the token, or one after [`PAIRING_TTL`], gets 410 `expired`, so a photo of the QR code is
//! useless. Tokens are kept only hashed, in memory (a restart forgets them); only the newest token
//! of a session is valid.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::session::{secret, Control, Registry};

use super::error::{ApiError, ApiJson};
use super::host_key::bearer;
use super::qr;
use super::sessions::is_join_code;
use super::PublicUrl;

/// How long a pairing token can be claimed.
pub const PAIRING_TTL: Duration = Duration::from_secs(60);
/// Most pairing tokens waiting at once on the server (one per live session at most).
const MAX_PAIRINGS: usize = 4096;

/// One waiting pairing.
struct Pairing {
    code: String,
    expires: Instant,
}

/// What `POST /api/remote/claim` answers: the phone's own credential, which works once the
/// teacher accepts the phone on the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claimed {
    /// The session's join code.
    pub code: String,
    /// This device's credential (128 random bits, hex): `hello` as a host with it.
    pub credential: String,
}

/// Why a pairing could not be issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many remote codes are waiting")]
pub struct PairingsFull;

/// Waiting pairings, by the SHA-256 of their token; cheap to clone.
///
/// A plain mutex behind small synchronous methods (never held across an `.await`); expired
/// pairings are dropped whenever one is issued or claimed.
#[derive(Clone, Default)]
pub struct Pairings {
    inner: Arc<Mutex<HashMap<String, Pairing>>>,
}

impl fmt::Debug for Pairings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pairings({} waiting)", self.lock().len())
    }
}

impl Pairings {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Pairing>> {
        // A panic while holding the lock cannot leave the map half-updated: recover it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Issues a token that pairs one phone with session `code`, once, until `now` +
    /// [`PAIRING_TTL`]. Any earlier token of the same session stops working.
    pub fn issue(&self, code: &str, now: Instant) -> Result<String, PairingsFull> {
        let mut map = self.lock();
        map.retain(|_, p| p.expires > now && p.code != code);
        if map.len() >= MAX_PAIRINGS {
            return Err(PairingsFull);
        }
        let token = secret::generate();
        map.insert(
            secret::hash(&token),
            Pairing {
                code: code.to_owned(),
                expires: now + PAIRING_TTL,
            },
        );
        Ok(token)
    }

    /// Claims `token` at `now`: the code of the session it pairs with, once, if it has not
    /// expired.
    pub fn claim(&self, token: &str, now: Instant) -> Option<String> {
        let mut map = self.lock();
        map.retain(|_, p| p.expires > now);
        map.remove(&secret::hash(token)).map(|p| p.code)
    }

    /// Number of pairings waiting (expired ones included until the next issue or claim).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no pairing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a remote call failed, sent as `{"error": "<code>", "message": "<plain words>"}` like
/// every API error.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// No `Authorization: Bearer <host_secret>`, not this session's host secret, or no live
    /// session with this code (told apart from a wrong secret, it would reveal live codes).
    #[error("pairing a remote needs the session's host secret (header Authorization: Bearer <host_secret>)")]
    BadSecret,
    /// The token is unknown, already used, or older than 60 seconds.
    #[error("this remote code has expired or was already used; show a new one on the console")]
    Expired,
    /// Too many pairings are waiting on this server.
    #[error("too many remote codes are waiting; try again in a minute")]
    Busy,
    /// Any other API failure (a code that is not six digits, QR code).
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl IntoResponse for RemoteError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            RemoteError::Api(api) => return api.into_response(),
            RemoteError::BadSecret => (StatusCode::UNAUTHORIZED, "bad_secret"),
            RemoteError::Expired => (StatusCode::GONE, "expired"),
            RemoteError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        };
        let body = serde_json::json!({ "error": code, "message": self.to_string() });
        no_store((status, Json(body)).into_response())
    }
}

/// What `POST /api/sessions/{code}/remote` answers.
#[derive(Debug, Serialize)]
pub struct PairingBody {
    /// The remote's address with the token in its fragment.
    pub url: String,
    /// QR code of `url`, as SVG.
    pub qr_svg: String,
    /// Seconds the token can be claimed.
    pub expires_in: u64,
}

/// Body of `POST /api/remote/claim`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    /// The token from the remote's URL fragment.
    pub token: String,
}

/// Answers carrying a secret are never cached.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /api/sessions/{code}/remote`: a pairing token for the teacher's phone, with the
/// remote's address and its QR code (201).
pub async fn create(
    State(registry): State<Registry>,
    State(remotes): State<Pairings>,
    State(PublicUrl(public_url)): State<PublicUrl>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, RemoteError> {
    if !is_join_code(&code) {
        return Err(ApiError::UnknownSession.into());
    }
    // A code with no session is refused like a wrong secret: a 404 here would tell a guesser,
    // unslowed, which codes are in use.
    let host_secret = bearer(&headers).ok_or(RemoteError::BadSecret)?;
    let live = registry.get(&code);
    if !live.is_some_and(|handle| handle.is_host_secret(host_secret)) {
        return Err(RemoteError::BadSecret);
    }
    let token = remotes
        .issue(&code, Instant::now())
        .map_err(|_| RemoteError::Busy)?;
    let url = format!("{public_url}/remote#{token}");
    let qr_svg = qr::svg(&url).map_err(|e| ApiError::Internal(format!("QR code: {e}")))?;
    tracing::debug!(session = %code, "remote pairing issued");
    let body = PairingBody {
        url,
        qr_svg,
        expires_in: PAIRING_TTL.as_secs(),
    };
    Ok(no_store((StatusCode::CREATED, Json(body)).into_response()))
}

/// `POST /api/remote/claim`: the session code a pairing token pairs with and a new credential for
/// this phone, once (410 `expired` afterwards, after 60 s, or once the session is over). The
/// session's actor learns the credential's hash and asks the console to accept or refuse it.
pub async fn claim(
    State(registry): State<Registry>,
    State(remotes): State<Pairings>,
    ApiJson(body): ApiJson<ClaimBody>,
) -> Result<Response, RemoteError> {
    let code = remotes
        .claim(body.token.trim(), Instant::now())
        .ok_or(RemoteError::Expired)?;
    let handle = registry.get(&code).ok_or(RemoteError::Expired)?;
    let credential = secret::generate();
    let claimed = Control::Claimed {
        credential_hash: secret::hash(&credential),
    };
    // Queued before this answer leaves, so the actor knows the credential before the phone's
    // `hello` (same channel, in order) can arrive.
    handle
        .control
        .send(claimed)
        .await
        .map_err(|_| RemoteError::Expired)?;
    tracing::debug!(session = %code, "remote pairing claimed");
    Ok(no_store(Json(Claimed { code, credential }).into_response()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_works_once() {
        let pairings = Pairings::default();
        let now = Instant::now();
        let token = pairings.issue("123456", now).unwrap();
        assert_eq!(token.len(), 32);
        let claimed = pairings.claim(&token, now + Duration::from_secs(5));
        assert_eq!(claimed.as_deref(), Some("123456"));
        assert_eq!(pairings.claim(&token, now + Duration::from_secs(6)), None);
        assert!(pairings.is_empty());
    }

    #[test]
    fn a_token_expires_after_sixty_seconds() {
        let pairings = Pairings::default();
        let now = Instant::now();
        let token = pairings.issue("123456", now).unwrap();
        assert_eq!(pairings.claim(&token, now + PAIRING_TTL), None);
        let token = pairings.issue("123456", now).unwrap();
        assert!(pairings
            .claim(&token, now + PAIRING_TTL - Duration::from_millis(1))
            .is_some());
    }

    #[test]
    fn only_the_newest_token_of_a_session_works() {
        let pairings = Pairings::default();
        let now = Instant::now();
        let old = pairings.issue("123456", now).unwrap();
        let other = pairings.issue("654321", now).unwrap();
        let new = pairings.issue("123456", now).unwrap();
        assert_ne!(old, new);
        assert_eq!(pairings.claim(&old, now), None);
        assert_eq!(pairings.claim(&new, now).as_deref(), Some("123456"));
        assert_eq!(pairings.claim(&other, now).as_deref(), Some("654321"));
    }

    #[test]
    fn tokens_are_kept_only_hashed_and_unknown_ones_fail() {
        let pairings = Pairings::default();
        let now = Instant::now();
        let token = pairings.issue("123456", now).unwrap();
        assert!(!pairings.lock().contains_key(&token));
        assert!(pairings.lock().contains_key(&secret::hash(&token)));
        assert_eq!(pairings.claim("not-a-token", now), None);
        assert_eq!(pairings.claim("", now), None);
        assert!(format!("{pairings:?}").contains("1 waiting"));
    }

    #[test]
    fn expired_pairings_are_dropped_and_the_store_is_bounded() {
        let pairings = Pairings::default();
        let now = Instant::now();
        for i in 0..MAX_PAIRINGS {
            pairings.issue(&format!("{i:06}"), now).unwrap();
        }
        assert_eq!(pairings.issue("999999", now), Err(PairingsFull));
        // A minute later the old ones are gone and new ones can be issued.
        assert!(pairings.issue("999999", now + PAIRING_TTL).is_ok());
        assert_eq!(pairings.len(), 1);
    }
}
