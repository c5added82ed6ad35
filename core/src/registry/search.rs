//! Resident search held in memory: name substring, full pinyin, pinyin initials, phone
//! suffix and address, filtered by area and tag, ranked. Each searchable field of every
//! resident is laid end to end in one text column, so a query word is found with one SIMD
//! substring scan per column instead of a comparison per resident; 100,000 residents
//! answer in a few milliseconds without an external index.

use std::collections::HashMap;
use std::sync::Arc;

use memchr::memmem::Finder;
use rusqlite::Connection;

use super::model::{SearchHit, SearchQuery, Tag};
use super::pinyin;
use super::store::{self, IndexRow};
use crate::error::Result;

/// Most hits one search returns.
pub const MAX_LIMIT: u32 = 500;
const DEFAULT_LIMIT: u32 = 20;

/// Ends each entry in a column, so no match spans two residents.
const END: char = '\u{1f}';
/// Separates alternatives within one field (two spellings, two phones).
const ALT: u8 = 0x1e;

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

/// The searchable fields, one column each.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Spelling,
    Initials,
    Phone,
    Address,
}

const FIELDS: [Field; 5] = [
    Field::Name,
    Field::Spelling,
    Field::Initials,
    Field::Phone,
    Field::Address,
];

/// One field of every slot, end to end; `spans[slot]` is where the slot's text lies.
#[derive(Default)]
struct Column {
    text: String,
    spans: Vec<(u32, u32)>,
}

impl Column {
    fn push(&mut self, value: &str) {
        let start = self.text.len() as u32;
        self.text.push_str(value);
        self.spans.push((start, self.text.len() as u32));
        self.text.push(END);
    }

    fn get(&self, slot: usize) -> &str {
        let (a, b) = self.spans[slot];
        &self.text[a as usize..b as usize]
    }
}

/// How a word matched one alternative of a field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fit {
    Whole,
    Prefix,
    Suffix,
    Inside,
}

/// The score of a word fitting a field, 0 when that fit does not count. Names weigh
/// most, then spellings, phone tails and initials, then addresses.
fn points(field: Field, fit: Fit, word: &str) -> u32 {
    let digits = word.bytes().all(|b| b.is_ascii_digit());
    let letters = word.bytes().all(|b| b.is_ascii_alphabetic());
    match (field, fit) {
        (Field::Name, Fit::Whole) => 100,
        (Field::Name, Fit::Prefix) => 90,
        (Field::Name, _) => 80,
        (Field::Spelling, Fit::Whole) if letters => 85,
        (Field::Spelling, Fit::Prefix) if letters => 75,
        (Field::Spelling, _) if letters && word.len() >= 3 => 45,
        (Field::Initials, Fit::Whole) if letters => 72,
        (Field::Initials, Fit::Prefix) if letters => 60,
        (Field::Phone, Fit::Whole | Fit::Suffix) if digits => 70,
        (Field::Phone, _) if digits && word.len() >= 4 => 40,
        (Field::Address, _) => 30,
        _ => 0,
    }
}

