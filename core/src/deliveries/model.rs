//! The types of deliveries: items, requests, packages, handoffs, proofs, stock, the
//! runner's list and the ledger.

use serde::{Deserialize, Serialize};

use crate::visits::Urgency;

/// One entry of the item catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueItem {
    /// Code used in item lines (`"rice"`).
    pub code: &'static str,
    /// What one of `quantity` counts (`"kg"`, `"box"`).
    pub unit: &'static str,
    /// Medicine lines must name the drug and its dose.
    pub needs_name_and_dose: bool,
}

/// The items a station hands out, with the unit their quantities count.
pub const CATALOGUE: &[CatalogueItem] = &[
    item("rice", "kg"),
    item("flour", "kg"),
    item("cooking_oil", "litre"),
    item("vegetables", "kg"),
    item("eggs", "piece"),
    item("infant_formula", "can"),
    CatalogueItem {
        code: "medicine",
        unit: "box",
        needs_name_and_dose: true,
    },
    item("sanitary_products", "pack"),
    item("care_package", "package"),
];

const fn item(code: &'static str, unit: &'static str) -> CatalogueItem {
    CatalogueItem {
        code,
        unit,
        needs_name_and_dose: false,
    }
}

/// An item and its quantity: `rice` × 5, or `medicine` "metformin" "500 mg" × 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ItemLine {
    /// A catalogue code.
    pub item: String,
    /// The drug's name (medicine only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub name: Option<String>,
    /// The drug's dose (medicine only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub dose: Option<String>,
    /// How many of the item's unit; at least 1.
    pub quantity: i64,
}

impl ItemLine {
    /// A line of a non-medicine item.
    pub fn new(item: &str, quantity: i64) -> ItemLine {
        ItemLine {
            item: item.to_string(),
            name: None,
            dose: None,
            quantity,
        }
    }

    /// A line of medicine with its name and dose.
    pub fn medicine(name: &str, dose: &str, quantity: i64) -> ItemLine {
        ItemLine {
            item: "medicine".to_string(),
            name: Some(name.to_string()),
            dose: Some(dose.to_string()),
            quantity,
        }
    }

    /// What tells two lines of stock apart: the code, or medicine with name and dose.
    pub fn key(&self) -> String {
        match (&self.name, &self.dose) {
            (Some(n), Some(d)) => format!("{}/{n}/{d}", self.item),
            _ => self.item.clone(),
        }
    }

    /// The line's item with another quantity.
    pub fn with_quantity(&self, quantity: i64) -> ItemLine {
        ItemLine {
            quantity,
            ..self.clone()
        }
    }
}

/// Where a request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum RequestSource {
    /// A need found on a visit; delivering resolves it.
    Need { need_id: String },
    /// A referral of a need to the supplies team; delivering completes it.
    Referral { referral_id: String },
    /// A call to the hotline, with the caller's number if given.
    Hotline { caller: Option<String> },
    /// Typed in at the station.
    Manual,
}

impl RequestSource {
    /// Stored code.
    pub fn code(&self) -> &'static str {
        match self {
            RequestSource::Need { .. } => "need",
            RequestSource::Referral { .. } => "referral",
            RequestSource::Hotline { .. } => "hotline",
            RequestSource::Manual => "manual",
        }
    }
}

/// A new supply request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct NewRequest {
    /// The household to deliver to; taken from the need or referral when not given.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub household_id: Option<String>,
    pub source: RequestSource,
    pub items: Vec<ItemLine>,
    pub urgency: Urgency,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub notes: Option<String>,
}

/// Where a request stands, derived from its packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum RequestStatus {
    /// Nothing on its way yet.
    Open,
    /// A package is packed or out.
    InDelivery,
    /// Some of the items reached the household.
    PartlyDelivered,
    /// Every item reached the household.
    Delivered,
    /// The last try failed and nothing was delivered.
    Failed,
}

