//! HTTP handlers of the sync API under `/api/v1/`.

use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use doorstep_core::sync::protocol::{
    EnrolReply, EnrolRequest, ErrorBody, PullReply, PushReply, PushRequest, MAX_PUSH_OPS,
};
use serde::Deserialize;

use super::enrol;
use crate::error::ApiError;
use crate::storage::{Device, StoreError};
use crate::throttle::Key;
use crate::AppState;

/// A JSON body whose rejections (malformed, truncated, too large) are JSON errors too.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) if crate::serve::timed_out(&rejection) => Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request body stopped arriving; send it again",
            )),
            Err(rejection) => {
                let status = rejection.status();
                let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "too_large"
                } else {
                    "bad_request"
                };
                Err(ApiError::new(status, code, rejection.body_text()))
            }
        }
    }
}

/// The device behind the request's bearer token; refuses unknown, revoked and expired
/// tokens with 401.
pub struct Authed(pub Device);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("token_missing", "no bearer token"))?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| {
            ApiError::unauthorized("token_missing", "Authorization is not a bearer token")
        })?;
        let device = state
            .store
            .device_by_token(&enrol::hash(token.trim()))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("token_unknown", "this device token is not known")
            })?;
        if device.revoked {
            return Err(ApiError::unauthorized(
                "token_revoked",
                format!("the token of device {} was revoked", device.device_id),
            ));
        }
        if device.token_expires_at <= state.clock.now_ms() {
            return Err(ApiError::unauthorized(
                "token_expired",
                format!(
                    "the token of device {} has expired; enrol again",
                    device.device_id
                ),
            ));
        }
        Ok(Authed(device))
    }
}

/// Trades a one-time code for a device token. A device id enrolled already is enrolled
/// again only with proof of its token; wrong codes from one address are throttled.
#[utoipa::path(post, path = "/api/v1/enrol", tag = "sync",
    request_body(content = EnrolRequest, content_type = "application/json"),
    responses((status = 200, description = "enrolled: the token (shown once) and its scope", body = EnrolReply),
              (status = 400, description = "bad_request: malformed JSON, a device_id that is not 1 to 100 of A-Z a-z 0-9 . _ : -, a code with no letter or digit", body = ErrorBody),
              (status = 404, description = "enrolment_code_unknown", body = ErrorBody),
              (status = 408, description = "timeout: the body stopped arriving", body = ErrorBody),
              (status = 403, description = "device_revoked: the device id was revoked", body = ErrorBody),
              (status = 409, description = "enrolment_code_used, or device_exists: the device id is enrolled and no proof of its token came", body = ErrorBody),
              (status = 410, description = "enrolment_code_expired or enrolment_code_cancelled", body = ErrorBody),
              (status = 413, description = "too_large: body over 8 MiB", body = ErrorBody),
              (status = 415, description = "bad_request: the body is not application/json", body = ErrorBody),
              (status = 422, description = "bad_request: JSON of the wrong shape", body = ErrorBody),
              (status = 429, description = "too many wrong codes from this address; Retry-After says when to try again", body = ErrorBody),
              (status = 503, description = "storage: the station's storage failed; try again", body = ErrorBody)))]
