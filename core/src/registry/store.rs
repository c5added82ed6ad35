//! The registry's SQL. Writes go through the change log; these are the reads.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::*;
use crate::error::{Error, Result};

fn area_row(r: &Row) -> rusqlite::Result<Area> {
    let level: String = r.get(3)?;
    Ok(Area {
        id: r.get(0)?,
        parent_id: r.get(1)?,
        name: r.get(2)?,
        level: AreaLevel::from_code(&level).unwrap_or(AreaLevel::Grid),
        path: r.get(4)?,
    })
}

/// A live area by id.
pub fn area(conn: &Connection, id: &str) -> Result<Option<Area>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, parent_id, name, level, path FROM area
             WHERE id = ?1 AND _deleted = 0 AND name IS NOT NULL",
        )?
        .query_row([id], area_row)
        .optional()?)
}

/// Every live area, by path.
pub fn areas(conn: &Connection) -> Result<Vec<Area>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, parent_id, name, level, path FROM area
         WHERE _deleted = 0 AND name IS NOT NULL ORDER BY path",
    )?;
    let rows = stmt.query_map([], area_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A live building by id.
pub fn building(conn: &Connection, id: &str) -> Result<Option<Building>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, area_id, name FROM building
             WHERE id = ?1 AND _deleted = 0 AND name IS NOT NULL",
        )?
        .query_row([id], |r| {
            Ok(Building {
                id: r.get(0)?,
                area_id: r.get(1)?,
                name: r.get(2)?,
            })
        })
        .optional()?)
}

/// A live household by id.
pub fn household(conn: &Connection, id: &str) -> Result<Option<Household>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, area_id, building_id, address, unit, phone FROM household
             WHERE id = ?1 AND _deleted = 0 AND address IS NOT NULL",
        )?
        .query_row([id], |r| {
            Ok(Household {
                id: r.get(0)?,
                area_id: r.get(1)?,
                building_id: r.get(2)?,
                address: r.get(3)?,
                unit: r.get(4)?,
                phone: r.get(5)?,
            })
        })
        .optional()?)
}

/// The columns `resident_row` reads, in order.
pub const RESIDENT_COLS: &str =
    "r.id, r.household_id, r.name, r.sex, r.birth_year, r.phone, r.tags, r.notes";

/// Reads a resident from the columns of `RESIDENT_COLS`.
pub fn resident_row(r: &Row) -> rusqlite::Result<Resident> {
    let sex: Option<String> = r.get(3)?;
    let tags: Option<String> = r.get(6)?;
    Ok(Resident {
        id: r.get(0)?,
        household_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        name: r.get(2)?,
        sex: sex.as_deref().and_then(Sex::parse).unwrap_or_default(),
        birth_year: r.get(4)?,
        phone: r.get(5)?,
        tags: tags.as_deref().map(decode_tags).unwrap_or_default(),
        notes: r.get(7)?,
    })
}

/// A live resident by id.
pub fn resident(conn: &Connection, id: &str) -> Result<Option<Resident>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {RESIDENT_COLS} FROM resident r
             WHERE r.id = ?1 AND r._deleted = 0 AND r.name IS NOT NULL"
        ))?
        .query_row([id], resident_row)
        .optional()?)
}

/// A live resident by id, or `NotFound`.
pub fn resident_or_404(conn: &Connection, id: &str) -> Result<Resident> {
    resident(conn, id)?.ok_or_else(|| Error::not_found("resident", id))
}

/// A live household by id, or `NotFound`.
pub fn household_or_404(conn: &Connection, id: &str) -> Result<Household> {
    household(conn, id)?.ok_or_else(|| Error::not_found("household", id))
}

