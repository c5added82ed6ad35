//! Checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the
//! commit that crosses its threshold, so every few hundred scans or handoffs one of them
//! waited while megabytes of log were copied and synced; here a commit only nudges a
//! thread that copies the log back while writers go on.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags};

use crate::error::Result;

/// Log size, in bytes, above which a checkpoint runs (SQLite's default: 1,000 pages).
const THRESHOLD: u64 = 1000 * 4096;

/// A background checkpointer for one database file, with a connection of its own.
pub struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a second connection to `path` and starts the thread; the caller then turns
    /// off its own connection's automatic checkpoints.
    pub fn start(path: &Path, key: &[u8]) -> Result<Checkpointer> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        super::set_key(&conn, key)?;
        conn.pragma_update(None, "cache_size", -256)?;
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        let (tx, rx) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("doorstep-checkpoint".into())
            .spawn(move || run(conn, &wal, rx))
            .map_err(|e| crate::error::Error::invalid(format!("cannot start a thread: {e}")))?;
        Ok(Checkpointer {
            nudge: Some(tx),
            thread: Some(thread),
        })
    }

    /// Tells the thread a transaction committed; never blocks.
    pub fn nudge(&self) {
        if let Some(tx) = &self.nudge {
            // A full channel means a nudge is already waiting, which is enough; a closed
            // one only happens while dropping.
            let _ = tx.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Closing the channel ends the thread; its connection, closed last, then folds
        // the log into the database as SQLite does on close.
        self.nudge.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(conn: Connection, wal: &Path, rx: Receiver<()>) {
    while rx.recv().is_ok() {
        let big = std::fs::metadata(wal).map(|m| m.len() >= THRESHOLD);
        if big.unwrap_or(false) {
            // Passive: copies what no reader still needs and never blocks a writer. A
            // failure (a busy reader) is retried at the next nudge.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
    }
}
