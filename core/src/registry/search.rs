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

/// A resident id held compactly: UUIDs as their 16 bytes, anything else as text. UUIDs
/// order by their bytes as their text does.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Id {
    Uuid([u8; 16]),
    Other(Box<str>),
}

impl Id {
    fn new(s: &str) -> Id {
        match uuid::Uuid::try_parse(s) {
            Ok(u) if u.hyphenated().to_string() == s => Id::Uuid(*u.as_bytes()),
            _ => Id::Other(s.into()),
        }
    }

    fn text(&self) -> String {
        match self {
            Id::Uuid(b) => uuid::Uuid::from_bytes(*b).hyphenated().to_string(),
            Id::Other(s) => s.to_string(),
        }
    }
}

/// Separates the fields of an entry's text; `ALT` separates alternatives within one.
const FIELD: char = '\u{1f}';
const ALT: char = '\u{1e}';

/// One resident as search sees it, kept small: 100,000 of them must fit a phone's memory
/// budget alongside everything else.
struct Entry {
    id: Id,
    /// Name (lowercased), full spellings, initials, phone digits and address
    /// (ASCII-lowercased), separated by `FIELD`, alternatives by `ALT`.
    text: Box<str>,
    area: u32,
    /// Index into the interned tag sets.
    tags: u32,
}

impl Entry {
    fn fields(&self) -> [&str; 5] {
        let mut it = self.text.split(FIELD);
        let mut next = || it.next().unwrap_or("");
        [next(), next(), next(), next(), next()]
    }
}

/// The in-memory index of live residents.
#[derive(Default)]
pub struct SearchIndex {
    entries: Vec<Option<Entry>>,
    by_id: HashMap<Id, u32>,
    areas: Vec<Arc<str>>,
    area_ids: HashMap<Arc<str>, u32>,
    tag_sets: Vec<Box<[Tag]>>,
    tag_set_ids: HashMap<Box<[Tag]>, u32>,
}

impl SearchIndex {
    /// Builds the index from the store.
    pub fn build(conn: &Connection) -> Result<SearchIndex> {
        let mut index = SearchIndex::default();
        store::for_each_index_row(conn, None, |row| index.upsert(row))?;
        index.entries.shrink_to_fit();
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
            if let Some(slot) = self.by_id.remove(&Id::new(id)) {
                self.entries[slot as usize] = None;
            }
        }
        store::for_each_index_row(conn, Some(ids), |row| self.upsert(row))?;
        Ok(())
    }

    fn upsert(&mut self, row: IndexRow) {
        let (spell, initials) = pinyin::keys(&row.resident.name);
        let mut phones: Vec<String> = Vec::new();
        for p in [
            row.resident.phone.as_deref(),
            row.household_phone.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            if !digits.is_empty() && !phones.contains(&digits) {
                phones.push(digits);
            }
        }
        let alt = ALT.to_string();
        let text = [
            row.resident.name.to_lowercase(),
            spell.join(&alt),
            initials.join(&alt),
            phones.join(&alt),
            row.address.to_ascii_lowercase(),
        ]
        .join(&FIELD.to_string());
        let id = Id::new(&row.resident.id);
        let entry = Entry {
            id: id.clone(),
            text: text.into(),
            area: self.area_slot(&row.area_path),
            tags: self.tag_set(row.resident.tags),
        };
        match self.by_id.get(&id) {
            Some(&slot) => self.entries[slot as usize] = Some(entry),
            None => {
                self.by_id.insert(id, self.entries.len() as u32);
                self.entries.push(Some(entry));
            }
        }
    }

    fn tag_set(&mut self, tags: Vec<Tag>) -> u32 {
        let tags: Box<[Tag]> = tags.into();
        if let Some(&i) = self.tag_set_ids.get(&tags) {
            return i;
        }
        let i = self.tag_sets.len() as u32;
        self.tag_sets.push(tags.clone());
        self.tag_set_ids.insert(tags, i);
        i
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
                if !self.tag_sets[e.tags as usize].contains(tag) {
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
                .then_with(|| a.1.fields()[0].cmp(b.1.fields()[0]))
                .then_with(|| a.1.id.cmp(&b.1.id))
        });
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        hits.truncate(limit as usize);
        hits.into_iter().map(|(s, e)| (e.id.text(), s)).collect()
    }
}

/// How well one query word matches an entry; 0 for no match.
fn score(e: &Entry, t: &str) -> u32 {
    let [name, spell, initials, phones, address] = e.fields();
    let mut best = 0;
    let mut bump = |s: u32| best = best.max(s);
    if name == t {
        bump(100);
    } else if name.starts_with(t) {
        bump(90);
    } else if name.contains(t) {
        bump(80);
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        for p in phones.split(ALT) {
            if p.ends_with(t) {
                bump(70);
            } else if t.len() >= 4 && p.contains(t) {
                bump(40);
            }
        }
    } else if t.bytes().all(|b| b.is_ascii_alphabetic()) {
        for s in spell.split(ALT) {
            if s == t {
                bump(85);
            } else if s.starts_with(t) {
                bump(75);
            } else if t.len() >= 3 && s.contains(t) {
                bump(45);
            }
        }
        for i in initials.split(ALT) {
            if i == t {
                bump(72);
            } else if i.starts_with(t) {
                bump(60);
            }
        }
    }
    if address.contains(t) {
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
    let mut rows: HashMap<String, IndexRow> = HashMap::with_capacity(ids.len());
    store::for_each_index_row(conn, Some(&ids), |r| {
        rows.insert(r.resident.id.clone(), r);
    })?;
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
