//! doorstep-server: the station server. A library (router, storage, configuration) with
//! a thin `doorstep` binary, so the command line, tests and later admin tools build the
//! same service.

pub mod cli;
pub mod demo;
pub mod error;
pub mod export;
pub mod metrics;
pub mod serve;
pub mod station;
pub mod stats;
pub mod storage;
pub mod sync;
pub mod throttle;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_core::{Clock, SystemClock};
use tokio::net::TcpListener;
use utoipa::OpenApi;

use storage::Storage;

/// Largest request body accepted, bytes (a push of 1,000 ops fits with room to spare).
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// What every handler shares: the storage, the clock and the rules of this node. The
/// data lives in the storage; a node keeps only its counts of wrong passwords and codes.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    /// How far ahead of this server's clock a pushed op may be stamped, ms.
    pub max_clock_skew_ms: i64,
    /// Wrong passwords and enrolment codes, per account and client address.
    pub throttle: Arc<throttle::Throttle>,
    /// Whether the session cookie is always `Secure` (the station is reached over HTTPS
    /// through a proxy that does not say so).
    pub cookie_secure: bool,
}

impl AppState {
    /// State over a storage with the system clock.
    pub fn new(store: Arc<dyn Storage>) -> Self {
        AppState::with_clock(store, Arc::new(SystemClock))
    }

    /// State over a storage with a given clock and the default rules.
    pub fn with_clock(store: Arc<dyn Storage>, clock: Arc<dyn Clock>) -> Self {
        AppState {
            store,
            clock,
            max_clock_skew_ms: sync::DEFAULT_MAX_CLOCK_SKEW_MS,
            throttle: Arc::new(throttle::Throttle::new()),
            cookie_secure: false,
        }
    }
}

/// The address a request came from, when the server was started with connection info
/// (`serve_on` does); the proxies in front are not asked.
pub fn client_ip(extensions: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// How `doorstep serve` runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub database: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Doorstep station server", description = "Sync for Doorstep phones: enrolment, push, pull, and blobs (photos, signatures) by SHA-256, uploaded and downloaded resumably. Every error is an ErrorBody with a stable code."),
    paths(sync::routes::enrol_device, sync::routes::create_enrolment, sync::routes::push, sync::routes::pull, sync::routes::whoami,
          sync::blobs::head, sync::blobs::get, sync::blobs::put, healthz),
    components(schemas(doorstep_core::sync::protocol::ErrorBody)),
    modifiers(&BearerScheme),
    tags((name = "sync", description = "Phones enrol, push their ops and pull what their role and areas may see."))
)]
struct ApiDoc;

/// The `bearer` scheme the sync operations name: the device token from `/api/v1/enrol`.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The device token that enrolment gave: `Authorization: Bearer TOKEN`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// What `/healthz` answers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub storage: String,
    /// Ops stored.
    pub ops: u64,
}

/// Liveness: 200 when the server answers and its storage does.
#[utoipa::path(get, path = "/healthz",
    responses((status = 200, description = "the server and its storage answer", body = Health),
              (status = 503, description = "storage: the storage does not answer", body = doorstep_core::sync::protocol::ErrorBody)))]
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.store.op_count().await {
        Ok(ops) => Json(Health {
            status: "ok".into(),
            storage: state.store.kind().into(),
            ops,
        })
        .into_response(),
        Err(e) => error::ApiError::from(e).into_response(),
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn not_found() -> error::ApiError {
    error::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        "no such API path",
    )
}

/// One structured log line per request.
async fn log_request(req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let started = Instant::now();
    let resp = next.run(req).await;
    tracing::info!(%method, %path, status = resp.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    resp
}

/// The whole HTTP service.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/enrol", post(sync::routes::enrol_device))
        .route("/api/v1/push", post(sync::routes::push))
        .route("/api/v1/pull", get(sync::routes::pull))
        .route("/api/v1/whoami", get(sync::routes::whoami))
        .route("/api/v1/enrolments", post(sync::routes::create_enrolment))
        .route(
            "/api/v1/blobs/{sha256}",
            get(sync::blobs::get)
                .head(sync::blobs::head)
                .put(sync::blobs::put)
                .layer(DefaultBodyLimit::max(
                    doorstep_core::sync::protocol::MAX_BLOB_BYTES as usize,
                )),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(state)
}

/// Serves on an already bound listener until `shutdown` resolves, with the default
/// timeouts and shutdown deadline (`serve::Limits`).
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve::serve(listener, router(state), serve::Limits::default(), shutdown).await
}

/// A server on `127.0.0.1:0` in this process, for tests and benches: returns its address
/// and a handle that stops it when dropped.
pub async fn spawn_local(state: AppState) -> std::io::Result<(SocketAddr, LocalServer)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve_on(listener, state, async {
        let _ = rx.await;
    }));
    Ok((
        addr,
        LocalServer {
            stop: Some(tx),
            task,
        },
    ))
}

/// A running in-process server; dropping it stops it.
pub struct LocalServer {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalServer {
    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}
