//! VietQR.vn partner callback ("API VietQR Callback", `POST …/bank/api/transaction-sync`).
//!
//! Authentication is two-step \[doc\]: VietQR first calls the partner's
//! `POST …/vqr/api/token_generate` with HTTP Basic credentials the partner created for it
//! ([`check_token_request`]) and receives `{"access_token","token_type":"Bearer","expires_in":59}`
//! ([`issue_token`]); it then calls `transaction-sync` with `Authorization: Bearer <token>`.
//!
//! Tokens issued here are stateless so that verification stays pure: `hlvqr1.<exp>.<hex>` where
//! `hex = HMAC-SHA256(secret, "hlvqr1.<exp>")` and `exp` is the unix expiry. `secret` is the
//! partner password (`HALONG_VIETQR_PASSWORD`).
//!
//! The bearer token authenticates the caller but not the body. VietQR's callback document
//! (doc.vietqr.vn, not in the Halong reference) also describes a body `signature`:
//! `hex(HMAC-SHA256(key, transactionId + amount as 10 digits + transactionTime + orderId))` with a
//! key VietQR issues. It is checked when [`Options::vietqr_sign_secret`](crate::Options) is set
//! and only observed otherwise. Even then it does not cover `bankAccount`, `content` or
//! `transType`.

pub mod transformers;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::util::{self, header, hex_lower, hmac_sha256, mac_matches_hex, secret_eq};
use crate::{Direction, Notification, NotifyError, Options, SignedRequest, SimTransfer};

pub use transformers::{VietqrSyncResponse, VietqrTokenResponse, VietqrTransactionSync};

/// `expires_in` of VietQR's documented token response.
pub const DEFAULT_TOKEN_TTL_SECS: i64 = 59;
const TOKEN_TAG: &str = "hlvqr1";

/// Issue a bearer token valid until `now_unix + ttl_secs`.
pub fn issue_token(secret: &str, now_unix: i64, ttl_secs: i64) -> VietqrTokenResponse {
    let exp = now_unix.saturating_add(ttl_secs.max(1));
    let msg = format!("{TOKEN_TAG}.{exp}");
    let mac = hmac_sha256(secret.as_bytes(), &[msg.as_bytes()]);
    VietqrTokenResponse {
        access_token: format!("{msg}.{}", hex_lower(&mac)),
        token_type: "Bearer".into(),
        expires_in: ttl_secs.max(1),
    }
}

/// Check a bearer token issued by [`issue_token`].
pub fn check_token(token: &str, secret: &str, now_unix: i64) -> Result<(), NotifyError> {
    let mut parts = token.splitn(3, '.');
    let (Some(TOKEN_TAG), Some(exp), Some(hex)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NotifyError::BadCredentials);
    };
    if exp.is_empty() || !exp.bytes().all(|c| c.is_ascii_digit()) {
        return Err(NotifyError::BadCredentials);
    }
    let mac = hmac_sha256(
        secret.as_bytes(),
        &[TOKEN_TAG.as_bytes(), b".", exp.as_bytes()],
    );
    if !mac_matches_hex(&mac, hex) {
        return Err(NotifyError::BadCredentials);
    }
    let exp: i64 = exp.parse().map_err(|_| NotifyError::BadCredentials)?;
    if now_unix > exp {
        return Err(NotifyError::TokenExpired);
    }
    Ok(())
}

/// Check the HTTP Basic credentials VietQR presents to `token_generate`.
pub fn check_token_request(
    headers: &[(String, String)],
    username: &str,
    password: &str,
) -> Result<(), NotifyError> {
    let auth =
        header(headers, "Authorization").ok_or(NotifyError::MissingHeader("Authorization"))?;
    let (scheme, cred) = auth.split_once(' ').unwrap_or((auth, ""));
    if !scheme.eq_ignore_ascii_case("Basic") {
        return Err(NotifyError::UnsupportedScheme(
            scheme.chars().take(32).collect(),
        ));
    }
    let decoded = STANDARD
        .decode(cred.trim())
        .map_err(|_| NotifyError::MalformedHeader {
            header: "Authorization",
            reason: "Basic credentials are not base64",
        })?;
    let decoded = String::from_utf8(decoded).map_err(|_| NotifyError::BadCredentials)?;
    let (u, p) = decoded.split_once(':').ok_or(NotifyError::BadCredentials)?;
    // Evaluate both comparisons: no early exit on the user name.
    let ok = secret_eq(u, username) & secret_eq(p, password);
    if ok {
        Ok(())
    } else {
        Err(NotifyError::BadCredentials)
    }
}

/// The `Authorization` value VietQR sends to `token_generate` (for the simulator).
pub fn basic_auth(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{username}:{password}"))
    )
}

