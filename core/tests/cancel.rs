//! Long calls stop when cancelled and leave the store as it was: an import is all or
//! nothing, a pass sheet issues no pass unless it is handed back whole.

use std::sync::Arc;
use std::time::Duration;

use doorstep_core::checkin::{self, SheetFilter};
use doorstep_core::{sample, Cancel, Clock, Doorstep, Error, SystemClock};

const KEY: [u8; 32] = [9; 32];
const DAY: i64 = 86_400_000;

fn count(d: &Doorstep, table: &str) -> i64 {
    d.read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?))
        .unwrap()
}

/// What a cancelled call must leave as it was.
fn footprint(d: &Doorstep) -> (i64, i64, i64, u64) {
    (
        count(d, "household"),
        count(d, "resident"),
        count(d, "pass"),
        d.pending_op_count().unwrap(),
    )
}

/// A store with `n` residents from the sample sheet and a signing key.
fn store(dir: &tempfile::TempDir, n: usize) -> Arc<Doorstep> {
    let d = Doorstep::open(dir.path().join("phone.db"), &KEY).unwrap();
    d.import_csv(sample::residents_csv(n, 5).as_bytes())
        .unwrap();
    d.new_signing_key().unwrap();
    Arc::new(d)
}

#[test]
fn an_import_cancelled_before_it_starts_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = store(&dir, 20);
    let before = footprint(&d);
    let cancel = Cancel::new();
    cancel.cancel();
    let out = d.import_csv_with(sample::residents_csv(50, 6).as_bytes(), &cancel);
    assert!(matches!(out, Err(Error::Cancelled)), "{out:?}");
    assert_eq!(footprint(&d), before);
}

#[test]
fn an_import_cancelled_midway_stores_nothing_and_the_same_file_imports_after() {
    let dir = tempfile::tempdir().unwrap();
    let d = store(&dir, 20);
    let before = footprint(&d);
    let csv = sample::residents_csv(100_000, 7);
    let cancel = Cancel::new();
    let import = {
        let (d, csv, cancel) = (d.clone(), csv.clone(), cancel.clone());
        std::thread::spawn(move || d.import_csv_with(csv.as_bytes(), &cancel))
    };
    // Cancelled once the import holds the writer: rows are being placed and stored.
    while !d.writing() && !import.is_finished() {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(20));
    cancel.cancel();
    let out = import.join().unwrap();
    assert!(matches!(out, Err(Error::Cancelled)), "{out:?}");
    assert_eq!(footprint(&d), before, "nothing of the file is stored");
    assert!(d.check_integrity().unwrap().is_empty());
    let report = d.import_csv(csv.as_bytes()).unwrap();
    assert_eq!(report.rows, 100_000);
    assert_eq!(
        count(&d, "resident"),
        before.1 + report.residents_added as i64
    );
}

fn sheet_filter(d: &Doorstep) -> SheetFilter {
    // The sample sheet's largest grid.
    let area_id: String = d
        .read(|c| {
            Ok(c.query_row(
                "SELECT h.area_id FROM resident r JOIN household h ON h.id = r.household_id
                 GROUP BY h.area_id ORDER BY count(*) DESC LIMIT 1",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    SheetFilter {
        area_id: Some(area_id),
        ..Default::default()
    }
}

#[test]
fn a_pass_sheet_cancelled_while_signing_or_drawing_issues_no_pass() {
    let dir = tempfile::tempdir().unwrap();
    let d = store(&dir, 3_000);
    let filter = sheet_filter(&d);
    let before = footprint(&d);
    let now = SystemClock.now_ms();

    let cancel = Cancel::new();
    cancel.cancel();
    let out = d.pass_sheet_with(&filter, now, now + DAY, &cancel);
    assert!(matches!(out, Err(Error::Cancelled)), "{out:?}");
    assert_eq!(footprint(&d), before);

    let cancel = Cancel::new();
    let sheet = {
        let (d, filter, cancel) = (d.clone(), filter.clone(), cancel.clone());
        std::thread::spawn(move || d.pass_sheet_with(&filter, now, now + DAY, &cancel))
    };
    std::thread::sleep(Duration::from_millis(30));
    cancel.cancel();
    let out = sheet.join().unwrap();
    assert!(
        matches!(out, Err(Error::Cancelled)),
        "{:?}",
        out.map(|s| s.passes.len())
    );
    assert_eq!(footprint(&d), before, "no pass is issued");

    // Not cancelled, the same sheet issues its passes.
    let whole = d
        .pass_sheet_with(&filter, now, now + DAY, &Cancel::new())
        .unwrap();
    assert!(!whole.passes.is_empty());
    assert_eq!(count(&d, "pass"), before.2 + whole.passes.len() as i64);
}

#[test]
fn a_sheet_signed_before_its_residents_got_a_pass_elsewhere_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = store(&dir, 30);
    let filter = sheet_filter(&d);
    let now = SystemClock.now_ms();
    let cancel = Cancel::new();
    let (made, _) = d
        .read(|c| checkin::plan_sheet(c, &filter, now, now + DAY, now, &cancel))
        .unwrap();
    // Meanwhile one of those residents is issued a pass on its own: a reference exists.
    let resident_id = made[0].pass().resident_id.clone().unwrap();
    d.issue_pass(&resident_id, now, now + DAY).unwrap();
    let before = footprint(&d);
    let out = d.write(|w| checkin::store_sheet(w, &made));
    assert!(matches!(out, Err(Error::Conflict(_))), "{out:?}");
    assert_eq!(
        footprint(&d),
        before,
        "none of the sheet's passes is stored"
    );
}
