//! Shared set-up of the sync tests: a real server on loopback over SQLite or a real
//! PostgreSQL, phones with real encrypted stores, and a proxy that loses or cuts replies.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use doorstep_core::sync::{Enrolment, Role, SyncOptions};
use doorstep_core::Clock;
use doorstep_core::{Doorstep, ManualClock, SystemClock};
use doorstep_server::storage::{self, PostgresStorage, SqliteStorage, Storage};
use doorstep_server::sync::enrol::{self, CodeRequest};
use doorstep_server::{spawn_local, AppState, LocalServer};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const GRID1: &str = "武昌区/中南路街道/丽岛社区/第1网格";
pub const GRID2: &str = "武昌区/中南路街道/丽岛社区/第2网格";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test: a SQLite file in `dir`, or a new database in
/// the PostgreSQL that `DOORSTEP_TEST_PG` points at. Returns what `--database` takes.
pub async fn fresh_database(backend: Backend, dir: &TempDir) -> Option<String> {
    match backend {
        Backend::Sqlite => {
            let _ = dir;
            None
        }
        Backend::Postgres => {
            let base = std::env::var("DOORSTEP_TEST_PG").expect(
                "DOORSTEP_TEST_PG is not set: run the PostgreSQL tests through \
                 scripts/with-postgres.sh (scripts/test-all.sh does)",
            );
            let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
                .await
                .expect("PostgreSQL at DOORSTEP_TEST_PG answers");
            tokio::spawn(conn);
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create a test database");
            let cut = base.rfind('/').expect("URL has a database part");
            Some(format!("{}/{name}", &base[..cut]))
        }
    }
}

/// Opens a storage over the test's database.
pub async fn open_storage(dir: &TempDir, database: &Option<String>) -> Arc<dyn Storage> {
    match database {
        Some(url) => Arc::new(PostgresStorage::connect(url).await.expect("open postgres")),
        None => {
            Arc::new(SqliteStorage::open(&dir.path().join("doorstep.db")).expect("open sqlite"))
        }
    }
}

/// A server on loopback with a hand-set clock.
pub struct Env {
    pub dir: TempDir,
    pub database: Option<String>,
    pub store: Arc<dyn Storage>,
    pub clock: Arc<ManualClock>,
    pub addr: SocketAddr,
    pub server: LocalServer,
    phones: AtomicUsize,
}

impl Env {
    pub async fn start(backend: Backend) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let database = fresh_database(backend, &dir).await;
        let store = open_storage(&dir, &database).await;
        Env::on(dir, database, store).await
    }

    pub async fn on(dir: TempDir, database: Option<String>, store: Arc<dyn Storage>) -> Env {
        let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
        let state = AppState::with_clock(store.clone(), clock.clone());
        let (addr, server) = spawn_local(state).await.unwrap();
        Env {
            dir,
            database,
            store,
            clock,
            addr,
            server,
            phones: AtomicUsize::new(0),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A one-time code, as `doorstep enrol` makes it.
    pub async fn code(&self, user: &str, role: Role, areas: &[&str]) -> String {
        self.code_with(user, role, areas, 3_600_000, 86_400_000)
            .await
    }

    pub async fn code_with(
        &self,
        user: &str,
        role: Role,
        areas: &[&str],
        code_ttl_ms: i64,
        token_ttl_ms: i64,
    ) -> String {
        let req = CodeRequest {
            user: user.into(),
            role,
            areas: areas.iter().map(|a| a.to_string()).collect(),
            code_ttl_ms,
            token_ttl_ms,
        };
        enrol::create_code(self.store.as_ref(), &req, self.clock.now_ms())
            .await
            .unwrap()
    }

    /// A new phone database (not enrolled).
    pub fn new_phone(&self) -> Doorstep {
        let n = self.phones.fetch_add(1, Ordering::SeqCst);
        Doorstep::open(self.dir.path().join(format!("phone{n}.db")), &[7u8; 32]).unwrap()
    }

    /// A phone enrolled with `role` in `areas`.
    pub async fn phone(&self, user: &str, role: Role, areas: &[&str]) -> (Doorstep, Enrolment) {
        let phone = self.new_phone();
        let code = self.code(user, role, areas).await;
        let e = phone.enrol(&self.url(), &code).await.unwrap();
        (phone, e)
    }
}

/// Sync options for tests: quick retries.
pub fn quick() -> SyncOptions {
    SyncOptions {
        push_batch: 100,
        pull_page: 100,
        attempts: 8,
        backoff_ms: 20,
        max_backoff_ms: 500,
        timeout_ms: 10_000,
        blob_part: 64 * 1024,
    }
}

/// Every op id the server stores, by pulling as an unrestricted reader.
pub async fn server_op_ids(store: &dyn Storage) -> Vec<String> {
    let filter = doorstep_server::storage::PullFilter {
        entities: doorstep_core::SCHEMA
            .all()
            .map(|d| d.name.to_string())
            .collect(),
        areas: None,
        ancestors: vec![],
        exclude_device: String::new(),
    };
    let mut after = 0;
    let mut ids = Vec::new();
    loop {
        let page = store.pull(&filter, after, 1000).await.unwrap();
        if page.ops.is_empty() {
            return ids;
        }
        after = page.ops.last().unwrap().0;
        ids.extend(page.ops.into_iter().map(|(_, op)| op.id));
    }
}

/// What the proxy does to the next push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward the request, then close without the reply (server committed, phone
    /// never hears).
    LoseReply,
    /// Forward the request, then send half of the reply and close.
    TruncateReply,
}

