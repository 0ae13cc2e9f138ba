//! Cash-register (MTT) e-invoices in the platform: taxpayers registered with the tax authority,
//! registers (a shop counter, a stall, a fuel-pump nozzle), products, sales, invoices numbered
//! without gaps per seller and year, signed XML, and the buyer look-up.
//!
//! The invoice itself is built, written and signed by the pure `einvoice` crate; this module
//! stores it and decides who may do what. The signed XML is the record: list columns (total,
//! code, status) are copies for queries.

pub mod demo;
pub mod issue;
pub mod pages;
pub mod routes;
pub mod sender;
pub mod store;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;

/// The key that signs invoices (the solution operator's certificate, signing on the seller's
/// behalf), loaded once at start-up.
pub type Signer = Arc<einvoice::SigningKey>;

/// A demo key and certificate (issued by "Halong Test Root CA", marked TEST), used only with
/// `--demo` when no key is configured. Never use it for real invoices.
const DEMO_KEY: &[u8] = include_bytes!("../../data/demo-einvoice/seller.key.pk8.der");
const DEMO_CERT: &[u8] = include_bytes!("../../data/demo-einvoice/seller.cert.der");

/// Loads the signing key: the configured PKCS#8 key and certificate (DER or PEM), else the demo
/// key in demo mode, else none (issuing then answers "no signing key").
pub fn load_signer(
    key: Option<&Path>,
    cert: Option<&Path>,
    demo: bool,
) -> anyhow::Result<Option<Signer>> {
    match (key, cert) {
        (Some(k), Some(c)) => {
            let key = read_der(k, "PRIVATE KEY")?;
            let cert = read_der(c, "CERTIFICATE")?;
            let s = einvoice::SigningKey::from_pkcs8_der(&key, &cert)
                .map_err(|e| anyhow::anyhow!("e-invoice signing key: {e}"))?;
            Ok(Some(Arc::new(s)))
        }
        (None, None) if demo => Ok(Some(Arc::new(
            einvoice::SigningKey::from_pkcs8_der(DEMO_KEY, DEMO_CERT)
                .map_err(|e| anyhow::anyhow!("demo signing key: {e}"))?,
        ))),
        (None, None) => Ok(None),
        _ => anyhow::bail!("set both HALONG_EINVOICE_KEY and HALONG_EINVOICE_CERT"),
    }
}

/// A DER file, or the first PEM block of the given label.
fn read_der(path: &Path, label: &str) -> anyhow::Result<Vec<u8>> {
    use base64::Engine;
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(bytes);
    };
    let begin = format!("-----BEGIN {label}-----");
    let Some(rest) = text.split(&begin).nth(1) else {
        anyhow::bail!("{}: no {label} block", path.display());
    };
    let body = rest
        .split(&format!("-----END {label}-----"))
        .next()
        .unwrap_or_default();
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    Ok(base64::engine::general_purpose::STANDARD.decode(b64)?)
}

/// A seller registered (or registering) for cash-register invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Taxpayer {
    pub merchant_id: i64,
    /// 1 VAT invoice (credit method), 2 sales invoice (households, direct method).
    pub form: i16,
    /// Characters 5–6 of the invoice symbol.
    pub symbol_suffix: String,
    /// The 5-character code of acceptance notice 103.
    pub mtt_code: Option<String>,
    /// pending, registered, refused.
    pub status: String,
    pub message_id: Option<String>,
    pub reasons: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Product {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub unit: String,
    /// Integer đồng as printed on the invoice: before VAT on VAT invoices (form 1), the final
    /// price on sales invoices (form 2).
    pub unit_price: i64,
    /// 0%, 5%, 8%, 10%, KCT, KKKNT or KHAC:AB.CD%.
    pub vat_rate: String,
    pub is_fuel: bool,
    pub active: bool,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Register {
    pub id: i64,
    pub merchant_id: i64,
    pub stall_id: Option<i64>,
    /// counter, stall or fuel_pump.
    pub kind: String,
    pub label: String,
    /// For a fuel-pump nozzle: the product it dispenses.
    pub fuel_product_id: Option<i64>,
    pub status: String,
    pub created_at: i64,
}

/// One line of a sale as rung up (copied from the product, so later price changes do not
/// alter a sale).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CartLine {
    pub product_id: i64,
    pub name: String,
    pub unit: String,
    /// Thousandths of a unit (1.5 kg = 1500; 12.345 litres = 12345).
    pub quantity_milli: i64,
    pub unit_price: i64,
    pub vat_rate: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Sale {
    pub id: i64,
    pub register_id: i64,
    pub merchant_id: i64,
    pub client_key: String,
    /// The cart as JSON (see [`CartLine`]).
    pub cart: String,
    pub total: i64,
    /// cash, qr, card or ewallet.
    pub method: String,
    /// Buyer details as JSON, only when the buyer asked for them.
    pub buyer: Option<String>,
    pub payment_request_id: Option<i64>,
    /// The invoice this sale's invoice replaces (a correction).
    pub replaces_invoice_id: Option<i64>,
    pub replace_reason: Option<String>,
    /// awaiting_payment, paid, invoiced, cancelled.
    pub status: String,
    pub created_at: i64,
}

/// Buyer details, printed only when the buyer asks for them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BuyerInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub tax_code: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub citizen_id: Option<String>,
}

/// An invoice as listed (the full document is its XML).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: i64,
    pub merchant_id: i64,
    pub register_id: i64,
    pub sale_id: Option<i64>,
    pub form: i16,
    pub symbol: String,
    pub number: i64,
    pub year: i32,
    /// The tax-authority code `M{form}-{yy}-{code}-{sequence}`.
    pub code: String,
    pub seller_tax_code: String,
    pub issued_at: i64,
    pub total: i64,
    pub vat_total: i64,
    pub payment_method: String,
    pub has_buyer: bool,
    pub replaces_id: Option<i64>,
    /// issued or replaced.
    pub status: String,
    /// pending, sent, accepted or refused by the tax authority.
    pub tax_status: String,
    pub tax_reasons: String,
}

/// Who may ring up sales and see a merchant's invoices: administrators, the owner and its
/// cashiers.
pub fn can_sell(p: &Principal, merchant_id: i64) -> bool {
    p.is_admin()
        || p.owns_merchant(merchant_id)
        || p.scopes("merchant_cashier").any(|m| m == merchant_id)
}

/// Who may change registers, products and the registration: administrators and the owner.
pub fn can_manage(p: &Principal, merchant_id: i64) -> bool {
    p.is_admin() || p.owns_merchant(merchant_id)
}

/// Who may read a merchant's invoices: sellers, plus tax officers (read-only).
pub fn can_read(p: &Principal, merchant_id: i64) -> bool {
    can_sell(p, merchant_id) || p.sees_all()
}
