use std::sync::Arc;

use super::*;
use crate::{Doorstep, ManualClock};

const KEY: [u8; 32] = [5; 32];
/// 2026-11-23 08:00 UTC.
const NOW: i64 = 1_795_420_800_000;

fn open() -> (tempfile::TempDir, Doorstep) {
    let dir = tempfile::tempdir().unwrap();
    let d = Doorstep::open_with_clock(
        dir.path().join("d.db"),
        &KEY,
        Arc::new(ManualClock::new(NOW)),
    )
    .unwrap();
    (dir, d)
}

fn household(d: &Doorstep, grid: &str, address: &str) -> Household {
    let area = d
        .ensure_area(&format!("武昌区/中南路街道/丽岛社区/{grid}"))
        .unwrap();
    d.create_household(&NewHousehold {
        area_id: area.id,
        address: address.into(),
        ..Default::default()
    })
    .unwrap()
}

fn resident(
    d: &Doorstep,
    h: &Household,
    name: &str,
    phone: Option<&str>,
    tags: Vec<Tag>,
) -> Resident {
    d.create_resident(&NewResident {
        household_id: h.id.clone(),
        name: name.into(),
        sex: Sex::Female,
        birth_year: Some(1948),
        phone: phone.map(Into::into),
        tags,
        notes: None,
    })
    .unwrap()
}

fn names(hits: &[SearchHit]) -> Vec<&str> {
    hits.iter().map(|h| h.resident.name.as_str()).collect()
}

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        ..Default::default()
    }
}

#[test]
fn area_paths_create_each_level_once() {
    let (_dir, d) = open();
    let grid = d.ensure_area("武昌区/中南路街道/丽岛社区/第3网格").unwrap();
    assert_eq!(grid.level, AreaLevel::Grid);
    assert_eq!(grid.path, "武昌区/中南路街道/丽岛社区/第3网格");
    let again = d
        .ensure_area(" 武昌区 / 中南路街道 / 丽岛社区 / 第3网格 ")
        .unwrap();
    assert_eq!(again, grid);
    let areas = d.areas().unwrap();
    assert_eq!(areas.len(), 4);
    assert_eq!(areas[0].level, AreaLevel::District);
    assert_eq!(areas[2].id, grid.parent_id.unwrap());
    assert_eq!(
        d.pending_op_count().unwrap(),
        4,
        "the second call wrote nothing"
    );
}

#[test]
fn bad_area_paths_are_refused() {
    let (_dir, d) = open();
    assert!(matches!(d.ensure_area(" / "), Err(Error::Invalid(m)) if m.contains("empty")));
    assert!(matches!(d.ensure_area("a/b/c/d/e"), Err(Error::Invalid(m)) if m.contains("5 levels")));
}

