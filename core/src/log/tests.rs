use std::sync::Arc;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::registry::{NewHousehold, RESIDENT, RESIDENT_MOVE};
use crate::{store, Doorstep, ManualClock, SCHEMA};

const KEY: [u8; 32] = [3; 32];
const NOW: i64 = 1_795_420_800_000;

fn op(
    id: &str,
    hlc: (i64, u16),
    device: &str,
    entity_id: &str,
    action: Action,
    fields: Fields,
) -> Op {
    Op {
        id: id.into(),
        hlc: Hlc::new(hlc.0, hlc.1),
        device: device.into(),
        user: "u".into(),
        entity: if action == Action::Fact {
            "resident_move"
        } else {
            "resident"
        }
        .into(),
        entity_id: entity_id.into(),
        action,
        fields,
    }
}

fn name_of(conn: &Connection, id: &str) -> Option<String> {
    conn.query_row("SELECT name FROM resident WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .optional()
    .unwrap()
    .flatten()
}

#[test]
fn hlc_ticks_forward_when_wall_clock_goes_back() {
    let a = Hlc::new(1000, 0);
    let b = a.tick(500);
    assert!(b > a);
    assert_eq!(b.wall_ms(), 1000);
    assert_eq!(b.counter(), 1);
    let c = b.tick(2000);
    assert_eq!((c.wall_ms(), c.counter()), (2000, 0));
    let seen = Hlc::new(5000, 7);
    assert!(c.observe(seen).tick(2000) > seen);
}

#[test]
fn hlc_is_monotonic_across_restarts_and_clock_jumps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    let clock = Arc::new(ManualClock::new(NOW));
    let mut stamps = Vec::new();
    {
        let d = Doorstep::open_with_clock(&path, &KEY, clock.clone()).unwrap();
        d.ensure_area("A区").unwrap();
        stamps.push(d.clock_stamp());
        clock.advance(-3_600_000);
        d.ensure_area("B区").unwrap();
        stamps.push(d.clock_stamp());
    }
    // Reopened after the phone's clock was set back a day.
    clock.advance(-86_400_000);
    let d = Doorstep::open_with_clock(&path, &KEY, clock.clone()).unwrap();
    assert_eq!(d.clock_stamp(), stamps[1], "the stamp survives a restart");
    d.ensure_area("C区").unwrap();
    stamps.push(d.clock_stamp());
    let logged: Vec<i64> = d
        .read(|c| {
            let mut s = c.prepare("SELECT hlc FROM op_log ORDER BY seq")?;
            let v = s
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(v)
        })
        .unwrap();
    assert_eq!(logged.len(), 3);
    assert!(logged.windows(2).all(|w| w[0] < w[1]), "{logged:?}");
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
}

#[test]
fn every_write_appends_its_ops_in_the_same_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let d = Doorstep::open(dir.path().join("d.db"), &KEY).unwrap();
    let area = d.ensure_area("区/街道").unwrap();
    assert_eq!(d.pending_op_count().unwrap(), 2);
    let bad = d.create_household(&NewHousehold {
        area_id: area.id.clone(),
        address: "  ".into(),
        ..Default::default()
    });
    assert!(matches!(bad, Err(Error::Invalid(_))));
    assert_eq!(
        d.pending_op_count().unwrap(),
        2,
        "a refused write logs nothing"
    );
    let h = d
        .create_household(&NewHousehold {
            area_id: area.id,
            address: "1号".into(),
            ..Default::default()
        })
        .unwrap();
    let ops = d.pending_ops(100).unwrap();
    assert_eq!(ops.len(), 3);
    assert_eq!(ops[2].entity, "household");
    assert_eq!(ops[2].entity_id, h.id);
    assert_eq!(ops[2].fields["address"], json!("1号"));
    assert_eq!(ops[2].device, d.device_id());
}

