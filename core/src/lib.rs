//! doorstep-core: the logic and data of Doorstep's phone apps. One `Doorstep` value owns
//! the encrypted store; each domain (registry, and those to come) is a module with its
//! own types and SQL, meeting the others only in the store and the change log.

pub mod checkin;
pub mod clock;
pub mod deliveries;
pub mod error;
pub mod hex;
pub mod log;
pub mod registry;
pub mod sample;
pub mod store;
pub mod sync;
pub mod visits;

#[cfg(feature = "ffi")]
uniffi::setup_scaffolding!();

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
use log::{Applied, Hlc, Op, Schema, Writer};
use registry::search::SearchIndex;
use registry::*;

/// Every replicated table of the store, by domain.
pub static SCHEMA: Schema = Schema(&[
    registry::DEFS,
    visits::DEFS,
    checkin::DEFS,
    deliveries::DEFS,
]);

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
    // Kept for its drop, after `state`: the writer closes first, which ends the thread, and the
    // checkpointer's connection, closed last, folds the log into the database.
    _checkpointer: Option<store::Checkpointer>,
}

struct State {
    conn: Connection,
    hlc: Hlc,
    device: String,
    user: String,
    search: Option<SearchIndex>,
    sequences: log::Sequences,
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
        let mut conn = store::open(&path, key)?;
        let (device, hlc, user) =
            Doorstep::first_reads(&conn).map_err(|e| store::opening_error(&path, e))?;
        // Without the thread (none can start), SQLite's own checkpoints stay on.
        let checkpointer = store::Checkpointer::start(&path, key, &mut conn).ok();
        Ok(Doorstep {
            state: Mutex::new(State {
                conn,
                hlc,
                device,
                user,
                search: None,
                sequences: log::Sequences::new(),
            }),
            clock,
            path,
            _checkpointer: checkpointer,
        })
    }

    /// This device's id (made at first open), its clock and its user, from the store.
    fn first_reads(conn: &Connection) -> Result<(String, Hlc, String)> {
        let device = match store::meta_get(conn, "device_id")? {
            Some(d) => d,
            None => {
                let d = clock::new_id();
                store::meta_set(conn, "device_id", &d)?;
                d
            }
        };
        // A local write does not store the clock: its newest op carries it. Remote batches
        // store what they observed.
        let stored = store::meta_get(conn, "hlc")?
            .and_then(|s| s.parse::<i64>().ok())
            .map(Hlc::from_i64)
            .unwrap_or_default();
        let hlc = stored.max(log::newest_hlc(conn)?.unwrap_or_default());
        let user = store::meta_get(conn, "user")?.unwrap_or_default();
        Ok((device, hlc, user))
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
        let tx = store::immediate(&st.conn)?;
        let (out, written) = {
            let mut w = Writer::new(
                &tx,
                SCHEMA,
                &mut hlc,
                now,
                &st.device,
                &st.user,
                &st.sequences,
            );
            let out = f(&mut w)?;
            (out, w.finish())
        };
        tx.commit()?;
        st.hlc = hlc;
        st.sequences.extend(written.counted);
        st.refresh_search(&written.touched);
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
        let tx = store::immediate(&st.conn)?;
        let mut hlc = st.hlc;
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            out.push(log::apply_watching(&tx, SCHEMA, op, &st.device, None)?);
            hlc = hlc.observe(op.hlc);
        }
        log::settle(&tx)?;
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
        // The cache goes back to its size before, which a station sets larger than a
        // phone's.
        let before = self.read(store::cache_mib)?;
        self.read(|c| store::set_cache_mib(c, IMPORT_CACHE_MIB.max(before)))?;
        let report = self.write(|w| import::import_csv(w, bytes));
        self.read(|c| store::set_cache_mib(c, before))?;
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
        if let Some(tag) = &query.tag {
            tag.checked()?;
        }
        let mut guard = self.lock();
        let st = &mut *guard;
        if st.search.is_none() {
            st.search = Some(SearchIndex::build(&st.conn)?);
        }
        let index = st.search.as_ref().expect("the index was just built");
        search::search(&st.conn, index, query)
    }

    // Visits.

    /// Adds a checklist template version (JSON) pushed by a station admin.
    pub fn add_template(&self, json: &str) -> Result<visits::Template> {
        self.write(|w| visits::add_template(w, json))
    }

    /// The newest version of every template, built-in and added.
    pub fn templates(&self) -> Result<Vec<visits::Template>> {
        self.read(visits::templates)
    }

    /// A template by id, at a version or its newest.
    pub fn template(&self, id: &str, version: Option<u32>) -> Result<visits::Template> {
        self.read(|c| visits::template(c, id, version))
    }

    /// The templates that fit a resident or household, best first.
    pub fn templates_for(&self, subject: &visits::Subject) -> Result<Vec<visits::Template>> {
        self.read(|c| visits::templates_for(c, subject))
    }

    /// Starts a visit and returns the questions to show.
    pub fn start_visit(&self, input: &visits::NewVisit) -> Result<visits::VisitState> {
        self.write(|w| visits::start_visit(w, input))
    }

    /// Answers (or with `None` clears) one question of a visit being filled in.
    pub fn answer(
        &self,
        visit_id: &str,
        question_id: &str,
        value: Option<visits::Answer>,
    ) -> Result<visits::VisitState> {
        self.write(|w| visits::answer(w, visit_id, &[(question_id.to_string(), value)]))
    }

    /// Answers several questions at once, all or nothing.
    pub fn answer_all(
        &self,
        visit_id: &str,
        answers: &[(String, Option<visits::Answer>)],
    ) -> Result<visits::VisitState> {
        self.write(|w| visits::answer(w, visit_id, answers))
    }

    /// A visit being filled in: visible questions, answers, what is missing.
    pub fn visit_state(&self, visit_id: &str) -> Result<visits::VisitState> {
        self.read(|c| visits::visit_state(c, visit_id))
    }

    /// Visits being filled in on this phone, to resume after a restart.
    pub fn visit_drafts(&self) -> Result<Vec<visits::VisitState>> {
        self.read(visits::drafts)
    }

    /// Throws away a visit being filled in.
    pub fn discard_visit(&self, visit_id: &str) -> Result<()> {
        self.write(|w| visits::discard_visit(w, visit_id))
    }

    /// Finishes a visit with its outcome; raises mapped needs and the follow-up.
    pub fn finish_visit(
        &self,
        visit_id: &str,
        finish: &visits::FinishVisit,
    ) -> Result<visits::FinishedVisit> {
        self.write(|w| visits::finish_visit(w, visit_id, finish))
    }

    /// Records a whole visit at once (a paper form typed in later).
    pub fn record_visit(&self, input: &visits::RecordVisit) -> Result<visits::FinishedVisit> {
        self.write(|w| visits::record_visit(w, input))
    }

    /// Corrects a finished visit with a new visit that supersedes it.
    pub fn correct_visit(
        &self,
        visit_id: &str,
        correction: &visits::VisitCorrection,
    ) -> Result<visits::FinishedVisit> {
        self.write(|w| visits::correct_visit(w, visit_id, correction))
    }

    /// A finished visit by id.
    pub fn visit(&self, id: &str) -> Result<visits::Visit> {
        self.read(|c| visits::visit(c, id))
    }

    /// Every finished visit of a resident or household, corrections included.
    pub fn visit_history(&self, subject: &visits::Subject) -> Result<Vec<visits::Visit>> {
        self.read(|c| visits::visit_history(c, subject))
    }

    /// Raises a need by hand.
    pub fn raise_need(&self, input: &visits::NewNeed) -> Result<visits::Need> {
        self.write(|w| visits::raise_need(w, input))
    }

    /// Moves a need one step (open → in progress → resolved / cannot resolve).
    pub fn set_need_status(
        &self,
        need_id: &str,
        status: visits::NeedStatus,
        note: Option<&str>,
    ) -> Result<visits::Need> {
        self.write(|w| visits::set_need_status(w, need_id, status, note))
    }

    /// A need by id.
    pub fn need(&self, id: &str) -> Result<visits::Need> {
        self.read(|c| visits::need(c, id))
    }

    /// The needs of a resident or household, newest first.
    pub fn needs_of(&self, subject: &visits::Subject) -> Result<Vec<visits::Need>> {
        self.read(|c| visits::needs_of(c, subject))
    }

    /// Open and in-progress needs of an area and below, most urgent first.
    pub fn open_needs(&self, area_id: &str) -> Result<Vec<visits::Need>> {
        self.read(|c| visits::open_needs(c, area_id))
    }

    /// A need's status changes, oldest first.
    pub fn need_history(&self, need_id: &str) -> Result<Vec<visits::NeedUpdate>> {
        self.read(|c| visits::need_history(c, need_id))
    }

    /// Refers a need to another station or service.
    pub fn refer_need(
        &self,
        need_id: &str,
        input: &visits::NewReferral,
    ) -> Result<visits::Referral> {
        self.write(|w| visits::refer_need(w, need_id, input))
    }

    /// Moves a referral one step (sent → accepted → done, or declined).
    pub fn set_referral_status(
        &self,
        referral_id: &str,
        status: visits::ReferralStatus,
        note: Option<&str>,
    ) -> Result<visits::Referral> {
        self.write(|w| visits::set_referral_status(w, referral_id, status, note))
    }

    /// A referral by id.
    pub fn referral(&self, id: &str) -> Result<visits::Referral> {
        self.read(|c| visits::referral(c, id))
    }

    /// Referrals by target, status and area.
    pub fn referrals(&self, query: &visits::ReferralQuery) -> Result<Vec<visits::Referral>> {
        self.read(|c| visits::referrals(c, query))
    }

    /// A referral's status changes, oldest first.
    pub fn referral_history(&self, referral_id: &str) -> Result<Vec<visits::ReferralUpdate>> {
        self.read(|c| visits::referral_history(c, referral_id))
    }

    /// Plans a visit for a resident or household.
    pub fn schedule_follow_up(&self, input: &visits::NewFollowUp) -> Result<visits::FollowUp> {
        self.write(|w| visits::schedule_follow_up(w, input))
    }

    /// Cancels a planned visit.
    pub fn cancel_follow_up(&self, id: &str) -> Result<visits::FollowUp> {
        self.write(|w| visits::cancel_follow_up(w, id))
    }

    /// The follow-ups of a resident or household, by due time.
    pub fn follow_ups(&self, subject: &visits::Subject) -> Result<Vec<visits::FollowUp>> {
        self.read(|c| visits::follow_ups(c, subject))
    }

    /// Sets how often residents with a tag are visited (`None`: no regular visits).
    pub fn set_visit_frequency(&self, tag: &Tag, every_ms: Option<i64>) -> Result<()> {
        self.write(|w| visits::set_visit_frequency(w, tag, every_ms))
    }

    /// The visit frequency of every tag that has one.
    pub fn visit_frequencies(&self) -> Result<Vec<visits::VisitFrequency>> {
        self.read(visits::visit_frequencies)
    }

    /// Who to visit next in the worker's areas, ranked: life, the vulnerable, the overdue,
    /// the never visited.
    pub fn due_list(&self, query: &visits::DueQuery) -> Result<Vec<visits::DueEntry>> {
        let now = self.clock.now_ms();
        self.read(|c| visits::triage::due_list(c, query, now))
    }

    /// One area's day (台账); `day` is YYYY-MM-DD at `utc_offset_minutes` (China: 480).
    pub fn ledger(
        &self,
        area_id: &str,
        day: &str,
        utc_offset_minutes: i32,
    ) -> Result<visits::Ledger> {
        self.read(|c| visits::ledger(c, area_id, day, utc_offset_minutes))
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
