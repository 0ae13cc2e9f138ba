//! payOS: arbitrary bodies; when the first byte is even and the body has a `data` object, it is
//! signed with the test key first so the normaliser behind the HMAC is reached too.
#![no_main]
use banknotify::{Provider, payos};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "fuzz-key";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let mut body = body.to_vec();
    if mode % 2 == 0 {
        if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&body) {
            if let Some(d) = v.get("data").and_then(|d| d.as_object()).cloned() {
                v["signature"] = payos::signature(&d, KEY).into();
                body = serde_json::to_vec(&v).unwrap();
                if let Ok(n) = payos::verify(&[], &body, KEY, 1_800_000_000) {
                    assert!(n.amount > 0);
                }
                return;
            }
        }
    }
    let _ = banknotify::verify(Provider::Payos, &[], &body, KEY, 1_800_000_000);
});
