//! The encrypted SQLite file: opening it with its key, telling apart the ways that can
//! fail, and bringing its schema up to date.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::{Error, Result};

mod checkpoint;
mod cipher;
pub use checkpoint::Checkpointer;

/// Bytes in a store key; the apps keep it in the Android Keystore or iOS Keychain.
pub const KEY_LEN: usize = 32;

/// SQLCipher 4's page size: an intact file is a whole number of these.
const PAGE_SIZE: u64 = 4096;

/// Schema migrations, applied in order; the schema version is their count.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_visits.sql"),
    include_str!("../../migrations/0003_checkin.sql"),
    include_str!("../../migrations/0004_deliveries.sql"),
    include_str!("../../migrations/0005_sync.sql"),
    include_str!("../../migrations/0006_blob_download.sql"),
    include_str!("../../migrations/0007_visit_stale_lookups.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Opens (or creates) the database at `path` with `key`, checks it and migrates it.
/// Any failure leaves the file on disk as it was.
pub fn open(path: &Path, key: &[u8]) -> Result<Connection> {
    check_key(key)?;
    if path.as_os_str().is_empty() {
        return Err(Error::invalid("database path must not be empty"));
    }
    let existing = inspect(path, true)?;
    let flags = if existing.is_some() {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    set_key(&conn, key)?;

    if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        return Err(classify_read_error(path, existing.as_ref(), e));
    }
    if let Some(f) = existing.as_ref().filter(|f| f.len % PAGE_SIZE != 0) {
        // The key opened page 1, so this is our file, cut short.
        return Err(corrupt(
            path,
            &format!(
                "{} bytes is not a whole number of {PAGE_SIZE}-byte pages (truncated?)",
                f.len
            ),
        ));
    }
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Error::TooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    conn.busy_timeout(Duration::from_secs(5))?;
    // Each domain keeps a few dozen statements hot; the default cache of 16 would churn.
    conn.set_prepared_statement_cache_capacity(128);
    set_cache_mib(&conn, CACHE_MIB)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(|e| write_error(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::ReadOnly(path.to_path_buf()));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    migrate(&conn, version).map_err(|e| match e {
        Error::Storage(s) => write_error(path, s),
        other => other,
    })?;
    tracing::info!(
        target: "doorstep::store",
        found = version,
        now = SCHEMA_VERSION,
        new = existing.is_none(),
        "store opened"
    );
    Ok(conn)
}

/// A second connection to a store `open` has just opened, for reads only: the store's
/// reads use it so that they never wait behind a write on the first (WAL lets it see the
/// last commit meanwhile). `query_only` refuses any write on it.
pub fn open_reader(path: &Path, key: &[u8]) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(path, e))?;
    set_key(&conn, key)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(128);
    set_cache_mib(&conn, CACHE_MIB)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "query_only", "ON")?;
    Ok(conn)
}

/// Opens (or creates) a small side file next to the store, `<store>-<suffix>`, encrypted
/// with the store's key, for what must outlive a crash while the store's writer is busy.
pub fn open_side(path: &Path, suffix: &str, key: &[u8]) -> Result<Connection> {
    let mut name = path.as_os_str().to_owned();
    name.push(format!("-{suffix}"));
    let side = PathBuf::from(name);
    let conn = Connection::open_with_flags(
        &side,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(&side, e))?;
    set_key(&conn, key)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

/// Opens an existing store file with `key` only to read it: nothing is migrated or
/// written, so a copy (a backup) can be read where it lies, even on read-only media.
/// Fails as `open` does: `WrongKey`, `NotADatabase`, `Corrupt`, `TooNew`.
pub fn open_read_only(path: &Path, key: &[u8]) -> Result<Connection> {
    check_key(key)?;
    let existing = match inspect(path, false)? {
        Some(e) => e,
        None if path.exists() => return Err(not_a_database(path, "it is empty")),
        None => {
            return Err(Error::invalid(format!(
                "there is no file at {}",
                path.display()
            )))
        }
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(path, e))?;
    set_key(&conn, key)?;
    if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        return Err(classify_read_error(path, Some(&existing), e));
    }
    if existing.len % PAGE_SIZE != 0 {
        return Err(corrupt(
            path,
            &format!(
                "{} bytes is not a whole number of {PAGE_SIZE}-byte pages (truncated?)",
                existing.len
            ),
        ));
    }
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Error::TooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(conn)
}

