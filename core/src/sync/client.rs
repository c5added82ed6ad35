//! HTTP to the station server: JSON requests with a bearer token, retried with backoff
//! when the network or the server fails, never when the server said no.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::protocol::ErrorBody;
use super::SyncOptions;
use crate::error::{Error, Result};

pub(crate) struct Http {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    opts: SyncOptions,
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
    /// No way to the server at all (see [`offline`]); tried again like `Retry`.
    Offline(String),
    Final(Error),
}

/// A request that could not be sent: offline when the server's name did not resolve or
/// there is no route to it, otherwise the server's (refused, timed out, cut off).
fn unsent(e: &reqwest::Error) -> Failure {
    if offline(e) {
        Failure::Offline(chain(e))
    } else {
        Failure::Retry(chain(e))
    }
}

/// Whether a failed request shows the phone itself has no network: a name lookup that
/// failed (hyper reports it as "dns error"), or no route to the network or host.
fn offline(e: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut cur = Some(e);
    while let Some(c) = cur {
        if c.to_string() == "dns error" {
            return true;
        }
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                ErrorKind::NetworkUnreachable | ErrorKind::HostUnreachable | ErrorKind::NetworkDown
            ) {
                return true;
            }
        }
        cur = c.source();
    }
    false
}

impl Http {
    pub(crate) fn new(base: &str, token: Option<String>, opts: SyncOptions) -> Result<Http> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::invalid(format!(
                "server address {base:?} must start with http:// or https://"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(opts.timeout_ms))
            .connect_timeout(Duration::from_millis(opts.timeout_ms.min(10_000)))
            .build()
            .map_err(|e| Error::Network(format!("cannot set up HTTP: {e}")))?;
        Ok(Http {
            client,
            base,
            token,
            opts,
        })
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
        let mut was_offline = false;
        for n in 0..self.opts.attempts.max(1) {
            if n > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                delay = (delay * 2).min(self.opts.max_backoff_ms);
            }
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Retry(why)) => (last, was_offline) = (why, false),
                Err(Failure::Offline(why)) => (last, was_offline) = (why, true),
            }
        }
        let msg = format!(
            "{path}: gave up after {} attempts: {last}",
            self.opts.attempts.max(1)
        );
        // The last try decides: a network that came back to a server that is down is
        // the server's failure.
        Err(if was_offline {
            Error::Offline(msg)
        } else {
            Error::Network(msg)
        })
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
        let resp = req.send().await.map_err(|e| unsent(&e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Failure::Retry(chain(&e)))?
            .to_vec();
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
        let resp = req.send().await.map_err(|e| unsent(&e))?;
        let status = resp.status();
        // A body cut short fails here or in the parse below; both are worth a retry.
        let bytes = resp.bytes().await.map_err(|e| Failure::Retry(chain(&e)))?;
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

    fn get(base: &str) -> Error {
        let opts = SyncOptions {
            attempts: 2,
            backoff_ms: 1,
            timeout_ms: 5_000,
            ..SyncOptions::default()
        };
        let http = Http::new(base, None, opts).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(http.call::<(), serde_json::Value>(Method::GET, "/v1/ping", None))
            .unwrap_err()
    }

    #[test]
    fn a_name_that_does_not_resolve_is_offline() {
        // `.invalid` never resolves (RFC 2606), with or without a network.
        let err = get("http://doorstep.invalid:8080");
        assert!(matches!(err, Error::Offline(ref m) if m.contains("gave up after 2")), "{err}");
    }

    #[test]
    fn a_server_that_refuses_the_connection_is_unreachable_not_offline() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let err = get(&format!("http://127.0.0.1:{port}"));
        assert!(matches!(err, Error::Network(_)), "{err}");
    }
}
