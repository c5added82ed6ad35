//! The station: the admin's own Doorstep store (registry, signing keys, passes, the
//! demo) that is also the replica of everything phones push, the dashboard over it,
//! and the admin accounts that may use it.
//!
//! The store syncs with the station's own server over loopback as a station-admin
//! device, through the same client the phones use, so what the admin writes reaches
//! phones and what phones push reaches the dashboard by the one path that is tested.

pub mod auth;
pub mod backup;
pub mod headers;
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
        Station::open_with(data, None)
    }

    /// Opens the station in `data` over `store`: on PostgreSQL the admins, sessions,
    /// settings and signing keys are the database's, shared by every node, and `data`
    /// holds only this node's replica of the ops (`station.db`, rebuilt by sync if lost)
    /// and its key. Must be called within a tokio runtime when `store` is PostgreSQL.
    pub fn open_with(data: &Path, store: Option<Arc<dyn Storage>>) -> StationResult<Station> {
        std::fs::create_dir_all(data)
            .map_err(|e| StationError::Io(format!("cannot create {}: {e}", data.display())))?;
        let key = store_key(data)?;
        let core = Doorstep::open(data.join("station.db"), &key)?;
        core.with_writer(crate::stats::prepare_station)?;
        // A phone keeps a small page cache; the station serves exports that look up a
        // resident and a household for each row, and every page read again is decrypted
        // again (the bench's 100,000-row export read in 3.4 s with 8 MiB, 1.1 s with 64).
        core.set_cache_mib(STATION_CACHE_MIB)?;
        let admins = match store.filter(|s| s.kind() == "postgres") {
            Some(store) => {
                let rt = tokio::runtime::Handle::try_current().map_err(|_| {
                    StationError::Io("a station on PostgreSQL opens within a runtime".into())
                })?;
                auth::Admins::shared(store, rt)
            }
            None => auth::Admins::open(&data.join("admin.db"))?,
        };
        let station = Station {
            core: Arc::new(core),
            admins,
            data: data.to_path_buf(),
        };
        station.share_keys()?;
        Ok(station)
    }

    /// On a station whose nodes share one PostgreSQL: puts this node's signing keys in
    /// the database and takes those other nodes made, so every node signs passes with
    /// the station's keys; a key retired on the trust list is dropped everywhere. Nothing
    /// to do for a station on SQLite, whose keys stay in its encrypted store alone.
    pub fn share_keys(&self) -> StationResult<()> {
        if !self.admins.is_shared() {
            return Ok(());
        }
        let retired: std::collections::HashSet<String> = self
            .core
            .trusted_keys()?
            .into_iter()
            .filter(|k| k.retired_at_ms.is_some())
            .map(|k| k.key_id)
            .collect();
        let kept = self.admins.station_keys()?;
        for (id, secret) in &kept {
            if retired.contains(id) {
                self.admins.drop_station_key(id)?;
            } else if let Ok(secret) = <[u8; 32]>::try_from(secret.as_slice()) {
                self.core.import_signing_key(&secret)?;
            }
        }
        for (id, secret) in self.core.signing_secrets()? {
            if !retired.contains(&id) && !kept.iter().any(|(k, _)| *k == id) {
                self.admins.put_station_key(&id, &secret)?;
            }
        }
        Ok(())
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
        // Keys first: a pass sheet printed at this node right after a rotation at another
        // is then signed with the key the trust list has.
        if let Err(e) = station.share_keys() {
            tracing::warn!(error = %e, "cannot share the signing keys");
        }
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

/// The station store's key as it lives in memory: wiped when dropped.
pub type StoreKey = zeroize::Zeroizing<Vec<u8>>;

/// The station store's key, from `station.key` in `data` (made on first use).
pub fn store_key(data: &Path) -> StationResult<StoreKey> {
    std::fs::create_dir_all(data)
        .map_err(|e| StationError::Io(format!("cannot create {}: {e}", data.display())))?;
    load_or_make_key(&data.join("station.key"))
}

fn load_or_make_key(path: &Path) -> StationResult<StoreKey> {
    if let Some(key) = read_key(path)? {
        return Ok(key);
    }
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(key.as_mut_slice())
        .map_err(|e| StationError::Io(format!("no randomness: {e}")))?;
    write_key(path, key.as_slice())?;
    Ok(zeroize::Zeroizing::new(key.to_vec()))
}

/// The key in a `station.key` file, or `None` when there is no such file.
pub fn read_key(path: &Path) -> StationResult<Option<StoreKey>> {
    match std::fs::read(path).map(zeroize::Zeroizing::new) {
        Ok(bytes) => {
            let text = std::str::from_utf8(&bytes).unwrap_or_default();
            doorstep_core::hex::decode(text.trim())
                .map(zeroize::Zeroizing::new)
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
    let hex = zeroize::Zeroizing::new(doorstep_core::hex::encode(key));
    write_private(path, hex.as_bytes())
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
        self.share_keys()?;
        if self
            .core
            .trusted_keys()?
            .iter()
            .all(|k| !k.can_sign || k.retired_at_ms.is_some())
        {
            self.core.new_signing_key()?;
            self.share_keys()?;
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
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(axum::middleware::from_fn(crate::metrics::track))
}

/// Serves the service with the dashboard on a bound listener until `shutdown`, with the
/// default timeouts.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: crate::AppState,
    station: Arc<Station>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(
        listener,
        app,
        station,
        crate::serve::Limits::default(),
        shutdown,
    )
    .await
}

/// Serves the service with the dashboard with these timeouts and shutdown deadline.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: crate::AppState,
    station: Arc<Station>,
    limits: crate::serve::Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::serve::serve(listener, router(app, station), limits, shutdown).await
}
