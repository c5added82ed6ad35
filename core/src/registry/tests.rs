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
