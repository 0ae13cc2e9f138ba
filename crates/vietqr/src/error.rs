//! One error type for decoding and encoding.
//!
//! Decoding errors carry the byte `offset` of the data object at fault (the
//! offset of its two-digit ID, counted in UTF-8 bytes from the start of the
//! payload) and its [`Tag`] path. Encoding errors carry the tag of the field
//! that could not be written.

use crate::tag::Tag;
use std::fmt;

/// Everything that can go wrong decoding or encoding a VietQR payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // ----- decoding: structure -----
    /// The input bytes are not UTF-8.
    NotUtf8 { offset: usize },
    /// Fewer than the 4 header bytes (ID + length) remain inside template `tag`.
    Truncated { offset: usize, tag: Tag },
    /// The ID is not two ASCII digits (`tag` is the enclosing template).
    BadId { offset: usize, tag: Tag },
    /// The length is not two ASCII digits, or the value runs past the end of
    /// the enclosing template.
    BadLength { offset: usize, tag: Tag },
    /// A data object declares length `00`.
    EmptyValue { offset: usize, tag: Tag },
    /// The declared length ends inside a multi-byte UTF-8 character.
    SplitsCharacter { offset: usize, tag: Tag },
    /// The same ID appears twice in one template.
    DuplicateTag { offset: usize, tag: Tag },
    /// The first data object is not `00` (Payload Format Indicator).
    FormatIndicatorNotFirst { offset: usize, tag: Tag },
    /// `00` is not `01`.
    BadFormatIndicator { offset: usize, tag: Tag },
    /// No CRC (`63`) data object.
    MissingCrc { offset: usize },
    /// Something follows the CRC object.
    CrcNotLast { offset: usize, tag: Tag },
    /// The CRC value is not four hex digits.
    BadCrcFormat { offset: usize, tag: Tag },
    /// The CRC does not match the payload.
    CrcMismatch {
        offset: usize,
        tag: Tag,
        expected: u16,
        found: u16,
    },
    // ----- decoding: VietQR meaning -----
    /// A mandatory data object is absent from template `tag`'s parent;
    /// `offset` is where that parent template starts.
    Missing { offset: usize, tag: Tag },
    /// No merchant account information (IDs `02`–`51`) at all.
    NoMerchantAccount { offset: usize },
    /// Point of initiation is not `11` (static) or `12` (dynamic).
    BadInitiation { offset: usize, tag: Tag },
    /// Tag `38` does not carry the NAPAS GUID `A000000727`.
    BadGuid { offset: usize, tag: Tag },
    /// The beneficiary BIN is not six digits.
    BadBin { offset: usize, tag: Tag },
    /// The account / card / merchant id is empty, too long or not alphanumeric.
    BadAccount { offset: usize, tag: Tag },
    /// The service code is not QRIBFTTA, QRIBFTTC, QRPUSH or QRCASH.
    BadService { offset: usize, tag: Tag },
    /// The amount is not 1–13 digits of whole đồng greater than zero.
    BadAmount { offset: usize, tag: Tag },
    /// The currency is not `704` (VND).
    BadCurrency { offset: usize, tag: Tag },
    /// The country is not `VN`.
    BadCountry { offset: usize, tag: Tag },
    // ----- encoding -----
    /// A field is longer than VietQR allows (lengths in bytes).
    TooLong { tag: Tag, max: usize, len: usize },
    /// A field that must have a value is empty.
    Empty { tag: Tag },
    /// A field holds a character it may not, even after transliteration.
    BadChar { tag: Tag, ch: char },
    /// A static QR must not carry an amount (the payer types it).
    AmountOnStatic { tag: Tag },
    /// A field's value breaks a rule of its own (`reason` says which).
    Invalid { tag: Tag, reason: &'static str },
    /// An extra (pass-through) field names a tag that is not a valid path or
    /// that the typed fields already own.
    BadExtraTag { tag: String },
}

