//! HTTP to the station server: JSON requests with a bearer token, retried with backoff
//! when the network or the server fails, never when the server said no.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::protocol::{ErrorBody, MAX_REPLY_BYTES};
use super::SyncOptions;
use crate::error::{Error, Result};
use crate::Cancel;

pub(crate) struct Http {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    opts: SyncOptions,
    /// Checked before every request: a reply on loopback can come back without the
    /// sync ever waiting, so the next request is where a cancel is sure to be seen.
    cancel: Cancel,
}

/// A reply read whole: what `raw` gives back for the caller to judge.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// A header as a number, if present and numeric.
    pub(crate) fn header_u64(&self, name: &str) -> Option<u64> {
        self.headers.get(name)?.to_str().ok()?.trim().parse().ok()
    }

    /// The error this reply stands for: its JSON error body, or the start of its text.
    pub(crate) fn error(&self, path: &str) -> Error {
        let msg = format!("{path}: {}: {}", self.status, detail(&self.body));
        match self.status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized(msg),
            _ => Error::Invalid(msg),
        }
    }
}

fn detail(bytes: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(bytes)
        .map(|b| format!("{} ({})", b.message, b.code))
        .unwrap_or_else(|_| String::from_utf8_lossy(bytes).chars().take(200).collect())
}

/// Why one attempt failed, and whether another may succeed.
enum Failure {
    Retry(String),
    Final(Error),
}

impl Http {
    pub(crate) fn new(base: &str, token: Option<String>, opts: SyncOptions) -> Result<Http> {
        let base = base.trim_end_matches('/').to_string();
        check_transport(&base)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(opts.timeout_ms))
            .connect_timeout(Duration::from_millis(opts.timeout_ms.min(10_000)))
            // A redirect could lead the token to another host or to plain HTTP.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Network(format!("cannot set up HTTP: {e}")))?;
        Ok(Http {
            client,
            base,
            token,
            opts,
            cancel: Cancel::new(),
        })
    }

    /// The same client, stopping with `Error::Cancelled` before any request once
    /// `cancel` is cancelled.
    pub(crate) fn with_cancel(self, cancel: &Cancel) -> Http {
        Http {
            cancel: cancel.clone(),
            ..self
        }
    }

    /// Sends a request until it gets an answer, up to `attempts` times.
    pub(crate) async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
        self.retrying(path, || self.once(method.clone(), path, body))
            .await
    }

    /// Sends a request with raw bytes and extra headers until the server answers (a
    /// network failure, a cut reply or a 5xx is tried again), and hands back any answer
    /// but 401 for the caller to judge.
    pub(crate) async fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<Reply> {
        self.retrying(path, || self.raw_once(method.clone(), path, headers, body))
            .await
    }

    async fn retrying<T, F: std::future::Future<Output = Result<T, Failure>>>(
        &self,
        path: &str,
        attempt: impl Fn() -> F,
    ) -> Result<T> {
        let mut delay = self.opts.backoff_ms;
        let mut last = String::new();
        for n in 0..self.opts.attempts.max(1) {
            self.cancel.check()?;
            if n > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                delay = (delay * 2).min(self.opts.max_backoff_ms);
            }
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Retry(why)) => {
                    tracing::warn!(
                        target: "doorstep::sync",
                        path,
                        attempt = n + 1,
                        of = self.opts.attempts.max(1),
                        "request failed, retrying"
                    );
                    last = why;
                }
            }
        }
        Err(Error::Network(format!(
            "{path}: gave up after {} attempts: {last}",
            self.opts.attempts.max(1)
        )))
    }

    async fn raw_once(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<Reply, Failure> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        if let Some(b) = body {
            req = req.body(b.to_vec());
        }
        let resp = req.send().await.map_err(|e| Failure::Retry(chain(&e)))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = read_limited(resp, path).await?;
        let reply = Reply {
            status,
            headers,
            body,
        };
        match status {
            StatusCode::UNAUTHORIZED => Err(Failure::Final(reply.error(path))),
            StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => {
                Err(Failure::Retry(reply.error(path).to_string()))
            }
            s if s.is_server_error() => Err(Failure::Retry(reply.error(path).to_string())),
            _ => Ok(reply),
        }
    }

    async fn once<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Failure> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| Failure::Retry(chain(&e)))?;
        let status = resp.status();
        // A body cut short fails here or in the parse below; both are worth a retry.
        let bytes = read_limited(resp, path).await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Retry(format!("{path}: unreadable reply: {e}")));
        }
        let msg = format!("{path}: {status}: {}", detail(&bytes));
        Err(match status {
            StatusCode::UNAUTHORIZED => Failure::Final(Error::Unauthorized(msg)),
            StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => Failure::Retry(msg),
            s if s.is_server_error() => Failure::Retry(msg),
            StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::CONFLICT
                if path.ends_with("/enrol") =>
            {
                Failure::Final(Error::Unauthorized(msg))
            }
            StatusCode::FORBIDDEN => Failure::Final(Error::Unauthorized(msg)),
            _ => Failure::Final(Error::Invalid(msg)),
        })
    }
}

/// Refuses a server the token and personal data would reach in clear: plain `http://`
/// is only for this device itself (loopback), everything else needs `https://`.
pub(crate) fn check_transport(base: &str) -> Result<()> {
    let url = reqwest::Url::parse(base)
        .map_err(|e| Error::invalid(format!("server address {base:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(Error::invalid(format!(
            "server address {base:?} is plain HTTP to another machine: the token and \
             personal data would travel in clear; use https://"
        ))),
        _ => Err(Error::invalid(format!(
            "server address {base:?} must start with https:// (http:// only on this device)"
        ))),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Reads a reply's body, refusing one longer than `MAX_REPLY_BYTES` (said or sent)
/// before it fills the phone's memory. `Err(None)` is a body cut short (worth another
/// try), `Err(Some)` one too long.
async fn read_limited(
    mut resp: reqwest::Response,
    path: &str,
) -> std::result::Result<Vec<u8>, Failure> {
    let too_long = || {
        Failure::Final(Error::Network(format!(
            "{path}: the reply is longer than {MAX_REPLY_BYTES} bytes; refused"
        )))
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_REPLY_BYTES as u64)
    {
        return Err(too_long());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| Failure::Retry(chain(&e)))? {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(too_long());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_for_this_device() {
        for ok in [
            "https://station.example.org",
            "http://127.0.0.1:8080",
            "http://127.8.9.1",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert!(check_transport(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://192.168.1.20:8080",
            "http://station.example.org",
            "http://10.0.0.1",
            "http://[fe80::1]:8080",
            "http://localhost.example.org",
            "ftp://127.0.0.1",
            "127.0.0.1:8080",
        ] {
            let err = check_transport(refused).unwrap_err();
            assert!(matches!(err, Error::Invalid(_)), "{refused}: {err}");
        }
        let err = check_transport("http://192.168.1.20:8080").unwrap_err();
        assert!(err.to_string().contains("use https://"), "{err}");
    }
}
