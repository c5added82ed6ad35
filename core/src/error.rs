//! The one error type of doorstep-core; each case says what went wrong and with what.

use std::path::PathBuf;

/// Everything a Doorstep operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument or a record was refused; the message names the field and the problem.
    #[error("{0}")]
    Invalid(String),
    /// A referenced record does not exist (or was deleted).
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    /// The database exists but the key does not open it.
    #[error("the key does not open the database at {0}")]
    WrongKey(PathBuf),
    /// The file is not a Doorstep database at all.
    #[error("{path} is not a Doorstep database: {reason}")]
    NotADatabase { path: PathBuf, reason: String },
    /// The file is a database but damaged: truncated, or pages fail their checks.
    #[error("the database at {path} is damaged: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// The database or its folder cannot be written.
    #[error("the database location {0} is read-only")]
    ReadOnly(PathBuf),
    /// The database was written by a newer Doorstep; it is left untouched.
    #[error("the database has schema version {found}, newer than the {supported} this Doorstep knows; it was not changed")]
    TooNew { found: i64, supported: i64 },
    /// A change conflicts with the current state (for example a step out of order).
    #[error("{0}")]
    Conflict(String),
    /// A checklist template was refused; `path` is the JSON path of the problem
    /// (`$.questions[3].show_if.question`), so a station admin knows what to fix.
    #[error("template {path}: {reason}")]
    Template { path: String, reason: String },
    /// Stock would go below zero: the item, how much was asked and how much there is.
    #[error("stock of {item} is {available}, {needed} needed: short by {}", needed - available)]
    Shortfall {
        item: String,
        needed: i64,
        available: i64,
    },
    /// The proof offered for a handoff was refused (a wrong or locked delivery PIN, a pass
    /// that is not valid or not the household's).
    #[error("{0}")]
    ProofRefused(String),
    /// The server could not be reached, or answered with something unusable; safe to
    /// retry later, nothing accepted was lost.
    #[error("network: {0}")]
    Network(String),
    /// The server refused the device's credentials (unknown, expired or revoked token,
    /// or an enrolment code that does not work); the message says which.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller cancelled the call; the store is as it was before it (a sync keeps
    /// what it had committed).
    #[error("cancelled")]
    Cancelled,
    /// SQLite failed in a way no case above explains.
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The case's name, for log lines: messages can quote what was refused (a name, a
    /// phone), the case never does.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::NotFound { .. } => "not_found",
            Error::WrongKey(_) => "wrong_key",
            Error::NotADatabase { .. } => "not_a_database",
            Error::Corrupt { .. } => "corrupt",
            Error::ReadOnly(_) => "read_only",
            Error::TooNew { .. } => "too_new",
            Error::Conflict(_) => "conflict",
            Error::Template { .. } => "template",
            Error::Shortfall { .. } => "shortfall",
            Error::ProofRefused(_) => "proof_refused",
            Error::Network(_) => "network",
            Error::Unauthorized(_) => "unauthorized",
            Error::Cancelled => "cancelled",
            Error::Storage(_) => "storage",
        }
    }

    /// An `Invalid` error from anything printable.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    /// A `NotFound` error for a record kind and id.
    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        Error::NotFound {
            kind,
            id: id.into(),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Invalid(format!("malformed JSON: {e}"))
    }
}