/// The in-memory index of live residents. Slots are appended; a changed or deleted
/// resident leaves a dead slot behind until the index compacts itself.
#[derive(Default)]
pub struct SearchIndex {
    ids: Vec<Id>,
    live: Vec<bool>,
    area: Vec<u32>,
    tags: Vec<u32>,
    columns: [Column; 5],
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
        for c in &mut index.columns {
            c.text.shrink_to_fit();
            c.spans.shrink_to_fit();
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
            if let Some(slot) = self.by_id.remove(&Id::new(id)) {
                self.live[slot as usize] = false;
            }
        }
        store::for_each_index_row(conn, Some(ids), |row| self.upsert(row))?;
        if self.ids.len() > 1024 && self.by_id.len() < self.ids.len() / 2 {
            self.compact();
        }
        Ok(())
    }

    fn upsert(&mut self, row: IndexRow) {
        let id = Id::new(&row.resident.id);
        if let Some(old) = self.by_id.get(&id) {
            self.live[*old as usize] = false;
        }
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
        let alt = (ALT as char).to_string();
        let slot = self.ids.len() as u32;
        let [name, spelling, initial, phone, address] = &mut self.columns;
        name.push(&clean(&row.resident.name.to_lowercase()));
        spelling.push(&spell.join(&alt));
        initial.push(&initials.join(&alt));
        phone.push(&phones.join(&alt));
        address.push(&clean(&row.address.to_ascii_lowercase()));
        let area = self.area_slot(&row.area_path);
        let tags = self.tag_set(row.resident.tags);
        self.ids.push(id.clone());
        self.live.push(true);
        self.area.push(area);
        self.tags.push(tags);
        self.by_id.insert(id, slot);
    }

    /// Drops dead slots, keeping the live ones in order.
    fn compact(&mut self) {
        let old = std::mem::take(self);
        let mut fresh = SearchIndex {
            areas: old.areas,
            area_ids: old.area_ids,
            tag_sets: old.tag_sets,
            tag_set_ids: old.tag_set_ids,
            ..SearchIndex::default()
        };
        for slot in (0..old.ids.len()).filter(|&s| old.live[s]) {
            for (col, f) in fresh.columns.iter_mut().zip(&old.columns) {
                col.push(f.get(slot));
            }
            fresh
                .by_id
                .insert(old.ids[slot].clone(), fresh.ids.len() as u32);
            fresh.ids.push(old.ids[slot].clone());
            fresh.live.push(true);
            fresh.area.push(old.area[slot]);
            fresh.tags.push(old.tags[slot]);
        }
        *self = fresh;
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

    /// Adds each slot's best score for `word` into `best` (by slot), listing the slots
    /// it touched in `touched`.
    fn score_word(&self, word: &str, best: &mut [u32], touched: &mut Vec<u32>) {
        let finder = Finder::new(word.as_bytes());
        for (field, column) in FIELDS.iter().zip(&self.columns) {
            if points(*field, Fit::Inside, word) == 0
                && points(*field, Fit::Whole, word) == 0
                && points(*field, Fit::Prefix, word) == 0
            {
                continue;
            }
            let text = column.text.as_bytes();
            let mut slot = 0usize;
            for pos in finder.find_iter(text) {
                // Matches come in order, and so do the spans: walk forward to the owner.
                while column.spans[slot].1 as usize <= pos {
                    slot += 1;
                }
                let (start, end) = column.spans[slot];
                let (start, end) = (start as usize, end as usize);
                let alt_start = text[start..pos]
                    .iter()
                    .rposition(|&b| b == ALT)
                    .map_or(start, |i| start + i + 1);
                let after = pos + word.len();
                let alt_end = text[after..end]
                    .iter()
                    .position(|&b| b == ALT)
                    .map_or(end, |i| after + i);
                let fit = match (pos == alt_start, after == alt_end) {
                    (true, true) => Fit::Whole,
                    (true, false) => Fit::Prefix,
                    (false, true) => Fit::Suffix,
                    (false, false) => Fit::Inside,
                };
                let p = points(*field, fit, word);
                if p > best[slot] {
                    if best[slot] == 0 {
                        touched.push(slot as u32);
                    }
                    best[slot] = p;
                }
            }
        }
    }

    /// Resident ids matching `query`, best first, with their scores.
    pub fn find(&self, query: &SearchQuery, area_path: Option<&str>) -> Vec<(String, u32)> {
        let words: Vec<String> = query
            .text
            .split_whitespace()
            .map(|t| clean(&t.to_lowercase()))
            .filter(|t| !t.is_empty())
            .collect();
        let in_area: Option<Vec<bool>> = area_path.map(|p| {
            self.areas
                .iter()
                .map(|a| **a == *p || (a.starts_with(p) && a[p.len()..].starts_with('/')))
                .collect()
        });
        let keep = |slot: usize| {
            self.live[slot]
                && in_area
                    .as_ref()
                    .is_none_or(|mask| mask[self.area[slot] as usize])
                && query
                    .tag
                    .as_ref()
                    .is_none_or(|t| self.tag_sets[self.tags[slot] as usize].contains(t))
        };
        let mut hits: Vec<(u32, u32)> = Vec::new();
        if words.is_empty() {
            hits.extend(
                (0..self.ids.len())
                    .filter(|&s| keep(s))
                    .map(|s| (0, s as u32)),
            );
        } else {
            let n = self.ids.len();
            let mut total = vec![0u32; n];
            let mut matched = vec![0u8; n];
            let mut best = vec![0u32; n];
            let mut touched = Vec::new();
            for word in &words {
                touched.clear();
                self.score_word(word, &mut best, &mut touched);
                for &slot in &touched {
                    let slot = slot as usize;
                    total[slot] += best[slot];
                    matched[slot] = matched[slot].saturating_add(1);
                    best[slot] = 0;
                }
            }
            let need = words.len().min(u8::MAX as usize) as u8;
            hits.extend(
                touched
                    .iter()
                    .map(|&s| s as usize)
                    .filter(|&s| matched[s] == need && keep(s))
                    .map(|s| (total[s], s as u32)),
            );
        }
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        } as usize;
        let order = |a: &(u32, u32), b: &(u32, u32)| {
            b.0.cmp(&a.0)
                .then_with(|| {
                    self.columns[0]
                        .get(a.1 as usize)
                        .cmp(self.columns[0].get(b.1 as usize))
                })
                .then_with(|| self.ids[a.1 as usize].cmp(&self.ids[b.1 as usize]))
        };
        // Only the best `limit` need sorting; a broad word can match thousands.
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, order);
            hits.truncate(limit);
        }
        hits.sort_unstable_by(order);
        hits.into_iter()
            .map(|(score, slot)| (self.ids[slot as usize].text(), score))
            .collect()
    }
}

