//! doorstep-core: the logic and data of Doorstep's phone apps. One `Doorstep` value owns
//! the encrypted store; each domain (registry, and those to come) is a module with its
//! own types and SQL, meeting the others only in the store and the change log.

pub mod clock;
pub mod error;
pub mod log;
pub mod registry;
pub mod sample;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
use log::{Applied, Hlc, Op, Schema, Writer};
use registry::search::SearchIndex;
use registry::*;

/// Every replicated table of the store, by domain.
pub static SCHEMA: Schema = Schema(&[registry::DEFS]);

/// Writes touching more residents than this rebuild the search index lazily instead of
/// patching it.
const REFRESH_LIMIT: usize = 2_000;

/// Page cache while importing a sheet, in MiB.
const IMPORT_CACHE_MIB: i64 = 96;

/// The phone's Doorstep: an open encrypted store and the operations on it. Cheap to
/// share between threads; calls are serialised on the one connection.
pub struct Doorstep {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
    path: PathBuf,
}

struct State {
    conn: Connection,
    hlc: Hlc,
    device: String,
    user: String,
    search: Option<SearchIndex>,
}

impl Doorstep {
    /// Opens (or creates) the store at `path` with its 32-byte key.
    pub fn open(path: impl AsRef<Path>, key: &[u8]) -> Result<Doorstep> {
        Doorstep::open_with_clock(path, key, Arc::new(SystemClock))
    }

    /// Opens the store with a given clock (tests use a `ManualClock`).
    pub fn open_with_clock(
        path: impl AsRef<Path>,
        key: &[u8],
        clock: Arc<dyn Clock>,
    ) -> Result<Doorstep> {
        let path = path.as_ref().to_path_buf();
        let conn = store::open(&path, key)?;
        let device = match store::meta_get(&conn, "device_id")? {
            Some(d) => d,
            None => {
                let d = clock::new_id();
                store::meta_set(&conn, "device_id", &d)?;
                d
            }
        };
        let hlc = store::meta_get(&conn, "hlc")?
            .and_then(|s| s.parse::<i64>().ok())
            .map(Hlc::from_i64)
            .unwrap_or_default();
        let user = store::meta_get(&conn, "user")?.unwrap_or_default();
        Ok(Doorstep {
            state: Mutex::new(State {
                conn,
                hlc,
                device,
                user,
                search: None,
            }),
            clock,
            path,
        })
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This device's id, made at first open and kept in the store.
    pub fn device_id(&self) -> String {
        self.lock().device.clone()
    }

    /// The user ops are written as (set at enrolment).
    pub fn set_user(&self, user: &str) -> Result<()> {
        let mut st = self.lock();
        store::meta_set(&st.conn, "user", user)?;
        st.user = user.to_string();
        Ok(())
    }

    /// The last HLC stamp this device issued or saw.
    pub fn clock_stamp(&self) -> Hlc {
        self.lock().hlc
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves SQLite consistent (the transaction rolls
        // back on drop), so the state is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in one transaction with a change-log writer; commits if it succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&mut Writer) -> Result<T>) -> Result<T> {
        let mut guard = self.lock();
        let st = &mut *guard;
        let now = self.clock.now_ms();
        let mut hlc = st.hlc;
        let tx = st.conn.unchecked_transaction()?;
        let (out, touched) = {
            let mut w = Writer::new(&tx, SCHEMA, &mut hlc, now, &st.device, &st.user);
            let out = f(&mut w)?;
            (out, w.into_touched())
        };
        store::meta_set(&tx, "hlc", &hlc.as_i64().to_string())?;
        tx.commit()?;
        st.hlc = hlc;
        st.refresh_search(&touched);
        Ok(out)
    }

    /// Runs `f` with the connection, for reads.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&self.lock().conn)
    }

    /// Applies ops received from elsewhere, in one transaction; duplicates change nothing.
    /// A bad op refuses the whole batch and nothing of it is stored.
    pub fn apply_remote(&self, ops: &[Op]) -> Result<Vec<Applied>> {
        let mut guard = self.lock();
        let st = &mut *guard;
        let tx = st.conn.unchecked_transaction()?;
        let mut hlc = st.hlc;
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            out.push(log::apply(&tx, SCHEMA, op)?);
            hlc = hlc.observe(op.hlc);
        }
        store::meta_set(&tx, "hlc", &hlc.as_i64().to_string())?;
        tx.commit()?;
        st.hlc = hlc;
        let touched: Vec<(&'static str, String)> = ops
            .iter()
            .filter_map(|o| SCHEMA.get(&o.entity).map(|d| (d.name, o.entity_id.clone())))
            .collect();
        st.refresh_search(&touched);
        Ok(out)
    }

    /// Local ops not yet acknowledged by the server, oldest first.
    pub fn pending_ops(&self, limit: u32) -> Result<Vec<Op>> {
        log::pending(&self.lock().conn, limit)
    }

    /// How many local ops wait for the server.
    pub fn pending_op_count(&self) -> Result<u64> {
        log::pending_count(&self.lock().conn)
    }

    /// Checks every page of the store; returns the problems found (empty when sound).
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        store::check_integrity(&self.lock().conn)
    }

