//! Login and device enrolment.

use super::extract::ApiJson;
use crate::app::AppState;
use crate::audit::{self, AuditKind};
use crate::auth::{
    hash_password, needs_rehash, new_token, session_expiry, verify_password, Caller, ClientIp,
};
use crate::error::{ApiError, ApiResult};
use crate::store::SessionRow;
use crate::store::Store;
use axum::extract::{Path, State};
use axum::http::header::USER_AGENT;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use zhucun_shared::ids::DeviceId;
use zhucun_shared::org::Device;
use zhucun_shared::period::local_date;
use zhucun_shared::sync::{EnrollRequest, EnrollResponse, LoginRequest, LoginResponse};

pub fn router(state: AppState) -> Router {
    use zhucun_shared::sync::paths;
    Router::new()
        .route(paths::LOGIN, post(login))
        .route(paths::LOGOUT, post(logout))
        .route(paths::SESSIONS, get(sessions))
        .route(paths::SESSION, delete(end_session))
        .route(paths::DEVICES, post(enroll))
        .route(paths::DEVICE, delete(revoke_device))
        .with_state(state)
}

pub use crate::accounts::{MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS};

/// Most characters of a client's User-Agent kept with its session.
const MAX_CLIENT_CHARS: usize = 120;

/// Log in; answers a bearer token and when it expires.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body(content = LoginRequest, description = "Usernames are compared in NFKC with case folded."),
    responses(
        (status = 200, description = "A session's token, with the person and their roles. The token's life is renewed by use (token_ttl_hours), up to token_max_hours after the login.", body = LoginResponse),
        (status = 400, description = "Body is not JSON", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "username empty or too long, or password too long (field username or password)", body = zhucun_shared::sync::ErrorBody),
        (status = 401, description = "Wrong username or password (code bad_credentials); the same answer, in the same time, whether or not the account exists", body = zhucun_shared::sync::ErrorBody),
        (status = 429, description = "Too many failed logins for this username from this address; Retry-After says when to try again. Other addresses are not slowed.", body = zhucun_shared::sync::ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let client = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    let (token, caller) = sign_in(&state, ip, client, req).await?;
    Ok(Json(LoginResponse {
        token,
        expires_at: caller.session.expires_at,
        person_id: caller.person.id,
        name: caller.person.name.clone(),
        roles: caller.roles_on(local_date(state.clock.now())),
    }))
}

/// Checks a username and password (throttled per username and address, audited) and opens a
/// session: its token, and the person it signs in. The API's login and the console's sign-in
/// form both come here.
pub async fn sign_in(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    client: Option<&str>,
    req: LoginRequest,
) -> ApiResult<(String, Caller)> {
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
    let now = state.clock.now();
    if let Err(retry_after_s) = state
        .throttle
        .reserve(&state.store, &username, ip, now.timestamp())
        .await?
    {
        state.metrics.count_login("throttled");
        return Err(ApiError::Throttled { retry_after_s });
    }
    let user = state.store.user_by_username(&username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| state.decoy_hash.clone());
    let password = req.password;
    let (ok, password) = {
        let _permit = state
            .password_checks
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || (verify_password(&password, &hash), password)).await?
    };
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            state.metrics.count_login("failed");
            tracing::info!(%username, ?ip, "login refused");
            // Within the account's township, for its supervisor to see; one entry per
            // attempt the throttle let through (see `crate::audit` on what bounds them).
            let township = match &user {
                Some(u) => state
                    .store
                    .person(u.person_id)
                    .await?
                    .map(|p| p.township_id),
                None => None,
            };
            let detail = serde_json::json!({
                "address": ip.map(|i| i.to_string()),
                "account": user.as_ref().map(|u| if u.disabled { "disabled" } else { "exists" }),
            });
            audit::record(
                &state.store,
                audit::new_entry(
                    now,
                    None,
                    township,
                    AuditKind::LoginFailed,
                    &username,
                    detail,
                ),
            )
            .await?;
            return Err(ApiError::BadCredentials);
        }
    };
    state
        .throttle
        .succeeded(&state.store, &username, ip)
        .await?;
    let (memory, iterations) = (
        state.config.argon2_memory_kib,
        state.config.argon2_iterations,
    );
    if needs_rehash(&user.password_hash, memory, iterations) {
        // Made again at the configured cost, so that a wrong password costs the same to
        // refuse for every account, and for none.
        let rehashed =
            tokio::task::spawn_blocking(move || hash_password(&password, memory, iterations))
                .await?;
        match rehashed {
            Ok(h) => {
                state
                    .store
                    .update_password_hash(user.person_id, &user.password_hash, &h)
                    .await?;
            }
            Err(e) => tracing::warn!(error = %e, "rehashing a password failed"),
        }
    }
    let person = state
        .store
        .person(user.person_id)
        .await?
        .ok_or(ApiError::BadCredentials)?;
    let (token, token_hash) = new_token();
    let client = client.map(|v| {
        v.chars()
            .filter(|c| !c.is_control())
            .take(MAX_CLIENT_CHARS)
            .collect()
    });
    let session = SessionRow {
        id: new_token().0[..32].to_string(),
        person_id: person.id,
        created_at: now,
        last_seen_at: now,
        expires_at: session_expiry(
            now,
            now,
            state.config.token_ttl_hours,
            state.config.token_max_hours,
        ),
        client,
    };
    state.store.create_session(&token_hash, &session).await?;
    let detail = serde_json::json!({
        "address": ip.map(|i| i.to_string()),
        "session": session.id,
    });
    audit::record(
        &state.store,
        audit::new_entry(
            now,
            Some(person.id),
            Some(person.township_id),
            AuditKind::Login,
            &user.username,
            detail,
        ),
    )
    .await?;
    let caller = Caller {
        assignments: state.store.assignments_of(person.id).await?,
        person,
        session,
    };
    state.metrics.count_login("ok");
    Ok((token, caller))
}

