//! Registry records and calls as the apps see them.

use doorstep_core::registry as reg;

use crate::{call, Doorstep, Result};

/// Level of an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AreaLevel {
    District,
    Street,
    Community,
    Grid,
}

/// An administrative area.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Area {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub level: AreaLevel,
    pub path: String,
}

/// A building in an area.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Building {
    pub id: String,
    pub area_id: String,
    pub name: String,
}

/// What is needed to create a household.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewHousehold {
    pub area_id: String,
    pub building_id: Option<String>,
    pub address: String,
    pub unit: Option<String>,
    pub phone: Option<String>,
}

/// A household.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Household {
    pub id: String,
    pub area_id: String,
    pub building_id: Option<String>,
    pub address: String,
    pub unit: Option<String>,
    pub phone: Option<String>,
}

/// Sex as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Sex {
    Female,
    Male,
    Unknown,
}

/// A vulnerability or situation tag.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Tag {
    ElderlyAlone,
    Disability,
    ChildInHardship,
    Stranded,
    FrontlineFamily,
    Pregnant,
    ChronicIllness,
    LowIncome,
    Custom { name: String },
}

/// What is needed to create a resident.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewResident {
    pub household_id: String,
    pub name: String,
    pub sex: Sex,
    pub birth_year: Option<i32>,
    pub phone: Option<String>,
    pub tags: Vec<Tag>,
    pub notes: Option<String>,
}

/// Fields to change; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct ResidentPatch {
    #[uniffi(default = None)]
    pub name: Option<String>,
    #[uniffi(default = None)]
    pub sex: Option<Sex>,
    #[uniffi(default = None)]
    pub birth_year: Option<i32>,
    #[uniffi(default = None)]
    pub phone: Option<String>,
    #[uniffi(default = None)]
    pub tags: Option<Vec<Tag>>,
    #[uniffi(default = None)]
    pub notes: Option<String>,
}

/// A person served.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Resident {
    pub id: String,
    pub household_id: String,
    pub name: String,
    pub sex: Sex,
    pub birth_year: Option<i32>,
    pub phone: Option<String>,
    pub tags: Vec<Tag>,
    pub notes: Option<String>,
}

/// A search request.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SearchQuery {
    pub text: String,
    #[uniffi(default = None)]
    pub area_id: Option<String>,
    #[uniffi(default = None)]
    pub tag: Option<Tag>,
    #[uniffi(default = 20)]
    pub limit: u32,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SearchHit {
    pub resident: Resident,
    pub address: String,
    pub score: u32,
}

/// A refused CSV row.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ImportReport {
    pub households_added: u64,
    pub residents_added: u64,
    pub residents_updated: u64,
    pub unchanged: u64,
    /// Rows after the header, blank lines not counted.
    pub rows: u64,
    /// Rows refused; a row may have several errors.
    pub rows_refused: u64,
    /// Every error found; `errors` lists the first 1,000.
    pub error_count: u64,
    pub errors: Vec<RowError>,
    /// More than half the rows were refused: nothing at all was stored.
    pub refused_whole: bool,
}

impl From<reg::AreaLevel> for AreaLevel {
    fn from(l: reg::AreaLevel) -> Self {
        match l {
            reg::AreaLevel::District => AreaLevel::District,
            reg::AreaLevel::Street => AreaLevel::Street,
            reg::AreaLevel::Community => AreaLevel::Community,
            reg::AreaLevel::Grid => AreaLevel::Grid,
        }
    }
}

impl From<reg::Area> for Area {
    fn from(a: reg::Area) -> Self {
        Area {
            id: a.id,
            parent_id: a.parent_id,
            name: a.name,
            level: a.level.into(),
            path: a.path,
        }
    }
}

impl From<reg::Building> for Building {
    fn from(b: reg::Building) -> Self {
        Building {
            id: b.id,
            area_id: b.area_id,
            name: b.name,
        }
    }
}

impl From<NewHousehold> for reg::NewHousehold {
    fn from(h: NewHousehold) -> Self {
        reg::NewHousehold {
            area_id: h.area_id,
            building_id: h.building_id,
            address: h.address,
            unit: h.unit,
            phone: h.phone,
        }
    }
}

impl From<reg::Household> for Household {
    fn from(h: reg::Household) -> Self {
        Household {
            id: h.id,
            area_id: h.area_id,
            building_id: h.building_id,
            address: h.address,
            unit: h.unit,
            phone: h.phone,
        }
    }
}

impl From<Sex> for reg::Sex {
    fn from(s: Sex) -> Self {
        match s {
            Sex::Female => reg::Sex::Female,
            Sex::Male => reg::Sex::Male,
            Sex::Unknown => reg::Sex::Unknown,
        }
    }
}

impl From<reg::Sex> for Sex {
    fn from(s: reg::Sex) -> Self {
        match s {
            reg::Sex::Female => Sex::Female,
            reg::Sex::Male => Sex::Male,
            reg::Sex::Unknown => Sex::Unknown,
        }
    }
}

impl From<Tag> for reg::Tag {
    fn from(t: Tag) -> Self {
        match t {
            Tag::ElderlyAlone => reg::Tag::ElderlyAlone,
            Tag::Disability => reg::Tag::Disability,
            Tag::ChildInHardship => reg::Tag::ChildInHardship,
            Tag::Stranded => reg::Tag::Stranded,
            Tag::FrontlineFamily => reg::Tag::FrontlineFamily,
            Tag::Pregnant => reg::Tag::Pregnant,
            Tag::ChronicIllness => reg::Tag::ChronicIllness,
            Tag::LowIncome => reg::Tag::LowIncome,
            Tag::Custom { name } => reg::Tag::Custom(name),
        }
    }
}

