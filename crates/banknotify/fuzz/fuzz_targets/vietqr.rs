//! VietQR.vn: a valid bearer token (first byte even) or the first line as the Authorization value;
//! the rest is the body. The body signature is required when the second byte is odd.
#![no_main]
use banknotify::{Options, vietqr};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "fuzz-key";
const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let [mode, sign, rest @ ..] = data else {
        return;
    };
    let (auth, body) = if mode % 2 == 0 {
        (
            format!("Bearer {}", vietqr::issue_token(KEY, NOW, 59).access_token),
            rest,
        )
    } else {
        let split = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        (
            String::from_utf8_lossy(&rest[..split]).into_owned(),
            rest.get(split + 1..).unwrap_or(&[]),
        )
    };
    let opts = Options {
        vietqr_sign_secret: (sign % 2 == 1).then(|| "sign-key".to_owned()),
        ..Options::default()
    };
    let hs = vec![("Authorization".to_owned(), auth)];
    if let Ok(n) = vietqr::verify_with(&hs, body, KEY, NOW, &opts) {
        assert!(n.amount > 0);
    }
    let _ = vietqr::check_token_request(&hs, "u", "p");
});
