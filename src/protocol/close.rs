//! WebSocket close codes used by Loupe (4000–4999 are application codes).

/// The session ended.
pub const ENDED: u16 = 4000;
/// A newer connection of the same pupil took over (hosts and screens may have several).
pub const REPLACED: u16 = 4001;
/// The host removed this pupil.
pub const REMOVED: u16 = 4002;
/// `hello` was refused (see the error message sent just before).
pub const REFUSED: u16 = 4003;
/// Unknown join code.
pub const UNKNOWN_SESSION: u16 = 4004;
/// Protocol version not supported.
pub const VERSION: u16 = 4005;
/// The teacher disconnected this paired device; its credential no longer works.
pub const REVOKED: u16 = 4006;
/// The connection could not keep up (its queue filled); resume.
pub const TOO_SLOW: u16 = 4008;
/// No `hello` in time, or the heartbeat was missed.
pub const TIMEOUT: u16 = 4009;
/// Too many messages.
pub const FLOOD: u16 = 4029;
/// Message larger than allowed (standard code).
pub const TOO_BIG: u16 = 1009;
/// The server is restarting; resume shortly (standard code).
pub const RESTART: u16 = 1012;
/// The server is shutting down (standard code).
pub const GOING_AWAY: u16 = 1001;
