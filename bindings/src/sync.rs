//! Sync as the apps see it: `enrol` and `sync` are async (`suspend` in Kotlin, `async` in
//! Swift), progress comes through a trait the app implements.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use doorstep_core::sync as s;

use crate::{call, Doorstep, DoorstepError, Result};

/// What an enrolled phone may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    SocialWorker,
    Marshal,
    Runner,
    StationAdmin,
}

impl From<s::Role> for Role {
    fn from(r: s::Role) -> Self {
        match r {
            s::Role::SocialWorker => Role::SocialWorker,
            s::Role::Marshal => Role::Marshal,
            s::Role::Runner => Role::Runner,
            s::Role::StationAdmin => Role::StationAdmin,
        }
    }
}

/// Where a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncStage {
    Pull,
    Push,
    /// Photos and signatures going up and coming down.
    Blobs,
    Done,
}

/// The app's progress listener; called from a background thread.
#[uniffi::export(with_foreign)]
pub trait SyncProgress: Send + Sync {
    /// `done` items of `stage` so far; `total` when known, else 0.
    fn progress(&self, stage: SyncStage, done: u64, total: u64);
}

struct Forward(Arc<dyn SyncProgress>);

impl s::SyncProgress for Forward {
    fn progress(&self, stage: s::SyncStage, done: u64, total: u64) {
        let stage = match stage {
            s::SyncStage::Pull => SyncStage::Pull,
            s::SyncStage::Push => SyncStage::Push,
            s::SyncStage::Blobs => SyncStage::Blobs,
            s::SyncStage::Done => SyncStage::Done,
        };
        self.0.progress(stage, done, total);
    }
}

/// This phone's enrolment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Enrolment {
    pub server: String,
    pub device_id: String,
    pub user: String,
    pub role: Role,
    pub areas: Vec<String>,
    pub token_expires_at_ms: i64,
}

impl From<s::Enrolment> for Enrolment {
    fn from(e: s::Enrolment) -> Self {
        Enrolment {
            server: e.server,
            device_id: e.device_id,
            user: e.user,
            role: e.role.into(),
            areas: e.areas,
            token_expires_at_ms: e.token_expires_at,
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    pub pulled: u64,
    pub applied: u64,
    pub pushed: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub conflicts: u64,
    pub pending: u64,
    pub blobs_uploaded: u64,
    pub blobs_downloaded: u64,
}

/// A change the server refused, kept on the phone with the reason.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RejectedOp {
    pub op_id: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub code: String,
    pub reason: String,
}

/// Two edits of one field that met; `kept` is in the record, `lost` is for review.
/// Values are JSON text.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Conflict {
    pub id: i64,
    pub entity: String,
    pub entity_id: String,
    pub field: String,
    pub kept: String,
    pub kept_device: String,
    pub lost: String,
    pub lost_device: String,
    pub found_at_ms: i64,
    pub reviewed: bool,
}

/// Turns a panic while polling into `Internal`, as `call` does for plain calls.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<T, F: Future<Output = Result<T>>> Future for CatchUnwind<F> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(p) => p,
            Err(_) => Poll::Ready(Err(DoorstepError::Internal {
                message: "internal error: sync panicked".into(),
            })),
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Doorstep {
    /// Trades a one-time enrolment code from the station for this phone's token.
    pub async fn enrol(&self, server: String, code: String) -> Result<Enrolment> {
        let core = self.core();
        CatchUnwind(Box::pin(async move {
            Ok(core.enrol(&server, &code).await?.into())
        }))
        .await
    }

    /// Pulls what this phone may see and pushes what it wrote; safe to call again after
    /// any failure.
    pub async fn sync(&self, progress: Option<Arc<dyn SyncProgress>>) -> Result<SyncReport> {
        let core = self.core();
        CatchUnwind(Box::pin(async move {
            let p = progress.map(|p| Arc::new(Forward(p)) as Arc<dyn s::SyncProgress>);
            let r = core.sync(p).await?;
            Ok(SyncReport {
                pulled: r.pulled,
                applied: r.applied,
                pushed: r.pushed,
                accepted: r.accepted,
                rejected: r.rejected,
                conflicts: r.conflicts,
                pending: r.pending,
                blobs_uploaded: r.blobs_uploaded,
                blobs_downloaded: r.blobs_downloaded,
            })
        }))
        .await
    }
}

#[uniffi::export]
impl Doorstep {
    /// The enrolment, if this phone has one.
    pub fn enrolment(&self) -> Result<Option<Enrolment>> {
        call(|| Ok(self.core().enrolment()?.map(Into::into)))
    }

    /// When the last whole sync ended (ms since epoch), if one did.
    pub fn last_sync_at_ms(&self) -> Result<Option<i64>> {
        call(|| self.core().last_sync_at())
    }

    /// Changes the server refused, oldest first.
    pub fn rejected_ops(&self) -> Result<Vec<RejectedOp>> {
        call(|| {
            Ok(self
                .core()
                .rejected_ops()?
                .into_iter()
                .map(|r| RejectedOp {
                    op_id: r.op_id,
                    entity: r.entity,
                    entity_id: r.entity_id,
                    action: r.action,
                    code: r.code,
                    reason: r.reason,
                })
                .collect())
        })
    }

    /// Sends a refused change again at the next sync.
    pub fn retry_rejected(&self, op_id: String) -> Result<()> {
        call(|| self.core().retry_rejected(&op_id))
    }

    /// Conflicts to review (all of them with `include_reviewed`).
    pub fn conflicts(&self, include_reviewed: bool) -> Result<Vec<Conflict>> {
        call(|| {
            Ok(self
                .core()
                .conflicts(include_reviewed)?
                .into_iter()
                .map(|c| Conflict {
                    id: c.id,
                    entity: c.entity,
                    entity_id: c.entity_id,
                    field: c.field,
                    kept: c.kept,
                    kept_device: c.kept_device,
                    lost: c.lost,
                    lost_device: c.lost_device,
                    found_at_ms: c.found_at,
                    reviewed: c.reviewed,
                })
                .collect())
        })
    }

    /// Marks a conflict reviewed.
    pub fn mark_conflict_reviewed(&self, id: i64) -> Result<()> {
        call(|| self.core().mark_conflict_reviewed(id))
    }
}
