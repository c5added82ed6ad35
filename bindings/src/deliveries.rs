//! Deliveries calls: requests, stock, packages, handoffs with proof, the hash chain
//! check, the runner's list and the ledger.

use doorstep_core::deliveries::*;

use crate::{call, Doorstep, Result};

/// An entry of the item catalogue.
// Core's catalogue is a constant table of `&'static str`, which cannot cross as it is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CatalogueItem {
    /// Code used in item lines (`"rice"`).
    pub code: String,
    /// What one of a line's quantity counts (`"kg"`, `"box"`).
    pub unit: String,
    /// Medicine lines must name the drug and its dose.
    pub needs_name_and_dose: bool,
}

#[uniffi::export]
impl Doorstep {
    /// The items a station hands out. Does not block.
    pub fn item_catalogue(&self) -> Vec<CatalogueItem> {
        self.core()
            .item_catalogue()
            .into_iter()
            .map(|c| CatalogueItem {
                code: c.code.to_string(),
                unit: c.unit.to_string(),
                needs_name_and_dose: c.needs_name_and_dose,
            })
            .collect()
    }

    /// Makes a supply request; returns it with the delivery PIN to give the household.
    /// A write.
    pub fn create_request(&self, input: NewRequest) -> Result<CreatedRequest> {
        call(|| self.core().create_request(&input))
    }

    /// A request by id. A read.
    pub fn delivery_request(&self, id: String) -> Result<DeliveryRequest> {
        call(|| self.core().request(&id))
    }

    /// A household's requests, newest first. A read.
    pub fn requests_of(&self, household_id: String) -> Result<Vec<DeliveryRequest>> {
        call(|| self.core().requests_of(&household_id))
    }

    /// Requests not yet delivered in an area and below, most urgent first. A read.
    pub fn open_requests(&self, area_id: String) -> Result<Vec<DeliveryRequest>> {
        call(|| self.core().open_requests(&area_id))
    }

    /// Plans a package for a request: the given items, or (with `None`) all not yet
    /// covered. A write.
    pub fn new_package(&self, request_id: String, items: Option<Vec<ItemLine>>) -> Result<Package> {
        call(|| self.core().new_package(&request_id, items.as_deref()))
    }

    /// A package by id. A read.
    pub fn package(&self, id: String) -> Result<Package> {
        call(|| self.core().package(&id))
    }

    /// A request's packages, oldest first. A read.
    pub fn packages_of(&self, request_id: String) -> Result<Vec<Package>> {
        call(|| self.core().packages_of(&request_id))
    }

    /// Moves a package one step with its proof, all or nothing. A write; a photo or
    /// signature proof is drawn or downscaled first, tens of milliseconds.
    pub fn handoff(&self, package_id: String, input: HandoffInput) -> Result<Handoff> {
        call(|| self.core().handoff(&package_id, &input))
    }

    /// Wrong PIN tries the request's delivery PIN still takes before it is locked (0:
    /// locked, another proof is needed). A read.
    pub fn pin_tries_left(&self, request_id: String) -> Result<u32> {
        call(|| self.core().pin_tries_left(&request_id))
    }

    /// A package's handoffs in order. A read.
    pub fn handoffs(&self, package_id: String) -> Result<Vec<Handoff>> {
        call(|| self.core().handoffs(&package_id))
    }

    /// Checks a package's handoff chain. A read.
    pub fn verify_package(&self, package_id: String) -> Result<ChainReport> {
        call(|| self.core().verify_package(&package_id))
    }

    /// Records goods received at the station (`Donation` or `Purchase`). A write.
    pub fn receive_stock(
        &self,
        line: ItemLine,
        kind: StockMoveKind,
        source: Option<String>,
        note: Option<String>,
    ) -> Result<StockMove> {
        call(|| {
            self.core()
                .receive_stock(&line, kind, source.as_deref(), note.as_deref())
        })
    }

    /// Issues goods outside a package, saying why. A write.
    pub fn issue_stock(&self, line: ItemLine, note: String) -> Result<StockMove> {
        call(|| self.core().issue_stock(&line, &note))
    }

    /// Every item's balance at the station (as item lines). A read.
    pub fn stock(&self) -> Result<Vec<ItemLine>> {
        call(|| self.core().stock()).map(|b| b.into_iter().map(|b| b.line).collect())
    }

    /// Every movement of stock, or of one item, oldest first. A read.
    pub fn stock_ledger(&self, item: Option<ItemLine>) -> Result<Vec<StockMove>> {
        call(|| self.core().stock_ledger(item.as_ref()))
    }

    /// A runner's walking list and what they still hold. A read.
    pub fn runner_list(&self, runner: String) -> Result<RunnerList> {
        call(|| self.core().runner_list(&runner))
    }

    /// One area's deliveries on a day (`YYYY-MM-DD` at `utc_offset_minutes`, China: 480).
    /// A read.
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
    }

    /// A stored attachment by its SHA-256 (hex). A read.
    pub fn blob(&self, hash: String) -> Result<Blob> {
        call(|| self.core().blob(&hash))
    }

    /// Hashes of attachments not yet uploaded, oldest first. A read.
    pub fn pending_blobs(&self, limit: u32) -> Result<Vec<String>> {
        call(|| self.core().pending_blobs(limit))
    }
}
