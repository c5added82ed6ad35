//! Cancelling a long call: the caller keeps a `Cancel` and may cancel it from any
//! thread; the call checks it between steps and stops with `Error::Cancelled`, leaving
//! the store as it was before the call (or, for a sync, with what it had committed).

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;

use tokio::sync::Notify;

use crate::{Error, Result};

/// A cancel flag shared between a long call and whoever may stop it. Clones share the
/// flag; once cancelled it stays cancelled.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    flag: AtomicBool,
    notify: Notify,
}

impl Cancel {
    /// A flag not yet cancelled.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the call to stop; it does at its next step. Safe from any thread, any number
    /// of times.
    pub fn cancel(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst)
    }

    /// `Err(Error::Cancelled)` once cancelled: the check a long call makes between steps.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Resolves when `cancel` is called (at once if it was).
    pub async fn cancelled(&self) {
        let mut notified = pin!(self.0.notify.notified());
        // Registered before the flag is read, so a cancel in between is not missed.
        notified.as_mut().enable();
        if self.is_cancelled() {
            return;
        }
        notified.await;
    }

    /// Runs `work` until it ends or this is cancelled, whichever comes first; on cancel
    /// `work` is dropped at its current await point.
    pub async fn or_cancelled<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        let mut work = pin!(work);
        let mut stop = pin!(self.cancelled());
        std::future::poll_fn(|cx| {
            if stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(Error::Cancelled));
            }
            work.as_mut().poll(cx)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_fails_only_after_cancel_and_clones_share_the_flag() {
        let c = Cancel::new();
        let kept = c.clone();
        assert!(c.check().is_ok());
        kept.cancel();
        assert!(matches!(c.check(), Err(Error::Cancelled)));
        kept.cancel();
        assert!(c.is_cancelled());
    }

    #[test]
    fn a_cancel_from_another_thread_stops_a_pending_future() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let c = Cancel::new();
        let other = c.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            other.cancel();
        });
        let out: Result<()> = rt.block_on(c.or_cancelled(std::future::pending()));
        t.join().unwrap();
        assert!(matches!(out, Err(Error::Cancelled)));
        // Already cancelled: resolves at once.
        let again: Result<u8> = rt.block_on(c.or_cancelled(async { Ok(1) }));
        assert!(matches!(again, Err(Error::Cancelled)));
    }
}
