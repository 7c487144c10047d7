//! `ApiError`: every way an API call can fail, and how it looks on the wire.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::session::CreateError;

/// An API failure, sent as `{"error": "<snake_case_code>", "message": "<plain words>"}`.
///
/// Messages are for people (a teacher reading a console, a developer reading a log); clients
/// branch on `error` only.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: bad JSON, an unknown field, an option out of range.
    #[error("{0}")]
    BadRequest(String),
    /// The server requires a host key and the request's is missing or wrong.
    #[error("this server needs the host key (header X-Loupe-Host-Key) to create a session or see a quiz's answers")]
    BadHostKey,
    /// No loaded quiz has this id.
    #[error("no quiz with this id")]
    UnknownQuiz,
    /// No live session has this code.
    #[error("no live session with this code")]
    UnknownSession,
    /// Nothing is served at this address.
    #[error("nothing here")]
    NotFound,
    /// The address exists but not with this method.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The body is larger than the API accepts.
    #[error("the request body is too large")]
    TooLarge,
    /// The server already runs as many sessions as it accepts.
    #[error("this server already runs as many sessions as it accepts; try again later")]
    TooManySessions,
    /// This address already has as many live sessions as one address may have.
    #[error("this network already runs as many sessions as one address may (--max-sessions-per-address); end one first")]
    TooManyFromAddress,
    /// This address created as many sessions as it may in a minute
    /// (`--new-sessions-per-minute`); the answer carries `Retry-After`.
    #[error("this network created too many sessions in the last minute: try again in {0} s")]
    TooManyNewSessions(u64),
    /// This address failed too often (wrong host keys): it must wait.
    #[error("too many failed attempts from this network: wait a minute")]
    RateLimited,
    /// The store is busy; the same request will work in a moment.
    #[error("the server is busy saving; try again in a moment")]
    Busy,
    /// A bug or an unexpected condition; the detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::BadHostKey => StatusCode::UNAUTHORIZED,
            ApiError::UnknownQuiz | ApiError::UnknownSession | ApiError::NotFound => {
                StatusCode::NOT_FOUND
            }
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManySessions | ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyFromAddress
            | ApiError::TooManyNewSessions(_)
            | ApiError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::BadHostKey => "bad_host_key",
            ApiError::UnknownQuiz => "unknown_quiz",
            ApiError::UnknownSession => "unknown_session",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::TooLarge => "too_large",
            ApiError::TooManySessions => "too_many_sessions",
            ApiError::TooManyFromAddress => "too_many_from_address",
            ApiError::TooManyNewSessions(_) => "too_many_new_sessions",
            ApiError::RateLimited => "rate_limited",
            ApiError::Busy => "busy",
            ApiError::Internal(_) => "internal",
        }
    }
}

/// The JSON body of an error.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "API request failed");
        }
        let body = ErrorBody {
            error: self.code(),
            message: self.to_string(),
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let ApiError::TooManyNewSessions(secs) = self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

impl From<CreateError> for ApiError {
    fn from(err: CreateError) -> Self {
        match err {
            CreateError::TooManySessions => ApiError::TooManySessions,
            CreateError::Busy => ApiError::Busy,
            CreateError::Journal(e) => ApiError::Internal(format!("journal: {e}")),
            other @ (CreateError::UnknownQuestion(_)
            | CreateError::NoQuestions
            | CreateError::BadOptions(_)) => ApiError::BadRequest(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadRequest(rejection.body_text())
        }
    }
}

/// `Json<T>` whose rejections are [`ApiError`]s, so a bad body gets the API's error shape.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

/// `GET /api/…` for an address no route serves.
pub async fn api_not_found() -> ApiError {
    ApiError::NotFound
}

/// `/api/…` with a method its route does not serve.
pub async fn api_method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
