//! SePay: the first byte picks API key, correct HMAC or a fuzzed signature header; the rest is the
//! body.
#![no_main]
use banknotify::sepay;
use libfuzzer_sys::fuzz_target;

const KEY: &str = "fuzz-key";
const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let ts = NOW.to_string();
    let hs = match mode % 3 {
        0 => vec![("Authorization".to_owned(), format!("Apikey {KEY}"))],
        1 => vec![
            ("X-SePay-Timestamp".to_owned(), ts.clone()),
            (
                "X-SePay-Signature".to_owned(),
                sepay::signature(&ts, body, KEY),
            ),
        ],
        _ => {
            let split = body.iter().position(|&b| b == b'\n').unwrap_or(0);
            vec![
                ("X-SePay-Timestamp".to_owned(), ts.clone()),
                (
                    "X-SePay-Signature".to_owned(),
                    String::from_utf8_lossy(&body[..split]).into_owned(),
                ),
            ]
        }
    };
    if let Ok(n) = sepay::verify(&hs, body, KEY, NOW) {
        assert!(n.amount > 0);
    }
});
