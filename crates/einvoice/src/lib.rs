#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! Vietnamese e-invoices (hóa đơn điện tử) and cash-register (MTT) invoices for Halong.
//!
//! Pure library: no network or file I/O; the current time is always passed in.
//! See `docs/einvoice.md` for the model, rounding rule, XML versions and signature profile.

pub mod model;
pub mod mtt;
pub mod taxcode;
pub mod words;

pub use model::*;
pub use mtt::{MttCode, MttCodeError};
pub use taxcode::{TaxCodeError, TaxCodeKind, validate_tax_code};
pub use words::amount_in_words;
pub mod c14n;
pub mod dom;
pub mod xml;

pub use xml::{ReadError, read_invoice, write_invoice};
pub mod base64;
pub mod dsig;
pub mod x509;

pub use dsig::{
    SignOptions, SignatureReport, SigningKey, VerifyOptions, sign_enveloped, sign_invoice,
    verify_signatures,
};
pub mod envelope;
pub mod validate;

pub use validate::{Context, Rule, Severity, Violation, validate, validate_numbering};