impl Error {
    /// A stable, machine-readable identifier (snake case) for logs and APIs.
    pub fn code(&self) -> &'static str {
        use Error::*;
        match self {
            NotUtf8 { .. } => "not_utf8",
            Truncated { .. } => "truncated",
            BadId { .. } => "bad_id",
            BadLength { .. } => "bad_length",
            EmptyValue { .. } => "empty_value",
            SplitsCharacter { .. } => "splits_character",
            DuplicateTag { .. } => "duplicate_tag",
            FormatIndicatorNotFirst { .. } => "format_indicator_not_first",
            BadFormatIndicator { .. } => "bad_format_indicator",
            MissingCrc { .. } => "missing_crc",
            CrcNotLast { .. } => "crc_not_last",
            BadCrcFormat { .. } => "bad_crc_format",
            CrcMismatch { .. } => "crc_mismatch",
            Missing { .. } => "missing",
            NoMerchantAccount { .. } => "no_merchant_account",
            BadInitiation { .. } => "bad_initiation",
            BadGuid { .. } => "bad_guid",
            BadBin { .. } => "bad_bin",
            BadAccount { .. } => "bad_account",
            BadService { .. } => "bad_service",
            BadAmount { .. } => "bad_amount",
            BadCurrency { .. } => "bad_currency",
            BadCountry { .. } => "bad_country",
            TooLong { .. } => "too_long",
            Empty { .. } => "empty",
            BadChar { .. } => "bad_char",
            AmountOnStatic { .. } => "amount_on_static",
            Invalid { .. } => "invalid",
            BadExtraTag { .. } => "bad_extra_tag",
        }
    }

    /// Byte offset of the fault for decoding errors; `None` for encoding errors.
    pub fn offset(&self) -> Option<usize> {
        use Error::*;
        match *self {
            NotUtf8 { offset }
            | MissingCrc { offset }
            | NoMerchantAccount { offset }
            | Truncated { offset, .. }
            | BadId { offset, .. }
            | BadLength { offset, .. }
            | EmptyValue { offset, .. }
            | SplitsCharacter { offset, .. }
            | DuplicateTag { offset, .. }
            | FormatIndicatorNotFirst { offset, .. }
            | BadFormatIndicator { offset, .. }
            | CrcNotLast { offset, .. }
            | BadCrcFormat { offset, .. }
            | CrcMismatch { offset, .. }
            | Missing { offset, .. }
            | BadInitiation { offset, .. }
            | BadGuid { offset, .. }
            | BadBin { offset, .. }
            | BadAccount { offset, .. }
            | BadService { offset, .. }
            | BadAmount { offset, .. }
            | BadCurrency { offset, .. }
            | BadCountry { offset, .. } => Some(offset),
            _ => None,
        }
    }

    /// The tag path the error is about, where there is one.
    pub fn tag(&self) -> Option<Tag> {
        use Error::*;
        match *self {
            Truncated { tag, .. }
            | BadId { tag, .. }
            | BadLength { tag, .. }
            | EmptyValue { tag, .. }
            | SplitsCharacter { tag, .. }
            | DuplicateTag { tag, .. }
            | FormatIndicatorNotFirst { tag, .. }
            | BadFormatIndicator { tag, .. }
            | CrcNotLast { tag, .. }
            | BadCrcFormat { tag, .. }
            | CrcMismatch { tag, .. }
            | Missing { tag, .. }
            | BadInitiation { tag, .. }
            | BadGuid { tag, .. }
            | BadBin { tag, .. }
            | BadAccount { tag, .. }
            | BadService { tag, .. }
            | BadAmount { tag, .. }
            | BadCurrency { tag, .. }
            | BadCountry { tag, .. }
            | TooLong { tag, .. }
            | Empty { tag }
            | BadChar { tag, .. }
            | AmountOnStatic { tag }
            | Invalid { tag, .. } => Some(tag),
            _ => None,
        }
    }

    /// The message in Vietnamese, for people at the stall or the counter.
    pub fn message_vi(&self) -> String {
        use Error::*;
        let at = |o: usize, t: &Tag| format!(" (thẻ {t}, vị trí byte {o})");
        match self {
            NotUtf8 { offset } => format!("Dữ liệu không phải UTF-8 (vị trí byte {offset})"),
            Truncated { offset, tag } => format!("Dữ liệu bị cắt cụt{}", at(*offset, tag)),
            BadId { offset, tag } => format!("Mã trường không phải 2 chữ số{}", at(*offset, tag)),
            BadLength { offset, tag } => format!("Độ dài trường không hợp lệ{}", at(*offset, tag)),
            EmptyValue { offset, tag } => format!("Trường có độ dài 00{}", at(*offset, tag)),
            SplitsCharacter { offset, tag } => {
                format!(
                    "Độ dài trường cắt ngang một ký tự UTF-8{}",
                    at(*offset, tag)
                )
            }
            DuplicateTag { offset, tag } => format!("Trường bị lặp lại{}", at(*offset, tag)),
            FormatIndicatorNotFirst { offset, tag } => {
                format!("Trường 00 phải đứng đầu{}", at(*offset, tag))
            }
            BadFormatIndicator { offset, tag } => {
                format!("Chỉ báo định dạng phải là 01{}", at(*offset, tag))
            }
            MissingCrc { offset } => {
                format!("Thiếu mã kiểm tra CRC (trường 63, vị trí byte {offset})")
            }
            CrcNotLast { offset, tag } => format!("Trường CRC phải đứng cuối{}", at(*offset, tag)),
            BadCrcFormat { offset, tag } => {
                format!("CRC phải gồm 4 chữ số thập lục phân{}", at(*offset, tag))
            }
            CrcMismatch {
                offset,
                tag,
                expected,
                found,
            } => format!(
                "Sai mã CRC: mong đợi {expected:04X}, nhận được {found:04X}{}",
                at(*offset, tag)
            ),
            Missing { offset, tag } => {
                format!("Thiếu trường bắt buộc {tag} (vị trí byte {offset})")
            }
            NoMerchantAccount { offset } => {
                format!("Không có thông tin tài khoản người thụ hưởng (vị trí byte {offset})")
            }
            BadInitiation { offset, tag } => {
                format!(
                    "Phương thức khởi tạo phải là 11 hoặc 12{}",
                    at(*offset, tag)
                )
            }
            BadGuid { offset, tag } => {
                format!("Mã định danh NAPAS phải là A000000727{}", at(*offset, tag))
            }
            BadBin { offset, tag } => {
                format!("Mã BIN ngân hàng phải gồm 6 chữ số{}", at(*offset, tag))
            }
            BadAccount { offset, tag } => {
                format!("Số tài khoản/thẻ không hợp lệ{}", at(*offset, tag))
            }
            BadService { offset, tag } => format!("Mã dịch vụ không hợp lệ{}", at(*offset, tag)),
            BadAmount { offset, tag } => {
                format!(
                    "Số tiền phải là số nguyên đồng từ 1 đến 13 chữ số{}",
                    at(*offset, tag)
                )
            }
            BadCurrency { offset, tag } => format!("Tiền tệ phải là 704 (VND){}", at(*offset, tag)),
            BadCountry { offset, tag } => format!("Mã quốc gia phải là VN{}", at(*offset, tag)),
            TooLong { tag, max, len } => {
                format!("Trường {tag} quá dài: {len} ký tự, tối đa {max}")
            }
            Empty { tag } => format!("Trường {tag} không được để trống"),
            BadChar { tag, ch } => format!("Trường {tag} chứa ký tự không được phép: {ch:?}"),
            AmountOnStatic { tag } => format!("Mã QR tĩnh không được có số tiền (trường {tag})"),
            Invalid { tag, reason } => format!("Trường {tag} không hợp lệ: {}", reason_vi(reason)),
            BadExtraTag { tag } => format!("Thẻ bổ sung không hợp lệ hoặc bị trùng: {tag:?}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        match self {
            NotUtf8 { offset } => write!(f, "input is not UTF-8 at byte {offset}"),
            Truncated { offset, tag } => {
                write!(f, "truncated data object in {tag} at byte {offset}")
            }
            BadId { offset, tag } => write!(f, "ID is not two digits in {tag} at byte {offset}"),
            BadLength { offset, tag } => write!(f, "bad length for {tag} at byte {offset}"),
            EmptyValue { offset, tag } => write!(f, "{tag} at byte {offset} has length 00"),
            SplitsCharacter { offset, tag } => write!(
                f,
                "length of {tag} at byte {offset} ends inside a UTF-8 character"
            ),
            DuplicateTag { offset, tag } => write!(f, "duplicate {tag} at byte {offset}"),
            FormatIndicatorNotFirst { offset, tag } => write!(
                f,
                "payload must start with 00, found {tag} at byte {offset}"
            ),
            BadFormatIndicator { offset, tag } => {
                write!(
                    f,
                    "payload format indicator {tag} at byte {offset} is not 01"
                )
            }
            MissingCrc { offset } => write!(f, "no CRC (63) before the end at byte {offset}"),
            CrcNotLast { offset, tag } => write!(f, "CRC {tag} at byte {offset} is not last"),
            BadCrcFormat { offset, tag } => {
                write!(f, "CRC {tag} at byte {offset} is not 4 hex digits")
            }
            CrcMismatch {
                offset,
                tag,
                expected,
                found,
            } => write!(
                f,
                "CRC mismatch in {tag} at byte {offset}: computed {expected:04X}, payload says {found:04X}"
            ),
            Missing { offset, tag } => {
                write!(f, "mandatory {tag} missing (template at byte {offset})")
            }
            NoMerchantAccount { offset } => write!(
                f,
                "no merchant account information (02-51) in payload starting at byte {offset}"
            ),
            BadInitiation { offset, tag } => {
                write!(
                    f,
                    "point of initiation {tag} at byte {offset} is not 11 or 12"
                )
            }
            BadGuid { offset, tag } => {
                write!(f, "{tag} at byte {offset} is not the NAPAS GUID A000000727")
            }
            BadBin { offset, tag } => write!(f, "BIN {tag} at byte {offset} is not 6 digits"),
            BadAccount { offset, tag } => write!(
                f,
                "account {tag} at byte {offset} is not 1-19 letters or digits"
            ),
            BadService { offset, tag } => write!(f, "unknown service code {tag} at byte {offset}"),
            BadAmount { offset, tag } => write!(
                f,
                "amount {tag} at byte {offset} is not 1-13 digits of whole dong above zero"
            ),
            BadCurrency { offset, tag } => write!(f, "currency {tag} at byte {offset} is not 704"),
            BadCountry { offset, tag } => write!(f, "country {tag} at byte {offset} is not VN"),
            TooLong { tag, max, len } => write!(f, "{tag} is {len} bytes long, at most {max}"),
            Empty { tag } => write!(f, "{tag} must not be empty"),
            BadChar { tag, ch } => write!(f, "{tag} may not contain {ch:?}"),
            AmountOnStatic { tag } => write!(f, "a static QR may not carry an amount ({tag})"),
            Invalid { tag, reason } => write!(f, "{tag} is invalid: {reason}"),
            BadExtraTag { tag } => write!(f, "extra field tag {tag:?} is invalid or reserved"),
        }
    }
}

