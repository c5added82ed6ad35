//! Admin accounts and dashboard sessions, in a small SQLite file beside the station's
//! store. Passwords are kept as argon2 hashes; a session cookie carries a random token
//! of which only the hash is kept, and each session has its own CSRF token.

use std::path::Path;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rusqlite::{params, Connection, OptionalExtension};

use super::{random_hex, StationError, StationResult};
use crate::sync::enrol::hash;

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
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw).map_err(|e| StationError::Io(format!("no randomness: {e}")))?;
        let salt = SaltString::encode_b64(&raw)
            .map_err(|e| StationError::Invalid(format!("salt: {e}")))?;
        let hashed = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| StationError::Invalid(format!("cannot hash the password: {e}")))?
            .to_string();
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
    pub fn verify(&self, name: &str, password: &str) -> StationResult<Option<Admin>> {
        let row: Option<(String, String)> = self
            .lock()
            .query_row(
                "SELECT hash, areas FROM admin WHERE name = ?1",
                [name.trim()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((stored, areas)) = row else {
            return Ok(None);
        };
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| StationError::Invalid(format!("stored hash of {name}: {e}")))?;
        if Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            return Ok(None);
        }
        Ok(Some(Admin {
            name: name.trim().to_string(),
            areas: serde_json::from_str(&areas).unwrap_or_default(),
        }))
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

    /// The live session a cookie token belongs to.
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
        Ok(row.map(|(name, csrf, areas)| Session {
            admin: Admin {
                name,
                areas: serde_json::from_str(&areas).unwrap_or_default(),
            },
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
