//! CSV import of households and residents as stations keep them in spreadsheets:
//! UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030 as Chinese Excel saves
//! them; headers in Chinese or English; commas or tabs. Each row is checked on its own:
//! a bad row is reported (line, column, reason) and every good row is stored. Records get
//! ids derived from a stable key, so importing the same file twice adds nothing.

use std::collections::HashMap;

use super::model::*;
use super::{
    diff_resident, ensure_area, ensure_building, insert_household, insert_resident, store,
    HOUSEHOLD, RESIDENT,
};
use crate::cancel::Cancel;
use crate::clock::stable_uuid;
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
    /// The entrance (stairwell) of a building: 单元.
    Entrance,
    /// The flat: 门牌号, 房号, 室, 户号.
    Room,
    /// English "unit": the flat, or the entrance when a flat column is there too.
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

impl Col {
    /// How many columns there are.
    const COUNT: usize = Col::Notes as usize + 1;
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
    (
        Col::Building,
        &[
            "building",
            "block",
            "楼栋",
            "楼号",
            "楼栋号",
            "栋",
            "栋号",
            "幢",
            "楼幢",
        ],
    ),
    (Col::Entrance, &["entrance", "stairwell", "单元", "单元号"]),
    (
        Col::Room,
        &[
            "room",
            "room_number",
            "flat",
            "flat_number",
            "apartment",
            "apt",
            "door",
            "door_number",
            "house_number",
            "门牌",
            "门牌号",
            "门牌号码",
            "房号",
            "房间号",
            "房屋号",
            "室",
            "室号",
            "户号",
            "单元房号",
        ],
    ),
    (Col::Unit, &["unit", "unit_number"]),
    (
        Col::Address,
        &["address", "地址", "住址", "家庭住址", "现住址"],
    ),
    (
        Col::HouseholdPhone,
        &["household_phone", "户电话", "家庭电话", "户主电话"],
    ),
    (Col::HouseholdKey, &["household_key", "户编号"]),
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

/// Imports a CSV file's bytes, storing every valid row and reporting the rest. When
/// more than half the rows are refused nothing is stored, and the report says so.
pub fn import_csv(w: &mut Writer, bytes: &[u8], cancel: &Cancel) -> Result<ImportReport> {
    cancel.check()?;
    let text = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(Error::invalid(format!(
            "the file is empty ({} bytes, no header row and no rows)",
            bytes.len()
        )));
    }
    let first_line = text.split(['\r', '\n']).next().unwrap_or("");
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
    let columns = Columns::of(&headers)?;
    let sheet = Sheet {
        delimiter,
        headers,
        columns,
        now_ms: w.now_ms(),
    };
    let body = reader.position().byte() as usize;
    let read = read_rows(&sheet, &text, body)?;
    drop(text);
    cancel.check()?;

