//! doorstep-core: the logic and data of Doorstep's phone apps. One `Doorstep` value owns
//! the encrypted store; each domain (registry, and those to come) is a module with its
//! own types and SQL, meeting the others only in the store and the change log.

pub mod cancel;
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
use std::time::Instant;

use rusqlite::Connection;

pub use cancel::Cancel;
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
/// share between threads. Writes take turns on one connection; reads go to a second,
/// read-only one, so a search or a list never waits behind an import or a pulled page
/// (WAL lets a reader see the last commit while a writer works).
pub struct Doorstep {
    state: Mutex<State>,
    reader: Mutex<Connection>,
    /// The search index, behind a lock of its own: building it takes a second, and
    /// neither writers nor other reads wait for that.
    search: Mutex<Option<SearchIndex>>,
    /// What writes changed since the index last caught up; writers only note it here.
    stale: Mutex<Stale>,
    /// Queue numbers given out, shared by writes and by scans decided while the writer is
    /// busy.
    sequences: Mutex<log::Sequences>,
    /// Scans decided while a long write held the writer, waiting to be stored.
    parking: checkin::park::Parking,
    device: String,
    clock: Arc<dyn Clock>,
    path: PathBuf,
    // Kept for its drop, after the connections: the writer closes first, which ends the
    // thread, and the checkpointer's connection, closed last, folds the log into the
    // database.
    _checkpointer: Option<store::Checkpointer>,
}

struct State {
    conn: Connection,
    hlc: Hlc,
    user: String,
}

/// Residents and households written since the search index last caught up.
#[derive(Default)]
struct Stale {
    touched: Vec<(&'static str, String)>,
    /// Too much changed (or an area or building did): build the index anew.
    rebuild: bool,
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
        let mut conn = store::open(&path, key).inspect_err(|e| {
            tracing::warn!(target: "doorstep::store", error = e.code(), "store did not open");
        })?;
        let (device, hlc, user) =
            Doorstep::first_reads(&conn).map_err(|e| store::opening_error(&path, e))?;
        let reader = store::open_reader(&path, key)?;
        let parking = checkin::park::Parking::open(&path, key)?;
        // Without the thread (none can start), SQLite's own checkpoints stay on.
        let checkpointer = store::Checkpointer::start(&path, key, &mut conn).ok();
        let d = Doorstep {
            state: Mutex::new(State { conn, hlc, user }),
            sequences: Mutex::new(log::Sequences::new()),
            parking,
            reader: Mutex::new(reader),
            search: Mutex::new(None),
            stale: Mutex::new(Stale::default()),
            device,
            clock,
            path,
            _checkpointer: checkpointer,
        };
        // Scans a run before parked and did not get to store (it ended or crashed).
        if !d.parking.is_empty() {
            d.write(|_| Ok(()))?;
        }
        Ok(d)
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
        self.device.clone()
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

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in one transaction with a change-log writer; commits if it succeeds.
    #[track_caller]
    pub fn write<T>(&self, f: impl FnOnce(&mut Writer) -> Result<T>) -> Result<T> {
        let at = std::panic::Location::caller();
        let guard = self.lock();
        let started = Instant::now();
        let out = self.write_locked(guard, f);
        note_slow("write", at, started);
        out
    }

    /// Runs `f` as `write` does if no other write holds the writer; `None` if one does.
    fn try_write<T>(&self, f: impl FnOnce(&mut Writer) -> Result<T>) -> Result<Option<T>> {
        let guard = match self.state.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Ok(None),
        };
        self.write_locked(guard, f).map(Some)
    }

    fn write_locked<T>(
        &self,
        mut guard: MutexGuard<'_, State>,
        f: impl FnOnce(&mut Writer) -> Result<T>,
    ) -> Result<T> {
        let (out, touched) = self.write_in(&mut guard, f)?;
        drop(guard);
        self.note_touched(&touched);
        Ok(out)
    }

