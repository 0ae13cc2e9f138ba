#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(inv) = einvoice::read_invoice(text) {
        let _ = einvoice::validate(&inv, &einvoice::Context::default());
        // what was read must survive a write/read cycle unchanged
        let again = einvoice::read_invoice(&einvoice::write_invoice(&inv))
            .expect("re-reading written invoice");
        assert_eq!(again, inv);
    }
    let _ = einvoice::verify_signatures(text, &einvoice::VerifyOptions::default());
});
