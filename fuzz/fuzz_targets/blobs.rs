//! Resumable blob transfer through the server's real router: a run of `PUT`s with
//! `Content-Range` headers (well formed around the blob's size, or any bytes), `HEAD`s
//! and `GET`s with `Range` headers, by an enrolled phone against a copy of the demo
//! station. Nothing may panic or answer 5xx; a part's `Upload-Offset` never passes its
//! total; a 206 carries a `Content-Range` that matches its body; and whatever the server
//! serves whole hashes to the address it is stored under.
#![no_main]

use std::sync::Arc;

use arbitrary::{Result as ArbResult, Unstructured};
use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use doorstep_core::deliveries::proof::sha256_hex;
use doorstep_core::sync::protocol::BlobUpload;
use doorstep_core::ManualClock;
use doorstep_fuzz::{fixture, FUZZ_TOKEN, NOW};
use doorstep_server::storage::SqliteStorage;
use doorstep_server::AppState;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

/// A number near the blob's size, or any.
fn near(u: &mut Unstructured, len: u64) -> ArbResult<u64> {
    Ok(match u.int_in_range(0..=5)? {
        0 => 0,
        1 => len,
        2 => len.saturating_sub(1),
        3 => u.int_in_range(0..=len + 2)?,
        4 => *u.choose(&[u64::MAX, u64::MAX - 1, 1 << 53, 10 * 1024 * 1024 + 1])?,
        _ => u.arbitrary()?,
    })
}

/// A header value: made to the grammar, or any bytes.
fn header_value(u: &mut Unstructured, grammar: String) -> ArbResult<Option<HeaderValue>> {
    if u.ratio(3, 4)? {
        Ok(HeaderValue::from_str(&grammar).ok())
    } else {
        let raw: &[u8] = u.arbitrary()?;
        Ok(HeaderValue::from_bytes(raw).ok())
    }
}

enum Step {
    Put {
        range: Option<HeaderValue>,
        body: Vec<u8>,
        mime: &'static str,
    },
    Head,
    Get {
        range: Option<HeaderValue>,
    },
}

fn steps(u: &mut Unstructured, blob: &[u8]) -> ArbResult<Vec<Step>> {
    let len = blob.len() as u64;
    let mut out = Vec::new();
    for _ in 0..u.int_in_range(1..=8)? {
        out.push(match u.int_in_range(0..=5)? {
            0..=2 => {
                let (start, end, total) = (near(u, len)?, near(u, len)?, near(u, len)?);
                let range = if u.ratio(1, 5)? {
                    None
                } else {
                    let spaced = if u.ratio(7, 8)? { "" } else { " " };
                    header_value(u, format!("bytes {start}-{spaced}{end}/{total}"))?
                };
                let body = match blob.get(start as usize..=end as usize) {
                    Some(part) if range.is_some() && u.ratio(7, 8)? => part.to_vec(),
                    _ if range.is_none() && u.ratio(3, 4)? => blob.to_vec(),
                    _ => u.arbitrary::<&[u8]>()?.to_vec(),
                };
                let mime = *u.choose(&["image/jpeg", "image/png", "text/html", ""])?;
                Step::Put { range, body, mime }
            }
            3 => Step::Head,
            _ => {
                let (a, b) = (near(u, len)?, near(u, len)?);
                let range = match u.int_in_range(0..=3)? {
                    0 => None,
                    1 => header_value(u, format!("bytes={a}-"))?,
                    2 => header_value(u, format!("bytes={a}-{b}"))?,
                    _ => header_value(u, format!("bytes=-{a}"))?,
                };
                Step::Get { range }
            }
        });
    }
    Ok(out)
}

fn content_range(v: &HeaderValue) -> (u64, u64, u64) {
    let text = v.to_str().expect("Content-Range is text");
    let (range, size) = text
        .strip_prefix("bytes ")
        .and_then(|r| r.split_once('/'))
        .expect("Content-Range is bytes START-END/SIZE");
    let (start, end) = range.split_once('-').expect("START-END");
    (
        start.parse().expect("START"),
        end.parse().expect("END"),
        size.parse().expect("SIZE"),
    )
}

fuzz_target!(|data: &[u8]| {
    let fx = fixture();
    let mut u = Unstructured::new(data);
    let Ok(blob) = u.arbitrary::<&[u8]>() else {
        return;
    };
    let blob = if blob.is_empty() {
        b"x".as_slice()
    } else {
        blob
    };
    let hash = match u.int_in_range(0..=7u8) {
        Ok(0) => "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
        Ok(1) => String::from_utf8_lossy(u.arbitrary::<&[u8]>().unwrap_or_default()).into_owned(),
        _ => sha256_hex(blob),
    };
    let Ok(steps) = steps(&mut u, blob) else {
        return;
    };
    let dir = fx.station_copy();
    fx.rt.block_on(async {
        let store = SqliteStorage::open(&dir.path().join("doorstep.db")).expect("station opens");
        let state = AppState::with_clock(Arc::new(store), Arc::new(ManualClock::new(NOW)));
        let app = doorstep_server::router(state);
        // A path the router cannot take is not a blob request.
        if !hash.chars().all(|c| c.is_ascii_alphanumeric()) || hash.is_empty() {
            return;
        }
        let uri = format!("/api/v1/blobs/{hash}");
        for step in steps {
            let mut req = Request::builder()
                .uri(&uri)
                .header(header::AUTHORIZATION, format!("Bearer {FUZZ_TOKEN}"));
            let (method, body, total) = match step {
                Step::Put { range, body, mime } => {
                    if let Some(r) = &range {
                        req = req.header(header::CONTENT_RANGE, r.clone());
                    }
                    if !mime.is_empty() {
                        req = req.header(header::CONTENT_TYPE, mime);
                    }
                    (Method::PUT, body, Some(range))
                }
                Step::Head => (Method::HEAD, vec![], None),
                Step::Get { range } => {
                    if let Some(r) = range {
                        req = req.header(header::RANGE, r);
                    }
                    (Method::GET, vec![], None)
                }
            };
            let sent = body.len();
            let req = req
                .method(method.clone())
                .body(Body::from(body))
                .expect("a request");
            let resp = app.clone().oneshot(req).await.expect("the router answers");
            let status = resp.status();
            assert!(!status.is_server_error(), "{method} answered {status}");
            let headers = resp.headers().clone();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .expect("the body reads");
            let offset = headers
                .get("upload-offset")
                .map(|v| v.to_str().expect("text").parse::<u64>().expect("a number"));
            match (method, status) {
                (Method::PUT, StatusCode::OK | StatusCode::CREATED | StatusCode::ACCEPTED) => {
                    let reply: BlobUpload =
                        serde_json::from_slice(&bytes).expect("a BlobUpload body");
                    assert!(reply.received <= reply.total, "{reply:?}");
                    assert_eq!(offset, Some(reply.received));
                    assert_eq!(reply.complete, status != StatusCode::ACCEPTED);
                    assert!(sent > 0 || total.is_none());
                }
                (Method::GET, StatusCode::PARTIAL_CONTENT) => {
                    let (start, end, size) = content_range(
                        headers
                            .get(header::CONTENT_RANGE)
                            .expect("a 206 has a Content-Range"),
                    );
                    assert!(start <= end && end < size);
                    assert_eq!(end - start + 1, bytes.len() as u64);
                }
                (Method::GET, StatusCode::OK) => {
                    assert_eq!(sha256_hex(&bytes), hash, "a blob served whole has its hash");
                }
                (Method::HEAD, StatusCode::OK) => {
                    assert!(offset.is_some());
                }
                _ => {}
            }
        }
    });
});