    let mut report = ImportReport {
        rows: read.rows,
        rows_refused: read.refused,
        error_count: read.error_count,
        errors: read.errors,
        ..ImportReport::default()
    };
    if report.rows == 0 {
        return Err(Error::invalid(
            "the file has a header row and no rows below it",
        ));
    }
    if report.rows_refused * 2 > report.rows {
        report.refused_whole = true;
        return Ok(report);
    }
    let mut area_ids: HashMap<String, String> = HashMap::new();
    let mut building_ids: HashMap<(String, String), String> = HashMap::new();
    let mut placed: Vec<Placed> = Vec::with_capacity(read.good.len());
    for (n, (line, row, ids)) in read.good.into_iter().enumerate() {
        checkpoint(cancel, n)?;
        match place_row(w, line, row, ids, &mut area_ids, &mut building_ids) {
            Ok(p) => placed.push(p),
            Err((col, e)) => report.refuse(RowError {
                line,
                column: sheet.header_of(col),
                reason: e.to_string(),
            }),
        }
    }
    // Households, then residents, each stored in id order: the ids are hashes, and a
    // B-tree filled in key order packs its pages instead of splitting them at random. The
    // sort keys are the ids as numbers, then the row's place, so rows of the same record
    // keep the file's order.
    let fresh = Fresh::at_start(w)?;
    let mut failed: HashMap<String, (Col, String)> = HashMap::new();
    let mut previous = None;
    for (n, (key, i)) in in_id_order(&placed, |p| p.ids.household)
        .into_iter()
        .enumerate()
    {
        checkpoint(cancel, n)?;
        let p = &placed[i];
        if previous == Some(key) {
            continue;
        }
        previous = Some(key);
        if let Err((col, e)) = store_household(w, p, &fresh, &mut report) {
            failed.insert(p.household_id.clone(), (col, e.to_string()));
        }
    }
    let mut previous = None;
    for (n, (key, i)) in in_id_order(&placed, |p| p.ids.resident)
        .into_iter()
        .enumerate()
    {
        checkpoint(cancel, n)?;
        let p = &placed[i];
        // In id order a resident's rows are neighbours: only a repeat can find its
        // resident stored when the import began with none.
        let repeat = previous == Some(key);
        previous = Some(key);
        let failure = if failed.is_empty() {
            None
        } else {
            failed.get(&p.household_id)
        };
        let result = match failure {
            Some((col, reason)) => Err((*col, reason.clone())),
            None => store_resident(w, p, fresh.residents && !repeat, &mut report)
                .map_err(|(c, e)| (c, e.to_string())),
        };
        if let Err((col, reason)) = result {
            report.refuse(RowError {
                line: p.line,
                column: sheet.header_of(col),
                reason,
            });
        }
    }
    cancel.check()?;
    report.errors.sort_by_key(|e| e.line);
    report.errors.truncate(MAX_REPORTED_ERRORS);
    Ok(report)
}

/// Checks `cancel` every 1,024 rows: often enough to stop within milliseconds, rarely
/// enough to cost nothing.
fn checkpoint(cancel: &Cancel, n: usize) -> Result<()> {
    if n.is_multiple_of(1024) {
        cancel.check()?;
    }
    Ok(())
}

impl ImportReport {
    /// Counts a row refused while storing (rare: the rows were checked when read).
    fn refuse(&mut self, e: RowError) {
        self.rows_refused += 1;
        self.error_count += 1;
        self.errors.push(e);
    }
}

/// The rows' places, sorted by the id `id` gives (as a number), then by place: the
/// order of a stable sort by id.
fn in_id_order(placed: &[Placed], id: impl Fn(&Placed) -> uuid::Uuid) -> Vec<(u128, usize)> {
    let mut order: Vec<(u128, usize)> = placed
        .iter()
        .enumerate()
        .map(|(i, p)| (id(p).as_u128(), i))
        .collect();
    order.sort_unstable();
    order
}

/// Whether the tables held no row at all when the import began: then a record not yet
/// seen in this file cannot exist, and the first import of a sheet skips a lookup a row.
struct Fresh {
    households: bool,
    residents: bool,
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
        })
    }
}

type RowResult<T> = std::result::Result<T, Vec<(Col, String)>>;

