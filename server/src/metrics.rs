//! `/metrics` in the Prometheus text format: requests by route group and status class,
//! the ops stored, and how long sync requests take.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Upper bounds of the sync latency buckets, seconds.
const BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];
const GROUPS: [&str; 5] = ["sync", "api", "dashboard", "export", "ops"];
const CLASSES: [&str; 4] = ["2xx", "3xx", "4xx", "5xx"];

struct Latency {
    buckets: [AtomicU64; 8],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

struct Metrics {
    requests: [[AtomicU64; 4]; 5],
    push: Latency,
    pull: Latency,
}

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const LATENCY: Latency = Latency {
    buckets: [ZERO; 8],
    count: ZERO,
    sum_micros: ZERO,
};

// One process serves one station: the counters are the process's.
static METRICS: Metrics = Metrics {
    requests: [[ZERO; 4], [ZERO; 4], [ZERO; 4], [ZERO; 4], [ZERO; 4]],
    push: LATENCY,
    pull: LATENCY,
};

fn group(path: &str) -> usize {
    match path {
        "/api/v1/push" | "/api/v1/pull" | "/api/v1/enrol" | "/api/v1/whoami" => 0,
        p if p.starts_with("/api/") => 1,
        "/export" => 3,
        "/healthz" | "/metrics" => 4,
        _ => 2,
    }
}

impl Latency {
    fn observe(&self, secs: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, kind: &str) {
        for (i, b) in BUCKETS.iter().enumerate() {
            out.push_str(&format!(
                "{name}_bucket{{kind=\"{kind}\",le=\"{b}\"}} {}\n",
                self.buckets[i].load(Ordering::Relaxed)
            ));
        }
        let count = self.count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "{name}_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {count}\n"
        ));
        out.push_str(&format!(
            "{name}_sum{{kind=\"{kind}\"}} {}\n",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out.push_str(&format!("{name}_count{{kind=\"{kind}\"}} {count}\n"));
    }
}

/// Counts every request and times sync requests.
pub async fn track(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    let class = (resp.status().as_u16() / 100).clamp(2, 5) as usize - 2;
    METRICS.requests[group(&path)][class].fetch_add(1, Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    match path.as_str() {
        "/api/v1/push" => METRICS.push.observe(secs),
        "/api/v1/pull" => METRICS.pull.observe(secs),
        _ => {}
    }
    resp
}

/// `GET /metrics`.
pub async fn metrics(State(app): State<AppState>) -> Response {
    let mut out = String::new();
    out.push_str(
        "# HELP doorstep_requests_total HTTP requests answered, by route group and status class.\n",
    );
    out.push_str("# TYPE doorstep_requests_total counter\n");
    for (g, name) in GROUPS.iter().enumerate() {
        for (c, class) in CLASSES.iter().enumerate() {
            out.push_str(&format!(
                "doorstep_requests_total{{group=\"{name}\",status=\"{class}\"}} {}\n",
                METRICS.requests[g][c].load(Ordering::Relaxed)
            ));
        }
    }
    out.push_str("# HELP doorstep_ops_stored Ops ingested and stored by the server.\n");
    out.push_str("# TYPE doorstep_ops_stored gauge\n");
    match app.store.op_count().await {
        Ok(n) => out.push_str(&format!("doorstep_ops_stored {n}\n")),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count ops"),
    }
    out.push_str("# HELP doorstep_sync_seconds Time to answer a push or a pull.\n");
    out.push_str("# TYPE doorstep_sync_seconds histogram\n");
    METRICS
        .push
        .write(&mut out, "doorstep_sync_seconds", "push");
    METRICS
        .pull
        .write(&mut out, "doorstep_sync_seconds", "pull");
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
