//! The actor's connections and fan-out: who is attached, and one serialisation per broadcast.

use std::collections::HashMap;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::mpsc::error::TrySendError;

use super::handle::{ConnId, ConnLink, Frame};
use super::machine::{Audience, PupilId};
use crate::protocol::{close, Envelope, Role, ServerMsg};

/// One attached connection.
#[derive(Debug)]
struct Conn {
    role: Role,
    pupil: Option<PupilId>,
    /// A host connection of a paired device (its number); `None` for the console's secret.
    device: Option<u32>,
    link: ConnLink,
    /// Sequence number its snapshot reflects: broadcasts up to it are already in the snapshot.
    since: u64,
    /// Its place in the order of attachments (see [`Conns::stamp`]).
    order: u64,
}

/// Which of an audience's connections a broadcast is still news to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fresh {
    /// An effect of the event with this sequence number: for connections whose snapshot is
    /// older (a newer snapshot already shows it).
    Event(u64),
    /// A state-of-now message (answer count, presence, help requests) computed when
    /// [`Conns::stamp`] was this: for every connection attached before it, whatever the
    /// sequence number, since no event marks a phone that drops or resumes. A connection
    /// attached later has it in its snapshot, and must not get it before its `welcome`.
    Live(u64),
}

impl Fresh {
    fn wants(self, c: &Conn) -> bool {
        match self {
            Fresh::Event(seq) => c.since < seq,
            Fresh::Live(stamp) => c.order < stamp,
        }
    }
}

/// The connections attached to one session.
#[derive(Debug, Default)]
pub struct Conns {
    all: HashMap<ConnId, Conn>,
    pupils: HashMap<PupilId, ConnId>,
    hosts: usize,
    attaches: u64,
}

/// Serialises a message once, with the session's sequence number.
pub fn frame(seq: u64, msg: ServerMsg) -> Frame {
    Frame::new(seq, Utf8Bytes::from(Envelope::text(seq, msg)))
}

impl Conns {
    /// Registers a connection whose snapshot reflects `since`. A pupil's earlier connection is
    /// closed at once (it was taken over).
    pub fn attach(
        &mut self,
        conn: ConnId,
        role: Role,
        pupil: Option<PupilId>,
        link: ConnLink,
        since: u64,
    ) {
        if let Some(p) = pupil {
            if let Some(old) = self.pupils.insert(p, conn) {
                if let Some(old) = self.all.remove(&old) {
                    old.link.ctl.close_now(close::REPLACED);
                }
            }
        }
        if role == Role::Host {
            self.hosts += 1;
        }
        let order = self.attaches;
        self.attaches += 1;
        self.all.insert(
            conn,
            Conn {
                role,
                pupil,
                device: None,
                link,
                since,
                order,
            },
        );
    }

    /// How many connections have attached so far: a state-of-now message computed now is
    /// news to exactly the connections attached before this ([`Fresh::Live`]).
    pub fn stamp(&self) -> u64 {
        self.attaches
    }

    /// Marks a host connection as a paired device's (it authenticated with its credential).
    pub fn set_device(&mut self, conn: ConnId, device: u32) {
        if let Some(c) = self.all.get_mut(&conn) {
            c.device = Some(device);
        }
    }

    /// The paired device a host connection speaks for, if it is one.
    pub fn device_of(&self, conn: ConnId) -> Option<u32> {
        self.all.get(&conn).and_then(|c| c.device)
    }

    /// Whether a connection holds the host secret itself (the console), not a device credential.
    pub fn is_master(&self, conn: ConnId) -> bool {
        self.all
            .get(&conn)
            .is_some_and(|c| c.role == Role::Host && c.device.is_none())
    }

