//! A station in one backup file, and back. The file is a copy of the station's store
//! made with SQLite's online backup API, keyed with the station's key like the store
//! itself, holding as well the images of the admin accounts (`admin.db`) and the sync
//! storage (`doorstep.db`) in a table of its own. Everything in it is encrypted, and
//! the key is not in it: a backup can sit anywhere, and restoring needs the key kept
//! apart. Each database is copied in one step, so a backup taken while the server runs
//! is each database as of one moment and never starts over.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{read_key, write_key, Station, StationError, StationResult};

/// What a backup's manifest says it is; a restore refuses anything else.
pub const FORMAT: &str = "doorstep-backup 1";

/// The plain SQLite databases of a data folder that travel inside the backup.
const PARTS: &[&str] = &["admin.db", "doorstep.db"];

/// Bytes per stored chunk of a part: well under SQLite's largest blob.
const CHUNK: usize = 8 << 20;

/// Tables of the backup file beside the station store's own; a restore drops them.
const TABLES: &str = "
CREATE TABLE doorstep_backup (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE doorstep_backup_part (
    name  TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (name, chunk)
);";

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> StationError {
    StationError::Io(format!("cannot {what} {}: {e}", path.display()))
}

/// A failure of SQLite on `path`, said with the file's name.
fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> StationError + '_ {
    move |e| StationError::Io(format!("{}: {e}", path.display()))
}

