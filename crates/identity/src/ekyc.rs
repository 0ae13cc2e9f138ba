//! eKYC levels and the comparison of a chip-card MRZ with what the user typed.
//!
//! [`EkycLevel`] is the evidence tier of an account (serialised as the integer `0`, `1` or `2`).
//! [`check_mrz`] is a pure function: it compares an already verified [`Mrz`] with the entered
//! name, personal ID and birth date and lists every mismatch. Names are compared without case,
//! Vietnamese diacritics or punctuation (`Đ`/`đ` → `D`), as the MRZ carries only `A–Z`.
//! [`chip_level2`] decides level-2 eligibility from the chip card (scanned MRZ + entered data,
//! DG1, passive authentication) and returns a [`ChipDecision`] recording what was checked.
//!
//! ```
//! use identity::ekyc::{BirthDate, check_mrz};
//! use identity::mrz::Mrz;
//! let mrz = Mrz::parse(
//!     "IDVNM0950012340022095001234<<8\n\
//!      9503157M3503155VNM<<<<<<<<<<<6\n\
//!      NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<",
//! )
//! .unwrap();
//! let born = BirthDate { year: 1995, month: 3, day: 15 };
//! assert!(check_mrz(&mrz, "Nguyễn Văn An", "022 095 001 234", born).is_empty());
//! ```

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::chip::{Dg1, PaReport, Sod, passive_authentication};
use crate::mrz::Mrz;
use crate::personal_id::PersonalId;

/// Evidence tier of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum EkycLevel {
    /// Nothing verified.
    #[default]
    Unverified = 0,
    /// Control of a phone number proven (OTP).
    PhoneVerified = 1,
    /// Identity document verified (chip card MRZ/NFC with matching data, or VNeID level 2).
    DocumentVerified = 2,
}

impl EkycLevel {
    /// All levels in ascending order.
    pub const ALL: [EkycLevel; 3] = [
        EkycLevel::Unverified,
        EkycLevel::PhoneVerified,
        EkycLevel::DocumentVerified,
    ];

    /// The integer value (`0`, `1`, `2`).
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The level of an integer value.
    pub fn from_u8(value: u8) -> Option<EkycLevel> {
        Self::ALL.get(usize::from(value)).copied()
    }

    /// Stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::PhoneVerified => "phone_verified",
            Self::DocumentVerified => "document_verified",
        }
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Unverified => "Chưa xác thực",
            Self::PhoneVerified => "Đã xác thực số điện thoại",
            Self::DocumentVerified => "Đã xác thực giấy tờ tùy thân",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Unverified => "Unverified",
            Self::PhoneVerified => "Phone verified",
            Self::DocumentVerified => "Identity document verified",
        }
    }
}

impl TryFrom<u8> for EkycLevel {
    type Error = u8;
    fn try_from(value: u8) -> Result<Self, u8> {
        Self::from_u8(value).ok_or(value)
    }
}

impl From<EkycLevel> for u8 {
    fn from(level: EkycLevel) -> u8 {
        level.as_u8()
    }
}

impl fmt::Display for EkycLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_en())
    }
}

impl Serialize for EkycLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.as_u8())
    }
}

impl<'de> Deserialize<'de> for EkycLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u8::deserialize(deserializer)?;
        EkycLevel::from_u8(value).ok_or_else(|| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Unsigned(u64::from(value)),
                &"an eKYC level 0, 1 or 2",
            )
        })
    }
}

/// A full calendar birth date as entered by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BirthDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One difference between the MRZ and the entered data. Values are the normalised forms that
/// were compared; mask them ([`crate::phone::mask`]) before logging.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum Mismatch {
    /// Folded names differ (`on_document` as in the MRZ, `entered` folded to `A–Z`).
    Name {
        on_document: String,
        entered: String,
    },
    /// The MRZ holds no Vietnamese 12-digit ID (not a Vietnamese chip card, or inconsistent).
    PersonalIdMissing,
    /// The entered ID is not 12 digits or differs from the MRZ.
    PersonalId {
        on_document: String,
        entered: String,
    },
    /// Birth dates differ (`on_document` as `YYMMDD`, or `YYYY-MM-DD` when the century is known
    /// from the personal ID).
    BirthDate {
        on_document: String,
        entered: String,
    },
}