#[test]
fn unknown_references_are_not_found() {
    let (_dir, d) = open();
    let err = d
        .create_household(&NewHousehold {
            area_id: "nope".into(),
            address: "1号".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { kind: "area", .. }),
        "{err:?}"
    );
    let err = d
        .create_resident(&NewResident {
            household_id: "nope".into(),
            name: "张伟".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFound {
                kind: "household",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        d.resident("nope"),
        Err(Error::NotFound {
            kind: "resident",
            ..
        })
    ));
    assert!(matches!(
        d.create_building("nope", "1栋"),
        Err(Error::NotFound { kind: "area", .. })
    ));
}

#[test]
fn resident_fields_are_validated_with_the_field_named() {
    let (_dir, d) = open();
    let h = household(&d, "第1网格", "1栋101");
    let base = NewResident {
        household_id: h.id.clone(),
        name: "张伟".into(),
        ..Default::default()
    };
    let cases = [
        (
            NewResident {
                name: "  ".into(),
                ..base.clone()
            },
            "name must not be empty",
        ),
        (
            NewResident {
                birth_year: Some(2130),
                ..base.clone()
            },
            "birth_year 2130 is in the future",
        ),
        (
            NewResident {
                birth_year: Some(1850),
                ..base.clone()
            },
            "before 1900",
        ),
        (
            NewResident {
                phone: Some("call me".into()),
                ..base.clone()
            },
            "phone \"call me\"",
        ),
        (
            NewResident {
                name: "长".repeat(65),
                ..base.clone()
            },
            "name is 65 characters",
        ),
    ];
    for (input, message) in cases {
        match d.create_resident(&input) {
            Err(Error::Invalid(m)) => assert!(m.contains(message), "{m:?} lacks {message:?}"),
            other => panic!("expected Invalid for {message}, got {other:?}"),
        }
    }
    assert!(
        d.residents_of(&h.id).unwrap().is_empty(),
        "nothing was stored"
    );
    assert!(matches!(Tag::custom(""), Err(Error::Invalid(_))));
}

#[test]
fn create_and_update_per_field_through_the_log() {
    let (_dir, d) = open();
    let h = household(&d, "第1网格", "1栋101");
    let r = resident(
        &d,
        &h,
        "王秀英",
        Some("138-0000-1234"),
        vec![Tag::ElderlyAlone, Tag::custom("需助听器").unwrap()],
    );
    assert_eq!(r.phone.as_deref(), Some("13800001234"), "phone normalised");
    let got = d.resident(&r.id).unwrap();
    assert_eq!(got, r);
    let before = d.pending_op_count().unwrap();
    let updated = d
        .update_resident(
            &r.id,
            &ResidentPatch {
                phone: Some("13911112222".into()),
                name: Some("王秀英".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(updated.phone.as_deref(), Some("13911112222"));
    assert_eq!(updated.tags, r.tags);
    let ops = d.pending_ops(1000).unwrap();
    assert_eq!(ops.len() as u64, before + 1);
    let last = ops.last().unwrap();
    assert_eq!(
        last.fields.keys().collect::<Vec<_>>(),
        vec!["phone"],
        "only the changed field"
    );
    d.update_resident(&r.id, &ResidentPatch::default()).unwrap();
    assert_eq!(
        d.pending_op_count().unwrap(),
        before + 1,
        "an empty patch logs nothing"
    );
}

#[test]
fn moving_a_resident_keeps_history() {
    let (_dir, d) = open();
    let a = household(&d, "第1网格", "1栋101");
    let b = household(&d, "第2网格", "5栋502");
    let r = resident(&d, &a, "刘洋", None, vec![]);
    let moved = d.move_resident(&r.id, &b.id).unwrap();
    assert_eq!(moved.household_id, b.id);
    assert!(d.residents_of(&a.id).unwrap().is_empty());
    assert_eq!(d.residents_of(&b.id).unwrap().len(), 1);
    let history = d.resident_moves(&r.id).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].from_household.as_deref(), Some(a.id.as_str()));
    assert_eq!(history[0].to_household, b.id);
    assert_eq!(history[0].at_ms, NOW);
    assert!(matches!(
        d.move_resident(&r.id, "nope"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn deleting_leaves_a_tombstone_out_of_lists_and_search() {
    let (_dir, d) = open();
    let h = household(&d, "第1网格", "1栋101");
    let r = resident(&d, &h, "陈静", None, vec![]);
    assert_eq!(names(&d.search(&q("chenjing")).unwrap()), vec!["陈静"]);
    d.delete_resident(&r.id).unwrap();
    assert!(matches!(d.resident(&r.id), Err(Error::NotFound { .. })));
    assert!(d.residents_of(&h.id).unwrap().is_empty());
    assert!(d.search(&q("chenjing")).unwrap().is_empty());
    let ops = d.pending_ops(100).unwrap();
    assert_eq!(ops.last().unwrap().action, crate::log::Action::Delete);
    assert!(matches!(
        d.delete_resident(&r.id),
        Err(Error::NotFound { .. })
    ));
}

const CSV: &str = "区,街道,社区,网格,楼栋,门牌,地址,户电话,姓名,性别,出生年份,手机,标签,备注
武昌区,中南路街道,丽岛社区,第1网格,3栋,201,丽岛花园,027-8888-0001,张伟,男,1950,13800000001,独居老人,每日测血压
武昌区,中南路街道,丽岛社区,第1网格,3栋,201,丽岛花园,,李秀兰,女,1952,,慢性病；低保,
武昌区,中南路街道,丽岛社区,第2网格,5栋,502,丽岛花园,,单丽,女,1988,13912345678,孕产妇,
武昌区,中南路街道,丽岛社区,第2网格,5栋,502,丽岛花园,,,女,1990,,,
武昌区,中南路街道,丽岛社区,第2网格,6栋,101,丽岛花园,,赵强,未说,2150,12ab,,
武昌区,中南路街道,丽岛社区,第2网格,6栋,102,丽岛花园,,周杰,男
武昌区,中南路街道,丽岛社区,第2网格,6栋,103,丽岛花园,,曾小红,女,2016,,困境儿童,
";

fn check_report(report: &ImportReport) {
    assert_eq!(report.households_added, 3, "{report:?}");
    assert_eq!(report.residents_added, 4, "{report:?}");
    let errs: Vec<(u64, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_str()))
        .collect();
    assert_eq!(
        errs,
        vec![
            (5, "姓名"),
            (6, "性别"),
            (6, "出生年份"),
            (6, "手机"),
            (7, "row")
        ],
        "{:#?}",
        report.errors
    );
    assert!(report.errors[1].reason.contains("未说"));
    assert!(report.errors[2].reason.contains("2150 is in the future"));
}

#[test]
fn csv_import_gives_back_the_page_cache_it_found() {
    let (_dir, d) = open();
    assert_eq!(
        d.read(crate::store::cache_mib).unwrap(),
        crate::store::CACHE_MIB
    );
    d.import_csv(CSV.as_bytes()).unwrap();
    assert_eq!(
        d.read(crate::store::cache_mib).unwrap(),
        crate::store::CACHE_MIB
    );
    // A station sets a larger cache than a phone's; an import leaves it so.
    d.read(|c| crate::store::set_cache_mib(c, 200)).unwrap();
    d.import_csv(CSV.as_bytes()).unwrap();
    assert_eq!(d.read(crate::store::cache_mib).unwrap(), 200);
}

#[test]
fn csv_import_utf8_with_bom_and_chinese_header() {
    let (_dir, d) = open();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(CSV.as_bytes());
    let report = d.import_csv(&bytes).unwrap();
    check_report(&report);
    let hits = d.search(&q("张伟")).unwrap();
    assert_eq!(hits.len(), 1);
    let zhang = &hits[0].resident;
    assert_eq!(zhang.tags, vec![Tag::ElderlyAlone]);
    assert_eq!(zhang.birth_year, Some(1950));
    assert_eq!(zhang.notes.as_deref(), Some("每日测血压"));
    let household = d.household(&zhang.household_id).unwrap();
    assert_eq!(household.unit.as_deref(), Some("201"));
    assert_eq!(household.phone.as_deref(), Some("02788880001"));
    assert_eq!(
        d.residents_of(&household.id).unwrap().len(),
        2,
        "same household for 张伟 and 李秀兰"
    );
    let li = d.search(&q("李秀兰")).unwrap();
    assert_eq!(
        li[0].resident.tags,
        vec![Tag::ChronicIllness, Tag::LowIncome]
    );
}

#[test]
fn csv_import_gbk_gives_the_same_result() {
    let (_dir, d) = open();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(CSV);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the test file really is GBK"
    );
    let report = d.import_csv(&gbk).unwrap();
    check_report(&report);
    assert_eq!(names(&d.search(&q("shanli")).unwrap()), vec!["单丽"]);
}

#[test]
fn csv_import_english_header_without_bom_and_tabs() {
    let (_dir, d) = open();
    let tsv = "area\taddress\tunit\tname\tsex\tbirth_year\tphone\ttags\n\
               Wuchang/Zhongnan/Lidao/Grid 1\t8 Garden Rd\t3-201\tAnna Li\tfemale\t1940\t+86 139 0000 0000\telderly_alone;disability\n";
    let report = d.import_csv(tsv.as_bytes()).unwrap();
    assert_eq!(
        (report.households_added, report.residents_added),
        (1, 1),
        "{report:?}"
    );
    assert!(report.errors.is_empty());
    let hit = &d.search(&q("anna")).unwrap()[0];
    assert_eq!(hit.resident.phone.as_deref(), Some("+8613900000000"));
    assert_eq!(hit.resident.tags, vec![Tag::ElderlyAlone, Tag::Disability]);
    assert_eq!(d.areas().unwrap().len(), 4);
}

#[test]
fn csv_without_a_name_column_is_refused_whole() {
    let (_dir, d) = open();
    let err = d
        .import_csv("地址,电话\n1号,123456\n".as_bytes())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid(m) if m.contains("姓名")),
        "{err:?}"
    );
    let err = d.import_csv(&[0xff, 0xfe, 0x00, 0xd8, 0x00]).unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    let err = d.import_csv(&[0x81, 0x20, 0xff, 0xff, 0x80]).unwrap_err();
    assert!(
        matches!(&err, Error::Invalid(m) if m.contains("GBK")),
        "{err:?}"
    );
    assert_eq!(d.pending_op_count().unwrap(), 0);
}

#[test]
fn a_first_import_that_repeats_a_row_stores_it_once_and_keeps_the_later_values() {
    // Into empty tables the importer skips its lookups; a row repeated further down the
    // same sheet must still update the resident it made, not make a second one.
    let (_dir, d) = open();
    let sheet = "区域,地址,门牌,姓名,性别,出生年份,手机\n\
                 武昌区/中南路街道/丽岛社区/第1网格,丽岛花园3栋,201,周建国,男,1948,13900000001\n\
                 武昌区/中南路街道/丽岛社区/第1网格,丽岛花园3栋,202,吴芳,女,1985,13900000002\n\
                 武昌区/中南路街道/丽岛社区/第1网格,丽岛花园3栋,201,周建国,男,1948,13900000009\n";
    let report = d.import_csv(sheet.as_bytes()).unwrap();
    assert_eq!(
        (
            report.households_added,
            report.residents_added,
            report.residents_updated,
            report.unchanged
        ),
        (2, 2, 1, 0),
        "{report:?}"
    );
    let hits = d.search(&q("周建国")).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].resident.phone.as_deref(), Some("13900000009"));
}

