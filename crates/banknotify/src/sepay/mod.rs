//! SePay webhooks.
//!
//! Two of SePay's documented schemes are supported (see [`crate::SepayScheme`]):
//! - `Authorization: Apikey <key>` \[doc\] — a static key: authenticates the sender, does not
//!   protect the body;
//! - HMAC-SHA256 \[doc: "recommended"\], in the form third-party code uses \[3p, **unverified**
//!   against SePay's page]: `X-SePay-Signature: sha256=<hex HMAC-SHA256(secret,
//!   "{timestamp}.{raw body}")>` and `X-SePay-Timestamp: <unix seconds>`, timestamp within
//!   [`Options::window_secs`](crate::Options) (SePay documents a 5-minute limit).
//!
//! "No authentication" and OAuth 2.0 are refused. Answer accepted notifications with
//! [`ACK_BODY`].

pub mod transformers;

use serde_json::json;

use crate::util::{self, header, hex_lower, hmac_sha256, mac_matches_hex, secret_eq};
use crate::{
    Direction, Notification, NotifyError, Options, SepayScheme, SignedRequest, SimTransfer,
};

pub const SIGNATURE_HEADER: &str = "X-SePay-Signature";
pub const TIMESTAMP_HEADER: &str = "X-SePay-Timestamp";
/// The documented reply body (with HTTP 200/201).
pub const ACK_BODY: &str = r#"{"success":true}"#;

/// Verify with default [`Options`] (scheme [`SepayScheme::Auto`]).
pub fn verify(
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
    now_unix: i64,
) -> Result<Notification, NotifyError> {
    verify_with(headers, body, secret, now_unix, &Options::default())
}

/// Authenticate per `opts.sepay_scheme`, then normalise.
pub fn verify_with(
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
    now_unix: i64,
    opts: &Options,
) -> Result<Notification, NotifyError> {
    let use_hmac = match opts.sepay_scheme {
        SepayScheme::Hmac => true,
        SepayScheme::ApiKey => false,
        SepayScheme::Auto => header(headers, SIGNATURE_HEADER).is_some(),
    };
    if use_hmac {
        check_hmac(headers, body, secret, now_unix, opts.window_secs)?;
    } else {
        check_api_key(headers, secret)?;
    }
    let raw = util::parse_json(body)?;
    let hook: transformers::SepayWebhook = serde::Deserialize::deserialize(&raw)
        .map_err(|e: serde_json::Error| NotifyError::MalformedJson(e.to_string()))?;
    transformers::normalise(hook, raw, now_unix, opts)
}

fn check_api_key(headers: &[(String, String)], secret: &str) -> Result<(), NotifyError> {
    let auth =
        header(headers, "Authorization").ok_or(NotifyError::MissingHeader("Authorization"))?;
    let (scheme, key) = auth.split_once(' ').unwrap_or((auth, ""));
    if !scheme.eq_ignore_ascii_case("Apikey") {
        return Err(NotifyError::UnsupportedScheme(
            scheme.chars().take(32).collect(),
        ));
    }
    if secret_eq(key.trim(), secret) {
        Ok(())
    } else {
        Err(NotifyError::BadCredentials)
    }
}

fn check_hmac(
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
    now_unix: i64,
    window: i64,
) -> Result<(), NotifyError> {
    let sig =
        header(headers, SIGNATURE_HEADER).ok_or(NotifyError::MissingHeader(SIGNATURE_HEADER))?;
    let ts_text =
        header(headers, TIMESTAMP_HEADER).ok_or(NotifyError::MissingHeader(TIMESTAMP_HEADER))?;
    let malformed_ts = NotifyError::MalformedHeader {
        header: TIMESTAMP_HEADER,
        reason: "not a unix timestamp",
    };
    if ts_text.is_empty() || !ts_text.bytes().all(|c| c.is_ascii_digit()) {
        return Err(malformed_ts);
    }
    let ts: i64 = ts_text.parse().map_err(|_| malformed_ts)?;
    let ts = if ts > 100_000_000_000 { ts / 1000 } else { ts };
    util::check_window(ts, now_unix, window)?;
    let hex = match sig.split_once('=') {
        Some((alg, hex)) if alg.trim().eq_ignore_ascii_case("sha256") => hex.trim(),
        Some(_) => {
            return Err(NotifyError::MalformedHeader {
                header: SIGNATURE_HEADER,
                reason: "expected sha256=<hex>",
            });
        }
        None => sig,
    };
    let mac = hmac_sha256(secret.as_bytes(), &[ts_text.as_bytes(), b".", body]);
    if mac_matches_hex(&mac, hex) {
        Ok(())
    } else {
        Err(NotifyError::BadSignature)
    }
}

/// `sha256=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>`, the `X-SePay-Signature` value.
pub fn signature(timestamp: &str, body: &[u8], secret: &str) -> String {
    let mac = hmac_sha256(secret.as_bytes(), &[timestamp.as_bytes(), b".", body]);
    format!("sha256={}", hex_lower(&mac))
}

/// Build an HMAC-signed SePay webhook (default options).
pub fn sign(tx: &SimTransfer, secret: &str, now_unix: i64) -> Result<SignedRequest, NotifyError> {
    sign_with(tx, secret, now_unix, &Options::default())
}

/// Build a SePay webhook authenticated per `opts.sepay_scheme` (`Auto` signs with HMAC).
/// `provider_tx_id` must be digits (SePay ids are numbers).
pub fn sign_with(
    tx: &SimTransfer,
    secret: &str,
    now_unix: i64,
    opts: &Options,
) -> Result<SignedRequest, NotifyError> {
    let id: u64 = tx
        .provider_tx_id
        .parse()
        .map_err(|_| NotifyError::InvalidField {
            field: "id",
            reason: "SePay ids are numbers",
        })?;
    let body = json!({
        "id": id,
        "gateway": tx.bank_name,
        "transactionDate": util::format_vn_local(tx.occurred_at_unix),
        "accountNumber": tx.account_number,
        "code": crate::extract_reference_with(&tx.description, &opts.reference),
        "content": tx.description,
        "transferType": match tx.direction { Direction::In => "in", Direction::Out => "out" },
        "transferAmount": tx.amount,
        "accumulated": tx.balance_after,
        "subAccount": tx.virtual_account,
        "referenceCode": tx.bank_reference,
        "description": format!("BankAPINotify {}", tx.description),
    });
    let body = serde_json::to_vec(&body).expect("a Value always serialises");
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    if opts.sepay_scheme == SepayScheme::ApiKey {
        headers.push(("Authorization".into(), format!("Apikey {secret}")));
    } else {
        let ts = now_unix.to_string();
        let sig = signature(&ts, &body, secret);
        headers.push((TIMESTAMP_HEADER.into(), ts));
        headers.push((SIGNATURE_HEADER.into(), sig));
    }
    Ok(SignedRequest { headers, body })
}
