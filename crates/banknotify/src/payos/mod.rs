//! payOS payment webhooks.
//!
//! Body `{code, desc, success, data, signature}`; `signature` = hex HMAC-SHA256(checksum key,
//! `data` rendered as sorted `key=value&…`, see [`crate::canonical::payos_query_string`]).
//! Only `data` is signed: the top-level `code`/`desc`/`success` are informational and never
//! used for decisions. payOS sends no timestamp, so there is no staleness check: replays are
//! harmless only because the application deduplicates on `provider_tx_id`.

pub mod transformers;

use serde_json::{Map, Value, json};

use crate::canonical::payos_query_string;
use crate::util::{self, hex_lower, hmac_sha256, mac_matches_hex};
use crate::{Notification, NotifyError, Options, SignedRequest, SimTransfer};

/// payOS `signature` for a `data` object: lower-case hex HMAC-SHA256.
pub fn signature(data: &Map<String, Value>, checksum_key: &str) -> String {
    let q = payos_query_string(data);
    hex_lower(&hmac_sha256(checksum_key.as_bytes(), &[q.as_bytes()]))
}

/// Verify with default [`Options`].
pub fn verify(
    headers: &[(String, String)],
    body: &[u8],
    checksum_key: &str,
    now_unix: i64,
) -> Result<Notification, NotifyError> {
    verify_with(headers, body, checksum_key, now_unix, &Options::default())
}

/// Verify the signature over `data`, then normalise. Headers are not used by payOS.
pub fn verify_with(
    _headers: &[(String, String)],
    body: &[u8],
    checksum_key: &str,
    now_unix: i64,
    opts: &Options,
) -> Result<Notification, NotifyError> {
    let raw = util::parse_json(body)?;
    let sig = match raw.get("signature") {
        Some(Value::String(s)) => s.trim(),
        None | Some(Value::Null) => return Err(NotifyError::MissingField("signature")),
        Some(_) => {
            return Err(NotifyError::InvalidField {
                field: "signature",
                reason: "not a string",
            });
        }
    };
    let data = match raw.get("data") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => return Err(NotifyError::MissingField("data")),
        Some(_) => {
            return Err(NotifyError::InvalidField {
                field: "data",
                reason: "not an object",
            });
        }
    };
    let q = payos_query_string(data);
    let mac = hmac_sha256(checksum_key.as_bytes(), &[q.as_bytes()]);
    if !mac_matches_hex(&mac, sig) {
        return Err(NotifyError::BadSignature);
    }
    let hook: transformers::PayosWebhook = serde::Deserialize::deserialize(&raw)
        .map_err(|e: serde_json::Error| NotifyError::MalformedJson(e.to_string()))?;
    transformers::normalise(hook, raw, now_unix, opts)
}

/// Build a signed payOS webhook for `tx` (direction must be `In`; `order_id`, if any, digits).
pub fn sign(
    tx: &SimTransfer,
    checksum_key: &str,
    _now_unix: i64,
) -> Result<SignedRequest, NotifyError> {
    if tx.direction != crate::Direction::In {
        return Err(NotifyError::InvalidField {
            field: "direction",
            reason: "payOS only notifies incoming payments",
        });
    }
    let order_code: i64 = match &tx.order_id {
        None => 0,
        Some(s) => s.parse().map_err(|_| NotifyError::InvalidField {
            field: "orderCode",
            reason: "payOS order codes are numbers",
        })?,
    };
    let c = tx.counter_account.clone().unwrap_or_default();
    let data = json!({
        "orderCode": order_code,
        "amount": tx.amount,
        "description": tx.description,
        "accountNumber": tx.account_number,
        "reference": tx.provider_tx_id,
        "transactionDateTime": util::format_vn_local(tx.occurred_at_unix),
        "currency": "VND",
        "paymentLinkId": format!("sim-{order_code}"),
        "code": "00",
        "desc": "success",
        "counterAccountBankId": c.bank_id,
        "counterAccountBankName": c.bank_name,
        "counterAccountName": c.name,
        "counterAccountNumber": c.number,
        "virtualAccountName": Value::Null,
        "virtualAccountNumber": tx.virtual_account,
    });
    let Value::Object(data) = data else {
        unreachable!("json! object literal")
    };
    let signature = signature(&data, checksum_key);
    let body = json!({
        "code": "00",
        "desc": "success",
        "success": true,
        "data": data,
        "signature": signature,
    });
    Ok(SignedRequest {
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: serde_json::to_vec(&body).expect("a Value always serialises"),
    })
}
