//! payOS wire types (payOSHQ/payos-lib-node `src/resources/webhooks/webhook.ts`) and their
//! normalisation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::util::{self, de};
use crate::{CounterAccount, Direction, Notification, NotifyError, Options, Provider};

/// The webhook body. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayosWebhook {
    #[serde(default, deserialize_with = "de::opt_text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "de::opt_memo")]
    pub desc: Option<String>,
    #[serde(default)]
    pub success: Option<bool>,
    pub data: PayosData,
    pub signature: String,
}

/// The signed `data` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayosData {
    #[serde(default)]
    pub order_code: Option<Value>,
    #[serde(default)]
    pub amount: Option<Value>,
    #[serde(default, deserialize_with = "de::opt_memo")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub account_number: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub transaction_date_time: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub payment_link_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "de::opt_memo")]
    pub desc: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub counter_account_bank_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub counter_account_bank_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub counter_account_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub counter_account_number: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub virtual_account_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub virtual_account_number: Option<String>,
}

/// Normalise an authenticated webhook.
pub fn normalise(
    hook: PayosWebhook,
    raw: Value,
    now_unix: i64,
    opts: &Options,
) -> Result<Notification, NotifyError> {
    let d = hook.data;
    if let Some(code) = d.code.as_deref().filter(|c| *c != "00") {
        return Err(NotifyError::NotSuccessful {
            code: code.to_owned(),
        });
    }
    if d.currency
        .as_deref()
        .is_some_and(|c| !c.eq_ignore_ascii_case("VND"))
    {
        return Err(NotifyError::InvalidField {
            field: "data.currency",
            reason: "only VND is supported",
        });
    }
    let amount = util::amount_from_value(d.amount.as_ref().unwrap_or(&Value::Null), "data.amount")?;
    if amount <= 0 {
        return Err(NotifyError::InvalidField {
            field: "data.amount",
            reason: "must be > 0",
        });
    }
    let order_id = util::opt_text(d.order_code.as_ref());
    let provider_tx_id = match (&d.reference, &d.payment_link_id, &order_id) {
        (Some(r), _, _) => r.clone(),
        (None, Some(l), Some(o)) => format!("{l}:{o}"),
        _ => return Err(NotifyError::MissingField("data.reference")),
    };
    let account_number = d
        .account_number
        .ok_or(NotifyError::MissingField("data.accountNumber"))?;
    let time = util::time_from_value(
        d.transaction_date_time.map(Value::String).as_ref(),
        "data.transactionDateTime",
    )?;
    let description = d.description.unwrap_or_default();
    Ok(Notification {
        provider: Provider::Payos,
        reference: crate::extract_reference_with(&description, &opts.reference),
        provider_tx_id,
        account_number,
        virtual_account: d.virtual_account_number,
        bank_bin: None,
        bank_name: None,
        amount,
        direction: Direction::In,
        description,
        bank_reference: d.reference,
        order_id,
        occurred_at_unix: time.unwrap_or(now_unix),
        time_from_provider: time.is_some(),
        counter_account: CounterAccount::from_parts(
            d.counter_account_bank_id,
            d.counter_account_bank_name,
            d.counter_account_name,
            d.counter_account_number,
        ),
        balance_after: None,
        is_test: false,
        raw,
    })
}
