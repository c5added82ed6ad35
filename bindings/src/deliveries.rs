//! Deliveries records and calls as the apps see them: requests, stock, packages,
//! handoffs with proof, the hash chain check, the runner's list and the ledger.

use doorstep_core::deliveries as del;

use crate::{call, Doorstep, Result, Urgency};

macro_rules! enum_map {
    ($ffi:ident, $core:path, [$($v:ident),* $(,)?]) => {
        impl From<$ffi> for $core {
            fn from(x: $ffi) -> Self {
                use $core as C;
                match x { $($ffi::$v => C::$v),* }
            }
        }
        impl From<$core> for $ffi {
            fn from(x: $core) -> Self {
                use $core as C;
                match x { $(C::$v => $ffi::$v),* }
            }
        }
    };
}

/// An entry of the item catalogue.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CatalogueItem {
    pub code: String,
    pub unit: String,
    pub needs_name_and_dose: bool,
}

/// An item and its quantity; medicine carries its name and dose.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ItemLine {
    pub item: String,
    #[uniffi(default = None)]
    pub name: Option<String>,
    #[uniffi(default = None)]
    pub dose: Option<String>,
    pub quantity: i64,
}

/// Where a request came from.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RequestSource {
    Need { need_id: String },
    Referral { referral_id: String },
    Hotline { caller: Option<String> },
    Manual,
}

/// A new supply request.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewRequest {
    /// Taken from the need or referral when not given.
    #[uniffi(default = None)]
    pub household_id: Option<String>,
    pub source: RequestSource,
    pub items: Vec<ItemLine>,
    pub urgency: Urgency,
    #[uniffi(default = None)]
    pub notes: Option<String>,
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RequestStatus {
    Open,
    InDelivery,
    PartlyDelivered,
    Delivered,
    Failed,
}

/// A supply request.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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

/// A request just made and its delivery PIN, shown once to give to the household.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CreatedRequest {
    pub request: DeliveryRequest,
    pub pin: String,
}

/// Where a package is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PackageStatus {
    Requested,
    Packed,
    OutForDelivery,
    Delivered,
    PartlyDelivered,
    Failed,
    Returned,
}

/// Why a delivery failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FailReason {
    NobodyHome,
    Refused,
    WrongAddress,
}

/// A package: what one runner carries for a request.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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
    pub medicine: bool,
    pub items: Vec<ItemLine>,
    pub delivered: Vec<ItemLine>,
    pub status: PackageStatus,
    pub runner: Option<String>,
    pub reason: Option<FailReason>,
    pub head_hash: String,
    pub steps: u32,
    pub created_at_ms: i64,
    pub status_at_ms: i64,
}

/// A point of a signature stroke, in canvas pixels.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct SignaturePoint {
    pub x: f32,
    pub y: f32,
}

/// One stroke of a signature.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SignatureStroke {
    pub points: Vec<SignaturePoint>,
}

/// What proves a handoff.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Proof {
    /// The recipient's pass as scanned.
    Pass { text: String },
    /// The PIN the household was given.
    Pin { pin: String },
    /// A signature drawn on a `width` × `height` canvas.
    Signature {
        width: u32,
        height: u32,
        strokes: Vec<SignatureStroke>,
    },
    /// A camera photo, JPEG or PNG.
    Photo { bytes: Vec<u8> },
    /// No proof, and why.
    NoProof { reason: String },
}

/// Stored kind of a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProofKind {
    Pass,
    Pin,
    Signature,
    Photo,
    None,
}

/// One move of a package, as asked for.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HandoffInput {
    pub to_status: PackageStatus,
    #[uniffi(default = None)]
    pub from: Option<String>,
    /// The runner, for `OutForDelivery`.
    #[uniffi(default = None)]
    pub to: Option<String>,
    #[uniffi(default = None)]
    pub place: Option<String>,
    /// What went in (packing) or was handed over (partial delivery).
    #[uniffi(default = None)]
    pub items: Option<Vec<ItemLine>>,
    /// Required to deliver.
    #[uniffi(default = None)]
    pub proof: Option<Proof>,
    /// Required for a failure.
    #[uniffi(default = None)]
    pub reason: Option<FailReason>,
    #[uniffi(default = None)]
    pub note: Option<String>,
}

