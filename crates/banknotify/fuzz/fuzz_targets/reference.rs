//! Reference extraction: total, and anything returned is canonical.
#![no_main]
use banknotify::{ReferenceFormat, extract_reference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Some(r) = extract_reference(&s, "HL") {
        assert!(ReferenceFormat::default().is_canonical(&r), "{r}");
    }
});
