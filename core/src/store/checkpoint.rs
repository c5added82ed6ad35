//! Checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the
//! commit that crosses its threshold, so every few hundred scans or handoffs one of them
//! waited while megabytes of log were copied and synced; here a commit that leaves the
//! log long only nudges a thread that copies it back while writers go on.

use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags};

use crate::error::Result;

/// Pages not yet copied back from which a checkpoint runs (SQLite's default).
const THRESHOLD_PAGES: i32 = 1000;

/// Log length, in pages, from which the writer copies the rest itself (16 MiB).
const CATCH_UP_PAGES: i32 = 4 * THRESHOLD_PAGES;

/// A background checkpointer for one database file, with a connection of its own.
pub struct Checkpointer {
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a second connection to `path`, starts the thread and hooks the writer's
    /// commits on `writer` in place of SQLite's automatic checkpoints. The thread ends
    /// once `writer` is closed, so close it before dropping this.
    pub fn start(path: &Path, key: &[u8], writer: &mut Connection) -> Result<Checkpointer> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        super::set_key(&conn, key)?;
        conn.pragma_update(None, "cache_size", -256)?;
        let (tx, rx) = mpsc::sync_channel(1);
        // Where the last checkpoint left off, in the log's pages.
        let copied = Arc::new(AtomicI32::new(0));
        let thread = {
            let copied = copied.clone();
            std::thread::Builder::new()
                .name("doorstep-checkpoint".into())
                .spawn(move || run(conn, rx, &copied))
                .map_err(|e| crate::error::Error::invalid(format!("cannot start a thread: {e}")))?
        };
        // SQLite gives the log's length in pages at every commit. The file's length says
        // nothing: a log is reused from its start without shrinking.
        let mut last = 0;
        writer.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
            if pages < last {
                // The log started over, so nothing in it has been copied yet.
                copied.store(0, Ordering::Relaxed);
                last = 0;
            }
            let added = pages - last;
            last = pages;
            if pages >= CATCH_UP_PAGES && added < THRESHOLD_PAGES {
                // Writes without a pause never find the log wholly copied when they
                // begin, so it never starts over and only grows. The thread has copied
                // most of it; copying the few pages left here lets the next write start
                // it over. A busy thread means it is copying them already. A bulk write
                // (an import) that adds thousands of pages in one commit leaves them to
                // the thread instead, as the next small commit catches up what is left.
                let _ = wal.checkpoint();
            } else if pages - copied.load(Ordering::Relaxed) >= THRESHOLD_PAGES {
                // A full channel means a nudge is already waiting, which is enough.
                let _ = tx.try_send(());
            }
            Ok(())
        }))?;
        Ok(Checkpointer {
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // The writer's hook held the only sender: with the writer closed the thread ends,
        // and its connection, closed last, folds the log into the database as SQLite does
        // on close.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(conn: Connection, rx: Receiver<()>, copied: &AtomicI32) {
    while rx.recv().is_ok() {
        // Passive: copies what no reader still needs and never blocks a writer. A failure
        // (a busy reader) is retried at the next nudge.
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(2));
        if let Ok(done) = done {
            copied.store(done, Ordering::Relaxed);
        }
    }
    // The writer is closed. SQLite folds the log in on closing only when the closing
    // connection can lock the file at once, which left whole logs behind in tests; copying
    // it all here first leaves a database file that is whole on its own.
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}