impl Mismatch {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Name { .. } => "ekyc.name_mismatch",
            Self::PersonalIdMissing => "ekyc.personal_id_missing",
            Self::PersonalId { .. } => "ekyc.personal_id_mismatch",
            Self::BirthDate { .. } => "ekyc.birth_date_mismatch",
        }
    }

    /// Message for Vietnamese-speaking users (contains no personal data).
    pub fn message_vi(&self) -> String {
        match self {
            Self::Name { .. } => "Họ và tên không khớp với thẻ căn cước",
            Self::PersonalIdMissing => "Không đọc được số định danh cá nhân từ thẻ căn cước",
            Self::PersonalId { .. } => "Số định danh cá nhân không khớp với thẻ căn cước",
            Self::BirthDate { .. } => "Ngày sinh không khớp với thẻ căn cước",
        }
        .to_owned()
    }

    /// Message for English-speaking users (contains no personal data).
    pub fn message_en(&self) -> String {
        match self {
            Self::Name { .. } => "The full name does not match the ID card",
            Self::PersonalIdMissing => "No personal ID number could be read from the ID card",
            Self::PersonalId { .. } => "The personal ID number does not match the ID card",
            Self::BirthDate { .. } => "The date of birth does not match the ID card",
        }
        .to_owned()
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

/// Base letters of the Vietnamese precomposed lower-case letters.
const FOLD: &[(char, &str)] = &[
    ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
    ('d', "đ"),
    ('e', "èéẻẽẹêềếểễệ"),
    ('i', "ìíỉĩị"),
    ('o', "òóỏõọôồốổỗộơờớởỡợ"),
    ('u', "ùúủũụưừứửữự"),
    ('y', "ỳýỷỹỵ"),
];

fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    FOLD.iter()
        .find(|(_, variants)| variants.contains(c))
        .map_or(c, |&(base, _)| base)
}

fn is_combining(c: char) -> bool {
    ('\u{0300}'..='\u{036f}').contains(&c)
}

/// Folds a name for comparison with the MRZ: lower-cases, removes Vietnamese diacritics (both
/// precomposed and combining forms; `đ` → `d`), upper-cases, and joins the words with single
/// spaces. Anything that is not a letter or digit separates words (`<`, `-`, `'`, spaces).
///
/// ```
/// assert_eq!(identity::ekyc::fold_name("  Đặng  Thị Ngọc-Ánh "), "DANG THI NGOC ANH");
/// ```
pub fn fold_name(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if is_combining(c) {
            continue; // combining diacritical mark (decomposed input)
        }
        let c = fold_char(c);
        if c.is_alphanumeric() {
            current.extend(c.to_uppercase().filter(|u| !is_combining(*u)));
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words.join(" ")
}

/// Compares a verified MRZ with the entered full name (Vietnamese order, surname first), personal
/// ID and birth date; returns every mismatch (empty = all match).
///
/// * Name: [`fold_name`] of both sides must be equal; when the MRZ name is truncated (line 3 full)
///   the entered name only has to start with the MRZ letters.
/// * Personal ID: separators are ignored; requires [`Mrz::vietnamese_id`].
/// * Birth date: day, month and the two-digit year must match; when the MRZ carries the personal
///   ID, its century digit gives the full year, which must match too.
pub fn check_mrz(
    mrz: &Mrz,
    full_name: &str,
    personal_id: &str,
    birth_date: BirthDate,
) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();

    let on_document = fold_name(&mrz.full_name());
    let entered = fold_name(full_name);
    let name_ok = if mrz.name_truncated {
        let condensed = |s: &str| s.replace(' ', "");
        condensed(&entered).starts_with(&condensed(&on_document)) && !on_document.is_empty()
    } else {
        on_document == entered && !entered.is_empty()
    };
    if !name_ok {
        mismatches.push(Mismatch::Name {
            on_document,
            entered,
        });
    }

    let entered_id = PersonalId::parse(personal_id);
    match mrz.vietnamese_id() {
        Err(_) => mismatches.push(Mismatch::PersonalIdMissing),
        Ok(id) => {
            if entered_id.as_ref().ok() != Some(id) {
                mismatches.push(Mismatch::PersonalId {
                    on_document: id.as_str().to_owned(),
                    entered: match &entered_id {
                        Ok(e) => e.as_str().to_owned(),
                        Err(_) => personal_id.trim().to_owned(),
                    },
                });
            }
        }
    }

    let d = mrz.birth_date;
    let (date_ok, on_document) = match mrz.birth_year() {
        Some(year) => (
            year == birth_date.year && d.month == birth_date.month && d.day == birth_date.day,
            BirthDate {
                year,
                month: d.month,
                day: d.day,
            }
            .to_string(),
        ),
        None => (
            u16::from(d.yy) == birth_date.year % 100
                && d.month == birth_date.month
                && d.day == birth_date.day,
            d.to_yymmdd(),
        ),
    };
    if !date_ok {
        mismatches.push(Mismatch::BirthDate {
            on_document,
            entered: birth_date.to_string(),
        });
    }
    mismatches
}

