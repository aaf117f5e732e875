//! Login and device enrolment.

use super::extract::ApiJson;
use crate::auth::{new_token, verify_password, Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use crate::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{Duration, Utc};
use zhucun_shared::ids::DeviceId;
use zhucun_shared::org::Device;
use zhucun_shared::period::local_date;
use zhucun_shared::sync::{EnrollRequest, EnrollResponse, LoginRequest, LoginResponse};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/devices", post(enroll))
        .with_state(state)
}

pub const MAX_USERNAME_CHARS: usize = 64;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Log in; answers a bearer token and when it expires.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body(content = Object, description = "LoginRequest: {username, password}"),
    responses(
        (status = 200, description = "LoginResponse: token, expires_at, person_id, name, roles", body = Object),
        (status = 401, description = "Wrong username or password (ErrorBody code bad_credentials)", body = Object),
        (status = 429, description = "Too many failed logins for this username or from this address; Retry-After says when to try again", body = Object),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    if req.username.trim().is_empty() || req.username.chars().count() > MAX_USERNAME_CHARS {
        return Err(ApiError::invalid(
            "username",
            format!("须为 1 至 {MAX_USERNAME_CHARS} 个字符"),
        ));
    }
    if req.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::invalid(
            "password",
            format!("不得超过 {MAX_PASSWORD_CHARS} 个字符"),
        ));
    }
    let username = req.username.trim().to_string();
    if let Err(retry_after_s) = state.throttle.reserve(&username, ip) {
        state.metrics.count_login("throttled");
        return Err(ApiError::Throttled { retry_after_s });
    }
    let user = state.store.user_by_username(&username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| state.decoy_hash.clone());
    let password = req.password;
    let ok = {
        let _permit = state
            .password_checks
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await?
    };
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            state.metrics.count_login("failed");
            tracing::info!(%username, "login refused");
            return Err(ApiError::BadCredentials);
        }
    };
    state.throttle.succeeded(&username, ip);
    let person = state
        .store
        .person(user.person_id)
        .await?
        .ok_or(ApiError::BadCredentials)?;
    let now = Utc::now();
    let expires_at = now + Duration::hours(state.config.token_ttl_hours);
    let (token, token_hash) = new_token();
    state
        .store
        .create_session(&token_hash, person.id, now, expires_at)
        .await?;
    let caller = Caller {
        assignments: state.store.assignments_of(person.id).await?,
        person,
    };
    state.metrics.count_login("ok");
    Ok(Json(LoginResponse {
        token,
        expires_at,
        person_id: caller.person.id,
        name: caller.person.name.clone(),
        roles: caller.roles_on(local_date(now)),
    }))
}

pub const MAX_DEVICE_LABEL_CHARS: usize = 100;

/// Enrol the caller's phone; answers its device id.
#[utoipa::path(post, path = "/api/v1/devices", tag = "auth",
    request_body(content = Object, description = "EnrollRequest: {label}"),
    responses((status = 200, description = "EnrollResponse: device_id, contiguous_seq (0)", body = Object)),
    security(("bearer" = [])))]
pub async fn enroll(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> ApiResult<Json<EnrollResponse>> {
    let label = req.label.trim();
    if label.is_empty() || label.chars().count() > MAX_DEVICE_LABEL_CHARS {
        return Err(ApiError::invalid(
            "label",
            format!("须为 1 至 {MAX_DEVICE_LABEL_CHARS} 个字符"),
        ));
    }
    if label.chars().any(char::is_control) {
        return Err(ApiError::invalid("label", "不得含控制字符"));
    }
    let device = Device {
        id: DeviceId::new(),
        person_id: caller.person.id,
        label: label.to_string(),
        enrolled_at: Utc::now(),
    };
    state.store.enroll_device(&device).await?;
    Ok(Json(EnrollResponse {
        device_id: device.id,
        contiguous_seq: 0,
    }))
}