impl RequestStatus {
    /// Every status.
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::Open,
        RequestStatus::InDelivery,
        RequestStatus::PartlyDelivered,
        RequestStatus::Delivered,
        RequestStatus::Failed,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::InDelivery => "in_delivery",
            RequestStatus::PartlyDelivered => "partly_delivered",
            RequestStatus::Delivered => "delivered",
            RequestStatus::Failed => "failed",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<RequestStatus> {
        RequestStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A supply request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct DeliveryRequest {
    pub id: String,
    pub household_id: String,
    pub area_id: String,
    pub source: RequestSource,
    pub items: Vec<ItemLine>,
    pub urgency: Urgency,
    pub notes: Option<String>,
    pub status: RequestStatus,
    pub created_at_ms: i64,
    pub created_by: String,
    pub status_at_ms: i64,
}

/// A request just made, with its delivery PIN: shown once, to give to the household;
/// only a salted hash of it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct CreatedRequest {
    pub request: DeliveryRequest,
    pub pin: String,
}

/// Where a package is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum PackageStatus {
    Requested,
    Packed,
    OutForDelivery,
    Delivered,
    PartlyDelivered,
    Failed,
    Returned,
}

impl PackageStatus {
    /// Every status.
    pub const ALL: [PackageStatus; 7] = [
        PackageStatus::Requested,
        PackageStatus::Packed,
        PackageStatus::OutForDelivery,
        PackageStatus::Delivered,
        PackageStatus::PartlyDelivered,
        PackageStatus::Failed,
        PackageStatus::Returned,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            PackageStatus::Requested => "requested",
            PackageStatus::Packed => "packed",
            PackageStatus::OutForDelivery => "out_for_delivery",
            PackageStatus::Delivered => "delivered",
            PackageStatus::PartlyDelivered => "partly_delivered",
            PackageStatus::Failed => "failed",
            PackageStatus::Returned => "returned",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<PackageStatus> {
        PackageStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether one handoff may move a package from `self` to `to`. A failed package may
    /// go out again; what is not delivered comes back to the station.
    pub fn can_become(self, to: PackageStatus) -> bool {
        use PackageStatus::*;
        matches!(
            (self, to),
            (Requested, Packed)
                | (Packed, OutForDelivery)
                | (Packed, Returned)
                | (OutForDelivery, Delivered)
                | (OutForDelivery, PartlyDelivered)
                | (OutForDelivery, Failed)
                | (OutForDelivery, Returned)
                | (Failed, OutForDelivery)
                | (Failed, Returned)
                | (PartlyDelivered, Returned)
        )
    }

    /// Packed, out, or back from a failed try: goods are off the shelf and not with the
    /// household.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            PackageStatus::Requested
                | PackageStatus::Packed
                | PackageStatus::OutForDelivery
                | PackageStatus::Failed
        )
    }
}

/// Why a delivery failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum FailReason {
    NobodyHome,
    Refused,
    WrongAddress,
}

impl FailReason {
    /// Every reason.
    pub const ALL: [FailReason; 3] = [
        FailReason::NobodyHome,
        FailReason::Refused,
        FailReason::WrongAddress,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            FailReason::NobodyHome => "nobody_home",
            FailReason::Refused => "refused",
            FailReason::WrongAddress => "wrong_address",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<FailReason> {
        FailReason::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A package: the part of a request one runner carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Package {
    pub id: String,
    pub request_id: String,
    pub household_id: String,
    pub area_id: String,
    pub building_id: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub address: String,
    pub urgency: Urgency,
    /// Holds medicine: it goes first on the runner's list.
    pub medicine: bool,
    /// What it holds (planned until packed).
    pub items: Vec<ItemLine>,
    /// What reached the household.
    pub delivered: Vec<ItemLine>,
    pub status: PackageStatus,
    pub runner: Option<String>,
    pub reason: Option<FailReason>,
    /// Hash of the last handoff; the chain's end.
    pub head_hash: String,
    /// Handoffs so far.
    pub steps: u32,
    pub created_at_ms: i64,
    pub status_at_ms: i64,
}

/// A point of a signature stroke, in the canvas's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SignaturePoint {
    pub x: f32,
    pub y: f32,
}

/// One stroke of a signature: the points the finger went through.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SignatureStroke {
    pub points: Vec<SignaturePoint>,
}

/// What proves a handoff.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Proof {
    /// The recipient's pass, as scanned; it must be valid and the household's.
    Pass { text: String },
    /// The PIN given to the household with the request.
    Pin { pin: String },
    /// The recipient's signature drawn on a `width` × `height` canvas, kept as a PNG
    /// blob.
    Signature {
        width: u32,
        height: u32,
        strokes: Vec<SignatureStroke>,
    },
    /// A photo from the camera (JPEG or PNG), kept downscaled as a JPEG blob.
    Photo { bytes: Vec<u8> },
    /// No proof, and why.
    NoProof { reason: String },
}

