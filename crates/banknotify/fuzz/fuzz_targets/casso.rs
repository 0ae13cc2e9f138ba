//! Casso v2: the first line is the `X-Casso-Signature` value, the rest the body; with a leading
//! `!` the body is signed correctly instead, reaching the normaliser.
#![no_main]
use banknotify::casso;
use libfuzzer_sys::fuzz_target;

const KEY: &str = "fuzz-key";
const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (head, body) = (&data[..split], data.get(split + 1..).unwrap_or(&[]));
    let head = String::from_utf8_lossy(head).into_owned();
    let hv = if head.starts_with('!') {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) => {
                let t = (NOW * 1000).to_string();
                format!("t={t},v1={}", casso::signature(&v, &t, KEY))
            }
            Err(_) => head,
        }
    } else {
        head
    };
    let hs = vec![("X-Casso-Signature".to_owned(), hv)];
    if let Ok(n) = casso::verify(&hs, body, KEY, NOW) {
        assert!(n.amount > 0);
    }
});