fn parse_row<'a>(sheet: &Sheet, get: &dyn Fn(Col) -> &'a str) -> RowResult<Row> {
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
    // Checked here, before anything is stored, so a sheet whose rows are mostly refused
    // leaves no area behind.
    if area_path.is_empty() {
        errs.push((Col::Area, "area is empty".to_string()));
    } else if let Err(e) = super::area_parts(&area_path) {
        errs.push((Col::Area, e.to_string()));
    }
    let mut check = |col: Col, r: Result<()>| {
        if let Err(e) = r {
            errs.push((col, e.to_string()));
        }
    };
    let name = get(Col::Name).to_string();
    check(
        Col::Name,
        super::check_text("name", &name, super::MAX_NAME, true).map(drop),
    );
    let building = Some(get(Col::Building).to_string()).filter(|s| !s.is_empty());
    if let Some(b) = &building {
        check(Col::Building, super::check_building_name(b).map(drop));
    }
    let has_address = sheet.columns.get(Col::Address).is_some();
    let flat = sheet.flat(get, !has_address);
    let (address_col, address) = if has_address {
        (Col::Address, get(Col::Address).to_string())
    } else {
        (Col::Room, flat.address)
    };
    check(
        address_col,
        super::check_text("address", &address, super::MAX_ADDRESS, true).map(drop),
    );
    if let Some(unit) = &flat.unit {
        check(
            flat.unit_col,
            super::check_text("unit", unit, super::MAX_AREA_NAME, false).map(drop),
        );
    }
    let unit = flat.unit;
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
            Some(y) => match super::check_birth_year(y, sheet.now_ms) {
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
        super::check_text("notes", &notes, super::MAX_NOTES, false).map(drop),
    );
    if !errs.is_empty() {
        return Err(errs);
    }
    // Every column that tells flats apart is in the key: building, the flat's unit
    // (entrance and house number together) and the address, given or built from them.
    // A sheet with one flat column keys households as before that column had company.
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

/// Which field of a row holds each column, by `Col`.
#[derive(Default)]
struct Columns([Option<usize>; Col::COUNT]);

impl Columns {
    fn get(&self, c: Col) -> Option<usize> {
        self.0[c as usize]
    }

    /// Finds the columns a header row names, and refuses one that lacks a name, an area
    /// or a way to tell households apart, saying what it found and what it needs.
    fn of(headers: &csv::StringRecord) -> Result<Columns> {
        let mut columns = Columns::default();
        for (i, h) in headers.iter().enumerate() {
            let h = h.trim().to_lowercase();
            if let Some((col, _)) = HEADERS
                .iter()
                .find(|(_, names)| names.contains(&h.as_str()))
            {
                columns.0[*col as usize].get_or_insert(i);
            }
        }
        // English "unit" is the flat unless the sheet names the flat too, when it is the
        // entrance (block 3, unit 2, room 502).
        if let Some(i) = columns.0[Col::Unit as usize].take() {
            if columns.get(Col::Room).is_none() {
                columns.0[Col::Room as usize] = Some(i);
            } else if columns.get(Col::Entrance).is_none() {
                columns.0[Col::Entrance as usize] = Some(i);
            }
        }
        let mut missing = Vec::new();
        if columns.get(Col::Name).is_none() {
            missing.push("a name column (姓名 / name)");
        }
        let has_area = [
            Col::Area,
            Col::District,
            Col::Street,
            Col::Community,
            Col::Grid,
        ]
        .iter()
        .any(|c| columns.get(*c).is_some());
        if !has_area {
            missing.push("an area column (区域, or 区/街道/社区/网格 / area, or district/street/community/grid)");
        }
        if columns.get(Col::Address).is_none() && columns.get(Col::Room).is_none() {
            missing.push(
                "an address column (地址 / address) or a house-number column (门牌号, 房号, 室, 户号 / room, flat), \
                 with 楼栋 and 单元 (building, entrance) when the sheet has them",
            );
        }
        if missing.is_empty() {
            return Ok(columns);
        }
        let found: Vec<&str> = headers
            .iter()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        Err(Error::invalid(format!(
            "the header row needs {}; it has {}",
            missing.join(", and "),
            if found.is_empty() {
                "no headers".to_string()
            } else {
                found.join(", ")
            }
        )))
    }
}

/// A row's flat, from its building, entrance and house-number columns.
struct Flat {
    /// The flat within its building ("2单元502", or the one column's text as written).
    unit: Option<String>,
    /// The column to blame when the unit is refused.
    unit_col: Col,
    /// The address the columns spell ("3栋2单元502室"), used when the sheet has none.
    address: String,
}

/// What every row of one file is read with.
struct Sheet {
    delimiter: u8,
    headers: csv::StringRecord,
    columns: Columns,
    now_ms: i64,
}

impl Sheet {
    /// The header that names column `c` in this file, or the column's own name.
    fn header_of(&self, c: Col) -> String {
        self.columns
            .get(c)
            .map(|i| self.headers[i].to_string())
            .unwrap_or_else(|| format!("{c:?}").to_lowercase())
    }

    /// True when the sheet names its flat columns in English, so a built address is
    /// written in English too.
    fn english(&self) -> bool {
        [Col::Room, Col::Entrance, Col::Building]
            .iter()
            .find_map(|c| self.columns.get(*c))
            .is_some_and(|i| self.headers[i].is_ascii())
    }

    /// The flat a row names, and its address when `address` asks for one. A bare number
    /// or letter gets its column's word (3 → 3栋, 2 → 2单元, 502 → 502室); text that has
    /// its own words is kept as written.
    fn flat<'a>(&self, get: &dyn Fn(Col) -> &'a str, address: bool) -> Flat {
        let (building, entrance, room) = (get(Col::Building), get(Col::Entrance), get(Col::Room));
        // Most sheets name at most one flat column and have an address: nothing to build.
        if !address && (entrance.is_empty() || room.is_empty()) {
            let (unit, unit_col) = if room.is_empty() {
                (entrance, Col::Entrance)
            } else {
                (room, Col::Room)
            };
            return Flat {
                unit: Some(unit.to_string()).filter(|u| !u.is_empty()),
                unit_col,
                address: String::new(),
            };
        }
        let bare = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        };
        let english = self.english();
        let word = |s: &str, zh: &str, en: &str| -> String {
            match (bare(s), english) {
                (true, false) => format!("{s}{zh}"),
                (true, true) => format!("{en} {s}"),
                (false, _) => s.to_string(),
            }
        };
        let (unit, unit_col) = match (entrance.is_empty(), room.is_empty()) {
            (true, true) => (None, Col::Room),
            (false, true) => (Some(entrance.to_string()), Col::Entrance),
            (true, false) => (Some(room.to_string()), Col::Room),
            (false, false) if english => (Some(format!("{entrance}-{room}")), Col::Room),
            (false, false) => (
                Some(format!("{}{room}", word(entrance, "单元", ""))),
                Col::Room,
            ),
        };
        let parts = [
            (building, "栋", "Building"),
            (entrance, "单元", "Entrance"),
            (room, "室", "Flat"),
        ];
        let words = parts
            .iter()
            .filter(|(s, _, _)| !s.is_empty())
            .map(|(s, zh, en)| word(s, zh, en));
        let address = if english {
            words.collect::<Vec<_>>().join(", ")
        } else {
            words.collect()
        };
        Flat {
            unit,
            unit_col,
            address,
        }
    }

    /// Reads the records of `part`, whose first line is line `first_line` of the file.
    /// Keeps the first [`MAX_REPORTED_ERRORS`] errors and counts the rest.
    fn read(&self, part: &str, first_line: u64) -> PartRead {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .trim(csv::Trim::All)
            .has_headers(false)
            .from_reader(part.as_bytes());
        let mut out = PartRead::default();
        let mut lines = Lines::new(part.as_bytes(), first_line);
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    out.rows += 1;
                    let line = e.position().map_or(0, |p| lines.at(p.byte() as usize));
                    out.refuse([RowError {
                        line,
                        column: "row".into(),
                        reason: format!("unreadable row: {e}"),
                    }]);
                    continue;
                }
            };
            if record.iter().all(str::is_empty) {
                continue;
            }
            out.rows += 1;
            let line = record.position().map_or(0, |p| lines.at(p.byte() as usize));
            if record.len() != self.headers.len() {
                out.refuse([RowError {
                    line,
                    column: "row".into(),
                    reason: format!(
                        "row has {} fields, the header has {}",
                        record.len(),
                        self.headers.len()
                    ),
                }]);
                continue;
            }
            let get = |c: Col| -> &str { self.columns.get(c).map_or("", |i| &record[i]) };
            match parse_row(self, &get) {
                Ok(row) => {
                    let ids = Ids {
                        household: stable_uuid("household", &row.household_key),
                        resident: stable_uuid("resident", &row.resident_key),
                    };
                    out.good.push((line, row, ids));
                }
                Err(errs) => out.refuse(errs.into_iter().map(|(c, reason)| RowError {
                    line,
                    column: self.header_of(c),
                    reason,
                })),
            }
        }
        out
    }
}

