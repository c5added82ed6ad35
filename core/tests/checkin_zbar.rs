//! Round trip through an independent decoder: a pass rendered to PNG is read back by
//! `zbarimg` (Debian's zbar-tools; scripts/install-tools.sh installs it) and scanned.
//! The test fails, never skips, when zbarimg is missing: the proof needs it.

use std::process::Command;
use std::sync::Arc;

use doorstep_core::checkin::ScanOutcome;
use doorstep_core::registry::{NewHousehold, NewResident, Tag};
use doorstep_core::{Doorstep, ManualClock};

const KEY: [u8; 32] = [9; 32];
/// 2026-11-23 08:00 UTC.
const NOW: i64 = 1_795_420_800_000;
const DAY: i64 = 86_400_000;

fn zbar(png: &[u8], dir: &std::path::Path) -> String {
    let file = dir.join("pass.png");
    std::fs::write(&file, png).unwrap();
    let out = Command::new("zbarimg")
        .args(["--raw", "--quiet", "-Sdisable", "-Sqrcode.enable"])
        .arg(&file)
        .output()
        .expect("zbarimg runs (install it with scripts/install-tools.sh)");
    assert!(out.status.success(), "zbarimg: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn checkin_pass_png_read_by_zbarimg_scans_admitted_then_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let d = Doorstep::open_with_clock(
        dir.path().join("d.db"),
        &KEY,
        Arc::new(ManualClock::new(NOW)),
    )
    .unwrap();
    d.set_queue_prefix("A").unwrap();
    let area = d.ensure_area("武昌区/中南路街道/丽岛社区/第1网格").unwrap();
    let h = d
        .create_household(&NewHousehold {
            area_id: area.id,
            address: "丽岛花园3栋201".into(),
            ..Default::default()
        })
        .unwrap();
    let young = d
        .create_resident(&NewResident {
            household_id: h.id.clone(),
            name: "张伟".into(),
            birth_year: Some(1980),
            ..Default::default()
        })
        .unwrap();
    let elder = d
        .create_resident(&NewResident {
            household_id: h.id,
            name: "王秀英".into(),
            birth_year: Some(1941),
            tags: vec![Tag::ElderlyAlone],
            ..Default::default()
        })
        .unwrap();
    d.new_signing_key().unwrap();

    for (i, r) in [young, elder].iter().enumerate() {
        let pass = d.issue_pass(&r.id, NOW - DAY, NOW + DAY).unwrap();
        for module_px in [3, 8] {
            let png = d.pass_png(&pass.text, module_px).unwrap();
            assert_eq!(
                zbar(&png, dir.path()),
                pass.text,
                "{module_px} px per module"
            );
        }
        let read = zbar(&d.pass_png(&pass.text, 4).unwrap(), dir.path());
        let first = d.scan(&read, "丽岛社区核酸点", "1").unwrap();
        let no = format!("A-00{}", i + 1);
        match (&first, i) {
            (ScanOutcome::Admitted { queue_no, .. }, 0) => assert_eq!(queue_no, &no),
            (ScanOutcome::Priority { queue_no, .. }, 1) => assert_eq!(queue_no, &no),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            d.scan(&read, "丽岛社区核酸点", "1").unwrap(),
            ScanOutcome::Duplicate {
                first_at_ms: NOW,
                queue_no: no
            }
        );
    }
}
