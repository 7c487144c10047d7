//! Paired devices (the teacher's phone remotes): who may drive the lesson besides the console.
//!
//! The machine knows only what the teacher decided on the console and the journal keeps: a device
//! paired (its number, the hash of its own credential, when) and a device revoked. Phones still
//! waiting for an answer live in the actor, not here: nothing is decided about them yet.

use super::events::{Event, Millis, Reject};
use super::fit::Misfit;
use super::Session;
use crate::protocol::{DeviceEntry, ErrorCode};

/// Most devices paired and not revoked in one session.
pub const MAX_DEVICES: usize = 8;

/// A device the teacher accepted on the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its number in the session ("Phone 1").
    pub number: u32,
    /// SHA-256 of its credential, hex.
    pub credential_hash: String,
    /// When it was paired (Unix ms).
    pub paired_unix_ms: u64,
    /// Disconnected by the teacher: its credential no longer works.
    pub revoked: bool,
}

impl Session {
    /// Decides pairing device `number` with this credential hash.
    pub(super) fn decide_pair(
        &self,
        number: u32,
        credential_hash: &str,
        unix_ms: u64,
        now: Millis,
    ) -> Result<Vec<Event>, Reject> {
        let taken = self
            .devices
            .iter()
            .any(|d| d.number == number || d.credential_hash == credential_hash)
            || credential_hash == self.host_hash;
        if taken || number == 0 {
            return Err(Reject::refused(
                ErrorCode::Internal,
                "device collision, try again",
            ));
        }
        if self.devices.iter().filter(|d| !d.revoked).count() >= MAX_DEVICES {
            return Err(Reject::refused(
                ErrorCode::TooManyDevices,
                "this session already has as many paired devices as it accepts",
            ));
        }
        Ok(vec![Event::DevicePaired {
            device: number,
            credential_hash: credential_hash.to_owned(),
            at_ms: now,
            unix_ms,
        }])
    }

    /// Decides revoking device `number`.
    pub(super) fn decide_revoke(&self, number: u32, now: Millis) -> Result<Vec<Event>, Reject> {
        match self.devices.iter().find(|d| d.number == number) {
            Some(d) if !d.revoked => Ok(vec![Event::DeviceRevoked {
                device: number,
                at_ms: now,
            }]),
            _ => Err(Reject::refused(ErrorCode::UnknownDevice, "no such device")),
        }
    }

    /// Whether a device event fits: the rules [`Session::decide_pair`] and
    /// [`Session::decide_revoke`] apply.
    pub(super) fn device_fits(&self, event: &Event) -> Result<(), Misfit> {
        match event {
            Event::DevicePaired {
                device,
                credential_hash,
                ..
            } => {
                let taken = self
                    .devices
                    .iter()
                    .any(|d| d.number == *device || d.credential_hash == *credential_hash)
                    || *credential_hash == self.host_hash;
                match taken || *device == 0 {
                    true => Err(Misfit::DeviceAgain { device: *device }),
                    false => Ok(()),
                }
            }
            Event::DeviceRevoked { device, .. } => match self.device_active(*device) {
                true => Ok(()),
                false => Err(Misfit::UnknownDevice { device: *device }),
            },
            _ => Ok(()),
        }
    }

    /// Folds a device event into the state.
    pub(super) fn apply_device(&mut self, event: &Event) {
        match event {
            Event::DevicePaired {
                device,
                credential_hash,
                at_ms,
                unix_ms,
            } => {
                self.last_ms = self.last_ms.max(*at_ms);
                self.devices.push(Device {
                    number: *device,
                    credential_hash: credential_hash.clone(),
                    paired_unix_ms: *unix_ms,
                    revoked: false,
                });
            }
            Event::DeviceRevoked { device, at_ms } => {
                self.last_ms = self.last_ms.max(*at_ms);
                for d in self.devices.iter_mut().filter(|d| d.number == *device) {
                    d.revoked = true;
                }
            }
            _ => {}
        }
    }

    /// The paired, unrevoked device whose credential hashes to `credential_hash`.
    pub fn device_by_credential(&self, credential_hash: &str) -> Option<u32> {
        self.devices
            .iter()
            .find(|d| !d.revoked && d.credential_hash == credential_hash)
            .map(|d| d.number)
    }

    /// Whether device `number` is paired and not revoked.
    pub fn device_active(&self, number: u32) -> bool {
        self.devices
            .iter()
            .any(|d| d.number == number && !d.revoked)
    }

    /// The highest device number used so far (0 if none).
    pub fn last_device_number(&self) -> u32 {
        self.devices.iter().map(|d| d.number).max().unwrap_or(0)
    }

    /// Credential hashes of the devices still paired: those the teacher kept, which may read the
    /// session's report once it ends.
    pub fn kept_device_hashes(&self) -> Vec<String> {
        self.devices
            .iter()
            .filter(|d| !d.revoked)
            .map(|d| d.credential_hash.clone())
            .collect()
    }

