//! VietQR for Halong: strict decoding and safe encoding of NAPAS / EMVCo
//! merchant-presented QR payloads, the Vietnamese bank directory, and QR
//! images and printable stall signs.
//!
//! ```
//! use vietqr::{Decoded, Initiation, Service, VietQr};
//!
//! let qr = VietQr {
//!     initiation: Initiation::Dynamic,
//!     bin: "970436".into(),
//!     account: "0011012345678".into(),
//!     service: Some(Service::ToAccount),
//!     amount: Some(25_000),
//!     memo: Some("Rau muống sạp A12".into()),
//!     ..VietQr::default()
//! };
//! let payload = qr.encode().unwrap();
//! let Decoded::VietQr(back) = VietQr::decode(&payload).unwrap() else { panic!() };
//! assert_eq!(back.memo.as_deref(), Some("Rau muong sap A12"));
//! assert_eq!(back, qr.normalized().unwrap());
//! ```
#![forbid(unsafe_code)]

pub mod banks;
mod crc;
pub mod decode;
mod encode;
mod error;
mod model;
mod owned;
pub mod render;
mod tag;
mod translit;

pub use crate::crc::crc16;
pub use decode::{Payload, parse_bytes};
pub use encode::{MAX_CITY, MAX_POSTAL, MAX_SUBFIELD, MAX_VALUE};
pub use error::Error;
pub use model::*;
pub use owned::{decode, decode_bytes};
pub use tag::{BadTagPath, Ids, Tag};
pub use translit::{fold, transliterate};

#[cfg(test)]
mod tests;
