//! Live sessions: the pure machine, the actor that owns it, the journal and the registry of join codes.
//!
//! - [`machine`]: `decide`/`apply`, events, scoring and what each role sees (pure, no I/O);
//! - [`actor`]: one task per session that owns its machine, journals, and fans out effects;
//! - [`journal`]: the durability seam (in memory today);
//! - [`registry`]: join codes to actor handles.

pub mod actor;
mod fanout;
pub mod handle;
mod help;
pub mod journal;
pub mod machine;
mod options;
pub mod registry;
pub mod secret;

pub use actor::wrong_secret;
pub use handle::{
    ConnCtl, ConnId, ConnLink, Control, DeviceCommand, Frame, PupilInput, PupilMsg, SessionHandle,
    CONN_QUEUE,
};
pub use options::{Retention, SessionOptions};
pub use registry::{CreateError, Created, Limits, Registry};
