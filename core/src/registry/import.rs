//! CSV import of households and residents as stations keep them in spreadsheets:
//! UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030 as Chinese Excel saves
//! them; headers in Chinese or English; commas or tabs. Each row is checked on its own:
//! a bad row is reported (line, column, reason) and every good row is stored. Records get
//! ids derived from a stable key, so importing the same file twice adds nothing.

use std::collections::{HashMap, HashSet};

use super::model::*;
use super::{
    diff_resident, ensure_area, ensure_building, insert_household, insert_resident, store,
    HOUSEHOLD, RESIDENT,
};
use crate::clock::stable_id;
use crate::error::{Error, Result};
use crate::log::Writer;

/// The columns the importer understands and the headers that name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Area,
    District,
    Street,
    Community,
    Grid,
    Building,
    Unit,
    Address,
    HouseholdPhone,
    HouseholdKey,
    ResidentKey,
    Name,
    Sex,
    BirthYear,
    BirthDate,
    Phone,
    Tags,
    Notes,
}

const HEADERS: &[(Col, &[&str])] = &[
    (
        Col::Area,
        &["area", "area_path", "区域", "所属区域", "所属网格"],
    ),
    (Col::District, &["district", "区", "区县"]),
    (Col::Street, &["street", "街道", "街道（乡镇）", "乡镇"]),
    (Col::Community, &["community", "社区", "社区（村）", "村"]),
    (Col::Grid, &["grid", "网格"]),
    (Col::Building, &["building", "楼栋", "楼号", "楼栋号"]),
    (
        Col::Unit,
        &["unit", "门牌", "门牌号", "单元", "房号", "单元房号"],
    ),
    (
        Col::Address,
        &["address", "地址", "住址", "家庭住址", "现住址"],
    ),
    (
        Col::HouseholdPhone,
        &["household_phone", "户电话", "家庭电话", "户主电话"],
    ),
    (Col::HouseholdKey, &["household_key", "户编号", "户号"]),
    (
        Col::ResidentKey,
        &["resident_key", "居民编号", "人员编号", "编号"],
    ),
    (Col::Name, &["name", "姓名"]),
    (Col::Sex, &["sex", "gender", "性别"]),
    (Col::BirthYear, &["birth_year", "出生年份", "出生年"]),
    (Col::BirthDate, &["birth_date", "出生日期"]),
    (
        Col::Phone,
        &[
            "phone",
            "mobile",
            "电话",
            "手机",
            "手机号",
            "联系电话",
            "手机号码",
        ],
    ),
    (
        Col::Tags,
        &["tags", "tag", "标签", "人员类别", "类别", "人群类别"],
    ),
    (Col::Notes, &["notes", "note", "备注"]),
];

/// Decodes the file's bytes to text, detecting the encoding.
pub fn decode(bytes: &[u8]) -> Result<String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(str::to_string)
            .map_err(|e| Error::invalid(format!("file starts as UTF-8 but is not: {e}")));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let (text, _, bad) = encoding_rs::UTF_16LE.decode(bytes);
        if bad {
            return Err(Error::invalid("file is not valid UTF-16"));
        }
        return Ok(text.into_owned());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, bad) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if bad {
        return Err(Error::invalid(
            "file is neither UTF-8 nor GBK text; save it from the spreadsheet as CSV",
        ));
    }
    Ok(text.into_owned())
}

/// One good row, ready to store.
struct Row {
    area_path: String,
    building: Option<String>,
    household: NewHousehold,
    household_key: String,
    resident: NewResident,
    resident_key: String,
}

