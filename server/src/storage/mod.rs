//! Server storage behind one trait, with SQLite (the default, one file in the data
//! folder) and PostgreSQL (several server nodes on one database) implementations. The
//! sync rules live above it, in `crate::sync`; a storage only keeps and finds.

mod postgres;
mod sqlite;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use doorstep_core::log::Op;
use doorstep_core::sync::Role;

pub use postgres::PostgresStorage;
pub use sqlite::SqliteStorage;

/// An enrolled device and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub device_id: String,
    pub user: String,
    pub role: Role,
    /// Area paths; empty for a station admin.
    pub areas: Vec<String>,
    pub token_expires_at: i64,
    pub revoked: bool,
}

/// A one-time enrolment code as stored: only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrolment {
    /// A random id to name the code by in lists (never the code or its hash).
    pub id: String,
    pub code_hash: String,
    pub user: String,
    pub role: Role,
    pub areas: Vec<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// How long the device token it yields lasts.
    pub token_ttl_ms: i64,
}

/// An enrolment code as an admin issued it; the code itself is known only to whoever was
/// given it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub id: String,
    pub user: String,
    pub role: Role,
    pub areas: Vec<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// The device the code enrolled.
    pub used_by: Option<String>,
    pub cancelled_at: Option<i64>,
}

/// An enrolled device with when it was enrolled and revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub device: Device,
    pub enrolled_at: i64,
    pub revoked_at: Option<i64>,
}

/// An accepted op and the area path it was placed in ('' for station-wide).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOp {
    pub op: Op,
    pub area: String,
    /// The blob the op names (a handoff's photo or signature), if any.
    pub blob: Option<String>,
}

/// What a device may pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullFilter {
    /// Entities the role reads.
    pub entities: Vec<String>,
    /// Area paths (and everything below); `None` for every area.
    pub areas: Option<Vec<String>>,
    /// Paths above the device's areas, whose `area` rows it also gets.
    pub ancestors: Vec<String>,
    /// The device itself: its own ops are already on it.
    pub exclude_device: String,
}

/// One page of a pull: ops with their sequence, and the highest sequence stored when
/// the page was read (every op up to it was visible to the read).
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub ops: Vec<(i64, Op)>,
    pub high_water: i64,
}

/// A stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub size: u64,
    pub mime: String,
}

/// One part of a device's upload of a blob: `bytes` from `offset` of `total`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPart {
    pub hash: String,
    pub device: String,
    pub offset: u64,
    pub total: u64,
    pub mime: String,
    pub bytes: Vec<u8>,
    pub now_ms: i64,
}

impl UploadPart {
    /// Checks that this part goes on where an upload holding `received` bytes of `total`
    /// stands, and returns the bytes it will hold after it.
    pub fn follows(&self, received: u64, total: u64) -> StoreResult<u64> {
        if self.offset != received {
            return Err(StoreError::UploadOffset { received });
        }
        if self.total != total {
            return Err(StoreError::UploadLength { total });
        }
        Ok(received + self.bytes.len() as u64)
    }
}

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no enrolment code like that")]
    CodeUnknown,
    #[error("the enrolment code has expired")]
    CodeExpired,
    #[error("the enrolment code has already been used")]
    CodeUsed,
    /// A part that does not start where the device's upload stands.
    #[error("this upload holds {received} bytes, so the next part starts at byte {received}")]
    UploadOffset { received: u64 },
    /// A part that gives another total than the upload's first part did.
    #[error("this upload was started with a total of {total} bytes")]
    UploadLength { total: u64 },
    #[error("the enrolment code was cancelled at the station")]
    CodeCancelled,
    /// An enrolment naming a device id that is enrolled already, without its token.
    #[error(
        "device {0} is enrolled already; a device enrols again only with proof of its own token"
    )]
    DeviceExists(String),
    /// A revoked device trying to enrol again.
    #[error("device {0} was revoked; a revoked device stays revoked (a new install has a new device id)")]
    DeviceRevoked(String),
    #[error("storage: {0}")]
    Backend(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(format!("sqlite: {e}"))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        // The error's own text is often just "db error"; the cause is in the server's
        // answer (message, detail, SQLSTATE) or further down the chain.
        if let Some(db) = e.as_db_error() {
            let mut m = format!(
                "postgres: {}: {} (SQLSTATE {})",
                db.severity(),
                db.message(),
                db.code().code()
            );
            if let Some(d) = db.detail() {
                m.push_str(&format!("; {d}"));
            }
            if let Some(w) = db.where_() {
                m.push_str(&format!("; where: {w}"));
            }
            return StoreError::Backend(m);
        }
        let mut m = format!("postgres: {e}");
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            m.push_str(&format!(": {c}"));
            cause = c.source();
        }
        StoreError::Backend(m)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Backend(format!("stored JSON: {e}"))
    }
}

