//! VietQR.vn `transaction-sync` wire types (VI doc lower-case and EN doc camelCase names both
//! accepted), token and reply types, and normalisation.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::util::{self, de};
use crate::{Direction, Notification, NotifyError, Options, Provider};

/// The `transaction-sync` body. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VietqrTransactionSync {
    #[serde(default, alias = "bankAccount", deserialize_with = "de::opt_text")]
    pub bankaccount: Option<String>,
    /// Long in the VI doc; a string in the callback sample.
    #[serde(default)]
    pub amount: Option<Value>,
    /// `C` (credit, in) or `D` (debit, out).
    #[serde(
        default,
        rename = "transType",
        alias = "transtype",
        deserialize_with = "de::opt_text"
    )]
    pub trans_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_memo")]
    pub content: Option<String>,
    #[serde(
        default,
        rename = "transactionid",
        alias = "transactionId",
        deserialize_with = "de::opt_text"
    )]
    pub transaction_id: Option<String>,
    #[serde(
        default,
        rename = "transactiontime",
        alias = "transactionTime",
        deserialize_with = "de::opt_text"
    )]
    pub transaction_time: Option<String>,
    #[serde(
        default,
        rename = "referencenumber",
        alias = "referenceNumber",
        deserialize_with = "de::opt_text"
    )]
    pub reference_number: Option<String>,
    #[serde(
        default,
        rename = "orderId",
        alias = "orderid",
        deserialize_with = "de::opt_text"
    )]
    pub order_id: Option<String>,
    #[serde(default, rename = "terminalCode", deserialize_with = "de::opt_text")]
    pub terminal_code: Option<String>,
    #[serde(default, rename = "subTerminalCode", deserialize_with = "de::opt_text")]
    pub sub_terminal_code: Option<String>,
    #[serde(default, rename = "serviceCode", deserialize_with = "de::opt_text")]
    pub service_code: Option<String>,
    #[serde(default, rename = "urlLink", deserialize_with = "de::opt_text")]
    pub url_link: Option<String>,
    /// `sign` (VI API doc; algorithm not given there).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub sign: Option<String>,
    /// `signature` (doc.vietqr.vn callback document).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub signature: Option<String>,
}

/// Reply of `token_generate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VietqrTokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
}

/// Reply of `transaction-sync`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VietqrSyncResponse {
    pub error: bool,
    pub error_reason: Option<String>,
    pub toast_message: String,
    pub object: Option<VietqrSyncObject>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VietqrSyncObject {
    pub reftransactionid: String,
}

impl VietqrSyncResponse {
    /// Success, echoing the transaction id.
    pub fn ok(provider_tx_id: &str) -> Self {
        Self {
            error: false,
            error_reason: None,
            toast_message: "success".into(),
            object: Some(VietqrSyncObject {
                reftransactionid: provider_tx_id.to_owned(),
            }),
        }
    }

    /// Failure with VietQR's documented reason codes (`001` unknown agency, `002` other).
    pub fn failed(reason_code: &str, message: &str) -> Self {
        Self {
            error: true,
            error_reason: Some(reason_code.to_owned()),
            toast_message: message.to_owned(),
            object: None,
        }
    }
}

/// Normalise an authenticated call. Dedup key: `transactionid`, else `referencenumber`, else
/// `sha256:` + the first 32 hex digits of SHA-256(raw body) (identical retries collapse).
pub fn normalise(
    s: &VietqrTransactionSync,
    body: &[u8],
    raw: Value,
    now_unix: i64,
    opts: &Options,
) -> Result<Notification, NotifyError> {
    let direction = match s.trans_type.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("C") => Direction::In,
        Some(t) if t.eq_ignore_ascii_case("D") => Direction::Out,
        Some(_) => {
            return Err(NotifyError::InvalidField {
                field: "transType",
                reason: "expected C or D",
            });
        }
        None => return Err(NotifyError::MissingField("transType")),
    };
    let amount = util::amount_from_value(s.amount.as_ref().unwrap_or(&Value::Null), "amount")?;
    if amount <= 0 {
        return Err(NotifyError::InvalidField {
            field: "amount",
            reason: "must be > 0",
        });
    }
    let description = s
        .content
        .clone()
        .ok_or(NotifyError::MissingField("content"))?;
    let account_number = s
        .bankaccount
        .clone()
        .ok_or(NotifyError::MissingField("bankaccount"))?;
    let provider_tx_id = match (&s.transaction_id, &s.reference_number) {
        (Some(t), _) => t.clone(),
        (None, Some(r)) => r.clone(),
        (None, None) => {
            let h = Sha256::digest(body);
            format!("sha256:{}", &util::hex_lower(&h)[..32])
        }
    };
    let time = util::time_from_value(
        s.transaction_time.clone().map(Value::String).as_ref(),
        "transactiontime",
    )?;
    let reference = crate::extract_reference_with(&description, &opts.reference).or_else(|| {
        s.order_id
            .as_deref()
            .and_then(|o| crate::extract_reference_with(o, &opts.reference))
    });
    Ok(Notification {
        provider: Provider::Vietqr,
        provider_tx_id,
        account_number,
        virtual_account: None,
        bank_bin: None,
        bank_name: None,
        amount,
        direction,
        description,
        reference,
        bank_reference: s.reference_number.clone(),
        order_id: s.order_id.clone(),
        occurred_at_unix: time.unwrap_or(now_unix),
        time_from_provider: time.is_some(),
        counter_account: None,
        balance_after: None,
        is_test: false,
        raw,
    })
}
