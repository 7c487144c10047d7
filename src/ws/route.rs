//! Where a client message goes once attached: checked against the connection's role, then to
//! the session's control channel (host commands) or input channel (a pupil's answers and help
//! requests, stamped with their arrival time); `ping` is answered here.

use tokio::time::Instant;

use super::connection::Connection;
use crate::protocol::{ClientMsg, ErrorCode, Role, ServerMsg};
use crate::session::{ConnId, Control, DeviceCommand, PupilInput, PupilMsg, SessionHandle};

/// A connection's identity once `hello` is accepted.
#[derive(Debug, Clone, Copy)]
pub struct Me {
    /// Its id.
    pub conn: ConnId,
    /// The role it said `hello` as.
    pub role: Role,
}

/// A refusal to answer with an `error`: code, plain words, and the message type it answers.
pub type Refusal = (ErrorCode, String, Option<&'static str>);

/// Checks one client message against the role and forwards it.
pub async fn route(
    conn: &mut Connection,
    handle: &SessionHandle,
    me: Me,
    msg: ClientMsg,
) -> Result<(), Refusal> {
    let wire_name = msg.name();
    let name = Some(wire_name);
    let not_allowed = |what: &str| {
        (
            ErrorCode::NotAllowed,
            format!("{what} cannot send this"),
            name,
        )
    };
    if msg.is_host_command() && me.role != Role::Host {
        return Err(not_allowed("only the host"));
    }
    let pupil = |msg: PupilMsg| PupilInput {
        conn: me.conn,
        at: Instant::now(),
        msg,
    };
    let input = match msg {
        ClientMsg::Hello { .. } => {
            return Err((
                ErrorCode::AlreadyGreeted,
                "hello was already accepted".into(),
                name,
            ));
        }
        ClientMsg::Ping { nonce } => {
            conn.reply(ServerMsg::Pong { nonce }).await;
            return Ok(());
        }
        ClientMsg::Answer(_) | ClientMsg::TalkToAdult if me.role != Role::Player => {
            return Err(not_allowed("only a pupil"));
        }
        ClientMsg::Answer(answer) => pupil(PupilMsg::Answer(answer)),
        ClientMsg::TalkToAdult => pupil(PupilMsg::Help),
        ClientMsg::AcceptDevice { device } => {
            return device_command(handle, me, DeviceCommand::Accept(device), wire_name).await
        }
        ClientMsg::RefuseDevice { device } => {
            return device_command(handle, me, DeviceCommand::Refuse(device), wire_name).await
        }
        ClientMsg::RevokeDevice { device } => {
            return device_command(handle, me, DeviceCommand::Revoke(device), wire_name).await
        }
        host => {
            let cmd = host.into_host_command().map_err(|_| {
                (
                    ErrorCode::UnknownType,
                    "not a host command".to_owned(),
                    name,
                )
            })?;
            let control = Control::Host {
                conn: me.conn,
                cmd,
                name: wire_name,
            };
            return handle.control.send(control).await.map_err(|_| gone(name));
        }
    };
    handle.inputs.send(input).await.map_err(|_| gone(name))
}

/// Forwards a console's answer about a phone remote; the actor checks it holds the host secret.
async fn device_command(
    handle: &SessionHandle,
    me: Me,
    cmd: DeviceCommand,
    name: &'static str,
) -> Result<(), Refusal> {
    let control = Control::Device {
        conn: me.conn,
        cmd,
        name,
    };
    handle
        .control
        .send(control)
        .await
        .map_err(|_| gone(Some(name)))
}

fn gone(name: Option<&'static str>) -> Refusal {
    (
        ErrorCode::SessionFinished,
        "the session has ended".into(),
        name,
    )
}
