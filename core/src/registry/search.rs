//! Resident search held in memory: name substring, full pinyin, pinyin initials, phone
//! suffix and address, filtered by area and tag, ranked. A linear scan over compact
//! entries answers 100,000 residents in a few milliseconds without an external index.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::Connection;

use super::model::{SearchHit, SearchQuery, Tag};
use super::pinyin;
use super::store::{self, IndexRow};
use crate::error::Result;

/// Most hits one search returns.
pub const MAX_LIMIT: u32 = 500;
const DEFAULT_LIMIT: u32 = 20;

struct Entry {
    id: Box<str>,
    /// The name as written, for matching Chinese characters.
    name: Box<str>,
    /// Full spellings and initials, lowercase: "zhangwei zw".
    spell: Box<[Box<str>]>,
    initials: Box<[Box<str>]>,
    /// Resident and household phones, digits.
    phones: Box<[Box<str>]>,
    /// Address, building and unit, ASCII-lowercased.
    address: Box<str>,
    area: u32,
    tags: Box<[Tag]>,
}

/// The in-memory index of live residents.
#[derive(Default)]
pub struct SearchIndex {
    entries: Vec<Option<Entry>>,
    by_id: HashMap<Box<str>, usize>,
    areas: Vec<Arc<str>>,
    area_ids: HashMap<Arc<str>, u32>,
}

impl SearchIndex {
    /// Builds the index from the store.
    pub fn build(conn: &Connection) -> Result<SearchIndex> {
        let mut index = SearchIndex::default();
        for row in store::index_rows(conn, None)? {
            index.upsert(row);
        }
        Ok(index)
    }

    /// Number of residents indexed.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when no resident is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Re-reads the given residents after a write; deleted ones leave the index.
    pub fn refresh(&mut self, conn: &Connection, ids: &[String]) -> Result<()> {
        for id in ids {
            if let Some(slot) = self.by_id.remove(id.as_str()) {
                self.entries[slot] = None;
            }
        }
        for row in store::index_rows(conn, Some(ids))? {
            self.upsert(row);
        }
        Ok(())
    }

    fn upsert(&mut self, row: IndexRow) {
        let (spell, initials) = pinyin::keys(&row.resident.name);
        let mut phones: Vec<Box<str>> = Vec::new();
        for p in [
            row.resident.phone.as_deref(),
            row.household_phone.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            if !digits.is_empty() && !phones.iter().any(|x| **x == *digits) {
                phones.push(digits.into());
            }
        }
        let area = self.area_slot(&row.area_path);
        let entry = Entry {
            id: row.resident.id.as_str().into(),
            name: row.resident.name.to_lowercase().into(),
            spell: spell.into_iter().map(Into::into).collect(),
            initials: initials.into_iter().map(Into::into).collect(),
            phones: phones.into(),
            address: row.address.to_ascii_lowercase().into(),
            area,
            tags: row.resident.tags.into(),
        };
        match self.by_id.get(&entry.id) {
            Some(&slot) => self.entries[slot] = Some(entry),
            None => {
                self.by_id.insert(entry.id.clone(), self.entries.len());
                self.entries.push(Some(entry));
            }
        }
    }

    fn area_slot(&mut self, path: &str) -> u32 {
        if let Some(&i) = self.area_ids.get(path) {
            return i;
        }
        let i = self.areas.len() as u32;
        let path: Arc<str> = path.into();
        self.areas.push(path.clone());
        self.area_ids.insert(path, i);
        i
    }

    /// Resident ids matching `query`, best first, with their scores.
    pub fn find(&self, query: &SearchQuery, area_path: Option<&str>) -> Vec<(String, u32)> {
        let tokens: Vec<String> = query
            .text
            .split_whitespace()
            .map(|t| t.to_lowercase())
            .collect();
        let in_area: Option<Vec<bool>> = area_path.map(|p| {
            self.areas
                .iter()
                .map(|a| **a == *p || (a.starts_with(p) && a[p.len()..].starts_with('/')))
                .collect()
        });
        let mut hits: Vec<(u32, &Entry)> = Vec::new();
        for e in self.entries.iter().flatten() {
            if let Some(mask) = &in_area {
                if !mask[e.area as usize] {
                    continue;
                }
            }
            if let Some(tag) = &query.tag {
                if !e.tags.contains(tag) {
                    continue;
                }
            }
            let mut total = 0;
            let mut all = true;
            for t in &tokens {
                let s = score(e, t);
                if s == 0 {
                    all = false;
                    break;
                }
                total += s;
            }
            if all {
                hits.push((total, e));
            }
        }
        hits.sort_unstable_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.name.cmp(&b.1.name))
                .then_with(|| a.1.id.cmp(&b.1.id))
        });
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        hits.truncate(limit as usize);
        hits.into_iter()
            .map(|(s, e)| (e.id.to_string(), s))
            .collect()
    }
}

/// How well one query word matches an entry; 0 for no match.
fn score(e: &Entry, t: &str) -> u32 {
    let mut best = 0;
    let mut bump = |s: u32| best = best.max(s);
    if *e.name == *t {
        bump(100);
    } else if e.name.starts_with(t) {
        bump(90);
    } else if e.name.contains(t) {
        bump(80);
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        for p in e.phones.iter() {
            if p.ends_with(t) {
                bump(70);
            } else if t.len() >= 4 && p.contains(t) {
                bump(40);
            }
        }
    } else if t.bytes().all(|b| b.is_ascii_alphabetic()) {
        for s in e.spell.iter() {
            if **s == *t {
                bump(85);
            } else if s.starts_with(t) {
                bump(75);
            } else if t.len() >= 3 && s.contains(t) {
                bump(45);
            }
        }
        for i in e.initials.iter() {
            if **i == *t {
                bump(72);
            } else if i.starts_with(t) {
                bump(60);
            }
        }
    }
    if e.address.contains(t) {
        bump(30);
    }
    best
}

/// Runs a search against the index and reads the hits' records from the store.
pub fn search(
    conn: &Connection,
    index: &SearchIndex,
    query: &SearchQuery,
) -> Result<Vec<SearchHit>> {
    let area_path = match &query.area_id {
        Some(id) => Some(
            store::area(conn, id)?
                .ok_or_else(|| crate::Error::not_found("area", id))?
                .path,
        ),
        None => None,
    };
    let found = index.find(query, area_path.as_deref());
    let ids: Vec<String> = found.iter().map(|(id, _)| id.clone()).collect();
    let mut rows: HashMap<String, IndexRow> = store::index_rows(conn, Some(&ids))?
        .into_iter()
        .map(|r| (r.resident.id.clone(), r))
        .collect();
    Ok(found
        .into_iter()
        .filter_map(|(id, score)| {
            rows.remove(&id).map(|r| SearchHit {
                resident: r.resident,
                address: r.address,
                score,
            })
        })
        .collect())
}
