//! Strict, zero-copy decoding into a borrowed [`Payload`] view.
//!
//! Order of checks: CRC first (a corrupted payload is reported as such, not as
//! whatever structural error the corruption happens to cause), then TLV
//! structure, then VietQR meaning. Lengths count UTF-8 bytes: the CRC is over
//! bytes, so bytes are the only unit in which a non-ASCII payload can be
//! consistent.

use crate::crc::{crc16, parse_hex4};
use crate::error::Error;
use crate::model::{Initiation, NAPAS_GUID, Service};
use crate::tag::Tag;

/// One data object as it sits in the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawField<'a> {
    /// Full path, e.g. `62/08`.
    pub tag: Tag,
    /// Byte offset of its ID in the payload.
    pub offset: usize,
    /// The value (for a template: its nested TLVs).
    pub value: &'a str,
}

impl RawField<'_> {
    /// Byte offset where the value starts.
    fn value_start(&self) -> usize {
        self.offset + 4
    }

    fn end(&self) -> usize {
        self.value_start() + self.value.len()
    }
}

/// The NAPAS merchant account template (`38`), validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Napas<'a> {
    pub bin: &'a str,
    pub account: &'a str,
    pub service: Option<Service>,
}

/// Additional data template (`62`) sub-fields, every one typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AdditionalView<'a> {
    pub bill_number: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub store_label: Option<&'a str>,
    pub loyalty_number: Option<&'a str>,
    pub reference_label: Option<&'a str>,
    pub customer_label: Option<&'a str>,
    pub terminal_label: Option<&'a str>,
    pub purpose: Option<&'a str>,
    pub consumer_data_request: Option<&'a str>,
}

/// Language template (`64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LanguageView<'a> {
    pub preference: &'a str,
    pub merchant_name: &'a str,
    pub merchant_city: Option<&'a str>,
}

/// A merchant account object of another scheme (`02`–`51`, not NAPAS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemeView<'a> {
    pub field: RawField<'a>,
    /// `00` of a template (`26`–`51`).
    pub guid: Option<&'a str>,
}

/// A decoded payload borrowing from the input string.
///
/// A successful [`Payload::parse`] guarantees a correct CRC and structure and,
/// when [`Payload::napas`] is `Some`, a valid VietQR: initiation present,
/// currency `704`, country `VN`, amount (if any) 1–13 digits above zero.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Payload<'a> {
    pub raw: &'a str,
    pub initiation: Option<RawField<'a>>,
    pub napas: Option<Napas<'a>>,
    pub schemes: Vec<SchemeView<'a>>,
    pub mcc: Option<RawField<'a>>,
    pub currency: Option<RawField<'a>>,
    pub amount: Option<RawField<'a>>,
    pub country: Option<RawField<'a>>,
    pub merchant_name: Option<RawField<'a>>,
    pub merchant_city: Option<RawField<'a>>,
    pub postal_code: Option<RawField<'a>>,
    pub additional: AdditionalView<'a>,
    pub language: Option<LanguageView<'a>>,
    /// Data objects no typed field owns, at any level, in payload order.
    pub extra: Vec<RawField<'a>>,
    pub crc: u16,
}

/// Walks the TLVs of one template (or of the root), checking each header.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
    end: usize,
    parent: Tag,
    // One bit per ID 00-99 to catch duplicates without allocating.
    seen: [u64; 2],
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str, start: usize, end: usize, parent: Tag) -> Self {
        Cursor {
            s,
            pos: start,
            end,
            parent,
            seen: [0; 2],
        }
    }

    fn over(s: &'a str, template: &RawField<'a>) -> Self {
        Cursor::new(s, template.value_start(), template.end(), template.tag)
    }

    #[inline(always)]
    fn next_field(&mut self) -> Result<Option<RawField<'a>>, Error> {
        let (pos, parent) = (self.pos, self.parent);
        if pos == self.end {
            return Ok(None);
        }
        if self.end - pos < 4 {
            return Err(Error::Truncated {
                offset: pos,
                tag: parent,
            });
        }
        let (id, len) = header(&self.s.as_bytes()[pos..pos + 4], pos, parent)?;
        let tag = parent.child(id);
        let (start, stop) = (pos + 4, pos + 4 + len as usize);
        if len == 0 {
            return Err(Error::EmptyValue { offset: pos, tag });
        }
        if stop > self.end {
            return Err(Error::BadLength { offset: pos, tag });
        }
        if !self.s.is_char_boundary(stop) {
            return Err(Error::SplitsCharacter { offset: pos, tag });
        }
        // Two words rather than a u128: variable u128 shifts compile to branches.
        let (word, bit) = ((id >> 6) as usize, 1u64 << (id & 63));
        if self.seen[word] & bit != 0 {
            return Err(Error::DuplicateTag { offset: pos, tag });
        }
        self.seen[word] |= bit;
        self.pos = stop;
        Ok(Some(RawField {
            tag,
            offset: pos,
            value: &self.s[start..stop],
        }))
    }
}