/// Live residents of a household, by name.
pub fn residents_of(conn: &Connection, household_id: &str) -> Result<Vec<Resident>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RESIDENT_COLS} FROM resident r
         WHERE r.household_id = ?1 AND r._deleted = 0 AND r.name IS NOT NULL ORDER BY r.name"
    ))?;
    let rows = stmt.query_map([household_id], resident_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Moves of a resident, oldest first.
pub fn moves(conn: &Connection, resident_id: &str) -> Result<Vec<ResidentMove>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, resident_id, from_household, to_household, at FROM resident_move
         WHERE resident_id = ?1 ORDER BY _hlc, id",
    )?;
    let rows = stmt.query_map([resident_id], |r| {
        Ok(ResidentMove {
            id: r.get(0)?,
            resident_id: r.get(1)?,
            from_household: r.get(2)?,
            to_household: r.get(3)?,
            at_ms: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Tags as stored: a JSON array of codes.
pub fn encode_tags(tags: &[Tag]) -> String {
    let mut codes: Vec<String> = tags.iter().map(Tag::code).collect();
    codes.sort();
    codes.dedup();
    serde_json::to_string(&codes).expect("a list of strings always serialises")
}

/// Reads stored tags; codes this build does not know become custom tags.
pub fn decode_tags(json: &str) -> Vec<Tag> {
    normalize_tags(
        serde_json::from_str::<Vec<String>>(json)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| Tag::parse(c).ok())
            .collect(),
    )
}

/// Tags in their one canonical order (built-in first, then custom by name), no repeats.
pub fn normalize_tags(mut tags: Vec<Tag>) -> Vec<Tag> {
    tags.sort();
    tags.dedup();
    tags
}

/// One row of the search index: a resident with what it is found by.
pub struct IndexRow {
    pub resident: Resident,
    pub household_phone: Option<String>,
    pub address: String,
    pub area_path: String,
}

/// Calls `f` with every live resident (or only those in `only`) with their household and
/// area, one row at a time, so building the search index never holds the whole registry
/// twice in memory.
pub fn for_each_index_row(
    conn: &Connection,
    only: Option<&[String]>,
    mut f: impl FnMut(IndexRow),
) -> Result<()> {
    let base = format!(
        "SELECT {RESIDENT_COLS}, h.phone, h.address, h.unit, b.name, a.path
         FROM resident r
         LEFT JOIN household h ON h.id = r.household_id
         LEFT JOIN building b ON b.id = h.building_id
         LEFT JOIN area a ON a.id = h.area_id
         WHERE r._deleted = 0 AND r.name IS NOT NULL"
    );
    let map = |r: &Row| -> rusqlite::Result<IndexRow> {
        let address: Option<String> = r.get(9)?;
        let unit: Option<String> = r.get(10)?;
        let building: Option<String> = r.get(11)?;
        let mut full = String::new();
        for part in [address, building, unit].into_iter().flatten() {
            // An address built from the sheet's flat columns already names them.
            if full.contains(part.as_str()) {
                continue;
            }
            if !full.is_empty() {
                full.push(' ');
            }
            full.push_str(&part);
        }
        Ok(IndexRow {
            resident: resident_row(r)?,
            household_phone: r.get(8)?,
            address: full,
            area_path: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        })
    };
    match only {
        None => {
            let mut stmt = conn.prepare(&base)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                f(map(r)?);
            }
        }
        Some(ids) => {
            let mut stmt = conn.prepare_cached(&format!("{base} AND r.id = ?1"))?;
            for id in ids {
                if let Some(row) = stmt.query_row([id], map).optional()? {
                    f(row);
                }
            }
        }
    }
    Ok(())
}

/// Ids of live residents of the given households.
pub fn resident_ids_of(conn: &Connection, household_ids: &[String]) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM resident WHERE household_id = ?1")?;
    let mut out = Vec::new();
    for h in household_ids {
        for id in stmt.query_map([h], |r| r.get(0))? {
            out.push(id?);
        }
    }
    Ok(out)
}

/// A live resident with their household and building name, for lists by place.
pub struct ResidentAt {
    pub resident: Resident,
    pub household: Household,
    pub building: Option<String>,
}

/// Live residents in an area (and every area below it) and/or a building, ordered by
/// building, unit, address and household, so a printed list follows the stairwells.
pub fn residents_in(
    conn: &Connection,
    area_path: Option<&str>,
    building_id: Option<&str>,
) -> Result<Vec<ResidentAt>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RESIDENT_COLS}, h.id, h.area_id, h.building_id, h.address, h.unit, h.phone,
                b.name
         FROM resident r
         JOIN household h ON h.id = r.household_id AND h._deleted = 0
         LEFT JOIN building b ON b.id = h.building_id
         LEFT JOIN area a ON a.id = h.area_id
         WHERE r._deleted = 0 AND r.name IS NOT NULL
           AND (?1 IS NULL OR a.path = ?1 OR substr(a.path, 1, length(?1) + 1) = ?1 || '/')
           AND (?2 IS NULL OR h.building_id = ?2)
         ORDER BY b.name, h.unit, h.address, h.id, r.id"
    ))?;
    let rows = stmt.query_map(params![area_path, building_id], |r| {
        Ok(ResidentAt {
            resident: resident_row(r)?,
            household: Household {
                id: r.get(8)?,
                area_id: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
                building_id: r.get(10)?,
                address: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
                unit: r.get(12)?,
                phone: r.get(13)?,
            },
            building: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
