//! doorstep-server: the station server. A library (router, storage, configuration) with
//! a thin `doorstep` binary, so the command line, tests and later admin tools build the
//! same service.

pub mod cli;
pub mod demo;
pub mod error;
pub mod export;
pub mod metrics;
pub mod station;
pub mod stats;
pub mod storage;
pub mod sync;

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

/// What every handler shares: the storage and the clock. Nothing else: nodes keep no
/// state of their own.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    /// State over a storage with the system clock.
    pub fn new(store: Arc<dyn Storage>) -> Self {
        AppState {
            store,
            clock: Arc::new(SystemClock),
        }
    }
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
    info(title = "Doorstep station server", description = "Sync for Doorstep phones: enrolment, push, pull, and blobs (photos, signatures) by SHA-256, uploaded and downloaded resumably."),
    paths(sync::routes::enrol_device, sync::routes::create_enrolment, sync::routes::push, sync::routes::pull, sync::routes::whoami,
          sync::blobs::head, sync::blobs::get, sync::blobs::put, healthz),
    tags((name = "sync", description = "Phones enrol, push their ops and pull what their role and areas may see."))
)]
struct ApiDoc;

/// Liveness: 200 when the server answers and its storage does.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "{status: ok, storage}")))]
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.store.op_count().await {
        Ok(ops) => {
            Json(serde_json::json!({"status": "ok", "storage": state.store.kind(), "ops": ops}))
                .into_response()
        }
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

/// Serves on an already bound listener until `shutdown` resolves.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
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