/// Result of storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Where the server keeps everything. Implementations hold no state of their own beyond
/// connections, so several server processes may share one database.
#[async_trait::async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Which backend this is, for logs (`sqlite`, `postgres`).
    fn kind(&self) -> &'static str;

    /// Stores a new enrolment code.
    async fn create_enrolment(&self, e: NewEnrolment) -> StoreResult<()>;

    /// Uses up a code and enrols `device_id` with `token_hash`, atomically: a code works
    /// once. A device id enrolled already is enrolled again (new token and scope) only
    /// when `renewing` is the hash of the token it holds now and it is not revoked; else
    /// `DeviceExists` or `DeviceRevoked`, and the code stays unused.
    async fn redeem_enrolment(
        &self,
        code_hash: &str,
        device_id: &str,
        token_hash: &str,
        renewing: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<Device>;

    /// The device holding a token, revoked or not.
    async fn device_by_token(&self, token_hash: &str) -> StoreResult<Option<Device>>;

    /// The hash of the token an enrolled device holds now.
    async fn device_token_hash(&self, device_id: &str) -> StoreResult<Option<String>>;

    /// Revokes a device's token; false if no such device.
    async fn revoke_device(&self, device_id: &str, now_ms: i64) -> StoreResult<bool>;

    /// The newest `limit` enrolment codes, newest first, used or not.
    async fn enrolments(&self, limit: u32) -> StoreResult<Vec<Enrolment>>;

    /// Cancels a code not used yet, so it enrols nothing; false when there is no such
    /// code, or it was used or cancelled already.
    async fn cancel_enrolment(&self, id: &str, now_ms: i64) -> StoreResult<bool>;

    /// Every enrolled device, the most recently enrolled first.
    async fn devices(&self) -> StoreResult<Vec<DeviceRecord>>;

    /// Which of these op ids are already stored.
    async fn known_ops(&self, ids: &[String]) -> StoreResult<HashSet<String>>;

    /// The area paths of these (entity, id) rows, for those placed already.
    async fn areas_of(
        &self,
        keys: &[(String, String)],
    ) -> StoreResult<HashMap<(String, String), String>>;

    /// Stores ops not stored yet (others are skipped), giving each the next sequence and
    /// recording where its row lives. All or nothing.
    async fn insert_ops(&self, ops: &[StoredOp], now_ms: i64) -> StoreResult<u64>;

    /// Records where rows live without storing an op: an area refused to this device
    /// still places the rows that name it, so they are refused too instead of waiting.
    async fn place_rows(&self, rows: &[(String, String, String)]) -> StoreResult<()>;

    /// Up to `limit` ops after `after` that pass `filter`, in sequence order.
    async fn pull(&self, filter: &PullFilter, after: i64, limit: u32) -> StoreResult<Page>;

    /// How many ops are stored.
    async fn op_count(&self) -> StoreResult<u64>;

    /// A complete blob's size and type.
    async fn blob_meta(&self, hash: &str) -> StoreResult<Option<BlobMeta>>;

    /// Up to `len` bytes of a complete blob from `start`.
    async fn blob_range(&self, hash: &str, start: u64, len: u64) -> StoreResult<Option<Vec<u8>>>;

    /// Whether `device` stored the blob, or may pull (with `filter`) an op that names it.
    async fn blob_readable(
        &self,
        hash: &str,
        device: &str,
        filter: &PullFilter,
    ) -> StoreResult<bool>;

    /// Bytes of `device`'s unfinished upload of a blob (0 if none).
    async fn upload_received(&self, hash: &str, device: &str) -> StoreResult<u64>;

    /// Adds a part to `device`'s upload, which must start where the upload stands
    /// (`UploadOffset` otherwise) and give the same total. Returns the bytes held now.
    async fn append_upload(&self, part: UploadPart) -> StoreResult<u64>;

    /// Every byte of `device`'s upload, in order.
    async fn upload_bytes(&self, hash: &str, device: &str) -> StoreResult<Vec<u8>>;

    /// Ends `device`'s upload: with `keep`, its bytes become the blob (a blob already
    /// complete stays as it is); without, they are dropped.
    async fn finish_upload(
        &self,
        hash: &str,
        device: &str,
        keep: Option<(&str, &[u8])>,
        now_ms: i64,
    ) -> StoreResult<()>;

    // The station's own state, which every node of a station shares: dashboard admins
    // and sessions, settings, and pass-signing keys (`station::auth::Admins` over it).

    /// Creates an admin or replaces its hash and areas.
    async fn put_admin(&self, admin: &AdminRow) -> StoreResult<()>;

    /// An admin by name.
    async fn admin(&self, name: &str) -> StoreResult<Option<AdminRow>>;

    /// How many admins there are.
    async fn admin_count(&self) -> StoreResult<u64>;

    /// Stores a new session, and drops those expired by `now_ms`.
    async fn start_session(&self, session: &SessionRow, now_ms: i64) -> StoreResult<()>;

    /// The session of a token hash, if live at `now_ms`, with its admin's areas.
    async fn session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<LiveSession>>;

    /// Ends a session.
    async fn end_session(&self, token_hash: &str) -> StoreResult<()>;

    /// The setting `key`; stores `value` first if there is none (the first writer wins).
    async fn setting_or(&self, key: &str, value: &str) -> StoreResult<String>;

    /// The station's signing keys kept for every node: (key id, secret).
    async fn station_keys(&self) -> StoreResult<Vec<(String, Vec<u8>)>>;

    /// Keeps a signing key (a key id kept already stays as it is).
    async fn put_station_key(&self, key_id: &str, secret: &[u8]) -> StoreResult<()>;

    /// Forgets a signing key.
    async fn drop_station_key(&self, key_id: &str) -> StoreResult<()>;
}

