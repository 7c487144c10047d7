//! What a client's text frame means, and the connection's own replies as text frames.
//!
//! The session's messages arrive serialised by its actor ([`crate::session::Frame`]); what is
//! here is for the frames the connection answers by itself: errors and pongs.

use axum::extract::ws::Utf8Bytes;

use crate::protocol::{ClientMsg, Envelope, ErrorCode, ServerMsg, CLIENT_MESSAGE_TYPES};

/// Why a text frame is not a client message: the error code and the plain words to answer.
pub type Undecodable = (ErrorCode, String);

/// Parses a client message, telling malformed JSON from an unknown type.
pub fn decode(text: &str) -> Result<ClientMsg, Undecodable> {
    serde_json::from_str::<ClientMsg>(text).map_err(|e| {
        let value: Result<serde_json::Value, _> = serde_json::from_str(text);
        let known_type = value
            .as_ref()
            .ok()
            .and_then(|v| v.get("type"))
            .and_then(|t| t.as_str())
            .map(|name| CLIENT_MESSAGE_TYPES.contains(&name));
        match known_type {
            Some(false) => (ErrorCode::UnknownType, "unknown message type".into()),
            _ => (
                ErrorCode::Malformed,
                format!("malformed message: {}", short(&e)),
            ),
        }
    })
}

/// The serde error without echoing the client's input back.
fn short(e: &serde_json::Error) -> String {
    format!(
        "{:?} error at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    )
}

/// A message the connection sends by itself, at sequence number `seq` (the highest it wrote, so
/// `seq` never goes down on one socket).
pub fn encode(seq: u64, msg: ServerMsg) -> Utf8Bytes {
    Utf8Bytes::from(Envelope::text(seq, msg))
}

/// An `error` frame.
pub fn error(seq: u64, code: ErrorCode, message: &str, in_reply_to: Option<&str>) -> Utf8Bytes {
    let msg = ServerMsg::Error {
        code,
        message: message.to_owned(),
        in_reply_to: in_reply_to.map(str::to_owned),
    };
    encode(seq, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_and_unknown_types_are_told_apart() {
        assert!(matches!(decode(r#"{"type":"next"}"#), Ok(ClientMsg::Next)));
        let (code, message) = decode("not json").unwrap_err();
        assert_eq!(code, ErrorCode::Malformed);
        assert_eq!(
            message,
            "malformed message: Syntax error at line 1 column 2"
        );
        let (code, _) = decode(r#"{"type":"answer","question":3}"#).unwrap_err();
        assert_eq!(code, ErrorCode::Malformed);
        let (code, message) = decode(r#"{"type":"dance"}"#).unwrap_err();
        assert_eq!(
            (code, message.as_str()),
            (ErrorCode::UnknownType, "unknown message type")
        );
    }

    #[test]
    fn replies_carry_the_sequence_number_given() {
        let frame = error(7, ErrorCode::Busy, "wait", Some("answer"));
        assert_eq!(
            frame.as_str(),
            r#"{"seq":7,"type":"error","code":"busy","message":"wait","in_reply_to":"answer"}"#
        );
        assert_eq!(
            encode(3, ServerMsg::Pong { nonce: 9 }).as_str(),
            r#"{"seq":3,"type":"pong","nonce":9}"#
        );
    }
}
