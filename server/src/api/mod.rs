//! The HTTP API. Each module has its `router`; they are merged here with the operational
//! endpoints (`/health`, `/metrics`, `/api/openapi.json`).

pub mod audit;
pub mod auth;
pub mod extract;
pub mod findings;
pub mod leave;
pub mod ledger_submissions;
pub mod ledgers;
pub mod photos;
pub mod reports;
pub mod spot_checks;
pub mod sync;

use crate::app::AppState;
use crate::error::ApiError;
use crate::store::Store;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;

pub fn router(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    let body_timeout_s = state.config.body_read_timeout_secs;
    Router::new()
        .merge(auth::router(state.clone()))
        .merge(sync::router(state.clone()))
        .merge(photos::router(state.clone()))
        .merge(reports::router(state.clone()))
        .merge(spot_checks::router(state.clone()))
        .merge(findings::router(state.clone()))
        .merge(leave::router(state.clone()))
        .merge(audit::router(state.clone()))
        .merge(ledgers::router(state.clone()))
        .merge(ledger_submissions::router(state.clone()))
        .merge(ops_router(state.clone()))
        .merge(crate::console::router(state.clone()))
        .fallback(|| async { ApiError::NotFound("接口") })
        .layer(DefaultBodyLimit::max(body_limit))
        // A body that stops arriving is abandoned rather than holding its connection.
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
            body_timeout_s.max(1),
        )))
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::metrics::track,
        ))
        .layer(TraceLayer::new_for_http())
}

fn ops_router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi))
        .with_state(state)
}

/// Up, and the database answers.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.setting("health").await {
        Ok(_) => Json(serde_json::json!({"status": "ok", "database": state.store.backend()}))
            .into_response(),
        Err(e) => ApiError::Internal(format!("health check: {e}")).into_response(),
    }
}

/// `/metrics` alone, unauthenticated: for the separate `metrics_bind` listener only.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .with_state(state)
}

/// With the configured token only; without one configured, not served here at all.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return ApiError::NotFound("接口").into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Digests compared, so that the time taken says nothing about the token.
    if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.as_bytes()) {
        return ApiError::Unauthenticated.into_response();
    }
    metrics_text(State(state)).await.into_response()
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
    }
}

/// What the types cannot say: every route that takes a token answers 401 without a valid one,
/// and the lengths and counts the handlers enforce, stated from the constants that enforce them
/// (so that a client generated from the document, or a schema-driven tester, keeps within them).
struct Refusals;

impl utoipa::Modify for Refusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};
        use zhucun_shared::sync::{MAX_PUSH_RECORDS, PROTOCOL_VERSION};
        let unauthenticated: RefOr<_> = ResponseBuilder::new()
            .description("No valid token (code unauthenticated)")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
            .into();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ];
            for op in operations.into_iter().flatten() {
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    op.responses
                        .responses
                        .entry("401".into())
                        .or_insert_with(|| unauthenticated.clone());
                }
                // A file's chunk is bytes, not an array of numbers; an empty chunk changes nothing
                // and is answered like any other.
                if let Some(body) = op.request_body.as_mut() {
                    if let Some(chunk) = body.content.get_mut("application/octet-stream") {
                        chunk.schema = Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                                .into(),
                        );
                        body.required = Some(Required::False);
                    }
                }
            }
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let mut property = |schema: &str, name: &str, limit: &dyn Fn(&mut Schema)| {
            if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(schema) {
                if let Some(RefOr::T(p)) = o.properties.get_mut(name) {
                    limit(p);
                }
            }
        };
        // Names and labels are trimmed first: some character must be more than white space;
        // a label holds no control character (`char::is_control`).
        let length = |min: usize, max: usize, pattern: Option<&'static str>| {
            move |s: &mut Schema| {
                if let Schema::Object(o) = s {
                    o.min_length = Some(min);
                    o.max_length = Some(max);
                    o.pattern = pattern.map(String::from);
                }
            }
        };
        property(
            "LoginRequest",
            "username",
            &length(1, crate::accounts::MAX_USERNAME_CHARS, Some("\\S")),
        );
        property(
            "LoginRequest",
            "password",
            &length(0, crate::accounts::MAX_PASSWORD_CHARS, None),
        );
        property(
            "EnrollRequest",
            "label",
            &length(
                1,
                auth::MAX_DEVICE_LABEL_CHARS,
                Some("^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"),
            ),
        );
        property("PushRequest", "protocol", &|s| {
            if let Schema::Object(o) = s {
                let version = utoipa::Number::UInt(PROTOCOL_VERSION as usize);
                o.minimum = Some(version.clone());
                o.maximum = Some(version);
            }
        });
        property("PushRequest", "records", &|s| {
            if let Schema::Array(a) = s {
                a.max_items = Some(MAX_PUSH_RECORDS);
            }
        });
    }
}

/// The API document served at `/api/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Zhucun sync API",
        version = "1",
        description = "Between the Zhucun phone app and the server. JSON; protocol version 1.\n\n\
            Errors are always JSON: ErrorBody {code, message, field}. `field` is the JSON path of \
            the value at fault (e.g. `records[3].body.fix.lat`).\n\n\
            Push is validated atomically (one bad record refuses the batch, nothing stored) and \
            then answered per record in one transaction (stored, duplicate, or conflict); nothing \
            is ever half-written. Photos are uploaded by SHA-256 in resumable chunks.\n\n\
            Every body has its schema under components.schemas, derived from the zhucun-shared types \
            that the server and the phone both serialise."
    ),
    paths(
        auth::login, auth::logout, auth::sessions, auth::end_session, auth::enroll, auth::revoke_device,
        sync::push, sync::pull,
        photos::status, photos::upload, photos::download, photos::file_status, photos::upload_file, photos::download_file,
        reports::people, reports::report, reports::trajectory, reports::team, spot_checks::spot_checks,
        findings::record,
        leave::requests,
        audit::audit,
        ledgers::ledger,
        ledger_submissions::steps,
        ledger_submissions::take_step,
    ),
    modifiers(&BearerAuth, &Refusals),
    tags(
        (name = "auth", description = "Accounts and devices"),
        (name = "sync", description = "Records from phones, reference data to phones"),
        (name = "photos", description = "Photo files"),
        (name = "reports", description = "Verdicts and trajectories, within the caller's jurisdiction"),
        (name = "ledgers", description = "Ledgers (台账) generated from the records, as XLSX or CSV"),
    )
)]
pub struct ApiDoc;