/// Line numbers as a text editor shows them, for LF, CRLF and CR files alike: counts
/// line breaks from the start of a part up to each record, once over the bytes.
struct Lines<'a> {
    bytes: &'a [u8],
    /// How far the breaks are counted.
    at: usize,
    /// The line that byte `at` is on.
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8], first_line: u64) -> Lines<'a> {
        Lines {
            bytes,
            at: 0,
            line: first_line,
        }
    }

    /// The line of the record that begins at byte `pos`; `pos` never goes backwards
    /// between calls.
    fn at(&mut self, pos: usize) -> u64 {
        // The CSV reader ends a record at a CR and places the next one at the LF after
        // it; the record itself begins after every line break.
        let mut pos = pos.min(self.bytes.len());
        while matches!(self.bytes.get(pos), Some(b'\r' | b'\n')) {
            pos += 1;
        }
        if pos > self.at {
            self.line += line_breaks(self.bytes, self.at, pos);
            self.at = pos;
        }
        self.line
    }
}

/// Line breaks in `bytes[from..to]`: a LF, a CR followed by LF, or a CR alone. A CR just
/// before `to` counts only when the byte at `to` is not a LF (that LF counts later).
fn line_breaks(bytes: &[u8], from: usize, to: usize) -> u64 {
    memchr::memchr2_iter(b'\r', b'\n', &bytes[from..to])
        .filter(|&i| bytes[from + i] == b'\n' || bytes.get(from + i + 1) != Some(&b'\n'))
        .count() as u64
}