/// The documented success reply, echoing the transaction id as `reftransactionid`.
pub fn ack_body(provider_tx_id: &str) -> String {
    serde_json::to_string(&VietqrSyncResponse::ok(provider_tx_id)).expect("serialisable")
}

/// The body `signature` (doc.vietqr.vn callback document): hex HMAC-SHA256 of
/// `transactionId` + amount zero-padded to 10 digits + `transactionTime` + `orderId`.
pub fn body_signature(
    transaction_id: &str,
    amount: i64,
    transaction_time: &str,
    order_id: &str,
    key: &str,
) -> String {
    hex_lower(&body_mac(
        transaction_id,
        amount,
        transaction_time,
        order_id,
        key,
    ))
}

fn body_mac(tid: &str, amount: i64, time: &str, order: &str, key: &str) -> [u8; 32] {
    let amount = format!("{amount:010}");
    hmac_sha256(
        key.as_bytes(),
        &[
            tid.as_bytes(),
            amount.as_bytes(),
            time.as_bytes(),
            order.as_bytes(),
        ],
    )
}

/// Verify with default [`Options`] (body `signature` only observed).
pub fn verify(
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
    now_unix: i64,
) -> Result<Notification, NotifyError> {
    verify_with(headers, body, secret, now_unix, &Options::default())
}

/// Check the bearer token (and the body `signature` when configured), then normalise.
pub fn verify_with(
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
    now_unix: i64,
    opts: &Options,
) -> Result<Notification, NotifyError> {
    let auth =
        header(headers, "Authorization").ok_or(NotifyError::MissingHeader("Authorization"))?;
    let (scheme, token) = auth.split_once(' ').unwrap_or((auth, ""));
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(NotifyError::UnsupportedScheme(
            scheme.chars().take(32).collect(),
        ));
    }
    check_token(token.trim(), secret, now_unix)?;
    let raw = util::parse_json(body)?;
    let sync: VietqrTransactionSync = serde::Deserialize::deserialize(&raw)
        .map_err(|e: serde_json::Error| NotifyError::MalformedJson(e.to_string()))?;
    let n = transformers::normalise(&sync, body, raw, now_unix, opts)?;
    if let Some(key) = &opts.vietqr_sign_secret {
        let sig = sync
            .signature
            .as_deref()
            .or(sync.sign.as_deref())
            .ok_or(NotifyError::MissingField("signature"))?;
        let mac = body_mac(
            sync.transaction_id.as_deref().unwrap_or(""),
            n.amount,
            sync.transaction_time.as_deref().unwrap_or(""),
            sync.order_id.as_deref().unwrap_or(""),
            key,
        );
        if !mac_matches_hex(&mac, sig) {
            return Err(NotifyError::BadSignature);
        }
    }
    Ok(n)
}

/// Build a `transaction-sync` call for `tx` with default options (no body signature).
pub fn sign(tx: &SimTransfer, secret: &str, now_unix: i64) -> Result<SignedRequest, NotifyError> {
    sign_with(tx, secret, now_unix, &Options::default())
}

/// Build a `transaction-sync` call: a fresh bearer token and the VI-doc (lower-case) body, with
/// `transactiontime` as epoch milliseconds and, when `opts.vietqr_sign_secret` is set, `signature`.
pub fn sign_with(
    tx: &SimTransfer,
    secret: &str,
    now_unix: i64,
    opts: &Options,
) -> Result<SignedRequest, NotifyError> {
    let token = issue_token(secret, now_unix, opts.vietqr_token_ttl_secs);
    let time = (tx.occurred_at_unix * 1000).to_string();
    let mut m = Map::new();
    m.insert("bankaccount".into(), tx.account_number.clone().into());
    m.insert("amount".into(), tx.amount.into());
    m.insert(
        "transType".into(),
        match tx.direction {
            Direction::In => "C",
            Direction::Out => "D",
        }
        .into(),
    );
    m.insert("content".into(), tx.description.clone().into());
    m.insert("transactionid".into(), tx.provider_tx_id.clone().into());
    m.insert("transactiontime".into(), time.clone().into());
    m.insert("referencenumber".into(), tx.bank_reference.clone().into());
    m.insert("orderId".into(), tx.order_id.clone().into());
    if let Some(key) = &opts.vietqr_sign_secret {
        let sig = body_signature(
            &tx.provider_tx_id,
            tx.amount,
            &time,
            tx.order_id.as_deref().unwrap_or(""),
            key,
        );
        m.insert("signature".into(), sig.into());
    }
    Ok(SignedRequest {
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            (
                "Authorization".into(),
                format!("Bearer {}", token.access_token),
            ),
        ],
        body: serde_json::to_vec(&Value::Object(m)).expect("a Value always serialises"),
    })
}
