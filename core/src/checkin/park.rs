//! Scans decided while a long write holds the store's writer (an import, a pass sheet, a
//! pulled page): the marshal gets the outcome at once, and the check-in waits here, in a
//! small encrypted side file that survives a crash, until the writer stores it.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection};

use super::{Decided, ScanSource, CHECK_IN};
use crate::error::Result;
use crate::log::{self, Fields, Sequences, Writer};

/// A scan decided but not yet stored.
#[derive(Debug, Clone)]
pub struct ParkedScan {
    pub check_in_id: String,
    pub fields: Fields,
}

impl ParkedScan {
    fn text(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(|v| v.as_str())
    }

    /// (when, queue number) if this scan admitted `resident_ref` at `site` on `day`.
    fn admission(&self, site: &str, day: &str, resident_ref: &str) -> Option<(i64, String)> {
        let admitted = matches!(self.text("outcome"), Some("admitted" | "priority"));
        (admitted
            && self.text("site") == Some(site)
            && self.text("day") == Some(day)
            && self.text("resident_ref") == Some(resident_ref))
        .then(|| {
            (
                self.fields.get("at").and_then(|v| v.as_i64()).unwrap_or(0),
                self.text("queue_no").unwrap_or_default().to_string(),
            )
        })
    }
}

/// The parked scans of one store: in memory, and in the side file `<store>-parked`.
pub struct Parking {
    scans: Mutex<Vec<ParkedScan>>,
    file: Mutex<Connection>,
}

impl Parking {
    /// Opens the side file (creating it when new) and loads what a run before left.
    pub fn open(store: &Path, key: &[u8]) -> Result<Parking> {
        let file = crate::store::open_side(store, "parked", key)?;
        file.execute_batch(
            "CREATE TABLE IF NOT EXISTS parked_scan (
                 check_in_id TEXT PRIMARY KEY,
                 fields TEXT NOT NULL
             )",
        )?;
        let scans = {
            let mut stmt = file.prepare("SELECT check_in_id, fields FROM parked_scan")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let mut scans = Vec::new();
            for row in rows {
                let (check_in_id, fields) = row?;
                scans.push(ParkedScan {
                    check_in_id,
                    fields: serde_json::from_str(&fields)?,
                });
            }
            scans
        };
        Ok(Parking {
            scans: Mutex::new(scans),
            file: Mutex::new(file),
        })
    }

    fn scans(&self) -> std::sync::MutexGuard<'_, Vec<ParkedScan>> {
        self.scans.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a decided scan, in the side file first: once this returns, a crash loses
    /// nothing.
    pub fn park(&self, d: &Decided) -> Result<()> {
        let scan = ParkedScan {
            check_in_id: d.check_in_id.clone(),
            fields: d.fields.clone(),
        };
        let file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.execute(
            "INSERT OR IGNORE INTO parked_scan(check_in_id, fields) VALUES (?1, ?2)",
            params![scan.check_in_id, serde_json::to_string(&scan.fields)?],
        )?;
        self.scans().push(scan);
        Ok(())
    }

    /// The scans waiting, oldest first.
    pub fn waiting(&self) -> Vec<ParkedScan> {
        self.scans().clone()
    }

    /// True when no scan waits.
    pub fn is_empty(&self) -> bool {
        self.scans().is_empty()
    }

    /// Stores the waiting scans as check-ins through `w`; a scan stored before (a crash
    /// after that commit and before `forget`) is not stored twice. Returns what it took.
    pub fn store(&self, w: &mut Writer) -> Result<Vec<String>> {
        let waiting = self.waiting();
        for s in &waiting {
            if !super::store::check_in_exists(w.conn(), &s.check_in_id)? {
                w.fact(&CHECK_IN, &s.check_in_id, s.fields.clone())?;
            }
        }
        Ok(waiting.into_iter().map(|s| s.check_in_id).collect())
    }

    /// Drops scans that a committed write stored.
    pub fn forget(&self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let tx = file.unchecked_transaction()?;
        for id in ids {
            tx.execute("DELETE FROM parked_scan WHERE check_in_id = ?1", [id])?;
        }
        tx.commit()?;
        self.scans().retain(|s| !ids.contains(&s.check_in_id));
        Ok(())
    }
}

/// What a parked scan is decided from: the read-only connection, the shared queue
/// numbers and the scans parked before it.
pub struct ParkView<'a> {
    pub conn: &'a Connection,
    pub device: &'a str,
    pub now_ms: i64,
    pub sequences: &'a Mutex<Sequences>,
    pub parked: Vec<ParkedScan>,
}

impl ScanSource for ParkView<'_> {
    fn conn(&self) -> &Connection {
        self.conn
    }

    fn device(&self) -> &str {
        self.device
    }

    fn now_ms(&self) -> i64 {
        self.now_ms
    }

    fn next_number(
        &mut self,
        key: &str,
        recover: &dyn Fn(&Connection) -> Result<i64>,
    ) -> Result<i64> {
        log::next_in_sequence(self.sequences, self.conn, key, recover)
    }

    fn parked_admission(&self, site: &str, day: &str, resident_ref: &str) -> Option<(i64, String)> {
        self.parked
            .iter()
            .find_map(|p| p.admission(site, day, resident_ref))
    }
}
