//! Owned data types the application stores, prints as JSON and encodes.

use serde::{Deserialize, Serialize};

/// The NAPAS GUID (AID) that marks a VietQR merchant account template.
pub const NAPAS_GUID: &str = "A000000727";
/// The VNPAY-QR GUID, recognised as another scheme.
pub const VNPAY_GUID: &str = "A000000775";

/// Point of initiation (`01`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Initiation {
    /// `11`: reusable, the payer types the amount (printed stall signs).
    #[default]
    Static,
    /// `12`: one transaction, usually with amount and reference.
    Dynamic,
}

impl Initiation {
    /// The two-digit wire value.
    pub fn code(self) -> &'static str {
        match self {
            Initiation::Static => "11",
            Initiation::Dynamic => "12",
        }
    }

    /// Parse the wire value.
    pub fn from_code(s: &str) -> Option<Initiation> {
        match s {
            "11" => Some(Initiation::Static),
            "12" => Some(Initiation::Dynamic),
            _ => None,
        }
    }
}

/// NAPAS service code (`38/02`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Service {
    /// Transfer to a bank account (what stall QRs are).
    #[serde(rename = "QRIBFTTA")]
    ToAccount,
    /// Transfer to a card number.
    #[serde(rename = "QRIBFTTC")]
    ToCard,
    /// Merchant payment.
    #[serde(rename = "QRPUSH")]
    Push,
    /// ATM cash withdrawal (decoded; encodable, but Halong has no use for it).
    #[serde(rename = "QRCASH")]
    Cash,
}

impl Service {
    /// The wire value.
    pub fn code(self) -> &'static str {
        match self {
            Service::ToAccount => "QRIBFTTA",
            Service::ToCard => "QRIBFTTC",
            Service::Push => "QRPUSH",
            Service::Cash => "QRCASH",
        }
    }

    /// Parse the wire value (exact, upper case as NAPAS defines it).
    pub fn from_code(s: &str) -> Option<Service> {
        match s {
            "QRIBFTTA" => Some(Service::ToAccount),
            "QRIBFTTC" => Some(Service::ToCard),
            "QRPUSH" => Some(Service::Push),
            "QRCASH" => Some(Service::Cash),
            _ => None,
        }
    }
}

/// A data object kept as is because no typed field owns it.
///
/// `tag` is the path, e.g. `"80"` at the root, `"62/50"` in the additional
/// data template, `"38/03"` in the NAPAS template, `"38/01/02"` in the
/// beneficiary template, `"64/05"` in the language template.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Field {
    pub tag: String,
    pub value: String,
}

/// Additional data template (`62`) fields other than bill number and memo,
/// which [`VietQr`] carries directly.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Additional {
    /// `62/02` mobile number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// `62/03` store label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_label: Option<String>,
    /// `62/04` loyalty number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loyalty_number: Option<String>,
    /// `62/05` reference label (mandatory for QRCASH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_label: Option<String>,
    /// `62/06` customer label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_label: Option<String>,
    /// `62/07` terminal label (mandatory for QRCASH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminal_label: Option<String>,
    /// `62/09` additional consumer data request: letters from `A`, `M`, `E`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_data_request: Option<String>,
}

impl Additional {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Additional::default()
    }
}

/// Merchant information language template (`64`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Language {
    /// `64/00` ISO 639 language code, e.g. `vi`.
    pub preference: String,
    /// `64/01` merchant name in that language (may hold diacritics).
    pub merchant_name: String,
    /// `64/02` merchant city in that language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_city: Option<String>,
}

/// A VietQR payment request: what the application builds, stores and prints.
///
/// `VietQr::decode(VietQr::encode(x)?)` gives back `x` whenever `x` is already
/// normalised (ASCII text in the allowed character sets); otherwise it gives
/// back `x.normalized()?` (see `encode`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VietQr {
    /// `01`: static (stall sign) or dynamic (one payment).
    pub initiation: Initiation,
    /// `38/01/00`: beneficiary bank BIN, six digits.
    pub bin: String,
    /// `38/01/01`: account number, card number or merchant id.
    pub account: String,
    /// `38/02`: service code; `None` only when a decoded payload had none.
    pub service: Option<Service>,
    /// `54`: amount in whole đồng (1 to 13 digits); dynamic QR only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
    /// `62/08`: purpose of transaction, the transfer memo bank apps pre-fill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// `62/01`: bill number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_number: Option<String>,
    /// `59`: merchant name (QRPUSH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_name: Option<String>,
    /// `60`: merchant city (QRPUSH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_city: Option<String>,
    /// `52`: merchant category code (ISO 18245), four digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcc: Option<String>,
    /// `61`: postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// The other `62` sub-fields.
    #[serde(skip_serializing_if = "Additional::is_empty")]
    pub additional: Additional,
    /// `64`: localized merchant name and city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Data objects no typed field owns, in payload order within each template.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<Field>,
}

/// What a scheme GUID identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// VNPAY-QR (`A000000775`).
    VnpayQr,
    /// A template whose GUID this crate does not know, or a primitive
    /// card-network object (`02`–`25`).
    Unknown,
}

impl Scheme {
    /// Classify a GUID (case-insensitive, as GUIDs are hex).
    pub fn from_guid(guid: &str) -> Scheme {
        if guid.eq_ignore_ascii_case(VNPAY_GUID) {
            Scheme::VnpayQr
        } else {
            Scheme::Unknown
        }
    }
}

/// One merchant account information object of a scheme other than NAPAS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeAccount {
    /// Root ID, `02`–`51`.
    pub tag: String,
    /// Sub-field `00` of a template (`26`–`51`); `None` for primitives.
    pub guid: Option<String>,
    pub scheme: Scheme,
    /// The raw value (the whole template for `26`–`51`).
    pub value: String,
}

/// A well-formed EMVCo payload that is not (only) a NAPAS VietQR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherScheme {
    /// The first scheme found, for quick dispatch.
    pub scheme: Scheme,
    pub accounts: Vec<SchemeAccount>,
    /// Every root data object except `00` and `63`, raw, in payload order.
    pub fields: Vec<Field>,
}

/// The result of decoding.
// Boxing the common case to shrink the rare one would cost an allocation
// per decode and make matching clumsier for the application.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decoded {
    /// A NAPAS VietQR (other schemes' templates, if any, are in `extra`).
    #[serde(rename = "vietqr")]
    VietQr(VietQr),
    /// A valid payload for another scheme (e.g. VNPAY-QR).
    OtherScheme(OtherScheme),
}

impl Decoded {
    /// The VietQR, if this is one.
    pub fn into_vietqr(self) -> Option<VietQr> {
        match self {
            Decoded::VietQr(v) => Some(v),
            Decoded::OtherScheme(_) => None,
        }
    }

    /// Borrow the VietQR, if this is one.
    pub fn as_vietqr(&self) -> Option<&VietQr> {
        match self {
            Decoded::VietQr(v) => Some(v),
            Decoded::OtherScheme(_) => None,
        }
    }
}
