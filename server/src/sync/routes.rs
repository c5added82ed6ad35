//! HTTP handlers of the sync API under `/api/v1/`.

use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use doorstep_core::sync::protocol::{
    EnrolReply, EnrolRequest, PullReply, PushReply, PushRequest, MAX_PUSH_OPS,
};
use serde::Deserialize;

use super::enrol;
use crate::error::ApiError;
use crate::storage::Device;
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

/// Trades a one-time code for a device token.
#[utoipa::path(post, path = "/api/v1/enrol", tag = "sync",
    request_body(content = inline(serde_json::Value), description = "EnrolRequest: {code, device_id}"),
    responses((status = 200, description = "EnrolReply: token, device_id, user, role, areas, token_expires_at"),
               (status = 404, description = "unknown code"), (status = 410, description = "expired code"),
               (status = 409, description = "code already used")))]
pub async fn enrol_device(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EnrolRequest>,
) -> Result<Json<EnrolReply>, ApiError> {
    if req.device_id.trim().is_empty() || req.device_id.len() > 100 {
        return Err(ApiError::bad_request(
            "device_id must be 1 to 100 characters",
        ));
    }
    let code = enrol::normalize(&req.code);
    if code.is_empty() {
        return Err(ApiError::bad_request("code must not be empty"));
    }
    let token = enrol::new_token()?;
    let now = state.clock.now_ms();
    let device = state
        .store
        .redeem_enrolment(
            &enrol::hash(&code),
            &req.device_id,
            &enrol::hash(&token),
            now,
        )
        .await?;
    tracing::info!(device = %device.device_id, user = %device.user, role = device.role.code(), "device enrolled");
    Ok(Json(EnrolReply {
        token,
        device_id: device.device_id,
        user: device.user,
        role: device.role,
        areas: device.areas,
        token_expires_at: device.token_expires_at,
    }))
}

/// Stores a batch of ops; one verdict per op.
#[utoipa::path(post, path = "/api/v1/push", tag = "sync",
    request_body(content = inline(serde_json::Value), description = "PushRequest: {ops: [Op]}"),
    responses((status = 200, description = "PushReply: {results: [{op_id, status, code?, reason?}]}"),
              (status = 401, description = "unknown, revoked or expired token"),
              (status = 413, description = "body too large")),
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
    let results = super::push(
        state.store.as_ref(),
        &device,
        &req.ops,
        state.clock.now_ms(),
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
pub struct PullParams {
    /// The cursor of the last page (0 at first).
    #[serde(default)]
    pub after: i64,
    /// Most ops in the page.
    #[serde(default = "default_limit")]
    pub limit: u32,
}

fn default_limit() -> u32 {
    1_000
}

/// Ops after a cursor, filtered to the device's role and areas.
#[utoipa::path(get, path = "/api/v1/pull", tag = "sync", params(PullParams),
    responses((status = 200, description = "PullReply: {ops, cursor, more}"),
              (status = 401, description = "unknown, revoked or expired token")),
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
#[derive(Debug, Deserialize)]
pub struct NewCode {
    pub user: String,
    pub role: String,
    #[serde(default)]
    pub areas: Vec<String>,
    /// How long the code stays usable (default 24 hours).
    pub code_minutes: Option<i64>,
    /// How long the device token it yields lasts (default 90 days).
    pub token_days: Option<i64>,
}

/// Makes a one-time enrolment code, as `doorstep enrol` does; only for a station admin's
/// device.
#[utoipa::path(post, path = "/api/v1/enrolments", tag = "sync",
    request_body(content = inline(serde_json::Value), description = "{user, role, areas, code_minutes?, token_days?}"),
    responses((status = 201, description = "{code, user, role, areas, expires_at}"),
              (status = 400, description = "unknown role, no areas for a role that needs them, malformed path"),
              (status = 403, description = "forbidden: the device is not a station admin's"),
              (status = 401, description = "unknown, revoked or expired token")),
    security(("bearer" = [])))]
pub async fn create_enrolment(
    State(state): State<AppState>,
    Authed(device): Authed,
    ApiJson(req): ApiJson<NewCode>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
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
    let code_req = enrol::CodeRequest {
        user: req.user.trim().to_string(),
        role,
        areas: req.areas,
        code_ttl_ms: minutes.saturating_mul(60_000),
        token_ttl_ms: days.saturating_mul(86_400_000),
    };
    enrol::check_request(&code_req).map_err(ApiError::bad_request)?;
    let now = state.clock.now_ms();
    let code = enrol::create_code(state.store.as_ref(), &code_req, now).await?;
    tracing::info!(by = %device.device_id, user = %code_req.user, role = role.code(), "enrolment code made");
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "code": code,
            "user": code_req.user,
            "role": role,
            "areas": code_req.areas,
            "expires_at": now.saturating_add(code_req.code_ttl_ms),
        })),
    ))
}

/// The calling device's enrolment.
#[utoipa::path(get, path = "/api/v1/whoami", tag = "sync",
    responses((status = 200, description = "{device_id, user, role, areas, token_expires_at}")),
    security(("bearer" = [])))]
pub async fn whoami(Authed(device): Authed) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "device_id": device.device_id,
        "user": device.user,
        "role": device.role,
        "areas": device.areas,
        "token_expires_at": device.token_expires_at,
    }))
}
