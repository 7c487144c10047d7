//! Tests of the wire format: round trips, the flat envelope, and decoding whatever a client sends.

mod round_trips {
    use crate::protocol::*;

    #[test]
    fn client_messages_round_trip() {
        let msgs = [
            r#"{"type":"hello","version":1,"role":"player","code":"123456"}"#,
            r#"{"type":"answer","question":"q1","client_seq":3,"choice":{"options":[1,2]}}"#,
            r#"{"type":"answer","question":"q1","round":2,"client_seq":4,"choice":"pass"}"#,
            r#"{"type":"show_results","question":"q1"}"#,
            r#"{"type":"next"}"#,
        ];
        for m in msgs {
            let parsed: ClientMsg = serde_json::from_str(m).unwrap();
            let again: ClientMsg =
                serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
            assert_eq!(parsed, again);
        }
    }

    /// The wire names come from one list: every one decodes as its own message, and every one
    /// is in the client messages table of `docs/PROTOCOL.md`; host and console commands are also
    /// in the table of when each is accepted.
    #[test]
    fn every_client_message_is_named_once_and_documented() {
        let doc = include_str!("../../docs/PROTOCOL.md");
        let section = |title: &str| {
            let rest = doc.split(title).nth(1).unwrap_or_default();
            rest.split("\n#").next().unwrap_or_default().to_owned()
        };
        let messages = section("\n## Client messages\n");
        let commands = section("\n### Host commands\n");
        let first_cell = |table: &str, name: &str| {
            table.lines().any(|l| {
                l.split('|')
                    .nth(1)
                    .is_some_and(|cell| cell.contains(&format!("`{name}`")))
            })
        };
        for name in CLIENT_MESSAGE_TYPES {
            let text = format!(r#"{{"type":"{name}"}}"#);
            if let Ok(msg) = serde_json::from_str::<ClientMsg>(&text) {
                assert_eq!(msg.name(), *name);
                let host = msg.clone().into_host_command().is_ok();
                assert!(!host || msg.is_host_command(), "{name}");
                if host {
                    assert_eq!(
                        ClientMsg::from(msg.clone().into_host_command().unwrap()),
                        msg
                    );
                }
            }
            assert!(
                first_cell(&messages, name),
                "`{name}` is not in § Client messages"
            );
            if !["hello", "answer", "talk_to_adult", "ping"].contains(name) {
                assert!(
                    first_cell(&commands, name),
                    "`{name}` is not in § Host commands"
                );
            }
        }
    }

    #[test]
    fn envelope_is_flat() {
        let e = Envelope {
            seq: 7,
            msg: ServerMsg::Pong { nonce: 2 },
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"seq":7,"type":"pong","nonce":2}"#
        );
        let back: Envelope = serde_json::from_str(r#"{"seq":7,"type":"pong","nonce":2}"#).unwrap();
        assert_eq!(back, e);
    }
}

/// Property tests of decoding: whatever a client sends, decoding never panics, and every message
/// survives a round trip through JSON (the fuzz target `fuzz/` runs the same checks for longer).
mod decode_props {
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use crate::protocol::*;

    /// Message type names, known and not, to steer arbitrary objects towards real variants.
    fn types() -> Vec<&'static str> {
        let mut types = CLIENT_MESSAGE_TYPES.to_vec();
        types.extend(["Answer", "", "dance"]);
        types
    }
    /// Field names of client messages.
    const FIELDS: &[&str] = &[
        "version",
        "role",
        "code",
        "secret",
        "question",
        "round",
        "client_seq",
        "choice",
        "options",
        "nonce",
        "player",
        "device",
        "type",
    ];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            prop::sample::select(types()).prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(FIELDS), inner), 0..6).prop_map(
                    |pairs| Value::Object(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>()
                    )
                ),
            ]
        })
    }

    /// An object with a `type` and arbitrary known fields: the shape a hostile client would send.
    fn message_like() -> impl Strategy<Value = Value> {
        (
            prop::sample::select(types()),
            prop::collection::vec((prop::sample::select(FIELDS), json_value()), 0..6),
        )
            .prop_map(|(kind, fields)| {
                let mut map: Map<String, Value> =
                    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                map.insert("type".into(), Value::from(kind));
                Value::Object(map)
            })
    }

    fn choice() -> impl Strategy<Value = Choice> {
        prop_oneof![
            Just(Choice::Pass),
            prop::collection::vec(any::<u8>(), 0..9).prop_map(Choice::Options),
        ]
    }

    fn client_msg() -> impl Strategy<Value = ClientMsg> {
        let role = prop::sample::select(&[Role::Host, Role::Player, Role::Screen][..]);
        let hello = (
            any::<u32>(),
            role,
            ".{0,8}",
            prop::option::of(".{0,40}"),
            prop::option::of(".{0,20}"),
        )
            .prop_map(|(version, role, code, secret, ticket)| ClientMsg::Hello {
                version,
                role,
                code,
                secret,
                ticket,
            });
        let answer = (".{0,12}", any::<u8>(), any::<u64>(), choice()).prop_map(
            |(question, round, client_seq, choice)| {
                ClientMsg::Answer(Answer {
                    question,
                    round,
                    client_seq,
                    choice,
                })
            },
        );
        // The messages without fields, found from the one list of wire names.
        let simple: Vec<ClientMsg> = CLIENT_MESSAGE_TYPES
            .iter()
            .filter_map(|t| serde_json::from_str(&format!(r#"{{"type":"{t}"}}"#)).ok())
            .filter(|m| !matches!(m, ClientMsg::Ping { .. }))
            .collect();
        let simple = prop::sample::select(simple);
        prop_oneof![
            hello,
            answer,
            simple,
            any::<u64>().prop_map(|nonce| ClientMsg::Ping { nonce }),
            ".{0,12}".prop_map(|question| ClientMsg::ShowResults { question }),
            ".{0,12}".prop_map(|player| ClientMsg::Remove { player }),
            any::<u32>().prop_map(|device| ClientMsg::AcceptDevice { device }),
            any::<u32>().prop_map(|device| ClientMsg::RefuseDevice { device }),
            any::<u32>().prop_map(|device| ClientMsg::RevokeDevice { device }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Any text, as a text frame: decoding gives a message or an error, never a panic.
        #[test]
        fn any_string_decodes_or_errs(text in ".{0,200}") {
            let _ = serde_json::from_str::<ClientMsg>(&text);
        }

        /// Any bytes: the same.
        #[test]
        fn any_bytes_decode_or_err(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = serde_json::from_slice::<ClientMsg>(&bytes);
        }

        /// Any JSON value, and message-shaped objects: no panic, and what decodes round-trips.
        #[test]
        fn any_json_decodes_or_errs(value in prop_oneof![json_value(), message_like()]) {
            let text = value.to_string();
            if let Ok(msg) = serde_json::from_str::<ClientMsg>(&text) {
                let again = serde_json::to_string(&msg).expect("encodes");
                prop_assert_eq!(serde_json::from_str::<ClientMsg>(&again).ok(), Some(msg));
            }
        }

        /// Every client message round-trips, and its wire name is its `type`.
        #[test]
        fn every_client_message_round_trips(msg in client_msg()) {
            let text = serde_json::to_string(&msg).expect("encodes");
            let back: ClientMsg = serde_json::from_str(&text).expect("decodes");
            let value: Value = serde_json::from_str(&text).expect("is JSON");
            prop_assert_eq!(value["type"].as_str(), Some(msg.name()));
            prop_assert_eq!(back, msg);
        }
    }
}
