#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = einvoice::envelope::read_303(text) {
        // what was read must survive a write/read cycle unchanged
        let again = einvoice::envelope::read_303(&einvoice::envelope::write_303(&n.header, &n))
            .expect("re-reading written notice");
        assert_eq!(again, n);
    }
});