/// A loopback proxy in front of the server that injects faults into push replies.
pub struct FaultProxy {
    pub addr: SocketAddr,
    faults: Arc<std::sync::Mutex<Vec<Fault>>>,
    pub injected: Arc<AtomicUsize>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr, faults: Vec<Fault>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let faults = Arc::new(std::sync::Mutex::new(faults));
        let injected = Arc::new(AtomicUsize::new(0));
        let (f, n) = (faults.clone(), injected.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(proxy_conn(client, upstream, f.clone(), n.clone()));
            }
        });
        FaultProxy {
            addr,
            faults,
            injected,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Reads one HTTP/1.1 message (headers, then Content-Length bytes of body).
async fn read_message(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap_or(0))
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn proxy_conn(
    mut client: TcpStream,
    upstream: SocketAddr,
    faults: Arc<std::sync::Mutex<Vec<Fault>>>,
    injected: Arc<AtomicUsize>,
) {
    while let Some(req) = read_message(&mut client).await {
        let Ok(mut up) = TcpStream::connect(upstream).await else {
            return;
        };
        if up.write_all(&req).await.is_err() {
            return;
        }
        let Some(reply) = read_message(&mut up).await else {
            return;
        };
        let is_push = req.starts_with(b"POST /api/v1/push");
        let fault = if is_push {
            let mut f = faults.lock().unwrap();
            (!f.is_empty()).then(|| f.remove(0))
        } else {
            None
        };
        match fault {
            None => {
                if client.write_all(&reply).await.is_err() {
                    return;
                }
            }
            Some(Fault::LoseReply) => {
                injected.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Some(Fault::TruncateReply) => {
                injected.fetch_add(1, Ordering::SeqCst);
                let _ = client
                    .write_all(&reply[..reply.len() - reply.len() / 3])
                    .await;
                return;
            }
        }
    }
}

/// Opens storage the way `doorstep serve` does, for tests that need `storage::open`.
pub async fn open_like_cli(dir: &TempDir, database: &Option<String>) -> Arc<dyn Storage> {
    storage::open(dir.path(), database.as_deref())
        .await
        .unwrap()
}

/// Role shorthand.
pub const SW: Role = Role::SocialWorker;
pub mod charts;

/// The device token a phone was given at enrolment, as its store keeps it.
pub fn token(phone: &Doorstep) -> String {
    phone
        .read(|c| {
            Ok(c.query_row(
                "SELECT value FROM sync_state WHERE key = 'token'",
                [],
                |r| r.get::<_, String>(0),
            )?)
        })
        .unwrap()
}

/// Runs each named async test `fn name(b: Backend)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await
                }
            )*
        }
    };
}
