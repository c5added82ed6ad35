//! The admin commands of `doorstep` that work on the station's store: admins, registry
//! import, ledger exports, pass sheets, key rotation, backup and restore. Each returns
//! a one-line error for the terminal.

use std::path::Path;
use std::time::Duration;

use crate::stats::LedgerKind;
use doorstep_core::registry::Area;
use doorstep_core::{Cancel, Clock, SystemClock};
use indicatif::{ProgressBar, ProgressStyle};

use crate::export::{self, Format};
use crate::station::Station;

/// Writes a line to standard output. A reader that went away (`doorstep enrol | head -1`)
/// is no failure of the command: what it did is done, and the rest of its output is
/// dropped instead of panicking as `println!` does.
pub fn out(line: std::fmt::Arguments) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = o
        .write_fmt(line)
        .and_then(|_| o.write_all(b"\n"))
        .and_then(|_| o.flush());
}

/// `println!` for the commands: see [`out`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::out(format_args!($($arg)*)) };
}

fn now() -> i64 {
    SystemClock.now_ms()
}

/// Where a command finds the station: its data folder and, with `--database`, the
/// PostgreSQL that its nodes share (admins, settings and signing keys live there).
pub struct Place {
    pub data: std::path::PathBuf,
    pub store: Option<std::sync::Arc<dyn crate::storage::Storage>>,
}

fn open(at: &Place) -> Result<Station, String> {
    Station::open_with(&at.data, at.store.clone()).map_err(|e| e.to_string())
}

/// The area at `path`, or a clear error.
pub fn area_by_path(station: &Station, path: &str) -> Result<Area, String> {
    let path = path.trim().trim_matches('/');
    station
        .core
        .areas()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|a| a.path == path)
        .ok_or_else(|| format!("no area {path:?} in the registry"))
}

fn spinner(msg: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_message(msg.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// `doorstep admin create`: an admin, or a sub-admin limited to areas.
pub fn admin_create(
    at: &Place,
    name: &str,
    password: &str,
    areas: &[String],
) -> Result<(), String> {
    let station = open(at)?;
    for a in areas {
        area_by_path(&station, a)?;
    }
    let areas: Vec<String> = areas
        .iter()
        .map(|a| a.trim().trim_matches('/').to_string())
        .collect();
    let admin = station
        .admins
        .put(name, password, &areas, now())
        .map_err(|e| e.to_string())?;
    if admin.areas.is_empty() {
        say!("admin {} may see the whole station", admin.name);
    } else {
        say!("admin {} may see {}", admin.name, admin.areas.join(", "));
    }
    Ok(())
}

/// `doorstep import residents FILE`: the registry import with its per-row report.
pub fn import_residents(at: &Place, file: &Path) -> Result<bool, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let station = open(at)?;
    let bar = spinner(&format!("importing {}", file.display()));
    let report = station.core.import_csv(&bytes).map_err(|e| e.to_string());
    bar.finish_and_clear();
    let report = report?;
    say!(
        "rows {}, households added {}, residents added {}, updated {}, unchanged {}, rows refused {}",
        report.rows,
        report.households_added,
        report.residents_added,
        report.residents_updated,
        report.unchanged,
        report.rows_refused
    );
    for e in &report.errors {
        say!("line {}, {}: {}", e.line, e.column, e.reason);
    }
    let unlisted = report.error_count - report.errors.len() as u64;
    if unlisted > 0 {
        say!("... and {unlisted} more errors");
    }
    if report.refused_whole {
        say!(
            "nothing was stored: {} of {} rows were refused; is this the right file, with its columns in the right order?",
            report.rows_refused, report.rows
        );
    }
    Ok(report.error_count == 0)
}

/// What `doorstep export` writes.
pub struct ExportArgs<'a> {
    pub kind: &'a str,
    pub area: Option<&'a str>,
    pub from: &'a str,
    pub to: &'a str,
    pub format: Option<&'a str>,
    pub pseudonymise: bool,
    pub output: &'a Path,
}

