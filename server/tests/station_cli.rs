//! The `doorstep` admin commands run as a station admin would, on real files: import,
//! admins, exports, pass sheets, key rotation, enrolment, backup and restore.

use std::path::Path;
use std::process::{Command, Output};

fn doorstep(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn one_line_error(o: &Output) -> String {
    assert!(!o.status.success());
    let err = String::from_utf8(o.stderr.clone()).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    err
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn import_reports_bad_rows_and_stores_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let mut sheet = doorstep_core::sample::residents_csv(50, 3);
    sheet.push_str("武昌区,中南路街道,丽岛社区,第1网格,1栋,1-101,丽岛社区1栋1-101,,男,1950,,\n");
    let file = dir.path().join("r.csv");
    std::fs::write(&file, &sheet).unwrap();
    let o = doorstep(&data, &["import", "residents", file.to_str().unwrap()]);
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(!o.status.success(), "a refused row makes a non-zero exit");
    assert!(out.contains("residents added 50"), "{out}");
    assert!(out.contains("line 52"), "{out}");
    // The same sheet again adds nothing.
    let o = doorstep(&data, &["import", "residents", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("residents added 0"));
    let o = doorstep(&data, &["import", "residents", "/no/such.csv"]);
    assert!(one_line_error(&o).contains("cannot read /no/such.csv"));
}

#[test]
fn exports_sheets_keys_enrolment_backup_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let key = doorstep_server::station::store_key(&data).unwrap();
    doorstep_server::demo::fill_sized(&data.join("station.db"), &key, now_ms(), 150).unwrap();
    let visits: i64 = doorstep_core::store::open(&data.join("station.db"), &key)
        .unwrap()
        .query_row("SELECT count(*) FROM visit WHERE _deleted = 0", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(visits > 0);

    let out = ok(&doorstep(
        &data,
        &[
            "admin",
            "create",
            "--name",
            "王站长",
            "--password",
            "long enough",
        ],
    ));
    assert!(out.contains("whole station"));
    let o = doorstep(
        &data,
        &["admin", "create", "--name", "x", "--password", "short"],
    );
    assert!(one_line_error(&o).contains("at least 8"));
    let o = doorstep(
        &data,
        &[
            "admin",
            "create",
            "--name",
            "x",
            "--password",
            "long enough",
            "--area",
            "火星区",
        ],
    );
    assert!(one_line_error(&o).contains("no area"));

    let csv = dir.path().join("v.csv");
    let out = ok(&doorstep(
        &data,
        &[
            "export",
            "visits",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "-o",
            csv.to_str().unwrap(),
        ],
    ));
    assert!(out.contains(&format!("{visits} rows")));
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(
        String::from_utf8_lossy(&bytes).lines().count() as i64,
        visits + 1
    );
    let xlsx = dir.path().join("v.xlsx");
    ok(&doorstep(
        &data,
        &[
            "export",
            "visits",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--pseudonymise",
            "-o",
            xlsx.to_str().unwrap(),
        ],
    ));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    let o = doorstep(
        &data,
        &[
            "export",
            "parcels",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "-o",
            "x.csv",
        ],
    );
    assert!(one_line_error(&o).contains("parcels"));

    let pdf = dir.path().join("p.pdf");
    ok(&doorstep(
        &data,
        &[
            "passes",
            "sheet",
            "--area",
            "武昌区/中南路街道/丽岛社区",
            "--building",
            "1栋",
            "-o",
            pdf.to_str().unwrap(),
        ],
    ));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));

    let out = ok(&doorstep(&data, &["keys", "rotate"]));
    assert!(out.starts_with("new signing key "));

    let out = ok(&doorstep(
        &data,
        &[
            "enrol",
            "--user",
            "社工李娜",
            "--role",
            "social_worker",
            "--area",
            "武昌区/中南路街道/丽岛社区",
        ],
    ));
    let code = out.lines().next().unwrap();
    assert_eq!(
        code.chars().filter(|c| c.is_ascii_alphanumeric()).count(),
        10
    );
    assert!(
        out.contains('█') || out.contains('▀') || out.contains('▄'),
        "a terminal QR"
    );

    let backup = dir.path().join("b");
    ok(&doorstep(&data, &["backup", backup.to_str().unwrap()]));
    let again = doorstep(&data, &["backup", backup.to_str().unwrap()]);
    assert!(one_line_error(&again).contains("exists already"));
    let restored = dir.path().join("r");
    ok(&doorstep(&restored, &["restore", backup.to_str().unwrap()]));
    let csv2 = dir.path().join("v2.csv");
    ok(&doorstep(
        &restored,
        &[
            "export",
            "visits",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "-o",
            csv2.to_str().unwrap(),
        ],
    ));
    assert_eq!(std::fs::read(&csv).unwrap(), std::fs::read(&csv2).unwrap());
    let o = doorstep(&restored, &["restore", backup.to_str().unwrap()]);
    assert!(one_line_error(&o).contains("already holds a station"));
}
