//! The actor's side of phone remotes: phones waiting for the console's answer, accept, refuse and
//! revoke, and the console's list of devices.
//!
//! A phone that claimed the pairing code holds a credential of its own, drawn by the HTTP handler
//! and known here only by its hash. Until the teacher answers on the console it is *waiting*: its
//! socket gets `pairing_waiting` and nothing of the session. Accepting journals `DevicePaired`
//! (so the device survives a restart) and admits the waiting socket as a host; refusing closes it
//! with `pairing_refused`; revoking journals `DeviceRevoked` and closes the device's sockets at
//! once with 4006. Only a connection holding the host secret itself may do any of this.

use super::Actor;
use crate::protocol::{close, ErrorCode, Role, ServerMsg};
use crate::session::fanout::frame;
use crate::session::handle::{ConnId, ConnLink, DeviceCommand};
use crate::session::machine::{Command, Reject, Viewer};
use crate::session::secret;

/// Most phones waiting for the teacher's answer at once; a further claim turns the oldest away.
const MAX_WAITING: usize = 4;

/// A phone that claimed the pairing code and waits for the teacher's answer.
#[derive(Debug)]
pub(super) struct Waiting {
    /// Its number ("Phone 2"), shown on the phone and on the console alike.
    device: u32,
    /// SHA-256 of the credential it was handed.
    credential_hash: String,
    /// Its socket, once it said `hello`.
    conn: Option<(ConnId, ConnLink)>,
}

/// What a host `hello` with something other than the host secret is.
pub(super) enum Hello {
    /// A paired device's credential.
    Paired(u32),
    /// The credential of the waiting phone at this index.
    Waiting(usize),
    /// Nothing this session knows.
    Unknown,
}

impl Actor {
    /// A phone claimed the pairing code: it waits for the teacher, and the consoles are told.
    pub(super) fn on_claimed(&mut self, credential_hash: String) {
        if self.machine.is_ended() {
            return;
        }
        while self.waiting.len() >= MAX_WAITING {
            let oldest = self.waiting.remove(0);
            turn_waiting_away(oldest, "another phone claimed a newer pairing code");
        }
        let device = self.next_device;
        self.next_device += 1;
        self.waiting.push(Waiting {
            device,
            credential_hash,
            conn: None,
        });
        tracing::info!(session = %self.machine.code, device, "a phone claimed the pairing code");
        self.send_devices();
    }

    /// Who a host `hello` carrying `credential` is.
    pub(super) fn device_hello(&self, credential: &str) -> Hello {
        let hash = secret::hash(credential);
        if let Some(n) = self.machine.device_by_credential(&hash) {
            return Hello::Paired(n);
        }
        match self.waiting.iter().position(|w| w.credential_hash == hash) {
            Some(i) => Hello::Waiting(i),
            None => Hello::Unknown,
        }
    }

    /// Holds the socket of waiting phone `i` until the teacher answers; an earlier socket of the
    /// same phone is closed (a reload).
    pub(super) fn wait_for_teacher(&mut self, i: usize, conn: ConnId, link: ConnLink) {
        let Some(w) = self.waiting.get_mut(i) else {
            return;
        };
        if let Some((_, old)) = w.conn.take() {
            old.ctl.close_now(close::REPLACED);
        }
        let msg = ServerMsg::PairingWaiting { device: w.device };
        // Sequence 0, like a refusal: a phone nobody accepted learns nothing of the session.
        let _ = link.tx.try_send(frame(0, msg));
        w.conn = Some((conn, link));
    }

    /// Writes `msg` (sequence 0) to waiting connection `conn`; whether it is one.
    pub(super) fn reply_waiting(&self, conn: ConnId, msg: &ServerMsg) -> bool {
        let link = self
            .waiting
            .iter()
            .filter_map(|w| w.conn.as_ref())
            .find(|(c, _)| *c == conn);
        match link {
            Some((_, link)) => {
                let _ = link.tx.try_send(frame(0, msg.clone()));
                true
            }
            None => false,
        }
    }

    /// A connection ended: if it was a waiting phone's, the phone may come back.
    pub(super) fn forget_waiting(&mut self, conn: ConnId) {
        for w in &mut self.waiting {
            if w.conn.as_ref().is_some_and(|(c, _)| *c == conn) {
                w.conn = None;
            }
        }
    }

