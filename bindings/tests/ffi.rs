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
        d.import_csv(vec![0xff; 64]),
        Err(DoorstepError::Invalid { .. })
    ));
    assert!(matches!(
        d.import_csv(vec![]),
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
