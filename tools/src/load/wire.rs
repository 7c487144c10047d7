//! Cheap reading of server frames for the load generator: the message type from the envelope's
//! fixed prefix, then only the fields a step needs, typed with the protocol's own enums.
//!
//! Every server frame is serialised by the server as `{"seq":N,"type":"…",…}` (the envelope's
//! `seq` first, then the tag), so the type is found without a full decode; a frame that does not
//! start that way is decoded whole as an [`Envelope`]. The small structs below ignore the fields
//! they do not name, which keeps the generator's core free for the sockets.

use serde::Deserialize;

use loupe::protocol::{Choice, Envelope, ErrorCode, Stage};

/// The wire name of a server frame's type (`"question"`, `"ack"` …), `"?"` if unreadable.
pub fn kind(text: &str) -> &str {
    let fast = text.strip_prefix("{\"seq\":").and_then(|rest| {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let rest = rest[digits..].strip_prefix(",\"type\":\"")?;
        rest.find('"').map(|end| &rest[..end])
    });
    match fast {
        Some(kind) => kind,
        None => slow_kind(text),
    }
}

/// The type of a frame whose prefix is not the usual one (decoded whole).
fn slow_kind(text: &str) -> &'static str {
    match serde_json::from_str::<Envelope>(text) {
        Ok(env) => match serde_json::to_value(&env.msg) {
            Ok(v) => match v.get("type").and_then(|t| t.as_str()) {
                Some(name) => known(name),
                None => "?",
            },
            Err(_) => "?",
        },
        Err(_) => "?",
    }
}

/// A `'static` name for the message types the generator acts on.
fn known(name: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "welcome", "phase", "question", "ack", "answers", "results", "reveal", "ended", "error",
    ];
    NAMES.iter().copied().find(|n| *n == name).unwrap_or("?")
}

/// `welcome`: the resume token (players, first join).
#[derive(Debug, Deserialize)]
pub struct WelcomeLite {
    /// Resume token.
    #[serde(default)]
    pub token: Option<String>,
}

/// `question`: what an answer must name.
#[derive(Debug, Deserialize)]
pub struct QuestionLite {
    /// Question id.
    pub question: String,
    /// Round.
    pub round: u8,
}

/// `ack`: the answer the server recorded for this pupil.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AckLite {
    /// Question id.
    pub question: String,
    /// Round.
    pub round: u8,
    /// Client sequence number acknowledged.
    pub client_seq: u64,
    /// The choice recorded.
    pub choice: Choice,
}

/// `answers`: the host's live count.
#[derive(Debug, Deserialize)]
pub struct AnswersLite {
    /// Pupils who answered so far.
    pub count: u32,
}

/// `phase`: the stage.
#[derive(Debug, Deserialize)]
pub struct PhaseLite {
    /// The stage.
    pub stage: Stage,
}

/// `results`: how many answered the closed question.
#[derive(Debug, Deserialize)]
pub struct ResultsLite {
    /// First vote.
    pub results: DistributionLite,
}

/// The part of a distribution the generator checks.
#[derive(Debug, Deserialize)]
pub struct DistributionLite {
    /// Pupils who answered (passes included).
    pub answered: u32,
}

/// `error`: the code.
#[derive(Debug, Deserialize)]
pub struct ErrorLite {
    /// Machine-readable code.
    pub code: ErrorCode,
}

/// Decodes the fields of `T` from a frame, or `None`.
pub fn fields<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
    serde_json::from_str(text).ok()
}

/// The snake_case wire name of an error code (for error tallies).
pub fn error_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{code:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use loupe::protocol::ServerMsg;

    #[test]
    fn reads_the_type_from_the_prefix_or_the_whole_frame() {
        let env = Envelope {
            seq: 42,
            msg: ServerMsg::Answers {
                question: "q1".into(),
                round: 1,
                count: 7,
                pupils: 9,
            },
        };
        let text = serde_json::to_string(&env).unwrap();
        assert_eq!(kind(&text), "answers");
        assert_eq!(fields::<AnswersLite>(&text).unwrap().count, 7);
        assert_eq!(kind(r#"{"type":"ended","seq":3}"#), "ended");
        assert_eq!(kind("garbage"), "?");
    }

    #[test]
    fn reads_acks_with_their_choice() {
        let text = r#"{"seq":5,"type":"ack","question":"q","round":1,"client_seq":2,"choice":{"options":[1]}}"#;
        let ack: AckLite = fields(text).unwrap();
        assert_eq!(ack.choice, Choice::Options(vec![1]));
        assert_eq!(error_name(ErrorCode::RateLimited), "rate_limited");
    }
}