    /// Closes the sockets of waiting phones (the session ended, or the server stops).
    pub(super) fn close_waiting(&mut self, code: u16) {
        for w in &mut self.waiting {
            if let Some((_, link)) = w.conn.take() {
                link.ctl.set_code(code);
            }
        }
    }

    /// The console's answer about a phone; only a connection holding the host secret is obeyed.
    pub(super) fn on_device(&mut self, conn: ConnId, cmd: DeviceCommand, name: &'static str) {
        if !self.conns.is_master(conn) {
            let reject = Reject::refused(
                ErrorCode::NotAllowed,
                "only the console (with the host secret) manages devices",
            );
            return self.refuse(conn, reject, name);
        }
        let result = match cmd {
            DeviceCommand::Accept(n) => self.accept(n),
            DeviceCommand::Refuse(n) => self.refuse_waiting(n),
            DeviceCommand::Revoke(n) => self.revoke(n),
        };
        if let Err(reject) = result {
            self.refuse(conn, reject, name);
        }
    }

    fn unknown_device() -> Reject {
        Reject::refused(ErrorCode::UnknownDevice, "no such device")
    }

    /// Pairs waiting phone `n` for good and lets its socket in as a host.
    fn accept(&mut self, n: u32) -> Result<(), Reject> {
        let i = self
            .waiting
            .iter()
            .position(|w| w.device == n)
            .ok_or_else(Self::unknown_device)?;
        let cmd = Command::PairDevice {
            device: n,
            credential_hash: self.waiting[i].credential_hash.clone(),
            unix_ms: crate::session::wall::unix_ms(),
        };
        self.decide_and_commit(&cmd)?;
        let w = self.waiting.remove(i);
        tracing::info!(session = %self.machine.code, device = n, "device paired");
        match w.conn {
            // Its welcome and snapshot leave once `DevicePaired` is durable, like every effect.
            Some((conn, link)) => self.admit(conn, Role::Host, Viewer::Host, None, Some(n), link),
            None => self.send_devices(),
        }
        Ok(())
    }

    /// Turns waiting phone `n` away.
    fn refuse_waiting(&mut self, n: u32) -> Result<(), Reject> {
        let i = self
            .waiting
            .iter()
            .position(|w| w.device == n)
            .ok_or_else(Self::unknown_device)?;
        let w = self.waiting.remove(i);
        tracing::info!(session = %self.machine.code, device = n, "pairing refused");
        turn_waiting_away(w, "the teacher refused this phone on the console");
        self.send_devices();
        Ok(())
    }

    /// Revokes device `n`: journalled, then its sockets close at once.
    fn revoke(&mut self, n: u32) -> Result<(), Reject> {
        self.decide_and_commit(&Command::RevokeDevice { device: n })?;
        let closed = self.conns.close_device(n, close::REVOKED);
        if closed > 0 && self.conns.hosts() == 0 && self.host_away_since.is_none() {
            self.host_away_since = Some(tokio::time::Instant::now());
        }
        tracing::info!(session = %self.machine.code, device = n, connections = closed, "device revoked");
        self.send_devices();
        Ok(())
    }

    /// A host connection attached: a console gets the device list (when there is one), and the
    /// consoles learn that a device connected.
    pub(super) fn devices_attached(&mut self, conn: ConnId, device: Option<u32>) {
        match device {
            Some(_) => self.send_devices(),
            None if !self.waiting.is_empty() || self.machine.last_device_number() > 0 => {
                let msg = self.devices_msg();
                self.queue(conn, msg);
            }
            None => {}
        }
    }

    fn devices_msg(&self) -> ServerMsg {
        ServerMsg::Devices {
            waiting: self.waiting.iter().map(|w| w.device).collect(),
            devices: self
                .machine
                .device_entries(|n| self.conns.device_connected(n)),
        }
    }

    /// Queues the device list to every console holding the host secret.
    pub(super) fn send_devices(&mut self) {
        let msg = self.devices_msg();
        for conn in self.conns.masters() {
            self.queue(conn, msg.clone());
        }
    }
}

/// Closes a waiting phone's socket (if any) with `pairing_refused` and 4003.
fn turn_waiting_away(w: Waiting, message: &str) {
    if let Some((_, link)) = w.conn {
        let msg = ServerMsg::Error {
            code: ErrorCode::PairingRefused,
            message: message.to_owned(),
            in_reply_to: Some("hello".into()),
        };
        // The code first, then the frame; dropping the link closes the socket once it is sent.
        link.ctl.set_code(close::REFUSED);
        let _ = link.tx.try_send(frame(0, msg));
    }
}
