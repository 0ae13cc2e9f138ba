//! From the borrowed [`Payload`] view to the owned [`Decoded`] model.

use crate::decode::{Payload, RawField};
use crate::error::Error;
use crate::model::*;
use crate::tag::Tag;

fn field(f: &RawField<'_>) -> Field {
    Field {
        tag: f.tag.to_string(),
        value: f.value.to_owned(),
    }
}

fn string(f: Option<RawField<'_>>) -> Option<String> {
    f.map(|f| f.value.to_owned())
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

impl Payload<'_> {
    /// Copy the view into the owned model.
    pub fn to_decoded(&self) -> Decoded {
        match self.napas {
            Some(_) => Decoded::VietQr(self.to_vietqr()),
            None => Decoded::OtherScheme(self.to_other_scheme()),
        }
    }

    fn to_vietqr(&self) -> VietQr {
        let napas = self
            .napas
            .unwrap_or_else(|| unreachable!("checked by to_decoded"));
        let a = &self.additional;
        VietQr {
            initiation: self.initiation_kind().unwrap_or_default(),
            bin: napas.bin.to_owned(),
            account: napas.account.to_owned(),
            service: napas.service,
            amount: self.amount_dong(),
            memo: owned(a.purpose),
            bill_number: owned(a.bill_number),
            merchant_name: string(self.merchant_name),
            merchant_city: string(self.merchant_city),
            mcc: string(self.mcc),
            postal_code: string(self.postal_code),
            additional: Additional {
                mobile: owned(a.mobile),
                store_label: owned(a.store_label),
                loyalty_number: owned(a.loyalty_number),
                reference_label: owned(a.reference_label),
                customer_label: owned(a.customer_label),
                terminal_label: owned(a.terminal_label),
                consumer_data_request: owned(a.consumer_data_request),
            },
            language: self.language.map(|l| Language {
                preference: l.preference.to_owned(),
                merchant_name: l.merchant_name.to_owned(),
                merchant_city: owned(l.merchant_city),
            }),
            extra: self.extras_in_order(),
        }
    }

    /// Extras plus other schemes' accounts, in payload order.
    fn extras_in_order(&self) -> Vec<Field> {
        if self.extra.is_empty() && self.schemes.is_empty() {
            return Vec::new();
        }
        let mut all: Vec<RawField<'_>> = self.extra.clone();
        all.extend(self.schemes.iter().map(|s| s.field));
        all.sort_by_key(|f| f.offset);
        all.iter().map(field).collect()
    }

    fn to_other_scheme(&self) -> OtherScheme {
        let accounts: Vec<SchemeAccount> = self
            .schemes
            .iter()
            .map(|s| SchemeAccount {
                tag: s.field.tag.to_string(),
                guid: owned(s.guid),
                scheme: s.guid.map_or(Scheme::Unknown, Scheme::from_guid),
                value: s.field.value.to_owned(),
            })
            .collect();
        OtherScheme {
            scheme: accounts.first().map_or(Scheme::Unknown, |a| a.scheme),
            accounts,
            fields: root_fields(self.raw),
        }
    }
}

/// Every root object except `00` and `63` (the payload is already validated).
fn root_fields(s: &str) -> Vec<Field> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 4 <= s.len() {
        let b = s.as_bytes();
        let id = (b[pos] - b'0') * 10 + (b[pos + 1] - b'0');
        let len = ((b[pos + 2] - b'0') * 10 + (b[pos + 3] - b'0')) as usize;
        let value = &s[pos + 4..pos + 4 + len];
        if id != 0 && id != 63 {
            out.push(Field {
                tag: Tag::root(id).to_string(),
                value: value.to_owned(),
            });
        }
        pos += 4 + len;
    }
    out
}

/// Strictly decode a payload string into the owned model.
pub fn decode(s: &str) -> Result<Decoded, Error> {
    Payload::parse(s).map(|p| p.to_decoded())
}

/// Strictly decode payload bytes (they must be UTF-8).
pub fn decode_bytes(b: &[u8]) -> Result<Decoded, Error> {
    crate::decode::parse_bytes(b).map(|p| p.to_decoded())
}

impl VietQr {
    /// Strictly decode a payload; other schemes come back as
    /// [`Decoded::OtherScheme`], not as an error.
    pub fn decode(s: &str) -> Result<Decoded, Error> {
        decode(s)
    }
}