#[test]
fn importing_the_same_file_twice_adds_nothing() {
    let (_dir, d) = open();
    d.import_csv(CSV.as_bytes()).unwrap();
    let ops = d.pending_op_count().unwrap();
    let again = d.import_csv(CSV.as_bytes()).unwrap();
    assert_eq!(
        (
            again.households_added,
            again.residents_added,
            again.residents_updated
        ),
        (0, 0, 0)
    );
    assert_eq!(again.unchanged, 4);
    assert_eq!(d.pending_op_count().unwrap(), ops, "no op written");
    // The station corrects a phone number in its sheet: one update, nothing added.
    let edited = CSV.replace("13912345678", "13912345000");
    let third = d.import_csv(edited.as_bytes()).unwrap();
    assert_eq!(
        (
            third.residents_added,
            third.residents_updated,
            third.unchanged
        ),
        (0, 1, 3)
    );
    assert_eq!(d.search(&q("5000")).unwrap()[0].resident.name, "单丽");
}

#[test]
fn search_by_name_pinyin_initials_phone_and_address() {
    let (_dir, d) = open();
    let a = household(&d, "第1网格", "丽岛花园3栋201");
    let b = household(&d, "第2网格", "紫阳小区7栋");
    resident(&d, &a, "张伟", Some("13800001234"), vec![Tag::ElderlyAlone]);
    resident(&d, &a, "张伟明", None, vec![]);
    resident(&d, &b, "单丽", Some("13955556666"), vec![Tag::Pregnant]);
    resident(&d, &b, "赵伟", None, vec![Tag::Disability]);
    assert_eq!(
        names(&d.search(&q("张伟")).unwrap()),
        vec!["张伟", "张伟明"],
        "exact name first"
    );
    assert_eq!(
        names(&d.search(&q("伟")).unwrap()),
        vec!["张伟", "张伟明", "赵伟"]
    );
    assert_eq!(
        names(&d.search(&q("zhangwei")).unwrap()),
        vec!["张伟", "张伟明"]
    );
    assert_eq!(
        names(&d.search(&q("zw")).unwrap()),
        vec!["张伟", "赵伟", "张伟明"],
        "whole initials first"
    );
    assert_eq!(names(&d.search(&q("zwm")).unwrap()), vec!["张伟明"]);
    assert_eq!(
        names(&d.search(&q("shanli")).unwrap()),
        vec!["单丽"],
        "surname reading"
    );
    assert_eq!(
        names(&d.search(&q("danli")).unwrap()),
        vec!["单丽"],
        "common reading too"
    );
    assert_eq!(names(&d.search(&q("6666")).unwrap()), vec!["单丽"]);
    assert_eq!(names(&d.search(&q("1234")).unwrap()), vec!["张伟"]);
    assert_eq!(names(&d.search(&q("紫阳")).unwrap()), vec!["单丽", "赵伟"]);
    assert_eq!(
        names(&d.search(&q("紫阳 zw")).unwrap()),
        vec!["赵伟"],
        "all words must match"
    );
    assert!(d.search(&q("wangfang")).unwrap().is_empty());
    let hit = &d.search(&q("赵伟")).unwrap()[0];
    assert!(hit.address.contains("紫阳小区7栋"));
}