/// What reading one part of a file gave.
#[derive(Default)]
struct PartRead {
    /// Good rows: line, row and ids, in file order.
    good: Vec<(u64, Row, Ids)>,
    /// Rows read, blank ones not counted.
    rows: u64,
    /// Rows refused.
    refused: u64,
    /// Errors found.
    error_count: u64,
    /// The first errors, in file order.
    errors: Vec<RowError>,
}

impl PartRead {
    /// Counts a refused row and its errors, keeping the first ones.
    fn refuse(&mut self, errors: impl IntoIterator<Item = RowError>) {
        self.refused += 1;
        for e in errors {
            self.error_count += 1;
            if self.errors.len() < MAX_REPORTED_ERRORS {
                self.errors.push(e);
            }
        }
    }

    /// Adds the next part's reading after this one's.
    fn append(&mut self, next: PartRead) {
        self.good.extend(next.good);
        self.rows += next.rows;
        self.refused += next.refused;
        self.error_count += next.error_count;
        let room = MAX_REPORTED_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(next.errors.into_iter().take(room));
    }
}

/// The ids of a row's household and resident.
#[derive(Clone, Copy)]
struct Ids {
    household: uuid::Uuid,
    resident: uuid::Uuid,
}

/// Text from which reading is split between threads; below it one thread reads.
const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Reads every record after the header (which ends at byte `body`), in file order. A
/// large file is cut at record boundaries into a part per core, read side by side.
fn read_rows(sheet: &Sheet, text: &str, body: usize) -> Result<PartRead> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let parts = if text.len() - body < PARALLEL_MIN_BYTES {
        1
    } else {
        cores
    };
    let cuts = record_cuts(text, body, parts, sheet.delimiter);
    // Line numbers of each part's first line, counted once over the text.
    let mut from = 0;
    let mut line = 1;
    let firsts: Vec<u64> = cuts
        .iter()
        .map(|&(start, _)| {
            line += line_breaks(text.as_bytes(), from, start);
            from = start;
            line
        })
        .collect();
    if cuts.len() == 1 {
        return Ok(sheet.read(&text[cuts[0].0..cuts[0].1], firsts[0]));
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = cuts
            .iter()
            .zip(&firsts)
            .map(|(&(start, end), &line)| {
                let part = &text[start..end];
                std::thread::Builder::new()
                    .name("doorstep-import".into())
                    .spawn_scoped(scope, move || sheet.read(part, line))
                    .map_err(|_| (part, line))
            })
            .collect();
        let mut out = PartRead::default();
        for handle in handles {
            match handle {
                Ok(h) => out.append(h.join().map_err(|_| {
                    Error::invalid("reading the file failed unexpectedly; nothing was stored")
                })?),
                // No thread to be had: this part is read here.
                Err((part, line)) => out.append(sheet.read(part, line)),
            }
        }
        Ok(out)
    })
}

/// Cuts `text[body..]` into up to `parts` ranges that each begin a record: after a line
/// break outside quotes (a LF, or a CR not followed by LF), as the CSV reader sees
/// quotes (one opens a field only as its first byte, and `""` inside is a quote).
fn record_cuts(text: &str, body: usize, parts: usize, delimiter: u8) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let len = bytes.len();
    let mut starts = vec![body];
    let mut quoted = false;
    let mut field_start = true;
    let mut i = body;
    while i < len && starts.len() < parts {
        let b = bytes[i];
        if quoted {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == b'"' && field_start {
            quoted = true;
        } else if (b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))) && i + 1 < len {
            let target = body + (len - body) * starts.len() / parts;
            if i + 1 >= target {
                starts.push(i + 1);
            }
        }
        field_start = !quoted && (b == delimiter || b == b'\n' || b == b'\r');
        i += 1;
    }
    starts
        .iter()
        .zip(starts.iter().skip(1).copied().chain([len]))
        .map(|(&a, b)| (a, b))
        .collect()
}