impl From<reg::Tag> for Tag {
    fn from(t: reg::Tag) -> Self {
        match t {
            reg::Tag::ElderlyAlone => Tag::ElderlyAlone,
            reg::Tag::Disability => Tag::Disability,
            reg::Tag::ChildInHardship => Tag::ChildInHardship,
            reg::Tag::Stranded => Tag::Stranded,
            reg::Tag::FrontlineFamily => Tag::FrontlineFamily,
            reg::Tag::Pregnant => Tag::Pregnant,
            reg::Tag::ChronicIllness => Tag::ChronicIllness,
            reg::Tag::LowIncome => Tag::LowIncome,
            reg::Tag::Custom(name) => Tag::Custom { name },
        }
    }
}

/// Converts a custom tag from the apps, checking its name.
fn tag_in(t: Tag) -> doorstep_core::Result<reg::Tag> {
    match t {
        Tag::Custom { name } => reg::Tag::custom(&name),
        other => Ok(other.into()),
    }
}

fn tags_in(tags: Vec<Tag>) -> doorstep_core::Result<Vec<reg::Tag>> {
    tags.into_iter().map(tag_in).collect()
}

impl From<reg::Resident> for Resident {
    fn from(r: reg::Resident) -> Self {
        Resident {
            id: r.id,
            household_id: r.household_id,
            name: r.name,
            sex: r.sex.into(),
            birth_year: r.birth_year,
            phone: r.phone,
            tags: r.tags.into_iter().map(Into::into).collect(),
            notes: r.notes,
        }
    }
}

impl From<reg::SearchHit> for SearchHit {
    fn from(h: reg::SearchHit) -> Self {
        SearchHit {
            resident: h.resident.into(),
            address: h.address,
            score: h.score,
        }
    }
}

impl From<reg::ImportReport> for ImportReport {
    fn from(r: reg::ImportReport) -> Self {
        ImportReport {
            households_added: r.households_added,
            residents_added: r.residents_added,
            residents_updated: r.residents_updated,
            unchanged: r.unchanged,
            rows: r.rows,
            rows_refused: r.rows_refused,
            error_count: r.error_count,
            refused_whole: r.refused_whole,
            errors: r
                .errors
                .into_iter()
                .map(|e| RowError {
                    line: e.line,
                    column: e.column,
                    reason: e.reason,
                })
                .collect(),
        }
    }
}

#[uniffi::export]
impl Doorstep {
    /// Finds or creates the areas along a path ("区/街道/社区/网格") and returns the last.
    pub fn ensure_area(&self, path: String) -> Result<Area> {
        call(|| self.core().ensure_area(&path)).map(Into::into)
    }

    /// Every area, by path.
    pub fn areas(&self) -> Result<Vec<Area>> {
        call(|| self.core().areas()).map(|v| v.into_iter().map(Into::into).collect())
    }

    /// Finds or creates a building in an area.
    pub fn create_building(&self, area_id: String, name: String) -> Result<Building> {
        call(|| self.core().create_building(&area_id, &name)).map(Into::into)
    }

    /// Creates a household.
    pub fn create_household(&self, input: NewHousehold) -> Result<Household> {
        call(|| self.core().create_household(&input.into())).map(Into::into)
    }

    /// A household by id.
    pub fn household(&self, id: String) -> Result<Household> {
        call(|| self.core().household(&id)).map(Into::into)
    }

    /// Creates a resident in an existing household.
    pub fn create_resident(&self, input: NewResident) -> Result<Resident> {
        call(|| {
            let r = reg::NewResident {
                household_id: input.household_id,
                name: input.name,
                sex: input.sex.into(),
                birth_year: input.birth_year,
                phone: input.phone,
                tags: tags_in(input.tags)?,
                notes: input.notes,
            };
            self.core().create_resident(&r)
        })
        .map(Into::into)
    }

    /// A resident by id.
    pub fn get_resident(&self, id: String) -> Result<Resident> {
        call(|| self.core().resident(&id)).map(Into::into)
    }

    /// The residents of a household.
    pub fn residents_of(&self, household_id: String) -> Result<Vec<Resident>> {
        call(|| self.core().residents_of(&household_id))
            .map(|v| v.into_iter().map(Into::into).collect())
    }

    /// Changes the given fields of a resident.
    pub fn update_resident(&self, id: String, patch: ResidentPatch) -> Result<Resident> {
        call(|| {
            let p = reg::ResidentPatch {
                name: patch.name,
                sex: patch.sex.map(Into::into),
                birth_year: patch.birth_year,
                phone: patch.phone,
                tags: patch.tags.map(tags_in).transpose()?,
                notes: patch.notes,
            };
            self.core().update_resident(&id, &p)
        })
        .map(Into::into)
    }

    /// Moves a resident to another household.
    pub fn move_resident(&self, id: String, household_id: String) -> Result<Resident> {
        call(|| self.core().move_resident(&id, &household_id)).map(Into::into)
    }

    /// Removes a resident from lists and search (kept in the change log).
    pub fn delete_resident(&self, id: String) -> Result<()> {
        call(|| self.core().delete_resident(&id))
    }

    /// Imports households and residents from a CSV file's bytes (UTF-8 or GBK).
    pub fn import_csv(&self, data: Vec<u8>) -> Result<ImportReport> {
        call(|| self.core().import_csv(&data)).map(Into::into)
    }

    /// Searches residents by name, pinyin, initials, phone or address.
    pub fn search(&self, query: SearchQuery) -> Result<Vec<SearchHit>> {
        call(|| {
            let q = reg::SearchQuery {
                text: query.text,
                area_id: query.area_id,
                tag: query.tag.map(tag_in).transpose()?,
                limit: query.limit,
            };
            self.core().search(&q)
        })
        .map(|v| v.into_iter().map(Into::into).collect())
    }
}
