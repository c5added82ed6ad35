//! A store written by each earlier build opens with today's code, migrates, and keeps
//! every row. Each past schema version gets a store made by running the migrations up
//! to it and filled with the demo week's rows (residents, visits, needs, referrals,
//! check-ins, deliveries, the change log), copied column by column into the tables that
//! version had.

use std::collections::BTreeMap;
use std::path::Path;

use doorstep_core::registry::SearchQuery;
use doorstep_core::store::{self, SCHEMA_VERSION};
use doorstep_core::visits::DueQuery;
use doorstep_core::Doorstep;
use rusqlite::types::Value;
use rusqlite::Connection;

const KEY: [u8; 32] = [61; 32];
/// 2026-11-23 08:00 UTC.
const NOW: i64 = 1_795_420_800_000;

/// The rows of each table, as text, sorted: a table's contents whatever their order.
type Contents = BTreeMap<String, Vec<String>>;

/// The tables of a store and their columns, SQLite's own left out.
fn tables(c: &Connection) -> BTreeMap<String, Vec<String>> {
    let names: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names
        .into_iter()
        .map(|t| {
            let cols: Vec<String> = c
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{t}') ORDER BY cid"
                ))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            (t, cols)
        })
        .collect()
}

fn select(c: &Connection, table: &str, cols: &[String]) -> Vec<Vec<Value>> {
    let list = cols
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = c
        .prepare(&format!("SELECT {list} FROM \"{table}\""))
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            (0..cols.len())
                .map(|i| r.get::<_, Value>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// Every row of the tables named in `only`, on the columns given there.
fn contents(c: &Connection, only: &BTreeMap<String, Vec<String>>) -> Contents {
    only.iter()
        .map(|(t, cols)| {
            let mut rows: Vec<String> = select(c, t, cols)
                .into_iter()
                .map(|r| format!("{r:?}"))
                .collect();
            rows.sort();
            (t.clone(), rows)
        })
        .collect()
}

/// A store at schema `version` holding the rows of `source` that fit its tables.
fn store_at(version: i64, source: &Connection, path: &Path) {
    let old = store::create_at_version(path, &KEY, version).unwrap();
    let user_version: i64 = old
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(user_version, version);
    let have = tables(source);
    let tx = old.unchecked_transaction().unwrap();
    for (table, cols) in tables(&old) {
        let Some(source_cols) = have.get(&table) else {
            continue;
        };
        // A column a later version dropped is left to its default.
        let cols: Vec<String> = cols
            .into_iter()
            .filter(|c| source_cols.contains(c))
            .collect();
        let marks = vec!["?"; cols.len()].join(", ");
        let list = cols
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        // OR IGNORE: the version's triggers may have written a row (the due list's
        // stale marks) before the copy of the same row comes.
        let mut insert = tx
            .prepare(&format!(
                "INSERT OR IGNORE INTO \"{table}\"({list}) VALUES ({marks})"
            ))
            .unwrap();
        for row in select(source, &table, &cols) {
            insert
                .execute(rusqlite::params_from_iter(row.iter()))
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// The demo week, written by today's code: the rows every older store is filled from.
fn demo(dir: &Path) -> Connection {
    let path = dir.join("demo.db");
    doorstep_server::demo::fill_sized(&path, &KEY, NOW, 150).unwrap();
    store::open_read_only(&path, &KEY).unwrap()
}

fn upgrades_from(version: i64) {
    assert!((1..SCHEMA_VERSION).contains(&version));
    let dir = tempfile::tempdir().unwrap();
    let source = demo(dir.path());
    let path = dir.path().join(format!("v{version}.db"));
    store_at(version, &source, &path);

    let (old_tables, before) = {
        let old = store::open_read_only(&path, &KEY).unwrap();
        let shape = tables(&old);
        let rows = contents(&old, &shape);
        (shape, rows)
    };
    let rows: usize = before.values().map(Vec::len).sum();
    for table in ["area", "household", "resident", "op_log"] {
        assert!(
            !before[table].is_empty(),
            "the v{version} store has {table} rows"
        );
    }
    assert!(rows > 1_000, "the v{version} store holds {rows} rows");
    let filled: Vec<String> = before
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .map(|(t, r)| format!("{t} {}", r.len()))
        .collect();
    eprintln!(
        "v{version}: {rows} rows in {} of {} tables: {}",
        filled.len(),
        before.len(),
        filled.join(", ")
    );

    let d = Doorstep::open(&path, &KEY).unwrap();
    let version_now: i64 = d
        .read(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
        .unwrap();
    assert_eq!(version_now, SCHEMA_VERSION);
    assert_eq!(d.check_integrity().unwrap(), Vec::<String>::new());
    // Every table of the old store is still there, with every row on every old column.
    let now_tables = d.read(|c| Ok(tables(c))).unwrap();
    for (table, cols) in &old_tables {
        let now_cols = now_tables
            .get(table)
            .unwrap_or_else(|| panic!("table {table} of the v{version} store is gone"));
        for col in cols {
            assert!(now_cols.contains(col), "column {table}.{col} is gone");
        }
    }
    let kept = d.read(|c| Ok(contents(c, &old_tables))).unwrap();
    for (table, rows) in &before {
        assert_eq!(
            &kept[table], rows,
            "table {table}: the rows of the v{version} store after the upgrade"
        );
    }
    // And today's code reads them.
    let name = d
        .read(|c| {
            Ok(c.query_row("SELECT name FROM resident LIMIT 1", [], |r| {
                r.get::<_, String>(0)
            })?)
        })
        .unwrap();
    let hits = d
        .search(&SearchQuery {
            text: name.clone(),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert!(
        hits.iter().any(|h| h.resident.name == name),
        "{name} is found"
    );
    let grids: Vec<String> = d.areas().unwrap().into_iter().map(|a| a.id).collect();
    let due = d
        .due_list(&DueQuery {
            area_ids: grids,
            limit: 0,
        })
        .unwrap();
    assert!(!due.is_empty(), "the due list of the v{version} store");
    assert_eq!(
        d.pending_op_count().unwrap() as usize,
        before["op_log"].len()
    );
}

/// One test per past version; when a migration lands, the version it replaces gets one.
macro_rules! upgrade_tests {
    ($($name:ident: $v:expr,)*) => {
        $(#[test]
        fn $name() {
            upgrades_from($v);
        })*

        #[test]
        fn every_past_version_has_a_test() {
            let tested = [$($v),*];
            assert_eq!(tested.to_vec(), (1..SCHEMA_VERSION).collect::<Vec<i64>>());
        }
    };
}

upgrade_tests! {
    a_v1_store_upgrades: 1,
    a_v2_store_upgrades: 2,
    a_v3_store_upgrades: 3,
    a_v4_store_upgrades: 4,
    a_v5_store_upgrades: 5,
    a_v6_store_upgrades: 6,
}
