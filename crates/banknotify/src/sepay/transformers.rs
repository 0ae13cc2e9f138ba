//! SePay webhook wire type and its normalisation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::util::{self, de};
use crate::{Direction, Notification, NotifyError, Options, Provider};

/// The webhook body. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SepayWebhook {
    /// SePay transaction id (dedup key).
    #[serde(default, deserialize_with = "de::opt_text")]
    pub id: Option<String>,
    /// Bank name, e.g. `Vietcombank`.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub gateway: Option<String>,
    /// Local time `YYYY-MM-DD HH:MM:SS`.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub transaction_date: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub account_number: Option<String>,
    /// Payment code SePay recognised in `content` by its configured pattern, or null.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub code: Option<String>,
    /// The memo.
    #[serde(default, deserialize_with = "de::opt_memo")]
    pub content: Option<String>,
    /// `in` or `out`.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub transfer_type: Option<String>,
    #[serde(default)]
    pub transfer_amount: Option<Value>,
    /// Balance after the movement.
    #[serde(default)]
    pub accumulated: Option<Value>,
    /// Virtual account, or null.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub sub_account: Option<String>,
    /// Bank reference, e.g. `MBVCB.3278907687`.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub reference_code: Option<String>,
    /// The full bank message.
    #[serde(default, deserialize_with = "de::opt_memo")]
    pub description: Option<String>,
}

/// Normalise an authenticated webhook. The memo is `content`; the Halong reference is looked for in
/// `content`, then in `description`, then SePay's `code`.
pub fn normalise(
    h: SepayWebhook,
    raw: Value,
    now_unix: i64,
    opts: &Options,
) -> Result<Notification, NotifyError> {
    let direction = match h.transfer_type.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("in") => Direction::In,
        Some(t) if t.eq_ignore_ascii_case("out") => Direction::Out,
        Some(_) => {
            return Err(NotifyError::InvalidField {
                field: "transferType",
                reason: "expected in or out",
            });
        }
        None => return Err(NotifyError::MissingField("transferType")),
    };
    let amount = util::amount_from_value(
        h.transfer_amount.as_ref().unwrap_or(&Value::Null),
        "transferAmount",
    )?;
    if amount <= 0 {
        return Err(NotifyError::InvalidField {
            field: "transferAmount",
            reason: "must be > 0",
        });
    }
    let balance_after = match h.accumulated.as_ref() {
        None | Some(Value::Null) => None,
        Some(v) => Some(util::amount_from_value(v, "accumulated")?),
    };
    let time = util::time_from_value(
        h.transaction_date.map(Value::String).as_ref(),
        "transactionDate",
    )?;
    let description = h.content.unwrap_or_default();
    let reference = crate::extract_reference_with(&description, &opts.reference)
        .or_else(|| {
            h.description
                .as_deref()
                .and_then(|d| crate::extract_reference_with(d, &opts.reference))
        })
        .or_else(|| {
            h.code
                .as_deref()
                .and_then(|c| crate::extract_reference_with(c, &opts.reference))
        });
    Ok(Notification {
        provider: Provider::Sepay,
        provider_tx_id: h.id.ok_or(NotifyError::MissingField("id"))?,
        account_number: h
            .account_number
            .ok_or(NotifyError::MissingField("accountNumber"))?,
        virtual_account: h.sub_account,
        bank_bin: None,
        bank_name: h.gateway,
        amount,
        direction,
        description,
        reference,
        bank_reference: h.reference_code,
        order_id: None,
        occurred_at_unix: time.unwrap_or(now_unix),
        time_from_provider: time.is_some(),
        counter_account: None,
        balance_after,
        is_test: false,
        raw,
    })
}
