//! Sign-in by phone number and a one-time code sent by SMS.
//!
//! Limits: a code lives 5 minutes and works once; at most 5 guesses per code; sends are limited
//! per phone (3 per 15 min) and per IP (20 per 15 min); guesses per IP (60 per 15 min); every 5
//! consecutive wrong codes for a phone lock it, 1 min then doubling up to an hour.

use axum::http::StatusCode;
use identity::phone::Phone;

use super::store::{self, Person};
use super::throttle;
use super::{constant_eq, hash_secret};
use crate::db::now_micros;
use crate::error::{ApiError, FieldError};
use crate::server::AppState;
use crate::with_db;

pub const CODE_SECONDS: i64 = 300;
pub const MAX_ATTEMPTS_PER_CODE: i32 = 5;
const WINDOW_SECONDS: i64 = 900;
const SENDS_PER_PHONE: i32 = 3;
const SENDS_PER_IP: i32 = 20;
const GUESSES_PER_IP: i32 = 60;

pub fn parse_phone(raw: &str) -> Result<Phone, ApiError> {
    Phone::parse(raw).map_err(|e| {
        ApiError::validation(vec![FieldError::new(
            "phone",
            e.code(),
            e.message_vi(),
            e.message_en(),
        )])
    })
}

fn too_many(code: &str, retry_after_us: i64) -> ApiError {
    let secs = (retry_after_us / 1_000_000).max(1);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        code,
        &format!("Quá nhiều lần thử; hãy thử lại sau {secs} giây"),
        &format!("Too many attempts; retry in {secs} s"),
    )
    .with_details(serde_json::json!({ "retry_after_seconds": secs }))
}

fn code_hash(phone: &str, challenge_created: i64, code: &str) -> String {
    hash_secret(&format!("{phone}:{challenge_created}:{code}"))
}

/// Sends a new code to the phone. Returns the phone in national form.
pub async fn request_code(st: &AppState, raw_phone: &str, ip: &str) -> Result<Phone, ApiError> {
    let phone = parse_phone(raw_phone)?;
    let national = phone.as_national().to_string();
    let now = now_micros();
    if let Some(until) =
        throttle::locked_until(&st.db, &format!("otp_verify:{national}"), now).await?
    {
        return Err(too_many("locked", until - now));
    }
    let per_phone =
        throttle::hit(&st.db, &format!("otp_send:{national}"), WINDOW_SECONDS, now).await?;
    let per_ip = throttle::hit(&st.db, &format!("otp_send_ip:{ip}"), WINDOW_SECONDS, now).await?;
    if per_phone > SENDS_PER_PHONE || per_ip > SENDS_PER_IP {
        return Err(too_many("too_many_codes", WINDOW_SECONDS * 1_000_000));
    }
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let sql = "INSERT INTO otp_challenges (phone, code_hash, created_at, expires_at) \
        VALUES ($1, $2, $3, $4)";
    with_db!(&st.db, p => sqlx::query(sql).bind(&national).bind(code_hash(&national, now, &code))
        .bind(now).bind(now + CODE_SECONDS * 1_000_000).execute(p).await.map(|_| ()))?;
    let text = format!(
        "Ma xac thuc Halong cua ban la {code}. Ma het han sau 5 phut. Khong chia se ma nay voi ai."
    );
    st.sms.send(&national, &text).await.map_err(|e| {
        tracing::error!(error = %e, phone = %identity::phone::mask(&national), "SMS not sent");
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "sms_failed",
            "Không gửi được tin nhắn, vui lòng thử lại",
            "Could not send the SMS, please retry",
        )
    })?;
    tracing::info!(phone = %identity::phone::mask(&national), "OTP sent");
    Ok(phone)
}

/// Checks a code; on success the person (created as a citizen on first sign-in) has at least
/// eKYC level 1.
pub async fn verify_code(
    st: &AppState,
    raw_phone: &str,
    code: &str,
    ip: &str,
) -> Result<Person, ApiError> {
    let phone = parse_phone(raw_phone)?;
    let national = phone.as_national().to_string();
    let key = format!("otp_verify:{national}");
    let now = now_micros();
    if let Some(until) = throttle::locked_until(&st.db, &key, now).await? {
        return Err(too_many("locked", until - now));
    }
    if throttle::hit(&st.db, &format!("otp_verify_ip:{ip}"), WINDOW_SECONDS, now).await?
        > GUESSES_PER_IP
    {
        return Err(too_many("too_many_attempts", WINDOW_SECONDS * 1_000_000));
    }
    let challenge: Option<(i64, String, i64, i32)> = with_db!(&st.db, p => sqlx::query_as(
        "SELECT id, code_hash, created_at, attempts FROM otp_challenges WHERE phone = $1 \
         AND consumed_at IS NULL AND expires_at > $2 ORDER BY id DESC LIMIT 1")
        .bind(&national).bind(now).fetch_optional(p).await)?;
    let ok = match &challenge {
        Some((id, hash, created, attempts)) if *attempts < MAX_ATTEMPTS_PER_CODE => {
            with_db!(&st.db, p => sqlx::query(
                "UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = $1")
                .bind(id).execute(p).await.map(|_| ()))?;
            constant_eq(&code_hash(&national, *created, code.trim()), hash)
        }
        _ => false,
    };
    // Single use: only the request that flips consumed_at wins.
    let consumed = ok && {
        let id = challenge.as_ref().map(|c| c.0);
        let n = with_db!(&st.db, p => sqlx::query(
            "UPDATE otp_challenges SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL")
            .bind(id).bind(now).execute(p).await?.rows_affected());
        n == 1
    };
    if !consumed {
        if let Some(until) = throttle::fail(&st.db, &key, now).await? {
            return Err(too_many("locked", until - now));
        }
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_code",
            "Mã xác thực sai hoặc đã hết hạn",
            "Wrong or expired code",
        ));
    }
    throttle::succeed(&st.db, &key).await?;
    let person = store::ensure_person(&st.db, "", &national, false).await?;
    if store::grants(&st.db, person.id).await?.is_empty() {
        store::grant(&st.db, person.id, "citizen", 0, None).await?;
    }
    if person.ekyc_level < 1 {
        let details = serde_json::json!({ "phone": identity::phone::mask(&national) });
        store::set_ekyc_level(&st.db, person.id, 1, "otp_sms", Some(person.id), &details).await?;
    }
    Ok(store::person(&st.db, person.id)
        .await?
        .expect("person exists"))
}
