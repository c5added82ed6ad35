//! Admin accounts and dashboard sessions, in a small SQLite file beside the station's
//! store. Passwords are kept as argon2 hashes; a session cookie carries a random token
//! of which only the hash is kept, and each session has its own CSRF token.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rusqlite::{params, Connection, OptionalExtension};

use super::{random_hex, StationError, StationResult};
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

/// The admin accounts and sessions.
pub struct Admins {
    conn: Mutex<Connection>,
    /// A hash of no one's password, checked for a name that has no account, so that a
    /// wrong name takes as long as a wrong password.
    decoy: OnceLock<String>,
    /// Passwords checked against an Argon2 hash, known names or not.
    checks: AtomicU64,
}

/// The areas stored for an admin, or why they cannot be read. An empty list is the
/// station admin's, so a list that cannot be read never counts as one.
fn stored_areas(name: &str, json: &str) -> StationResult<Vec<String>> {
    serde_json::from_str::<Vec<String>>(json).map_err(|e| {
        tracing::error!(admin = %name, error = %e, "the stored areas of an admin cannot be read; refused");
        StationError::Invalid(format!(
            "the stored areas of admin {name} cannot be read ({e}); refused"
        ))
    })
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
";

impl Admins {
    /// Opens (or creates) the admin file.
    pub fn open(path: &Path) -> StationResult<Admins> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )?;
        conn.execute_batch(SCHEMA)?;
        Ok(Admins {
            conn: Mutex::new(conn),
            decoy: OnceLock::new(),
            checks: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // SQLite rolls back a transaction cut short by a panic; the connection stays usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
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
        let areas_json = serde_json::to_string(areas).expect("strings serialise");
        self.lock().execute(
            "INSERT INTO admin(name, hash, areas, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO UPDATE SET hash = excluded.hash, areas = excluded.areas",
            params![name, hashed, areas_json, now_ms],
        )?;
        Ok(Admin {
            name: name.to_string(),
            areas: areas.to_vec(),
        })
    }

    /// How many admins there are.
    pub fn count(&self) -> StationResult<u64> {
        Ok(self
            .lock()
            .query_row("SELECT count(*) FROM admin", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// The admin if the password is theirs; `None` for a wrong name or password alike.
    /// A name without an account costs one Argon2 check as well, so timing does not tell
    /// which names exist. Stored areas that cannot be read refuse the login (an error).
    pub fn verify(&self, name: &str, password: &str) -> StationResult<Option<Admin>> {
        let row: Option<(String, String)> = self
            .lock()
            .query_row(
                "SELECT hash, areas FROM admin WHERE name = ?1",
                [name.trim()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let stored = match &row {
            Some((hash, _)) => hash.as_str(),
            None => self.decoy()?,
        };
        let parsed = PasswordHash::new(stored)
            .map_err(|e| StationError::Invalid(format!("stored hash of {name}: {e}")))?;
        self.checks.fetch_add(1, Ordering::Relaxed);
        let right = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        let Some((_, areas)) = row.filter(|_| right) else {
            return Ok(None);
        };
        Ok(Some(Admin {
            name: name.trim().to_string(),
            areas: stored_areas(name.trim(), &areas)?,
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
        let csrf = random_hex(16)?;
        let conn = self.lock();
        conn.execute("DELETE FROM session WHERE expires_at < ?1", [now_ms])?;
        conn.execute(
            "INSERT INTO session(token_hash, admin, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash(&token), admin.name, csrf, now_ms + SESSION_TTL_MS],
        )?;
        Ok(token)
    }

    /// The live session a cookie token belongs to; a session whose admin's stored areas
    /// cannot be read is none (and logged), never the whole station.
    pub fn session(&self, token: &str, now_ms: i64) -> StationResult<Option<Session>> {
        let row: Option<(String, String, String)> = self
            .lock()
            .query_row(
                "SELECT s.admin, s.csrf, a.areas FROM session s JOIN admin a ON a.name = s.admin
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                params![hash(token), now_ms],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((name, csrf, areas)) = row else {
            return Ok(None);
        };
        let Ok(areas) = stored_areas(&name, &areas) else {
            return Ok(None);
        };
        Ok(Some(Session {
            admin: Admin { name, areas },
            csrf,
        }))
    }

    /// Ends a session.
    pub fn end_session(&self, token: &str) -> StationResult<()> {
        self.lock()
            .execute("DELETE FROM session WHERE token_hash = ?1", [hash(token)])?;
        Ok(())
    }

    /// A setting, made with `make` the first time it is asked for.
    pub fn setting_or(
        &self,
        key: &str,
        make: impl FnOnce() -> StationResult<String>,
    ) -> StationResult<String> {
        let conn = self.lock();
        if let Some(v) = conn
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?
        {
            return Ok(v);
        }
        let v = make()?;
        conn.execute(
            "INSERT INTO setting(key, value) VALUES (?1, ?2)",
            params![key, v],
        )?;
        Ok(v)
    }
}
