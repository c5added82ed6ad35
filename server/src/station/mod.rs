//! The station: the admin's own Doorstep store (registry, signing keys, passes, the
//! demo) that is also the replica of everything phones push, the dashboard over it,
//! and the admin accounts that may use it.
//!
//! The store syncs with the station's own server over loopback as a station-admin
//! device, through the same client the phones use, so what the admin writes reaches
//! phones and what phones push reaches the dashboard by the one path that is tested.

pub mod auth;
pub mod backup;
pub mod i18n;
pub mod pages;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use doorstep_core::sync::Role;
use doorstep_core::{Doorstep, SystemClock};

use crate::storage::Storage;
use crate::sync::enrol::{self, CodeRequest};

/// China's offset from UTC: the station's local day for figures and ledgers.
pub const UTC_OFFSET_MINUTES: i32 = 480;

/// Page cache of the station store's connection, in MiB.
pub const STATION_CACHE_MIB: i64 = 64;

/// The user the station's own store writes as.
pub const STATION_USER: &str = "station";

/// Station failures, each a sentence for the log or the terminal.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error("{0}")]
    Io(String),
    #[error("station store: {0}")]
    Core(#[from] doorstep_core::Error),
    #[error("admin store: {0}")]
    Admin(#[from] rusqlite::Error),
    #[error("{0}")]
    Invalid(String),
}

/// Result of station calls.
pub type StationResult<T> = Result<T, StationError>;

/// The station's store and admin accounts.
pub struct Station {
    pub core: Arc<Doorstep>,
    pub admins: auth::Admins,
    pub data: PathBuf,
}

impl Station {
    /// Opens (or creates) the station in `data`: `station.db` encrypted with the key in
    /// `station.key` (made on first start, readable by its owner only) and `admin.db`.
    pub fn open(data: &Path) -> StationResult<Station> {
        std::fs::create_dir_all(data)
            .map_err(|e| StationError::Io(format!("cannot create {}: {e}", data.display())))?;
        let key = store_key(data)?;
        let core = Doorstep::open(data.join("station.db"), &key)?;
        core.with_writer(crate::stats::prepare_station)?;
        // A phone keeps a small page cache; the station serves exports that look up a
        // resident and a household for each row, and every page read again is decrypted
        // again (the bench's 100,000-row export read in 3.4 s with 8 MiB, 1.1 s with 64).
        core.set_cache_mib(STATION_CACHE_MIB)?;
        let admins = auth::Admins::open(&data.join("admin.db"))?;
        Ok(Station {
            core: Arc::new(core),
            admins,
            data: data.to_path_buf(),
        })
    }

    /// Enrols the station's store with the server at `server` (again on every start,
    /// since the address may have changed) as a station admin.
    pub async fn enrol_self(&self, store: &dyn Storage, server: &str) -> StationResult<()> {
        let req = CodeRequest {
            user: STATION_USER.to_string(),
            role: Role::StationAdmin,
            areas: vec![],
            code_ttl_ms: 60_000,
            token_ttl_ms: enrol::DEFAULT_TOKEN_TTL_MS * 40,
        };
        let now = doorstep_core::Clock::now_ms(&SystemClock);
        let code = enrol::create_code(store, &req, now)
            .await
            .map_err(|e| StationError::Io(e.to_string()))?;
        self.core.enrol(server, &code).await?;
        Ok(())
    }

    /// Pushes the station's writes and pulls the phones' until both are caught up.
    pub async fn catch_up(&self) -> StationResult<doorstep_core::sync::SyncReport> {
        Ok(self.core.sync(None).await?)
    }
}

/// Syncs the station's store every `every` until the task is dropped; a failed round
/// is logged and tried again at the next tick.
pub async fn sync_loop(station: Arc<Station>, every: Duration) {
    loop {
        match station.catch_up().await {
            Ok(r) if r.applied > 0 || r.accepted > 0 => {
                tracing::info!(applied = r.applied, pushed = r.accepted, "station synced")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "station sync failed"),
        }
        tokio::time::sleep(every).await;
    }
}

/// The station store's key, from `station.key` in `data` (made on first use).
pub fn store_key(data: &Path) -> StationResult<Vec<u8>> {
    std::fs::create_dir_all(data)
        .map_err(|e| StationError::Io(format!("cannot create {}: {e}", data.display())))?;
    load_or_make_key(&data.join("station.key"))
}

fn load_or_make_key(path: &Path) -> StationResult<Vec<u8>> {
    if let Some(key) = read_key(path)? {
        return Ok(key);
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| StationError::Io(format!("no randomness: {e}")))?;
    write_key(path, &key)?;
    Ok(key.to_vec())
}

/// The key in a `station.key` file, or `None` when there is no such file.
pub fn read_key(path: &Path) -> StationResult<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            doorstep_core::hex::decode(text.trim())
                .filter(|k| k.len() == 32)
                .map(Some)
                .ok_or_else(|| {
                    StationError::Invalid(format!(
                        "{} does not hold a 64-digit hex key",
                        path.display()
                    ))
                })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StationError::Io(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Writes a key as a new `station.key` file, readable by its owner only.
pub fn write_key(path: &Path, key: &[u8]) -> StationResult<()> {
    write_private(path, doorstep_core::hex::encode(key).as_bytes())
}

/// Writes a file only its owner may read.
fn write_private(path: &Path, bytes: &[u8]) -> StationResult<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| StationError::Io(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(bytes)
        .map_err(|e| StationError::Io(format!("cannot write {}: {e}", path.display())))
}

/// Random bytes as hex, for tokens.
pub fn random_hex(n: usize) -> StationResult<String> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| StationError::Io(format!("no randomness: {e}")))?;
    Ok(doorstep_core::hex::encode(&b))
}