/// One stored move of a package.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Handoff {
    pub id: String,
    pub package_id: String,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ChainProblemKind {
    Missing,
    Altered,
    Reordered,
}

/// One problem of a chain.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainProblem {
    pub seq: u32,
    pub kind: ChainProblemKind,
    pub detail: String,
}

/// A package's chain check.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainReport {
    pub package_id: String,
    pub steps: u32,
    pub intact: bool,
    pub problems: Vec<ChainProblem>,
}

/// How stock moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StockMoveKind {
    Donation,
    Purchase,
    Issue,
    Return,
}

/// One movement of stock (quantity negative for an issue).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StockMove {
    pub id: String,
    pub line: ItemLine,
    pub kind: StockMoveKind,
    pub package_id: Option<String>,
    pub source: Option<String>,
    pub note: Option<String>,
    pub at_ms: i64,
    pub by: String,
}

/// A package on a runner's list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RunnerPackage {
    pub package_id: String,
    pub request_id: String,
    pub household_id: String,
    pub unit: Option<String>,
    pub address: String,
    pub urgency: Urgency,
    pub medicine: bool,
    pub status: PackageStatus,
    pub items: Vec<ItemLine>,
}

/// One building of the walking route.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RunnerStop {
    pub building_id: Option<String>,
    pub building: String,
    pub packages: Vec<RunnerPackage>,
}

/// A runner's list and what they still hold.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RunnerList {
    pub runner: String,
    pub stops: Vec<RunnerStop>,
    pub to_return: Vec<RunnerPackage>,
    pub items_left: Vec<ItemLine>,
}

/// Requests with one status.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RequestStatusCount {
    pub status: RequestStatus,
    pub count: u32,
}

/// Failures with one reason.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FailureCount {
    pub reason: FailReason,
    pub count: u32,
}

/// How long open requests have waited at the day's end.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OpenAge {
    pub under_1_day: u32,
    pub from_1_to_3_days: u32,
    pub over_3_days: u32,
    pub oldest_ms: i64,
}

/// One item's stock on the day; `line.quantity` is the closing balance.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StockDay {
    pub line: ItemLine,
    pub received: i64,
    pub issued: i64,
    pub returned: i64,
}

/// An area's deliveries on a day, and the station's stock.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeliveryLedger {
    pub area_id: String,
    pub day: String,
    pub requests_by_status: Vec<RequestStatusCount>,
    pub open_age: OpenAge,
    pub items_delivered: Vec<ItemLine>,
    pub failures: Vec<FailureCount>,
    pub stock: Vec<StockDay>,
}

/// A stored attachment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Blob {
    pub hash: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

enum_map!(
    RequestStatus,
    del::RequestStatus,
    [Open, InDelivery, PartlyDelivered, Delivered, Failed]
);
enum_map!(
    PackageStatus,
    del::PackageStatus,
    [
        Requested,
        Packed,
        OutForDelivery,
        Delivered,
        PartlyDelivered,
        Failed,
        Returned
    ]
);
enum_map!(
    FailReason,
    del::FailReason,
    [NobodyHome, Refused, WrongAddress]
);
enum_map!(
    ProofKind,
    del::ProofKind,
    [Pass, Pin, Signature, Photo, None]
);
enum_map!(
    ChainProblemKind,
    del::ChainProblemKind,
    [Missing, Altered, Reordered]
);
enum_map!(
    StockMoveKind,
    del::StockMoveKind,
    [Donation, Purchase, Issue, Return]
);

impl From<del::CatalogueItem> for CatalogueItem {
    fn from(c: del::CatalogueItem) -> Self {
        CatalogueItem {
            code: c.code.to_string(),
            unit: c.unit.to_string(),
            needs_name_and_dose: c.needs_name_and_dose,
        }
    }
}

