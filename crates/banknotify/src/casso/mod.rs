//! Casso webhook v2.
//!
//! Header `X-Casso-Signature: t=<unix ms>,v1=<hex>` with
//! `v1 = hex(HMAC-SHA512(checksum key, t + "." + JSON(sortKeysRecursively(body))))`, compact JSON
//! of the **whole** body (`{"error":0,"data":{…}}`), see [`crate::canonical::sorted_json`].
//! The timestamp must be within [`Options::window_secs`](crate::Options) of `now`.

pub mod transformers;

use serde_json::{Value, json};

use crate::canonical::sorted_json;
use crate::util::{self, header, hex_lower, hmac_sha512, mac_matches_hex};
use crate::{Direction, Notification, NotifyError, Options, SignedRequest, SimTransfer};

/// Signature header name.
pub const SIGNATURE_HEADER: &str = "X-Casso-Signature";
/// `data.reference` of Casso's dashboard test webhook.
pub const TEST_REFERENCE: &str = "MA_GIAO_DICH_THU_NGHIEM";

/// `v1` for a parsed body and the header's `t` text.
pub fn signature(body: &Value, t: &str, checksum_key: &str) -> String {
    hex_lower(&mac(body, t, checksum_key))
}

fn mac(body: &Value, t: &str, key: &str) -> [u8; 64] {
    let mut canon = String::with_capacity(768);
    sorted_json(body, &mut canon);
    hmac_sha512(key.as_bytes(), &[t.as_bytes(), b".", canon.as_bytes()])
}

/// Parse `t=…,v1=…` (order free, spaces tolerated, unknown keys ignored).
pub fn parse_signature_header(v: &str) -> Result<(&str, &str), NotifyError> {
    let (mut t, mut v1) = (None, None);
    for part in v.split(',') {
        let Some((k, val)) = part.split_once('=') else {
            return Err(NotifyError::MalformedHeader {
                header: SIGNATURE_HEADER,
                reason: "expected t=…,v1=…",
            });
        };
        match k.trim() {
            "t" => t = Some(val.trim()),
            "v1" => v1 = Some(val.trim()),
            _ => {}
        }
    }
    match (t, v1) {
        (Some(t), Some(v1)) if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) => {
            Ok((t, v1))
        }
        (Some(_), Some(_)) => Err(NotifyError::MalformedHeader {
            header: SIGNATURE_HEADER,
            reason: "t is not a number",
        }),
        _ => Err(NotifyError::MalformedHeader {
            header: SIGNATURE_HEADER,
            reason: "t and v1 are required",
        }),
    }
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

/// Check the timestamp window (cheap, first), then the HMAC over the canonical body, then normalise.
pub fn verify_with(
    headers: &[(String, String)],
    body: &[u8],
    checksum_key: &str,
    now_unix: i64,
    opts: &Options,
) -> Result<Notification, NotifyError> {
    let h =
        header(headers, SIGNATURE_HEADER).ok_or(NotifyError::MissingHeader(SIGNATURE_HEADER))?;
    let (t, v1) = parse_signature_header(h)?;
    let t_num: i64 = t.parse().map_err(|_| NotifyError::MalformedHeader {
        header: SIGNATURE_HEADER,
        reason: "t out of range",
    })?;
    // Documented as milliseconds; a 10-digit value is taken as seconds.
    let ts = if t_num > 100_000_000_000 {
        t_num / 1000
    } else {
        t_num
    };
    util::check_window(ts, now_unix, opts.window_secs)?;
    let raw = util::parse_json(body)?;
    if !mac_matches_hex(&mac(&raw, t, checksum_key), v1) {
        return Err(NotifyError::BadSignature);
    }
    if raw.get("data").is_some_and(Value::is_array) {
        return Err(NotifyError::InvalidField {
            field: "data",
            reason: "an array: legacy Casso v1 webhook, configure webhook v2",
        });
    }
    let hook: transformers::CassoWebhook = serde::Deserialize::deserialize(&raw)
        .map_err(|e: serde_json::Error| NotifyError::MalformedJson(e.to_string()))?;
    transformers::normalise(hook, raw, now_unix, opts)
}

/// Build a signed Casso v2 webhook for `tx` (`provider_tx_id` must be digits), timestamped `now`.
pub fn sign(
    tx: &SimTransfer,
    checksum_key: &str,
    now_unix: i64,
) -> Result<SignedRequest, NotifyError> {
    let id: u64 = tx
        .provider_tx_id
        .parse()
        .map_err(|_| NotifyError::InvalidField {
            field: "data.id",
            reason: "Casso ids are numbers",
        })?;
    let c = tx.counter_account.clone().unwrap_or_default();
    let amount = match tx.direction {
        Direction::In => tx.amount,
        Direction::Out => -tx.amount,
    };
    let body = json!({
        "error": 0,
        "data": {
            "id": id,
            "reference": tx.bank_reference,
            "description": tx.description,
            "amount": amount,
            "runningBalance": tx.balance_after,
            "transactionDateTime": util::format_vn_local(tx.occurred_at_unix),
            "accountNumber": tx.account_number,
            "bankName": tx.bank_name,
            "bankAbbreviation": Value::Null,
            "virtualAccountNumber": tx.virtual_account,
            "virtualAccountName": Value::Null,
            "counterAccountName": c.name,
            "counterAccountNumber": c.number,
            "counterAccountBankId": c.bank_id,
            "counterAccountBankName": c.bank_name,
        }
    });
    let t = (now_unix * 1000).to_string();
    let mut canon = String::with_capacity(768);
    sorted_json(&body, &mut canon);
    let v1 = hex_lower(&hmac_sha512(
        checksum_key.as_bytes(),
        &[t.as_bytes(), b".", canon.as_bytes()],
    ));
    Ok(SignedRequest {
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            (SIGNATURE_HEADER.into(), format!("t={t},v1={v1}")),
        ],
        body: canon.into_bytes(),
    })
}