/// Stored kind of a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum ProofKind {
    Pass,
    Pin,
    Signature,
    Photo,
    /// No proof; the handoff states why.
    NoProof,
}

impl ProofKind {
    /// Every kind.
    pub const ALL: [ProofKind; 5] = [
        ProofKind::Pass,
        ProofKind::Pin,
        ProofKind::Signature,
        ProofKind::Photo,
        ProofKind::NoProof,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            ProofKind::Pass => "pass",
            ProofKind::Pin => "pin",
            ProofKind::Signature => "signature",
            ProofKind::Photo => "photo",
            ProofKind::NoProof => "none",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<ProofKind> {
        ProofKind::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// One move of a package, as asked for.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct HandoffInput {
    /// The status the package moves to.
    pub to_status: PackageStatus,
    /// Who gives; by default whoever holds the package.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub from: Option<String>,
    /// Who receives; for `OutForDelivery` the runner, required.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub to: Option<String>,
    /// Where, if the phone knows.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub place: Option<String>,
    /// For a partial delivery, what was handed over; for packing, what went in (by
    /// default everything planned). Other steps move what the package holds.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub items: Option<Vec<ItemLine>>,
    /// Required for a delivery, full or partial.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub proof: Option<Proof>,
    /// Required for a failure.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub reason: Option<FailReason>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub note: Option<String>,
}

impl HandoffInput {
    /// A move to `to_status` with nothing else said.
    pub fn new(to_status: PackageStatus) -> HandoffInput {
        HandoffInput {
            to_status,
            from: None,
            to: None,
            place: None,
            items: None,
            proof: None,
            reason: None,
            note: None,
        }
    }
}

/// One stored move of a package: a link of its hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Handoff {
    pub id: String,
    pub package_id: String,
    /// 1 for the first step.
    pub seq: u32,
    pub status: PackageStatus,
    pub from: String,
    pub to: String,
    pub at_ms: i64,
    pub place: Option<String>,
    pub items: Vec<ItemLine>,
    pub proof_kind: Option<ProofKind>,
    /// The pass id, the blob hash of a photo or signature, or the reason for none.
    pub proof: Option<String>,
    pub reason: Option<FailReason>,
    pub note: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// What is wrong with a step of a package's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum ChainProblemKind {
    /// A step before this one (or after the last) is not there.
    Missing,
    /// The step's content does not match its hash.
    Altered,
    /// The step follows another step than the one before it.
    Reordered,
}

/// One problem `verify_package` found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ChainProblem {
    /// The step where it shows.
    pub seq: u32,
    pub kind: ChainProblemKind,
    pub detail: String,
}

/// The result of checking a package's handoff chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ChainReport {
    pub package_id: String,
    /// Steps found.
    pub steps: u32,
    /// No problems were found.
    pub intact: bool,
    pub problems: Vec<ChainProblem>,
}

/// How stock came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum StockMoveKind {
    Donation,
    Purchase,
    /// Issued from the shelf: packed into a package, or given out otherwise.
    Issue,
    /// Back from a package that was not (fully) delivered.
    Return,
}