impl From<ItemLine> for del::ItemLine {
    fn from(l: ItemLine) -> Self {
        del::ItemLine {
            item: l.item,
            name: l.name,
            dose: l.dose,
            quantity: l.quantity,
        }
    }
}

impl From<del::ItemLine> for ItemLine {
    fn from(l: del::ItemLine) -> Self {
        ItemLine {
            item: l.item,
            name: l.name,
            dose: l.dose,
            quantity: l.quantity,
        }
    }
}

impl From<RequestSource> for del::RequestSource {
    fn from(s: RequestSource) -> Self {
        match s {
            RequestSource::Need { need_id } => del::RequestSource::Need { need_id },
            RequestSource::Referral { referral_id } => del::RequestSource::Referral { referral_id },
            RequestSource::Hotline { caller } => del::RequestSource::Hotline { caller },
            RequestSource::Manual => del::RequestSource::Manual,
        }
    }
}

impl From<del::RequestSource> for RequestSource {
    fn from(s: del::RequestSource) -> Self {
        match s {
            del::RequestSource::Need { need_id } => RequestSource::Need { need_id },
            del::RequestSource::Referral { referral_id } => RequestSource::Referral { referral_id },
            del::RequestSource::Hotline { caller } => RequestSource::Hotline { caller },
            del::RequestSource::Manual => RequestSource::Manual,
        }
    }
}

impl From<del::Request> for DeliveryRequest {
    fn from(r: del::Request) -> Self {
        DeliveryRequest {
            id: r.id,
            household_id: r.household_id,
            area_id: r.area_id,
            source: r.source.into(),
            items: list(r.items),
            urgency: r.urgency.into(),
            notes: r.notes,
            status: r.status.into(),
            created_at_ms: r.created_at_ms,
            created_by: r.created_by,
            status_at_ms: r.status_at_ms,
        }
    }
}

impl From<del::Package> for Package {
    fn from(p: del::Package) -> Self {
        Package {
            id: p.id,
            request_id: p.request_id,
            household_id: p.household_id,
            area_id: p.area_id,
            building_id: p.building_id,
            building: p.building,
            unit: p.unit,
            address: p.address,
            urgency: p.urgency.into(),
            medicine: p.medicine,
            items: list(p.items),
            delivered: list(p.delivered),
            status: p.status.into(),
            runner: p.runner,
            reason: p.reason.map(Into::into),
            head_hash: p.head_hash,
            steps: p.steps,
            created_at_ms: p.created_at_ms,
            status_at_ms: p.status_at_ms,
        }
    }
}

impl From<Proof> for del::Proof {
    fn from(p: Proof) -> Self {
        match p {
            Proof::Pass { text } => del::Proof::Pass { text },
            Proof::Pin { pin } => del::Proof::Pin { pin },
            Proof::Signature {
                width,
                height,
                strokes,
            } => del::Proof::Signature(del::Signature {
                width,
                height,
                strokes: strokes
                    .into_iter()
                    .map(|s| {
                        s.points
                            .into_iter()
                            .map(|p| del::Point { x: p.x, y: p.y })
                            .collect()
                    })
                    .collect(),
            }),
            Proof::Photo { bytes } => del::Proof::Photo { bytes },
            Proof::NoProof { reason } => del::Proof::None { reason },
        }
    }
}

impl From<HandoffInput> for del::HandoffInput {
    fn from(h: HandoffInput) -> Self {
        del::HandoffInput {
            to_status: h.to_status.into(),
            from: h.from,
            to: h.to,
            place: h.place,
            items: h.items.map(list),
            proof: h.proof.map(Into::into),
            reason: h.reason.map(Into::into),
            note: h.note,
        }
    }
}

impl From<del::Handoff> for Handoff {
    fn from(h: del::Handoff) -> Self {
        Handoff {
            id: h.id,
            package_id: h.package_id,
            seq: h.seq,
            status: h.status.into(),
            from: h.from,
            to: h.to,
            at_ms: h.at_ms,
            place: h.place,
            items: list(h.items),
            proof_kind: h.proof_kind.map(Into::into),
            proof: h.proof,
            reason: h.reason.map(Into::into),
            note: h.note,
            prev_hash: h.prev_hash,
            hash: h.hash,
        }
    }
}

