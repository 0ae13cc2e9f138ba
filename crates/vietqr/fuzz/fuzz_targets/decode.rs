//! Decoding arbitrary bytes must never panic, and whatever decodes as a
//! VietQR must survive normalise → encode → decode unchanged.
//!
//! Random mutations almost never keep a valid CRC, which would leave the
//! semantic checks and the round trip unexplored; so each input is decoded
//! twice: as is, and with a freshly computed CRC object appended.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vietqr::{Decoded, crc16, decode, decode_bytes};

fuzz_target!(|data: &[u8]| {
    round_trip(decode_bytes(data));
    if let Ok(s) = std::str::from_utf8(data) {
        let body = format!("{s}6304");
        let signed = format!("{body}{:04X}", crc16(body.as_bytes()));
        round_trip(decode(&signed));
    }
});

fn round_trip(d: Result<Decoded, vietqr::Error>) {
    let Ok(Decoded::VietQr(q)) = d else { return };
    // Not every decodable payload is encodable (e.g. a static QR with an
    // amount), but every encoded one must decode to its normal form.
    if let Ok(p) = q.encode() {
        let n = q.normalized().expect("encode succeeded, so normalise does");
        assert_eq!(decode(&p), Ok(Decoded::VietQr(n)), "{p}");
    }
}
