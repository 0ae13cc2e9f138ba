//! Casso webhook v2 wire types and their normalisation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::util::{self, de};
use crate::{CounterAccount, Direction, Notification, NotifyError, Options, Provider};

/// `{"error": 0, "data": {…}}`. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CassoWebhook {
    #[serde(default)]
    pub error: Option<i64>,
    pub data: CassoData,
}

/// One transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CassoData {
    #[serde(default, deserialize_with = "de::opt_text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "de::opt_memo")]
    pub description: Option<String>,
    /// Signed: negative for money out.
    #[serde(default)]
    pub amount: Option<Value>,
    #[serde(default)]
    pub running_balance: Option<Value>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub transaction_date_time: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub account_number: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub bank_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub bank_abbreviation: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub virtual_account_number: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub virtual_account_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub counter_account_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub counter_account_number: Option<String>,
    /// A NAPAS BIN such as `970415`.
    #[serde(default, deserialize_with = "de::opt_text")]
    pub counter_account_bank_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub counter_account_bank_name: Option<String>,
}

/// Normalise an authenticated webhook.
pub fn normalise(
    hook: CassoWebhook,
    raw: Value,
    now_unix: i64,
    opts: &Options,
) -> Result<Notification, NotifyError> {
    if let Some(e) = hook.error.filter(|&e| e != 0) {
        return Err(NotifyError::NotSuccessful {
            code: e.to_string(),
        });
    }
    let d = hook.data;
    let signed = util::amount_from_value(d.amount.as_ref().unwrap_or(&Value::Null), "data.amount")?;
    if signed == 0 {
        return Err(NotifyError::InvalidField {
            field: "data.amount",
            reason: "must not be 0",
        });
    }
    let balance_after = match d.running_balance.as_ref() {
        None | Some(Value::Null) => None,
        Some(v) => Some(util::amount_from_value(v, "data.runningBalance")?),
    };
    let time = util::time_from_value(
        d.transaction_date_time.map(Value::String).as_ref(),
        "data.transactionDateTime",
    )?;
    let description = d.description.unwrap_or_default();
    Ok(Notification {
        provider: Provider::Casso,
        provider_tx_id: d.id.ok_or(NotifyError::MissingField("data.id"))?,
        account_number: d
            .account_number
            .ok_or(NotifyError::MissingField("data.accountNumber"))?,
        virtual_account: d.virtual_account_number,
        bank_bin: None,
        bank_name: d.bank_abbreviation.or(d.bank_name),
        amount: signed.abs(),
        direction: if signed > 0 {
            Direction::In
        } else {
            Direction::Out
        },
        reference: crate::extract_reference_with(&description, &opts.reference),
        description,
        is_test: d.reference.as_deref() == Some(super::TEST_REFERENCE),
        bank_reference: d.reference,
        order_id: None,
        occurred_at_unix: time.unwrap_or(now_unix),
        time_from_provider: time.is_some(),
        counter_account: CounterAccount::from_parts(
            d.counter_account_bank_id,
            d.counter_account_bank_name,
            d.counter_account_name,
            d.counter_account_number,
        ),
        balance_after,
        raw,
    })
}