    /// `f`'s transaction on the writer the caller holds, with the parked scans stored
    /// around it; returns what `f` returned and the entities it changed.
    fn write_in<T>(
        &self,
        st: &mut State,
        f: impl FnOnce(&mut Writer) -> Result<T>,
    ) -> Result<(T, Vec<(&'static str, String)>)> {
        // Scans parked while an earlier write held the writer go in before this one.
        self.store_parked(st)?;
        let done = self.transact(st, f)?;
        // And those parked while this one did, at once: the write itself is committed,
        // so a failure here leaves them parked (and safe) for the next write.
        let _ = self.store_parked(st);
        Ok(done)
    }

    /// One transaction of `f` with a change-log writer, committed if it succeeds; returns
    /// what `f` returned and the entities it changed.
    fn transact<T>(
        &self,
        st: &mut State,
        f: impl FnOnce(&mut Writer) -> Result<T>,
    ) -> Result<(T, Vec<(&'static str, String)>)> {
        let now = self.clock.now_ms();
        let mut hlc = st.hlc;
        let tx = store::immediate(&st.conn)?;
        let (out, written) = {
            let mut w = Writer::new(
                &tx,
                SCHEMA,
                &mut hlc,
                now,
                &self.device,
                &st.user,
                &self.sequences,
            );
            let out = f(&mut w)?;
            (out, w.finish())
        };
        tx.commit()?;
        st.hlc = hlc;
        Ok((out, written.touched))
    }

    /// Stores the scans parked while the writer was busy.
    fn store_parked(&self, st: &mut State) -> Result<()> {
        if self.parking.is_empty() {
            return Ok(());
        }
        let (ids, _) = self.transact(st, |w| self.parking.store(w))?;
        tracing::info!(target: "doorstep::checkin", scans = ids.len(), "parked scans stored");
        self.parking.forget(&ids)
    }

    /// True while a write holds the writer (an import, a sync page, ...): other writes
    /// wait for it, reads and scans do not.
    pub fn writing(&self) -> bool {
        matches!(
            self.state.try_lock(),
            Err(std::sync::TryLockError::WouldBlock)
        )
    }

    /// Runs `f` with the read-only connection. It sees every committed write and never
    /// waits for one in progress.
    #[track_caller]
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let at = std::panic::Location::caller();
        let conn = self.reader();
        let started = Instant::now();
        let out = f(&conn);
        note_slow("read", at, started);
        out
    }

    /// Runs `f` on the writing connection outside the change log, waiting for any write
    /// in progress: for what is not replicated data (this phone's settings, pragmas, the
    /// station's triggers and indexes). Replicated data goes through `write`.
    #[track_caller]
    pub fn with_writer<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let at = std::panic::Location::caller();
        let st = self.lock();
        let started = Instant::now();
        let out = f(&st.conn);
        note_slow("write", at, started);
        out
    }

