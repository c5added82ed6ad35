//! doorstep-ffi: the uniffi skin over doorstep-core. The records and enums are core's own
//! (core derives uniffi's traits behind its `ffi` feature); this crate holds the one
//! `Doorstep` object, the flat `DoorstepError`, the panic guard, the async wrappers and
//! the traits the apps implement. Every rule lives in core.
//!
//! Threads: every call except `enrol` and `sync` runs on the caller's thread and blocks
//! it until it returns. A *read* (a lookup, a list, a search) takes milliseconds and never
//! waits for a write. A *write* takes milliseconds itself but waits while another write
//! holds the store (an import or a pass sheet, seconds; a page of a sync, a fraction of
//! one); a scan is the exception, decided at once and stored after that write. Call either
//! from a background thread (Kotlin `Dispatchers.IO`, a Swift task off the main actor),
//! never from the UI thread. Callbacks: sync progress arrives on the sync's own thread;
//! log lines (`LogSink`) on the thread that logged.

use std::sync::Arc;

use doorstep_core as core;

mod cancel;
mod checkin;
mod deliveries;
mod logs;
mod registry;
mod sync;
mod visits;

pub use cancel::CancelHandle;
pub use deliveries::CatalogueItem;
pub use logs::{LogLevel, LogSink};
pub use sync::SyncProgress;

uniffi::setup_scaffolding!();

/// Every error a Doorstep call can return, one case per kind a screen may treat
/// differently, each with a message for logs. Flat: the apps see the case and its
/// message, as `DoorstepException.WrongKey` in Kotlin or `DoorstepError.WrongKey` in Swift.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum DoorstepError {
    /// An argument or record was refused.
    #[error("{message}")]
    Invalid { message: String },
    /// A referenced record does not exist.
    #[error("{message}")]
    NotFound { message: String },
    /// The key does not open the database.
    #[error("{message}")]
    WrongKey { message: String },
    /// The file is not a Doorstep database.
    #[error("{message}")]
    NotADatabase { message: String },
    /// The database file is damaged.
    #[error("{message}")]
    Corrupt { message: String },
    /// The database location cannot be written.
    #[error("{message}")]
    ReadOnly { message: String },
    /// The database was written by a newer Doorstep.
    #[error("{message}")]
    TooNew { message: String },
    /// The change conflicts with the current state.
    #[error("{message}")]
    Conflict { message: String },
    /// Stock would go below zero; the message names the item and the shortfall.
    #[error("{message}")]
    Shortfall { message: String },
    /// The proof of a handoff was refused (a wrong or locked PIN, a pass that is not
    /// valid or not the household's).
    #[error("{message}")]
    ProofRefused { message: String },
    /// SQLite failed.
    #[error("{message}")]
    Storage { message: String },
    /// The server could not be reached or answered badly; try again later.
    #[error("{message}")]
    Network { message: String },
    /// The server refused this device's token or enrolment code.
    #[error("{message}")]
    Unauthorized { message: String },
    /// The call was cancelled through its `CancelHandle`; the store is as before it (a
    /// sync keeps what it had committed).
    #[error("{message}")]
    Cancelled { message: String },
    /// A bug: a call panicked. The store is left as before the call.
    #[error("{message}")]
    Internal { message: String },
}

impl From<core::Error> for DoorstepError {
    fn from(e: core::Error) -> Self {
        let message = e.to_string();
        match e {
            core::Error::Invalid(_) => DoorstepError::Invalid { message },
            core::Error::NotFound { .. } => DoorstepError::NotFound { message },
            core::Error::WrongKey(_) => DoorstepError::WrongKey { message },
            core::Error::NotADatabase { .. } => DoorstepError::NotADatabase { message },
            core::Error::Corrupt { .. } => DoorstepError::Corrupt { message },
            core::Error::ReadOnly(_) => DoorstepError::ReadOnly { message },
            core::Error::TooNew { .. } => DoorstepError::TooNew { message },
            core::Error::Conflict(_) => DoorstepError::Conflict { message },
            // The message carries the JSON path; the apps treat it as any refused input.
            core::Error::Template { .. } => DoorstepError::Invalid { message },
            core::Error::Shortfall { .. } => DoorstepError::Shortfall { message },
            core::Error::ProofRefused(_) => DoorstepError::ProofRefused { message },
            core::Error::Cancelled => DoorstepError::Cancelled { message },
            core::Error::Storage(_) => DoorstepError::Storage { message },
            core::Error::Network(_) => DoorstepError::Network { message },
            core::Error::Unauthorized(_) => DoorstepError::Unauthorized { message },
        }
    }
}

/// Result of every exported call.
pub type Result<T> = std::result::Result<T, DoorstepError>;

/// Runs a core call, turning its error into `DoorstepError` and a panic into `Internal`,
/// so no panic crosses into Kotlin or Swift.
fn call<T>(f: impl FnOnce() -> core::Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(Into::into),
        Err(panic) => Err(internal(panic)),
    }
}

/// The `Internal` error for a caught panic, with the panic's message.
fn internal(panic: Box<dyn std::any::Any + Send>) -> DoorstepError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    DoorstepError::Internal {
        message: format!("internal error: {what}"),
    }
}

/// The phone's Doorstep: one encrypted store and every operation on it. One per store
/// file; share it between threads.
#[derive(uniffi::Object)]
pub struct Doorstep {
    inner: Arc<core::Doorstep>,
}

#[uniffi::export]
impl Doorstep {
    /// Opens (or creates) the store at `path` with the 32-byte key from the Keystore or
    /// Keychain. Blocks: milliseconds, up to a few seconds when an older store is
    /// upgraded.
    #[uniffi::constructor]
    pub fn open(path: String, key: Vec<u8>) -> Result<Arc<Doorstep>> {
        // The key is wiped from this copy once the store has it.
        let key = zeroize::Zeroizing::new(key);
        let inner = call(|| core::Doorstep::open(&path, &key))?;
        Ok(Arc::new(Doorstep {
            inner: Arc::new(inner),
        }))
    }

    /// This device's id. Does not block.
    pub fn device_id(&self) -> String {
        self.inner.device_id()
    }

    /// Local changes not yet acknowledged by the server. A read.
    pub fn pending_op_count(&self) -> Result<u64> {
        call(|| self.inner.pending_op_count())
    }

    /// Checks every page of the store; returns the problems found (empty when sound).
    /// A read over the whole file: a second or more on a large store.
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        call(|| self.inner.check_integrity())
    }
}

impl Doorstep {
    fn core(&self) -> &core::Doorstep {
        &self.inner
    }
}
