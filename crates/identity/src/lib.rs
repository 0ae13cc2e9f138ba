//! Pure validation and parsing of Vietnamese identity data for Halong.
//!
//! * [`tax_code`] — enterprise / branch tax codes (MST) and the 12-digit personal ID used as a
//!   personal tax code since 1 July 2025.
//! * [`personal_id`] — the 12-digit personal identification number (CCCD) with advisory decoding of
//!   the legacy structure.
//!
//! The crate is pure: no I/O, no clock reads (time is always passed in), no `unsafe`.
#![forbid(unsafe_code)]

pub mod personal_id;
pub mod tax_code;

pub use personal_id::{PersonalId, PersonalIdError, Registration, Sex};
pub use tax_code::{TaxCode, TaxCodeError, TaxCodeKind, check_digit};