#[test]
fn pending_ops_are_read_from_the_settled_watermark_and_nothing_waiting_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = Doorstep::open(dir.path().join("d.db"), &KEY).unwrap();
    d.ensure_area("区/街道/社区/网格").unwrap();
    let ids: Vec<String> = d
        .pending_ops(100)
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(ids.len(), 4);
    // The server acknowledges the first and third and refuses the second.
    d.with_writer(|c| {
        c.execute(
            "UPDATE op_log SET acked = 1 WHERE op_id IN (?1, ?2)",
            [&ids[0], &ids[2]],
        )?;
        c.execute(
            "UPDATE op_log SET rejected = 'scope' WHERE op_id = ?1",
            [&ids[1]],
        )?;
        settle(c)?;
        Ok(())
    })
    .unwrap();
    let seq_of = |id: &str| -> i64 {
        d.read(|c| {
            Ok(
                c.query_row("SELECT seq FROM op_log WHERE op_id = ?1", [id], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap()
    };
    assert_eq!(d.read(settled).unwrap(), seq_of(&ids[3]) - 1);
    let left: Vec<String> = d
        .pending_ops(100)
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(left, vec![ids[3].clone()]);
    assert_eq!(d.pending_op_count().unwrap(), 1);
    // The refused op is queued again: the watermark goes back below it.
    let second = seq_of(&ids[1]);
    d.with_writer(|c| {
        c.execute(
            "UPDATE op_log SET rejected = NULL WHERE op_id = ?1",
            [&ids[1]],
        )?;
        unsettle(c, second)
    })
    .unwrap();
    let left: Vec<String> = d
        .pending_ops(100)
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(left, vec![ids[1].clone(), ids[3].clone()]);
    // A remote op settles past itself; this device's own op coming back is a duplicate.
    let own = d.pending_ops(1).unwrap().remove(0);
    let remote = op(
        "r-1",
        (NOW, 0),
        "dev-b",
        "r1",
        Action::Put,
        crate::fields! {"name" => "王芳"},
    );
    assert_eq!(
        d.apply_remote(&[own, remote]).unwrap(),
        vec![Applied::Duplicate, Applied::New]
    );
    assert_eq!(d.pending_op_count().unwrap(), 2);
    let rows: i64 = d
        .read(|c| Ok(c.query_row("SELECT count(*) FROM op_log", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(rows, 5, "the own op was not stored a second time");
}

#[test]
fn a_devices_own_op_coming_back_is_a_duplicate() {
    let conn = store::open_in_memory().unwrap();
    let mine = op(
        "o-mine",
        (10, 0),
        "dev-a",
        "r1",
        Action::Put,
        crate::fields! {"name" => "张伟"},
    );
    assert_eq!(
        apply_watching(&conn, SCHEMA, &mine, "dev-a", None).unwrap(),
        Applied::Duplicate
    );
    let n: i64 = conn
        .query_row("SELECT count(*) FROM op_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0, "nothing was applied");
    // The same op is new to another device's store.
    assert_eq!(
        apply_watching(&conn, SCHEMA, &mine, "dev-b", None).unwrap(),
        Applied::New
    );
}

#[test]
fn applying_the_same_op_twice_changes_nothing() {
    let conn = store::open_in_memory().unwrap();
    let o = op(
        "o1",
        (10, 0),
        "dev-a",
        "r1",
        Action::Put,
        crate::fields! {"name" => "张伟"},
    );
    assert_eq!(apply(&conn, SCHEMA, &o).unwrap(), Applied::New);
    let before = snapshot(&conn, SCHEMA).unwrap();
    assert_eq!(apply(&conn, SCHEMA, &o).unwrap(), Applied::Duplicate);
    assert_eq!(before, snapshot(&conn, SCHEMA).unwrap());
    let n: i64 = conn
        .query_row("SELECT count(*) FROM op_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn registers_are_last_writer_wins_per_field() {
    let conn = store::open_in_memory().unwrap();
    let create = op(
        "c",
        (10, 0),
        "dev-a",
        "r1",
        Action::Put,
        crate::fields! {
            "household_id" => "h1", "name" => "张伟", "sex" => "M", "birth_year" => 1950,
            "phone" => "13800000000", "tags" => "[]", "notes" => Value::Null,
        },
    );
    let newer_phone = op(
        "p",
        (30, 0),
        "dev-b",
        "r1",
        Action::Put,
        crate::fields! {"phone" => "13900000000"},
    );
    let older_name = op(
        "n",
        (20, 0),
        "dev-c",
        "r1",
        Action::Put,
        crate::fields! {"name" => "张卫"},
    );
    let stale_phone = op(
        "q",
        (15, 0),
        "dev-c",
        "r1",
        Action::Put,
        crate::fields! {"phone" => "13700000000"},
    );
    for o in [&newer_phone, &create, &stale_phone, &older_name] {
        apply(&conn, SCHEMA, o).unwrap();
    }
    let (name, phone): (String, String) = conn
        .query_row(
            "SELECT name, phone FROM resident WHERE id = 'r1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(name, "张卫", "the later name wins over the create");
    assert_eq!(
        phone, "13900000000",
        "the later phone wins, the stale one loses"
    );
}

#[test]
fn equal_clocks_are_broken_by_device_id() {
    for order in [[0, 1], [1, 0]] {
        let conn = store::open_in_memory().unwrap();
        let ops = [
            op(
                "a",
                (50, 3),
                "dev-a",
                "r1",
                Action::Put,
                crate::fields! {"name" => "甲"},
            ),
            op(
                "b",
                (50, 3),
                "dev-b",
                "r1",
                Action::Put,
                crate::fields! {"name" => "乙"},
            ),
        ];
        for i in order {
            apply(&conn, SCHEMA, &ops[i]).unwrap();
        }
        assert_eq!(name_of(&conn, "r1").as_deref(), Some("乙"), "dev-b > dev-a");
    }
}

#[test]
fn facts_are_never_overwritten() {
    let conn = store::open_in_memory().unwrap();
    let first = op(
        "f1",
        (10, 0),
        "dev-a",
        "m1",
        Action::Fact,
        crate::fields! {
            "resident_id" => "r1", "from_household" => "h1", "to_household" => "h2", "at" => 10,
        },
    );
    let mut rewrite = first.clone();
    rewrite.id = "f2".into();
    rewrite.hlc = Hlc::new(99, 0);
    rewrite.fields.insert("to_household".into(), json!("h3"));
    apply(&conn, SCHEMA, &first).unwrap();
    apply(&conn, SCHEMA, &rewrite).unwrap();
    let to: String = conn
        .query_row(
            "SELECT to_household FROM resident_move WHERE id = 'm1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(to, "h2");
    let put_on_fact = Op {
        entity: RESIDENT_MOVE.name.into(),
        action: Action::Put,
        id: "x".into(),
        ..first
    };
    assert!(matches!(
        apply(&conn, SCHEMA, &put_on_fact),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn tombstones_stay_whatever_comes_after() {
    let conn = store::open_in_memory().unwrap();
    let del = op("d", (10, 0), "dev-a", "r1", Action::Delete, Fields::new());
    let later = op(
        "u",
        (20, 0),
        "dev-b",
        "r1",
        Action::Put,
        crate::fields! {"name" => "李娜"},
    );
    apply(&conn, SCHEMA, &del).unwrap();
    apply(&conn, SCHEMA, &later).unwrap();
    let deleted: i64 = conn
        .query_row("SELECT _deleted FROM resident WHERE id = 'r1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(deleted, 1);
}

#[test]
fn malformed_remote_ops_are_refused_with_a_reason() {
    let conn = store::open_in_memory().unwrap();
    let mut unknown_entity = op("a", (1, 0), "d", "r", Action::Put, Fields::new());
    unknown_entity.entity = "spaceship".into();
    let unknown_field = op(
        "b",
        (1, 0),
        "d",
        "r",
        Action::Put,
        crate::fields! {"password" => "x"},
    );
    let nested = op(
        "c",
        (1, 0),
        "d",
        "r",
        Action::Put,
        crate::fields! {"name" => json!({"a": 1})},
    );
    let no_device = op(
        "e",
        (1, 0),
        "",
        "r",
        Action::Put,
        crate::fields! {"name" => "x"},
    );
    for (o, word) in [
        (unknown_entity, "spaceship"),
        (unknown_field, "password"),
        (nested, "object"),
        (no_device, "empty"),
    ] {
        match apply(&conn, SCHEMA, &o) {
            Err(Error::Invalid(m)) => assert!(m.contains(word), "{m}"),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
    assert!(snapshot(&conn, SCHEMA).unwrap().is_empty());
    let _ = RESIDENT.name;
}

/// A random op over a small space of rows, fields, clocks and devices, so ops collide.
fn arb_op() -> impl Strategy<Value = Op> {
    let fields = prop::collection::btree_map(
        prop::sample::select(vec!["name", "phone", "notes", "household_id"]),
        prop::option::of("[a-c]{1,2}"),
        1..3,
    );
    (
        0u8..3,
        0i64..6,
        0u16..2,
        prop::sample::select(vec!["dev-a", "dev-b", "dev-c"]),
        prop::sample::select(vec![Action::Put, Action::Put, Action::Put, Action::Delete, Action::Fact]),
        fields,
        any::<u64>(),
    )
        .prop_map(|(row, wall, counter, device, action, fields, salt)| {
            let (entity, fields) = match action {
                Action::Put => ("resident", fields.into_iter().map(|(k, v)| (k.to_string(), json!(v))).collect()),
                Action::Delete => ("resident", Fields::new()),
                Action::Fact => (
                    "resident_move",
                    crate::fields! {"resident_id" => format!("r{row}"), "to_household" => "h", "at" => wall},
                ),
            };
            Op {
                id: format!("op-{salt:x}"),
                hlc: Hlc::new(wall, counter),
                device: device.into(),
                user: "u".into(),
                entity: entity.into(),
                entity_id: if action == Action::Fact { format!("m{salt:x}") } else { format!("r{row}") },
                action,
                fields,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any order of the same ops, with duplicates, gives the same state.
    #[test]
    fn any_permutation_with_duplicates_converges(
        ops in prop::collection::vec(arb_op(), 1..14),
        perm_seed in any::<u64>(),
        dups in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        // Distinct (hlc, device) per entity, as real clocks guarantee.
        let mut ops = ops;
        let mut seen = std::collections::HashSet::new();
        ops.retain(|o| seen.insert((o.entity_id.clone(), o.hlc, o.device.clone())));
        let mut shuffled = ops.clone();
        for i in &dups {
            shuffled.push(i.get(&ops).clone());
        }
        // Fisher-Yates with a seeded LCG: reproducible from the proptest case.
        let mut s = perm_seed | 1;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let a = store::open_in_memory().unwrap();
        let b = store::open_in_memory().unwrap();
        for o in &ops { apply(&a, SCHEMA, o).unwrap(); }
        for o in &shuffled { apply(&b, SCHEMA, o).unwrap(); }
        prop_assert_eq!(snapshot(&a, SCHEMA).unwrap(), snapshot(&b, SCHEMA).unwrap());
    }
}
