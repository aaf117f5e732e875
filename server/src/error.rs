//! Every error the API answers. Each has a stable machine-readable code, a message for people
//! (zh-CN), the HTTP status that fits and, where one field is at fault, its JSON path. Internal
//! details are logged, never returned.

use crate::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use zhucun_shared::sync::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON, or not JSON of the right shape.
    #[error("malformed body at {field:?}: {message}")]
    Malformed {
        field: Option<String>,
        message: String,
    },
    /// A value is out of bounds.
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    #[error("body larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("photo refused: {message}")]
    BadPhoto {
        code: &'static str,
        field: String,
        message: String,
    },
    #[error("not authenticated")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed logins; retry in {retry_after_s} s")]
    Throttled { retry_after_s: u64 },
    #[error("outside the caller's jurisdiction")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Nothing to answer for what was asked (a verdict not kept by the instant named, say).
    #[error("absent: {message}")]
    Absent {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    #[error("conflict: {message}")]
    Conflict {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    #[error("internal: {0}")]
    Internal(String),
}

impl From<crate::evaluation::EvalError> for ApiError {
    fn from(e: crate::evaluation::EvalError) -> Self {
        match e {
            crate::evaluation::EvalError::Store(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } | ApiError::BadPhoto { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthenticated | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::Absent { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (code, message, field): (&str, String, Option<String>) = match self {
            ApiError::Malformed { field, message } => (
                "malformed_json",
                format!("请求内容格式错误：{message}"),
                field.clone(),
            ),
            ApiError::Invalid { field, message } => (
                "invalid_field",
                format!("字段 {field} 无效：{message}"),
                Some(field.clone()),
            ),
            ApiError::TooLarge { limit } => (
                "body_too_large",
                format!("请求内容超过 {limit} 字节上限"),
                Some("body".into()),
            ),
            ApiError::BadPhoto {
                code,
                field,
                message,
            } => (
                code,
                format!("文件无法接收：{message}"),
                Some(field.clone()),
            ),
            ApiError::Unauthenticated => (
                "unauthenticated",
                "请先登录（缺少或已失效的令牌）".into(),
                Some("authorization".into()),
            ),
            ApiError::BadCredentials => ("bad_credentials", "用户名或密码错误".into(), None),
            ApiError::Throttled { retry_after_s } => (
                "too_many_attempts",
                format!("登录失败次数过多，请 {retry_after_s} 秒后再试"),
                Some("username".into()),
            ),
            ApiError::Forbidden => ("forbidden", "无权查看该人员的数据".into(), None),
            ApiError::NotFound(what) => ("not_found", format!("未找到：{what}"), None),
            ApiError::Absent {
                code,
                field,
                message,
            } => (code, message.clone(), field.clone()),
            ApiError::Conflict {
                code,
                field,
                message,
            } => (code, message.clone(), field.clone()),
            ApiError::Internal(_) => ("internal", "服务器内部错误，请稍后再试".into(), None),
        };
        ErrorBody {
            code: code.to_string(),
            message,
            field,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if let ApiError::Throttled { retry_after_s } = &self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => ApiError::Conflict {
                code: "already_exists",
                field: None,
                message: format!("已存在：{what}"),
            },
            StoreError::Missing(what) => ApiError::Conflict {
                code: "missing_reference",
                field: None,
                message: format!("引用的对象不存在：{what}"),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Internal(format!("blocking task failed: {e}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