/// Copies the open store `src` into a new file at `dest` with SQLite's online backup
/// API, in one step: the copy is the store as of one moment, and other connections go
/// on writing meanwhile (WAL). The copy is keyed with `key` and authenticates its pages
/// as every store does, so `open` and `open_read_only` open it; it is left in
/// rollback-journal mode, one file with nothing beside it. Returns the copy's
/// connection for a caller that adds to it. An existing `dest` is refused, and a copy
/// that fails is removed.
pub fn copy_to(src: &Connection, dest: &Path, key: &[u8]) -> Result<Connection> {
    check_key(key)?;
    if dest.exists() {
        return Err(Error::invalid(format!(
            "{} exists already; a copy never overwrites",
            dest.display()
        )));
    }
    let made = Connection::open_with_flags(
        dest,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| write_error(dest, e))
    .and_then(|mut out| {
        set_key(&out, key)?;
        {
            let backup = rusqlite::backup::Backup::new(src, &mut out)?;
            // All pages in one step: a step that leaves pages for later starts over
            // whenever another connection writes in between.
            match backup.step(-1)? {
                rusqlite::backup::StepResult::Done => {}
                other => {
                    return Err(Error::invalid(format!(
                        "the copy to {} did not finish: {other:?}",
                        dest.display()
                    )))
                }
            }
        }
        let _: String =
            out.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
        Ok(out)
    });
    if made.is_err() {
        let _ = fs::remove_file(dest);
    }
    made
}

fn check_key(key: &[u8]) -> Result<()> {
    if key.len() != KEY_LEN {
        return Err(Error::invalid(format!(
            "key must be {KEY_LEN} bytes, got {}",
            key.len()
        )));
    }
    Ok(())
}

/// What was on disk before opening: its length and first page, or `None` for a new file.
struct Existing {
    len: u64,
    head: Vec<u8>,
}

/// `for_writing`: a file the process may not write is refused as read-only.
fn inspect(path: &Path, for_writing: bool) -> Result<Option<Existing>> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            return match fs::metadata(parent) {
                Ok(m) if !m.is_dir() => Err(Error::invalid(format!(
                    "{} is not a folder",
                    parent.display()
                ))),
                Ok(m) if m.permissions().readonly() => Err(Error::ReadOnly(path.to_path_buf())),
                Ok(_) => Ok(None),
                Err(e) => Err(Error::invalid(format!(
                    "folder {} cannot be used: {e}",
                    parent.display()
                ))),
            };
        }
        Err(e) => {
            return Err(Error::invalid(format!(
                "{} cannot be read: {e}",
                path.display()
            )))
        }
    };
    if meta.is_dir() {
        return Err(not_a_database(path, "it is a folder"));
    }
    if for_writing && meta.permissions().readonly() {
        return Err(Error::ReadOnly(path.to_path_buf()));
    }
    if meta.len() == 0 {
        // An empty file is what an interrupted first open leaves; SQLite starts it afresh.
        return Ok(None);
    }
    let mut head = Vec::with_capacity(PAGE_SIZE as usize);
    fs::File::open(path)
        .and_then(|f| f.take(PAGE_SIZE).read_to_end(&mut head))
        .map_err(|e| Error::invalid(format!("{} cannot be read: {e}", path.display())))?;
    if head.starts_with(b"SQLite format 3\0") {
        return Err(not_a_database(path, "it is an unencrypted SQLite database"));
    }
    if looks_like_text(&head) {
        return Err(not_a_database(
            path,
            "it holds text, not an encrypted database",
        ));
    }
    if meta.len() < PAGE_SIZE {
        return Err(not_a_database(
            path,
            &format!("{} bytes is shorter than one page", meta.len()),
        ));
    }
    Ok(Some(Existing {
        len: meta.len(),
        head,
    }))
}

/// Tells apart a wrong key, a damaged file and a foreign file after the first read failed.
fn classify_read_error(path: &Path, existing: Option<&Existing>, e: rusqlite::Error) -> Error {
    let code = e.sqlite_error_code();
    match (code, existing) {
        (Some(ErrorCode::DatabaseCorrupt), _) => corrupt(path, "a page failed its checks"),
        (Some(ErrorCode::NotADatabase), Some(f)) if f.len % PAGE_SIZE != 0 => corrupt(
            path,
            &format!(
                "{} bytes is not a whole number of {PAGE_SIZE}-byte pages (truncated?)",
                f.len
            ),
        ),
        (Some(ErrorCode::NotADatabase), Some(f)) if f.head.len() as u64 == PAGE_SIZE => {
            Error::WrongKey(path.to_path_buf())
        }
        (Some(ErrorCode::NotADatabase), _) => not_a_database(path, "it cannot be decrypted"),
        _ => open_error(path, e),
    }
}

/// Names a failure of the first reads after `open` as `open` names its own: a damaged
/// page met there makes the file corrupt rather than a storage fault.
pub fn opening_error(path: &Path, e: Error) -> Error {
    match e {
        Error::Storage(e) => open_error(path, e),
        other => other,
    }
}

fn open_error(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::ReadOnly) => Error::ReadOnly(path.to_path_buf()),
        Some(ErrorCode::CannotOpen) => Error::invalid(format!(
            "the database at {} cannot be opened: {e}",
            path.display()
        )),
        Some(ErrorCode::DatabaseCorrupt) => corrupt(path, &e.to_string()),
        Some(ErrorCode::NotADatabase) => not_a_database(path, &e.to_string()),
        _ => Error::Storage(e),
    }
}

fn write_error(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::ReadOnly) | Some(ErrorCode::CannotOpen) => {
            Error::ReadOnly(path.to_path_buf())
        }
        _ => open_error(path, e),
    }
}