pub async fn enrol_device(
    State(state): State<AppState>,
    ConnectInfoIp(ip): ConnectInfoIp,
    ApiJson(req): ApiJson<EnrolRequest>,
) -> Result<Json<EnrolReply>, ApiError> {
    // The device id is in every op the phone pushes: it must be an id those ops may carry.
    if req.device_id.is_empty()
        || req.device_id.len() > 100
        || !req
            .device_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
    {
        return Err(ApiError::bad_request(
            "device_id must be 1 to 100 of A-Z a-z 0-9 . _ : -",
        ));
    }
    if req.code.chars().count() > 100 {
        return Err(ApiError::bad_request("code is over 100 characters"));
    }
    let code = enrol::normalize(&req.code);
    if code.is_empty() {
        return Err(ApiError::bad_request("code holds no letter or digit"));
    }
    let now = state.clock.now_ms();
    let keys: Vec<Key> = ip.map(Key::EnrolAddress).into_iter().collect();
    if let Err(wait) = state.throttle.attempt(&keys, now) {
        return Err(ApiError::too_many_tries(wait));
    }
    // The proof is checked against the hash the server keeps, never taken on its word.
    let renewing = match &req.renewal {
        Some(proof) => state
            .store
            .device_token_hash(&req.device_id)
            .await?
            .filter(|held| {
                enrol::same_secret(
                    &doorstep_core::sync::protocol::renewal_proof(held, &code),
                    proof,
                )
            }),
        None => None,
    };
    let token = enrol::new_token()?;
    let redeemed = state
        .store
        .redeem_enrolment(
            &enrol::hash(&code),
            &req.device_id,
            &enrol::hash(&token),
            renewing.as_deref(),
            now,
        )
        .await;
    let device = match redeemed {
        Ok(d) => d,
        Err(e @ StoreError::Backend(_)) => {
            state.throttle.succeeded(&keys);
            return Err(e.into());
        }
        Err(e) => {
            tracing::warn!(device = %req.device_id, ip = ?ip, error = %e, "enrolment refused");
            return Err(e.into());
        }
    };
    state.throttle.succeeded(&keys);
    tracing::info!(device = %device.device_id, user = %device.user, role = device.role.code(), renewed = renewing.is_some(), "device enrolled");
    Ok(Json(EnrolReply {
        token,
        device_id: device.device_id,
        user: device.user,
        role: device.role,
        areas: device.areas,
        token_expires_at: device.token_expires_at,
    }))
}

/// The client's address, when the server knows it.
pub struct ConnectInfoIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ConnectInfoIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ConnectInfoIp(crate::client_ip(&parts.extensions)))
    }
}

/// Stores a batch of ops; one verdict per op.
#[utoipa::path(post, path = "/api/v1/push", tag = "sync",
    request_body(content = PushRequest, content_type = "application/json"),
    responses((status = 200, description = "one verdict per op, in the order sent", body = PushReply),
              (status = 400, description = "bad_request: malformed JSON", body = ErrorBody),
              (status = 401, description = "token_missing, token_unknown, token_revoked or token_expired", body = ErrorBody),
              (status = 408, description = "timeout: the body stopped arriving", body = ErrorBody),
              (status = 413, description = "too_large (over 8 MiB) or too_many_ops (over 1,000)", body = ErrorBody),
              (status = 415, description = "bad_request: the body is not application/json", body = ErrorBody),
              (status = 422, description = "bad_request: JSON of the wrong shape", body = ErrorBody),
              (status = 503, description = "storage: the station's storage failed; try again", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn push(
    State(state): State<AppState>,
    Authed(device): Authed,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushReply>, ApiError> {
    if req.ops.len() > MAX_PUSH_OPS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_ops",
            format!("{} ops in one push; at most {MAX_PUSH_OPS}", req.ops.len()),
        ));
    }
    let results = super::push_with(
        state.store.as_ref(),
        &device,
        &req.ops,
        state.clock.now_ms(),
        state.max_clock_skew_ms,
    )
    .await?;
    let rejected = results
        .iter()
        .filter(|r| {
            !matches!(
                r.verdict,
                doorstep_core::sync::protocol::OpVerdict::Accepted
            )
        })
        .count();
    tracing::info!(device = %device.device_id, ops = req.ops.len(), rejected, "push");
    Ok(Json(PushReply { results }))
}

/// Query of a pull.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullParams {
    /// The cursor of the last page (0 at first).
    #[serde(default)]
    #[param(minimum = 0, default = 0)]
    pub after: i64,
    /// Most ops in the page (at most 5,000 are sent).
    #[serde(default = "default_limit")]
    #[param(minimum = 0, maximum = 4294967295u64, default = 1000)]
    pub limit: u32,
}

fn default_limit() -> u32 {
    1_000
}

