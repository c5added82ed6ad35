//! Blobs (handoff photos and signatures) under `/api/v1/blobs/{sha256}`, addressed by
//! the SHA-256 of their bytes.
//!
//! Upload is resumable: `PUT` sends the whole blob, or one part of it with
//! `Content-Range: bytes START-END/TOTAL`; each part must start where this device's
//! upload stands (`HEAD` says, in `Upload-Offset`). When the last byte arrives the
//! server checks the SHA-256 and keeps the blob, or drops the upload if it differs.
//! Download is `GET`, with `Range: bytes=START-` (or `START-END`) to resume. A device
//! may fetch a blob it uploaded, or one named by an op it may pull.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use doorstep_core::deliveries::proof::{is_sha256_hex, sha256_hex};
use doorstep_core::sync::protocol::{BlobUpload, ErrorBody, MAX_BLOB_BYTES};

use super::routes::Authed;
use super::scope;
use crate::error::ApiError;
use crate::storage::UploadPart;
use crate::AppState;

/// Header that tells how many bytes of this device's upload the server holds.
pub const UPLOAD_OFFSET: &str = "upload-offset";

fn check_hash(hash: &str) -> Result<(), ApiError> {
    if is_sha256_hex(hash) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{hash:?} is not a blob address (64 lowercase hex digits of SHA-256)"
        )))
    }
}

fn too_large(size: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "blob_too_large",
        format!("a blob of {size} bytes is larger than the limit of {MAX_BLOB_BYTES} bytes"),
    )
}

fn with_offset(mut resp: Response, received: u64) -> Response {
    resp.headers_mut()
        .insert(UPLOAD_OFFSET, HeaderValue::from(received));
    resp
}

/// Whether the server holds a blob (200 with its size and type) or not (404); either
/// way `Upload-Offset` says how much of this device's upload it holds.
#[utoipa::path(head, path = "/api/v1/blobs/{sha256}", tag = "sync",
    params(("sha256" = String, Path, description = "SHA-256 of the bytes, 64 lowercase hex digits", pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "stored",
                headers(("Upload-Offset" = u64, description = "the blob's size"),
                        ("Content-Length" = u64, description = "the blob's size"))),
              (status = 400, description = "bad_request: not a blob address"),
              (status = 401, description = "token_missing, token_unknown, token_revoked or token_expired"),
              (status = 404, description = "not stored",
                headers(("Upload-Offset" = u64, description = "bytes of this device's unfinished upload (0 if none)"))),
              (status = 503, description = "storage: the station's storage failed; try again")),
    security(("bearer" = [])))]
pub async fn head(
    State(state): State<AppState>,
    Authed(device): Authed,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    check_hash(&hash)?;
    if let Some(meta) = state.store.blob_meta(&hash).await? {
        let mut resp = StatusCode::OK.into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.size));
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Ok(v) = HeaderValue::from_str(&meta.mime) {
            h.insert(header::CONTENT_TYPE, v);
        }
        return Ok(with_offset(resp, meta.size));
    }
    let received = state
        .store
        .upload_received(&hash, &device.device_id)
        .await?;
    Ok(with_offset(StatusCode::NOT_FOUND.into_response(), received))
}

/// A parsed `Content-Range: bytes START-END/TOTAL`.
fn content_range(headers: &HeaderMap) -> Result<Option<(u64, u64, u64)>, ApiError> {
    let Some(v) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::bad_request(format!(
            "Content-Range {v:?} is not `bytes START-END/TOTAL` with START <= END < TOTAL"
        ))
    };
    let text = v.to_str().map_err(|_| bad())?;
    let (range, total) = text
        .strip_prefix("bytes ")
        .and_then(|r| r.split_once('/'))
        .ok_or_else(bad)?;
    let (start, end) = range.split_once('-').ok_or_else(bad)?;
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    let (start, end, total) = (num(start)?, num(end)?, num(total)?);
    if start > end || end >= total {
        return Err(bad());
    }
    Ok(Some((start, end, total)))
}