/// Imports a CSV file's bytes, storing every valid row and reporting the rest.
pub fn import_csv(w: &mut Writer, bytes: &[u8]) -> Result<ImportReport> {
    let text = decode(bytes)?;
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches('\t').count() > first_line.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::invalid(format!("header row cannot be read: {e}")))?
        .clone();
    let mut columns: HashMap<Col, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_lowercase();
        if let Some((col, _)) = HEADERS
            .iter()
            .find(|(_, names)| names.contains(&h.as_str()))
        {
            columns.entry(*col).or_insert(i);
        }
    }
    if !columns.contains_key(&Col::Name) {
        return Err(Error::invalid(
            "the header row has no name column (姓名 / name)",
        ));
    }
    let has_area = columns.contains_key(&Col::Area)
        || [Col::District, Col::Street, Col::Community, Col::Grid]
            .iter()
            .any(|c| columns.contains_key(c));
    if !has_area || !columns.contains_key(&Col::Address) {
        return Err(Error::invalid(
            "the header row needs an area column (区域, or 区/街道/社区/网格) and an address column (地址)",
        ));
    }

    let mut report = ImportReport::default();
    let mut area_ids: HashMap<String, String> = HashMap::new();
    let mut building_ids: HashMap<(String, String), String> = HashMap::new();
    let mut placed: Vec<Placed> = Vec::new();
    let now = w.now_ms();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                report.errors.push(RowError {
                    line,
                    column: "row".into(),
                    reason: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != headers.len() {
            report.errors.push(RowError {
                line,
                column: "row".into(),
                reason: format!(
                    "row has {} fields, the header has {}",
                    record.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let get = |c: Col| -> &str { columns.get(&c).map(|&i| &record[i]).unwrap_or("") };
        let header_of = |c: Col| header_of_col(&headers, &columns, c);
        let row = match parse_row(&get, now) {
            Ok(r) => r,
            Err(errs) => {
                report
                    .errors
                    .extend(errs.into_iter().map(|(c, reason)| RowError {
                        line,
                        column: header_of(c),
                        reason,
                    }));
                continue;
            }
        };
        match place_row(w, line, row, &mut area_ids, &mut building_ids) {
            Ok(p) => placed.push(p),
            Err((col, e)) => report.errors.push(RowError {
                line,
                column: header_of(col),
                reason: e.to_string(),
            }),
        }
    }
    // Households, then residents, each stored in id order: the ids are hashes, and a
    // B-tree filled in key order packs its pages instead of splitting them at random. The
    // sorts are stable, so rows of the same record keep the file's order.
    let mut fresh = Fresh::at_start(w)?;
    let mut failed: HashMap<String, (Col, String)> = HashMap::new();
    let mut order: Vec<usize> = (0..placed.len()).collect();
    order.sort_by(|&a, &b| placed[a].household_id.cmp(&placed[b].household_id));
    let mut previous: Option<&str> = None;
    for &i in &order {
        let p = &placed[i];
        if previous == Some(p.household_id.as_str()) {
            continue;
        }
        previous = Some(p.household_id.as_str());
        if let Err((col, e)) = store_household(w, p, &fresh, &mut report) {
            failed.insert(p.household_id.clone(), (col, e.to_string()));
        }
    }
    order.sort_by(|&a, &b| placed[a].resident_id.cmp(&placed[b].resident_id));
    for &i in &order {
        let p = &placed[i];
        let result = match failed.get(&p.household_id) {
            Some((col, reason)) => Err((*col, reason.clone())),
            None => {
                store_resident(w, p, &mut fresh, &mut report).map_err(|(c, e)| (c, e.to_string()))
            }
        };
        if let Err((col, reason)) = result {
            report.errors.push(RowError {
                line: p.line,
                column: header_of_col(&headers, &columns, col),
                reason,
            });
        }
    }
    report.errors.sort_by_key(|e| e.line);
    Ok(report)
}

/// Whether the tables held no row at all when the import began: then a record not yet
/// seen in this file cannot exist, and the first import of a sheet skips a lookup a row.
struct Fresh {
    households: bool,
    residents: bool,
    residents_seen: HashSet<String>,
}

impl Fresh {
    fn at_start(w: &Writer) -> Result<Fresh> {
        let empty = |table: &str| -> Result<bool> {
            let any: bool =
                w.conn()
                    .query_row(&format!("SELECT EXISTS(SELECT 1 FROM {table})"), [], |r| {
                        r.get(0)
                    })?;
            Ok(!any)
        };
        Ok(Fresh {
            households: empty("household")?,
            residents: empty("resident")?,
            residents_seen: HashSet::new(),
        })
    }
}

type RowResult<T> = std::result::Result<T, Vec<(Col, String)>>;

fn parse_row<'a>(get: &dyn Fn(Col) -> &'a str, now_ms: i64) -> RowResult<Row> {
    let mut errs = Vec::new();
    let area_path = if !get(Col::Area).is_empty() {
        get(Col::Area).to_string()
    } else {
        [Col::District, Col::Street, Col::Community, Col::Grid]
            .iter()
            .map(|c| get(*c))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/")
    };
    if area_path.is_empty() {
        errs.push((Col::Area, "area is empty".to_string()));
    }
    let mut check = |col: Col, r: Result<()>| {
        if let Err(e) = r {
            errs.push((col, e.to_string()));
        }
    };
    let name = get(Col::Name).to_string();
    check(
        Col::Name,
        super::check_text("name", &name, 64, true).map(drop),
    );
    let address = get(Col::Address).to_string();
    check(
        Col::Address,
        super::check_text("address", &address, 200, true).map(drop),
    );
    let sex = match Sex::parse(get(Col::Sex)) {
        Some(s) => s,
        None => {
            check(
                Col::Sex,
                Err(Error::invalid(format!(
                    "sex {:?} is not 男/女 (male/female)",
                    get(Col::Sex)
                ))),
            );
            Sex::Unknown
        }
    };
    let mut birth_year = None;
    let (year_col, year_text) = if !get(Col::BirthYear).is_empty() {
        (Col::BirthYear, get(Col::BirthYear))
    } else {
        (Col::BirthDate, get(Col::BirthDate))
    };
    if !year_text.is_empty() {
        match parse_year(year_text) {
            Some(y) => match super::check_birth_year(y, now_ms) {
                Ok(y) => birth_year = Some(y),
                Err(e) => check(year_col, Err(e)),
            },
            None => check(
                year_col,
                Err(Error::invalid(format!(
                    "birth year {year_text:?} is not a year"
                ))),
            ),
        }
    }
    let phone = super::check_phone(get(Col::Phone)).unwrap_or_else(|e| {
        check(Col::Phone, Err(e));
        None
    });
    let household_phone = super::check_phone(get(Col::HouseholdPhone)).unwrap_or_else(|e| {
        check(Col::HouseholdPhone, Err(e));
        None
    });
    let mut tags = Vec::new();
    for t in get(Col::Tags)
        .split([';', '；', '、', '|', ',', '，'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        match Tag::parse(t) {
            Ok(tag) if !tags.contains(&tag) => tags.push(tag),
            Ok(_) => {}
            Err(e) => check(Col::Tags, Err(e)),
        }
    }
    let notes = get(Col::Notes).to_string();
    check(
        Col::Notes,
        super::check_text("notes", &notes, 2000, false).map(drop),
    );
    if !errs.is_empty() {
        return Err(errs);
    }
    let building = Some(get(Col::Building).to_string()).filter(|s| !s.is_empty());
    let unit = Some(get(Col::Unit).to_string()).filter(|s| !s.is_empty());
    let household_key = match get(Col::HouseholdKey) {
        "" => format!(
            "{area_path}\u{1f}{}\u{1f}{}\u{1f}{address}",
            building.as_deref().unwrap_or(""),
            unit.as_deref().unwrap_or("")
        ),
        k => format!("key\u{1f}{k}"),
    };
    let resident_key = match get(Col::ResidentKey) {
        "" => format!(
            "{household_key}\u{1f}{name}\u{1f}{}",
            birth_year.map(|y| y.to_string()).unwrap_or_default()
        ),
        k => format!("key\u{1f}{k}"),
    };
    Ok(Row {
        area_path,
        building,
        household: NewHousehold {
            area_id: String::new(),
            building_id: None,
            address,
            unit,
            phone: household_phone,
        },
        household_key,
        resident: NewResident {
            household_id: String::new(),
            name,
            sex,
            birth_year,
            phone,
            tags,
            notes: Some(notes).filter(|s| !s.is_empty()),
        },
        resident_key,
    })
}

/// A year from "1948", "1948-03-01", "1948/3/1", "1948年3月" or "19480301".
fn parse_year(s: &str) -> Option<i32> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    match digits.len() {
        4 | 8 => digits[..4].parse().ok(),
        _ => None,
    }
}

/// The header that names column `c` in this file, or the column's own name.
fn header_of_col(headers: &csv::StringRecord, columns: &HashMap<Col, usize>, c: Col) -> String {
    columns
        .get(&c)
        .map(|&i| headers[i].to_string())
        .unwrap_or_else(|| format!("{c:?}").to_lowercase())
}

/// A good row with its area and building stored and its record ids derived.
struct Placed {
    line: u64,
    row: Row,
    household_id: String,
    resident_id: String,
}

/// Ensures the row's area and building, the only records rows share in file order.
fn place_row(
    w: &mut Writer,
    line: u64,
    mut row: Row,
    area_ids: &mut HashMap<String, String>,
    building_ids: &mut HashMap<(String, String), String>,
) -> std::result::Result<Placed, (Col, Error)> {
    let area_id = match area_ids.get(&row.area_path) {
        Some(id) => id.clone(),
        None => {
            let id = ensure_area(w, &row.area_path)
                .map_err(|e| (Col::Area, e))?
                .id;
            area_ids.insert(row.area_path.clone(), id.clone());
            id
        }
    };
    if let Some(name) = &row.building {
        let key = (area_id.clone(), name.clone());
        let id = match building_ids.get(&key) {
            Some(id) => id.clone(),
            None => {
                let id = ensure_building(w, &area_id, name)
                    .map_err(|e| (Col::Building, e))?
                    .id;
                building_ids.insert(key, id.clone());
                id
            }
        };
        row.household.building_id = Some(id);
    }
    row.household.area_id = area_id;
    let household_id = stable_id("household", &row.household_key);
    row.resident.household_id = household_id.clone();
    Ok(Placed {
        line,
        resident_id: stable_id("resident", &row.resident_key),
        household_id,
        row,
    })
}

/// Creates the household of its first row in the file, or updates its phone.
fn store_household(
    w: &mut Writer,
    p: &Placed,
    fresh: &Fresh,
    report: &mut ImportReport,
) -> std::result::Result<(), (Col, Error)> {
    let row = &p.row;
    let existing = if fresh.households {
        None
    } else {
        store::household(w.conn(), &p.household_id).map_err(|e| (Col::Address, e))?
    };
    match existing {
        None => {
            insert_household(w, &row.household, Some(&row.household_key))
                .map_err(|e| (Col::Address, e))?;
            report.households_added += 1;
        }
        Some(existing) => {
            if existing.phone != row.household.phone && row.household.phone.is_some() {
                let f = crate::fields! { "phone" => row.household.phone };
                w.put(&HOUSEHOLD, &p.household_id, f)
                    .map_err(|e| (Col::HouseholdPhone, e))?;
            }
        }
    }
    Ok(())
}

/// Creates the row's resident, or updates the fields that changed.
fn store_resident(
    w: &mut Writer,
    p: &Placed,
    fresh: &mut Fresh,
    report: &mut ImportReport,
) -> std::result::Result<(), (Col, Error)> {
    let r = &p.row.resident;
    let existing = if fresh.residents && fresh.residents_seen.insert(p.resident_id.clone()) {
        None
    } else {
        store::resident(w.conn(), &p.resident_id).map_err(|e| (Col::Name, e))?
    };
    match existing {
        None => {
            insert_resident(w, r, Some(&p.row.resident_key)).map_err(|e| (Col::Name, e))?;
            report.residents_added += 1;
        }
        Some(existing) => {
            let patch = ResidentPatch {
                name: Some(r.name.clone()),
                sex: Some(r.sex),
                birth_year: r.birth_year,
                phone: r.phone.clone(),
                tags: Some(r.tags.clone()),
                notes: r.notes.clone(),
            };
            let mut changes =
                diff_resident(&existing, &patch, w.now_ms()).map_err(|e| (Col::Name, e))?;
            if existing.household_id != r.household_id {
                changes.insert("household_id".into(), serde_json::json!(r.household_id));
            }
            if changes.is_empty() {
                report.unchanged += 1;
            } else {
                w.put(&RESIDENT, &p.resident_id, changes)
                    .map_err(|e| (Col::Name, e))?;
                report.residents_updated += 1;
            }
        }
    }
    Ok(())
}