/// Ops after a cursor, filtered to the device's role and areas.
#[utoipa::path(get, path = "/api/v1/pull", tag = "sync", params(PullParams),
    responses((status = 200, description = "a page of ops; with `reset` the device pulls again from 0", body = PullReply),
              (status = 400, description = "bad_request: after or limit is not a number in range", body = ErrorBody),
              (status = 401, description = "token_missing, token_unknown, token_revoked or token_expired", body = ErrorBody),
              (status = 503, description = "storage: the station's storage failed; try again", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pull(
    State(state): State<AppState>,
    Authed(device): Authed,
    params: Result<Query<PullParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PullReply>, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if p.after < 0 {
        return Err(ApiError::bad_request("after must not be negative"));
    }
    let reply = super::pull(state.store.as_ref(), &device, p.after, p.limit).await?;
    tracing::debug!(device = %device.device_id, after = p.after, ops = reply.ops.len(), "pull");
    Ok(Json(reply))
}

/// What a station admin asks for: a code for a user, a role and areas.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = NewCodeAny)]
pub struct NewCode {
    pub user: String,
    pub role: String,
    #[serde(default)]
    pub areas: Vec<String>,
    /// How long the code stays usable (default 24 hours).
    #[serde(default, deserialize_with = "whole_number")]
    pub code_minutes: Option<i64>,
    /// How long the device token it yields lasts (default 90 days).
    #[serde(default, deserialize_with = "whole_number")]
    pub token_days: Option<i64>,
}

/// 2^63: whole floats in (-2^63, 2^63) fit an i64.
const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;

/// An optional integer that JSON may write as `5` or `5.0`.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v: Option<serde_json::Number> = Option::deserialize(d)?;
    let Some(n) = v else { return Ok(None) };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && (-TWO_TO_63..TWO_TO_63).contains(&f) => Ok(Some(f as i64)),
        _ => Err(serde::de::Error::custom(format!(
            "{n} is not a whole number in range"
        ))),
    }
}

/// A code for a field role: at least one area.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct FieldCode {
    #[schema(
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff][^\\x00-\\x1f\\x7f-\\x9f]*$",
        max_length = 64
    )]
    user: String,
    #[schema(inline)]
    role: FieldRole,
    #[schema(min_items = 1, max_items = 100, inline)]
    areas: Vec<AreaPath>,
    #[schema(minimum = 1, maximum = 5256000)]
    code_minutes: Option<i64>,
    #[schema(minimum = 1, maximum = 3650)]
    token_days: Option<i64>,
}

/// A code for a station admin's device: every area, so no areas are needed.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct AdminCode {
    #[schema(
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff][^\\x00-\\x1f\\x7f-\\x9f]*$",
        max_length = 64
    )]
    user: String,
    #[schema(inline)]
    role: AdminRole,
    #[schema(max_items = 100, inline)]
    #[serde(default)]
    areas: Vec<AreaPath>,
    #[schema(minimum = 1, maximum = 5256000)]
    code_minutes: Option<i64>,
    #[schema(minimum = 1, maximum = 3650)]
    token_days: Option<i64>,
}

/// An area path, 区/街道/社区/网格.
#[derive(utoipa::ToSchema)]
#[schema(pattern = "^[^/\\x00-\\x1f\\x7f-\\x9f]+(/[^/\\x00-\\x1f\\x7f-\\x9f]+)*$")]
#[allow(dead_code)]
struct AreaPath(String);

#[derive(utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum FieldRole {
    SocialWorker,
    Marshal,
    Runner,
}

#[derive(utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum AdminRole {
    StationAdmin,
}

/// The request's schema: field roles need areas, a station admin's does not.
#[derive(utoipa::ToSchema)]
#[schema(as = NewCode)]
#[serde(untagged)]
#[allow(dead_code)]
enum NewCodeDoc {
    Field(FieldCode),
    Admin(AdminCode),
}

/// A code made.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NewCodeReply {
    /// The code, `ABCDE-FGHJK`; only its hash is kept.
    pub code: String,
    pub user: String,
    pub role: doorstep_core::sync::Role,
    pub areas: Vec<String>,
    /// When the code stops working, ms since the epoch.
    pub expires_at: i64,
}

