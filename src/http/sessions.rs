//! `POST /api/sessions` (create a session) and `GET /api/sessions/{code}/qr.svg` (its join QR code).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::app::AppState;
use crate::session::SessionOptions;

use super::error::{ApiError, ApiJson};
use super::qr;

/// What a teacher gets back when a session is created.
#[derive(Debug, Serialize)]
pub struct CreatedBody {
    /// 6-digit join code.
    pub code: String,
    /// Restores the host console; keep it private.
    pub host_secret: String,
    /// Opens the projector view; the host hands it to the screen page (never part of a URL).
    pub screen_token: String,
    /// Link pupils open (also in the QR code).
    pub join_url: String,
    /// Projector page, without its token.
    pub screen_url: String,
    /// QR code of `join_url`, as SVG.
    pub qr_svg: String,
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
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let ip = crate::guard::client_ip(peer, &headers, state.guard.trusted());
    if let Some(key) = &state.host_key {
        // Wrong keys count as failed attempts of this address, like wrong join codes.
        if state.guard.may_try(ip).is_err() {
            return Err(ApiError::RateLimited);
        }
        if !key.verify_headers(&headers) {
            state.guard.failed(ip);
            return Err(ApiError::BadHostKey);
        }
    }
    let (quiz_id, options) = parse_request(body)?;
    let quiz = state.library.get(&quiz_id).ok_or(ApiError::UnknownQuiz)?;
    let mode = options.mode;
    if !state
        .guard
        .may_create(ip, |code| state.registry.get(code).is_some())
    {
        return Err(ApiError::TooManyFromAddress);
    }
    let mut created = state.registry.create(quiz, options)?;
    if !created
        .wait_durable(std::time::Duration::from_secs(5))
        .await
    {
        return Err(ApiError::Busy);
    }
    state.guard.created(ip, &created.code);
    let join_url = format!("{}/join/{}", state.public_url, created.code);
    let qr_svg = qr::svg(&join_url).map_err(|e| ApiError::Internal(format!("QR code: {e}")))?;
    tracing::debug!(session = %created.code, quiz = %quiz_id, ?mode, "session created");
    let body = CreatedBody {
        screen_url: format!("{}/screen/{}", state.public_url, created.code),
        code: created.code,
        host_secret: created.host_secret,
        screen_token: created.screen_token,
        join_url,
        qr_svg,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /api/sessions/{code}/qr.svg`: the QR code of the join link of any six-digit code (404
/// `unknown_session` for anything else). The link is one anyone can type; drawing it only for
/// live sessions would tell a guesser, unslowed, which codes are in use.
pub async fn qr_svg(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    if !is_join_code(&code) {
        return Err(ApiError::UnknownSession);
    }
    let join_url = format!("{}/join/{code}", state.public_url);
    let svg = qr::svg(&join_url).map_err(|e| ApiError::Internal(format!("QR code: {e}")))?;
    let headers = [
        (header::CONTENT_TYPE, "image/svg+xml"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    Ok((headers, svg).into_response())
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