impl From<del::ChainReport> for ChainReport {
    fn from(r: del::ChainReport) -> Self {
        ChainReport {
            intact: r.is_intact(),
            package_id: r.package_id,
            steps: r.steps,
            problems: r
                .problems
                .into_iter()
                .map(|p| ChainProblem {
                    seq: p.seq,
                    kind: p.kind.into(),
                    detail: p.detail,
                })
                .collect(),
        }
    }
}

impl From<del::StockMove> for StockMove {
    fn from(m: del::StockMove) -> Self {
        StockMove {
            id: m.id,
            line: m.line.into(),
            kind: m.kind.into(),
            package_id: m.package_id,
            source: m.source,
            note: m.note,
            at_ms: m.at_ms,
            by: m.by,
        }
    }
}

impl From<del::RunnerPackage> for RunnerPackage {
    fn from(p: del::RunnerPackage) -> Self {
        RunnerPackage {
            package_id: p.package_id,
            request_id: p.request_id,
            household_id: p.household_id,
            unit: p.unit,
            address: p.address,
            urgency: p.urgency.into(),
            medicine: p.medicine,
            status: p.status.into(),
            items: list(p.items),
        }
    }
}

impl From<del::RunnerList> for RunnerList {
    fn from(l: del::RunnerList) -> Self {
        RunnerList {
            runner: l.runner,
            stops: l
                .stops
                .into_iter()
                .map(|s| RunnerStop {
                    building_id: s.building_id,
                    building: s.building,
                    packages: list(s.packages),
                })
                .collect(),
            to_return: list(l.to_return),
            items_left: list(l.items_left),
        }
    }
}

impl From<del::DeliveryLedger> for DeliveryLedger {
    fn from(l: del::DeliveryLedger) -> Self {
        DeliveryLedger {
            area_id: l.area_id,
            day: l.day,
            requests_by_status: l
                .requests_by_status
                .into_iter()
                .map(|c| RequestStatusCount {
                    status: c.status.into(),
                    count: c.count,
                })
                .collect(),
            open_age: OpenAge {
                under_1_day: l.open_age.under_1_day,
                from_1_to_3_days: l.open_age.from_1_to_3_days,
                over_3_days: l.open_age.over_3_days,
                oldest_ms: l.open_age.oldest_ms,
            },
            items_delivered: list(l.items_delivered),
            failures: l
                .failures
                .into_iter()
                .map(|f| FailureCount {
                    reason: f.reason.into(),
                    count: f.count,
                })
                .collect(),
            stock: l
                .stock
                .into_iter()
                .map(|s| StockDay {
                    line: s.line.into(),
                    received: s.received,
                    issued: s.issued,
                    returned: s.returned,
                })
                .collect(),
        }
    }
}

fn list<T, U: From<T>>(v: Vec<T>) -> Vec<U> {
    v.into_iter().map(Into::into).collect()
}

#[uniffi::export]
impl Doorstep {
    /// The items a station hands out.
    pub fn item_catalogue(&self) -> Vec<CatalogueItem> {
        list(self.core().item_catalogue())
    }

    /// Makes a supply request; returns it with the delivery PIN to give the household.
    pub fn create_request(&self, input: NewRequest) -> Result<CreatedRequest> {
        call(|| {
            self.core().create_request(&del::NewRequest {
                household_id: input.household_id,
                source: input.source.into(),
                items: list(input.items),
                urgency: input.urgency.into(),
                notes: input.notes,
            })
        })
        .map(|c| CreatedRequest {
            request: c.request.into(),
            pin: c.pin,
        })
    }

    /// A request by id.
    pub fn delivery_request(&self, id: String) -> Result<DeliveryRequest> {
        call(|| self.core().request(&id)).map(Into::into)
    }

