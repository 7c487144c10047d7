//! A connection's `hello`: its secret, token or join ticket checked, then the connection
//! admitted (registered, welcomed, sent its snapshot in the same step) or turned away.

use super::{devices, Actor};
use crate::protocol::{close, ErrorCode, Role, ServerMsg, SessionInfo};
use crate::session::fanout::frame;
use crate::session::handle::{ConnId, ConnLink};
use crate::session::machine::{Command, Event, Reject, Viewer};
use crate::session::secret;

impl Actor {
    /// A `hello`: checks its secret, token or ticket, then admits the connection or turns it away.
    pub(super) fn attach(
        &mut self,
        conn: ConnId,
        role: Role,
        secret: Option<String>,
        ticket: Option<String>,
        link: ConnLink,
    ) {
        let mut device = None;
        let (viewer, token) = match (role, secret) {
            (Role::Host, Some(s)) if secret::matches(&s, &self.machine.host_hash) => {
                (Viewer::Host, None)
            }
            (Role::Screen, Some(s)) if secret::matches(&s, &self.machine.screen_hash) => {
                (Viewer::Screen, None)
            }
            // Not the host secret: a paired device's credential, or a phone waiting for the
            // teacher's answer; anything else is refused exactly like a wrong secret.
            (Role::Host, Some(s)) => match self.device_hello(&s) {
                devices::Hello::Paired(n) => {
                    device = Some(n);
                    (Viewer::Host, None)
                }
                devices::Hello::Waiting(i) => return self.wait_for_teacher(i, conn, link),
                devices::Hello::Unknown => {
                    let (code, message) = wrong_secret(role);
                    return self.turn_away(link, code, message);
                }
            },
            (Role::Host | Role::Screen, _) => {
                let (code, message) = wrong_secret(role);
                return self.turn_away(link, code, message);
            }
            (Role::Player, Some(token)) => match self.machine.pupil_by_token(&secret::hash(&token))
            {
                Some(p) => (Viewer::Pupil(p), None),
                None => {
                    let (code, message) = wrong_secret(role);
                    return self.turn_away(link, code, message);
                }
            },
            (Role::Player, None)
                if ticket
                    .as_ref()
                    .is_some_and(|t| !secret::is_join_ticket(t, &self.machine.screen_hash)) =>
            {
                let (code, message) = wrong_secret(role);
                return self.turn_away(link, code, message);
            }
            (Role::Player, None) => {
                let token = secret::generate();
                let cmd = Command::Join {
                    pupil: rand::random(),
                    token_hash: secret::hash(&token),
                    name_seed: rand::random(),
                    max_players: self.limits.max_players,
                };
                let events = match self.machine.decide(self.now_ms(), &cmd) {
                    Ok(events) => events,
                    Err(Reject::Refused { code, message }) => {
                        return self.turn_away(link, code, &message)
                    }
                    Err(_) => return self.turn_away(link, ErrorCode::Internal, "could not join"),
                };
                let pupil = match events.first() {
                    Some(Event::PupilJoined { pupil, .. }) => *pupil,
                    _ => return self.turn_away(link, ErrorCode::Internal, "could not join"),
                };
                if self.commit(events).is_err() {
                    return self.turn_away(link, ErrorCode::Busy, "the server is busy; try again");
                }
                (Viewer::Pupil(pupil), Some(token))
            }
        };
        self.admit(conn, role, viewer, token, device, link);
    }

    /// Registers a connection whose `hello` was accepted (or a waiting phone the teacher just
    /// accepted) and queues its welcome and snapshot.
    pub(super) fn admit(
        &mut self,
        conn: ConnId,
        role: Role,
        viewer: Viewer,
        token: Option<String>,
        device: Option<u32>,
        link: ConnLink,
    ) {
        let pupil = match viewer {
            Viewer::Pupil(p) => Some(p),
            Viewer::Host | Viewer::Screen => None,
        };
        let seq = self.machine.seq;
        self.conns.attach(conn, role, pupil, link, seq);
        if let Some(n) = device {
            self.conns.set_device(conn, n);
        }
        match role {
            Role::Host => self.host_away_since = None,
            Role::Player => self.presence.dirty = true,
            Role::Screen => {}
        }
        let name = pupil
            .and_then(|p| self.machine.pupil(p))
            .and_then(|p| p.name.clone());
        let session = self.session_info();
        let ticket = (role != Role::Player).then(|| secret::join_ticket(&self.machine.screen_hash));
        self.queue(
            conn,
            ServerMsg::Welcome {
                role,
                session,
                token,
                name,
                ticket,
            },
        );
        for msg in self.machine.snapshot(viewer, self.now_ms()) {
            self.queue(conn, msg);
        }
        if role != Role::Player {
            let connected = self.conns.pupils_connected();
            self.queue(
                conn,
                ServerMsg::Presence {
                    connected,
                    joined: self.machine.active_pupils(),
                },
            );
        }
        // Only what the hosts were told: a console reloaded just after a tap must not show it
        // before the alert's boundary.
        if role == Role::Host && self.help.announced() > 0 {
            let total = self.help.announced();
            self.queue(conn, ServerMsg::HelpRequests { new: 0, total });
        }
        if role == Role::Host {
            self.devices_attached(conn, device);
        }
    }

    /// Refuses a `hello`: an error, then the close code that goes with it.
    pub(super) fn turn_away(&mut self, link: ConnLink, code: ErrorCode, message: &str) {
        let msg = ServerMsg::Error {
            code,
            message: message.to_owned(),
            in_reply_to: Some("hello".into()),
        };
        // Not attached: write straight to its queue, then let it close after draining. The code
        // goes first, so a connection reading this frame knows it is a refusal.
        // Sequence 0: a refused connection is not in the session's stream, and the session's
        // own sequence number would tell a guesser that this code is in use.
        link.ctl.set_code(close::REFUSED);
        let _ = link.tx.try_send(frame(0, msg));
    }

    /// What a welcome says about the session.
    pub(super) fn session_info(&self) -> SessionInfo {
        let quiz = &self.machine.quiz;
        SessionInfo {
            code: self.machine.code.clone(),
            title: quiz.title.clone(),
            lang: quiz.lang.code().to_owned(),
            mode: self.machine.options.mode,
            questions: quiz.questions.len() as u32,
            min_count: crate::session::machine::disclosure::threshold(
                self.machine.options.min_count,
            ),
            content_warning: quiz.content_warning.clone(),
            local_contact: self.machine.options.local_contact.clone(),
            hide_score: self.machine.options.hide_score,
        }
    }
}

/// How a `hello` whose secret, token or join ticket fits nothing is refused, for its role. The
/// connection refuses such a `hello` for a code with no session in exactly the same words, so
/// that it — never slowed by the guard — cannot tell a guesser which codes are live.
pub fn wrong_secret(role: Role) -> (ErrorCode, &'static str) {
    match role {
        Role::Player => (ErrorCode::BadToken, "unknown or expired token"),
        Role::Host | Role::Screen => (ErrorCode::BadSecret, "wrong secret for this session"),
    }
}
