//! Encoding a [`VietQr`] into a payload string.
//!
//! Two steps: [`VietQr::normalized`] transliterates text to ASCII and checks
//! every field against its limits (never truncating: a memo that would be cut
//! could lose the very code used to match the payment), then a writer emits
//! root objects in ascending ID order. The result is decoded once more before
//! it is returned, so an invalid payload can never leave the encoder.

use crate::crc::{crc16, hex4};
use crate::decode::{is_account, is_bin};
use crate::error::*;
use crate::model::{Additional, Field, Initiation, Language, NAPAS_GUID, Service, VietQr};
use crate::tag::Tag;
use crate::translit::transliterate;
use std::borrow::Cow;

/// Per-value limit in the NAPAS profile for `62` sub-fields and `59`.
pub const MAX_SUBFIELD: usize = 25;
/// `60` merchant city.
pub const MAX_CITY: usize = 15;
/// `61` postal code.
pub const MAX_POSTAL: usize = 10;
/// Any TLV value (two length digits).
pub const MAX_VALUE: usize = 99;

/// Which characters a text field may hold after transliteration.
#[derive(Clone, Copy)]
enum Charset {
    /// `62/08`: what bank apps pre-fill reliably (`[A-Za-z0-9 _\-.]`).
    Memo,
    /// Printable ASCII, `0x20..=0x7E`.
    Printable,
    /// Language template text: kept in its own script, no control characters.
    Local,
}

impl Charset {
    fn allows(self, c: char) -> bool {
        match self {
            Charset::Memo => c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.'),
            Charset::Printable => (' '..='~').contains(&c),
            Charset::Local => !c.is_control(),
        }
    }
}

/// Normalise one optional text field: transliterate (except `Local`), map
/// empty to `None`, then check characters and length in bytes. Borrows
/// when the input is already canonical, so encoding allocates little.
fn text<'a>(
    tag: Tag,
    v: Option<&'a str>,
    max: usize,
    set: Charset,
) -> Result<Option<Cow<'a, str>>, Error> {
    let Some(v) = v else { return Ok(None) };
    let v = match set {
        Charset::Local => Cow::Borrowed(v),
        _ => transliterate(v),
    };
    if v.is_empty() {
        return Ok(None);
    }
    if let Some(ch) = v.chars().find(|&c| !set.allows(c)) {
        return Err(Error::BadChar { tag, ch });
    }
    if v.len() > max {
        let len = v.len();
        return Err(Error::TooLong { tag, max, len });
    }
    Ok(Some(v))
}

fn rule(ok: bool, tag: Tag, reason: &'static str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid { tag, reason })
    }
}

const T_NAPAS: Tag = Tag::root(38);
const T_ADD: Tag = Tag::root(62);
const T_LANG: Tag = Tag::root(64);

type Text<'a> = Option<Cow<'a, str>>;

fn owned(t: &Text<'_>) -> Option<String> {
    t.as_ref().map(|c| c.to_string())
}