    /// The connections holding the host secret.
    pub fn masters(&self) -> Vec<ConnId> {
        let mut ids: Vec<ConnId> = self
            .all
            .iter()
            .filter(|(_, c)| c.role == Role::Host && c.device.is_none())
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Whether device `device` has a connection attached.
    pub fn device_connected(&self, device: u32) -> bool {
        self.all.values().any(|c| c.device == Some(device))
    }

    /// Closes every connection of device `device` at once with `code`; returns how many.
    pub fn close_device(&mut self, device: u32, code: u16) -> usize {
        let ids: Vec<ConnId> = self
            .all
            .iter()
            .filter(|(_, c)| c.device == Some(device))
            .map(|(id, _)| *id)
            .collect();
        for &id in &ids {
            self.close(id, code, true);
        }
        ids.len()
    }

    /// Forgets a connection that ended. Returns its role if it was attached.
    pub fn detach(&mut self, conn: ConnId) -> Option<Role> {
        let c = self.all.remove(&conn)?;
        if let Some(p) = c.pupil {
            if self.pupils.get(&p) == Some(&conn) {
                self.pupils.remove(&p);
            }
        }
        if c.role == Role::Host {
            self.hosts -= 1;
        }
        Some(c.role)
    }

    /// The pupil a connection speaks for.
    pub fn pupil_of(&self, conn: ConnId) -> Option<PupilId> {
        self.all.get(&conn).and_then(|c| c.pupil)
    }

    /// The role of a connection.
    pub fn role_of(&self, conn: ConnId) -> Option<Role> {
        self.all.get(&conn).map(|c| c.role)
    }

    /// Host connections attached.
    pub fn hosts(&self) -> usize {
        self.hosts
    }

    /// Pupil devices attached.
    pub fn pupils_connected(&self) -> u32 {
        self.pupils.len() as u32
    }

    /// Sends one frame to one connection; a full queue closes it (4008) so it resumes.
    pub fn send(&mut self, conn: ConnId, frame: Frame) {
        let full = match self.all.get(&conn) {
            Some(c) => matches!(c.link.tx.try_send(frame), Err(TrySendError::Full(_))),
            None => false,
        };
        if full {
            self.close(conn, close::TOO_SLOW, true);
        }
    }

    /// Sends one pre-serialised frame to the connections of an audience it is news to.
    pub fn broadcast(&mut self, audience: Audience, fresh: Fresh, frame: &Frame) {
        if let Audience::Pupil(p) = audience {
            if let Some(&conn) = self.pupils.get(&p) {
                if self.all.get(&conn).is_some_and(|c| fresh.wants(c)) {
                    self.send(conn, frame.clone());
                }
            }
            return;
        }
        let mut slow = Vec::new();
        for (id, c) in &self.all {
            let wanted = match audience {
                Audience::All => true,
                Audience::Pupils => c.role == Role::Player,
                Audience::Hosts => c.role == Role::Host,
                Audience::Watchers => c.role != Role::Player,
                Audience::Pupil(_) => false,
            };
            if wanted && fresh.wants(c) {
                if let Err(TrySendError::Full(_)) = c.link.tx.try_send(frame.clone()) {
                    slow.push(*id);
                }
            }
        }
        for id in slow {
            self.close(id, close::TOO_SLOW, true);
        }
    }

    /// Closes a connection: at once, or after what is queued has been sent.
    pub fn close(&mut self, conn: ConnId, code: u16, now: bool) {
        if let Some(c) = self.all.get(&conn) {
            if now {
                c.link.ctl.close_now(code);
            } else {
                c.link.ctl.set_code(code);
            }
        }
        self.detach(conn);
    }

    /// Closes a removed pupil's connection.
    pub fn kick(&mut self, pupil: PupilId) {
        if let Some(&conn) = self.pupils.get(&pupil) {
            self.close(conn, close::REMOVED, false);
        }
    }

    /// Closes every connection after its queue drains.
    pub fn close_all(&mut self, code: u16) {
        let ids: Vec<ConnId> = self.all.keys().copied().collect();
        for id in ids {
            self.close(id, code, false);
        }
    }
}
