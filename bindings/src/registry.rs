//! Registry calls: areas, households, residents, import and search.

use doorstep_core::registry::*;

use std::sync::Arc;

use crate::cancel::{flag, CancelHandle};
use crate::{call, Doorstep, Result};

#[uniffi::export]
impl Doorstep {
    /// Finds or creates the areas along a path ("区/街道/社区/网格") and returns the last.
    /// A write.
    pub fn ensure_area(&self, path: String) -> Result<Area> {
        call(|| self.core().ensure_area(&path))
    }

    /// Every area, by path. A read.
    pub fn areas(&self) -> Result<Vec<Area>> {
        call(|| self.core().areas())
    }

    /// Finds or creates a building in an area. A write.
    pub fn create_building(&self, area_id: String, name: String) -> Result<Building> {
        call(|| self.core().create_building(&area_id, &name))
    }

    /// Creates a household. A write.
    pub fn create_household(&self, input: NewHousehold) -> Result<Household> {
        call(|| self.core().create_household(&input))
    }

    /// A household by id. A read.
    pub fn household(&self, id: String) -> Result<Household> {
        call(|| self.core().household(&id))
    }

    /// Creates a resident in an existing household. A write.
    pub fn create_resident(&self, input: NewResident) -> Result<Resident> {
        call(|| self.core().create_resident(&input))
    }

    /// A resident by id. A read.
    pub fn get_resident(&self, id: String) -> Result<Resident> {
        call(|| self.core().resident(&id))
    }

    /// The residents of a household. A read.
    pub fn residents_of(&self, household_id: String) -> Result<Vec<Resident>> {
        call(|| self.core().residents_of(&household_id))
    }

    /// Changes the given fields of a resident. A write.
    pub fn update_resident(&self, id: String, patch: ResidentPatch) -> Result<Resident> {
        call(|| self.core().update_resident(&id, &patch))
    }

    /// Moves a resident to another household, keeping the move as history. A write.
    pub fn move_resident(&self, id: String, household_id: String) -> Result<Resident> {
        call(|| self.core().move_resident(&id, &household_id))
    }

    /// A resident's moves, oldest first. A read.
    pub fn resident_moves(&self, id: String) -> Result<Vec<ResidentMove>> {
        call(|| self.core().resident_moves(&id))
    }

    /// Removes a resident from lists and search (kept in the change log). A write.
    pub fn delete_resident(&self, id: String) -> Result<()> {
        call(|| self.core().delete_resident(&id))
    }

    /// Imports households and residents from a CSV file's bytes (UTF-8 or GBK), all or
    /// nothing. A long write: about 2 s for 100,000 residents, during which other writes
    /// wait (reads do not). A `cancel` cancelled before it ends makes it fail with
    /// `Cancelled`, nothing stored.
    #[uniffi::method(default(cancel = None))]
    pub fn import_csv(
        &self,
        data: Vec<u8>,
        cancel: Option<Arc<CancelHandle>>,
    ) -> Result<ImportReport> {
        let cancel = flag(cancel.as_ref());
        call(|| self.core().import_csv_with(&data, &cancel))
    }

    /// Searches residents by name, pinyin, initials, phone or address. A read; the
    /// first search after opening builds the index (about a second for 100,000
    /// residents).
    pub fn search(&self, query: SearchQuery) -> Result<Vec<SearchHit>> {
        call(|| self.core().search(&query))
    }
}
