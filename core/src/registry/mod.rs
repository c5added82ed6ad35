//! The registry: areas (district / street / community / grid), buildings, households and
//! residents with their tags; CSV import and search. Every write goes through the change
//! log's `Writer`, one op per changed entity.

pub mod import;
mod model;
mod pinyin;
pub mod search;
pub mod store;
#[cfg(test)]
mod tests;

pub use model::*;

use serde_json::json;

use crate::clock::{new_id, stable_id};
use crate::error::{Error, Result};
use crate::fields;
use crate::log::{EntityDef, EntityKind, Fields, Writer};

/// Areas; ids derive from the path, so two devices naming the same area agree.
pub static AREA: EntityDef = EntityDef {
    name: "area",
    table: "area",
    kind: EntityKind::Register,
    fields: &["parent_id", "name", "level", "path"],
};

/// Buildings; ids derive from area and name.
pub static BUILDING: EntityDef = EntityDef {
    name: "building",
    table: "building",
    kind: EntityKind::Register,
    fields: &["area_id", "name"],
};

/// Households.
pub static HOUSEHOLD: EntityDef = EntityDef {
    name: "household",
    table: "household",
    kind: EntityKind::Register,
    fields: &["area_id", "building_id", "address", "unit", "phone"],
};

/// Residents.
pub static RESIDENT: EntityDef = EntityDef {
    name: "resident",
    table: "resident",
    kind: EntityKind::Register,
    fields: &[
        "household_id",
        "name",
        "sex",
        "birth_year",
        "phone",
        "tags",
        "notes",
    ],
};

/// A resident's move between households, kept as history.
pub static RESIDENT_MOVE: EntityDef = EntityDef {
    name: "resident_move",
    table: "resident_move",
    kind: EntityKind::Fact,
    fields: &["resident_id", "from_household", "to_household", "at"],
};

/// The registry's entity definitions, for the schema.
pub const DEFS: &[&EntityDef] = &[&AREA, &BUILDING, &HOUSEHOLD, &RESIDENT, &RESIDENT_MOVE];

const MAX_NAME: usize = 64;
const MAX_ADDRESS: usize = 200;
const MAX_NOTES: usize = 2000;
const MAX_AREA_NAME: usize = 64;

/// Finds or creates every area along `path` ("武昌区/中南路街道/丽岛社区/第3网格") and
/// returns the last one.
pub fn ensure_area(w: &mut Writer, path: &str) -> Result<Area> {
    let parts = area_parts(path)?;
    let mut parent: Option<String> = None;
    let mut full = String::new();
    let mut last = None;
    for (part, level) in parts.iter().zip(AreaLevel::ALL) {
        if !full.is_empty() {
            full.push('/');
        }
        full.push_str(part);
        let id = stable_id("area", &full);
        let area = match store::area(w.conn(), &id)? {
            Some(a) => a,
            None => {
                w.put(
                    &AREA,
                    &id,
                    fields! {
                        "parent_id" => parent, "name" => part, "level" => level.code(), "path" => full,
                    },
                )?;
                Area {
                    id: id.clone(),
                    parent_id: parent.clone(),
                    name: part.to_string(),
                    level,
                    path: full.clone(),
                }
            }
        };
        parent = Some(id);
        last = Some(area);
    }
    Ok(last.expect("a non-empty path yields an area"))
}

/// The names along an area path, checked: one to four levels, none too long.
pub fn area_parts(path: &str) -> Result<Vec<&str>> {
    let parts: Vec<&str> = path
        .split(['/', '>', '／'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        return Err(Error::invalid(format!("area path {path:?} is empty")));
    }
    if parts.len() > AreaLevel::ALL.len() {
        return Err(Error::invalid(format!(
            "area path {path:?} has {} levels; at most 4 (district/street/community/grid)",
            parts.len()
        )));
    }
    if let Some(part) = parts.iter().find(|p| p.chars().count() > MAX_AREA_NAME) {
        return Err(Error::invalid(format!(
            "area name {part:?} is longer than {MAX_AREA_NAME} characters"
        )));
    }
    Ok(parts)
}

/// A building's name, trimmed and checked: not empty, not too long.
pub fn check_building_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("building name must not be empty"));
    }
    if name.chars().count() > MAX_AREA_NAME {
        return Err(Error::invalid(format!(
            "building name {name:?} is longer than {MAX_AREA_NAME} characters"
        )));
    }
    Ok(name)
}