fn corrupt(path: &Path, reason: &str) -> Error {
    Error::Corrupt {
        path: PathBuf::from(path),
        reason: reason.to_string(),
    }
}

fn not_a_database(path: &Path, reason: &str) -> Error {
    Error::NotADatabase {
        path: PathBuf::from(path),
        reason: reason.to_string(),
    }
}

/// Encrypted pages are indistinguishable from noise; a page of text is some other file.
fn looks_like_text(head: &[u8]) -> bool {
    // A multi-byte character may be cut at the end of the first page.
    !head.contains(&0)
        && match std::str::from_utf8(head) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none(),
        }
}

/// Begins a write transaction holding the write lock from its start. A deferred one that
/// read first fails at once, busy timeout or not, when another connection to the file
/// (a second station server, a backup) committed in between.
pub fn immediate(conn: &Connection) -> Result<rusqlite::Transaction<'_>> {
    Ok(rusqlite::Transaction::new_unchecked(
        conn,
        rusqlite::TransactionBehavior::Immediate,
    )?)
}

/// Creates a new store at `path` with the schema an earlier build wrote, migrated only up
/// to `version`: for tests that show a store of that build opens with this one and keeps
/// every row. An existing file is refused.
pub fn create_at_version(path: &Path, key: &[u8], version: i64) -> Result<Connection> {
    check_key(key)?;
    if !(1..=SCHEMA_VERSION).contains(&version) {
        return Err(Error::invalid(format!(
            "schema version {version} is not between 1 and {SCHEMA_VERSION}"
        )));
    }
    if path.exists() {
        return Err(Error::invalid(format!("{} exists already", path.display())));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(path, e))?;
    set_key(&conn, key)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    migrate_to(&conn, 0, version)?;
    Ok(conn)
}

fn migrate(conn: &Connection, from: i64) -> Result<()> {
    migrate_to(conn, from, SCHEMA_VERSION)
}

fn migrate_to(conn: &Connection, from: i64, to: i64) -> Result<()> {
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(to as usize)
        .skip(from as usize)
    {
        let tx = conn.unchecked_transaction()?;
        let started = std::time::Instant::now();
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
        tracing::info!(
            target: "doorstep::store",
            version = i + 1,
            ms = started.elapsed().as_millis() as u64,
            "migration applied"
        );
    }
    Ok(())
}

/// Checks every page of the database against its authentication code and SQLite's own
/// structure checks; returns the problems found (empty when the file is sound).
pub fn check_integrity(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut stmt = conn.prepare("PRAGMA cipher_integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    for row in rows {
        problems.push(row?);
    }
    let ok: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if ok != "ok" {
        problems.push(ok);
    }
    Ok(problems)
}

/// An unencrypted in-memory store with the current schema, for tests and tools that
/// need the tables without a file.
pub fn open_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    migrate(&conn, 0)?;
    Ok(conn)
}

/// Gives a fresh connection its key and the cipher settings every Doorstep file uses.
fn set_key(conn: &Connection, key: &[u8]) -> Result<()> {
    if !cipher::linked() {
        return Err(Error::invalid("the page cipher is missing from this build"));
    }
    if !cipher::ready() {
        return Err(Error::invalid("the page cipher could not start"));
    }
    // SQLCipher logs each failed decrypt to stderr; a library stays quiet.
    conn.pragma_update(None, "cipher_log_level", "NONE")?;
    // The key in hex and in the statement is key material too: wiped once used.
    let hex = zeroize::Zeroizing::new(crate::hex::encode(key));
    let pragma = zeroize::Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", hex.as_str()));
    conn.execute_batch(&pragma)?;
    // Pages are authenticated with HMAC-SHA256 rather than SQLCipher's default SHA-512:
    // the same 256-bit security for this use, and phones (ARMv8) and most x86 chips
    // compute SHA-256 in hardware, which halves the cost of every page written.
    conn.pragma_update(None, "cipher_hmac_algorithm", "HMAC_SHA256")?;
    // Files SQLCipher makes from this one (`VACUUM INTO`, an attached copy) follow the
    // process-wide default, so that is set alike.
    conn.pragma_update(None, "cipher_default_hmac_algorithm", "HMAC_SHA256")?;
    Ok(())
}

/// Page cache of a phone's connection, in MiB.
pub const CACHE_MIB: i64 = 8;

/// Sets the connection's page cache size; lowering it frees memory at once.
pub fn set_cache_mib(conn: &Connection, mib: i64) -> Result<()> {
    conn.pragma_update(None, "cache_size", -mib * 1024)?;
    conn.execute_batch("PRAGMA shrink_memory")?;
    Ok(())
}

/// The connection's page cache size, in MiB.
pub fn cache_mib(conn: &Connection) -> Result<i64> {
    let size: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    // Negative sizes are KiB, positive ones pages.
    Ok(if size < 0 {
        -size / 1024
    } else {
        size * PAGE_SIZE as i64 / (1024 * 1024)
    })
}

/// Reads a value from the store's key-value table.
pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Writes a value to the store's key-value table.
pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}
