//! Admin accounts and dashboard sessions: in a small SQLite file beside the station's
//! store, or, with `--database`, in PostgreSQL for every node to share. Passwords are kept as argon2 hashes; a session cookie carries a random token
//! of which only the hash is kept, and each session has its own CSRF token.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rusqlite::Connection;

use super::{random_hex, StationError, StationResult};
use crate::storage::{Storage, StoreResult};
use crate::sync::enrol::hash;
pub use crate::sync::enrol::same_secret;

/// An Argon2 hash of a password with a fresh salt, in PHC form.
fn hash_password(password: &str) -> StationResult<String> {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|e| StationError::Io(format!("no randomness: {e}")))?;
    let salt =
        SaltString::encode_b64(&raw).map_err(|e| StationError::Invalid(format!("salt: {e}")))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StationError::Invalid(format!("cannot hash the password: {e}")))?
        .to_string())
}

/// The areas stored for an admin, or why they cannot be read. An empty list is the
/// station admin's, so a list that cannot be read never counts as one.
pub fn stored_areas(name: &str, json: &str) -> Result<Vec<String>, String> {
    serde_json::from_str::<Vec<String>>(json).map_err(|e| {
        tracing::error!(admin = %name, error = %e, "the stored areas of an admin cannot be read; refused");
        format!("the stored areas of admin {name} cannot be read ({e}); refused")
    })
}

/// How long a dashboard session lasts, ms.
pub const SESSION_TTL_MS: i64 = 12 * 3_600_000;

/// An admin: a station admin (no areas: everything) or a sub-admin limited to areas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub name: String,
    /// Area paths the admin may see and act in; empty for the station admin.
    pub areas: Vec<String>,
}

impl Admin {
    /// True when the admin may see everything.
    pub fn is_station_admin(&self) -> bool {
        self.areas.is_empty()
    }

    /// True when `path` is one of the admin's areas or below one.
    pub fn may_see(&self, path: &str) -> bool {
        self.is_station_admin()
            || self
                .areas
                .iter()
                .any(|a| path == a || path.starts_with(&format!("{a}/")))
    }
}

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub admin: Admin,
    pub csrf: String,
}

/// An admin as stored: the argon2 hash of the password, never the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRow {
    pub name: String,
    pub hash: String,
    pub areas: Vec<String>,
    pub created_at: i64,
}

/// A session as stored: the hash of its cookie token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: String,
    pub admin: String,
    pub csrf: String,
    pub expires_at: i64,
}

/// A live session as stored, with its admin's areas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub admin: String,
    pub csrf: String,
    pub areas: Vec<String>,
}

/// The admin accounts, sessions, settings and shared signing keys. On SQLite they are in
/// `admin.db` in the data folder; on PostgreSQL (`--database`) in the database, behind
/// the storage trait, so every node of a station sees the same admins and sessions.
pub struct Admins {
    backend: Backend,
    /// A hash of no one's password, checked for a name that has no account, so that a
    /// wrong name takes as long as a wrong password.
    decoy: OnceLock<String>,
    /// Passwords checked against an Argon2 hash, known names or not.
    checks: AtomicU64,
}

enum Backend {
    File(Mutex<Connection>),
    Shared {
        store: Arc<dyn Storage>,
        rt: tokio::runtime::Handle,
    },
}

