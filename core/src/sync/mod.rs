//! The phone's sync client: enrolment, then push of unacknowledged ops and pull of what
//! the device's role and areas may see, over HTTP with retries. Everything is resumable:
//! acknowledgements and the pull cursor are committed with the data they cover, so an
//! interrupted sync picks up where it stopped and a repeated one changes nothing.

mod blobs;
mod client;
pub mod protocol;
mod store;

use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};

pub use protocol::Role;
use protocol::{EnrolReply, EnrolRequest, OpVerdict, PullReply, PushReply, PushRequest};

use crate::error::{Error, Result};
use crate::log::{self, Applied, ConflictWatch, Hlc, Op};
use crate::{Cancel, Doorstep, SCHEMA};
use client::Http;

/// Where a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum SyncStage {
    /// Fetching and applying what others wrote.
    Pull,
    /// Sending this device's ops.
    Push,
    /// Uploading this device's photos and signatures, fetching those it lacks.
    Blobs,
    /// Finished.
    Done,
}

/// Told about progress during a sync; the apps show it.
pub trait SyncProgress: Send + Sync {
    /// `done` items of the stage so far; `total` when known (pending ops for a push,
    /// blobs to move), else 0.
    fn progress(&self, stage: SyncStage, done: u64, total: u64);
}

/// Knobs of a sync; the defaults suit a phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOptions {
    /// Ops per push.
    pub push_batch: u32,
    /// Ops per pull page.
    pub pull_page: u32,
    /// Tries per request before giving up.
    pub attempts: u32,
    /// First pause between tries, doubled each time up to `max_backoff_ms`.
    pub backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Time limit of one request.
    pub timeout_ms: u64,
    /// Bytes of a blob per request, up or down: what an interruption can cost.
    pub blob_part: u32,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            push_batch: 500,
            pull_page: 2_000,
            attempts: 5,
            backoff_ms: 250,
            max_backoff_ms: 8_000,
            timeout_ms: 30_000,
            blob_part: 256 * 1024,
        }
    }
}

/// This device's enrolment, as the server granted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Enrolment {
    pub server: String,
    pub device_id: String,
    pub user: String,
    pub role: Role,
    pub areas: Vec<String>,
    /// When the device token stops working (ms since the epoch); enrol again before.
    // Stored under its first name.
    #[serde(rename = "token_expires_at")]
    pub token_expires_at_ms: i64,
}

/// What one sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SyncReport {
    /// Ops received.
    pub pulled: u64,
    /// Of those, new to this device.
    pub applied: u64,
    /// Ops sent (a resent batch counts again).
    pub pushed: u64,
    /// Ops the server stored.
    pub accepted: u64,
    /// Ops the server refused; they stay, listed by `rejected_ops`.
    pub rejected: u64,
    /// Edits that met a concurrent edit, listed by `conflicts`.
    pub conflicts: u64,
    /// Local ops still waiting for the server.
    pub pending: u64,
    /// Photos and signatures sent to the server.
    pub blobs_uploaded: u64,
    /// Photos and signatures fetched from it.
    pub blobs_downloaded: u64,
}

/// A local op the server refused, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct RejectedOp {
    pub op_id: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub code: String,
    pub reason: String,
}

/// Two edits of one field that met; `kept` is in the row, `lost` waits for review.
/// Values are JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Conflict {
    pub id: i64,
    pub entity: String,
    pub entity_id: String,
    pub field: String,
    pub kept: String,
    pub kept_hlc: Hlc,
    pub kept_device: String,
    pub lost: String,
    pub lost_hlc: Hlc,
    pub lost_device: String,
    pub found_at_ms: i64,
    pub reviewed: bool,
}

impl Doorstep {
    /// Trades a one-time enrolment code for a device token, and keeps server, token and
    /// scope in the store. Ops are then written as the enrolled user.
    pub async fn enrol(&self, server: &str, code: &str) -> Result<Enrolment> {
        let http = Http::new(server, None, SyncOptions::default())?;
        // A device enrolled before proves it holds its token, without sending it.
        let renewal = self
            .read(|c| store::get(c, "token"))?
            .map(|t| protocol::renewal_proof(&protocol::token_hash(&t), code));
        let req = EnrolRequest {
            code: code.to_string(),
            device_id: self.device_id(),
            renewal,
        };
        let reply: EnrolReply = http.call(Method::POST, "/api/v1/enrol", Some(&req)).await?;
        if reply.device_id != req.device_id {
            return Err(Error::Network(format!(
                "the server enrolled device {}, not this one ({})",
                reply.device_id, req.device_id
            )));
        }
        let enrolment = Enrolment {
            server: server.trim_end_matches('/').to_string(),
            device_id: reply.device_id,
            user: reply.user.clone(),
            role: reply.role,
            areas: reply.areas,
            token_expires_at_ms: reply.token_expires_at,
        };
        {
            let mut st = self.lock();
            let tx = crate::store::immediate(&st.conn)?;
            store::set(&tx, "enrolment", &serde_json::to_string(&enrolment)?)?;
            store::set(&tx, "token", &reply.token)?;
            crate::store::meta_set(&tx, "user", &reply.user)?;
            tx.commit()?;
            st.user = reply.user;
        }
        Ok(enrolment)
    }