    /// Sets the page cache of both connections, in MiB (a phone's default is 8).
    pub fn set_cache_mib(&self, mib: i64) -> Result<()> {
        self.with_writer(|c| store::set_cache_mib(c, mib))?;
        self.read(|c| store::set_cache_mib(c, mib))
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
            out.push(log::apply_watching(&tx, SCHEMA, op, &self.device, None)?);
            hlc = hlc.observe(op.hlc);
        }
        log::settle(&tx)?;
        store::meta_set(&tx, "hlc", &hlc.as_i64().to_string())?;
        tx.commit()?;
        st.hlc = hlc;
        let _ = self.store_parked(st);
        drop(guard);
        self.note_ops(ops);
        Ok(out)
    }

    /// Notes the entities of applied ops for the search index.
    fn note_ops(&self, ops: &[Op]) {
        let touched: Vec<(&'static str, String)> = ops
            .iter()
            .filter_map(|o| SCHEMA.get(&o.entity).map(|d| (d.name, o.entity_id.clone())))
            .collect();
        self.note_touched(&touched);
    }

    /// Notes what a commit changed, for the next search to bring the index up to date.
    fn note_touched(&self, touched: &[(&'static str, String)]) {
        let relevant = touched
            .iter()
            .filter(|(e, _)| [RESIDENT.name, HOUSEHOLD.name, AREA.name, BUILDING.name].contains(e));
        let mut stale = self.stale.lock().unwrap_or_else(|e| e.into_inner());
        if stale.rebuild {
            return;
        }
        for (e, id) in relevant {
            if *e == AREA.name || *e == BUILDING.name || stale.touched.len() >= REFRESH_LIMIT {
                stale.rebuild = true;
                stale.touched = Vec::new();
                return;
            }
            stale.touched.push((e, id.clone()));
        }
    }

    /// Local ops not yet acknowledged by the server, oldest first.
    pub fn pending_ops(&self, limit: u32) -> Result<Vec<Op>> {
        self.read(|c| log::pending(c, limit))
    }

    /// How many local ops wait for the server.
    pub fn pending_op_count(&self) -> Result<u64> {
        self.read(log::pending_count)
    }

    /// Checks every page of the store; returns the problems found (empty when sound).
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        self.read(store::check_integrity)
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
        self.import_csv_with(bytes, &Cancel::new())
    }

    /// `import_csv` that stops with `Error::Cancelled` when `cancel` is cancelled before it
    /// ends; nothing of the file is stored then.
    pub fn import_csv_with(&self, bytes: &[u8], cancel: &Cancel) -> Result<ImportReport> {
        // A large sheet touches tens of MB of pages in one transaction; a cache that holds
        // them keeps pages from spilling to the WAL and being encrypted twice.
        // The cache goes back to its size before, which a station sets larger than a
        // phone's.
        // One hold of the writer for all of it: writes wait once, and the cache is back
        // before any other write runs.
        let mut guard = self.lock();
        let before = store::cache_mib(&guard.conn)?;
        store::set_cache_mib(&guard.conn, IMPORT_CACHE_MIB.max(before))?;
        let report = self.write_in(&mut guard, |w| import::import_csv(w, bytes, cancel));
        store::set_cache_mib(&guard.conn, before)?;
        drop(guard);
        let (report, touched) = report.inspect_err(|e| {
            tracing::warn!(target: "doorstep::registry", error = e.code(), "import refused");
        })?;
        self.note_touched(&touched);
        tracing::info!(
            target: "doorstep::registry",
            rows = report.rows,
            households_added = report.households_added,
            residents_added = report.residents_added,
            residents_updated = report.residents_updated,
            rows_refused = report.rows_refused,
            "import done"
        );
        Ok(report)
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
        let mut index = self.search.lock().unwrap_or_else(|e| e.into_inner());
        let conn = self.reader();
        let stale = std::mem::take(&mut *self.stale.lock().unwrap_or_else(|e| e.into_inner()));
        if stale.rebuild {
            *index = None;
        }
        match index.as_mut() {
            None => *index = Some(SearchIndex::build(&conn)?),
            Some(i) if !stale.touched.is_empty() => {
                if let Err(e) = catch_up(i, &conn, &stale.touched) {
                    // The next search builds it anew.
                    *index = None;
                    return Err(e);
                }
            }
            Some(_) => {}
        }
        let index = index.as_ref().expect("the index was just built");
        search::search(&conn, index, query)
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
        // The summary it ranks is brought up to date on the writer. While another write
        // holds that (an import, a pulled page), the list comes from the summary as the
        // last list left it rather than waiting: what that write adds shows next time.
        let writer = match self.state.try_lock() {
            Ok(st) => Some(st),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        };
        if let Some(st) = writer {
            visits::store::refresh_subjects(&st.conn)?;
        }
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

/// Brings the search index up to date with the residents and households written.
fn catch_up(
    index: &mut SearchIndex,
    conn: &Connection,
    touched: &[(&'static str, String)],
) -> Result<()> {
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
    ids.extend(registry::store::resident_ids_of(conn, &households)?);
    ids.sort();
    ids.dedup();
    index.refresh(conn, &ids)
}

/// Store calls slower than this are logged, by where in core they were made.
const SLOW_MS: u128 = 100;

/// Logs a store call that took `SLOW_MS` or more: its kind and the line of core that made
/// it, never what it read or wrote.
fn note_slow(kind: &'static str, at: &'static std::panic::Location<'static>, started: Instant) {
    let ms = started.elapsed().as_millis();
    if ms >= SLOW_MS {
        tracing::info!(
            target: "doorstep::slow",
            kind,
            at = %format_args!("{}:{}", at.file(), at.line()),
            ms = ms as u64,
            "slow store call"
        );
    }
}
