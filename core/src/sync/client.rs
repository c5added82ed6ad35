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

/// Why one attempt failed, and whether another may succeed.
enum Failure {
    Retry(String),
    Final(Error),
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
        let mut delay = self.opts.backoff_ms;
        let mut last = String::new();
        for attempt in 0..self.opts.attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                delay = (delay * 2).min(self.opts.max_backoff_ms);
            }
            match self.once(method.clone(), path, body).await {
                Ok(v) => return Ok(v),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Retry(why)) => last = why,
            }
        }
        Err(Error::Network(format!(
            "{path}: gave up after {} attempts: {last}",
            self.opts.attempts.max(1)
        )))
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
        let bytes = resp.bytes().await.map_err(|e| Failure::Retry(chain(&e)))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Retry(format!("{path}: unreadable reply: {e}")));
        }
        let detail = serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|b| format!("{} ({})", b.message, b.code))
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).chars().take(200).collect());
        let msg = format!("{path}: {status}: {detail}");
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