/// A good row with its area and building stored and its record ids derived.
struct Placed {
    line: u64,
    row: Row,
    household_id: String,
    resident_id: String,
    /// The same ids as numbers, to sort by.
    ids: Ids,
}

/// Ensures the row's area and building, the only records rows share in file order.
fn place_row(
    w: &mut Writer,
    line: u64,
    mut row: Row,
    ids: Ids,
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
    let household_id = ids.household.hyphenated().to_string();
    row.resident.household_id = household_id.clone();
    Ok(Placed {
        line,
        resident_id: ids.resident.hyphenated().to_string(),
        household_id,
        ids,
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
            insert_household(w, &row.household, p.household_id.clone())
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

/// Creates the row's resident, or updates the fields that changed. `new` says the
/// resident cannot be stored yet, which saves looking.
fn store_resident(
    w: &mut Writer,
    p: &Placed,
    new: bool,
    report: &mut ImportReport,
) -> std::result::Result<(), (Col, Error)> {
    let r = &p.row.resident;
    let existing = if new {
        None
    } else {
        store::resident(w.conn(), &p.resident_id).map_err(|e| (Col::Name, e))?
    };
    match existing {
        None => {
            insert_resident(w, r, p.resident_id.clone()).map_err(|e| (Col::Name, e))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What a read gives, comparable: each row's line, name and notes, or the columns of
    /// its errors, in line order.
    fn outcome(read: &PartRead) -> Vec<(u64, String)> {
        let mut out: Vec<(u64, String)> = read
            .good
            .iter()
            .map(|(line, row, _)| {
                (
                    *line,
                    format!("{} {:?}", row.resident.name, row.resident.notes),
                )
            })
            .collect();
        let mut bad: Vec<(u64, String)> = Vec::new();
        for e in &read.errors {
            match bad.last_mut() {
                Some((line, cols)) if *line == e.line => cols.push_str(&e.column),
                _ => bad.push((e.line, e.column.clone())),
            }
        }
        out.extend(bad);
        out.sort_by_key(|(line, _)| *line);
        out
    }

    #[test]
    fn parts_begin_at_records_and_read_as_the_whole_file_does() {
        let mut text = String::from("区域,地址,姓名,备注\n");
        for i in 0..300 {
            let note = match i % 6 {
                0 => "\"跨\n行\n，逗号\"",
                1 => "\"\"\"引号\"\"\"",
                2 => "5\"3",
                3 => " \"开头有空格",
                4 => "\"\"",
                _ => "",
            };
            text.push_str(&format!("武昌区,地址{i},人{i},{note}\n"));
        }
        text.push_str("武昌区,地址,人,多,一列\n");
        let body = text.find('\n').unwrap() + 1;
        let sheet = Sheet {
            delimiter: b',',
            headers: csv::StringRecord::from(vec!["区域", "地址", "姓名", "备注"]),
            columns: {
                let mut c = Columns::default();
                for (col, i) in [
                    (Col::Area, 0),
                    (Col::Address, 1),
                    (Col::Name, 2),
                    (Col::Notes, 3),
                ] {
                    c.0[col as usize] = Some(i);
                }
                c
            },
            now_ms: 1_795_420_800_000,
        };
        let whole = outcome(&sheet.read(&text[body..], 2));
        assert_eq!(whole.len(), 301);
        assert_eq!(whole[0], (2, "人0 Some(\"跨\\n行\\n，逗号\")".to_string()));
        for parts in 2..=7 {
            let cuts = record_cuts(&text, body, parts, b',');
            assert_eq!(cuts.len(), parts);
            let mut read = PartRead::default();
            for (start, end) in cuts {
                let line = 1 + text[..start].matches('\n').count() as u64;
                read.append(sheet.read(&text[start..end], line));
            }
            assert_eq!(outcome(&read), whole, "{parts} parts");
        }
    }
}
