//! Sync as the apps see it: `enrol` and `sync` are async (`suspend` in Kotlin, `async` in
//! Swift) and do their work on a thread of their own; progress comes through a trait the
//! app implements.

use std::future::Future;
use std::sync::Arc;

use doorstep_core as core;
use doorstep_core::sync::{Conflict, Enrolment, RejectedOp, SyncReport, SyncStage};

use crate::cancel::{flag, CancelHandle};
use crate::{call, internal, Doorstep, DoorstepError, Result};

/// The app's progress listener.
#[uniffi::export(with_foreign)]
pub trait SyncProgress: Send + Sync {
    /// `done` items of `stage` so far; `total` when known, else 0. Called on the sync's
    /// own thread, never the caller's: hop to the UI thread to show it.
    fn progress(&self, stage: SyncStage, done: u64, total: u64);
}

struct Forward(Arc<dyn SyncProgress>);

impl core::sync::SyncProgress for Forward {
    fn progress(&self, stage: SyncStage, done: u64, total: u64) {
        self.0.progress(stage, done, total);
    }
}

/// Runs `work` to completion on a new thread with a runtime of its own, so its SQLite
/// work never runs on the thread that awaits it (uniffi polls futures on the caller's
/// thread, which may be the UI's). A panic comes back as `Internal`.
async fn on_own_thread<T, F, Fut>(name: &str, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = core::Result<T>>,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("doorstep-{name}"))
        .spawn(move || {
            let run = || -> Result<T> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| DoorstepError::Internal {
                        message: format!("internal error: no runtime for {e}"),
                    })?;
                rt.block_on(work()).map_err(Into::into)
            };
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
                .unwrap_or_else(|panic| Err(internal(panic)));
            // The caller may have stopped waiting; nothing is lost, the work is done.
            let _ = tx.send(out);
        });
    if let Err(e) = spawned {
        return Err(DoorstepError::Internal {
            message: format!("internal error: cannot start the {name} thread: {e}"),
        });
    }
    rx.await.unwrap_or_else(|_| {
        Err(DoorstepError::Internal {
            message: format!("internal error: the {name} thread ended without a result"),
        })
    })
}

#[uniffi::export]
impl Doorstep {
    /// Trades a one-time enrolment code from the station for this phone's token. Async:
    /// the request runs on a thread of its own, up to a few tries of 30 s each.
    pub async fn enrol(&self, server: String, code: String) -> Result<Enrolment> {
        let core = self.inner.clone();
        on_own_thread(
            "enrol",
            move || async move { core.enrol(&server, &code).await },
        )
        .await
    }

    /// Pulls what this phone may see and pushes what it wrote; safe to call again after
    /// any failure. Async: the whole sync (network and SQLite) runs on a thread of its
    /// own, seconds to minutes; `progress` is called on that thread. A `cancel` cancelled
    /// meanwhile makes it fail with `Cancelled` at its next request; what it had
    /// committed stays.
    #[uniffi::method(default(progress = None, cancel = None))]
    pub async fn sync(
        &self,
        progress: Option<Arc<dyn SyncProgress>>,
        cancel: Option<Arc<CancelHandle>>,
    ) -> Result<SyncReport> {
        let core = self.inner.clone();
        let cancel = flag(cancel.as_ref());
        on_own_thread("sync", move || async move {
            let p = progress.map(|p| Arc::new(Forward(p)) as Arc<dyn core::sync::SyncProgress>);
            core.sync_cancellable(core::sync::SyncOptions::default(), p, &cancel)
                .await
        })
        .await
    }

    /// The enrolment, if this phone has one. A read.
    pub fn enrolment(&self) -> Result<Option<Enrolment>> {
        call(|| self.core().enrolment())
    }

    /// When the last whole sync ended (ms since epoch), if one did. A read.
    pub fn last_sync_at(&self) -> Result<Option<i64>> {
        call(|| self.core().last_sync_at())
    }

    /// Changes the server refused, oldest first. A read.
    pub fn rejected_ops(&self) -> Result<Vec<RejectedOp>> {
        call(|| self.core().rejected_ops())
    }

    /// Sends a refused change again at the next sync. A write.
    pub fn retry_rejected(&self, op_id: String) -> Result<()> {
        call(|| self.core().retry_rejected(&op_id))
    }

    /// Conflicts to review (all of them with `include_reviewed`). A read.
    pub fn conflicts(&self, include_reviewed: bool) -> Result<Vec<Conflict>> {
        call(|| self.core().conflicts(include_reviewed))
    }

    /// Marks a conflict reviewed. A write.
    pub fn mark_conflict_reviewed(&self, id: i64) -> Result<()> {
        call(|| self.core().mark_conflict_reviewed(id))
    }
}