/// Finds or creates the building `name` in an area.
pub fn ensure_building(w: &mut Writer, area_id: &str, name: &str) -> Result<Building> {
    let name = check_building_name(name)?;
    store::area(w.conn(), area_id)?.ok_or_else(|| Error::not_found("area", area_id))?;
    let id = stable_id("building", &format!("{area_id}/{name}"));
    if let Some(b) = store::building(w.conn(), &id)? {
        return Ok(b);
    }
    w.put(
        &BUILDING,
        &id,
        fields! { "area_id" => area_id, "name" => name },
    )?;
    Ok(Building {
        id,
        area_id: area_id.to_string(),
        name: name.to_string(),
    })
}

/// Creates a household; `ext_key` (from an import) makes its id stable: the id is derived
/// from it, so the key itself need not be stored.
pub fn create_household(
    w: &mut Writer,
    input: &NewHousehold,
    ext_key: Option<&str>,
) -> Result<Household> {
    check_household_refs(w, input)?;
    let id = ext_key.map_or_else(new_id, |k| stable_id("household", k));
    insert_household(w, input, id)
}

/// Stores a household as `id` whose area and building the caller has just ensured (the
/// import does, row after row), so only its own fields are checked.
pub(super) fn insert_household(
    w: &mut Writer,
    input: &NewHousehold,
    id: String,
) -> Result<Household> {
    let h = check_household(input)?;
    w.put(
        &HOUSEHOLD,
        &id,
        fields! {
            "area_id" => h.area_id, "building_id" => h.building_id, "address" => h.address,
            "unit" => h.unit, "phone" => h.phone,
        },
    )?;
    Ok(Household { id, ..h })
}

/// Refuses a household whose area or building is missing or do not match.
fn check_household_refs(w: &Writer, input: &NewHousehold) -> Result<()> {
    store::area(w.conn(), &input.area_id)?
        .ok_or_else(|| Error::not_found("area", &input.area_id))?;
    if let Some(b) = &input.building_id {
        let building =
            store::building(w.conn(), b)?.ok_or_else(|| Error::not_found("building", b))?;
        if building.area_id != input.area_id {
            return Err(Error::invalid(format!(
                "building {b} is not in area {}",
                input.area_id
            )));
        }
    }
    Ok(())
}

/// Validates a new household's own fields and returns it normalised (id left empty).
fn check_household(input: &NewHousehold) -> Result<Household> {
    Ok(Household {
        id: String::new(),
        area_id: input.area_id.clone(),
        building_id: input.building_id.clone(),
        address: check_text("address", &input.address, MAX_ADDRESS, true)?,
        unit: optional_text("unit", input.unit.as_deref(), MAX_AREA_NAME)?,
        phone: input
            .phone
            .as_deref()
            .map(check_phone)
            .transpose()?
            .flatten(),
    })
}

/// Creates a resident in an existing household; `ext_key` (from an import) makes its id
/// stable.
pub fn create_resident(
    w: &mut Writer,
    input: &NewResident,
    ext_key: Option<&str>,
) -> Result<Resident> {
    store::household_or_404(w.conn(), &input.household_id)?;
    let id = ext_key.map_or_else(new_id, |k| stable_id("resident", k));
    insert_resident(w, input, id)
}

/// Stores a resident as `id` whose household the caller has just ensured (the import
/// does).
pub(super) fn insert_resident(w: &mut Writer, input: &NewResident, id: String) -> Result<Resident> {
    let r = Resident {
        id,
        household_id: input.household_id.clone(),
        name: check_text("name", &input.name, MAX_NAME, true)?,
        sex: input.sex,
        birth_year: input
            .birth_year
            .map(|y| check_birth_year(y, w.now_ms()))
            .transpose()?,
        phone: input
            .phone
            .as_deref()
            .map(check_phone)
            .transpose()?
            .flatten(),
        tags: store::normalize_tags(checked_tags(&input.tags)?),
        notes: optional_text("notes", input.notes.as_deref(), MAX_NOTES)?,
    };
    w.put(
        &RESIDENT,
        &r.id,
        fields! {
            "household_id" => r.household_id, "name" => r.name, "sex" => r.sex.code(),
            "birth_year" => r.birth_year, "phone" => r.phone,
            "tags" => store::encode_tags(&r.tags), "notes" => r.notes,
        },
    )?;
    Ok(r)
}

/// Tags as a caller gave them, each custom tag's name checked.
pub fn checked_tags(tags: &[Tag]) -> Result<Vec<Tag>> {
    tags.iter().map(Tag::checked).collect()
}

