//! Published vectors from the reference (payOS, VietQR callback), independent cross-checks
//! computed with Python's `hmac`/`json` (Casso, SePay), and the rejection cases.

use banknotify::{
    Direction, NotifyError, Options, Provider, SepayScheme, casso, payos, sepay, vietqr,
};
use serde_json::{Value, json};

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ---------------------------------------------------------------- payOS

/// vietqr.md §8.1 "Verified vector" (payOSHQ/payos-lib-node `tests/crypto/testCases.json`).
fn payos_vector_data() -> Value {
    json!({
        "accountNumber": "0123456789", "amount": 20000, "description": "thanh toan",
        "reference": "FT-REFERENCE", "transactionDateTime": "2025-12-12 09:00:00",
        "virtualAccountNumber": "", "counterAccountBankId": "01202001", "counterAccountBankName": "",
        "counterAccountName": "NGUYEN VAN A", "counterAccountNumber": "9876543210",
        "virtualAccountName": "", "currency": "VND", "orderCode": 0,
        "paymentLinkId": "payment-link-id", "code": "00", "desc": "success"
    })
}
const PAYOS_KEY: &str = "test_checksum_key";
const PAYOS_SIG: &str = "302b3becca1672dff99daafae2965f40e48ea3ca39453e4bf37fbcc26807a0e8";

fn payos_body(data: Value, sig: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"code": "00", "desc": "success", "success": true, "data": data, "signature": sig}),
    )
    .unwrap()
}

#[test]
fn payos_published_vector() {
    let data = payos_vector_data();
    assert_eq!(
        payos::signature(data.as_object().unwrap(), PAYOS_KEY),
        PAYOS_SIG
    );
    let n = payos::verify(&[], &payos_body(data, PAYOS_SIG), PAYOS_KEY, 0).unwrap();
    assert_eq!(n.provider, Provider::Payos);
    assert_eq!(n.provider_tx_id, "FT-REFERENCE");
    assert_eq!(n.amount, 20000);
    assert_eq!(n.direction, Direction::In);
    assert_eq!(n.account_number, "0123456789");
    assert_eq!(n.description, "thanh toan");
    assert_eq!(n.order_id.as_deref(), Some("0"));
    assert_eq!(n.virtual_account, None);
    // 2025-12-12 09:00:00 Asia/Ho_Chi_Minh = 02:00:00 UTC.
    assert_eq!(n.occurred_at_unix, 1_765_504_800);
    assert!(n.time_from_provider);
    let c = n.counter_account.unwrap();
    assert_eq!(c.name.as_deref(), Some("NGUYEN VAN A"));
    assert_eq!(c.number.as_deref(), Some("9876543210"));
    assert_eq!(c.bank_id.as_deref(), Some("01202001"));
    assert_eq!(c.bank_name, None);
}

#[test]
fn payos_vector_variants_still_verify() {
    // Upper-case hex, nulls instead of empty strings (both render as empty), 20000.0.
    let mut data = payos_vector_data();
    data["virtualAccountNumber"] = Value::Null;
    data["counterAccountBankName"] = json!("null");
    data["amount"] = json!(20000.0);
    let body = payos_body(data, &PAYOS_SIG.to_uppercase());
    assert!(payos::verify(&[], &body, PAYOS_KEY, 0).is_ok());
}