pub use crate::station::auth::{AdminRow, LiveSession, SessionRow};

/// Opens the storage: PostgreSQL when `database` is a `postgres://` URL, else SQLite in
/// `data` (created if missing).
pub async fn open(data: &Path, database: Option<&str>) -> StoreResult<Arc<dyn Storage>> {
    match database {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PostgresStorage::connect(url).await?))
        }
        Some(other) => Err(StoreError::Backend(format!(
            "database {other:?} is not a postgres:// URL (leave it out for SQLite in --data)"
        ))),
        None => {
            std::fs::create_dir_all(data).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", data.display()))
            })?;
            Ok(Arc::new(SqliteStorage::open(&data.join("doorstep.db"))?))
        }
    }
}

/// Whether an enrolment may go on for `device_id`, given the token hash and revocation
/// stored for it (none for a new device) and the hash the enrolment proved it holds.
pub(crate) fn may_enrol_again(
    device_id: &str,
    held: Option<(String, Option<i64>)>,
    renewing: Option<&str>,
) -> StoreResult<()> {
    match held {
        None => Ok(()),
        Some((_, Some(_))) => Err(StoreError::DeviceRevoked(device_id.to_string())),
        Some((hash, None)) if renewing == Some(hash.as_str()) => Ok(()),
        Some(_) => Err(StoreError::DeviceExists(device_id.to_string())),
    }
}

pub(crate) fn role_from(code: &str) -> StoreResult<Role> {
    Role::parse(code).ok_or_else(|| StoreError::Backend(format!("stored role {code:?} is unknown")))
}
