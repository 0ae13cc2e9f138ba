//! The directory of Vietnamese banks and their NAPAS BINs.
//!
//! The data is a reviewed file, `data/banks.json`, compiled into the binary
//! and parsed once on first use. Names come from the data, never from code,
//! because banks get renamed (and keep their BIN).

use crate::translit::transliterate;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// One bank (or e-wallet) that has a NAPAS BIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bank {
    /// Six-digit NAPAS BIN (acquirer id), the key used in tag `38/01/00`.
    pub bin: String,
    /// Short code in the api.vietqr.io schema, e.g. `VCB`.
    pub code: String,
    /// Display name, e.g. `Vietcombank`.
    pub short_name: String,
    /// Full legal name in Vietnamese.
    pub name: String,
    /// SWIFT/BIC where known.
    pub swift: Option<String>,
    /// True when the bank's apps can send NAPAS VietQR transfers (not only receive).
    pub napas_transfer: bool,
    /// Names used before a rename (the BIN did not change).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former_names: Vec<String>,
    /// Codes used before a rename.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former_codes: Vec<String>,
    /// Review note (data caveats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Deserialize)]
struct Directory {
    source: String,
    date: String,
    banks: Vec<Bank>,
}

struct Index {
    dir: Directory,
    /// Per bank: its names and codes folded for search, joined by `|`.
    haystacks: Vec<String>,
}

static DATA: &str = include_str!("../data/banks.json");

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    // The file is compiled in and checked by the unit tests, so a parse
    // failure is a build defect, not a runtime condition.
    let dir: Directory = serde_json::from_str(DATA).expect("data/banks.json is valid");
    let haystacks = dir.banks.iter().map(haystack).collect();
    Index { dir, haystacks }
});

/// Lower-case ASCII letters and digits only, so "Vietin Bank", "vietinbank"
/// and "VietinBank" all meet.
fn search_key(s: &str) -> String {
    transliterate(s)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn haystack(b: &Bank) -> String {
    let names = [&b.code, &b.short_name, &b.name];
    names
        .into_iter()
        .chain(&b.former_names)
        .chain(&b.former_codes)
        .map(|s| search_key(s))
        .collect::<Vec<_>>()
        .join("|")
}

/// Every bank, in the file's order (transfer-capable banks first).
pub fn all() -> &'static [Bank] {
    &INDEX.dir.banks
}

/// Where the list comes from.
pub fn source() -> &'static str {
    &INDEX.dir.source
}

/// When the list was last reviewed (ISO date).
pub fn date() -> &'static str {
    &INDEX.dir.date
}

/// The bank with this BIN.
pub fn by_bin(bin: &str) -> Option<&'static Bank> {
    all().iter().find(|b| b.bin == bin)
}

/// The bank with this code (case-insensitive), current or former.
pub fn by_code(code: &str) -> Option<&'static Bank> {
    let code = code.trim();
    all()
        .iter()
        .find(|b| b.code.eq_ignore_ascii_case(code))
        .or_else(|| {
            all()
                .iter()
                .find(|b| b.former_codes.iter().any(|c| c.eq_ignore_ascii_case(code)))
        })
}

/// Banks whose names, codes or former names contain `query`, ignoring case,
/// diacritics, spaces and punctuation. Exact code or short-name matches come
/// first, then prefix matches, then the rest, each in file order. An empty
/// query matches nothing.
pub fn search(query: &str) -> Vec<&'static Bank> {
    let q = search_key(query);
    if q.is_empty() {
        return Vec::new();
    }
    let idx = &*INDEX;
    let mut hits: Vec<(u8, usize)> = idx
        .haystacks
        .iter()
        .enumerate()
        .filter_map(|(i, h)| rank(h, &q).map(|r| (r, i)))
        .collect();
    hits.sort();
    hits.into_iter().map(|(_, i)| &idx.dir.banks[i]).collect()
}

fn rank(haystack: &str, q: &str) -> Option<u8> {
    let mut best = None::<u8>;
    for part in haystack.split('|') {
        let r = if part == q {
            0
        } else if part.starts_with(q) {
            1
        } else if part.contains(q) {
            2
        } else {
            continue;
        };
        best = Some(best.map_or(r, |b| b.min(r)));
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn bins_and_codes_are_unique_and_well_formed() {
        let mut bins = HashSet::new();
        let mut codes = HashSet::new();
        for b in all() {
            assert!(
                b.bin.len() == 6 && b.bin.bytes().all(|c| c.is_ascii_digit()),
                "BIN {} must match ^\\d{{6}}$",
                b.bin
            );
            assert!(bins.insert(b.bin.clone()), "duplicate BIN {}", b.bin);
            assert!(
                codes.insert(b.code.to_lowercase()),
                "duplicate code {}",
                b.code
            );
            for c in &b.former_codes {
                assert!(codes.insert(c.to_lowercase()), "former code {c} clashes");
            }
        }
        assert!(all().len() >= 56);
        assert!(!source().is_empty());
        assert_eq!(date().len(), 10);
    }

    #[test]
    fn pitfalls_from_the_reference_are_avoided() {
        assert_eq!(by_bin("970412").unwrap().short_name, "PVcomBank");
        assert_eq!(by_bin("970439").unwrap().code, "PBVN");
        assert_eq!(all().iter().filter(|b| b.bin == "970400").count(), 1);
        assert!(by_bin("546034").is_some(), "non-9704 BINs exist");
    }

    #[test]
    fn lookups() {
        assert_eq!(by_code("vcb").unwrap().bin, "970436");
        assert_eq!(by_code("IBK - hn").unwrap().bin, "970455");
        assert_eq!(by_code("OJB").unwrap().bin, "970414", "former code");
        assert_eq!(by_code("DAB").unwrap().short_name, "Vikki Bank");
        assert!(by_code("nope").is_none());
        assert!(by_bin("000000").is_none());
        assert!(by_bin("970436").unwrap().napas_transfer);
        assert!(!by_bin("970439").unwrap().napas_transfer);
    }

    #[test]
    fn search_ignores_case_diacritics_and_spaces() {
        assert_eq!(search("á châu")[0].code, "ACB");
        assert_eq!(search("Vietin Bank")[0].code, "ICB");
        assert_eq!(search("ngoai thuong")[0].code, "VCB");
        assert_eq!(search("LienVietPostBank")[0].code, "LPB");
        assert_eq!(search("oceanbank")[0].code, "MBV");
        assert_eq!(search("đông á")[0].code, "Vikki");
        assert_eq!(search("mb")[0].code, "MB", "exact code ranks first");
        assert!(search("").is_empty());
        assert!(search("zzzz").is_empty());
    }

    #[test]
    fn serializes_for_the_app() {
        let j = serde_json::to_string(by_bin("970436").unwrap()).unwrap();
        assert!(j.contains("\"bin\":\"970436\""));
        assert!(j.contains("\"napas_transfer\":true"));
    }
}
