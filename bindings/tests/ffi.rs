//! The FFI surface answers bad arguments with typed errors, never a panic.

use doorstep_core::registry::{NewHousehold, NewResident, ResidentPatch, SearchQuery, Sex, Tag};
use doorstep_ffi::{Doorstep, DoorstepError};

fn open() -> (tempfile::TempDir, std::sync::Arc<Doorstep>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db").to_string_lossy().into_owned();
    let d = Doorstep::open(path, vec![1; 32]).unwrap();
    (dir, d)
}

#[test]
fn bad_arguments_give_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db").to_string_lossy().into_owned();
    assert!(matches!(
        Doorstep::open(path.clone(), vec![1; 5]),
        Err(DoorstepError::Invalid { .. })
    ));
    assert!(matches!(
        Doorstep::open(String::new(), vec![1; 32]),
        Err(DoorstepError::Invalid { .. })
    ));
    assert!(matches!(
        Doorstep::open(
            format!("{}/missing/dir/d.db", dir.path().display()),
            vec![1; 32]
        ),
        Err(DoorstepError::Invalid { .. })
    ));
    let d = Doorstep::open(path.clone(), vec![1; 32]).unwrap();
    drop(d);
    match Doorstep::open(path, vec![2; 32]) {
        Err(DoorstepError::WrongKey { message }) => assert!(message.contains("key")),
        other => panic!("expected WrongKey, got {:?}", other.err()),
    }
}

#[test]
fn registry_calls_with_bad_arguments() {
    let (_dir, d) = open();
    assert!(matches!(
        d.ensure_area("".into()),
        Err(DoorstepError::Invalid { .. })
    ));
    assert!(matches!(
        d.get_resident("\0".into()),
        Err(DoorstepError::NotFound { .. })
    ));
    assert!(matches!(
        d.create_household(NewHousehold {
            area_id: "x".into(),
            building_id: None,
            address: "a".into(),
            unit: None,
            phone: None
        }),
        Err(DoorstepError::NotFound { .. })
    ));
    let area = d.ensure_area("区/街道/社区/网格".into()).unwrap();
    let h = d
        .create_household(NewHousehold {
            area_id: area.id.clone(),
            building_id: None,
            address: "1号".into(),
            unit: None,
            phone: None,
        })
        .unwrap();
    let new = |tags: Vec<Tag>, year: Option<i32>| NewResident {
        household_id: h.id.clone(),
        name: "张伟".into(),
        sex: Sex::Male,
        birth_year: year,
        phone: None,
        tags,
        notes: None,
    };
    assert!(matches!(
        d.create_resident(new(vec![Tag::Custom { name: " ".into() }], None)),
        Err(DoorstepError::Invalid { .. })
    ));
    assert!(matches!(
        d.create_resident(new(vec![], Some(i32::MAX))),
        Err(DoorstepError::Invalid { .. })
    ));
    assert!(matches!(
        d.create_resident(new(vec![], Some(i32::MIN))),
        Err(DoorstepError::Invalid { .. })
    ));
    let r = d
        .create_resident(new(vec![Tag::ElderlyAlone], Some(1950)))
        .unwrap();
    assert!(matches!(
        d.update_resident(
            r.id.clone(),
            ResidentPatch {
                phone: Some("x".repeat(10_000)),
                ..Default::default()
            }
        ),
        Err(DoorstepError::Invalid { .. })
    ));
    assert!(matches!(
        d.import_csv(vec![0xff; 64], None),
        Err(DoorstepError::Invalid { .. })
    ));
    assert!(matches!(
        d.import_csv(vec![], None),
        Err(DoorstepError::Invalid { .. })
    ));
    assert!(matches!(
        d.search(SearchQuery {
            text: "zw".into(),
            area_id: None,
            tag: None,
            limit: u32::MAX
        }),
        Err(DoorstepError::Invalid { .. })
    ));
    let hits = d
        .search(SearchQuery {
            text: "zw".into(),
            area_id: None,
            tag: None,
            limit: 5,
        })
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].resident, r);
}

#[test]
fn a_cancelled_handle_makes_long_calls_fail_with_cancelled_and_store_nothing() {
    let (_dir, d) = open();
    let sheet = doorstep_core::sample::residents_csv(40, 3).into_bytes();
    let cancel = doorstep_ffi::CancelHandle::new();
    assert!(!cancel.is_cancelled());
    cancel.cancel();
    assert!(cancel.is_cancelled());
    assert!(matches!(
        d.import_csv(sheet.clone(), Some(cancel.clone())),
        Err(DoorstepError::Cancelled { .. })
    ));
    assert_eq!(
        d.pending_op_count().unwrap(),
        0,
        "nothing of the file is stored"
    );
    // The same file with a handle nobody cancels, and with none.
    let fresh = doorstep_ffi::CancelHandle::new();
    assert_eq!(d.import_csv(sheet, Some(fresh)).unwrap().rows, 40);
    let stored = d.pending_op_count().unwrap();
    assert!(stored > 0);

    d.new_signing_key().unwrap();
    let area = d.areas().unwrap().pop().unwrap();
    let filter = doorstep_core::checkin::SheetFilter {
        area_id: Some(area.id),
        ..Default::default()
    };
    let now = 1_800_000_000_000;
    let before = d.pending_op_count().unwrap();
    assert!(matches!(
        d.pass_sheet(filter.clone(), now, now + 86_400_000, Some(cancel)),
        Err(DoorstepError::Cancelled { .. })
    ));
    assert_eq!(d.pending_op_count().unwrap(), before, "no pass is issued");
    assert!(d.pass_sheet(filter, now, now + 86_400_000, None).is_ok());
}
