//! The server killed mid-push and started again: the phone's retries carry the sync
//! through, and every op is stored exactly once. The server runs as a child process,
//! the enrolment code comes from `doorstep enrol`, as an admin would do it.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use doorstep_core::registry::{NewHousehold, NewResident, Sex};
use doorstep_core::sync::SyncOptions;

fn doorstep(args: &[&str], dir: &tempfile::TempDir, database: &Option<String>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_doorstep"));
    c.args(args).arg("--data").arg(dir.path());
    if let Some(url) = database {
        c.arg("--database").arg(url);
    }
    c
}

/// A server process, killed when dropped so a failing test leaves none behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(listen: &str, dir: &tempfile::TempDir, database: &Option<String>) -> (Server, String) {
    let mut child = doorstep(&["serve", "--listen", listen], dir, database)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start doorstep serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("address line")
        .to_string();
    (Server(child), addr)
}

async fn killed_mid_push_and_restarted(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(b, &dir).await;
    let (child, addr) = serve("127.0.0.1:0", &dir, &database);
    let out = doorstep(
        &[
            "enrol",
            "--user",
            "wang",
            "--role",
            "social_worker",
            "--area",
            GRID1,
        ],
        &dir,
        &database,
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The code is the first line; a QR of it for a phone's camera follows.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let code = stdout.lines().next().unwrap_or_default().trim().to_string();

    let phone = doorstep_core::Doorstep::open(dir.path().join("phone.db"), &[1u8; 32]).unwrap();
    phone.enrol(&format!("http://{addr}"), &code).await.unwrap();
    let area = phone.ensure_area(GRID1).unwrap();
    let hh = phone
        .create_household(&NewHousehold {
            area_id: area.id,
            building_id: None,
            address: "1-1".into(),
            unit: None,
            phone: None,
        })
        .unwrap();
    for i in 0..1500 {
        phone
            .create_resident(&NewResident {
                household_id: hh.id.clone(),
                name: format!("居民{i}"),
                sex: Sex::Male,
                birth_year: Some(1950),
                phone: None,
                tags: vec![],
                notes: None,
            })
            .unwrap();
    }
    let total = phone.pending_op_count().unwrap();
    let store = open_storage(&dir, &database).await;
    let phone = std::sync::Arc::new(phone);
    let p = phone.clone();
    let sync = tokio::spawn(async move {
        let opts = SyncOptions {
            push_batch: 10,
            pull_page: 100,
            attempts: 40,
            backoff_ms: 50,
            max_backoff_ms: 400,
            timeout_ms: 5_000,
            blob_part: 64 * 1024,
        };
        p.sync_with(opts, None).await
    });
    while store.op_count().await.unwrap() == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    drop(child);
    let at_kill = store.op_count().await.unwrap();
    assert!(
        at_kill > 0 && at_kill < total,
        "killed mid-push: {at_kill} of {total} stored"
    );
    let (again, addr2) = serve(&addr, &dir, &database);
    assert_eq!(addr2, addr);
    let report = sync.await.unwrap().expect("the sync survives the restart");
    drop(again);
    assert_eq!(report.pending, 0);
    assert_eq!(phone.pending_op_count().unwrap(), 0);
    let ids = server_op_ids(store.as_ref()).await;
    assert_eq!(ids.len() as u64, total, "every op stored once");
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len() as u64,
        total
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_server_killed_mid_push_and_restarted() {
    killed_mid_push_and_restarted(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_server_killed_mid_push_and_restarted() {
    killed_mid_push_and_restarted(Backend::Postgres).await
}
