//! Pure validation and parsing of Vietnamese identity data for Halong.
//!
//! * [`tax_code`] — enterprise / branch tax codes (MST) and the 12-digit personal ID used as a
//!   personal tax code since 1 July 2025.
//! * [`personal_id`] — the 12-digit personal identification number (CCCD) with advisory decoding of
//!   the legacy structure.
//! * [`phone`] — Vietnamese mobile numbers, carriers, and [`mask`] for logs and UI.
//! * [`mrz`] — ICAO 9303 TD1 machine-readable zone of the chip ID card.
//! * [`otp`] — HOTP (RFC 4226) and TOTP (RFC 6238).
//! * [`chip`] — the card chip (ICAO 9303 LDS): DG1, EF.SOD and passive authentication.
//! * [`ekyc`] — eKYC levels and MRZ-versus-entered-data comparison.
//!
//! The crate is pure: no I/O, no clock reads (time is always passed in), no `unsafe`.
#![forbid(unsafe_code)]

pub mod chip;
pub mod ekyc;
pub mod mrz;
pub mod otp;
pub mod personal_id;
pub mod phone;
pub mod tax_code;

pub use chip::{ChipError, Dg1, PaReport, Sod, passive_authentication};
pub use ekyc::{
    BirthDate, ChipDecision, ChipEvidence, EkycLevel, Mismatch, PassiveAuth, check_mrz, chip_level2,
};
pub use mrz::{Mrz, MrzError};
pub use otp::{Algorithm, Hotp, OtpError, Totp};
pub use personal_id::{PersonalId, PersonalIdError, Registration, Sex};
pub use phone::{Carrier, Phone, PhoneError, mask};
pub use tax_code::{TaxCode, TaxCodeError, TaxCodeKind, check_digit};
