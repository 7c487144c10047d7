//! `POST /api/sessions` (create a session) and `GET /api/sessions/{code}/qr.svg` (its join QR code).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::guard::Guard;
use crate::quiz::Library;
use crate::session::{secret, Registry, SessionOptions};

use super::error::{ApiError, ApiJson};
use super::host_key::HostKey;
use super::{qr, PublicUrl};

/// What a teacher gets back when a session is created.
#[derive(Debug, Serialize)]
pub struct CreatedBody {
    /// 6-digit join code.
    pub code: String,
    /// Restores the host console; keep it private.
    pub host_secret: String,
    /// Opens the projector view; the host hands it to the screen page (never part of a URL).
    pub screen_token: String,
    /// Link pupils type (the QR code's link adds `#ticket`).
    pub join_url: String,
    /// Join ticket: the QR code's link carries it, so phones that scan it are not counted as
    /// guesses ([`crate::session::secret::join_ticket`]).
    pub ticket: String,
    /// Projector page, without its token.
    pub screen_url: String,
    /// QR code of `join_url#ticket`, as SVG.
    pub qr_svg: String,
    /// When the session ends by itself at the latest (Unix ms; `--max-session-life`): the
    /// console forgets it, with its report's retention, from then on.
    pub ends_by_unix_ms: u64,
}

/// Whether `code` looks like a join code (6 ASCII digits); anything else is answered with a 404
/// without asking the registry.
pub fn is_join_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// Splits `{"quiz": "<id>", ...options}` into the quiz id and the session options.
///
/// Done by hand rather than with `#[serde(flatten)]`, which would silently accept unknown fields.
fn parse_request(mut body: Map<String, Value>) -> Result<(String, SessionOptions), ApiError> {
    let quiz = match body.remove("quiz") {
        Some(Value::String(id)) => id,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`quiz` must be a string (a quiz id)".into(),
            ))
        }
        None => {
            return Err(ApiError::BadRequest(
                "missing field `quiz` (a quiz id)".into(),
            ))
        }
    };
    let options = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::BadRequest(format!("bad session options: {e}")))?;
    Ok((quiz, options))
}

/// `POST /api/sessions`: creates a session of a quiz and answers 201 with its code, secrets,
/// links and QR code.
// Each part of the state it uses is its own extractor, hence the count.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    State(library): State<Arc<Library>>,
    State(registry): State<Registry>,
    State(guard): State<Guard>,
    State(host_key): State<Option<HostKey>>,
    State(PublicUrl(public_url)): State<PublicUrl>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let ip = crate::guard::client_ip(peer, &headers, guard.trusted());
    if let Some(key) = &host_key {
        // Wrong keys count as failed attempts of this address, like wrong join codes.
        if guard.may_try(ip).is_err() {
            return Err(ApiError::RateLimited);
        }
        if !key.verify_headers(&headers) {
            guard.failed(ip);
            return Err(ApiError::BadHostKey);
        }
    }
    let (quiz_id, options) = parse_request(body)?;
    let quiz = library.get(&quiz_id).ok_or(ApiError::UnknownQuiz)?;
    let mode = options.mode;
    if !guard.may_create(ip, |code| registry.get(code).is_some()) {
        return Err(ApiError::TooManyFromAddress);
    }
    if let Err(wait) = guard.may_create_now(ip) {
        // Whole seconds, rounded up: a client that waits that long is let in.
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return Err(ApiError::TooManyNewSessions(secs.max(1)));
    }
    let mut created = registry.create(quiz, options)?;
    if !created
        .wait_durable(std::time::Duration::from_secs(5))
        .await
    {
        return Err(ApiError::Busy);
    }
    guard.created(ip, &created.code);
    let join_url = format!("{public_url}/join/{}", created.code);
    let ticket = secret::join_ticket(&secret::hash(&created.screen_token));
    let qr_svg = join_qr(&join_url, Some(&ticket))?;
    tracing::debug!(session = %created.code, quiz = %quiz_id, ?mode, "session created");
    let body = CreatedBody {
        screen_url: format!("{public_url}/screen/{}", created.code),
        code: created.code,
        host_secret: created.host_secret,
        screen_token: created.screen_token,
        join_url,
        ticket,
        qr_svg,
        ends_by_unix_ms: created.ends_by_unix_ms,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /api/sessions/{code}/qr.svg[?ticket=<16 hex>]`: the QR code of the join link of any
/// six-digit code, with the ticket in its fragment when given (404 `unknown_session` for a code
/// that is not six digits, 400 for a malformed ticket). Nothing is looked up: drawing only for
/// live sessions would tell a guesser, unslowed, which codes are in use.
pub async fn qr_svg(
    State(PublicUrl(public_url)): State<PublicUrl>,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    if !is_join_code(&code) {
        return Err(ApiError::UnknownSession);
    }
    let ticket = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("ticket="));
    let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if ticket.is_some_and(|t| t.len() != 16 || !t.bytes().all(lower_hex)) {
        return Err(ApiError::BadRequest(
            "`ticket` must be 16 lowercase hexadecimal characters".into(),
        ));
    }
    let join_url = format!("{public_url}/join/{code}");
    let svg = join_qr(&join_url, ticket)?;
    let headers = [
        (header::CONTENT_TYPE, "image/svg+xml"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    Ok((headers, svg).into_response())
}

/// The QR code of a join link, with the join ticket in its fragment (never sent to a server by
/// the browser, so it stays out of every access log).
fn join_qr(join_url: &str, ticket: Option<&str>) -> Result<String, ApiError> {
    let link = match ticket {
        Some(ticket) => format!("{join_url}#{ticket}"),
        None => join_url.to_owned(),
    };
    qr::svg(&link).map_err(|e| ApiError::Internal(format!("QR code: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn splits_quiz_and_options() {
        let (quiz, options) = parse_request(body(
            r#"{"quiz":"q","mode":"challenge","min_count":5,"questions":["a"]}"#,
        ))
        .unwrap();
        assert_eq!(quiz, "q");
        assert_eq!(options.min_count, 5);
        assert_eq!(options.questions, Some(vec!["a".to_string()]));
    }

    #[test]
    fn refuses_unknown_fields_and_missing_quiz() {
        assert!(matches!(
            parse_request(body(r#"{"quiz":"q","colour":"red"}"#)),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_request(body(r#"{"mode":"challenge"}"#)),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_request(body(r#"{"quiz":3}"#)),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn join_codes_are_six_digits() {
        assert!(is_join_code("012345"));
        assert!(!is_join_code("12345"));
        assert!(!is_join_code("12345a"));
        assert!(!is_join_code("١٢٣٤٥٦"));
    }
}