impl StockMoveKind {
    /// Every kind.
    pub const ALL: [StockMoveKind; 4] = [
        StockMoveKind::Donation,
        StockMoveKind::Purchase,
        StockMoveKind::Issue,
        StockMoveKind::Return,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            StockMoveKind::Donation => "donation",
            StockMoveKind::Purchase => "purchase",
            StockMoveKind::Issue => "issue",
            StockMoveKind::Return => "return",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<StockMoveKind> {
        StockMoveKind::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// One movement of stock; `line.quantity` is negative for an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct StockMove {
    pub id: String,
    pub line: ItemLine,
    pub kind: StockMoveKind,
    pub package_id: Option<String>,
    /// Who gave or sold it, for receipts.
    pub source: Option<String>,
    pub note: Option<String>,
    pub at_ms: i64,
    pub by: String,
}

/// An item's balance at the station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockBalance {
    /// The item, with the balance as quantity.
    pub line: ItemLine,
}

/// A package as the runner's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct RunnerPackage {
    pub package_id: String,
    pub request_id: String,
    pub household_id: String,
    pub unit: Option<String>,
    pub address: String,
    pub urgency: Urgency,
    pub medicine: bool,
    pub status: PackageStatus,
    /// What the runner carries for this household (for a partial delivery: what is
    /// left to bring back).
    pub items: Vec<ItemLine>,
}

/// One building of a walking route, its packages urgent and medicine first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct RunnerStop {
    pub building_id: Option<String>,
    /// The building's name, or the address when the household has no building.
    pub building: String,
    pub packages: Vec<RunnerPackage>,
}

/// A runner's list: packages out by building, and what is left to bring back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct RunnerList {
    pub runner: String,
    /// Packages out, building by building; buildings with urgent or medicine packages
    /// first.
    pub stops: Vec<RunnerStop>,
    /// Failed or partly delivered packages not yet back at the station.
    pub to_return: Vec<RunnerPackage>,
    /// Everything the runner still holds, summed per item: what is left at the end of
    /// the day.
    pub items_left: Vec<ItemLine>,
}

/// Requests with one status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct RequestStatusCount {
    pub status: RequestStatus,
    pub count: u32,
}

/// Failures with one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct FailureCount {
    pub reason: FailReason,
    pub count: u32,
}

/// How long open requests have waited, at the end of the day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct OpenAge {
    pub under_1_day: u32,
    pub from_1_to_3_days: u32,
    pub over_3_days: u32,
    /// The oldest's age in ms (0 when none is open).
    pub oldest_ms: i64,
}

impl OpenAge {
    /// Counts one open request that has waited `age_ms`.
    pub fn add(&mut self, age_ms: i64) {
        match age_ms {
            a if a < DAY_MS => self.under_1_day += 1,
            a if a <= 3 * DAY_MS => self.from_1_to_3_days += 1,
            _ => self.over_3_days += 1,
        }
        self.oldest_ms = self.oldest_ms.max(age_ms);
    }

    /// Requests counted.
    pub fn total(&self) -> u32 {
        self.under_1_day + self.from_1_to_3_days + self.over_3_days
    }
}

const DAY_MS: i64 = 86_400_000;

/// One item's stock on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct StockDay {
    /// The item, with the day's closing balance as quantity.
    pub line: ItemLine,
    pub received: i64,
    pub issued: i64,
    pub returned: i64,
}

/// An area's deliveries on one day, and the station's stock.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct DeliveryLedger {
    pub area_id: String,
    pub day: String,
    /// Requests made that day, by their status now.
    pub requests_by_status: Vec<RequestStatusCount>,
    /// Requests not yet delivered at the end of the day, by age.
    pub open_age: OpenAge,
    /// Items handed to households that day, summed per item.
    pub items_delivered: Vec<ItemLine>,
    pub failures: Vec<FailureCount>,
    /// Every item with a movement up to the day's end.
    pub stock: Vec<StockDay>,
}

/// A stored attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Blob {
    /// SHA-256 of the bytes, hex.
    pub hash: String,
    /// `image/jpeg` or `image/png`.
    pub mime: String,
    pub bytes: Vec<u8>,
}