    /// The enrolment, if this device has one.
    pub fn enrolment(&self) -> Result<Option<Enrolment>> {
        self.read(|c| match store::get(c, "enrolment")? {
            Some(s) => Ok(Some(serde_json::from_str(&s)?)),
            None => Ok(None),
        })
    }

    /// When the last sync that finished whole ended (ms since epoch), if any did: what a
    /// phone shows as "last sync".
    pub fn last_sync_at(&self) -> Result<Option<i64>> {
        // Only `sync_with` writes it, as a number; anything else reads as never.
        self.read(|c| Ok(store::get(c, "last_sync_at")?.and_then(|s| s.parse().ok())))
    }

    /// Syncs with the station server with the default options.
    pub async fn sync(&self, progress: Option<Arc<dyn SyncProgress>>) -> Result<SyncReport> {
        self.sync_with(SyncOptions::default(), progress).await
    }

    /// Pulls what this device may see, then pushes its own ops, then pulls again for
    /// what arrived meanwhile, then moves blobs both ways. Pulling first lets edits of
    /// this device still waiting for the server be seen meeting concurrent ones (see
    /// `conflicts`).
    pub async fn sync_with(
        &self,
        opts: SyncOptions,
        progress: Option<Arc<dyn SyncProgress>>,
    ) -> Result<SyncReport> {
        self.sync_cancellable(opts, progress, &Cancel::new()).await
    }

    /// `sync_with` that stops with `Error::Cancelled` as soon as `cancel` is cancelled,
    /// at its next await (a request or a pause between tries): pages pulled and applied,
    /// and ops the server acknowledged, stay; the rest goes at the next sync.
    pub async fn sync_cancellable(
        &self,
        opts: SyncOptions,
        progress: Option<Arc<dyn SyncProgress>>,
        cancel: &Cancel,
    ) -> Result<SyncReport> {
        let enrolment = self
            .enrolment()?
            .ok_or_else(|| Error::invalid("this device is not enrolled; call enrol first"))?;
        let token = self.read(|c| store::get(c, "token"))?;
        let http = Http::new(&enrolment.server, token, opts)?.with_cancel(cancel);
        let tell = |stage, done, total| {
            if let Some(p) = &progress {
                p.progress(stage, done, total);
            }
        };
        let mut report = SyncReport::default();
        tracing::info!(target: "doorstep::sync", "sync started");
        let stages = async {
            self.pull_all(&http, &opts, &mut report, &tell).await?;
            self.push_all(&http, &opts, &mut report, &tell).await?;
            self.pull_all(&http, &opts, &mut report, &tell).await?;
            self.sync_blobs(&http, &opts, &mut report, &tell).await
        };
        if let Err(e) = cancel.or_cancelled(stages).await {
            tracing::warn!(target: "doorstep::sync", error = e.code(), "sync stopped");
            return Err(e);
        }
        report.pending = self.pending_op_count()?;
        tracing::info!(
            target: "doorstep::sync",
            pulled = report.pulled,
            applied = report.applied,
            pushed = report.pushed,
            accepted = report.accepted,
            rejected = report.rejected,
            conflicts = report.conflicts,
            pending = report.pending,
            blobs_uploaded = report.blobs_uploaded,
            blobs_downloaded = report.blobs_downloaded,
            "sync done"
        );
        self.with_writer(|c| store::set(c, "last_sync_at", &self.clock.now_ms().to_string()))?;
        tell(SyncStage::Done, report.accepted + report.applied, 0);
        Ok(report)
    }

    async fn pull_all(
        &self,
        http: &Http,
        opts: &SyncOptions,
        report: &mut SyncReport,
        tell: &(dyn Fn(SyncStage, u64, u64) + Send + Sync),
    ) -> Result<()> {
        let mut reset = false;
        loop {
            let cursor = self.read(store::cursor)?;
            let path = format!("/api/v1/pull?after={cursor}&limit={}", opts.pull_page);
            let page: PullReply = http.call::<(), _>(Method::GET, &path, None).await?;
            if page.reset {
                // The server holds less than this device has seen (restored from an older
                // backup): start over from 0; what is here already applies as duplicates.
                if reset || cursor == 0 {
                    return Err(Error::Network(format!(
                        "the server asked to start the pull over again from cursor {cursor}"
                    )));
                }
                reset = true;
                self.apply_page(&[], 0)?;
                continue;
            }
            if page.cursor < cursor {
                return Err(Error::Network(format!(
                    "the server moved the cursor back from {cursor} to {}",
                    page.cursor
                )));
            }
            report.pulled += page.ops.len() as u64;
            let (applied, conflicts) = self.apply_page(&page.ops, page.cursor)?;
            tracing::debug!(
                target: "doorstep::sync",
                ops = page.ops.len(),
                applied,
                conflicts,
                cursor = page.cursor,
                "pulled a page"
            );
            report.applied += applied;
            report.conflicts += conflicts;
            tell(SyncStage::Pull, report.pulled, 0);
            if !page.more {
                return Ok(());
            }
        }
    }

