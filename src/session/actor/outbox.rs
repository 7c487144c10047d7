//! What waits for its events to be durable, and how it leaves: `release` sends every pending
//! item the journal holds, `flush` queues the coalesced counts whose time has come.

use tokio::time::Instant;

use super::Actor;
use crate::protocol::ServerMsg;
use crate::session::fanout::{frame, Fresh};
use crate::session::handle::ConnId;
use crate::session::machine::{Audience, Effect, Reject};

/// Something waiting for its events to be durable before it is sent.
#[derive(Debug)]
pub(super) enum Deliver {
    /// An event's effect.
    Effect(Effect),
    /// A coalesced state-of-now message, for the connections attached before [`Conns::stamp`]
    /// was the number it carries.
    Live(Audience, ServerMsg, u64),
    /// A message for one connection (snapshot, re-acknowledgement, error).
    Direct(ConnId, ServerMsg),
}

impl Actor {
    /// Queues a message for one connection at the current sequence number.
    pub(super) fn queue(&mut self, conn: ConnId, msg: ServerMsg) {
        self.pending
            .push_back((self.machine.seq, Deliver::Direct(conn, msg)));
    }

    /// Answers a refused command with an error, to the connection that sent it.
    pub(super) fn refuse(&mut self, conn: ConnId, reject: Reject, in_reply_to: &str) {
        if let Reject::Refused { code, message } = reject {
            let in_reply_to = Some(in_reply_to.to_owned());
            let msg = ServerMsg::Error {
                code,
                message,
                in_reply_to,
            };
            // A phone still waiting for the console is not attached: answer it on its own link.
            if self.conns.role_of(conn).is_none() && self.reply_waiting(conn, &msg) {
                return;
            }
            self.queue(conn, msg);
        }
    }

    /// Queues a state-of-now message for the connections attached so far.
    pub(super) fn live(&mut self, audience: Audience, msg: ServerMsg) {
        let stamp = self.conns.stamp();
        self.pending
            .push_back((self.machine.seq, Deliver::Live(audience, msg, stamp)));
    }

    /// Coalesced messages whose time has come.
    pub(super) fn flush(&mut self, now: Instant) {
        let everyone = self
            .machine
            .open_round()
            .is_some_and(|(_, _, r)| r.answered() >= self.machine.active_pupils());
        if self.count.take(now, everyone) {
            if let Some(msg) = self.machine.answers_msg() {
                self.live(Audience::Watchers, msg);
            }
        }
        if self.presence.take(now, false) {
            let msg = ServerMsg::Presence {
                connected: self.conns.pupils_connected(),
                joined: self.machine.active_pupils(),
            };
            self.live(Audience::Watchers, msg);
            if let Some(players) = self.machine.players_msg() {
                self.live(Audience::Hosts, players);
            }
        }
        let total = self.machine.help_total();
        if let Some(new) = self.help.take(self.at_ms(now), total) {
            self.live(Audience::Hosts, ServerMsg::HelpRequests { new, total });
        }
    }

    /// Sends everything whose events are durable.
    pub(super) fn release(&mut self) {
        let durable = self.journal.durable();
        while self.pending.front().is_some_and(|(seq, _)| *seq <= durable) {
            let Some((seq, item)) = self.pending.pop_front() else {
                break;
            };
            match item {
                Deliver::Effect(Effect::Send(audience, msg)) => {
                    self.conns
                        .broadcast(audience, Fresh::Event(seq), &frame(seq, msg));
                }
                Deliver::Live(audience, msg, stamp) => {
                    self.conns
                        .broadcast(audience, Fresh::Live(stamp), &frame(seq, msg));
                }
                Deliver::Effect(Effect::Kick(pupil)) => self.conns.kick(pupil),
                Deliver::Direct(conn, msg) => self.conns.send(conn, frame(seq, msg)),
            }
        }
    }
}