/// Makes a one-time enrolment code, as `doorstep enrol` does; only for a station admin's
/// device.
#[utoipa::path(post, path = "/api/v1/enrolments", tag = "sync",
    request_body(content = NewCodeDoc, content_type = "application/json"),
    responses((status = 201, description = "the code", body = NewCodeReply),
              (status = 400, description = "bad_request: an empty user, an unknown role, no areas for a role that needs them, a malformed path, a lifetime under 1", body = ErrorBody),
              (status = 401, description = "token_missing, token_unknown, token_revoked or token_expired", body = ErrorBody),
              (status = 403, description = "forbidden: the device is not a station admin's", body = ErrorBody),
              (status = 408, description = "timeout: the body stopped arriving", body = ErrorBody),
              (status = 413, description = "too_large: body over 8 MiB", body = ErrorBody),
              (status = 415, description = "bad_request: the body is not application/json", body = ErrorBody),
              (status = 422, description = "bad_request: JSON of the wrong shape", body = ErrorBody),
              (status = 503, description = "storage: the station's storage failed; try again", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_enrolment(
    State(state): State<AppState>,
    Authed(device): Authed,
    ApiJson(req): ApiJson<NewCode>,
) -> Result<(StatusCode, Json<NewCodeReply>), ApiError> {
    if device.role != doorstep_core::sync::Role::StationAdmin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "device {} is a {}'s; only a station admin makes enrolment codes",
                device.device_id,
                device.role.code()
            ),
        ));
    }
    let role = doorstep_core::sync::Role::parse(&req.role).ok_or_else(|| {
        ApiError::bad_request(format!(
            "role {:?} is unknown (social_worker, marshal, runner, station_admin)",
            req.role
        ))
    })?;
    let minutes = req
        .code_minutes
        .unwrap_or(enrol::DEFAULT_CODE_TTL_MS / 60_000);
    let days = req
        .token_days
        .unwrap_or(enrol::DEFAULT_TOKEN_TTL_MS / 86_400_000);
    let mut code_req = enrol::CodeRequest {
        user: req.user,
        role,
        areas: req.areas,
        code_ttl_ms: minutes.saturating_mul(60_000),
        token_ttl_ms: days.saturating_mul(86_400_000),
    };
    // Checked as sent, as the API document describes it; kept without the blanks around.
    enrol::check_request(&code_req).map_err(ApiError::bad_request)?;
    code_req.user = code_req.user.trim().to_string();
    let now = state.clock.now_ms();
    let code = enrol::create_code(state.store.as_ref(), &code_req, now).await?;
    tracing::info!(by = %device.device_id, user = %code_req.user, role = role.code(), "enrolment code made");
    Ok((
        StatusCode::CREATED,
        Json(NewCodeReply {
            code,
            user: code_req.user,
            role,
            areas: code_req.areas,
            expires_at: now.saturating_add(code_req.code_ttl_ms),
        }),
    ))
}

/// A device's enrolment as the server holds it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct WhoAmI {
    pub device_id: String,
    pub user: String,
    pub role: doorstep_core::sync::Role,
    /// Area paths; empty for a station admin (everywhere).
    pub areas: Vec<String>,
    /// When the token stops working, ms since the epoch.
    pub token_expires_at: i64,
}

/// The calling device's enrolment.
#[utoipa::path(get, path = "/api/v1/whoami", tag = "sync",
    responses((status = 200, description = "the device's enrolment", body = WhoAmI),
              (status = 401, description = "token_missing, token_unknown, token_revoked or token_expired", body = ErrorBody),
              (status = 503, description = "storage: the station's storage failed; try again", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn whoami(Authed(device): Authed) -> Json<WhoAmI> {
    Json(WhoAmI {
        device_id: device.device_id,
        user: device.user,
        role: device.role,
        areas: device.areas,
        token_expires_at: device.token_expires_at,
    })
}