/// A checked, normalised view of a [`VietQr`], borrowing what needs no change.
struct Norm<'a> {
    q: &'a VietQr,
    memo: Text<'a>,
    bill_number: Text<'a>,
    merchant_name: Text<'a>,
    merchant_city: Text<'a>,
    mcc: Text<'a>,
    postal_code: Text<'a>,
    /// `62/02`..`62/07` at indexes 0..6, `62/09` at index 6.
    additional: [Text<'a>; 7],
    /// Language preference, name and city (validated).
    language: Option<(&'a str, &'a str, Option<&'a str>)>,
    extra: Vec<Field>,
}

impl VietQr {
    /// The canonical form `encode` writes: text transliterated to ASCII,
    /// empty strings as `None`, extras in emission order. Errors name the
    /// first field that cannot be encoded.
    pub fn normalized(&self) -> Result<VietQr, Error> {
        let n = self.norm()?;
        let a = &n.additional;
        Ok(VietQr {
            initiation: self.initiation,
            bin: self.bin.clone(),
            account: self.account.clone(),
            service: self.service,
            amount: self.amount,
            memo: owned(&n.memo),
            bill_number: owned(&n.bill_number),
            merchant_name: owned(&n.merchant_name),
            merchant_city: owned(&n.merchant_city),
            mcc: owned(&n.mcc),
            postal_code: owned(&n.postal_code),
            additional: Additional {
                mobile: owned(&a[0]),
                store_label: owned(&a[1]),
                loyalty_number: owned(&a[2]),
                reference_label: owned(&a[3]),
                customer_label: owned(&a[4]),
                terminal_label: owned(&a[5]),
                consumer_data_request: owned(&a[6]),
            },
            language: n.language.map(|(p, name, city)| Language {
                preference: p.to_owned(),
                merchant_name: name.to_owned(),
                merchant_city: city.map(str::to_owned),
            }),
            extra: n.extra,
        })
    }

    fn norm(&self) -> Result<Norm<'_>, Error> {
        let bin = Tag::root(38).child(1).child(0);
        rule(is_bin(&self.bin), bin, REASON_BIN)?;
        let acc = Tag::root(38).child(1).child(1);
        rule(is_account(&self.account), acc, REASON_ACCOUNT)?;
        self.check_amount()?;
        self.check_cash()?;
        let p = Charset::Printable;
        Ok(Norm {
            q: self,
            memo: text(
                T_ADD.child(8),
                self.memo.as_deref(),
                MAX_SUBFIELD,
                Charset::Memo,
            )?,
            bill_number: text(T_ADD.child(1), self.bill_number.as_deref(), MAX_SUBFIELD, p)?,
            merchant_name: text(
                Tag::root(59),
                self.merchant_name.as_deref(),
                MAX_SUBFIELD,
                p,
            )?,
            merchant_city: text(Tag::root(60), self.merchant_city.as_deref(), MAX_CITY, p)?,
            mcc: self.normalized_mcc()?,
            postal_code: text(Tag::root(61), self.postal_code.as_deref(), MAX_POSTAL, p)?,
            additional: normalized_additional(&self.additional)?,
            language: self
                .language
                .as_ref()
                .map(normalized_language)
                .transpose()?,
            extra: normalized_extra(&self.extra, self.language.is_some())?,
        })
    }

    fn check_amount(&self) -> Result<(), Error> {
        let Some(a) = self.amount else { return Ok(()) };
        let tag = Tag::root(54);
        if self.initiation == Initiation::Static {
            return Err(Error::AmountOnStatic { tag });
        }
        rule((1..=9_999_999_999_999).contains(&a), tag, REASON_AMOUNT)
    }

    /// NAPAS: an ATM withdrawal QR is one-off and names its reference and terminal.
    fn check_cash(&self) -> Result<(), Error> {
        if self.service != Some(Service::Cash) {
            return Ok(());
        }
        let a = &self.additional;
        let present = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
        let ok = self.initiation == Initiation::Dynamic
            && present(&a.reference_label)
            && present(&a.terminal_label);
        rule(ok, T_NAPAS.child(2), REASON_CASH)
    }

    fn normalized_mcc(&self) -> Result<Text<'_>, Error> {
        let mcc = text(Tag::root(52), self.mcc.as_deref(), 4, Charset::Printable)?;
        if let Some(m) = &mcc {
            let ok = m.len() == 4 && m.bytes().all(|b| b.is_ascii_digit());
            rule(ok, Tag::root(52), REASON_MCC)?;
        }
        Ok(mcc)
    }

    /// Encode as a payload string with an upper-case, zero-padded CRC.
    pub fn encode(&self) -> Result<String, Error> {
        let n = self.norm()?;
        let mut w = Writer {
            buf: String::with_capacity(256),
        };
        n.write(&mut w)?;
        let out = w.finish();
        // The typed fields are fully checked above; pass-through extras are
        // not (one could be a second NAPAS template), so a payload carrying
        // them is decoded once more before it may leave the encoder.
        if !n.extra.is_empty() {
            crate::decode::Payload::parse(&out)?;
        }
        Ok(out)
    }
}

