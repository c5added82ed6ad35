//! Deliveries on the `Doorstep` object: every call is one transaction through
//! `Doorstep::write` or one read through `Doorstep::read`.

use super::*;
use crate::Doorstep;

impl Doorstep {
    /// The items a station hands out.
    pub fn item_catalogue(&self) -> Vec<CatalogueItem> {
        CATALOGUE.to_vec()
    }

    /// Makes a supply request; returns it with the delivery PIN to give the household.
    pub fn create_request(&self, input: &NewRequest) -> Result<CreatedRequest> {
        self.write(|w| create_request(w, input))
    }

    /// A request by id.
    pub fn request(&self, id: &str) -> Result<DeliveryRequest> {
        self.read(|c| store::request_or_404(c, id))
    }

    /// A household's requests, newest first.
    pub fn requests_of(&self, household_id: &str) -> Result<Vec<DeliveryRequest>> {
        self.read(|c| {
            registry::store::household_or_404(c, household_id)?;
            store::requests_of(c, household_id)
        })
    }

    /// Requests not yet delivered in an area and below, most urgent and oldest first.
    pub fn open_requests(&self, area_id: &str) -> Result<Vec<DeliveryRequest>> {
        self.read(|c| {
            let areas = visits::store::area_ids_under(c, &[area_id.to_string()])?;
            store::open_requests(c, &areas)
        })
    }

    /// Plans a package for a request: the given items, or all not yet covered.
    pub fn new_package(&self, request_id: &str, items: Option<&[ItemLine]>) -> Result<Package> {
        self.write(|w| new_package(w, request_id, items))
    }

    /// A package by id.
    pub fn package(&self, id: &str) -> Result<Package> {
        self.read(|c| store::package_or_404(c, id))
    }

    /// A request's packages, oldest first.
    pub fn packages_of(&self, request_id: &str) -> Result<Vec<Package>> {
        self.read(|c| {
            store::request_or_404(c, request_id)?;
            store::packages_of(c, request_id)
        })
    }

    /// Moves a package one step with its proof, all or nothing (a wrong PIN's try is
    /// still counted).
    pub fn handoff(&self, package_id: &str, input: &HandoffInput) -> Result<Handoff> {
        self.write(|w| handoff(w, package_id, input))?
    }

    /// Wrong PIN tries a request's delivery PIN still takes before it is locked (0: locked;
    /// another proof is needed). A runner's screen shows it after a wrong PIN.
    pub fn pin_tries_left(&self, request_id: &str) -> Result<u32> {
        self.read(|c| {
            store::request_or_404(c, request_id)?;
            Ok(MAX_PIN_FAILURES.saturating_sub(store::pin_failures(c, request_id)?))
        })
    }

    /// A package's handoffs in order.
    pub fn handoffs(&self, package_id: &str) -> Result<Vec<Handoff>> {
        self.read(|c| {
            store::package_or_404(c, package_id)?;
            store::handoffs(c, package_id)
        })
    }

    /// Checks a package's handoff chain; reports missing, altered or reordered steps.
    pub fn verify_package(&self, package_id: &str) -> Result<ChainReport> {
        self.read(|c| verify_package(c, package_id))
    }

    /// Records goods received at the station.
    pub fn receive_stock(
        &self,
        line: &ItemLine,
        kind: StockMoveKind,
        source: Option<&str>,
        note: Option<&str>,
    ) -> Result<StockMove> {
        self.write(|w| receive_stock(w, line, kind, source, note))
    }

    /// Issues goods from the station outside a package, saying why.
    pub fn issue_stock(&self, line: &ItemLine, note: &str) -> Result<StockMove> {
        self.write(|w| issue_stock(w, line, note))
    }

    /// Every item's balance at the station.
    pub fn stock(&self) -> Result<Vec<StockBalance>> {
        self.read(store::balances)
    }

    /// Every movement of stock, or of one item, oldest first.
    pub fn stock_ledger(&self, item: Option<&ItemLine>) -> Result<Vec<StockMove>> {
        let key = item.map(|l| l.key());
        self.read(|c| store::stock_moves(c, key.as_deref()))
    }

    /// A runner's walking list and what they still hold.
    pub fn runner_list(&self, runner: &str) -> Result<RunnerList> {
        self.read(|c| runner_list(c, runner))
    }

    /// One area's deliveries on a day (`YYYY-MM-DD` at `utc_offset_minutes`, China: 480).
    pub fn delivery_ledger(
        &self,
        area_id: &str,
        day: &str,
        utc_offset_minutes: i32,
    ) -> Result<DeliveryLedger> {
        self.read(|c| ledger(c, area_id, day, utc_offset_minutes))
    }

    /// A stored attachment by its SHA-256 (hex).
    pub fn blob(&self, hash: &str) -> Result<Blob> {
        self.read(|c| store::blob(c, hash.trim())?.ok_or_else(|| Error::not_found("blob", hash)))
    }

    /// Hashes of attachments not yet uploaded, oldest first.
    pub fn pending_blobs(&self, limit: u32) -> Result<Vec<String>> {
        self.read(|c| store::pending_blobs(c, limit))
    }

    /// Notes that the server holds a blob; false when there is no such blob.
    pub fn mark_blob_uploaded(&self, hash: &str) -> Result<bool> {
        let now = self.clock.now_ms();
        self.with_writer(|c| store::mark_uploaded(c, hash, now))
    }
}