/// Ends the session whose token the request carries.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out; the token no longer works")),
    security(("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    sign_out(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends the caller's session (audited): the API's logout and the console's sign-out.
pub async fn sign_out(state: &AppState, caller: &Caller) -> ApiResult<()> {
    state
        .store
        .end_session(caller.person.id, &caller.session.id)
        .await?;
    caller_event(
        state,
        caller,
        AuditKind::Logout,
        &caller.session.id,
        serde_json::json!({}),
    )
    .await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub client: Option<String>,
    /// The session of this request.
    pub current: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub id: DeviceId,
    pub label: String,
    pub enrolled_at: DateTime<Utc>,
    pub contiguous_seq: u64,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionsView {
    pub sessions: Vec<SessionView>,
    pub devices: Vec<DeviceView>,
}

/// The caller's own live sessions and enrolled devices.
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth",
    responses((status = 200, description = "The caller's sessions, the current one marked, and their devices", body = SessionsView)),
    security(("bearer" = [])))]
pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<SessionsView>> {
    let me = caller.person.id;
    let sessions = state
        .store
        .sessions_of(me, state.clock.now())
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id == caller.session.id,
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            client: s.client,
        })
        .collect();
    let devices = state
        .store
        .devices_of(me)
        .await?
        .into_iter()
        .map(|d| DeviceView {
            id: d.device.id,
            label: d.device.label,
            enrolled_at: d.device.enrolled_at,
            contiguous_seq: d.contiguous_seq,
            revoked_at: d.revoked_at,
        })
        .collect();
    Ok(Json(SessionsView { sessions, devices }))
}

/// Ends one of the caller's sessions (a phone left signed in somewhere).
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth",
    params(("id" = String, Path, description = "A session id from GET /api/v1/auth/sessions")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "The caller has no session by that id", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn end_session(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if id.len() > 64 || !state.store.end_session(caller.person.id, &id).await? {
        return Err(ApiError::NotFound("会话"));
    }
    caller_event(
        &state,
        &caller,
        AuditKind::SessionEnded,
        &id,
        serde_json::json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraws one of the caller's devices (a lost or replaced phone): it pushes nothing more.
/// What it already sent stays.
#[utoipa::path(delete, path = "/api/v1/devices/{id}", tag = "auth",
    params(("id" = zhucun_shared::ids::DeviceId, Path, description = "A device id")),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 404, description = "The caller has no device by that id", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn revoke_device(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let Ok(id) = id.parse::<DeviceId>() else {
        return Err(ApiError::NotFound("设备"));
    };
    if !state
        .store
        .revoke_device(caller.person.id, id, state.clock.now())
        .await?
    {
        return Err(ApiError::NotFound("设备"));
    }
    caller_event(
        &state,
        &caller,
        AuditKind::DeviceRevoked,
        &id.to_string(),
        serde_json::json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub const MAX_DEVICE_LABEL_CHARS: usize = 100;

/// Enrol the caller's phone; answers its device id.
#[utoipa::path(post, path = "/api/v1/devices", tag = "auth",
    request_body(content = EnrollRequest, description = "A name for the phone, e.g. its model"),
    responses(
        (status = 200, description = "The new device; contiguous_seq is 0", body = EnrollResponse),
        (status = 400, description = "Body is not JSON", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "label empty, too long or holding control characters (field label)", body = zhucun_shared::sync::ErrorBody),
    ),
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
        enrolled_at: state.clock.now(),
    };
    state.store.enroll_device(&device).await?;
    let detail = serde_json::json!({"label": device.label});
    caller_event(
        &state,
        &caller,
        AuditKind::DeviceEnrolled,
        &device.id.to_string(),
        detail,
    )
    .await?;
    Ok(Json(EnrollResponse {
        device_id: device.id,
        contiguous_seq: 0,
    }))
}

/// Writes an audit entry of something the caller did, in the caller's township.
async fn caller_event(
    state: &AppState,
    caller: &Caller,
    kind: AuditKind,
    subject: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    let at = state.clock.now();
    let p = &caller.person;
    audit::record(
        &state.store,
        audit::new_entry(at, Some(p.id), Some(p.township_id), kind, subject, detail),
    )
    .await?;
    Ok(())
}