/// Uploads a blob, whole or one part at a time (`Content-Range`). 201 when the last part
/// completes it and its SHA-256 matches; 202 while parts are missing; 200 if the server
/// had it already.
#[utoipa::path(put, path = "/api/v1/blobs/{sha256}", tag = "sync",
    params(("sha256" = String, Path, description = "SHA-256 of the whole blob, 64 lowercase hex digits", pattern = "^[0-9a-f]{64}$"),
           ("Content-Range" = Option<String>, Header, description = "`bytes START-END/TOTAL` for a part; START must equal Upload-Offset, END - START + 1 the body's length",
            pattern = "^bytes [0-9]{1,15}-[0-9]{1,15}/[0-9]{1,15}$")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the bytes (Content-Type image/jpeg or image/png is kept)"),
    responses((status = 201, description = "stored, hash checked", body = BlobUpload,
                headers(("Upload-Offset" = u64, description = "bytes held: the whole blob"))),
              (status = 202, description = "part kept, more expected", body = BlobUpload,
                headers(("Upload-Offset" = u64, description = "where the next part starts"))),
              (status = 200, description = "already stored, nothing changed", body = BlobUpload,
                headers(("Upload-Offset" = u64, description = "the blob's size"))),
              (status = 400, description = "bad_request: not a blob address, an empty blob, a Content-Range that is malformed or does not match the body", body = ErrorBody),
              (status = 401, description = "token_missing, token_unknown, token_revoked or token_expired", body = ErrorBody),
              (status = 408, description = "timeout: the body stopped arriving", body = ErrorBody),
              (status = 409, description = "upload_offset: the part does not start at Upload-Offset; upload_length: another total than the upload's first part", body = ErrorBody,
                headers(("Upload-Offset" = u64, description = "where the next part must start (upload_offset)"))),
              (status = 413, description = "blob_too_large: over 10 MiB", body = ErrorBody),
              (status = 422, description = "blob_hash_mismatch: the bytes have another SHA-256; nothing kept", body = ErrorBody),
              (status = 503, description = "storage: the station's storage failed; try again", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put(
    State(state): State<AppState>,
    Authed(device): Authed,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    check_hash(&hash)?;
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "blob_too_large",
                format!("the body is larger than the limit of {MAX_BLOB_BYTES} bytes"),
            )
        } else {
            ApiError::bad_request(r.body_text())
        }
    })?;
    let (start, total) = match content_range(&headers)? {
        Some((start, end, total)) => {
            if total > MAX_BLOB_BYTES {
                return Err(too_large(total));
            }
            if end - start + 1 != body.len() as u64 {
                return Err(ApiError::bad_request(format!(
                    "Content-Range names {} bytes but the body has {}",
                    end - start + 1,
                    body.len()
                )));
            }
            (start, total)
        }
        None => (0, body.len() as u64),
    };
    if total > MAX_BLOB_BYTES {
        return Err(too_large(total));
    }
    if total == 0 {
        return Err(ApiError::bad_request("a blob has at least one byte"));
    }
    let reply = |status: StatusCode, received: u64, complete: bool| {
        let body = BlobUpload {
            hash: hash.clone(),
            received,
            total,
            complete,
        };
        with_offset((status, Json(body)).into_response(), received)
    };
    if let Some(meta) = state.store.blob_meta(&hash).await? {
        let body = BlobUpload {
            hash: hash.clone(),
            received: meta.size,
            total: meta.size,
            complete: true,
        };
        return Ok(with_offset(Json(body).into_response(), meta.size));
    }
    // Only the types phones make are served back as such.
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|m| matches!(*m, "image/jpeg" | "image/png"))
        .unwrap_or("application/octet-stream");
    let now = state.clock.now_ms();
    let received = match state
        .store
        .append_upload(UploadPart {
            hash: hash.clone(),
            device: device.device_id.clone(),
            offset: start,
            total,
            mime: mime.to_string(),
            bytes: body.to_vec(),
            now_ms: now,
        })
        .await
    {
        Ok(r) => r,
        Err(e @ crate::storage::StoreError::UploadOffset { received }) => {
            return Ok(with_offset(ApiError::from(e).into_response(), received));
        }
        Err(e) => return Err(e.into()),
    };
    if received < total {
        return Ok(reply(StatusCode::ACCEPTED, received, false));
    }
    let bytes = state.store.upload_bytes(&hash, &device.device_id).await?;
    let actual = sha256_hex(&bytes);
    if actual != hash {
        state
            .store
            .finish_upload(&hash, &device.device_id, None, now)
            .await?;
        tracing::warn!(device = %device.device_id, %hash, %actual, "blob hash mismatch");
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "blob_hash_mismatch",
            format!(
                "the {} bytes sent have SHA-256 {actual}, not {hash}; the upload was dropped",
                bytes.len()
            ),
        ));
    }
    state
        .store
        .finish_upload(&hash, &device.device_id, Some((mime, &bytes)), now)
        .await?;
    tracing::info!(device = %device.device_id, %hash, size = total, "blob stored");
    Ok(reply(StatusCode::CREATED, total, true))
}

