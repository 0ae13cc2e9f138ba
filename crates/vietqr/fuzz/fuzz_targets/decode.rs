//! Decoding arbitrary bytes must never panic, and whatever decodes as a
//! VietQR must survive normalise → encode → decode unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vietqr::{Decoded, decode, decode_bytes};

fuzz_target!(|data: &[u8]| {
    let Ok(Decoded::VietQr(q)) = decode_bytes(data) else {
        return;
    };
    // Not every decodable payload is encodable (e.g. a static QR with an
    // amount), but every encoded one must decode to its normal form.
    if let Ok(p) = q.encode() {
        let n = q.normalized().expect("encode succeeded, so normalise does");
        assert_eq!(decode(&p), Ok(Decoded::VietQr(n)), "{p}");
    }
});
