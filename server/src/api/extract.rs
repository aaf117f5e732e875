//! Extractors whose rejections are [`ApiError`]s naming the field at fault, instead of axum's
//! plain-text ones.

use crate::app::AppState;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// A JSON body, deserialised with the path of the first bad field (`records[3].body.fix.lat`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge {
                    limit: state.config.max_body_bytes as u64,
                }
            } else {
                ApiError::Malformed {
                    field: None,
                    message: e.body_text(),
                }
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, naming the field where it went wrong: syntax errors are 400, values of the
/// wrong type or missing fields 422.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Tracking the path costs on every value; only a body that fails needs it.
    if let Ok(v) = serde_json::from_slice(bytes) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = (path != "." && path != "?").then_some(path);
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return ApiError::Malformed {
                field: at,
                message: inner.to_string(),
            };
        }
        let message = inner.to_string();
        // serde reports a missing field at its parent; name the field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (at, missing) {
            (Some(p), Some(m)) => format!("{p}.{m}"),
            (None, Some(m)) => m.to_string(),
            (Some(p), None) => p,
            (None, None) => "body".to_string(),
        };
        ApiError::Invalid { field, message }
    })?;
    de.end().map_err(|e| ApiError::Malformed {
        field: None,
        message: e.to_string(),
    })?;
    Ok(value)
}

/// The field a serde or axum message names: in backticks (`missing field `month``), or before
/// the first colon of a query-string error (`…query string: date: invalid…`).
fn named_field(message: &str) -> Option<String> {
    if let Some(f) = message.split('`').nth(1) {
        return Some(f.to_string());
    }
    let rest = message.split_once("query string: ")?.1;
    let (field, _) = rest.split_once(':')?;
    let field = field.trim();
    (!field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| field.to_string())
}

/// A query string.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| {
                let message = e.body_text();
                ApiError::Invalid {
                    field: named_field(&message).unwrap_or_else(|| "query".into()),
                    message,
                }
            })
    }
}

/// Path parameters.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError::Invalid {
                field: "path".into(),
                message: e.body_text(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhucun_shared::sync::PushRequest;

    fn field(json: &str) -> (StatusCode, Option<String>) {
        let e = parse_json::<PushRequest>(json.as_bytes()).unwrap_err();
        (e.status(), e.body().field)
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field("{\"protocol\": 1,"), (StatusCode::BAD_REQUEST, None));
        let (s, f) = field(r#"{"protocol": "one"}"#);
        assert_eq!(
            (s, f.as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("protocol"))
        );
        let (_, f) = field(r#"{"protocol": 1, "sent_at": "2026-11-03T08:00:00Z", "records": []}"#);
        assert_eq!(f.as_deref(), Some("device_id"));
        let (_, f) = field(
            r#"{"protocol": 1, "device_id": "0193a000-0000-7000-8000-000000000001",
                "sent_at": "2026-11-03T08:00:00Z", "records": [{"id": 5}]}"#,
        );
        assert_eq!(f.as_deref(), Some("records[0].id"));
    }
}
