//! API errors: JSON `{"code", "message_vi", "message_en", "details"}` with a fitting status.
//! `code` is stable (clients branch on it); the messages are for people.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One broken rule of one field (or one CSV cell).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message_vi: String,
    pub message_en: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            code: code.to_string(),
            message_vi: vi.into(),
            message_en: en.into(),
        }
    }

    pub fn required(field: &str) -> Self {
        FieldError::new(field, "required", "Bắt buộc nhập", "Required")
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message_vi: String,
    pub message_en: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &str, vi: &str, en: &str) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                code: code.to_string(),
                message_vi: vi.to_string(),
                message_en: en.to_string(),
                details: serde_json::Value::Null,
            },
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.body.details = details;
        self
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Không tìm thấy",
            "Not found",
        )
        .with_details(serde_json::json!({ "resource": what }))
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Dữ liệu không hợp lệ",
            "Invalid data",
        )
        .with_details(serde_json::json!({ "errors": errors }))
    }

    pub fn conflict(code: &str, vi: &str, en: &str) -> Self {
        ApiError::new(StatusCode::CONFLICT, code, vi, en)
    }

    pub fn bad_request(code: &str, vi: &str, en: &str) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, vi, en)
    }

    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Lỗi hệ thống, vui lòng thử lại sau",
            "Internal error, please try again later",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unique_violation(&e) {
            return ApiError::conflict("duplicate", "Bản ghi đã tồn tại", "Record already exists");
        }
        if crate::db::is_foreign_key_violation(&e) {
            return ApiError::conflict(
                "referenced",
                "Bản ghi đang được tham chiếu hoặc tham chiếu không tồn tại",
                "Record is referenced, or references a missing record",
            );
        }
        if matches!(e, sqlx::Error::PoolTimedOut) {
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Hệ thống đang bận, vui lòng thử lại",
                "Service busy, please retry",
            );
        }
        tracing::error!(error = %e, "database error");
        ApiError::internal()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<sqlx::Error>() {
            Ok(s) => s.into(),
            Err(e) => {
                tracing::error!(error = %e, "internal error");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

/// Parses a JSON body after the handler has checked who may call it: axum's `Json` extractor
/// would answer 422 to a bad body before any permission check, telling a stranger more than
/// "not allowed".
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_json",
            "Dữ liệu JSON không hợp lệ",
            "Invalid JSON body",
        )
        .with_details(serde_json::json!({ "error": e.to_string() }))
    })
}
