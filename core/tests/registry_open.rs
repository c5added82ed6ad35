//! Opening the registry's encrypted store: each way it can fail has its own typed error,
//! and none of them changes the file.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use doorstep_core::registry::{NewHousehold, NewResident, Sex, Tag};
use doorstep_core::{Doorstep, Error};

const KEY: [u8; 32] = [7; 32];
const OTHER_KEY: [u8; 32] = [9; 32];

fn populated(path: &Path) {
    let d = Doorstep::open(path, &KEY).unwrap();
    let area = d.ensure_area("武昌区/中南路街道/丽岛社区/第3网格").unwrap();
    for i in 0..200 {
        let h = d
            .create_household(&NewHousehold {
                area_id: area.id.clone(),
                address: format!("丽岛花园{i}栋"),
                unit: Some(format!("{}0{}", i % 9 + 1, i % 4 + 1)),
                ..Default::default()
            })
            .unwrap();
        d.create_resident(&NewResident {
            household_id: h.id,
            name: format!("测试居民{i}"),
            sex: Sex::Female,
            birth_year: Some(1950),
            phone: Some(format!("139{i:08}")),
            tags: vec![Tag::ElderlyAlone],
            notes: None,
        })
        .unwrap();
    }
}

fn bytes(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap()
}

#[test]
fn reopens_with_the_same_key_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    populated(&path);
    let d = Doorstep::open(&path, &KEY).unwrap();
    assert_eq!(d.areas().unwrap().len(), 4);
    assert!(d.check_integrity().unwrap().is_empty());
}

#[test]
fn wrong_key_is_refused_and_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    populated(&path);
    let before = bytes(&path);
    let err = Doorstep::open(&path, &OTHER_KEY).err().unwrap();
    assert!(matches!(err, Error::WrongKey(_)), "{err:?}");
    assert_eq!(before, bytes(&path));
    Doorstep::open(&path, &KEY).expect("the right key still opens it");
}

#[test]
fn key_of_wrong_length_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let err = Doorstep::open(dir.path().join("d.db"), &[1, 2, 3, 4, 5])
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::Invalid(m) if m.contains("32 bytes")),
        "{err:?}"
    );
    assert!(!dir.path().join("d.db").exists());
}

#[test]
fn text_file_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    fs::write(&path, "姓名,电话\n张伟,13800000000\n".repeat(400)).unwrap();
    let before = bytes(&path);
    let err = Doorstep::open(&path, &KEY).err().unwrap();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err:?}");
    assert_eq!(before, bytes(&path));
}

#[test]
fn unencrypted_sqlite_file_is_not_a_doorstep_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    drop(c);
    let before = bytes(&path);
    let err = Doorstep::open(&path, &KEY).err().unwrap();
    assert!(
        matches!(&err, Error::NotADatabase { reason, .. } if reason.contains("unencrypted")),
        "{err:?}"
    );
    assert_eq!(before, bytes(&path));
}

#[test]
fn file_truncated_mid_page_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    populated(&path);
    let full = bytes(&path);
    fs::write(&path, &full[..full.len() - 1000]).unwrap();
    let before = bytes(&path);
    let err = Doorstep::open(&path, &KEY).err().unwrap();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert_eq!(before, bytes(&path));
}

#[test]
fn file_truncated_at_a_page_boundary_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    populated(&path);
    let full = bytes(&path);
    assert!(
        full.len() >= 4 * 4096,
        "needs a few pages, has {}",
        full.len()
    );
    fs::write(&path, &full[..2 * 4096]).unwrap();
    let before = bytes(&path);
    let err = Doorstep::open(&path, &KEY).err().unwrap();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert_eq!(before, bytes(&path));
}

#[test]
fn damaged_page_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    populated(&path);
    let mut data = bytes(&path);
    let pages = data.len() / 4096;
    assert!(pages >= 3);
    // Flip bytes inside the last page, away from page 1 which holds the schema.
    let at = (pages - 1) * 4096 + 100;
    for b in &mut data[at..at + 16] {
        *b ^= 0xA5;
    }
    fs::write(&path, &data).unwrap();
    let found = match Doorstep::open(&path, &KEY) {
        Err(Error::Corrupt { .. }) => true,
        Err(other) => panic!("unexpected error {other:?}"),
        Ok(d) => {
            let problems = d.check_integrity();
            matches!(&problems, Ok(p) if !p.is_empty())
                || matches!(
                    problems,
                    Err(Error::Corrupt { .. }) | Err(Error::Storage(_))
                )
        }
    };
    assert!(found, "the damaged page went unnoticed");
}

#[test]
fn read_only_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    populated(&path);
    let before = bytes(&path);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let err = Doorstep::open(&path, &KEY).err().unwrap();
    assert!(matches!(err, Error::ReadOnly(_)), "{err:?}");
    assert_eq!(before, bytes(&path));
}

