//! The one error type of the crate: every way a notification can be refused.

use std::fmt;

/// Why a bank notification was refused. Each variant has a stable [`code`](Self::code), an English
/// [`Display`](fmt::Display) and a Vietnamese [`message_vi`](Self::message_vi).
///
/// A wrong key and a tampered body are indistinguishable by design (both are
/// [`BadSignature`](Self::BadSignature)): an HMAC says only "this is not what the key holder sent".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NotifyError {
    /// A header the scheme requires is absent.
    MissingHeader(&'static str),
    /// A header is present but not in the documented form.
    MalformedHeader {
        header: &'static str,
        reason: &'static str,
    },
    /// The body is not JSON, or not the documented JSON shape.
    MalformedJson(String),
    /// A required field of the documented body is absent or `null`.
    MissingField(&'static str),
    /// A field is present but unusable (e.g. a non-integral or zero amount, an unknown direction).
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    /// The HMAC does not match: wrong key, or body/header changed in transit.
    BadSignature,
    /// A static credential (SePay API key, VietQR bearer token, Basic credentials) is wrong.
    BadCredentials,
    /// The `Authorization` scheme is not one this provider is configured for.
    UnsupportedScheme(String),
    /// The signed timestamp is outside the accepted window (`age_secs` < 0: from the future).
    StaleTimestamp { age_secs: i64, window_secs: i64 },
    /// The VietQR bearer token was valid but has expired.
    TokenExpired,
    /// Authentic, but the provider says the event is not a successful transaction
    /// (payOS `data.code != "00"`, Casso `error != 0`). Answer 2xx and record nothing.
    NotSuccessful { code: String },
}

impl NotifyError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingHeader(_) => "banknotify.missing_header",
            Self::MalformedHeader { .. } => "banknotify.malformed_header",
            Self::MalformedJson(_) => "banknotify.malformed_json",
            Self::MissingField(_) => "banknotify.missing_field",
            Self::InvalidField { .. } => "banknotify.invalid_field",
            Self::BadSignature => "banknotify.bad_signature",
            Self::BadCredentials => "banknotify.bad_credentials",
            Self::UnsupportedScheme(_) => "banknotify.unsupported_scheme",
            Self::StaleTimestamp { .. } => "banknotify.stale_timestamp",
            Self::TokenExpired => "banknotify.token_expired",
            Self::NotSuccessful { .. } => "banknotify.not_successful",
        }
    }

    /// True when the request is not authentic (answer 401 and log; never retry-friendly).
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self,
            Self::MissingHeader(_)
                | Self::MalformedHeader { .. }
                | Self::BadSignature
                | Self::BadCredentials
                | Self::UnsupportedScheme(_)
                | Self::StaleTimestamp { .. }
                | Self::TokenExpired
        )
    }

    /// Message for Vietnamese-speaking operators.
    pub fn message_vi(&self) -> String {
        match self {
            Self::MissingHeader(h) => format!("Thiếu header bắt buộc {h}"),
            Self::MalformedHeader { header, reason } => {
                format!("Header {header} không đúng định dạng: {reason}")
            }
            Self::MalformedJson(e) => format!("Nội dung thông báo không phải JSON hợp lệ: {e}"),
            Self::MissingField(f) => format!("Thiếu trường bắt buộc {f}"),
            Self::InvalidField { field, reason } => {
                format!("Trường {field} không hợp lệ: {reason}")
            }
            Self::BadSignature => {
                "Chữ ký không khớp: sai khóa bí mật hoặc nội dung đã bị sửa".to_owned()
            }
            Self::BadCredentials => "Thông tin xác thực (API key/token) không đúng".to_owned(),
            Self::UnsupportedScheme(s) => format!("Kiểu xác thực không được hỗ trợ: {s}"),
            Self::StaleTimestamp {
                age_secs,
                window_secs,
            } => {
                format!("Dấu thời gian lệch {age_secs} giây, vượt quá giới hạn {window_secs} giây")
            }
            Self::TokenExpired => "Token truy cập đã hết hạn".to_owned(),
            Self::NotSuccessful { code } => {
                format!("Nhà cung cấp báo giao dịch không thành công (mã {code})")
            }
        }
    }
}

impl fmt::Display for NotifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader(h) => write!(f, "missing required header {h}"),
            Self::MalformedHeader { header, reason } => {
                write!(f, "malformed header {header}: {reason}")
            }
            Self::MalformedJson(e) => write!(f, "malformed JSON body: {e}"),
            Self::MissingField(x) => write!(f, "missing required field {x}"),
            Self::InvalidField { field, reason } => write!(f, "invalid field {field}: {reason}"),
            Self::BadSignature => write!(f, "signature mismatch: wrong key or tampered body"),
            Self::BadCredentials => write!(f, "wrong API key, token or credentials"),
            Self::UnsupportedScheme(s) => write!(f, "unsupported authorization scheme {s}"),
            Self::StaleTimestamp {
                age_secs,
                window_secs,
            } => write!(
                f,
                "timestamp is {age_secs} s old, outside the {window_secs} s window"
            ),
            Self::TokenExpired => write!(f, "bearer token expired"),
            Self::NotSuccessful { code } => {
                write!(
                    f,
                    "provider reports an unsuccessful transaction (code {code})"
                )
            }
        }
    }
}

impl std::error::Error for NotifyError {}