impl std::error::Error for Error {}

/// Vietnamese for the fixed `Invalid` reasons (kept next to their English).
fn reason_vi(reason: &str) -> &'static str {
    match reason {
        REASON_BIN => "mã BIN phải gồm 6 chữ số",
        REASON_ACCOUNT => "phải gồm 1 đến 19 chữ cái hoặc chữ số",
        REASON_AMOUNT => "số tiền phải từ 1 đến 9999999999999 đồng",
        REASON_MCC => "mã ngành hàng phải gồm 4 chữ số",
        REASON_CONSUMER => "chỉ gồm các chữ A, M, E, mỗi chữ một lần",
        REASON_LANGUAGE => "mã ngôn ngữ phải gồm 2 chữ cái",
        REASON_CASH => "QRCASH cần mã QR động có trường 62/05 và 62/07",
        _ => "giá trị không hợp lệ",
    }
}

pub(crate) const REASON_BIN: &str = "BIN must be 6 digits";
pub(crate) const REASON_ACCOUNT: &str = "must be 1-19 letters or digits";
pub(crate) const REASON_AMOUNT: &str = "amount must be 1 to 9999999999999 dong";
pub(crate) const REASON_MCC: &str = "MCC must be 4 digits";
pub(crate) const REASON_CONSUMER: &str = "only the letters A, M, E, each at most once";
pub(crate) const REASON_LANGUAGE: &str = "language must be 2 ASCII letters";
pub(crate) const REASON_CASH: &str = "QRCASH needs a dynamic QR with 62/05 and 62/07";
