//! CSV import: all or nothing, every bad row reported, re-import a no-op.

mod common;

use common::TestApp;

const MARKETS: &str = "\u{feff}Mã chợ,Tên chợ,Địa chỉ,Xã/phường,Số điểm kinh doanh,Trạng thái\n\
HL-1,Chợ Hạ Long I,Hồng Gai,phường Hồng Gai,520,Hoạt động\n\
MC-1,Chợ Trung tâm Móng Cái,,06712,300,\n";

const MERCHANTS: &str = "tax_code,name,kind,owner_name,phone,place_code,payment_methods,bank_bin,account_number,holder_name\n\
0100233488,Hộ kinh doanh Lan,household,Nguyễn Thị Lan,0912345678,06685,cash;vietqr,970436,0011001234567,NGUYEN THI LAN\n\
5700100256,Công ty TNHH Hải Sản Vân Đồn,doanh nghiệp,Trần Văn Hùng,,06994,tiền mặt;thẻ,VCB,1234567890,CONG TY HAI SAN\n\
022190001234,Hộ kinh doanh Bình,,Lê Văn Bình,+84 987 654 321,Cô Tô,,,,\n";

const STALLS: &str = "market_code,stall_code,zone,category,status,merchant_tax_code\n\
HL-1,A-01,Khu A,Hải sản,active,0100233488\n\
HL-1,A-02,Khu A,Rau củ,trống,\n\
MC-1,B-01,Khu B,Quần áo,,5700100256\n";

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    (
        app.total("/api/v1/markets").await,
        app.total("/api/v1/merchants").await,
        app.total("/api/v1/stalls").await,
    )
}

#[tokio::test]
async fn good_files_land_and_reimport_is_a_no_op() {
    let app = TestApp::spawn().await;
    let (s, r) = app.import("markets", MARKETS).await;
    assert_eq!((s, r["inserted"].as_u64()), (200, Some(2)), "{r}");
    let (s, r) = app.import("merchants", MERCHANTS).await;
    assert_eq!((s, r["inserted"].as_u64()), (200, Some(3)), "{r}");
    let (s, r) = app.import("stalls", STALLS).await;
    assert_eq!((s, r["inserted"].as_u64()), (200, Some(3)), "{r}");
    assert_eq!(counts(&app).await, (2, 3, 3));

    let hl = app.get_json("/api/v1/markets?q=ha%20long").await;
    assert_eq!(hl["items"][0]["place_code"], "06685");
    assert_eq!(hl["items"][0]["market_class"], 1);
    let ent = app.get_json("/api/v1/merchants?q=van%20don").await;
    assert_eq!(ent["items"][0]["kind"], "enterprise");
    assert_eq!(ent["items"][0]["payment_methods"], "cash,card");
    let id = ent["items"][0]["id"].as_i64().unwrap();
    let acc = app
        .get_json(&format!("/api/v1/merchants/{id}/bank-accounts"))
        .await;
    assert_eq!(
        (acc[0]["bank_bin"].as_str(), acc[0]["is_default"].as_bool()),
        (Some("970436"), Some(true))
    );
    let vacant = app.get_json("/api/v1/stalls?status=vacant").await;
    assert_eq!(vacant["items"][0]["code"], "A-02");

    let before = app.get_json("/api/v1/markets").await;
    for (kind, file) in [
        ("markets", MARKETS),
        ("merchants", MERCHANTS),
        ("stalls", STALLS),
    ] {
        let (s, r) = app.import(kind, file).await;
        assert_eq!(s, 200);
        assert_eq!(
            (r["inserted"].as_u64(), r["updated"].as_u64()),
            (Some(0), Some(0)),
            "{kind}: {r}"
        );
        assert_eq!(
            r["unchanged"].as_u64(),
            Some(3).filter(|_| kind != "markets").or(Some(2))
        );
    }
    assert_eq!(
        app.get_json("/api/v1/markets").await,
        before,
        "not even updated_at moved"
    );

    // A changed row is an update, the others stay untouched.
    let changed = MARKETS.replace("520,Hoạt động", "530,Hoạt động");
    let (_, r) = app.import("markets", &changed).await;
    assert_eq!(
        (r["updated"].as_u64(), r["unchanged"].as_u64()),
        (Some(1), Some(1))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_bad_file_is_rejected_whole_with_every_bad_row() {
    let app = TestApp::spawn().await;
    app.import("markets", MARKETS).await;
    app.import("merchants", MERCHANTS).await;
    let before = counts(&app).await;

    // Wrong check digit (line 3), unknown BIN (line 4), unknown place (line 5); line 2 is fine.
    let merchants = "tax_code,name,owner_name,place_code,bank_bin,account_number,holder_name\n\
        5700100263,Hộ A,Chủ A,06685,,,\n\
        5700100257,Hộ B,Chủ B,06685,,,\n\
        5700100270,Hộ C,Chủ C,06685,999999,123,CHU C\n\
        5700100288,Hộ D,Chủ D,Atlantis,,,\n";
    let (s, e) = app.import("merchants", merchants).await;
    assert_eq!(s, 422);
    assert_eq!(e["code"], "import_rejected");
    let errs: Vec<(u64, &str, &str)> = e["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["row"].as_u64().unwrap(),
                x["column"].as_str().unwrap(),
                x["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errs,
        [
            (3, "tax_code", "tax_code.bad_check_digit"),
            (4, "bank_bin", "unknown_bank"),
            (5, "place_code", "unknown_place")
        ]
    );
    for x in e["details"]["errors"].as_array().unwrap() {
        assert!(
            !x["message_vi"].as_str().unwrap().is_empty()
                && !x["message_en"].as_str().unwrap().is_empty()
        );
    }

    // Duplicate stall code within the file, and an unknown market.
    let stalls = "market_code,code\nHL-1,A-01\nHL-1,A-02\nHL-1,a-01\nXX-9,A-01\n";
    let (s, e) = app.import("stalls", stalls).await;
    assert_eq!(s, 422);
    let errs: Vec<(u64, &str)> = e["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["row"].as_u64().unwrap(), x["code"].as_str().unwrap()))
        .collect();
    assert_eq!(errs, [(4, "duplicate_in_file"), (5, "unknown_market")]);
    assert_eq!(counts(&app).await, before, "nothing was written");
    app.stop().await;
}

#[tokio::test]
async fn malformed_files_are_refused() {
    let app = TestApp::spawn().await;
    let (s, e) = app.import("markets", "foo,bar\n1,2\n").await;
    assert_eq!((s, e["code"].as_str()), (400, Some("malformed_csv")));
    let r = app
        .client
        .post(app.url("/api/v1/imports?kind=markets"))
        .body(vec![0xff, 0xfe, b'a'])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (s, _) = app
        .import(
            "markets",
            "code,name,place_code,business_points\nA,B,06685,1,extra\n",
        )
        .await;
    assert_eq!(s, 400, "ragged rows are refused");
    app.stop().await;
}

#[tokio::test]
async fn demo_records_never_mix_with_imported_ones() {
    let app = TestApp::spawn_with(true).await;
    let stalls = "market_code,code\nDEMO-QN-001,Z-99\n";
    let (s, e) = app.import("stalls", stalls).await;
    assert_eq!(
        (s, e["details"]["errors"][0]["code"].as_str()),
        (422, Some("demo_record"))
    );
    let markets = "code,name,place_code,business_points\nDEMO-QN-001,Chợ thật,06685,10\n";
    let (s, e) = app.import("markets", markets).await;
    assert_eq!(
        (s, e["details"]["errors"][0]["code"].as_str()),
        (422, Some("demo_record"))
    );
    app.stop().await;
}
