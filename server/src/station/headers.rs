//! Headers that keep a browser from turning the station's pages against their reader:
//! no script runs (the pages need none), no style but the station's own, no framing, no
//! guessing of types, no address leaking to other sites.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

/// The policy for the station's pages: no script, the one stylesheet they carry inline
/// (by its hash), images and requests only from the station itself (a WebDriver test
/// fetches downloads from the page), forms only to the station.
pub fn content_security_policy() -> &'static str {
    static POLICY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| {
        use base64ct::Encoding;
        let style = base64ct::Base64::encode_string(&Sha256::digest(super::pages::CSS));
        format!(
            "default-src 'none'; script-src 'none'; style-src 'sha256-{style}'; \
             img-src 'self' data:; connect-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

/// Adds the headers to every response that has not set them.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, content_security_policy());
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    resp
}
