//! Registry records: areas, buildings, households, residents and their tags.

use crate::error::{Error, Result};

/// The level of an area in the path district / street / community / grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum AreaLevel {
    /// 区
    District,
    /// 街道
    Street,
    /// 社区
    Community,
    /// 网格
    Grid,
}

impl AreaLevel {
    /// Levels from the top, as a path's segments are.
    pub const ALL: [AreaLevel; 4] = [
        AreaLevel::District,
        AreaLevel::Street,
        AreaLevel::Community,
        AreaLevel::Grid,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            AreaLevel::District => "district",
            AreaLevel::Street => "street",
            AreaLevel::Community => "community",
            AreaLevel::Grid => "grid",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<AreaLevel> {
        AreaLevel::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// An administrative area; `path` joins the names from the district down with '/'.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Area {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub level: AreaLevel,
    pub path: String,
}

/// A building in an area.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Building {
    pub id: String,
    pub area_id: String,
    pub name: String,
}

/// What a caller gives to create a household.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct NewHousehold {
    pub area_id: String,
    pub building_id: Option<String>,
    pub address: String,
    pub unit: Option<String>,
    pub phone: Option<String>,
}

/// A dwelling and the people living in it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Household {
    pub id: String,
    pub area_id: String,
    pub building_id: Option<String>,
    pub address: String,
    pub unit: Option<String>,
    pub phone: Option<String>,
}

/// Sex as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Sex {
    Female,
    Male,
    #[default]
    Unknown,
}

impl Sex {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
            Sex::Unknown => "U",
        }
    }

    /// Parses a code or a word as written in a spreadsheet (女, 男, female, M, ...).
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim().to_lowercase().as_str() {
            "f" | "female" | "女" | "woman" => Some(Sex::Female),
            "m" | "male" | "男" | "man" => Some(Sex::Male),
            "" | "u" | "unknown" | "未知" => Some(Sex::Unknown),
            _ => None,
        }
    }
}

/// A vulnerability or situation tag on a resident.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Tag {
    /// 独居老人
    ElderlyAlone,
    /// 重度残疾
    Disability,
    /// 困境儿童
    ChildInHardship,
    /// 滞留人员
    Stranded,
    /// 一线人员家属
    FrontlineFamily,
    /// 孕产妇
    Pregnant,
    /// 慢性病
    ChronicIllness,
    /// 低保/低收入
    LowIncome,
    /// A station's own tag.
    Custom { name: String },
}

/// The built-in tags with their stored code and the words a spreadsheet may use.
const BUILT_IN: &[(Tag, &str, &[&str])] = &[
    (
        Tag::ElderlyAlone,
        "elderly_alone",
        &["独居老人", "独居", "elderly living alone", "elderly alone"],
    ),
    (
        Tag::Disability,
        "disability",
        &["重度残疾", "残疾人", "残疾", "severe disability"],
    ),
    (
        Tag::ChildInHardship,
        "child_in_hardship",
        &["困境儿童", "child in hardship"],
    ),
    (
        Tag::Stranded,
        "stranded",
        &["滞留人员", "滞留", "stranded worker"],
    ),
    (
        Tag::FrontlineFamily,
        "frontline_family",
        &[
            "一线人员家属",
            "一线家属",
            "frontline family",
            "frontline worker's family",
        ],
    ),
    (Tag::Pregnant, "pregnant", &["孕产妇", "孕妇", "pregnancy"]),
    (
        Tag::ChronicIllness,
        "chronic_illness",
        &["慢性病", "慢病", "chronic illness"],
    ),
    (
        Tag::LowIncome,
        "low_income",
        &["低保", "低收入", "低保户", "low-income", "low income"],
    ),
];

const CUSTOM_PREFIX: &str = "custom:";
const MAX_CUSTOM_TAG: usize = 32;

impl Tag {
    /// The code stored and synced: `elderly_alone`, ... or `custom:<name>`.
    pub fn code(&self) -> String {
        match self {
            Tag::Custom { name } => format!("{CUSTOM_PREFIX}{name}"),
            built_in => BUILT_IN
                .iter()
                .find(|(t, _, _)| t == built_in)
                .map(|(_, code, _)| code.to_string())
                .expect("every built-in tag is listed in BUILT_IN"),
        }
    }