// ---------------------------------------------------------------------------------------------
// Level 2 from the chip card
// ---------------------------------------------------------------------------------------------

/// Passive-authentication outcome as recorded in a [`ChipDecision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassiveAuth {
    /// CSCA certificates configured and every check passed, chain included.
    Passed,
    /// A check failed (or the SOD does not parse).
    Failed,
    /// No CSCA certificate configured: the SOD's internal checks (hashes, `messageDigest`,
    /// signature with the embedded DS certificate, its validity) passed, but nothing anchors the
    /// DS certificate, so a forged SOD with a self-made DS certificate would pass too.
    NotConfigured,
}

/// An error recorded in a [`ChipDecision`]: stable code and English message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EvidenceError {
    pub code: String,
    pub message: String,
}

impl EvidenceError {
    fn new(code: &str, message: String) -> EvidenceError {
        EvidenceError {
            code: code.to_owned(),
            message,
        }
    }
}

/// What the user entered and what was read from the card, for [`chip_level2`].
#[derive(Debug, Clone, Copy)]
pub struct ChipEvidence<'a> {
    /// MRZ typed by the user or read by OCR / camera from the back of the card.
    pub scanned_mrz: &'a str,
    /// Entered full name, personal ID and birth date.
    pub full_name: &'a str,
    pub personal_id: &'a str,
    pub birth_date: BirthDate,
    /// EF.DG1 as read over NFC.
    pub dg1: &'a [u8],
    /// EF.SOD as read over NFC.
    pub sod: &'a [u8],
    /// Other data groups read (e.g. `(2, dg2)`, `(13, dg13)`); their hashes are checked too.
    pub other_data_groups: &'a [(u8, &'a [u8])],
    /// Trusted CSCA certificates (DER); empty when none is configured.
    pub csca_certs_der: &'a [&'a [u8]],
    /// Time of the decision (Unix seconds), for certificate validity and the record.
    pub now_unix: i64,
}

