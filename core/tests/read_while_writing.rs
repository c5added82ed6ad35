//! Reads and scans never wait behind a write: searches go to the read-only connection,
//! and a scan made while a long write holds the writer is decided there and parked in a
//! side file until the writer stores it.

use std::sync::mpsc;
use std::sync::Arc;

use doorstep_core::checkin::ScanOutcome;
use doorstep_core::registry::{NewHousehold, NewResident, SearchQuery, Sex, Tag};
use doorstep_core::{sample, Clock, Doorstep, SystemClock};

const KEY: [u8; 32] = [7; 32];
const DAY: i64 = 86_400_000;

/// A store with one elderly resident, a signing key and a pass for her.
fn station(path: &std::path::Path) -> (Doorstep, String) {
    let d = Doorstep::open(path, &KEY).unwrap();
    let area = d.ensure_area("武昌区/中南路街道/丽岛社区/第3网格").unwrap();
    let h = d
        .create_household(&NewHousehold {
            area_id: area.id,
            address: "丽岛花园3栋201".into(),
            ..Default::default()
        })
        .unwrap();
    let r = d
        .create_resident(&NewResident {
            household_id: h.id,
            name: "欧阳秀英".into(),
            sex: Sex::Female,
            birth_year: Some(1941),
            tags: vec![Tag::ElderlyAlone],
            ..Default::default()
        })
        .unwrap();
    d.new_signing_key().unwrap();
    d.set_queue_prefix("A").unwrap();
    let now = SystemClock.now_ms();
    let pass = d.issue_pass(&r.id, now - DAY, now + 30 * DAY).unwrap();
    (d, pass.text)
}

fn queue_no(o: &ScanOutcome) -> &str {
    match o {
        ScanOutcome::Admitted { queue_no, .. } | ScanOutcome::Priority { queue_no, .. } => queue_no,
        other => panic!("expected an admission, got {other:?}"),
    }
}

fn search(d: &Doorstep, text: &str) -> Vec<String> {
    d.search(&SearchQuery {
        text: text.into(),
        limit: 5,
        ..Default::default()
    })
    .unwrap()
    .into_iter()
    .map(|h| h.resident.name)
    .collect()
}

#[test]
fn a_search_and_a_scan_answer_while_100k_residents_are_imported() {
    let dir = tempfile::tempdir().unwrap();
    let (d, pass) = station(&dir.path().join("phone.db"));
    let d = Arc::new(d);
    // The index is built before the import, as on a phone in use.
    assert_eq!(search(&d, "oyxy"), ["欧阳秀英"]);
    let site = "丽岛社区核酸点";
    let day = d.checkin_day().unwrap();

    let csv = sample::residents_csv(100_000, 3);
    let import = {
        let d = d.clone();
        std::thread::spawn(move || d.import_csv(csv.as_bytes()))
    };
    while !d.writing() && !import.is_finished() {
        std::thread::yield_now();
    }
    let hits = search(&d, "欧阳");
    let outcome = d.scan(&pass, site, "1").unwrap();
    let parked = d.check_ins(site, &day).unwrap();
    assert!(
        !import.is_finished(),
        "the import ended before the search and the scan answered"
    );
    assert_eq!(hits, ["欧阳秀英"]);
    assert_eq!(queue_no(&outcome), "A-001");
    assert!(
        parked.is_empty(),
        "the scan waits in the side file meanwhile"
    );

    let report = import.join().unwrap().unwrap();
    assert_eq!(report.residents_added, 100_000);
    let stored = d.check_ins(site, &day).unwrap();
    assert_eq!(stored.len(), 1, "stored right after the import");
    assert_eq!(stored[0].outcome, outcome);
    // The index caught up with the import at the next search.
    let imported = d
        .search(&SearchQuery {
            text: String::new(),
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(imported.len(), 500);
    assert_eq!(
        d.scan(&pass, site, "1").unwrap(),
        ScanOutcome::Duplicate {
            first_at_ms: stored[0].at_ms,
            queue_no: "A-001".into()
        }
    );
}

/// Holds the writer in a write of its own until told to let go.
fn hold_writer(d: &Arc<Doorstep>) -> (mpsc::Sender<bool>, std::thread::JoinHandle<()>) {
    let (held_tx, held_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<bool>();
    let d = d.clone();
    let t = std::thread::spawn(move || {
        let _ = d.write(|_| {
            held_tx.send(()).unwrap();
            match go_rx.recv() {
                Ok(true) => Ok(()),
                // The write fails and rolls back, as when the app dies in it.
                _ => Err(doorstep_core::Error::invalid("stopped")),
            }
        });
    });
    held_rx.recv().unwrap();
    (go_tx, t)
}

#[test]
fn scans_parked_behind_a_write_keep_the_queue_rules_and_are_stored_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let (d, pass) = station(&dir.path().join("phone.db"));
    let d = Arc::new(d);
    let site = "丽岛社区核酸点";
    let day = d.checkin_day().unwrap();
    let first = d.scan(&pass, site, "1").unwrap();
    assert_eq!(queue_no(&first), "A-001");

    let (go, holder) = hold_writer(&d);
    assert!(d.writing());
    // The same pass again: a duplicate, decided from what is stored.
    let again = d.scan(&pass, "另一个核酸点", "2").unwrap();
    assert_eq!(queue_no(&again), "A-001", "a new site's queue starts at 1");
    let twice = d.scan(&pass, "另一个核酸点", "2").unwrap();
    assert!(
        matches!(twice, ScanOutcome::Duplicate { ref queue_no, .. } if queue_no == "A-001"),
        "a duplicate of a parked scan: {twice:?}"
    );
    let junk = d.scan("not a pass", site, "1").unwrap();
    assert!(matches!(junk, ScanOutcome::Unreadable { .. }));
    assert_eq!(
        d.check_ins(site, &day).unwrap().len(),
        1,
        "only the first is stored"
    );

    go.send(true).unwrap();
    holder.join().unwrap();
    assert!(!d.writing());
    assert_eq!(d.check_ins(site, &day).unwrap().len(), 2);
    assert_eq!(d.check_ins("另一个核酸点", &day).unwrap().len(), 2);
    // The ops went into the change log like any scan's.
    assert!(d.pending_op_count().unwrap() > 0);
}

#[test]
fn a_scan_parked_when_the_app_dies_is_stored_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let (d, pass) = station(&path);
    let d = Arc::new(d);
    let site = "丽岛社区核酸点";
    let day = d.checkin_day().unwrap();
    let (go, holder) = hold_writer(&d);
    let outcome = d.scan(&pass, site, "1").unwrap();
    // The holding write fails, and the store closes before any write stores the scan.
    go.send(false).unwrap();
    holder.join().unwrap();
    assert!(d.check_ins(site, &day).unwrap().is_empty());
    drop(Arc::try_unwrap(d).ok().expect("no other owner"));

    let d = Doorstep::open(&path, &KEY).unwrap();
    let stored = d.check_ins(site, &day).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].outcome, outcome);
    // Stored once: opening again adds nothing.
    drop(d);
    let d = Doorstep::open(&path, &KEY).unwrap();
    assert_eq!(d.check_ins(site, &day).unwrap().len(), 1);
}