    async fn push_all(
        &self,
        http: &Http,
        opts: &SyncOptions,
        report: &mut SyncReport,
        tell: &(dyn Fn(SyncStage, u64, u64) + Send + Sync),
    ) -> Result<()> {
        let total = self.pending_op_count()?;
        let mut done = 0;
        let mut after = 0;
        loop {
            let batch = self.read(|c| log::pending_after(c, after, opts.push_batch.max(1)))?;
            let Some((last, _)) = batch.last() else {
                return Ok(());
            };
            after = *last;
            let ops: Vec<Op> = batch.into_iter().map(|(_, op)| op).collect();
            let sent = ops.len() as u64;
            let reply: PushReply = http
                .call(Method::POST, "/api/v1/push", Some(&PushRequest { ops }))
                .await?;
            let (accepted, rejected) = self.record_push_results(&reply.results)?;
            tracing::debug!(target: "doorstep::sync", sent, accepted, rejected, "pushed a batch");
            for r in &reply.results {
                // The code only: the reason may quote the refused value.
                if let OpVerdict::Rejected { code, .. } = &r.verdict {
                    tracing::warn!(target: "doorstep::sync", op_id = %r.op_id, code = %code, "op refused by the server");
                }
            }
            report.pushed += sent;
            report.accepted += accepted;
            report.rejected += rejected;
            done += accepted + rejected;
            tell(SyncStage::Push, done, total);
        }
    }

    /// Records the server's verdicts on pushed ops: accepted ones are acknowledged,
    /// rejected ones keep their reason, deferred ones stay pending. Returns (accepted,
    /// rejected). One step of `sync`, public so tests can drive sync without HTTP.
    pub fn record_push_results(&self, results: &[protocol::OpResult]) -> Result<(u64, u64)> {
        self.with_writer(|c| {
            let tx = crate::store::immediate(c)?;
            let counts = store::record_results(&tx, results)?;
            tx.commit()?;
            Ok(counts)
        })
    }

    /// Applies one pulled page and moves the cursor in the same transaction, so a crash
    /// between pages repeats at most one page, which applies as duplicates. Returns (new
    /// ops, conflicts found). One step of `sync`, public so tests can drive it directly.
    pub fn apply_page(&self, ops: &[Op], cursor: i64) -> Result<(u64, u64)> {
        let now = self.clock.now_ms();
        let mut guard = self.lock();
        let st = &mut *guard;
        let tx = crate::store::immediate(&st.conn)?;
        let mut hlc = st.hlc;
        let mut watch = ConflictWatch::default();
        let mut applied = 0;
        for op in ops {
            if log::apply_watching(&tx, SCHEMA, op, &self.device, Some(&mut watch))? == Applied::New
            {
                applied += 1;
            }
            hlc = hlc.observe(op.hlc);
        }
        log::settle(&tx)?;
        store::add_conflicts(&tx, &watch.found, now)?;
        let conflicts = watch.found.len() as u64;
        store::set(&tx, "cursor", &cursor.to_string())?;
        crate::store::meta_set(&tx, "hlc", &hlc.as_i64().to_string())?;
        tx.commit()?;
        st.hlc = hlc;
        let _ = self.store_parked(st);
        drop(guard);
        self.note_ops(ops);
        Ok((applied, conflicts))
    }

    /// Local ops the server refused, oldest first, each with its reason.
    pub fn rejected_ops(&self) -> Result<Vec<RejectedOp>> {
        self.read(store::rejected)
    }

    /// Queues a rejected op again (say, after the device's areas were widened).
    pub fn retry_rejected(&self, op_id: &str) -> Result<()> {
        if self.with_writer(|c| store::retry_rejected(c, op_id))? {
            Ok(())
        } else {
            Err(Error::not_found("rejected op", op_id))
        }
    }

    /// Conflicts waiting for review (with `include_reviewed`, all of them), oldest first.
    pub fn conflicts(&self, include_reviewed: bool) -> Result<Vec<Conflict>> {
        self.read(|c| store::conflicts(c, include_reviewed))
    }

    /// Marks a conflict reviewed; it stays in the list of all conflicts.
    pub fn mark_conflict_reviewed(&self, id: i64) -> Result<()> {
        if self.with_writer(|c| store::mark_reviewed(c, id))? {
            Ok(())
        } else {
            Err(Error::not_found("conflict", id.to_string()))
        }
    }

    /// The pull cursor: the server sequence up to which this device is up to date.
    pub fn sync_cursor(&self) -> Result<i64> {
        self.read(store::cursor)
    }
}