    // Registry.

    /// Finds or creates the areas along a path such as "武昌区/中南路街道/丽岛社区/第3网格".
    pub fn ensure_area(&self, path: &str) -> Result<Area> {
        self.write(|w| ensure_area(w, path))
    }

    /// Every area, by path.
    pub fn areas(&self) -> Result<Vec<Area>> {
        self.read(store_areas)
    }

    /// Finds or creates a building in an area.
    pub fn create_building(&self, area_id: &str, name: &str) -> Result<Building> {
        self.write(|w| ensure_building(w, area_id, name))
    }

    /// Creates a household.
    pub fn create_household(&self, input: &NewHousehold) -> Result<Household> {
        self.write(|w| create_household(w, input, None))
    }

    /// A household by id.
    pub fn household(&self, id: &str) -> Result<Household> {
        self.read(|c| registry::store::household_or_404(c, id))
    }

    /// Creates a resident in an existing household.
    pub fn create_resident(&self, input: &NewResident) -> Result<Resident> {
        self.write(|w| create_resident(w, input, None))
    }

    /// A resident by id.
    pub fn resident(&self, id: &str) -> Result<Resident> {
        self.read(|c| registry::store::resident_or_404(c, id))
    }

    /// The live residents of a household.
    pub fn residents_of(&self, household_id: &str) -> Result<Vec<Resident>> {
        self.read(|c| {
            registry::store::household_or_404(c, household_id)?;
            registry::store::residents_of(c, household_id)
        })
    }

    /// Changes some fields of a resident.
    pub fn update_resident(&self, id: &str, patch: &ResidentPatch) -> Result<Resident> {
        self.write(|w| update_resident(w, id, patch))
    }

    /// Moves a resident to another household, keeping the move as history.
    pub fn move_resident(&self, id: &str, household_id: &str) -> Result<Resident> {
        self.write(|w| move_resident(w, id, household_id))
    }

    /// A resident's moves, oldest first.
    pub fn resident_moves(&self, id: &str) -> Result<Vec<ResidentMove>> {
        self.read(|c| registry::store::moves(c, id))
    }

    /// Tombstones a resident.
    pub fn delete_resident(&self, id: &str) -> Result<()> {
        self.write(|w| delete_resident(w, id))
    }

    /// Imports households and residents from a CSV file's bytes.
    pub fn import_csv(&self, bytes: &[u8]) -> Result<ImportReport> {
        // A large sheet touches tens of MB of pages in one transaction; a cache that holds
        // them keeps pages from spilling to the WAL and being encrypted twice.
        self.read(|c| store::set_cache_mib(c, IMPORT_CACHE_MIB))?;
        let report = self.write(|w| import::import_csv(w, bytes));
        self.read(|c| store::set_cache_mib(c, store::CACHE_MIB))?;
        report
    }

    /// Searches residents by name, pinyin, initials, phone or address.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        if query.limit > search::MAX_LIMIT {
            return Err(Error::invalid(format!(
                "limit {} is more than {}",
                query.limit,
                search::MAX_LIMIT
            )));
        }
        let mut guard = self.lock();
        let st = &mut *guard;
        if st.search.is_none() {
            st.search = Some(SearchIndex::build(&st.conn)?);
        }
        let index = st.search.as_ref().expect("the index was just built");
        search::search(&st.conn, index, query)
    }
}

fn store_areas(c: &Connection) -> Result<Vec<Area>> {
    registry::store::areas(c)
}

impl State {
    /// Brings the search index up to date after a commit. The data is safe either way,
    /// so a failure here only drops the index, which the next search rebuilds.
    fn refresh_search(&mut self, touched: &[(&'static str, String)]) {
        let Some(index) = self.search.as_mut() else {
            return;
        };
        if touched.len() > REFRESH_LIMIT
            || touched
                .iter()
                .any(|(e, _)| *e == AREA.name || *e == BUILDING.name)
        {
            self.search = None;
            return;
        }
        let households: Vec<String> = touched
            .iter()
            .filter(|(e, _)| *e == HOUSEHOLD.name)
            .map(|(_, id)| id.clone())
            .collect();
        let mut ids: Vec<String> = touched
            .iter()
            .filter(|(e, _)| *e == RESIDENT.name)
            .map(|(_, id)| id.clone())
            .collect();
        let result = registry::store::resident_ids_of(&self.conn, &households).and_then(|more| {
            ids.extend(more);
            ids.sort();
            ids.dedup();
            index.refresh(&self.conn, &ids)
        });
        if result.is_err() {
            self.search = None;
        }
    }
}
