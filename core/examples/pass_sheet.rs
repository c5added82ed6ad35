//! Prints a demo sheet of passes: a sample community of residents, one signing key, and
//! an A4 PDF of passes for one building (or a whole grid).
//! Run: cargo run -p doorstep-core --example pass_sheet -- [out.pdf] [building|grid]

use doorstep_core::checkin::SheetFilter;
use doorstep_core::registry::SearchQuery;
use doorstep_core::{sample, Doorstep};

const DAY: i64 = 86_400_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "pass-sheet.pdf".into());
    let scope = args.next().unwrap_or_else(|| "building".into());
    let dir = tempfile::tempdir()?;
    let d = Doorstep::open(dir.path().join("demo.db"), &[1; 32])?;
    d.import_csv(sample::residents_csv(600, 3).as_bytes())?;
    d.new_signing_key()?;
    // The building and grid of the first household in the sample.
    let hit = d
        .search(&SearchQuery {
            text: "1栋".into(),
            limit: 1,
            ..Default::default()
        })?
        .pop()
        .ok_or("the sample has no building 1")?;
    let household = d.household(&hit.resident.household_id)?;
    let filter = if scope == "grid" {
        SheetFilter {
            area_id: Some(household.area_id),
            ..Default::default()
        }
    } else {
        SheetFilter {
            building_id: household.building_id,
            ..Default::default()
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let sheet = d.pass_sheet(&filter, now, now + 7 * DAY)?;
    std::fs::write(&out, &sheet.pdf)?;
    println!(
        "{}: {} passes on {} pages, {} bytes",
        out,
        sheet.passes.len(),
        sheet.passes.len().div_ceil(8),
        sheet.pdf.len()
    );
    Ok(())
}