/// A parsed `Range: bytes=START-[END]` or `bytes=-SUFFIX` against `size`: the first byte
/// and the count, or `None` when it cannot be met.
fn byte_range(v: &str, size: u64) -> Option<(u64, u64)> {
    let spec = v.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (size.checked_sub(n.min(size))?, size.checked_sub(1)?)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            size.checked_sub(1)?
        } else {
            b.parse::<u64>().ok()?.min(size.checked_sub(1)?)
        };
        (start, end)
    };
    (start <= end && start < size).then(|| (start, end - start + 1))
}

/// A blob's bytes, all of them or (`Range`) from where an interrupted download stopped.
#[utoipa::path(get, path = "/api/v1/blobs/{sha256}", tag = "sync",
    params(("sha256" = String, Path, description = "SHA-256 of the bytes, 64 lowercase hex digits", pattern = "^[0-9a-f]{64}$"),
           ("Range" = Option<String>, Header, description = "`bytes=START-`, `bytes=START-END` or `bytes=-N`")),
    responses((status = 200, description = "the bytes",
                content((Vec<u8> = "application/octet-stream"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"))),
              (status = 206, description = "the range asked for",
                content((Vec<u8> = "application/octet-stream"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png")),
                headers(("Content-Range" = String, description = "`bytes START-END/SIZE`"))),
              (status = 400, description = "bad_request: not a blob address", body = ErrorBody),
              (status = 401, description = "token_missing, token_unknown, token_revoked or token_expired", body = ErrorBody),
              (status = 403, description = "blob_forbidden: no op this device may pull names it", body = ErrorBody),
              (status = 404, description = "blob_unknown: not stored (yet)", body = ErrorBody),
              (status = 416, description = "range_not_satisfiable", body = ErrorBody,
                headers(("Content-Range" = String, description = "`bytes */SIZE`"))),
              (status = 503, description = "storage: the station's storage failed; try again", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Authed(device): Authed,
    Path(hash): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_hash(&hash)?;
    let meta = state.store.blob_meta(&hash).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "blob_unknown",
            format!("blob {hash} is not stored"),
        )
    })?;
    let filter = scope::pull_filter(&device);
    if !state
        .store
        .blob_readable(&hash, &device.device_id, &filter)
        .await?
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "blob_forbidden",
            format!("no record this device may receive names blob {hash}"),
        ));
    }
    let range = match headers.get(header::RANGE) {
        None => None,
        Some(v) => {
            let parsed = v.to_str().ok().and_then(|v| byte_range(v, meta.size));
            match parsed {
                Some(r) => Some(r),
                None => {
                    let mut resp = ApiError::new(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        "range_not_satisfiable",
                        format!("range {v:?} does not fit a blob of {} bytes", meta.size),
                    )
                    .into_response();
                    if let Ok(cr) = HeaderValue::from_str(&format!("bytes */{}", meta.size)) {
                        resp.headers_mut().insert(header::CONTENT_RANGE, cr);
                    }
                    return Ok(resp);
                }
            }
        }
    };
    let (start, len) = range.unwrap_or((0, meta.size));
    let bytes = state
        .store
        .blob_range(&hash, start, len)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "blob_unknown", "blob vanished"))?;
    let status = if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut resp = (status, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&meta.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if range.is_some() {
        let cr = format!("bytes {start}-{}/{}", start + len - 1, meta.size);
        if let Ok(v) = HeaderValue::from_str(&cr) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::byte_range;

    #[test]
    fn sync_blob_ranges_parse() {
        assert_eq!(byte_range("bytes=0-", 10), Some((0, 10)));
        assert_eq!(byte_range("bytes=4-", 10), Some((4, 6)));
        assert_eq!(byte_range("bytes=4-5", 10), Some((4, 2)));
        assert_eq!(byte_range("bytes=4-99", 10), Some((4, 6)));
        assert_eq!(byte_range("bytes=-3", 10), Some((7, 3)));
        assert_eq!(byte_range("bytes=10-", 10), None);
        assert_eq!(byte_range("bytes=5-4", 10), None);
        assert_eq!(byte_range("items=0-", 10), None);
    }
}