#[test]
fn search_filters_by_area_and_tag_and_follows_edits() {
    let (_dir, d) = open();
    let a = household(&d, "第1网格", "1栋");
    let b = household(&d, "第2网格", "2栋");
    let zhang = resident(&d, &a, "张伟", None, vec![Tag::ElderlyAlone]);
    resident(&d, &b, "张伟", None, vec![]);
    let grid1 = d.ensure_area("武昌区/中南路街道/丽岛社区/第1网格").unwrap();
    let community = d.ensure_area("武昌区/中南路街道/丽岛社区").unwrap();
    let in_grid = d
        .search(&SearchQuery {
            text: "zw".into(),
            area_id: Some(grid1.id.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(in_grid.len(), 1);
    assert_eq!(in_grid[0].resident.id, zhang.id);
    let in_community = d
        .search(&SearchQuery {
            text: "zw".into(),
            area_id: Some(community.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(in_community.len(), 2);
    let tagged = d
        .search(&SearchQuery {
            text: String::new(),
            tag: Some(Tag::ElderlyAlone),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(tagged.len(), 1);
    // The index follows writes made after it was built.
    d.update_resident(
        &zhang.id,
        &ResidentPatch {
            name: Some("章薇".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        names(
            &d.search(&SearchQuery {
                text: "zw".into(),
                area_id: Some(grid1.id.clone()),
                ..Default::default()
            })
            .unwrap()
        ),
        vec!["章薇"]
    );
    d.move_resident(&zhang.id, &b.id).unwrap();
    assert!(d
        .search(&SearchQuery {
            text: "zw".into(),
            area_id: Some(grid1.id),
            ..Default::default()
        })
        .unwrap()
        .is_empty());
    assert!(matches!(
        d.search(&SearchQuery {
            text: "x".into(),
            limit: 10_000,
            ..Default::default()
        }),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        d.search(&SearchQuery {
            text: "x".into(),
            area_id: Some("nope".into()),
            ..Default::default()
        }),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn a_large_sheet_read_in_parts_reports_lines_and_stores_rows_as_one_read_would() {
    // Above a megabyte the importer reads parts of the file side by side. Rows with
    // quoted notes across lines, doubled quotes and a stray quote sit on both sides of
    // the cuts; bad rows at the end still get their own line numbers.
    let mut sheet = String::from("区域,地址,门牌,姓名,性别,出生年份,备注\n");
    let mut line = 1u64;
    let rows = 12_000;
    for i in 0..rows {
        let note = match i % 5 {
            0 => "\"第一行\n第二行，有逗号\"".to_string(),
            1 => "\"他说\"\"好\"\"\"".to_string(),
            2 => "身高5\"3".to_string(),
            _ => String::new(),
        };
        sheet.push_str(&format!(
            "武昌区/中南路街道/丽岛社区/第{}网格,丽岛花园{}栋,{},居民{i},男,1960,{note}\n",
            i % 3 + 1,
            i / 20,
            i % 20
        ));
        line += 1 + u64::from(i % 5 == 0);
    }
    sheet.push_str("武昌区/中南路街道/丽岛社区/第1网格,丽岛花园1栋,1,,男,1960,\n");
    sheet.push_str("武昌区/中南路街道/丽岛社区/第1网格,丽岛花园1栋,1,多一列,男,1960,,多\n");
    assert!(sheet.len() > 1 << 20, "{} bytes is too few", sheet.len());
    let (_dir, d) = open();
    let report = d.import_csv(sheet.as_bytes()).unwrap();
    assert_eq!(report.residents_added, rows, "{:?}", &report.errors);
    let errs: Vec<(u64, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_str()))
        .collect();
    assert_eq!(errs, vec![(line + 1, "姓名"), (line + 2, "row")]);
    let notes = |name: &str| d.search(&q(name)).unwrap()[0].resident.notes.clone();
    assert_eq!(
        notes("居民11995").as_deref(),
        Some("第一行\n第二行，有逗号")
    );
    assert_eq!(notes("居民11996").as_deref(), Some("他说\"好\""));
    assert_eq!(notes("居民11997").as_deref(), Some("身高5\"3"));
}

/// How many rows `table` holds.
fn count(d: &Doorstep, table: &str) -> i64 {
    d.read(|c| Ok(c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?))
        .unwrap()
}

/// The household of the only resident called `name`.
fn household_of(d: &Doorstep, name: &str) -> Household {
    let hits = d.search(&q(name)).unwrap();
    assert_eq!(hits.len(), 1, "{name}: {:?}", names(&hits));
    d.household(&hits[0].resident.household_id).unwrap()
}

#[test]
fn a_sheet_with_house_numbers_and_no_address_column_builds_each_address() {
    // The columns of a community sheet exported from Chinese Excel: no 地址, the flat
    // named by building, entrance and house number.
    let (_dir, d) = open();
    let sheet = "街道,社区,网格,楼栋,单元,门牌号,姓名,性别,出生年份,联系电话,标签,备注\r\n\
                 中南路街道,丽岛社区,第3网格,3,2,502,王秀英,女,1941,13900000001,独居老人,\r\n\
                 中南路街道,丽岛社区,第3网格,5栋,东单元,1202室,李建国,男,1950,,,\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(sheet);
    let report = d.import_csv(&gbk).unwrap();
    assert_eq!(
        (report.households_added, report.residents_added, report.rows),
        (2, 2, 2),
        "{report:?}"
    );
    let wang = household_of(&d, "王秀英");
    assert_eq!(wang.address, "3栋2单元502室");
    assert_eq!(wang.unit.as_deref(), Some("2单元502"));
    let li = household_of(&d, "李建国");
    assert_eq!(li.address, "5栋东单元1202室");
    assert_eq!(li.unit.as_deref(), Some("东单元1202室"));
    // Each common way of naming the flat, in Chinese and in English.
    for (header, row, address, unit) in [
        ("网格,房号,姓名", "第1网格,301,甲", "301室", "301"),
        (
            "网格,楼栋,单元,室,姓名",
            "第1网格,1,1,101,乙",
            "1栋1单元101室",
            "1单元101",
        ),
        ("网格,户号,姓名", "第1网格,7-203,丙", "7-203室", "7-203"),
        (
            "网格,单元,门牌号,姓名",
            "第1网格,4,402,丁",
            "4单元402室",
            "4单元402",
        ),
        (
            "grid,building,unit,room,name",
            "g1,B,3,301,Ding",
            "Building B, Entrance 3, Flat 301",
            "3-301",
        ),
        (
            "grid,block,flat,name",
            "g1,9,12A,Evans",
            "Building 9, Flat 12A",
            "12A",
        ),
        ("grid,unit,name", "g1,5-1,Fang", "Flat 5-1", "5-1"),
    ] {
        let (_dir, d) = open();
        let report = d
            .import_csv(format!("{header}\n{row}\n").as_bytes())
            .unwrap();
        assert_eq!(report.residents_added, 1, "{header}: {report:?}");
        let name = row.rsplit(',').next().unwrap();
        let h = household_of(&d, name);
        assert_eq!(
            (h.address.as_str(), h.unit.as_deref()),
            (address, Some(unit)),
            "{header}"
        );
    }
}

#[test]
fn a_sheet_that_cannot_tell_households_apart_says_what_it_found_and_what_it_needs() {
    let (_dir, d) = open();
    let err = d
        .import_csv(
            "街道,社区,网格,楼栋,单元,姓名,性别\n中南路街道,丽岛社区,第3网格,3,2,王秀英,女\n"
                .as_bytes(),
        )
        .unwrap_err();
    let Error::Invalid(message) = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("it has 街道, 社区, 网格, 楼栋, 单元, 姓名, 性别"),
        "{message}"
    );
    assert!(
        message.contains("门牌号") && message.contains("地址"),
        "{message}"
    );
    assert!(
        !message.contains("姓名 / name"),
        "the name column is there: {message}"
    );
    let err = d
        .import_csv("门牌号,电话\n101,123456\n".as_bytes())
        .unwrap_err();
    let Error::Invalid(message) = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("a name column (姓名 / name)")
            && message.contains("an area column")
            && message.ends_with("it has 门牌号, 电话"),
        "{message}"
    );
    assert_eq!(d.pending_op_count().unwrap(), 0);
}

#[test]
fn a_building_of_24_flats_gives_24_households() {
    // Two entrances, four floors, three flats a floor: flat 101 is in both entrances.
    let (_dir, d) = open();
    let mut sheet =
        String::from("街道,社区,网格,楼栋,单元,门牌号,姓名,性别,出生年份,联系电话,标签,备注\n");
    let mut residents = 0;
    let mut expected = Vec::new();
    for entrance in 1..=2 {
        for floor in 1..=4 {
            for flat in 1..=3 {
                let room = format!("{floor}0{flat}");
                let people = 2 + (entrance + floor + flat) % 3;
                for p in 0..people {
                    sheet.push_str(&format!(
                        "中南路街道,丽岛社区,第3网格,3栋,{entrance},{room},居民{entrance}{room}号{p},女,{},,,\n",
                        1950 + p
                    ));
                }
                residents += people;
                expected.push((format!("居民{entrance}{room}号0"), people));
            }
        }
    }
    let report = d.import_csv(sheet.as_bytes()).unwrap();
    assert_eq!(
        (report.households_added, report.residents_added),
        (24, residents as u64),
        "{report:?}"
    );
    assert!(report.errors.is_empty());
    assert_eq!(count(&d, "household"), 24);
    assert_eq!(count(&d, "building"), 1);
    for (name, people) in expected {
        let h = household_of(&d, &name);
        assert_eq!(d.residents_of(&h.id).unwrap().len(), people, "{name}");
    }
    // The same sheet again adds nothing.
    let again = d.import_csv(sheet.as_bytes()).unwrap();
    assert_eq!(
        (again.households_added, again.unchanged),
        (0, residents as u64)
    );
}

/// A sheet whose bad rows sit at known lines, after a quoted note across two lines:
/// the lines a text editor shows.
fn sheet_with_bad_rows(
    rows: usize,
    every: usize,
    filler: usize,
) -> (String, Vec<(u64, &'static str)>) {
    let filler = "备".repeat(filler);
    let mut sheet = String::from("区域,地址,门牌,姓名,性别,出生年份,备注\n");
    let mut line = 1u64;
    let mut bad = Vec::new();
    for i in 0..rows {
        line += 1;
        let note = if i % 7 == 0 {
            "\"两行\n备注\""
        } else {
            &filler
        };
        if i % every == every / 2 {
            sheet.push_str(&format!(
                "武昌区/丽岛社区,丽岛花园,{i},居民{i},男,2150,{note}\n"
            ));
            bad.push((line, "出生年份"));
        } else if i % every == every - 1 {
            sheet.push_str("武昌区/丽岛社区,丽岛花园,1,多,一,列,了,吗\n");
            bad.push((line, "row"));
        } else {
            sheet.push_str(&format!(
                "武昌区/丽岛社区,丽岛花园,{i},居民{i},男,1960,{note}\n"
            ));
        }
        if i % 7 == 0 {
            line += 1;
        }
    }
    (sheet, bad)
}

#[test]
fn errors_name_the_line_a_text_editor_shows_for_lf_crlf_and_cr_files() {
    // The large sheet is read in parts, side by side.
    for (rows, every, filler) in [(40, 10, 0), (3_000, 1000, 130)] {
        let (lf, bad) = sheet_with_bad_rows(rows, every, filler);
        assert_eq!(
            lf.len() > 1 << 20,
            rows > 1000,
            "the large sheet is read in parts"
        );
        for (ending, sheet) in [
            ("LF", lf.clone()),
            ("CRLF", lf.replace('\n', "\r\n")),
            ("CR", lf.replace('\n', "\r")),
        ] {
            let (_dir, d) = open();
            let report = d.import_csv(sheet.as_bytes()).unwrap();
            let errs: Vec<(u64, &str)> = report
                .errors
                .iter()
                .map(|e| (e.line, e.column.as_str()))
                .collect();
            assert_eq!(errs, bad, "{ending}, {rows} rows");
            assert_eq!(
                report.residents_added as usize,
                rows - bad.len(),
                "{ending}"
            );
            let note = d.search(&q("居民7")).unwrap()[0].resident.notes.clone();
            let note = note.unwrap();
            assert!(
                note.starts_with("两行") && note.ends_with("备注") && note.contains(['\r', '\n']),
                "{ending}: {note:?}"
            );
        }
    }
}

#[test]
fn a_header_over_megabytes_of_junk_reports_the_first_thousand_errors_and_stores_nothing() {
    let (_dir, d) = open();
    let mut sheet = String::from("区域,地址,门牌,姓名,性别,出生年份\n");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rows = 0u64;
    while sheet.len() < 3 << 20 {
        // Junk of printable characters; now and then six fields by chance.
        let mut line = String::new();
        for _ in 0..(x % 40 + 5) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            line.push(b"ab,c1,2;x,y \"z"[(x % 14) as usize] as char);
        }
        let mut line = line.replace('"', "");
        if line.split(',').all(|f| f.trim().is_empty()) {
            continue;
        }
        if rows.is_multiple_of(100) {
            line = format!("武昌区,{rows}号,1,某人{rows},男,1960");
        }
        sheet.push_str(&line);
        sheet.push('\n');
        rows += 1;
    }
    let report = d.import_csv(sheet.as_bytes()).unwrap();
    assert!(report.refused_whole, "{:?}", &report.errors[..3]);
    assert_eq!(report.rows, rows);
    assert!(report.rows_refused > rows * 9 / 10, "{report:?}");
    assert!(report.error_count >= report.rows_refused);
    assert_eq!(report.errors.len(), MAX_REPORTED_ERRORS);
    assert!(report.errors.windows(2).all(|w| w[0].line <= w[1].line));
    assert!(report.errors[0].line >= 3, "line 2 is a good row");
    assert_eq!((report.households_added, report.residents_added), (0, 0));
    assert_eq!(count(&d, "resident"), 0);
    assert_eq!(count(&d, "area"), 0);
    assert_eq!(d.pending_op_count().unwrap(), 0, "nothing was stored");
}

#[test]
fn columns_in_the_wrong_order_store_nothing_and_a_minority_of_bad_rows_stores_the_rest() {
    // 性别 and 出生年份 swapped: every row is refused, so nothing is stored.
    let (_dir, d) = open();
    let mut sheet = String::from("区域,地址,姓名,出生年份,性别\n");
    for i in 0..50 {
        sheet.push_str(&format!("武昌区,{i}号,居民{i},女,1960\n"));
    }
    let report = d.import_csv(sheet.as_bytes()).unwrap();
    assert!(report.refused_whole);
    assert_eq!(
        (report.rows, report.rows_refused, report.error_count),
        (50, 50, 100)
    );
    assert_eq!(d.pending_op_count().unwrap(), 0);
    // Half the rows refused is not most: the good half is stored.
    let sheet = "区域,地址,姓名,出生年份\n武昌区,1号,甲,1960\n武昌区,2号,乙,一九六〇\n";
    let report = d.import_csv(sheet.as_bytes()).unwrap();
    assert!(!report.refused_whole);
    assert_eq!((report.residents_added, report.rows_refused), (1, 1));
}

#[test]
fn an_empty_file_says_it_is_empty() {
    let (_dir, d) = open();
    for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\r\n\r\n  \n", b"\xFF\xFE"] {
        let err = d.import_csv(bytes).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(m) if m.contains("the file is empty")),
            "{bytes:?}: {err:?}"
        );
    }
    let err = d
        .import_csv("区域,地址,姓名\r\n\r\n".as_bytes())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid(m) if m.contains("no rows")),
        "{err:?}"
    );
}
