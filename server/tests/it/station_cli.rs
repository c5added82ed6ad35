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
    // Columns in the wrong order: every row refused, nothing stored, and it says so.
    let wrong = dir.path().join("wrong.csv");
    std::fs::write(
        &wrong,
        "区域,地址,姓名,出生年份,性别\n武昌区,1号,甲,女,1960\n",
    )
    .unwrap();
    let o = doorstep(&data, &["import", "residents", wrong.to_str().unwrap()]);
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(!o.status.success());
    assert!(
        out.contains("rows refused 1") && out.contains("nothing was stored: 1 of 1 rows"),
        "{out}"
    );
}

#[test]
fn exports_sheets_keys_and_enrolment() {
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
    let err = one_line_error(&o);
    assert!(
        err.contains("parcels") && err.contains("deliveries"),
        "{err}"
    );

    // Deliveries: one row per handoff, item lists in words, pseudonyms on request.
    let handoffs: i64 = doorstep_core::store::open(&data.join("station.db"), &key)
        .unwrap()
        .query_row("SELECT count(*) FROM handoff WHERE _deleted = 0", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(handoffs > 0, "the demo has deliveries");
    let dcsv = dir.path().join("d.csv");
    let out = ok(&doorstep(
        &data,
        &[
            "export",
            "deliveries",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "-o",
            dcsv.to_str().unwrap(),
        ],
    ));
    assert!(out.contains(&format!("{handoffs} rows")), "{out}");
    let text = String::from_utf8(std::fs::read(&dcsv).unwrap()).unwrap();
    assert!(text.starts_with("\u{feff}编号,时间,区域"));
    assert_eq!(text.lines().count() as i64, handoffs + 1);
    assert!(text.contains("公斤") && !text.contains("\"item\""));
    let dx = dir.path().join("d.xlsx");
    ok(&doorstep(
        &data,
        &[
            "export",
            "deliveries",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--area",
            "武昌区/中南路街道",
            "--pseudonymise",
            "-o",
            dx.to_str().unwrap(),
        ],
    ));
    assert!(std::fs::read(&dx).unwrap().starts_with(b"PK"));

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
}

#[test]
fn backup_and_restore_round_trip_through_one_encrypted_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let key = doorstep_server::station::store_key(&data).unwrap();
    doorstep_server::demo::fill_sized(&data.join("station.db"), &key, now_ms(), 120).unwrap();
    ok(&doorstep(
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
    ok(&doorstep(
        &data,
        &[
            "enrol",
            "--user",
            "社工李娜",
            "--role",
            "social_worker",
            "--area",
            "武昌区",
        ],
    ));
    let visits = |at: &Path, name: &str| {
        let out = dir.path().join(name);
        ok(&doorstep(
            at,
            &[
                "export",
                "visits",
                "--from",
                "2000-01-01",
                "--to",
                "2100-01-01",
                "-o",
                out.to_str().unwrap(),
            ],
        ));
        std::fs::read(out).unwrap()
    };
    let before = visits(&data, "before.csv");
    let enrolments = |at: &Path| -> i64 {
        rusqlite::Connection::open(at.join("doorstep.db"))
            .unwrap()
            .query_row("SELECT count(*) FROM enrolment", [], |r| r.get(0))
            .unwrap()
    };
    assert!(enrolments(&data) >= 1);

    let file = dir.path().join("station.backup");
    let out = ok(&doorstep(&data, &["backup", file.to_str().unwrap()]));
    assert!(out.contains("station.key"), "{out}");
    let bytes = std::fs::read(&file).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"), "encrypted");
    let name: String = doorstep_core::store::open(&data.join("station.db"), &key)
        .unwrap()
        .query_row("SELECT name FROM resident LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert!(
        !bytes.windows(name.len()).any(|w| w == name.as_bytes()),
        "no resident's name readable in the backup"
    );
    assert!(
        !bytes.windows(6).any(|w| w == b"argon2"),
        "the admin accounts are inside the encryption too"
    );
    let again = doorstep(&data, &["backup", file.to_str().unwrap()]);
    assert!(one_line_error(&again).contains("exists already"));

    // Restoring needs the key, and the right one.
    let restored = dir.path().join("r");
    let o = doorstep(&restored, &["restore", file.to_str().unwrap()]);
    assert!(one_line_error(&o).contains("--key"));
    let other = dir.path().join("other.key");
    std::fs::write(&other, "11".repeat(32)).unwrap();
    let o = doorstep(
        &restored,
        &[
            "restore",
            file.to_str().unwrap(),
            "--key",
            other.to_str().unwrap(),
        ],
    );
    assert!(one_line_error(&o).contains("does not open"));
    assert!(!restored.join("station.db").exists());
    // Files that are not backups.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "这不是备份\n".repeat(1000)).unwrap();
    let station_key = data.join("station.key");
    let o = doorstep(
        &restored,
        &[
            "restore",
            text.to_str().unwrap(),
            "--key",
            station_key.to_str().unwrap(),
        ],
    );
    assert!(one_line_error(&o).contains("not a doorstep backup"));
    let plain_copy = dir.path().join("copy.db");
    doorstep_core::store::copy_to(
        &doorstep_core::store::open(&data.join("station.db"), &key).unwrap(),
        &plain_copy,
        &key,
    )
    .unwrap();
    let o = doorstep(
        &restored,
        &[
            "restore",
            plain_copy.to_str().unwrap(),
            "--key",
            station_key.to_str().unwrap(),
        ],
    );
    assert!(one_line_error(&o).contains("not a backup"));

    let out = ok(&doorstep(
        &restored,
        &[
            "restore",
            file.to_str().unwrap(),
            "--key",
            station_key.to_str().unwrap(),
        ],
    ));
    assert!(out.starts_with("restored"), "{out}");
    assert_eq!(visits(&restored, "after.csv"), before);
    assert_eq!(enrolments(&restored), enrolments(&data));
    assert_eq!(
        std::fs::read(restored.join("station.key")).unwrap(),
        std::fs::read(&station_key).unwrap()
    );
    let st = doorstep_server::station::Station::open(&restored).unwrap();
    assert!(st.admins.verify("王站长", "long enough").unwrap().is_some());
    assert!(
        !st.core
            .read(|c| Ok(c
                .prepare("SELECT 1 FROM sqlite_master WHERE name LIKE 'doorstep_backup%'")?
                .exists([])?))
            .unwrap(),
        "the backup's own tables are not left in the restored store"
    );
    drop(st);
    let o = doorstep(&restored, &["restore", file.to_str().unwrap()]);
    assert!(one_line_error(&o).contains("already holds a station"));
    for folder in [dir.path(), restored.as_path()] {
        for f in std::fs::read_dir(folder).unwrap() {
            let name = f.unwrap().file_name().to_string_lossy().to_string();
            assert!(!name.contains(".partial"), "{name} left behind");
        }
    }

    // With the sync storage in PostgreSQL, both point to PostgreSQL's own tools.
    let pg = ["--database", "postgres://doorstep@localhost/doorstep"];
    let elsewhere = dir.path().join("pg.backup");
    let mut args = vec!["backup", elsewhere.to_str().unwrap()];
    args.extend(pg);
    let o = doorstep(&data, &args);
    assert!(one_line_error(&o).contains("pg_dump"));
    assert!(!elsewhere.exists());
    let mut args = vec!["restore", file.to_str().unwrap()];
    args.extend(pg);
    let o = doorstep(&dir.path().join("pg"), &args);
    assert!(one_line_error(&o).contains("pg_restore"));
}

/// Every command run with its standard output already closed, as `doorstep enrol ... |
/// head -1` leaves it once `head` has its line: the command does its work and exits as
/// it would have, without a panic.
#[test]
fn every_command_survives_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let key = doorstep_server::station::store_key(&data).unwrap();
    doorstep_server::demo::fill_sized(&data.join("station.db"), &key, now_ms(), 30).unwrap();
    let sheet = dir.path().join("r.csv");
    std::fs::write(&sheet, doorstep_core::sample::residents_csv(5, 1)).unwrap();
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let backup = out("b.backup");
    let restored = out("restored");
    let key_file = data.join("station.key").to_str().unwrap().to_string();
    let d = data.to_str().unwrap().to_string();
    let runs: Vec<(Vec<String>, bool)> = [
        (
            vec![
                "enrol",
                "--user",
                "wang",
                "--role",
                "social_worker",
                "--area",
                "武昌区",
                "--data",
                &d,
            ],
            true,
        ),
        (
            vec![
                "admin",
                "create",
                "--name",
                "王站长",
                "--password",
                "long enough",
                "--data",
                &d,
            ],
            true,
        ),
        (
            vec!["import", "residents", sheet.to_str().unwrap(), "--data", &d],
            true,
        ),
        (
            vec![
                "export",
                "visits",
                "--from",
                "2000-01-01",
                "--to",
                "2100-01-01",
                "-o",
                &out("v.csv"),
                "--data",
                &d,
            ],
            true,
        ),
        (
            vec![
                "passes",
                "sheet",
                "--area",
                "武昌区",
                "-o",
                &out("p.pdf"),
                "--data",
                &d,
            ],
            true,
        ),
        (vec!["keys", "rotate", "--data", &d], true),
        (vec!["backup", &backup, "--data", &d], true),
        (
            vec!["restore", &backup, "--key", &key_file, "--data", &restored],
            true,
        ),
        (
            vec!["revoke", "--device", "no-such-device", "--data", &d],
            false,
        ),
        (vec!["--help"], true),
        (vec!["--version"], true),
    ]
    .into_iter()
    .map(|(args, ok)| (args.into_iter().map(String::from).collect(), ok))
    .collect();
    for (args, should_succeed) in runs {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = Command::new(env!("CARGO_BIN_EXE_doorstep"))
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(o.status.success(), should_succeed, "{args:?}: {err}");
    }
    assert!(std::path::Path::new(&out("p.pdf")).exists());
    assert!(std::path::Path::new(&restored).join("station.db").exists());
}
