//! Live sessions: the pure machine, the actor that owns it, the journal seam and the registry of join codes.
//!
//! - [`machine`]: `decide`/`apply`, events, scoring and what each role sees (pure, no I/O);
//! - [`actor`]: one task per session that owns its machine, journals, and fans out effects;
//! - [`journal`]: the durability seam ([`Journals`] opens a session's [`Journal`]), and the
//!   journals in memory; the SQLite store (`crate::store`) is the other engine;
//! - [`report`]: the aggregates an ended session leaves, for its journal to keep;
//! - [`registry`]: join codes to actor handles;
//! - [`wall`]: wall-clock time (Unix milliseconds, the end of the school year).
//!
//! This layer imports nothing from the store, HTTP, WebSocket or app modules
//! (`docs/ARCHITECTURE.md`, checked by `tests/layers/`).

pub mod actor;
mod fanout;
pub mod handle;
mod help;
pub mod journal;
pub mod machine;
mod options;
pub mod registry;
pub mod report;
pub mod secret;
pub mod wall;

pub use actor::wrong_secret;
pub use handle::{
    ConnCtl, ConnId, ConnLink, Control, DeviceCommand, Frame, PupilInput, PupilMsg, SessionHandle,
    CONN_QUEUE,
};
pub use journal::{Journal, JournalError, Journals, MemoryJournals, Restored};
pub use options::{Limits, Retention, SessionOptions};
pub use registry::{CreateError, Created, Registry};
pub use report::Report;
pub use wall::unix_ms;