/// Changes the given fields of a resident, one op with just those fields.
pub fn update_resident(w: &mut Writer, id: &str, patch: &ResidentPatch) -> Result<Resident> {
    let current = store::resident_or_404(w.conn(), id)?;
    let changes = diff_resident(&current, patch, w.now_ms())?;
    if !changes.is_empty() {
        w.put(&RESIDENT, id, changes)?;
    }
    store::resident_or_404(w.conn(), id)
}

/// The fields of `patch` that differ from `current`, validated, as op fields.
pub fn diff_resident(current: &Resident, patch: &ResidentPatch, now_ms: i64) -> Result<Fields> {
    let mut f = Fields::new();
    if let Some(name) = &patch.name {
        let name = check_text("name", name, MAX_NAME, true)?;
        if name != current.name {
            f.insert("name".into(), json!(name));
        }
    }
    if let Some(sex) = patch.sex {
        if sex != current.sex {
            f.insert("sex".into(), json!(sex.code()));
        }
    }
    if let Some(year) = patch.birth_year {
        let year = check_birth_year(year, now_ms)?;
        if Some(year) != current.birth_year {
            f.insert("birth_year".into(), json!(year));
        }
    }
    if let Some(phone) = &patch.phone {
        let phone = check_phone(phone)?;
        if phone != current.phone {
            f.insert("phone".into(), json!(phone));
        }
    }
    if let Some(tags) = &patch.tags {
        let encoded = store::encode_tags(&checked_tags(tags)?);
        if encoded != store::encode_tags(&current.tags) {
            f.insert("tags".into(), json!(encoded));
        }
    }
    if let Some(notes) = &patch.notes {
        let notes = optional_text("notes", Some(notes), MAX_NOTES)?;
        if notes != current.notes {
            f.insert("notes".into(), json!(notes));
        }
    }
    Ok(f)
}

/// Moves a resident to another household and records the move as history.
pub fn move_resident(w: &mut Writer, id: &str, household_id: &str) -> Result<Resident> {
    let current = store::resident_or_404(w.conn(), id)?;
    store::household_or_404(w.conn(), household_id)?;
    if current.household_id == household_id {
        return Ok(current);
    }
    w.put(&RESIDENT, id, fields! { "household_id" => household_id })?;
    let now = w.now_ms();
    w.fact(
        &RESIDENT_MOVE,
        &new_id(),
        fields! {
            "resident_id" => id, "from_household" => current.household_id,
            "to_household" => household_id, "at" => now,
        },
    )?;
    store::resident_or_404(w.conn(), id)
}

/// Tombstones a resident: gone from lists and search, kept in the log.
pub fn delete_resident(w: &mut Writer, id: &str) -> Result<()> {
    store::resident_or_404(w.conn(), id)?;
    w.delete(&RESIDENT, id)
}

/// Trims `value` and checks its length; `required` refuses an empty value.
pub fn check_text(field: &str, value: &str, max: usize, required: bool) -> Result<String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(Error::invalid(format!("{field} must not be empty")));
    }
    let n = v.chars().count();
    if n > max {
        return Err(Error::invalid(format!(
            "{field} is {n} characters, more than the {max} allowed"
        )));
    }
    Ok(v.to_string())
}

fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) => {
            let v = check_text(field, v, max, false)?;
            Ok((!v.is_empty()).then_some(v))
        }
    }
}

/// Checks a birth year against the present: not before 1900, not in the future.
pub fn check_birth_year(year: i32, now_ms: i64) -> Result<i32> {
    let this_year = 1970 + (now_ms / 1000 / 86_400 / 365.2425_f64 as i64) as i32;
    let this_year = this_year.max(1970);
    if year > this_year {
        return Err(Error::invalid(format!(
            "birth_year {year} is in the future"
        )));
    }
    if year < 1900 {
        return Err(Error::invalid(format!("birth_year {year} is before 1900")));
    }
    Ok(year)
}

/// Normalises a phone number (drops spaces, dashes and brackets) and checks it has 5 to
/// 20 digits, with an optional leading '+'. An empty value means no phone.
pub fn check_phone(phone: &str) -> Result<Option<String>> {
    let cleaned: String = phone
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '\u{3000}'))
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    if !digits.chars().all(|c| c.is_ascii_digit()) || !(5..=20).contains(&digits.len()) {
        return Err(Error::invalid(format!(
            "phone {phone:?} is not a phone number (5 to 20 digits)"
        )));
    }
    Ok(Some(cleaned))
}