#[test]
fn read_only_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    fs::create_dir(&ro).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    let err = Doorstep::open(ro.join("d.db"), &KEY).err().unwrap();
    assert!(matches!(err, Error::ReadOnly(_)), "{err:?}");
    assert!(!ro.join("d.db").exists());
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn database_from_a_newer_doorstep_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    populated(&path);
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\"; PRAGMA cipher_hmac_algorithm = HMAC_SHA256;
             PRAGMA user_version = 99;",
            "07".repeat(32)
        ))
        .unwrap();
        c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = bytes(&path);
    let err = Doorstep::open(&path, &KEY).err().unwrap();
    assert!(matches!(err, Error::TooNew { found: 99, .. }), "{err:?}");
    assert_eq!(before, bytes(&path));
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    haystack.windows(n.len()).any(|w| w == n)
}

#[test]
fn no_personal_data_in_raw_file_or_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    let wal = dir.path().join("d.db-wal");
    let secrets = ["测试居民7", "13900000007", "丽岛花园7栋", "第3网格"];
    {
        populated(&path);
        // Reopen and write more, then read the WAL while it still holds those pages.
        let d = Doorstep::open(&path, &KEY).unwrap();
        let area = d.ensure_area("武昌区/中南路街道/丽岛社区/第4网格").unwrap();
        d.create_household(&NewHousehold {
            area_id: area.id,
            address: "WAL-ONLY-ADDRESS 9 Road".into(),
            ..Default::default()
        })
        .unwrap();
        let wal_bytes = fs::read(&wal).unwrap();
        assert!(!wal_bytes.is_empty(), "the write should be in the WAL");
        for s in secrets.iter().chain(&["WAL-ONLY-ADDRESS", "第4网格"]) {
            assert!(!contains(&wal_bytes, s), "{s} is readable in the WAL");
        }
    }
    let db = bytes(&path);
    // Sanity check of the check: the same search finds plaintext where it is.
    assert!(contains("x测试居民7y".as_bytes(), "测试居民7"));
    for s in secrets.iter().chain(&["WAL-ONLY-ADDRESS"]) {
        assert!(!contains(&db, s), "{s} is readable in the database file");
    }
    if let Ok(w) = fs::read(&wal) {
        for s in secrets {
            assert!(!contains(&w, s), "{s} is readable in the WAL");
        }
    }
}

#[test]
fn a_copy_taken_while_the_store_is_open_opens_with_its_key_and_only_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    populated(&path);
    let live = Doorstep::open(&path, &KEY).unwrap();
    // A write still in the live store's WAL belongs in the copy too.
    let area = live
        .ensure_area("武昌区/中南路街道/丽岛社区/第9网格")
        .unwrap();
    let copy = dir.path().join("copy.db");
    let conn = live
        .read(|c| doorstep_core::store::copy_to(c, &copy, &KEY))
        .unwrap();
    drop(conn);
    assert!(!dir.path().join("copy.db-wal").exists(), "one file");
    assert!(
        !contains(&bytes(&copy), "测试居民7"),
        "the copy is encrypted"
    );
    let before = bytes(&copy);
    let err = doorstep_core::store::open_read_only(&copy, &OTHER_KEY).unwrap_err();
    assert!(matches!(err, Error::WrongKey(_)), "{err:?}");
    // Read-only media: the copy is read where it lies, and not changed.
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o444)).unwrap();
    let ro = doorstep_core::store::open_read_only(&copy, &KEY).unwrap();
    let n: i64 = ro
        .query_row("SELECT count(*) FROM resident", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 200);
    drop(ro);
    assert_eq!(bytes(&copy), before);
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o644)).unwrap();
    let reopened = Doorstep::open(&copy, &KEY).unwrap();
    assert!(reopened.areas().unwrap().iter().any(|a| a.id == area.id));
    assert!(reopened.check_integrity().unwrap().is_empty());
    // A copy never overwrites.
    let err = live
        .read(|c| doorstep_core::store::copy_to(c, &copy, &KEY).map(|_| ()))
        .unwrap_err();
    assert!(err.to_string().contains("exists already"), "{err}");
    let err = doorstep_core::store::open_read_only(&dir.path().join("none.db"), &KEY).unwrap_err();
    assert!(err.to_string().contains("no file"), "{err}");
}

#[test]
fn a_store_written_with_the_openssl_page_cipher_opens_and_reads() {
    // Written by an earlier build whose SQLCipher used OpenSSL; the page format is the
    // same, so the store opens with today's cipher and its data reads back.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/made-with-openssl.db"),
        &path,
    )
    .unwrap();
    let d = Doorstep::open(&path, &[0x5a; 32]).unwrap();
    let areas = d.areas().unwrap();
    assert_eq!(areas.len(), 4, "{areas:?}");
    assert!(areas
        .iter()
        .any(|a| a.path == "武昌区/中南路街道/丽岛社区/第1网格"));
    assert!(d.check_integrity().unwrap().is_empty());
    drop(d);
    let wrong = Doorstep::open(&path, &[0x5b; 32]).err().unwrap();
    assert!(matches!(wrong, Error::WrongKey(_)), "{wrong:?}");
}