impl Norm<'_> {
    fn write(&self, w: &mut Writer) -> Result<(), Error> {
        let x = &self.extra;
        w.tlv(Tag::root(0), "01")?;
        w.tlv(Tag::root(1), self.q.initiation.code())?;
        w.root_extras(x, 2..38)?;
        self.write_napas(w)?;
        w.root_extras(x, 39..52)?;
        w.opt(Tag::root(52), &self.mcc)?;
        w.tlv(Tag::root(53), "704")?;
        if let Some(a) = self.q.amount {
            w.amount(a);
        }
        w.root_extras(x, 55..58)?;
        w.tlv(Tag::root(58), "VN")?;
        w.opt(Tag::root(59), &self.merchant_name)?;
        w.opt(Tag::root(60), &self.merchant_city)?;
        w.opt(Tag::root(61), &self.postal_code)?;
        self.write_additional(w)?;
        if let Some(l) = self.language {
            write_language(w, l, &self.extra)?;
        }
        // 65-99 go before the CRC, which must stay last.
        w.root_extras(x, 65..100)
    }

    fn write_napas(&self, w: &mut Writer) -> Result<(), Error> {
        let start = w.open(T_NAPAS);
        w.tlv(T_NAPAS.child(0), NAPAS_GUID)?;
        let ben = w.open(T_NAPAS.child(1));
        w.tlv(T_NAPAS.child(1).child(0), &self.q.bin)?;
        w.tlv(T_NAPAS.child(1).child(1), &self.q.account)?;
        w.extras_in(&self.extra, T_NAPAS.child(1))?;
        w.close(ben, T_NAPAS.child(1))?;
        if let Some(s) = self.q.service {
            w.tlv(T_NAPAS.child(2), s.code())?;
        }
        w.extras_in(&self.extra, T_NAPAS)?;
        w.close(start, T_NAPAS)
    }

    fn write_additional(&self, w: &mut Writer) -> Result<(), Error> {
        let a = &self.additional;
        let fields = [
            (1, &self.bill_number),
            (2, &a[0]),
            (3, &a[1]),
            (4, &a[2]),
            (5, &a[3]),
            (6, &a[4]),
            (7, &a[5]),
            (8, &self.memo),
            (9, &a[6]),
        ];
        let has_extra = self.extra.iter().any(|f| f.tag.starts_with("62/"));
        if !has_extra && fields.iter().all(|(_, v)| v.is_none()) {
            return Ok(());
        }
        let start = w.open(T_ADD);
        for (id, v) in fields {
            w.opt(T_ADD.child(id), v)?;
        }
        w.extras_in(&self.extra, T_ADD)?;
        w.close(start, T_ADD)
    }
}

fn write_language(w: &mut Writer, l: LangView<'_>, extra: &[Field]) -> Result<(), Error> {
    let (pref, name, city) = l;
    let start = w.open(T_LANG);
    w.tlv(T_LANG.child(0), pref)?;
    w.tlv(T_LANG.child(1), name)?;
    if let Some(c) = city {
        w.tlv(T_LANG.child(2), c)?;
    }
    w.extras_in(extra, T_LANG)?;
    w.close(start, T_LANG)
}

fn normalized_additional<'a>(a: &'a Additional) -> Result<[Text<'a>; 7], Error> {
    let p = Charset::Printable;
    let f = |id: u8, v: Option<&'a str>| text(T_ADD.child(id), v, MAX_SUBFIELD, p);
    let cdr = f(9, a.consumer_data_request.as_deref())?;
    if let Some(c) = &cdr {
        let ok = c.bytes().all(|b| matches!(b, b'A' | b'M' | b'E'))
            && ["A", "M", "E"].iter().all(|l| c.matches(l).count() <= 1);
        rule(ok, T_ADD.child(9), REASON_CONSUMER)?;
    }
    Ok([
        f(2, a.mobile.as_deref())?,
        f(3, a.store_label.as_deref())?,
        f(4, a.loyalty_number.as_deref())?,
        f(5, a.reference_label.as_deref())?,
        f(6, a.customer_label.as_deref())?,
        f(7, a.terminal_label.as_deref())?,
        cdr,
    ])
}

type LangView<'a> = (&'a str, &'a str, Option<&'a str>);

fn normalized_language(l: &Language) -> Result<LangView<'_>, Error> {
    let ok = l.preference.len() == 2 && l.preference.bytes().all(|b| b.is_ascii_alphabetic());
    rule(ok, T_LANG.child(0), REASON_LANGUAGE)?;
    let name = local(T_LANG.child(1), Some(&l.merchant_name), MAX_SUBFIELD)?;
    let name = name.ok_or(Error::Empty {
        tag: T_LANG.child(1),
    })?;
    let city = local(T_LANG.child(2), l.merchant_city.as_deref(), MAX_CITY)?;
    Ok((&l.preference, name, city))
}

/// Check `Local` text, which is never rewritten, and keep borrowing it.
fn local(tag: Tag, v: Option<&str>, max: usize) -> Result<Option<&str>, Error> {
    let checked = text(tag, v, max, Charset::Local)?;
    Ok(checked.and(v))
}

/// Tags the typed fields own; an extra may not use them.
fn owned_by_typed_fields(t: &Tag) -> bool {
    match *t.ids() {
        [id] => matches!(id, 0 | 1 | 38 | 52..=54 | 58..=64),
        [38, sub] => sub <= 2,
        [38, 1, sub] => sub <= 1,
        [62, sub] => sub <= 9,
        [64, sub] => sub <= 2,
        _ => true,
    }
}