/// `doorstep export`: a ledger to a CSV or XLSX file, with a progress bar.
pub fn export(at: &Place, a: &ExportArgs) -> Result<(), String> {
    let kind = LedgerKind::parse(a.kind)
        .ok_or_else(|| format!("ledger {:?} is unknown ({})", a.kind, LedgerKind::codes()))?;
    let format = match a.format {
        Some(f) => Format::parse(f).ok_or_else(|| format!("format {f:?} is not csv or xlsx"))?,
        None if a.output.extension().is_some_and(|e| e == "csv") => Format::Csv,
        None => Format::Xlsx,
    };
    let station = open(at)?;
    let area = a.area.map(|p| area_by_path(&station, p)).transpose()?;
    let bar = spinner("reading the ledger");
    let table = export::table(
        &station,
        kind,
        area.as_ref().map(|a| a.id.as_str()),
        a.from,
        a.to,
        a.pseudonymise,
    )
    .map_err(|e| e.to_string());
    bar.finish_and_clear();
    let table = table?;
    let bar = ProgressBar::new(table.rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows ({elapsed})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message("writing");
    let bytes = match format {
        Format::Csv => export::csv(&table, &Cancel::new()),
        Format::Xlsx => export::xlsx(
            &table,
            kind.code(),
            &|n| bar.set_position(n),
            &Cancel::new(),
        ),
    }
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    std::fs::write(a.output, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", a.output.display()))?;
    say!("{} rows to {}", table.rows.len(), a.output.display());
    Ok(())
}

/// `doorstep passes sheet`: passes for an area (a building, a tag) as a PDF to print.
pub fn passes_sheet(
    at: &Place,
    area: &str,
    building: Option<&str>,
    tag: Option<&str>,
    days: i64,
    output: &Path,
) -> Result<(), String> {
    let station = open(at)?;
    let area = area_by_path(&station, area)?;
    let bar = spinner("issuing and drawing passes");
    let pdf = station
        .sheet(Some(&area), building, tag, days, now())
        .map_err(|e| e.to_string());
    bar.finish_and_clear();
    let pdf = pdf?;
    std::fs::write(output, &pdf).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    say!("pass sheet for {} to {}", area.path, output.display());
    Ok(())
}

/// `doorstep keys rotate`: a new signing key; passes already printed stay valid under
/// the old keys until those are retired.
pub fn keys_rotate(at: &Place, retire_old: bool) -> Result<(), String> {
    let station = open(at)?;
    let old = station.core.trusted_keys().map_err(|e| e.to_string())?;
    let key = station.core.new_signing_key().map_err(|e| e.to_string())?;
    say!("new signing key {}", key.key_id);
    if retire_old {
        for k in old
            .iter()
            .filter(|k| k.can_sign && k.retired_at_ms.is_none())
        {
            station
                .core
                .retire_key(&k.key_id)
                .map_err(|e| e.to_string())?;
            say!("retired key {}", k.key_id);
        }
    }
    station.share_keys().map_err(|e| e.to_string())
}

/// Why `backup` and `restore` stop when the sync storage is in PostgreSQL.
const POSTGRES_BACKUP: &str = "the sync storage is in PostgreSQL: back it up with pg_dump and \
    restore it with pg_restore (doorstep backup and restore handle SQLite stations only)";

/// `doorstep backup FILE`: the station's store, admin accounts and sync storage in one
/// encrypted file, taken consistently while the server runs.
pub fn backup(data: &Path, file: &Path, postgres: bool) -> Result<(), String> {
    if postgres {
        return Err(POSTGRES_BACKUP.into());
    }
    let bar = spinner("backing up");
    let size = crate::station::backup::backup(data, file, now()).map_err(|e| e.to_string());
    bar.finish_and_clear();
    let size = size?;
    say!(
        "backup of {} in {} ({size} bytes), encrypted with the key in {}: keep a copy of \
         that key apart from the backup, restore asks for it",
        data.display(),
        file.display(),
        data.join("station.key").display()
    );
    Ok(())
}

/// `doorstep restore FILE`: a backup into a new data folder (stop the server first), with
/// the station's key from `key` or already in the folder.
pub fn restore(data: &Path, file: &Path, key: Option<&Path>, postgres: bool) -> Result<(), String> {
    if postgres {
        return Err(POSTGRES_BACKUP.into());
    }
    let bar = spinner("restoring");
    let done = crate::station::backup::restore(file, data, key).map_err(|e| e.to_string());
    bar.finish_and_clear();
    done?;
    say!("restored {} into {}", file.display(), data.display());
    Ok(())
}

/// A code as a QR code drawn in the terminal.
pub fn terminal_qr(text: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| format!("qr: {e}"))?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .build())
}