    /// The paired devices as the console lists them; `connected` says which are connected now.
    pub fn device_entries(&self, connected: impl Fn(u32) -> bool) -> Vec<DeviceEntry> {
        self.devices
            .iter()
            .filter(|d| !d.revoked)
            .map(|d| DeviceEntry {
                device: d.number,
                paired_unix_ms: d.paired_unix_ms,
                connected: connected(d.number),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::quiz::parse_quiz;
    use crate::session::machine::{record, Command, SessionCreated};
    use crate::session::SessionOptions;

    const QUIZ: &str = r#"
id = "devices-test"
title = "Devices"
lang = "en"
audience = "tests"
description = "One question."
minutes = 1
[[questions]]
id = "q"
kind = "single"
text = "Which?"
options = [{ text = "A" }, { text = "B", correct = true }]
[[bands]]
min = 0
max = 100
title = "All"
advice = "Fine."
[[resources]]
name = "Help"
contact = "A trusted adult"
description = "Someone to talk to."
"#;

    fn session() -> Session {
        let quiz = parse_quiz("devices-test.toml", QUIZ).expect("test quiz is valid");
        Session::new(&SessionCreated {
            code: "123456".into(),
            quiz: Arc::new(quiz),
            options: SessionOptions::default(),
            host_hash: "master".into(),
            screen_hash: "screen".into(),
            created_unix_ms: 0,
        })
    }

    fn run(s: &mut Session, now: Millis, cmd: Command) -> Result<Vec<Event>, Reject> {
        let events = s.decide(now, &cmd)?;
        for e in &events {
            s.apply(e);
        }
        Ok(events)
    }

    fn pair(device: u32, hash: &str) -> Command {
        Command::PairDevice {
            device,
            credential_hash: hash.into(),
            unix_ms: 1_700_000_000_000 + u64::from(device),
        }
    }

    #[test]
    fn a_paired_device_is_known_by_its_credential_until_revoked() {
        let mut s = session();
        run(&mut s, 10, pair(1, "one")).unwrap();
        run(&mut s, 20, pair(2, "two")).unwrap();
        assert_eq!(s.device_by_credential("one"), Some(1));
        assert_eq!(s.device_by_credential("two"), Some(2));
        assert_eq!(s.device_by_credential("master"), None);
        assert_eq!(s.kept_device_hashes(), ["one", "two"]);
        run(&mut s, 30, Command::RevokeDevice { device: 1 }).unwrap();
        assert_eq!(s.device_by_credential("one"), None);
        assert!(!s.device_active(1) && s.device_active(2));
        assert_eq!(s.kept_device_hashes(), ["two"]);
        assert_eq!(s.last_device_number(), 2);
        let listed = s.device_entries(|n| n == 2);
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (
                listed[0].device,
                listed[0].connected,
                listed[0].paired_unix_ms
            ),
            (2, true, 1_700_000_000_002)
        );
    }

    #[test]
    fn collisions_unknown_devices_and_too_many_are_refused() {
        let mut s = session();
        run(&mut s, 1, pair(1, "one")).unwrap();
        for cmd in [
            pair(1, "other"),
            pair(2, "one"),
            pair(3, "master"),
            pair(0, "x"),
        ] {
            assert!(matches!(
                s.decide(2, &cmd),
                Err(Reject::Refused {
                    code: ErrorCode::Internal,
                    ..
                })
            ));
        }
        let unknown = |r: Result<Vec<Event>, Reject>| {
            matches!(
                r,
                Err(Reject::Refused {
                    code: ErrorCode::UnknownDevice,
                    ..
                })
            )
        };
        assert!(unknown(s.decide(2, &Command::RevokeDevice { device: 9 })));
        run(&mut s, 3, Command::RevokeDevice { device: 1 }).unwrap();
        assert!(unknown(s.decide(4, &Command::RevokeDevice { device: 1 })));
        for n in 2..(MAX_DEVICES as u32 + 2) {
            run(&mut s, 5, pair(n, &format!("k{n}"))).unwrap();
        }
        assert!(matches!(
            s.decide(6, &pair(99, "k99")),
            Err(Reject::Refused {
                code: ErrorCode::TooManyDevices,
                ..
            })
        ));
    }

    #[test]
    fn replay_rebuilds_devices_and_old_events_still_decode() {
        let mut s = session();
        let mut journal = vec![Event::Created(Box::new(SessionCreated {
            code: s.code.clone(),
            quiz: s.quiz.clone(),
            options: s.options.clone(),
            host_hash: s.host_hash.clone(),
            screen_hash: s.screen_hash.clone(),
            created_unix_ms: 0,
        }))];
        journal.extend(run(&mut s, 5, pair(1, "one")).unwrap());
        journal.extend(run(&mut s, 6, pair(2, "two")).unwrap());
        journal.extend(run(&mut s, 7, Command::RevokeDevice { device: 2 }).unwrap());
        let bodies: Vec<String> = journal.iter().map(|e| record::encode(e).unwrap()).collect();
        let back: Vec<Event> = bodies.iter().map(|b| record::decode(b).unwrap()).collect();
        assert_eq!(Session::replay(&back).ok(), Some(s.clone()));
        // The fields with defaults may be missing from a journal line.
        let minimal: Event = record::decode(
            r#"{"event":"device_paired","device":3,"credential_hash":"h","at_ms":9}"#,
        )
        .unwrap();
        assert!(matches!(minimal, Event::DevicePaired { unix_ms: 0, .. }));
        let revoked: Event = record::decode(r#"{"event":"device_revoked","device":3}"#).unwrap();
        assert_eq!(
            revoked,
            Event::DeviceRevoked {
                device: 3,
                at_ms: 0
            }
        );
    }

    #[test]
    fn nothing_is_decided_after_the_end() {
        let mut s = session();
        run(
            &mut s,
            1,
            Command::Host(crate::session::machine::HostCommand::End),
        )
        .unwrap();
        assert!(s.decide(2, &pair(1, "one")).is_err());
    }
}