/// Decode the 4-byte `IDLL` header: all four digits are checked at once
/// (SWAR), and only a bad header takes the slow path to say which half is bad.
#[inline(always)]
fn header(h: &[u8], pos: usize, parent: Tag) -> Result<(u8, u8), Error> {
    let w = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let digits = (w & 0xF0F0_F0F0) == 0x3030_3030
        && (w.wrapping_add(0x0606_0606) & 0xF0F0_F0F0) == 0x3030_3030;
    if digits {
        let d = (w - 0x3030_3030).to_le_bytes();
        return Ok((d[0] * 10 + d[1], d[2] * 10 + d[3]));
    }
    if !(h[0].is_ascii_digit() && h[1].is_ascii_digit()) {
        return Err(Error::BadId {
            offset: pos,
            tag: parent,
        });
    }
    let tag = parent.child((h[0] - b'0') * 10 + (h[1] - b'0'));
    Err(Error::BadLength { offset: pos, tag })
}

/// Decode bytes (e.g. straight from a QR scanner) into a [`Payload`].
pub fn parse_bytes(bytes: &[u8]) -> Result<Payload<'_>, Error> {
    let s = std::str::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    Payload::parse(s)
}

impl<'a> Payload<'a> {
    /// Strictly decode `s` without copying any of it.
    pub fn parse(s: &'a str) -> Result<Payload<'a>, Error> {
        let crc = check_crc(s)?;
        let mut p = Payload {
            raw: s,
            crc,
            ..Payload::default()
        };
        let mut cur = Cursor::new(s, 0, s.len(), Tag::ROOT);
        check_format_indicator(cur.next_field()?, s.len())?;
        loop {
            let f = cur
                .next_field()?
                .ok_or(Error::MissingCrc { offset: s.len() })?;
            if f.tag.id() == 63 {
                check_crc_position(&f, s.len())?;
                break;
            }
            p.dispatch(f)?;
        }
        p.validate()?;
        Ok(p)
    }

    /// The amount in whole đồng, for a VietQR (validated by `parse`).
    pub fn amount_dong(&self) -> Option<u64> {
        // `parse` has validated the digits whenever `napas` is set.
        self.napas
            .and(self.amount)
            .and_then(|f| f.value.parse().ok())
    }

    /// Point of initiation, when present and valid.
    pub fn initiation_kind(&self) -> Option<Initiation> {
        self.initiation.and_then(|f| Initiation::from_code(f.value))
    }

    fn dispatch(&mut self, f: RawField<'a>) -> Result<(), Error> {
        let slot = match f.tag.id() {
            1 => &mut self.initiation,
            52 => &mut self.mcc,
            53 => &mut self.currency,
            54 => &mut self.amount,
            58 => &mut self.country,
            59 => &mut self.merchant_name,
            60 => &mut self.merchant_city,
            61 => &mut self.postal_code,
            2..=51 => return self.merchant_account(f),
            62 => return self.parse_additional(f),
            64 => return self.parse_language(f),
            _ => {
                self.extra.push(f);
                return Ok(());
            }
        };
        *slot = Some(f);
        Ok(())
    }

    fn merchant_account(&mut self, f: RawField<'a>) -> Result<(), Error> {
        if f.tag.id() < 26 {
            self.schemes.push(SchemeView {
                field: f,
                guid: None,
            });
            return Ok(());
        }
        // Tag 38 is NAPAS's (or an error), so it is walked once, not twice.
        let guid = match f.tag.id() {
            38 => None,
            _ => template_guid(self.raw, &f)?,
        };
        let is_napas = guid.is_some_and(|g| g.eq_ignore_ascii_case(NAPAS_GUID));
        if f.tag.id() == 38 || is_napas {
            if self.napas.is_some() {
                return Err(Error::DuplicateTag {
                    offset: f.offset,
                    tag: f.tag,
                });
            }
            self.napas = Some(self.parse_napas(&f)?);
        } else {
            self.schemes.push(SchemeView { field: f, guid });
        }
        Ok(())
    }

    fn parse_napas(&mut self, t: &RawField<'a>) -> Result<Napas<'a>, Error> {
        let mut cur = Cursor::over(self.raw, t);
        let (mut guid, mut beneficiary, mut service) = (None, None, None);
        while let Some(f) = cur.next_field()? {
            match f.tag.id() {
                // Checked at once: without the GUID the rest is not NAPAS data,
                // so its errors would only mislead.
                0 => guid = Some(check_guid(f)?),
                1 => beneficiary = Some(self.parse_beneficiary(&f)?),
                2 => service = Some(parse_service(&f)?),
                _ => self.extra.push(f),
            }
        }
        guid.ok_or_else(|| missing(t, 0))?;
        let (bin, account) = beneficiary.ok_or_else(|| missing(t, 1))?;
        Ok(Napas {
            bin,
            account,
            service,
        })
    }

    fn parse_beneficiary(&mut self, t: &RawField<'a>) -> Result<(&'a str, &'a str), Error> {
        let mut cur = Cursor::over(self.raw, t);
        let (mut bin, mut account) = (None, None);
        while let Some(f) = cur.next_field()? {
            match f.tag.id() {
                0 => bin = Some(f),
                1 => account = Some(f),
                _ => self.extra.push(f),
            }
        }
        let bin = bin.ok_or_else(|| missing(t, 0))?;
        if !is_bin(bin.value) {
            return Err(Error::BadBin {
                offset: bin.offset,
                tag: bin.tag,
            });
        }
        let account = account.ok_or_else(|| missing(t, 1))?;
        if !is_account(account.value) {
            return Err(Error::BadAccount {
                offset: account.offset,
                tag: account.tag,
            });
        }
        Ok((bin.value, account.value))
    }

    fn parse_additional(&mut self, t: RawField<'a>) -> Result<(), Error> {
        let mut cur = Cursor::over(self.raw, &t);
        while let Some(f) = cur.next_field()? {
            let a = &mut self.additional;
            let slot = match f.tag.id() {
                1 => &mut a.bill_number,
                2 => &mut a.mobile,
                3 => &mut a.store_label,
                4 => &mut a.loyalty_number,
                5 => &mut a.reference_label,
                6 => &mut a.customer_label,
                7 => &mut a.terminal_label,
                8 => &mut a.purpose,
                9 => &mut a.consumer_data_request,
                _ => {
                    self.extra.push(f);
                    continue;
                }
            };
            *slot = Some(f.value);
        }
        Ok(())
    }

    fn parse_language(&mut self, t: RawField<'a>) -> Result<(), Error> {
        let mut cur = Cursor::over(self.raw, &t);
        let (mut pref, mut name, mut city) = (None, None, None);
        while let Some(f) = cur.next_field()? {
            match f.tag.id() {
                0 => pref = Some(f.value),
                1 => name = Some(f.value),
                2 => city = Some(f.value),
                _ => self.extra.push(f),
            }
        }
        self.language = Some(LanguageView {
            preference: pref.ok_or_else(|| missing(&t, 0))?,
            merchant_name: name.ok_or_else(|| missing(&t, 1))?,
            merchant_city: city,
        });
        Ok(())
    }

    /// VietQR rules that span data objects, checked once all are known.
    fn validate(&self) -> Result<(), Error> {
        if self.napas.is_none() {
            return match self.schemes.is_empty() {
                true => Err(Error::NoMerchantAccount { offset: 0 }),
                false => Ok(()),
            };
        }
        let f = required(self.initiation, 1)?;
        let (offset, tag) = (f.offset, f.tag);
        check(
            Initiation::from_code(f.value).is_some(),
            Error::BadInitiation { offset, tag },
        )?;
        let f = required(self.currency, 53)?;
        let (offset, tag) = (f.offset, f.tag);
        check(f.value == "704", Error::BadCurrency { offset, tag })?;
        let f = required(self.country, 58)?;
        let (offset, tag) = (f.offset, f.tag);
        check(f.value == "VN", Error::BadCountry { offset, tag })?;
        match self.amount {
            Some(f) => check(
                is_amount(f.value),
                Error::BadAmount {
                    offset: f.offset,
                    tag: f.tag,
                },
            ),
            None => Ok(()),
        }
    }
}

/// Verify the trailing `6304XXXX` before anything else.
fn check_crc(s: &str) -> Result<u16, Error> {
    let b = s.as_bytes();
    let n = b.len();
    if n < 8 || &b[n - 8..n - 4] != b"6304" {
        // No CRC where it must be: let the structural walk say precisely why.
        return Ok(0);
    }
    let tag = Tag::root(63);
    let found = parse_hex4(&b[n - 4..]).ok_or(Error::BadCrcFormat { offset: n - 8, tag })?;
    let expected = crc16(&b[..n - 4]);
    if expected != found {
        return Err(Error::CrcMismatch {
            offset: n - 8,
            tag,
            expected,
            found,
        });
    }
    Ok(found)
}

fn check_format_indicator(first: Option<RawField<'_>>, len: usize) -> Result<(), Error> {
    let f = first.ok_or(Error::MissingCrc { offset: len })?;
    if f.tag.id() != 0 {
        return Err(Error::FormatIndicatorNotFirst {
            offset: f.offset,
            tag: f.tag,
        });
    }
    if f.value != "01" {
        return Err(Error::BadFormatIndicator {
            offset: f.offset,
            tag: f.tag,
        });
    }
    Ok(())
}

/// `63` must be 4 bytes and end the payload; `check_crc` verified the value.
fn check_crc_position(f: &RawField<'_>, len: usize) -> Result<(), Error> {
    let (offset, tag) = (f.offset, f.tag);
    if f.value.len() != 4 {
        return Err(Error::BadCrcFormat { offset, tag });
    }
    if f.end() != len {
        return Err(Error::CrcNotLast { offset, tag });
    }
    Ok(())
}

/// Walk a scheme template once to check its structure and find its GUID.
fn template_guid<'a>(s: &'a str, t: &RawField<'a>) -> Result<Option<&'a str>, Error> {
    let mut cur = Cursor::over(s, t);
    let mut guid = None;
    while let Some(f) = cur.next_field()? {
        if f.tag.id() == 0 {
            guid = Some(f.value);
        }
    }
    Ok(guid)
}

fn check_guid(f: RawField<'_>) -> Result<RawField<'_>, Error> {
    match f.value.eq_ignore_ascii_case(NAPAS_GUID) {
        true => Ok(f),
        false => Err(Error::BadGuid {
            offset: f.offset,
            tag: f.tag,
        }),
    }
}

fn parse_service(f: &RawField<'_>) -> Result<Service, Error> {
    Service::from_code(f.value).ok_or(Error::BadService {
        offset: f.offset,
        tag: f.tag,
    })
}

fn missing(template: &RawField<'_>, id: u8) -> Error {
    Error::Missing {
        offset: template.offset,
        tag: template.tag.child(id),
    }
}

fn required(f: Option<RawField<'_>>, id: u8) -> Result<RawField<'_>, Error> {
    f.ok_or(Error::Missing {
        offset: 0,
        tag: Tag::root(id),
    })
}

fn check(ok: bool, err: Error) -> Result<(), Error> {
    if ok { Ok(()) } else { Err(err) }
}

pub(crate) fn is_bin(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn is_account(s: &str) -> bool {
    (1..=19).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub(crate) fn is_amount(s: &str) -> bool {
    (1..=13).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b != b'0')
}