/// `name` with `.partial` after it: where a file is made before it is renamed into place.
fn partial(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

/// Files being made; removed on drop unless kept, so a failure leaves nothing behind.
struct Scratch(Vec<PathBuf>);

impl Scratch {
    fn add(&mut self, p: PathBuf) -> PathBuf {
        // A leftover of an earlier run cut short is ours to replace.
        let _ = std::fs::remove_file(&p);
        self.0.push(p.clone());
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Copies a plain SQLite database to a new file with the backup API, in one step.
fn copy_plain(src: &Path, dest: &Path) -> StationResult<()> {
    let from = Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql(src))?;
    from.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sql(src))?;
    let mut to = Connection::open(dest).map_err(sql(dest))?;
    {
        let b = rusqlite::backup::Backup::new(&from, &mut to).map_err(sql(src))?;
        match b.step(-1).map_err(sql(src))? {
            rusqlite::backup::StepResult::Done => {}
            other => {
                return Err(StationError::Io(format!(
                    "the copy of {} did not finish: {other:?}",
                    src.display()
                )))
            }
        }
    }
    // The image stands alone: no write-ahead log beside it.
    let _: String = to
        .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
        .map_err(sql(dest))?;
    Ok(())
}

/// Writes a backup of the station in `data` to `file`, which must not exist yet.
/// Returns the backup's size in bytes.
pub fn backup(data: &Path, file: &Path, now_ms: i64) -> StationResult<u64> {
    if file.exists() {
        return Err(StationError::Invalid(format!(
            "{} exists already; choose a new name",
            file.display()
        )));
    }
    let store = data.join("station.db");
    if !store.exists() {
        return Err(StationError::Invalid(format!(
            "{} holds no station (no station.db)",
            data.display()
        )));
    }
    let key = read_key(&data.join("station.key"))?
        .ok_or_else(|| StationError::Invalid(format!("{} has no station.key", data.display())))?;
    let mut scratch = Scratch(Vec::new());
    let tmp = scratch.add(partial(file));
    let live = doorstep_core::store::open(&store, &key)?;
    let out = doorstep_core::store::copy_to(&live, &tmp, &key)?;
    drop(live);
    let e = sql(&tmp);
    out.execute_batch(TABLES).map_err(&e)?;
    let tx = out.unchecked_transaction().map_err(&e)?;
    tx.execute(
        "INSERT INTO doorstep_backup(key, value) VALUES ('format', ?1), ('made_at', ?2)",
        params![FORMAT, now_ms.to_string()],
    )
    .map_err(&e)?;
    // After the store, so the sync storage's copy is never older than the acknowledgements
    // in the store's copy: nothing the restored station counts as sent is missing from the
    // restored server.
    for name in PARTS {
        let src = data.join(name);
        if !src.exists() {
            continue;
        }
        let image = scratch.add(partial(&file.with_file_name(format!(
            "{}.{name}",
            file.file_name().unwrap_or_default().to_string_lossy()
        ))));
        copy_plain(&src, &image)?;
        let mut f = std::fs::File::open(&image).map_err(|e| io("read", &image, e))?;
        let mut buf = vec![0u8; CHUNK];
        let mut ins = tx
            .prepare("INSERT INTO doorstep_backup_part(name, chunk, bytes) VALUES (?1, ?2, ?3)")
            .map_err(&e)?;
        for chunk in 0.. {
            let n = read_full(&mut f, &mut buf).map_err(|e| io("read", &image, e))?;
            if n == 0 {
                break;
            }
            ins.execute(params![name, chunk, &buf[..n]]).map_err(&e)?;
        }
    }
    tx.commit().map_err(&e)?;
    drop(out);
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("write", &tmp, e))?;
    std::fs::rename(&tmp, file).map_err(|e| io("write", file, e))?;
    std::fs::metadata(file)
        .map(|m| m.len())
        .map_err(|e| io("read", file, e))
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Restores the backup `file` into `data`, which must not hold a station. The key is
/// the station's: read from `key_file`, or from a `station.key` already put in `data`.
pub fn restore(file: &Path, data: &Path, key_file: Option<&Path>) -> StationResult<()> {
    if let Some(found) = ["station.db"]
        .iter()
        .chain(PARTS)
        .find(|n| data.join(n).exists())
    {
        return Err(StationError::Invalid(format!(
            "{} already holds a station ({found}); restore into a new --data folder",
            data.display()
        )));
    }
    if !file.is_file() {
        return Err(StationError::Invalid(format!(
            "there is no backup file at {}",
            file.display()
        )));
    }
    let in_data = data.join("station.key");
    let key = match key_file {
        Some(k) => read_key(k)?
            .ok_or_else(|| StationError::Invalid(format!("there is no key at {}", k.display())))?,
        None => read_key(&in_data)?.ok_or_else(|| {
            StationError::Invalid(format!(
                "give the station's key with --key PATH/station.key (or put it in {})",
                data.display()
            ))
        })?,
    };
    let src = doorstep_core::store::open_read_only(file, &key).map_err(|e| match e {
        doorstep_core::Error::WrongKey(_) => StationError::Invalid(format!(
            "the key does not open {}: it takes the station.key of the station backed up",
            file.display()
        )),
        doorstep_core::Error::NotADatabase { reason, .. } => StationError::Invalid(format!(
            "{} is not a doorstep backup: {reason}",
            file.display()
        )),
        e => StationError::Core(e),
    })?;
    let format: Option<String> = src
        .query_row(
            "SELECT value FROM doorstep_backup WHERE key = 'format'",
            [],
            |r| r.get(0),
        )
        .optional()
        .unwrap_or(None);
    match format.as_deref() {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(StationError::Invalid(format!(
                "{} is a backup in format {other:?}, which this doorstep does not know",
                file.display()
            )))
        }
        None => {
            return Err(StationError::Invalid(format!(
                "{} is a Doorstep store but not a backup (it has no backup manifest)",
                file.display()
            )))
        }
    }
    std::fs::create_dir_all(data).map_err(|e| io("create", data, e))?;
    let mut scratch = Scratch(Vec::new());
    let store = scratch.add(partial(&data.join("station.db")));
    let out = doorstep_core::store::copy_to(&src, &store, &key)?;
    out.execute_batch("DROP TABLE doorstep_backup_part; DROP TABLE doorstep_backup; VACUUM;")
        .map_err(sql(&store))?;
    drop(out);
    let e = sql(file);
    let mut done = vec![(store, data.join("station.db"))];
    for name in PARTS {
        let image = scratch.add(partial(&data.join(name)));
        let mut f = None;
        let mut stmt = src
            .prepare("SELECT bytes FROM doorstep_backup_part WHERE name = ?1 ORDER BY chunk")
            .map_err(&e)?;
        let mut rows = stmt.query([name]).map_err(&e)?;
        while let Some(r) = rows.next().map_err(&e)? {
            let bytes: Vec<u8> = r.get(0).map_err(&e)?;
            let w = match &mut f {
                Some(w) => w,
                None => {
                    f.insert(std::fs::File::create(&image).map_err(|e| io("write", &image, e))?)
                }
            };
            w.write_all(&bytes).map_err(|e| io("write", &image, e))?;
        }
        if let Some(w) = f {
            w.sync_all().map_err(|e| io("write", &image, e))?;
            let ok: String = Connection::open(&image)
                .and_then(|c| c.query_row("PRAGMA quick_check", [], |r| r.get(0)))
                .map_err(sql(&image))?;
            if ok != "ok" {
                return Err(StationError::Invalid(format!(
                    "{name} in {} is damaged: {ok}",
                    file.display()
                )));
            }
            done.push((image, data.join(name)));
        }
    }
    drop(src);
    if key_file.is_some() && !in_data.exists() {
        write_key(&in_data, &key)?;
    }
    for (from, to) in &done {
        std::fs::rename(from, to).map_err(|e| io("write", to, e))?;
    }
    // The restored station must open as the server will open it; if it does not, the
    // folder is left as empty as it was found.
    let sync_storage = data.join("doorstep.db");
    let opened = Station::open(data).map(drop).and_then(|()| {
        if sync_storage.exists() {
            crate::storage::SqliteStorage::open(&sync_storage)
                .map(drop)
                .map_err(|e| StationError::Io(e.to_string()))
        } else {
            Ok(())
        }
    });
    if opened.is_err() {
        for (_, to) in &done {
            let _ = std::fs::remove_file(to);
        }
    }
    opened
}