/// Runs a storage call to its end from synchronous code, on a thread of its own so it
/// works from a runtime's thread as well as from a blocking one.
fn block<T: Send>(
    rt: &tokio::runtime::Handle,
    fut: impl std::future::Future<Output = StoreResult<T>> + Send,
) -> StationResult<T> {
    std::thread::scope(|s| s.spawn(|| rt.block_on(fut)).join())
        .map_err(|_| StationError::Io("a station state call panicked".into()))?
        .map_err(|e| StationError::Io(e.to_string()))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS admin (
    name       TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    areas      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS session (
    token_hash TEXT PRIMARY KEY,
    admin      TEXT NOT NULL REFERENCES admin(name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS station_key (
    key_id TEXT PRIMARY KEY,
    secret BLOB NOT NULL
);
";

/// The station state in an `admin.db` file: its SQL, for `Admins` and the SQLite storage.
pub mod file {
    use rusqlite::{params, Connection, OptionalExtension};

    use super::{AdminRow, SessionRow};

    /// Opens (or creates) the file.
    pub fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )?;
        conn.execute_batch(super::SCHEMA)?;
        Ok(conn)
    }

    /// Areas that cannot be read fail the row: never read as the station admin's none.
    fn areas(name: &str, json: &str) -> rusqlite::Result<Vec<String>> {
        super::stored_areas(name, json).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })
    }

    pub fn put_admin(c: &Connection, a: &AdminRow) -> rusqlite::Result<()> {
        let areas = serde_json::to_string(&a.areas).expect("strings serialise");
        c.execute(
            "INSERT INTO admin(name, hash, areas, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO UPDATE SET hash = excluded.hash, areas = excluded.areas",
            params![a.name, a.hash, areas, a.created_at],
        )?;
        Ok(())
    }

    pub fn admin(c: &Connection, name: &str) -> rusqlite::Result<Option<AdminRow>> {
        c.query_row(
            "SELECT name, hash, areas, created_at FROM admin WHERE name = ?1",
            [name],
            |r| {
                let name: String = r.get(0)?;
                Ok(AdminRow {
                    areas: areas(&name, &r.get::<_, String>(2)?)?,
                    name,
                    hash: r.get(1)?,
                    created_at: r.get(3)?,
                })
            },
        )
        .optional()
    }

    pub fn admin_count(c: &Connection) -> rusqlite::Result<u64> {
        Ok(c.query_row("SELECT count(*) FROM admin", [], |r| r.get::<_, i64>(0))? as u64)
    }

    pub fn start_session(c: &Connection, s: &SessionRow, now_ms: i64) -> rusqlite::Result<()> {
        c.execute("DELETE FROM session WHERE expires_at < ?1", [now_ms])?;
        c.execute(
            "INSERT INTO session(token_hash, admin, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![s.token_hash, s.admin, s.csrf, s.expires_at],
        )?;
        Ok(())
    }

    pub fn session(
        c: &Connection,
        token_hash: &str,
        now_ms: i64,
    ) -> rusqlite::Result<Option<super::LiveSession>> {
        let row: Option<(String, String, String)> = c
            .query_row(
                "SELECT s.admin, s.csrf, a.areas FROM session s JOIN admin a ON a.name = s.admin
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                params![token_hash, now_ms],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        // A session whose admin's areas cannot be read is no session (logged).
        Ok(row.and_then(|(admin, csrf, areas)| {
            let areas = super::stored_areas(&admin, &areas).ok()?;
            Some(super::LiveSession { admin, csrf, areas })
        }))
    }

    pub fn end_session(c: &Connection, token_hash: &str) -> rusqlite::Result<()> {
        c.execute("DELETE FROM session WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    pub fn setting_or(c: &Connection, key: &str, value: &str) -> rusqlite::Result<String> {
        c.execute(
            "INSERT INTO setting(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
            params![key, value],
        )?;
        c.query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| {
            r.get(0)
        })
    }

    pub fn station_keys(c: &Connection) -> rusqlite::Result<Vec<(String, Vec<u8>)>> {
        let mut stmt = c.prepare("SELECT key_id, secret FROM station_key ORDER BY key_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    pub fn put_station_key(c: &Connection, key_id: &str, secret: &[u8]) -> rusqlite::Result<()> {
        c.execute(
            "INSERT INTO station_key(key_id, secret) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![key_id, secret],
        )?;
        Ok(())
    }

    pub fn drop_station_key(c: &Connection, key_id: &str) -> rusqlite::Result<()> {
        c.execute("DELETE FROM station_key WHERE key_id = ?1", [key_id])?;
        Ok(())
    }
}

impl Admins {
    /// Opens (or creates) the admin file.
    pub fn open(path: &Path) -> StationResult<Admins> {
        Ok(Admins::with(Backend::File(Mutex::new(file::open(path)?))))
    }

    /// Admins kept in a storage that several nodes share (PostgreSQL); calls run on `rt`.
    pub fn shared(store: Arc<dyn Storage>, rt: tokio::runtime::Handle) -> Admins {
        Admins::with(Backend::Shared { store, rt })
    }

    fn with(backend: Backend) -> Admins {
        Admins {
            backend,
            decoy: OnceLock::new(),
            checks: AtomicU64::new(0),
        }
    }

    /// Whether these admins are shared through the storage with other nodes.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Shared { .. })
    }

    fn file(&self) -> Option<std::sync::MutexGuard<'_, Connection>> {
        match &self.backend {
            // SQLite rolls back a transaction cut short by a panic; the connection stays usable.
            Backend::File(c) => Some(c.lock().unwrap_or_else(|e| e.into_inner())),
            Backend::Shared { .. } => None,
        }
    }

    /// Creates an admin or sets a new password and areas for an existing one.
    pub fn put(
        &self,
        name: &str,
        password: &str,
        areas: &[String],
        now_ms: i64,
    ) -> StationResult<Admin> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(StationError::Invalid(
                "admin name must be 1 to 64 characters".into(),
            ));
        }
        if password.chars().count() < 8 {
            return Err(StationError::Invalid(
                "password must be at least 8 characters".into(),
            ));
        }
        let hashed = hash_password(password)?;
        let row = AdminRow {
            name: name.to_string(),
            hash: hashed,
            areas: areas.to_vec(),
            created_at: now_ms,
        };
        match &self.backend {
            Backend::File(_) => file::put_admin(&self.file().expect("a file"), &row)?,
            Backend::Shared { store, rt } => block(rt, store.put_admin(&row))?,
        }
        Ok(Admin {
            name: row.name,
            areas: row.areas,
        })
    }

    /// How many admins there are.
    pub fn count(&self) -> StationResult<u64> {
        match &self.backend {
            Backend::File(_) => Ok(file::admin_count(&self.file().expect("a file"))?),
            Backend::Shared { store, rt } => block(rt, store.admin_count()),
        }
    }

    /// The admin if the password is theirs; `None` for a wrong name or password alike.
    /// A name without an account costs one Argon2 check as well, so timing does not tell
    /// which names exist. Stored areas that cannot be read refuse the login (an error).
    pub fn verify(&self, name: &str, password: &str) -> StationResult<Option<Admin>> {
        let name = name.trim();
        let row = match &self.backend {
            Backend::File(_) => file::admin(&self.file().expect("a file"), name)?,
            Backend::Shared { store, rt } => block(rt, store.admin(name))?,
        };
        let stored = match &row {
            Some(r) => r.hash.as_str(),
            None => self.decoy()?,
        };
        let parsed = PasswordHash::new(stored)
            .map_err(|e| StationError::Invalid(format!("stored hash of {name}: {e}")))?;
        self.checks.fetch_add(1, Ordering::Relaxed);
        let right = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(row.filter(|_| right).map(|row| Admin {
            name: row.name,
            areas: row.areas,
        }))
    }

    /// How many passwords were checked against an Argon2 hash, names known or not.
    pub fn password_checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// The hash checked for names without an account: of a random password nobody
    /// knows, made with the same parameters as every account's.
    fn decoy(&self) -> StationResult<&str> {
        if let Some(h) = self.decoy.get() {
            return Ok(h);
        }
        let made = hash_password(&random_hex(16)?)?;
        Ok(self.decoy.get_or_init(|| made))
    }

    /// Starts a session; returns the cookie token.
    pub fn start_session(&self, admin: &Admin, now_ms: i64) -> StationResult<String> {
        let token = random_hex(32)?;
        let row = SessionRow {
            token_hash: hash(&token),
            admin: admin.name.clone(),
            csrf: random_hex(16)?,
            expires_at: now_ms + SESSION_TTL_MS,
        };
        match &self.backend {
            Backend::File(_) => file::start_session(&self.file().expect("a file"), &row, now_ms)?,
            Backend::Shared { store, rt } => block(rt, store.start_session(&row, now_ms))?,
        }
        Ok(token)
    }

    /// The live session a cookie token belongs to; a session whose admin's stored areas
    /// cannot be read is none (and logged), never the whole station.
    pub fn session(&self, token: &str, now_ms: i64) -> StationResult<Option<Session>> {
        let token_hash = hash(token);
        let live = match &self.backend {
            Backend::File(_) => file::session(&self.file().expect("a file"), &token_hash, now_ms)?,
            Backend::Shared { store, rt } => block(rt, store.session(&token_hash, now_ms))?,
        };
        Ok(live.map(|l| Session {
            admin: Admin {
                name: l.admin,
                areas: l.areas,
            },
            csrf: l.csrf,
        }))
    }

    /// Ends a session.
    pub fn end_session(&self, token: &str) -> StationResult<()> {
        let token_hash = hash(token);
        match &self.backend {
            Backend::File(_) => file::end_session(&self.file().expect("a file"), &token_hash)?,
            Backend::Shared { store, rt } => block(rt, store.end_session(&token_hash))?,
        }
        Ok(())
    }

    /// A setting, made with `make` the first time it is asked for (the first node to ask
    /// sets it for all).
    pub fn setting_or(
        &self,
        key: &str,
        make: impl FnOnce() -> StationResult<String>,
    ) -> StationResult<String> {
        let fresh = make()?;
        match &self.backend {
            Backend::File(_) => Ok(file::setting_or(
                &self.file().expect("a file"),
                key,
                &fresh,
            )?),
            Backend::Shared { store, rt } => block(rt, store.setting_or(key, &fresh)),
        }
    }

    /// The station's signing keys kept here for every node: (key id, secret).
    pub fn station_keys(&self) -> StationResult<Vec<(String, Vec<u8>)>> {
        match &self.backend {
            Backend::File(_) => Ok(file::station_keys(&self.file().expect("a file"))?),
            Backend::Shared { store, rt } => block(rt, store.station_keys()),
        }
    }

    /// Keeps a signing key for every node.
    pub fn put_station_key(&self, key_id: &str, secret: &[u8]) -> StationResult<()> {
        match &self.backend {
            Backend::File(_) => {
                file::put_station_key(&self.file().expect("a file"), key_id, secret)?
            }
            Backend::Shared { store, rt } => block(rt, store.put_station_key(key_id, secret))?,
        }
        Ok(())
    }

    /// Forgets a retired signing key everywhere.
    pub fn drop_station_key(&self, key_id: &str) -> StationResult<()> {
        match &self.backend {
            Backend::File(_) => file::drop_station_key(&self.file().expect("a file"), key_id)?,
            Backend::Shared { store, rt } => block(rt, store.drop_station_key(key_id))?,
        }
        Ok(())
    }
}