impl Station {
    /// Issues passes to the residents of an area (and a building or tag within it) valid
    /// for `days` from `now_ms`, and returns the printable PDF sheet.
    pub fn sheet(
        &self,
        area: Option<&doorstep_core::registry::Area>,
        building: Option<&str>,
        tag: Option<&str>,
        days: i64,
        now_ms: i64,
    ) -> StationResult<Vec<u8>> {
        if !(1..=90).contains(&days) {
            return Err(StationError::Invalid(format!(
                "days {days} is not between 1 and 90"
            )));
        }
        let tag = match tag.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Some(doorstep_core::registry::Tag::parse(t)?),
            None => None,
        };
        let building_id = match building.map(str::trim).filter(|b| !b.is_empty()) {
            Some(name) => {
                let area = area.ok_or_else(|| {
                    StationError::Invalid(
                        "a building is named within an area; choose the area".into(),
                    )
                })?;
                Some(
                    self.core
                        .read(|c| crate::stats::building_id(c, &area.id, name))?
                        .ok_or_else(|| {
                            StationError::Invalid(format!("no building {name:?} in {}", area.path))
                        })?,
                )
            }
            None => None,
        };
        if self
            .core
            .trusted_keys()?
            .iter()
            .all(|k| !k.can_sign || k.retired_at_ms.is_some())
        {
            self.core.new_signing_key()?;
        }
        let filter = doorstep_core::checkin::SheetFilter {
            area_id: area.map(|a| a.id.clone()),
            building_id,
            tag,
        };
        let sheet = self
            .core
            .pass_sheet(&filter, now_ms, now_ms + days * 86_400_000)?;
        Ok(sheet.pdf)
    }
}

/// The whole service with the dashboard: the sync API and the station's pages.
pub fn router(app: crate::AppState, station: Arc<Station>) -> axum::Router {
    let metrics = axum::Router::new()
        .route("/metrics", axum::routing::get(crate::metrics::metrics))
        .with_state(app.clone());
    crate::router(app.clone())
        .merge(metrics)
        .merge(pages::routes(pages::Dash { app, station }))
        .layer(axum::middleware::from_fn(crate::metrics::track))
}

/// Serves the service with the dashboard on a bound listener until `shutdown`.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: crate::AppState,
    station: Arc<Station>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app, station))
        .with_graceful_shutdown(shutdown)
        .await
}
