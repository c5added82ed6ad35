//! The cancel handle the apps pass to long calls.

use std::sync::Arc;

use doorstep_core as core;

/// Cancels a long call (`import_csv`, `pass_sheet`, `sync`): make one, pass it to the
/// call, keep it, and `cancel()` it from any thread. The call then fails with
/// `Cancelled` and leaves the store as before it (a sync keeps what it had committed).
#[derive(uniffi::Object, Default)]
pub struct CancelHandle {
    inner: core::Cancel,
}

#[uniffi::export]
impl CancelHandle {
    /// A handle not yet cancelled.
    #[uniffi::constructor]
    pub fn new() -> Arc<CancelHandle> {
        Arc::new(CancelHandle::default())
    }

    /// Asks the call to stop. Does not block; safe from any thread, any number of times.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether `cancel` was called. Does not block.
    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

/// Core's flag behind an optional handle; without one, a flag nobody cancels.
pub(crate) fn flag(handle: Option<&Arc<CancelHandle>>) -> core::Cancel {
    handle.map(|h| h.inner.clone()).unwrap_or_default()
}