    /// Parses a stored code, or a Chinese or English tag name; any other non-empty word
    /// becomes a custom tag.
    pub fn parse(s: &str) -> Result<Tag> {
        let s = s.trim();
        let lower = s.to_lowercase();
        if let Some((tag, _, _)) = BUILT_IN
            .iter()
            .find(|(_, code, names)| *code == lower || names.contains(&lower.as_str()))
        {
            return Ok(tag.clone());
        }
        let name = s.strip_prefix(CUSTOM_PREFIX).unwrap_or(s).trim();
        Tag::custom(name)
    }

    /// A custom tag, checked: non-empty, at most 32 characters.
    pub fn custom(name: &str) -> Result<Tag> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("tag must not be empty"));
        }
        if name.chars().count() > MAX_CUSTOM_TAG {
            return Err(Error::invalid(format!(
                "tag {name:?} is longer than {MAX_CUSTOM_TAG} characters"
            )));
        }
        Ok(Tag::Custom {
            name: name.to_string(),
        })
    }

    /// The tag as given by a caller, a custom tag's name checked and trimmed.
    pub fn checked(&self) -> Result<Tag> {
        match self {
            Tag::Custom { name } => Tag::custom(name),
            built_in => Ok(built_in.clone()),
        }
    }

    /// True for the tags that make a resident vulnerable (all built-in tags but pregnancy
    /// count; custom tags do not).
    pub fn is_vulnerable(&self) -> bool {
        !matches!(self, Tag::Custom { .. })
    }
}

/// What a caller gives to create a resident.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct NewResident {
    pub household_id: String,
    pub name: String,
    pub sex: Sex,
    pub birth_year: Option<i32>,
    pub phone: Option<String>,
    pub tags: Vec<Tag>,
    pub notes: Option<String>,
}

/// Fields to change on a resident; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ResidentPatch {
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub name: Option<String>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub sex: Option<Sex>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub birth_year: Option<i32>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub phone: Option<String>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub tags: Option<Vec<Tag>>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub notes: Option<String>,
}

/// A person served.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
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

/// One move of a resident between households, kept as history.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ResidentMove {
    pub id: String,
    pub resident_id: String,
    pub from_household: Option<String>,
    pub to_household: String,
    pub at_ms: i64,
}

/// A search request over residents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SearchQuery {
    /// Name (or part), full pinyin, pinyin initials, phone digits or address words;
    /// several words must all match.
    pub text: String,
    /// Only residents in this area or below it.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub area_id: Option<String>,
    /// Only residents with this tag.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub tag: Option<Tag>,
    /// At most this many hits (1..=500; 0 means 20).
    #[cfg_attr(feature = "ffi", uniffi(default = 20))]
    pub limit: u32,
}

/// One search result, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SearchHit {
    pub resident: Resident,
    /// The household's address and unit, for the result line.
    pub address: String,
    /// Higher is better.
    pub score: u32,
}

/// One refused row of a CSV import.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct RowError {
    /// 1-based line in the file.
    pub line: u64,
    /// Column header as written in the file (or "row" for the whole row).
    pub column: String,
    /// What is wrong.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ImportReport {
    pub households_added: u64,
    pub residents_added: u64,
    pub residents_updated: u64,
    /// Rows whose resident was already stored as written.
    pub unchanged: u64,
    /// Rows of the sheet after its header, blank lines not counted.
    pub rows: u64,
    /// Rows refused; a row may have several errors.
    pub rows_refused: u64,
    /// Every error found; `errors` lists the first [`MAX_REPORTED_ERRORS`] of them.
    pub error_count: u64,
    /// The first errors, by line.
    pub errors: Vec<RowError>,
    /// More than half the rows were refused, which a wrong file or columns in the wrong
    /// order give: then nothing at all was stored.
    pub refused_whole: bool,
}

/// Most errors one import report lists; the rest are counted in `error_count`.
pub const MAX_REPORTED_ERRORS: usize = 1_000;