/// The record of a level-2 decision from the chip card: what was checked and the outcome. The
/// application stores it with the account and the operator / session that submitted the evidence.
/// It contains personal data (ID number, mismatching values): protect it like the ID itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChipDecision {
    /// Whether the chip evidence qualifies for [`EkycLevel::DocumentVerified`].
    pub eligible: bool,
    /// When (the `now_unix` given).
    pub decided_at_unix: i64,
    /// How: `"chip_mrz_dg1_pa"` (MRZ + DG1 + passive authentication with a CSCA) or
    /// `"chip_mrz_dg1_no_csca"` (MRZ + DG1 + SOD integrity, no CSCA configured).
    pub method: String,
    /// Who: the 12-digit personal ID of the card (from DG1, else from the scanned MRZ).
    pub personal_id: Option<String>,
    /// Document number field of the MRZ.
    pub document_number: Option<String>,
    /// The scanned MRZ did not parse.
    pub scanned_mrz_error: Option<EvidenceError>,
    /// Differences between the scanned MRZ and the entered data ([`check_mrz`]).
    pub mismatches: Vec<Mismatch>,
    /// DG1 did not parse.
    pub dg1_error: Option<EvidenceError>,
    /// DG1's MRZ is character for character the scanned MRZ.
    pub dg1_matches_scanned_mrz: bool,
    /// EF.SOD did not parse.
    pub sod_error: Option<EvidenceError>,
    pub passive_auth: PassiveAuth,
    /// The passive-authentication report (absent when the SOD did not parse).
    pub pa_report: Option<PaReport>,
    /// Stable codes of every reason for refusal (empty when eligible).
    pub refusals: Vec<String>,
}

impl ChipDecision {
    /// The level this evidence grants: `DocumentVerified` when eligible.
    pub fn level(&self) -> Option<EkycLevel> {
        self.eligible.then_some(EkycLevel::DocumentVerified)
    }
}