    /// A household's requests, newest first.
    pub fn requests_of(&self, household_id: String) -> Result<Vec<DeliveryRequest>> {
        call(|| self.core().requests_of(&household_id)).map(list)
    }

    /// Requests not yet delivered in an area and below, most urgent first.
    pub fn open_requests(&self, area_id: String) -> Result<Vec<DeliveryRequest>> {
        call(|| self.core().open_requests(&area_id)).map(list)
    }

    /// Plans a package for a request: the given items, or (with `None`) all not yet
    /// covered.
    pub fn new_package(&self, request_id: String, items: Option<Vec<ItemLine>>) -> Result<Package> {
        let items: Option<Vec<del::ItemLine>> = items.map(list);
        call(|| self.core().new_package(&request_id, items.as_deref())).map(Into::into)
    }

    /// A package by id.
    pub fn package(&self, id: String) -> Result<Package> {
        call(|| self.core().package(&id)).map(Into::into)
    }

    /// A request's packages, oldest first.
    pub fn packages_of(&self, request_id: String) -> Result<Vec<Package>> {
        call(|| self.core().packages_of(&request_id)).map(list)
    }

    /// Moves a package one step with its proof, all or nothing.
    pub fn handoff(&self, package_id: String, input: HandoffInput) -> Result<Handoff> {
        call(|| self.core().handoff(&package_id, &input.into())).map(Into::into)
    }

    /// A package's handoffs in order.
    pub fn handoffs(&self, package_id: String) -> Result<Vec<Handoff>> {
        call(|| self.core().handoffs(&package_id)).map(list)
    }

    /// Checks a package's handoff chain.
    pub fn verify_package(&self, package_id: String) -> Result<ChainReport> {
        call(|| self.core().verify_package(&package_id)).map(Into::into)
    }

    /// Records goods received at the station (`Donation` or `Purchase`).
    pub fn receive_stock(
        &self,
        line: ItemLine,
        kind: StockMoveKind,
        source: Option<String>,
        note: Option<String>,
    ) -> Result<StockMove> {
        call(|| {
            self.core().receive_stock(
                &line.into(),
                kind.into(),
                source.as_deref(),
                note.as_deref(),
            )
        })
        .map(Into::into)
    }

    /// Issues goods outside a package, saying why.
    pub fn issue_stock(&self, line: ItemLine, note: String) -> Result<StockMove> {
        call(|| self.core().issue_stock(&line.into(), &note)).map(Into::into)
    }

    /// Every item's balance at the station (as item lines).
    pub fn stock(&self) -> Result<Vec<ItemLine>> {
        call(|| self.core().stock()).map(|b| b.into_iter().map(|b| b.line.into()).collect())
    }

    /// Every movement of stock, or of one item, oldest first.
    pub fn stock_ledger(&self, item: Option<ItemLine>) -> Result<Vec<StockMove>> {
        let item: Option<del::ItemLine> = item.map(Into::into);
        call(|| self.core().stock_ledger(item.as_ref())).map(list)
    }

    /// A runner's walking list and what they still hold.
    pub fn runner_list(&self, runner: String) -> Result<RunnerList> {
        call(|| self.core().runner_list(&runner)).map(Into::into)
    }

    /// One area's deliveries on a day (`YYYY-MM-DD` at `utc_offset_minutes`, China: 480).
    pub fn delivery_ledger(
        &self,
        area_id: String,
        day: String,
        utc_offset_minutes: i32,
    ) -> Result<DeliveryLedger> {
        call(|| {
            self.core()
                .delivery_ledger(&area_id, &day, utc_offset_minutes)
        })
        .map(Into::into)
    }

    /// A stored attachment by its SHA-256 (hex).
    pub fn blob(&self, hash: String) -> Result<Blob> {
        call(|| self.core().blob(&hash)).map(|b| Blob {
            hash: b.hash,
            mime: b.mime,
            bytes: b.bytes,
        })
    }

    /// Hashes of attachments not yet uploaded, oldest first.
    pub fn pending_blobs(&self, limit: u32) -> Result<Vec<String>> {
        call(|| self.core().pending_blobs(limit))
    }
}