#[test]
fn payos_rejections() {
    let ok = payos_body(payos_vector_data(), PAYOS_SIG);
    assert_eq!(
        payos::verify(&[], &ok, "wrong_key", 0),
        Err(NotifyError::BadSignature)
    );
    for (k, v) in [
        ("amount", json!(200000)),
        ("accountNumber", json!("0123456788")),
        ("description", json!("thanh toan HL")),
        ("extra", json!("x")),
    ] {
        let mut d = payos_vector_data();
        d[k] = v;
        assert_eq!(
            payos::verify(&[], &payos_body(d, PAYOS_SIG), PAYOS_KEY, 0),
            Err(NotifyError::BadSignature),
            "{k}"
        );
    }
    assert!(matches!(
        payos::verify(&[], b"{\"data\":", PAYOS_KEY, 0),
        Err(NotifyError::MalformedJson(_))
    ));
    assert_eq!(
        payos::verify(&[], br#"{"data":{}}"#, PAYOS_KEY, 0),
        Err(NotifyError::MissingField("signature"))
    );
    assert_eq!(
        payos::verify(&[], &payos_body(payos_vector_data(), "zz"), PAYOS_KEY, 0),
        Err(NotifyError::BadSignature)
    );
    // Authentic but not a success.
    let mut d = payos_vector_data();
    d["code"] = json!("01");
    let sig = payos::signature(d.as_object().unwrap(), PAYOS_KEY);
    assert_eq!(
        payos::verify(&[], &payos_body(d, &sig), PAYOS_KEY, 0),
        Err(NotifyError::NotSuccessful { code: "01".into() })
    );
    // The unsigned top-level fields are not covered by the signature (documented payOS design)
    // and never used.
    let mut b: Value = serde_json::from_slice(&ok).unwrap();
    b["desc"] = json!("tampered");
    assert!(payos::verify(&[], &serde_json::to_vec(&b).unwrap(), PAYOS_KEY, 0).is_ok());
}

// ---------------------------------------------------------------- Casso

const CASSO_KEY: &str = "casso_test_key";
const CASSO_T: &str = "1739348400000";
/// Casso's dashboard test webhook shape (§8.3), as sent (spaced, unsorted).
const CASSO_TEST_BODY: &str = r#"{"error": 0, "data": {"id": 0, "reference": "MA_GIAO_DICH_THU_NGHIEM", "description": "giao dich thu nghiem", "amount": 599000, "runningBalance": 25000000, "transactionDateTime": "2025-02-12 15:20:00", "accountNumber": "88888888", "bankName": "VPBank", "bankAbbreviation": "VPB", "virtualAccountNumber": "", "virtualAccountName": "", "counterAccountName": "", "counterAccountNumber": "", "counterAccountBankId": "", "counterAccountBankName": ""}}"#;
/// Python: hmac.new(key, (t + "." + json.dumps(body, sort_keys=True, separators=(",", ":"),
/// ensure_ascii=False)).encode(), sha512).hexdigest()
const CASSO_TEST_SIG: &str = "bc0b53ab4c73aa3c67baa267ece5905ac3b849b16e1f480f147b79ae2593a2c8e2619cc78c501be64bcc3fd42873714b204126a464650d43a4102017cfc21177";
/// Outgoing, escaped non-ASCII and quotes in the memo, a null field.
const CASSO_OUT_BODY: &str = r#"{"error": 0, "data": {"id": 987654, "reference": "FT25043ABC", "description": "NGUYEN VAN A chuyen tien HL \u0110\u00c2Y \"q\"", "amount": -35000, "runningBalance": 1000, "transactionDateTime": "2025-02-12 15:20:00", "accountNumber": "0123", "bankName": null, "bankAbbreviation": "VCB", "counterAccountBankId": "970415"}}"#;
const CASSO_OUT_SIG: &str = "b6492e07e1cc5cf777f3163f6b9cc004a6a0c3067f89e45c5c683957f8d1a3c75d70bdc96b1f6b811e184cc2d1d75cb200e1477fd73241187c85d9ea999c1a29";
const CASSO_NOW: i64 = 1_739_348_400;

fn casso_h(t: &str, sig: &str) -> Vec<(String, String)> {
    h(&[("x-casso-signature", &format!("t={t},v1={sig}"))])
}

#[test]
fn casso_cross_checked_vectors() {
    let n = casso::verify(
        &casso_h(CASSO_T, CASSO_TEST_SIG),
        CASSO_TEST_BODY.as_bytes(),
        CASSO_KEY,
        CASSO_NOW,
    )
    .unwrap();
    assert!(n.is_test);
    assert_eq!(n.provider_tx_id, "0");
    assert_eq!(n.amount, 599_000);
    assert_eq!(n.direction, Direction::In);
    assert_eq!(n.balance_after, Some(25_000_000));
    assert_eq!(n.bank_name.as_deref(), Some("VPB"));
    assert_eq!(n.counter_account, None);
    assert_eq!(n.occurred_at_unix, 1_739_348_400);

    let n = casso::verify(
        &casso_h(CASSO_T, CASSO_OUT_SIG),
        CASSO_OUT_BODY.as_bytes(),
        CASSO_KEY,
        CASSO_NOW + 299,
    )
    .unwrap();
    assert_eq!(n.direction, Direction::Out);
    assert_eq!(n.amount, 35_000);
    assert_eq!(n.signed_amount(), -35_000);
    assert_eq!(n.description, "NGUYEN VAN A chuyen tien HL ĐÂY \"q\"");
    assert_eq!(
        n.counter_account.unwrap().bank_id.as_deref(),
        Some("970415")
    );
    assert_eq!(n.bank_reference.as_deref(), Some("FT25043ABC"));
}

#[test]
fn casso_rejections() {
    let good = casso_h(CASSO_T, CASSO_TEST_SIG);
    let body = CASSO_TEST_BODY.as_bytes();
    assert_eq!(
        casso::verify(&good, body, "other", CASSO_NOW),
        Err(NotifyError::BadSignature)
    );
    let tampered = CASSO_TEST_BODY.replace("599000", "599001");
    assert_eq!(
        casso::verify(&good, tampered.as_bytes(), CASSO_KEY, CASSO_NOW),
        Err(NotifyError::BadSignature)
    );
    // Signing `data` alone is wrong (§8.3): an added top-level field breaks the signature.
    let extra = CASSO_TEST_BODY.replacen('{', r#"{"x": 1, "#, 1);
    assert_eq!(
        casso::verify(&good, extra.as_bytes(), CASSO_KEY, CASSO_NOW),
        Err(NotifyError::BadSignature)
    );
    // Stale and future timestamps.
    assert_eq!(
        casso::verify(&good, body, CASSO_KEY, CASSO_NOW + 301),
        Err(NotifyError::StaleTimestamp {
            age_secs: 301,
            window_secs: 300
        })
    );
    assert_eq!(
        casso::verify(&good, body, CASSO_KEY, CASSO_NOW - 301),
        Err(NotifyError::StaleTimestamp {
            age_secs: -301,
            window_secs: 300
        })
    );
    let wide = Options {
        window_secs: 3600,
        ..Options::default()
    };
    assert!(casso::verify_with(&good, body, CASSO_KEY, CASSO_NOW + 3000, &wide).is_ok());
    // A different t with the same v1.
    assert_eq!(
        casso::verify(
            &casso_h("1739348400001", CASSO_TEST_SIG),
            body,
            CASSO_KEY,
            CASSO_NOW
        ),
        Err(NotifyError::BadSignature)
    );
    assert_eq!(
        casso::verify(&[], body, CASSO_KEY, CASSO_NOW),
        Err(NotifyError::MissingHeader("X-Casso-Signature"))
    );
    for bad in ["v1=abc", "t=abc,v1=00", "garbage"] {
        assert!(matches!(
            casso::verify(
                &h(&[("X-Casso-Signature", bad)]),
                body,
                CASSO_KEY,
                CASSO_NOW
            ),
            Err(NotifyError::MalformedHeader { .. })
        ));
    }
    assert!(matches!(
        casso::verify(&good, b"not json", CASSO_KEY, CASSO_NOW),
        Err(NotifyError::MalformedJson(_))
    ));
    // Legacy v1 array body, correctly signed.
    let v1: Value = json!({"error": 0, "data": [{"id": 1, "tid": "x", "amount": 1000}]});
    let sig = casso::signature(&v1, CASSO_T, CASSO_KEY);
    assert!(matches!(
        casso::verify(
            &casso_h(CASSO_T, &sig),
            v1.to_string().as_bytes(),
            CASSO_KEY,
            CASSO_NOW
        ),
        Err(NotifyError::InvalidField { field: "data", .. })
    ));
}

// ---------------------------------------------------------------- SePay

const SEPAY_BODY: &str = r#"{"id":92704,"gateway":"Vietcombank","transactionDate":"2023-03-25 14:02:37","accountNumber":"0123499999","code":null,"content":"chuyen tien mua iphone","transferType":"in","transferAmount":2277000,"accumulated":19077000,"subAccount":null,"referenceCode":"MBVCB.3278907687","description":""}"#;
/// Python: hmac.new(b"sepay_secret", b"1679727757." + body, sha256).hexdigest()
const SEPAY_SIG: &str = "ac07b6b184942d0092426e09da6b3f4fcf4412c6612609a838f9b8bb1df00a8b";
const SEPAY_TS: i64 = 1_679_727_757;

#[test]
fn sepay_api_key_and_fields() {
    let n = sepay::verify(
        &h(&[("authorization", "Apikey sepay_secret")]),
        SEPAY_BODY.as_bytes(),
        "sepay_secret",
        0,
    )
    .unwrap();
    assert_eq!(n.provider_tx_id, "92704");
    assert_eq!(n.amount, 2_277_000);
    assert_eq!(n.direction, Direction::In);
    assert_eq!(n.bank_name.as_deref(), Some("Vietcombank"));
    assert_eq!(n.bank_reference.as_deref(), Some("MBVCB.3278907687"));
    assert_eq!(n.balance_after, Some(19_077_000));
    assert_eq!(n.description, "chuyen tien mua iphone");
    // 2023-03-25 14:02:37 +07:00
    assert_eq!(n.occurred_at_unix, 1_679_727_757);
    let bad = |hs: &[(&str, &str)]| sepay::verify(&h(hs), SEPAY_BODY.as_bytes(), "sepay_secret", 0);
    assert_eq!(
        bad(&[("Authorization", "Apikey nope")]),
        Err(NotifyError::BadCredentials)
    );
    assert_eq!(
        bad(&[("Authorization", "Apikey")]),
        Err(NotifyError::BadCredentials)
    );
    assert_eq!(
        bad(&[("Authorization", "Bearer sepay_secret")]),
        Err(NotifyError::UnsupportedScheme("Bearer".into()))
    );
    assert_eq!(bad(&[]), Err(NotifyError::MissingHeader("Authorization")));
}

#[test]
fn sepay_hmac() {
    let ts = SEPAY_TS.to_string();
    let hs = h(&[
        ("X-SePay-Timestamp", &ts),
        ("X-SePay-Signature", &format!("sha256={SEPAY_SIG}")),
    ]);
    assert!(sepay::verify(&hs, SEPAY_BODY.as_bytes(), "sepay_secret", SEPAY_TS + 10).is_ok());
    // HMAC required: an API key alone is refused.
    let hmac_only = Options {
        sepay_scheme: SepayScheme::Hmac,
        ..Options::default()
    };
    assert_eq!(
        sepay::verify_with(
            &h(&[("Authorization", "Apikey sepay_secret")]),
            SEPAY_BODY.as_bytes(),
            "sepay_secret",
            SEPAY_TS,
            &hmac_only
        ),
        Err(NotifyError::MissingHeader("X-SePay-Signature"))
    );
    // Raw-body scheme: even a whitespace change fails.
    let spaced = SEPAY_BODY.replace(r#""id":"#, r#""id": "#);
    assert_eq!(
        sepay::verify(&hs, spaced.as_bytes(), "sepay_secret", SEPAY_TS),
        Err(NotifyError::BadSignature)
    );
    assert_eq!(
        sepay::verify(&hs, SEPAY_BODY.as_bytes(), "other", SEPAY_TS),
        Err(NotifyError::BadSignature)
    );
    assert_eq!(
        sepay::verify(&hs, SEPAY_BODY.as_bytes(), "sepay_secret", SEPAY_TS + 301),
        Err(NotifyError::StaleTimestamp {
            age_secs: 301,
            window_secs: 300
        })
    );
    let no_ts = h(&[("X-SePay-Signature", SEPAY_SIG)]);
    assert_eq!(
        sepay::verify(&no_ts, SEPAY_BODY.as_bytes(), "sepay_secret", SEPAY_TS),
        Err(NotifyError::MissingHeader("X-SePay-Timestamp"))
    );
    let bare = h(&[("x-sepay-timestamp", &ts), ("x-sepay-signature", SEPAY_SIG)]);
    assert!(sepay::verify(&bare, SEPAY_BODY.as_bytes(), "sepay_secret", SEPAY_TS).is_ok());
}

// ---------------------------------------------------------------- VietQR.vn

/// doc.vietqr.vn "Tài liệu kết nối VietQR" sample request and its published signature.
const VIETQR_SAMPLE: &str = r#"{
  "transactionId": "0a4cc317-3af3-4055-bc83-7296adb624bf",
  "transactionTime": "2024-05-1701:53",
  "referencenumber": "0a4cc317-3af3-4055-bc83-7296adb624bf",
  "amount": "100000",
  "content": "Chuyenkhoan",
  "bankAccount": "0362626234",
  "transType": "C",
  "orderId":"0a4cc317-3af3-4055-bc83-7296adb624bf",
  "signature": "241fad517529e1abfef81756f615a6edd0a765846f0e926563ee88540c4a9ef1"
}"#;
const VIETQR_SIGN_KEY: &str = "YWN0aXZlX3NpZ24ga2V5LiBLZWVwIGl0IHNlY3JldCE=";

#[test]
fn vietqr_published_signature() {
    let id = "0a4cc317-3af3-4055-bc83-7296adb624bf";
    assert_eq!(
        vietqr::body_signature(id, 100_000, "2024-05-1701:53", id, VIETQR_SIGN_KEY),
        "241fad517529e1abfef81756f615a6edd0a765846f0e926563ee88540c4a9ef1"
    );
    let now = 1_715_885_580; // 2024-05-17 01:53 +07:00
    let tok = vietqr::issue_token("partner-pass", now, 59);
    assert_eq!(tok.token_type, "Bearer");
    assert_eq!(tok.expires_in, 59);
    let hs = h(&[("Authorization", &format!("Bearer {}", tok.access_token))]);
    let opts = Options {
        vietqr_sign_secret: Some(VIETQR_SIGN_KEY.into()),
        ..Options::default()
    };
    let n = vietqr::verify_with(&hs, VIETQR_SAMPLE.as_bytes(), "partner-pass", now, &opts).unwrap();
    assert_eq!(n.provider_tx_id, id);
    assert_eq!(n.amount, 100_000);
    assert_eq!(n.direction, Direction::In);
    assert_eq!(n.account_number, "0362626234");
    assert_eq!(n.description, "Chuyenkhoan");
    assert_eq!(n.occurred_at_unix, now);
    // The signature covers the amount.
    let tampered = VIETQR_SAMPLE.replace("\"100000\"", "\"900000\"");
    assert_eq!(
        vietqr::verify_with(&hs, tampered.as_bytes(), "partner-pass", now, &opts),
        Err(NotifyError::BadSignature)
    );
    // Without a configured key the signature is only observed.
    assert!(vietqr::verify(&hs, tampered.as_bytes(), "partner-pass", now).is_ok());
}

#[test]
fn vietqr_tokens() {
    let now = 1_800_000_000;
    let tok = vietqr::issue_token("pw", now, 59).access_token;
    let body =
        br#"{"bankaccount":"1","amount":5000,"transType":"D","content":"x","transactionid":"t1"}"#;
    let hs = |v: &str| h(&[("authorization", v)]);
    let n = vietqr::verify(&hs(&format!("bearer {tok}")), body, "pw", now + 59).unwrap();
    assert_eq!(n.direction, Direction::Out);
    assert!(!n.time_from_provider);
    assert_eq!(n.occurred_at_unix, now + 59);
    assert_eq!(
        vietqr::verify(&hs(&format!("Bearer {tok}")), body, "pw", now + 60),
        Err(NotifyError::TokenExpired)
    );
    assert_eq!(
        vietqr::verify(&hs(&format!("Bearer {tok}")), body, "other", now),
        Err(NotifyError::BadCredentials)
    );
    let forged = tok.replacen(&(now + 59).to_string(), &(now + 9999).to_string(), 1);
    assert_eq!(
        vietqr::verify(&hs(&format!("Bearer {forged}")), body, "pw", now),
        Err(NotifyError::BadCredentials)
    );
    assert_eq!(
        vietqr::verify(&hs("Basic abc"), body, "pw", now),
        Err(NotifyError::UnsupportedScheme("Basic".into()))
    );
    // token_generate Basic credentials.
    let basic = vietqr::basic_auth("vietqr", "pw");
    assert_eq!(
        vietqr::check_token_request(&hs(&basic), "vietqr", "pw"),
        Ok(())
    );
    assert_eq!(
        vietqr::check_token_request(&hs(&basic), "vietqr", "px"),
        Err(NotifyError::BadCredentials)
    );
    let ack: Value = serde_json::from_str(&Provider::Vietqr.ack_body("t1")).unwrap();
    assert_eq!(ack["error"], json!(false));
    assert_eq!(ack["object"]["reftransactionid"], json!("t1"));
}

#[test]
fn vietqr_dedup_key_fallbacks() {
    let tok = vietqr::issue_token("pw", 0, 59).access_token;
    let hs = h(&[("Authorization", &format!("Bearer {tok}"))]);
    let a = br#"{"bankaccount":"1","amount":5000,"transType":"C","content":"x","referencenumber":"FT1"}"#;
    assert_eq!(
        vietqr::verify(&hs, a, "pw", 0).unwrap().provider_tx_id,
        "FT1"
    );
    let b = br#"{"bankaccount":"1","amount":5000,"transType":"C","content":"x"}"#;
    let id = vietqr::verify(&hs, b, "pw", 0).unwrap().provider_tx_id;
    assert!(id.starts_with("sha256:") && id.len() == 39, "{id}");
    assert_eq!(vietqr::verify(&hs, b, "pw", 0).unwrap().provider_tx_id, id);
    let c = br#"{"bankaccount":"1","amount":5000,"transType":"X","content":"x"}"#;
    assert!(matches!(
        vietqr::verify(&hs, c, "pw", 0),
        Err(NotifyError::InvalidField {
            field: "transType",
            ..
        })
    ));
}

// ---------------------------------------------------------------- errors

#[test]
fn error_codes_are_distinct_and_described() {
    let all = [
        NotifyError::MissingHeader("h"),
        NotifyError::MalformedHeader {
            header: "h",
            reason: "r",
        },
        NotifyError::MalformedJson("e".into()),
        NotifyError::MissingField("f"),
        NotifyError::InvalidField {
            field: "f",
            reason: "r",
        },
        NotifyError::BadSignature,
        NotifyError::BadCredentials,
        NotifyError::UnsupportedScheme("s".into()),
        NotifyError::StaleTimestamp {
            age_secs: 1,
            window_secs: 0,
        },
        NotifyError::TokenExpired,
        NotifyError::NotSuccessful { code: "1".into() },
    ];
    let mut codes: Vec<_> = all.iter().map(NotifyError::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
    for e in &all {
        assert!(!e.to_string().is_empty() && !e.message_vi().is_empty());
    }
    assert!(NotifyError::BadSignature.is_auth_failure());
    assert!(!NotifyError::MalformedJson(String::new()).is_auth_failure());
}

#[test]
fn dispatcher_and_names() {
    for p in Provider::ALL {
        assert_eq!(p.as_str().parse::<Provider>(), Ok(p));
    }
    let body = payos_body(payos_vector_data(), PAYOS_SIG);
    assert!(banknotify::verify(Provider::Payos, &[], &body, PAYOS_KEY, 0).is_ok());
    assert_eq!(Provider::Sepay.ack_body("1"), r#"{"success":true}"#);
}

#[test]
fn unknown_fields_ignored_bad_values_refused() {
    let key = h(&[("AUTHORIZATION", "APIKEY sepay_secret")]);
    let v = |patch: &dyn Fn(&mut Value)| {
        let mut b: Value = serde_json::from_str(SEPAY_BODY).unwrap();
        patch(&mut b);
        sepay::verify(&key, &serde_json::to_vec(&b).unwrap(), "sepay_secret", 0)
    };
    assert!(v(&|b| b["newField"] = json!({"nested": [1, 2]})).is_ok());
    assert_eq!(
        v(&|b| b["transferType"] = json!("OUT")).unwrap().direction,
        Direction::Out
    );
    let amount0 = v(&|b| b["transferAmount"] = json!(0));
    assert!(matches!(
        amount0,
        Err(NotifyError::InvalidField {
            field: "transferAmount",
            ..
        })
    ));
    let frac = v(&|b| b["transferAmount"] = json!(1.5));
    assert!(matches!(
        frac,
        Err(NotifyError::InvalidField {
            field: "transferAmount",
            ..
        })
    ));
    let dir = v(&|b| b["transferType"] = json!("sideways"));
    assert!(matches!(
        dir,
        Err(NotifyError::InvalidField {
            field: "transferType",
            ..
        })
    ));
    let date = v(&|b| b["transactionDate"] = json!("2023-13-25 14:02:37"));
    assert!(matches!(
        date,
        Err(NotifyError::InvalidField {
            field: "transactionDate",
            ..
        })
    ));
    assert_eq!(
        v(&|b| b["id"] = Value::Null),
        Err(NotifyError::MissingField("id"))
    );
    let wrong_type = v(&|b| b["content"] = json!({"a": 1}));
    assert!(matches!(wrong_type, Err(NotifyError::MalformedJson(_))));
    // Not an object at all.
    assert!(matches!(
        sepay::verify(&key, b"[1,2]", "sepay_secret", 0),
        Err(NotifyError::MalformedJson(_))
    ));
    // payOS: authentic zero amount and foreign currency are refused.
    for (k, val, field) in [
        ("amount", json!(0), "data.amount"),
        ("currency", json!("USD"), "data.currency"),
    ] {
        let mut d = payos_vector_data();
        d[k] = val;
        let sig = payos::signature(d.as_object().unwrap(), PAYOS_KEY);
        let r = payos::verify(&[], &payos_body(d, &sig), PAYOS_KEY, 0);
        assert!(
            matches!(r, Err(NotifyError::InvalidField { field: f, .. }) if f == field),
            "{r:?}"
        );
    }
}
