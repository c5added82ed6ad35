//! The blobs stage of a sync: this phone's photos and signatures go up, those named by
//! handoffs it received come down. Both move in parts and resume: an upload asks the
//! server how much of it arrived (`HEAD`, `Upload-Offset`) and goes on from there; a
//! download keeps its parts in the store and asks for the rest with `Range`.

use reqwest::{Method, StatusCode};

use super::client::{Http, Reply};
use super::protocol::MAX_BLOB_BYTES;
use super::{store, SyncOptions, SyncReport, SyncStage};
use crate::deliveries;
use crate::deliveries::proof::sha256_hex;
use crate::error::{Error, Result};
use crate::Doorstep;

/// Most blobs looked at in one sync, each way.
const BLOBS_PER_SYNC: u32 = 10_000;

fn path(hash: &str) -> String {
    format!("/api/v1/blobs/{hash}")
}

impl Doorstep {
    /// Uploads every blob not yet on the server, then fetches those the phone lacks.
    pub(super) async fn sync_blobs(
        &self,
        http: &Http,
        opts: &SyncOptions,
        report: &mut SyncReport,
        tell: &(dyn Fn(SyncStage, u64, u64) + Send + Sync),
    ) -> Result<()> {
        let up = self.pending_blobs(BLOBS_PER_SYNC)?;
        let down = self.read(|c| deliveries::store::missing_blobs(c, BLOBS_PER_SYNC))?;
        let total = (up.len() + down.len()) as u64;
        if total == 0 {
            return Ok(());
        }
        let mut done = 0;
        tell(SyncStage::Blobs, done, total);
        for hash in &up {
            self.upload_blob(http, opts, hash).await?;
            report.blobs_uploaded += 1;
            done += 1;
            tell(SyncStage::Blobs, done, total);
        }
        for hash in &down {
            if self.download_blob(http, opts, hash).await? {
                report.blobs_downloaded += 1;
            }
            done += 1;
            tell(SyncStage::Blobs, done, total);
        }
        Ok(())
    }

    async fn upload_blob(&self, http: &Http, opts: &SyncOptions, hash: &str) -> Result<()> {
        let blob = self.blob(hash)?;
        let path = path(hash);
        let size = blob.bytes.len() as u64;
        let head = http.raw(Method::HEAD, &path, &[], None).await?;
        let mut offset = match head.status {
            StatusCode::OK => {
                self.mark_blob_uploaded(hash)?;
                return Ok(());
            }
            StatusCode::NOT_FOUND => head.header_u64("upload-offset").unwrap_or(0),
            _ => return Err(head.error(&path)),
        };
        let part = u64::from(opts.blob_part.max(1));
        // Each round either moves the offset or ends; a server that keeps sending the
        // phone back would otherwise hold it here for ever.
        for _ in 0..(size / part + 4) * 2 {
            if offset >= size {
                offset = 0;
            }
            let end = (offset + part).min(size);
            let headers = [
                (
                    "content-range",
                    format!("bytes {offset}-{}/{size}", end - 1),
                ),
                ("content-type", blob.mime.clone()),
            ];
            let body = &blob.bytes[offset as usize..end as usize];
            let reply = http.raw(Method::PUT, &path, &headers, Some(body)).await?;
            match reply.status {
                StatusCode::OK | StatusCode::CREATED => {
                    self.mark_blob_uploaded(hash)?;
                    return Ok(());
                }
                StatusCode::ACCEPTED => offset = reply.header_u64("upload-offset").unwrap_or(end),
                // A part that arrived but whose reply was lost: the server says where it is.
                StatusCode::CONFLICT if reply.header_u64("upload-offset").is_some() => {
                    offset = reply.header_u64("upload-offset").unwrap_or(0)
                }
                _ => return Err(reply.error(&path)),
            }
        }
        Err(Error::Network(format!(
            "{path}: the upload of {size} bytes made no progress"
        )))
    }

    /// Fetches one blob into the store; false if the server does not have it yet.
    async fn download_blob(&self, http: &Http, opts: &SyncOptions, hash: &str) -> Result<bool> {
        let path = path(hash);
        let part = u64::from(opts.blob_part.max(1));
        let mut restarted = false;
        loop {
            let have = self.read(|c| store::download_received(c, hash))?;
            if have > MAX_BLOB_BYTES {
                self.with_writer(|c| store::drop_download(c, hash))?;
                return Err(Error::Network(format!(
                    "{path}: more than {MAX_BLOB_BYTES} bytes came for one blob; dropped them"
                )));
            }
            let range = format!("bytes={have}-{}", have + part - 1);
            let reply = http
                .raw(Method::GET, &path, &[("range", range)], None)
                .await?;
            let mime = content_type(&reply);
            match reply.status {
                StatusCode::PARTIAL_CONTENT => {
                    let total = content_range_total(&reply).ok_or_else(|| {
                        Error::Network(format!("{path}: a part came without its Content-Range"))
                    })?;
                    let now = self.clock.now_ms();
                    self.with_writer(|c| {
                        store::add_download_part(c, hash, have, &mime, &reply.body, now)
                    })?;
                    if have + reply.body.len() as u64 >= total || reply.body.is_empty() {
                        break;
                    }
                }
                StatusCode::OK => {
                    // The whole blob at once: what was kept is not needed.
                    let now = self.clock.now_ms();
                    self.with_writer(|c| {
                        store::drop_download(c, hash)?;
                        store::add_download_part(c, hash, 0, &mime, &reply.body, now)
                    })?;
                    break;
                }
                StatusCode::NOT_FOUND => return Ok(false),
                // Kept parts longer than the blob: start again, once.
                StatusCode::RANGE_NOT_SATISFIABLE if !restarted => {
                    restarted = true;
                    self.with_writer(|c| store::drop_download(c, hash))?;
                }
                _ => return Err(reply.error(&path)),
            }
        }
        let (mime, bytes) = self.read(|c| store::download_bytes(c, hash))?;
        let actual = sha256_hex(&bytes);
        if actual != hash {
            self.with_writer(|c| store::drop_download(c, hash))?;
            return Err(Error::Network(format!(
                "{path}: the {} bytes received have SHA-256 {actual}; dropped them",
                bytes.len()
            )));
        }
        let now = self.clock.now_ms();
        self.with_writer(|c| {
            let tx = crate::store::immediate(c)?;
            deliveries::store::put_fetched_blob(&tx, hash, &mime, &bytes, now)?;
            store::drop_download(&tx, hash)?;
            tx.commit()?;
            Ok(())
        })?;
        Ok(true)
    }
}

fn content_type(reply: &Reply) -> String {
    reply
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string()
}

/// TOTAL of `Content-Range: bytes START-END/TOTAL`.
fn content_range_total(reply: &Reply) -> Option<u64> {
    let v = reply.headers.get("content-range")?.to_str().ok()?;
    v.rsplit_once('/')?.1.trim().parse().ok()
}