/// Decides whether chip-card evidence qualifies for level 2 ([`EkycLevel::DocumentVerified`]).
///
/// Eligible when all of:
/// 1. the scanned MRZ parses and [`check_mrz`] finds no mismatch with the entered name, ID and
///    birth date;
/// 2. DG1 parses and its MRZ is the scanned MRZ, character for character;
/// 3. the SOD parses and passive authentication (DG1 and `other_data_groups`) has no failed
///    check; and, **when CSCA certificates are configured**, the DS certificate chains to one of
///    them ([`PassiveAuth::Passed`]).
///
/// Policy when no CSCA is configured: level 2 is still granted on MRZ + DG1 consistency, recorded
/// as [`PassiveAuth::NotConfigured`] and `method = "chip_mrz_dg1_no_csca"`, so that such accounts
/// can be found and re-checked once CSCA certificates are installed. The SOD's internal checks
/// still run in that case and any failure refuses (a wrong hash or signature is evidence of
/// tampering, not a missing configuration).
///
/// Face matching (selfie against DG2), required by banks for electronic accounts, is outside this
/// function.
pub fn chip_level2(evidence: &ChipEvidence<'_>) -> ChipDecision {
    let mut refusals: Vec<String> = Vec::new();

    let scanned = Mrz::parse(evidence.scanned_mrz);
    let (scanned_mrz_error, mismatches) = match &scanned {
        Ok(mrz) => (
            None,
            check_mrz(
                mrz,
                evidence.full_name,
                evidence.personal_id,
                evidence.birth_date,
            ),
        ),
        Err(e) => {
            refusals.push("ekyc.scanned_mrz_invalid".into());
            (
                Some(EvidenceError::new(e.code(), e.message_en())),
                Vec::new(),
            )
        }
    };
    if !mismatches.is_empty() {
        refusals.push("ekyc.entered_data_mismatch".into());
    }

    let dg1 = Dg1::parse(evidence.dg1);
    let dg1_error = dg1
        .as_ref()
        .err()
        .map(|e| EvidenceError::new(e.code(), e.message_en()));
    if dg1_error.is_some() {
        refusals.push("ekyc.dg1_invalid".into());
    }
    let dg1_matches_scanned_mrz = dg1
        .as_ref()
        .is_ok_and(|d| scanned.is_ok() && d.matches_scanned(evidence.scanned_mrz));
    if dg1.is_ok() && scanned.is_ok() && !dg1_matches_scanned_mrz {
        refusals.push("ekyc.dg1_differs_from_scanned_mrz".into());
    }

    let sod = Sod::parse(evidence.sod);
    let sod_error = sod
        .as_ref()
        .err()
        .map(|e| EvidenceError::new(e.code(), e.message_en()));
    let configured = !evidence.csca_certs_der.is_empty();
    let pa_report = sod.as_ref().ok().map(|sod| {
        let mut groups: Vec<(u8, &[u8])> = vec![(1, evidence.dg1)];
        groups.extend(evidence.other_data_groups.iter().filter(|(n, _)| *n != 1));
        passive_authentication(sod, &groups, evidence.csca_certs_der, evidence.now_unix)
    });
    let passive_auth = match &pa_report {
        None => {
            refusals.push("ekyc.sod_invalid".into());
            PassiveAuth::Failed
        }
        Some(r) if !r.passed() => PassiveAuth::Failed,
        Some(r) if configured && !r.chain_verified() => PassiveAuth::Failed,
        Some(_) if configured => PassiveAuth::Passed,
        Some(_) => PassiveAuth::NotConfigured,
    };
    if passive_auth == PassiveAuth::Failed && pa_report.is_some() {
        refusals.push("ekyc.passive_authentication_failed".into());
    }

    let source = dg1.as_ref().map(|d| &d.mrz).ok().or(scanned.as_ref().ok());
    ChipDecision {
        eligible: refusals.is_empty(),
        decided_at_unix: evidence.now_unix,
        method: if configured {
            "chip_mrz_dg1_pa"
        } else {
            "chip_mrz_dg1_no_csca"
        }
        .to_owned(),
        personal_id: source.and_then(|m| m.personal_id.as_ref().map(|p| p.as_str().to_owned())),
        document_number: source.map(|m| m.document_number.clone()),
        scanned_mrz_error,
        mismatches,
        dg1_error,
        dg1_matches_scanned_mrz,
        sod_error,
        passive_auth,
        pa_report,
        refusals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "IDVNM0950012340022095001234<<8\n\
                          9503157M3503155VNM<<<<<<<<<<<6\n\
                          NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";
    const BORN: BirthDate = BirthDate {
        year: 1995,
        month: 3,
        day: 15,
    };

    fn sample() -> Mrz {
        Mrz::parse(SAMPLE).unwrap()
    }

    #[test]
    fn level_serde_as_integer() {
        for (level, n) in [
            (EkycLevel::Unverified, "0"),
            (EkycLevel::PhoneVerified, "1"),
            (EkycLevel::DocumentVerified, "2"),
        ] {
            assert_eq!(serde_json::to_string(&level).unwrap(), n);
            assert_eq!(serde_json::from_str::<EkycLevel>(n).unwrap(), level);
            assert_eq!(EkycLevel::try_from(level.as_u8()), Ok(level));
            assert!(!level.label_vi().is_empty());
        }
        assert!(serde_json::from_str::<EkycLevel>("3").is_err());
        assert!(serde_json::from_str::<EkycLevel>("\"1\"").is_err());
        assert_eq!(EkycLevel::try_from(7), Err(7));
        assert!(EkycLevel::Unverified < EkycLevel::PhoneVerified);
        assert!(EkycLevel::PhoneVerified < EkycLevel::DocumentVerified);
        assert_eq!(EkycLevel::default(), EkycLevel::Unverified);
        assert_eq!(u8::from(EkycLevel::DocumentVerified), 2);
    }

    #[test]
    fn folding() {
        assert_eq!(fold_name("Nguyễn Văn An"), "NGUYEN VAN AN");
        assert_eq!(fold_name("NGUYỄN VĂN AN"), "NGUYEN VAN AN");
        assert_eq!(fold_name("đỗ đức đạt"), "DO DUC DAT");
        assert_eq!(fold_name("ĐỖ ĐỨC ĐẠT"), "DO DUC DAT");
        assert_eq!(
            fold_name("Trương Thị Hường Ỷ Ỳ Ý Ỹ Ỵ"),
            "TRUONG THI HUONG Y Y Y Y Y"
        );
        // Decomposed (NFD) input: "Nguyễn" as e + circumflex + tilde.
        assert_eq!(fold_name("Nguye\u{0302}\u{0303}n"), "NGUYEN");
        assert_eq!(fold_name("NGUYEN<<VAN<AN"), "NGUYEN VAN AN");
        assert_eq!(fold_name("  "), "");
        // Every precomposed letter of the table folds, in both cases.
        for &(base, variants) in FOLD {
            for v in variants.chars() {
                let upper: String = v.to_uppercase().collect();
                assert_eq!(
                    fold_name(&v.to_string()),
                    base.to_ascii_uppercase().to_string()
                );
                assert_eq!(fold_name(&upper), base.to_ascii_uppercase().to_string());
            }
        }
    }

    #[test]
    fn all_match() {
        let mrz = sample();
        assert_eq!(
            check_mrz(&mrz, "Nguyễn Văn An", "022095001234", BORN),
            vec![]
        );
        assert_eq!(
            check_mrz(&mrz, "  nguyen   van an ", "022-095-001-234", BORN),
            vec![]
        );
    }

    #[test]
    fn mismatches_listed() {
        let mrz = sample();
        let got = check_mrz(
            &mrz,
            "Nguyễn Văn Ân Hai",
            "022095001235",
            BirthDate {
                year: 2095,
                month: 3,
                day: 15,
            },
        );
        assert_eq!(
            got,
            vec![
                Mismatch::Name {
                    on_document: "NGUYEN VAN AN".into(),
                    entered: "NGUYEN VAN AN HAI".into()
                },
                Mismatch::PersonalId {
                    on_document: "022095001234".into(),
                    entered: "022095001235".into()
                },
                Mismatch::BirthDate {
                    on_document: "1995-03-15".into(),
                    entered: "2095-03-15".into()
                },
            ]
        );
        for m in &got {
            assert!(m.code().starts_with("ekyc."));
            assert!(!m.message_vi().is_empty());
            assert!(!m.message_en().contains("022"));
        }
        // Word order matters: given names first is a mismatch.
        assert_eq!(
            check_mrz(&mrz, "Văn An Nguyễn", "022095001234", BORN).len(),
            1
        );
        // Invalid entered ID and a different day.
        let got = check_mrz(
            &mrz,
            "Nguyen Van An",
            "abc",
            BirthDate {
                year: 1995,
                month: 3,
                day: 16,
            },
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].code(), "ekyc.personal_id_mismatch");
        assert_eq!(got[1].code(), "ekyc.birth_date_mismatch");
        // Empty names never match.
        assert_eq!(check_mrz(&mrz, "", "022095001234", BORN).len(), 1);
    }

    #[test]
    fn non_vietnamese_mrz() {
        let mrz = Mrz::parse(
            "I<UTOD231458907<<<<<<<<<<<<<<<\n\
             7408122F1204159UTO<<<<<<<<<<<6\n\
             ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        )
        .unwrap();
        let got = check_mrz(
            &mrz,
            "Eriksson Anna Maria",
            "022095001234",
            BirthDate {
                year: 1974,
                month: 8,
                day: 12,
            },
        );
        assert_eq!(got, vec![Mismatch::PersonalIdMissing]);
    }

    #[test]
    fn mismatch_serde() {
        let m = Mismatch::BirthDate {
            on_document: "950315".into(),
            entered: "1995-03-16".into(),
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"field":"birth_date","on_document":"950315","entered":"1995-03-16"}"#
        );
        assert_eq!(serde_json::from_str::<Mismatch>(&json).unwrap(), m);
    }
}

#[cfg(test)]
mod exhaustive {
    use super::fold_name;

    /// Folding is idempotent for every Unicode scalar value (alone and between letters).
    #[test]
    fn fold_idempotent_for_every_char() {
        let mut bad = Vec::new();
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            let once = fold_name(&s);
            if fold_name(&once) != once {
                bad.push(c);
            }
        }
        assert!(
            bad.is_empty(),
            "{} chars: {:?}",
            bad.len(),
            &bad[..bad.len().min(20)]
        );
    }
}
