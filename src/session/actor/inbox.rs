//! What arrives on the actor's two channels: attachments, detachments, host and device
//! commands on the control channel (polled first), answers and help requests on the input one.

use tokio::time::Instant;

use super::Actor;
use crate::protocol::{ErrorCode, Role};
use crate::session::handle::{Control, PupilInput, PupilMsg};
use crate::session::machine::{Command, Reject};

impl Actor {
    /// An attachment, a detachment, a host or device command, or a phone's claim.
    pub(super) fn on_control(&mut self, msg: Control) {
        match msg {
            Control::Attach {
                conn,
                role,
                secret,
                ticket,
                link,
            } => self.attach(conn, role, secret, ticket, link),
            Control::Detach { conn } => {
                let device = self.conns.device_of(conn);
                match self.conns.detach(conn) {
                    Some(Role::Player) => self.presence.dirty = true,
                    Some(Role::Host) if self.conns.hosts() == 0 => {
                        self.host_away_since = Some(Instant::now());
                    }
                    _ => {}
                }
                if device.is_some() {
                    self.send_devices();
                }
                self.forget_waiting(conn);
            }
            Control::Claimed { credential_hash } => self.on_claimed(credential_hash),
            Control::Device { conn, cmd, name } => self.on_device(conn, cmd, name),
            Control::Host { conn, cmd, name } => {
                let revoked = self
                    .conns
                    .device_of(conn)
                    .is_some_and(|d| !self.machine.device_active(d));
                if self.conns.role_of(conn) != Some(Role::Host) || revoked {
                    let reject = Reject::refused(
                        ErrorCode::NotAllowed,
                        "host commands need the host secret",
                    );
                    return self.refuse(conn, reject, name);
                }
                if let Err(reject) = self.decide_and_commit(&Command::Host(cmd)) {
                    self.refuse(conn, reject, name);
                }
            }
        }
    }

    /// A pupil's answer (timed on its arrival) or help request.
    pub(super) fn on_input(&mut self, input: PupilInput) {
        let Some(pupil) = self.conns.pupil_of(input.conn) else {
            return;
        };
        match input.msg {
            PupilMsg::Answer(answer) => {
                let at_ms = self.at_ms(input.at);
                let cmd = Command::Answer {
                    pupil,
                    answer,
                    at_ms,
                };
                match self.decide_and_commit(&cmd) {
                    Ok(_) | Err(Reject::Stale) | Err(Reject::Nothing) => {}
                    Err(Reject::Duplicate(ack)) => self.queue(input.conn, *ack),
                    Err(reject) => self.refuse(input.conn, reject, "answer"),
                }
            }
            PupilMsg::Help => {
                if self.help.counts(pupil, self.at_ms(input.at)) {
                    let _ = self.decide_and_commit(&Command::HelpRequest);
                }
            }
        }
    }
}