/// Drops the separator characters from indexed and query text.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|&c| c != END && c as u32 != ALT as u32)
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Resident, Sex};

    fn row(id: usize, name: &str) -> IndexRow {
        IndexRow {
            resident: Resident {
                id: format!("r{id}"),
                household_id: "h".into(),
                name: name.into(),
                sex: Sex::Unknown,
                birth_year: None,
                phone: Some(format!("139{id:08}")),
                tags: vec![],
                notes: None,
            },
            household_phone: None,
            address: format!("{id}号"),
            area_path: "区/街道".into(),
        }
    }

    fn q(text: &str) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            limit: 500,
            ..Default::default()
        }
    }

    #[test]
    fn changed_entries_replace_old_ones_and_compaction_keeps_results() {
        let mut index = SearchIndex::default();
        for i in 0..1500 {
            index.upsert(row(i, "张伟"));
        }
        // Rename most of them twice over: dead slots pile up, then get compacted.
        for round in 0..2 {
            for i in 0..1200 {
                index.upsert(row(i, if round == 0 { "李娜" } else { "王芳" }));
            }
        }
        assert_eq!(index.len(), 1500);
        assert_eq!(index.find(&q("zw"), None).len(), 300);
        assert_eq!(
            index.find(&q("王芳"), None).len(),
            500,
            "capped at the limit"
        );
        assert!(index.find(&q("李娜"), None).is_empty());
        let slots_before = index.ids.len();
        index.compact();
        assert_eq!(index.ids.len(), 1500);
        assert!(slots_before > 1500);
        assert_eq!(index.find(&q("zw"), None).len(), 300);
        assert_eq!(
            index.find(&q("00001199"), None),
            vec![("r1199".to_string(), 70)]
        );
        assert_eq!(index.find(&q("1199号"), None)[0].0, "r1199");
    }

    #[test]
    fn separators_in_text_cannot_join_two_residents() {
        let mut index = SearchIndex::default();
        index.upsert(row(1, "张伟"));
        index.upsert(row(2, "李娜"));
        assert!(index.find(&q("伟\u{1f}李"), None).is_empty());
        assert!(index.find(&q("伟李"), None).is_empty());
    }
}
