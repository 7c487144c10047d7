//! `GET /api/quizzes` (the library) and `GET /api/quizzes/{id}` (the host preview).
//!
//! The preview carries the answer keys and the facilitator notes, so on a server with a host
//! key it needs the key (`X-Loupe-Host-Key`), or the host secret of a live session
//! (`Authorization: Bearer <host_secret>` with `?session=CODE`: a console reloaded mid-lesson has
//! its secret, not the key). A wrong key or secret counts as a failed attempt of the address, like
//! a wrong join code. The library list holds no answers and stays open.
//!
//! The API has its own view types rather than serialising the model, so the model can change
//! without changing what clients see.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::guard::Guard;
use crate::quiz::model::{
    Band, Choice, Lang, Notes, Question, QuestionKind, Quiz, Resource, Scale, Scoring,
};
use crate::quiz::Library;
use crate::session::Registry;

use super::error::ApiError;
use super::host_key::{bearer, HostKey};

/// What the library list and the preview both say about a quiz.
#[derive(Debug, Serialize)]
pub struct QuizHeader<'a> {
    /// Stable id, used to create a session.
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// Language.
    pub lang: Lang,
    /// Who it is written for, in words.
    pub audience: &'a str,
    /// What the lesson is about and how to run it.
    pub description: &'a str,
    /// Estimated length of the whole lesson.
    pub minutes: u32,
    /// Warning to read before starting, if any.
    pub content_warning: Option<&'a str>,
    /// The highest `min_age` of any question, or `null` when none sets one.
    pub min_age: Option<u8>,
}

impl<'a> QuizHeader<'a> {
    /// The header of `quiz`.
    pub fn of(quiz: &'a Quiz) -> Self {
        QuizHeader {
            id: &quiz.id,
            title: &quiz.title,
            lang: quiz.lang,
            audience: &quiz.audience,
            description: &quiz.description,
            minutes: quiz.minutes,
            content_warning: quiz.content_warning.as_deref(),
            min_age: quiz.questions.iter().filter_map(|q| q.min_age).max(),
        }
    }
}

/// One quiz in the library list.
#[derive(Debug, Serialize)]
pub struct QuizSummary<'a> {
    /// Id, title, language, audience, length…
    #[serde(flatten)]
    pub header: QuizHeader<'a>,
    /// Number of questions.
    pub questions: usize,
    /// Number of questions in the short version.
    pub core_questions: usize,
    /// Number of sensitive questions.
    pub sensitive: usize,
}

impl<'a> QuizSummary<'a> {
    /// The summary of `quiz`.
    pub fn of(quiz: &'a Quiz) -> Self {
        let qs = &quiz.questions;
        QuizSummary {
            header: QuizHeader::of(quiz),
            questions: qs.len(),
            core_questions: qs.iter().filter(|q| q.core).count(),
            sensitive: qs.iter().filter(|q| q.sensitive).count(),
        }
    }
}

/// The whole quiz as the teacher previews it, answer keys and notes included.
#[derive(Debug, Serialize)]
pub struct QuizPreview<'a> {
    /// Id, title, language, audience, length…
    #[serde(flatten)]
    pub header: QuizHeader<'a>,
    /// Every question, in order.
    pub questions: Vec<QuestionPreview<'a>>,
    /// Score bands of the private score.
    pub bands: &'a [Band],
    /// Help services listed at the end of the quiz.
    pub resources: &'a [Resource],
}

impl<'a> QuizPreview<'a> {
    /// The preview of `quiz`.
    pub fn of(quiz: &'a Quiz) -> Self {
        QuizPreview {
            header: QuizHeader::of(quiz),
            questions: quiz.questions.iter().map(QuestionPreview::of).collect(),
            bands: &quiz.bands,
            resources: &quiz.resources,
        }
    }
}

/// One question in the preview.
#[derive(Debug, Serialize)]
pub struct QuestionPreview<'a> {
    /// Stable id, used to select questions for a session.
    pub id: &'a str,
    /// How it is answered.
    pub kind: QuestionKind,
    /// The full question.
    pub text: &'a str,
    /// Options with their answer key (`correct`, `points`).
    pub options: &'a [Choice],
    /// Bounds and labels of a scale question.
    pub scale: Option<&'a Scale>,
    /// Time limit in seconds, used only when the session turns timers on.
    pub time_limit: Option<u32>,
    /// Whether small counts are hidden.
    pub sensitive: bool,
    /// The youngest age it is meant for.
    pub min_age: Option<u8>,
    /// Part of the short version.
    pub core: bool,
    /// Knowledge, self-assessment or opinion.
    pub scoring: Scoring,
    /// Points for a right answer (knowledge questions).
    pub weight: u32,
    /// Shown to everyone after the reveal.
    pub explanation: Option<&'a str>,
    /// Tip on a pupil's private result.
    pub advice: Option<&'a str>,
    /// Facilitator notes.
    pub notes: &'a Notes,
}

impl<'a> QuestionPreview<'a> {
    fn of(q: &'a Question) -> Self {
        QuestionPreview {
            id: &q.id,
            kind: q.kind,
            text: &q.text,
            options: &q.options,
            scale: q.scale.as_ref(),
            time_limit: q.time_limit,
            sensitive: q.sensitive,
            min_age: q.min_age,
            core: q.core,
            scoring: q.scoring(),
            weight: q.weight,
            explanation: q.explanation.as_deref(),
            advice: q.advice.as_deref(),
            notes: &q.notes,
        }
    }
}

/// `GET /api/quizzes`: every loaded quiz, summarised.
pub async fn list(State(library): State<Arc<Library>>) -> Response {
    let quizzes = library.list();
    let summaries: Vec<QuizSummary<'_>> = quizzes.iter().map(|q| QuizSummary::of(q)).collect();
    Json(&summaries).into_response()
}

/// The query of `GET /api/quizzes/{id}`.
#[derive(Debug, Deserialize)]
pub struct PreviewQuery {
    /// A live session whose host secret the request carries as its bearer.
    pub session: Option<String>,
}

/// `GET /api/quizzes/{id}`: the host preview of one quiz (the host key or a live session's host
/// secret first, on a server with a key).
// Each part of the state it uses is its own extractor, hence the count.
#[allow(clippy::too_many_arguments)]
pub async fn preview(
    State(library): State<Arc<Library>>,
    State(host_key): State<Option<HostKey>>,
    State(guard): State<Guard>,
    State(registry): State<Registry>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<PreviewQuery>,
) -> Result<Response, ApiError> {
    if let Some(key) = &host_key {
        let ip = crate::guard::client_ip(peer, &headers, guard.trusted());
        if guard.may_try(ip).is_err() {
            return Err(ApiError::RateLimited);
        }
        let hosts_a_session = || {
            let (code, secret) = (query.session.as_deref()?, bearer(&headers)?);
            let handle = registry.get(code)?;
            handle.is_host_secret(secret).then_some(())
        };
        if !key.verify_headers(&headers) && hosts_a_session().is_none() {
            guard.failed(ip);
            return Err(ApiError::BadHostKey);
        }
    }
    let quiz = library.get(&id).ok_or(ApiError::UnknownQuiz)?;
    Ok(Json(&QuizPreview::of(&quiz)).into_response())
}
