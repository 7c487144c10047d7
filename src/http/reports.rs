//! `GET /api/reports/{code}` and `GET /api/reports/{code}/csv`: a finished session's anonymous
//! summary, for whoever holds that session's host secret or the credential of a phone remote the
//! teacher kept paired until the session ended.
//!
//! The secret travels in `Authorization: Bearer <secret>` (never in the URL, so it stays out of
//! browser history and proxy logs); it is hashed at once and only the hash is compared, by SQLite,
//! with the hashes kept with the report (the host secret's, and each kept device's; a device
//! revoked before the end is not among them). A wrong secret and an unknown code get the same
//! 404, so the endpoint does not say which codes had a session.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::session::secret;
use crate::store::{Store, StoreError, StoredReport};

use super::host_key::bearer;
use super::sessions::is_join_code;

/// Why a report could not be read, sent as `{"error": "<code>", "message": "<plain words>"}`
/// like every API error ([`super::ApiError`]).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No `Authorization: Bearer <host_secret>` header (or not a bearer one).
    #[error(
        "reading a past session needs its host secret (header Authorization: Bearer <host_secret>)"
    )]
    NoSecret,
    /// No unexpired report of this code with this secret.
    #[error("no report for this code and secret (it may have expired)")]
    UnknownReport,
    /// The server keeps no reports (`--journal memory`).
    #[error("this server keeps no past sessions (it runs with --journal memory)")]
    NoStore,
    /// The store could not be read; the detail is logged, never sent.
    #[error("internal error")]
    Store(#[from] StoreError),
    /// The lookup task did not finish (it panicked); logged, never sent.
    #[error("internal error")]
    Task(#[from] tokio::task::JoinError),
    /// The answer could not be built; logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ReportError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ReportError::NoSecret => StatusCode::UNAUTHORIZED,
            ReportError::UnknownReport => StatusCode::NOT_FOUND,
            ReportError::NoStore => StatusCode::SERVICE_UNAVAILABLE,
            ReportError::Store(_) | ReportError::Task(_) | ReportError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ReportError::NoSecret => "no_host_secret",
            ReportError::UnknownReport => "unknown_report",
            ReportError::NoStore => "no_store",
            ReportError::Store(_) | ReportError::Task(_) | ReportError::Internal(_) => "internal",
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
}

impl IntoResponse for ReportError {
    fn into_response(self) -> Response {
        match &self {
            ReportError::Store(e) => tracing::error!(error = %e, "reading a report failed"),
            ReportError::Task(e) => tracing::error!(error = %e, "the report lookup task failed"),
            ReportError::Internal(e) => {
                tracing::error!(error = %e, "answering with a report failed")
            }
            _ => {}
        }
        let status = self.status();
        let body = ErrorBody {
            error: self.code(),
            message: self.to_string(),
        };
        let mut response =
            (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Finds the report of `code` readable with the request's secret (the host secret, or a kept
/// device's credential).
async fn lookup(
    store: Option<Store>,
    code: String,
    headers: &HeaderMap,
) -> Result<StoredReport, ReportError> {
    let store = store.ok_or(ReportError::NoStore)?;
    // Hash at once: only the hash crosses into the blocking task, and nothing here logs either.
    let key_hash = secret::hash(bearer(headers).ok_or(ReportError::NoSecret)?);
    if !is_join_code(&code) {
        return Err(ReportError::UnknownReport);
    }
    let found = tokio::task::spawn_blocking(move || store.find_report(&code, &key_hash)).await??;
    found.ok_or(ReportError::UnknownReport)
}

/// `GET /api/reports/{code}`: the report as JSON ([`StoredReport`]).
pub async fn json(
    State(store): State<Option<Store>>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ReportError> {
    let report = lookup(store, code, &headers).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(report)).into_response())
}

/// `GET /api/reports/{code}/csv`: the report as a CSV download (`csv.rs`).
pub async fn csv(
    State(store): State<Option<Store>>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ReportError> {
    let report = lookup(store, code, &headers).await?;
    // `code` is six digits (checked in `lookup`), so the file name needs no escaping.
    let disposition = format!("attachment; filename=\"loupe-{}.csv\"", report.code);
    let disposition = HeaderValue::from_str(&disposition)
        .map_err(|e| ReportError::Internal(format!("content-disposition: {e}")))?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        ),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    Ok((headers, super::csv::to_csv(&report)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_have_stable_codes_and_statuses() {
        let cases = [
            (ReportError::NoSecret, 401, "no_host_secret"),
            (ReportError::UnknownReport, 404, "unknown_report"),
            (ReportError::NoStore, 503, "no_store"),
            (ReportError::Internal("x".into()), 500, "internal"),
            (
                ReportError::Store(StoreError::HeldOpen("x".into())),
                500,
                "internal",
            ),
        ];
        for (err, status, code) in cases {
            assert_eq!((err.status().as_u16(), err.code()), (status, code));
        }
        let response = ReportError::NoSecret.into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