fn parse_extra(f: &Field) -> Result<Tag, Error> {
    let bad = || Error::BadExtraTag { tag: f.tag.clone() };
    let t: Tag = f.tag.parse().map_err(|_| bad())?;
    let nested_ok = matches!(*t.ids(), [_] | [38 | 62 | 64, _] | [38, 1, _]);
    if !nested_ok || owned_by_typed_fields(&t) {
        return Err(bad());
    }
    Ok(t)
}

/// Check extras and sort them into the order `write` emits them, which is
/// the order `decode` reports them in.
fn normalized_extra(extra: &[Field], has_language: bool) -> Result<Vec<Field>, Error> {
    let mut keyed = Vec::with_capacity(extra.len());
    for f in extra {
        let tag = parse_extra(f)?;
        // A `64/xx` extra needs a language template (64/00, 64/01) to live in.
        if tag.ids()[0] == 64 && !has_language {
            return Err(Error::BadExtraTag { tag: f.tag.clone() });
        }
        text(tag, Some(&f.value), MAX_VALUE, Charset::Local)?.ok_or(Error::Empty { tag })?;
        keyed.push((tag.ids().to_vec(), f.clone()));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if keyed.windows(2).any(|w| w[0].0 == w[1].0) {
        let dup = keyed.windows(2).find(|w| w[0].0 == w[1].0).map(|w| &w[1].1);
        return Err(Error::BadExtraTag {
            tag: dup.map(|f| f.tag.clone()).unwrap_or_default(),
        });
    }
    Ok(keyed.into_iter().map(|(_, f)| f).collect())
}

/// Appends TLVs to one string; templates are written in place and their
/// length patched when they close, so nothing is copied twice.
struct Writer {
    buf: String,
}

impl Writer {
    fn tlv(&mut self, tag: Tag, value: &str) -> Result<(), Error> {
        let len = value.len();
        if len == 0 {
            return Err(Error::Empty { tag });
        }
        if len > MAX_VALUE {
            return Err(Error::TooLong {
                tag,
                max: MAX_VALUE,
                len,
            });
        }
        self.header(tag.id(), len);
        self.buf.push_str(value);
        Ok(())
    }

    fn amount(&mut self, a: u64) {
        let mut digits = [0u8; 20];
        let mut n = 0;
        let mut v = a;
        loop {
            digits[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.header(54, n);
        self.buf
            .extend(digits[..n].iter().rev().map(|&d| d as char));
    }

    fn opt(&mut self, tag: Tag, value: &Text<'_>) -> Result<(), Error> {
        match value {
            Some(v) => self.tlv(tag, v),
            None => Ok(()),
        }
    }

    fn header(&mut self, id: u8, len: usize) {
        for n in [id as usize, len] {
            self.buf.push((b'0' + (n / 10) as u8) as char);
            self.buf.push((b'0' + (n % 10) as u8) as char);
        }
    }

    fn open(&mut self, tag: Tag) -> usize {
        let start = self.buf.len();
        self.header(tag.id(), 0);
        start
    }

    fn close(&mut self, start: usize, tag: Tag) -> Result<(), Error> {
        let len = self.buf.len() - start - 4;
        if len > MAX_VALUE {
            return Err(Error::TooLong {
                tag,
                max: MAX_VALUE,
                len,
            });
        }
        let digits = [b'0' + (len / 10) as u8, b'0' + (len % 10) as u8];
        let digits = std::str::from_utf8(&digits).unwrap_or("00");
        self.buf.replace_range(start + 2..start + 4, digits);
        Ok(())
    }

    /// Write the extras that sit directly in `template`, in order.
    fn extras_in(&mut self, extra: &[Field], template: Tag) -> Result<(), Error> {
        for f in extra {
            let t = parse_extra(f)?;
            if t.depth() == template.depth() + 1 && t.ids().starts_with(&template.ids()) {
                self.tlv(t, &f.value)?;
            }
        }
        Ok(())
    }

    /// Write the root-level extras whose ID is in `ids`, in order.
    fn root_extras(&mut self, extra: &[Field], ids: std::ops::Range<u8>) -> Result<(), Error> {
        for f in extra {
            let t = parse_extra(f)?;
            if t.depth() == 1 && ids.contains(&t.id()) {
                self.tlv(t, &f.value)?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> String {
        self.buf.push_str("6304");
        let crc = hex4(crc16(self.buf.as_bytes()));
        self.buf.extend(crc.iter().map(|&b| b as char));
        self.buf
    }
}
