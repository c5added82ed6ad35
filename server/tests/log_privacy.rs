//! Core's log of a full scenario (import, search, passes and scans, sync both ways, an op
//! the server refuses, a store opened again) carries no resident's name, phone or
//! address, at every level down to trace, and still says what happened.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use doorstep_core::registry::{NewHousehold, SearchQuery};
use doorstep_core::sync::Role;
use doorstep_core::{Clock, Doorstep};

/// Everything logged, as the fmt layer writes it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The residents' names and phones and the households' addresses and phones.
fn personal(d: &Doorstep) -> Vec<String> {
    d.read(|c| {
        let mut out = Vec::new();
        for sql in [
            "SELECT name FROM resident",
            "SELECT phone FROM resident WHERE phone IS NOT NULL",
            "SELECT address FROM household",
            "SELECT phone FROM household WHERE phone IS NOT NULL",
        ] {
            let mut stmt = c.prepare(sql)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for v in rows {
                out.push(v?);
            }
        }
        Ok(out)
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_scenario_logs_no_names_phones_or_addresses() {
    let log = Captured::default();
    let writer = log.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_env_filter("doorstep=trace")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();

    let env = Env::start(Backend::Sqlite).await;
    let (admin, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    admin
        .import_csv(doorstep_core::sample::residents_csv(300, 5).as_bytes())
        .unwrap();
    let private = personal(&admin);
    assert!(private.len() > 500, "{} values to look for", private.len());
    let first = admin
        .read(|c| {
            Ok(c.query_row(
                "SELECT id, name FROM resident ORDER BY id LIMIT 1",
                [],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )?)
        })
        .unwrap();
    let hits = admin
        .search(&SearchQuery {
            text: first.1.clone(),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert!(!hits.is_empty());
    admin.new_signing_key().unwrap();
    let now = doorstep_core::SystemClock.now_ms();
    let pass = admin
        .issue_pass(&first.0, now - 86_400_000, now + 86_400_000)
        .unwrap();
    admin.scan(&pass.text, "丽岛社区核酸点", "1").unwrap();
    admin.scan(&pass.text, "丽岛社区核酸点", "1").unwrap();
    admin.sync_with(quick(), None).await.unwrap();

    // A social worker's phone pulls one grid, then writes outside it: the server refuses.
    let grid = admin
        .areas()
        .unwrap()
        .into_iter()
        .max_by_key(|a| (a.path.matches('/').count(), a.path.clone()))
        .unwrap();
    let (worker, _) = env.phone("wang", SW, &[grid.path.as_str()]).await;
    worker.sync_with(quick(), None).await.unwrap();
    let elsewhere = worker
        .ensure_area("洪山区/珞南街道/别处社区/第9网格")
        .unwrap();
    worker
        .create_household(&NewHousehold {
            area_id: elsewhere.id,
            address: "别处路99号".into(),
            phone: Some("13700001111".into()),
            ..Default::default()
        })
        .unwrap();
    let report = worker.sync_with(quick(), None).await.unwrap();
    assert!(
        report.rejected > 0,
        "the server refuses a write outside the grid"
    );
    let worker_path = worker.path().to_path_buf();
    drop(worker);
    drop(Doorstep::open(&worker_path, &[7u8; 32]).unwrap());

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    for said in [
        "store opened",
        "import done",
        "sync started",
        "pulled a page",
        "pushed a batch",
        "op refused by the server",
        "sync done",
    ] {
        assert!(text.contains(said), "the log says {said:?}:\n{text}");
    }
    for value in private
        .iter()
        .chain(["别处路99号".to_string(), "13700001111".to_string()].iter())
    {
        assert!(
            !text.contains(value.as_str()),
            "the log holds {value:?}:\n{text}"
        );
    }
}
