//! Every route of the app (API and pages), tried as each role and as an anonymous visitor:
//! only the allowed ones get through (others get 401, 403 or 404). The test walks the app's own
//! route table, so a route added without a rule here (or there) fails it.

mod common;

use std::collections::HashMap;

use common::{TestApp, client_with_token, token_for};
use serde_json::json;

const ANON: &str = "anonymous";
const CITIZEN: &str = "citizen";
const ADMIN: &str = "admin";
const TAX: &str = "tax_officer";
const MGR_A: &str = "manager_a";
const OWN_A: &str = "owner_a";
const CASH_A: &str = "cashier_a";
const MGR_B: &str = "manager_b";
const OWN_B: &str = "owner_b";

/// Admin last: some of its allowed calls change data (a deleted account, a revoked grant).
const ROLES: [&str; 9] = [
    ANON, CITIZEN, TAX, MGR_A, OWN_A, CASH_A, MGR_B, OWN_B, ADMIN,
];
const ALL: &[&str] = &ROLES;
const SIGNED: &[&str] = &[CITIZEN, TAX, MGR_A, OWN_A, CASH_A, MGR_B, OWN_B, ADMIN];
const STAFF: &[&str] = &[TAX, MGR_A, OWN_A, CASH_A, MGR_B, OWN_B, ADMIN];
/// Who may see market A, its stall and its merchant.
const SEE_A: &[&str] = &[ADMIN, TAX, MGR_A, OWN_A, CASH_A];
const MANAGE_A: &[&str] = &[ADMIN, MGR_A];
const EDIT_MERCHANT_A: &[&str] = &[ADMIN, MGR_A, OWN_A];
const ACCOUNTS_A: &[&str] = &[ADMIN, OWN_A];
const CREATE_MERCHANT: &[&str] = &[ADMIN, MGR_A, MGR_B];
const SELF_A: &[&str] = &[ADMIN, OWN_A];
/// Who may take a payment at stall A.
const PAY_A: &[&str] = &[ADMIN, MGR_A, OWN_A, CASH_A];
const ADMIN_ONLY: &[&str] = &[ADMIN];
/// Who may read merchant A's invoices, products and registers; who may sell; who may manage.
const INVOICES_A: &[&str] = &[ADMIN, TAX, OWN_A, CASH_A];
const SELL_A: &[&str] = &[ADMIN, OWN_A, CASH_A];
const CATALOGUE_A: &[&str] = &[ADMIN, OWN_A];
/// Who may refund a receipt of merchant A: administrators and A's owner (not its cashier, nor
/// the market's manager, who may only see it).
const REFUND_A: &[&str] = &[ADMIN, OWN_A];
/// Who may read a fee bill of market A (its board, administrators, the billed merchant's owner).
const FEE_BILL_A: &[&str] = &[ADMIN, MGR_A, OWN_A];

/// Who may call each route (on the objects of market A).
fn expected(method: &str, path: &str) -> Option<&'static [&'static str]> {
    Some(match (method, path) {
        ("GET", "/healthz" | "/api/v1/openapi.json" | "/api/v1/places" | "/api/v1/banks") => ALL,
        ("GET", "/metrics") => ADMIN_ONLY,
        ("GET", "/api/v1/markets" | "/api/v1/stalls" | "/api/v1/merchants") => STAFF,
        ("POST", "/api/v1/markets" | "/api/v1/imports") => ADMIN_ONLY,
        ("GET", "/api/v1/markets/{id}" | "/api/v1/stalls/{id}" | "/api/v1/merchants/{id}") => SEE_A,
        ("GET", "/api/v1/merchants/{id}/bank-accounts") => SEE_A,
        ("GET", "/api/v1/stalls/{id}/qr.svg" | "/api/v1/stalls/{id}/qr.png") => SEE_A,
        ("GET", "/api/v1/stalls/{id}/sign") => SEE_A,
        ("PUT", "/api/v1/markets/{id}" | "/api/v1/stalls/{id}") => MANAGE_A,
        ("POST", "/api/v1/stalls") => MANAGE_A,
        ("POST", "/api/v1/merchants") => CREATE_MERCHANT,
        ("PUT", "/api/v1/merchants/{id}") => EDIT_MERCHANT_A,
        ("POST", "/api/v1/merchants/{id}/bank-accounts") => ACCOUNTS_A,
        ("DELETE", "/api/v1/merchants/{id}/bank-accounts/{account_id}") => ACCOUNTS_A,
        ("POST", "/api/v1/qr/decode" | "/api/v1/qr/encode") => SIGNED,
        ("POST", "/api/v1/auth/otp/request" | "/api/v1/auth/otp/verify") => ALL,
        ("POST", "/api/v1/auth/password") => ALL,
        ("POST", "/api/v1/auth/signout") => SIGNED,
        ("GET", "/api/v1/me" | "/api/v1/tokens") => SIGNED,
        ("POST", "/api/v1/tokens") | ("DELETE", "/api/v1/tokens/{id}") => SIGNED,
        ("GET" | "POST", "/api/v1/people") => ADMIN_ONLY,
        ("GET", "/api/v1/people/{id}") | ("POST", "/api/v1/people/{id}/ekyc") => SELF_A,
        ("POST", "/api/v1/people/{id}/grants") => ADMIN_ONLY,
        ("DELETE", "/api/v1/people/{id}/grants/{grant_id}") => ADMIN_ONLY,
        ("GET", "/api/v1/audit" | "/audit") => ADMIN_ONLY,
        ("GET" | "POST", "/api/v1/organisations") => ADMIN_ONLY,
        ("POST", "/api/v1/payment-requests") => PAY_A,
        ("GET", "/api/v1/payment-requests/{id}" | "/api/v1/payment-requests/{id}/qr.svg") => SEE_A,
        // Authenticated by the provider's signature or token, never by a role: unsigned calls
        // are refused to everyone.
        ("POST", "/api/v1/notifications/{provider}" | "/api/v1/notifications/vietqr/token") => &[],
        ("GET", "/api/v1/receipts" | "/api/v1/receipts/stream" | "/api/v1/receipts/totals") => {
            STAFF
        }
        ("GET", "/live") => STAFF,
        ("POST", "/api/v1/statements/reconcile" | "/api/v1/statements/post") => ADMIN_ONLY,
        ("GET", "/unmatched")
        | ("POST", "/unmatched/{id}/assign" | "/api/v1/receipts/{id}/assign") => ADMIN_ONLY,
        ("POST", "/api/v1/receipts/{id}/refunds") => REFUND_A,
        ("POST", "/api/v1/receipts/{id}/corrections") => ADMIN_ONLY,
        ("GET" | "POST", "/statements") | ("POST", "/statements/confirm") => ADMIN_ONLY,
        ("POST", "/api/v1/organisations/{id}/members") => ADMIN_ONLY,
        ("GET", "/api/v1/merchants/{id}/einvoice") => INVOICES_A,
        ("GET", "/api/v1/merchants/{id}/products" | "/api/v1/merchants/{id}/registers") => {
            INVOICES_A
        }
        ("POST", "/api/v1/merchants/{id}/einvoice/registration") => CATALOGUE_A,
        ("POST", "/api/v1/merchants/{id}/products" | "/api/v1/merchants/{id}/registers") => {
            CATALOGUE_A
        }
        ("POST", "/api/v1/registers/{id}/sales" | "/api/v1/invoices/{id}/replacement") => SELL_A,
        ("GET", "/api/v1/sales/{id}" | "/api/v1/invoices/{id}" | "/api/v1/invoices/{id}/xml") => {
            INVOICES_A
        }
        ("GET", "/api/v1/invoices") => STAFF,
        ("GET", "/api/v1/invoices/lookup" | "/tra-cuu" | "/tra-cuu/xml") => ALL,
        // Indicators are public; per-stall detail is filtered inside (tests/indicators.rs).
        ("GET", "/api/v1/indicators" | "/dashboard" | "/dashboard.csv" | "/dashboard.xlsx") => ALL,
        // Work lists: staff only, filtered to what each may see (tests/indicators.rs).
        ("GET", "/api/v1/indicators/follow-up" | "/dashboard/staff") => STAFF,
        ("GET", "/registers" | "/invoices") => STAFF,
        ("GET", "/registers/{id}") => SELL_A,
        ("GET", "/merchants/{id}/einvoice") => INVOICES_A,
        ("GET", "/invoices/{id}/receipt" | "/invoices/{id}/receipt.pdf") => INVOICES_A,
        ("GET", "/" | "/assets/app.css" | "/signin") => ALL,
        ("POST", "/signin/otp" | "/signin/verify" | "/signin/password") => ALL,
        ("POST", "/signout") => SIGNED,
        ("GET", "/markets" | "/merchants") => STAFF,
        ("GET" | "POST", "/markets/new") => ADMIN_ONLY,
        ("GET", "/markets/{id}" | "/markets/{id}/signs" | "/merchants/{id}") => SEE_A,
        ("GET" | "POST", "/markets/{id}/edit" | "/markets/{id}/stalls/new") => MANAGE_A,
        ("GET" | "POST", "/stalls/{id}/edit") => MANAGE_A,
        ("GET" | "POST", "/merchants/new") => CREATE_MERCHANT,
        ("GET" | "POST", "/merchants/{id}/edit") => EDIT_MERCHANT_A,
        ("POST", "/merchants/{id}/accounts") => ACCOUNTS_A,
        ("GET", "/sim/sms" | "/sim/sms/messages.json") => ALL,
        ("POST", "/sim/sms/MainService.svc/json/SendMultipleMessage_V4_post_json/") => ALL,
        ("GET", "/sim/tax" | "/sim/tax/messages/{id}/replies") | ("POST", "/sim/tax/messages") => {
            ALL
        }
        // market fees: run by the market's managers and administrators
        (
            "GET" | "POST",
            "/api/v1/markets/{id}/fee-schedules" | "/api/v1/markets/{id}/fee-bills/generate",
        )
        | ("PUT", "/api/v1/fee-schedules/{id}")
        | ("GET" | "PUT", "/api/v1/markets/{id}/fee-account")
        | ("GET", "/api/v1/markets/{id}/fee-bills")
        | ("POST", "/api/v1/markets/{id}/fee-bills/remind" | "/api/v1/fee-bills/{id}/cash") => {
            MANAGE_A
        }
        ("GET", "/api/v1/fee-bills/{id}") => FEE_BILL_A,
        ("GET", "/api/v1/merchants/{id}/fee-bills" | "/merchants/{id}/fees") => EDIT_MERCHANT_A,
        ("GET", "/markets/{id}/fees" | "/fee-receipts/{id}") => MANAGE_A,
        (
            "POST",
            "/markets/{id}/fees/generate"
            | "/markets/{id}/fees/remind"
            | "/markets/{id}/fees/schedules"
            | "/markets/{id}/fees/account"
            | "/fee-bills/{id}/cash",
        ) => MANAGE_A,
        _ => return None,
    })
}

struct World {
    market_a: i64,
    request_a: i64,
    receipt_a: i64,
    stall_a: i64,
    merchant_a: i64,
    owner_a_person: i64,
    register_a: i64,
    sale_a: i64,
    invoice_a: i64,
    fee_schedule_a: i64,
    fee_bill_a: i64,
    fee_receipt_a: i64,
    tokens: HashMap<&'static str, String>,
}

async fn world(app: &TestApp) -> World {
    let db = app.running.as_ref().unwrap().state.db.clone();
    let mk = |code: &str| json!({"code": code, "name": format!("Chợ {code}"), "place_code": "06685", "business_points": 100});
    let (_, a) = app.post_json("/api/v1/markets", &mk("A")).await;
    let (_, b) = app.post_json("/api/v1/markets", &mk("B")).await;
    let merchant = |tax: &str| json!({"tax_code": tax, "name": format!("Hộ {tax}"), "owner_name": "Chủ", "address": "Chợ A, Quảng Ninh", "place_code": "06685", "payment_methods": ["cash", "vietqr"]});
    let (_, ma) = app
        .post_json("/api/v1/merchants", &merchant("0100233488"))
        .await;
    let (_, mb) = app
        .post_json("/api/v1/merchants", &merchant("5700100256"))
        .await;
    let (market_a, merchant_a) = (a["id"].as_i64().unwrap(), ma["id"].as_i64().unwrap());
    let (market_b, merchant_b) = (b["id"].as_i64().unwrap(), mb["id"].as_i64().unwrap());
    let (_, sa) = app
        .post_json(
            "/api/v1/stalls",
            &json!({"market_id": market_a, "code": "A-1", "merchant_id": merchant_a}),
        )
        .await;
    app.post_json(
        "/api/v1/stalls",
        &json!({"market_id": market_b, "code": "B-1", "merchant_id": merchant_b}),
    )
    .await;
    for m in [merchant_a, merchant_b] {
        app.post_json(&format!("/api/v1/merchants/{m}/bank-accounts"), &json!({"bank_bin": "970436", "account_number": format!("1000{m}"), "holder_name": "CHU"})).await;
    }
    let mut tokens = HashMap::new();
    tokens.insert(ADMIN, app.admin_token.clone());
    tokens.insert(CITIZEN, token_for(&db, "0911000001", "citizen", 0).await);
    tokens.insert(TAX, token_for(&db, "0911000002", "tax_officer", 0).await);
    tokens.insert(
        MGR_A,
        token_for(&db, "0911000003", "market_manager", market_a).await,
    );
    tokens.insert(
        OWN_A,
        token_for(&db, "0911000004", "merchant_owner", merchant_a).await,
    );
    tokens.insert(
        CASH_A,
        token_for(&db, "0911000005", "merchant_cashier", merchant_a).await,
    );
    tokens.insert(
        MGR_B,
        token_for(&db, "0911000006", "market_manager", market_b).await,
    );
    tokens.insert(
        OWN_B,
        token_for(&db, "0911000007", "merchant_owner", merchant_b).await,
    );
    let owner_a_person = halong::auth::store::person_by_phone(&db, "0911000004")
        .await
        .unwrap()
        .unwrap()
        .id;
    let (_, req) = app
        .post_json(
            "/api/v1/payment-requests",
            &json!({"stall_id": sa["id"], "amount": 1000}),
        )
        .await;
    let request_a = req["id"].as_i64().expect("payment request for stall A");
    // Merchant A sells from a register and has issued one invoice.
    halong::invoices::store::taxpayer_pending(&db, merchant_a, 1, "AA", "M", false)
        .await
        .unwrap();
    halong::invoices::store::taxpayer_answered(&db, merchant_a, Some("ABCDE"), "")
        .await
        .unwrap();
    let (_, product) = app
        .post_json(
            &format!("/api/v1/merchants/{merchant_a}/products"),
            &json!({"name": "Rau", "unit": "bó", "unit_price": 10000}),
        )
        .await;
    let (_, register) = app
        .post_json(
            &format!("/api/v1/merchants/{merchant_a}/registers"),
            &json!({"kind": "stall", "label": "Quầy A-1", "stall_id": sa["id"]}),
        )
        .await;
    let register_a = register["id"].as_i64().expect("register A");
    let (_, sale) = app
        .post_json(
            &format!("/api/v1/registers/{register_a}/sales"),
            &json!({"client_key": "w1", "method": "cash", "lines": [{"product_id": product["id"], "quantity": 1}]}),
        )
        .await;
    // A card sale at stall A: the receipt the receipt routes act on.
    let receipt_a = halong::receipts::record_direct(
        &db,
        &halong::receipts::DirectReceipt {
            stall_id: sa["id"].as_i64(),
            merchant_id: None,
            amount: 50_000,
            method: halong::receipts::Method::Card,
            source: "cashier".into(),
            external_id: "access-1".into(),
            at: halong::db::now_micros(),
            description: "bán hàng".into(),
        },
    )
    .await
    .unwrap();
    // Market A's board bills its stalls; one bill is partly paid in cash.
    app.put_json(
        &format!("/api/v1/markets/{market_a}/fee-account"),
        &json!({"bank_bin": "970436", "account_number": "0451000777888", "holder_name": "BQL A"}),
    )
    .await;
    let (_, schedule) = app
        .post_json(
            &format!("/api/v1/markets/{market_a}/fee-schedules"),
            &json!({"kind": "rent", "amount": 300000}),
        )
        .await;
    app.post_json(
        &format!("/api/v1/markets/{market_a}/fee-bills/generate"),
        &json!({"period": "2026-11"}),
    )
    .await;
    let fee_bills = app
        .get_json(&format!("/api/v1/markets/{market_a}/fee-bills"))
        .await;
    let fee_bill_a = fee_bills[0]["id"].as_i64().expect("fee bill A");
    let (_, paid) = app
        .post_json(
            &format!("/api/v1/fee-bills/{fee_bill_a}/cash"),
            &json!({"amount": 1000, "idempotency_key": "w"}),
        )
        .await;
    World {
        fee_schedule_a: schedule["id"].as_i64().expect("fee schedule A"),
        fee_bill_a,
        fee_receipt_a: paid["payment"]["id"].as_i64().expect("fee receipt A"),
        register_a,
        sale_a: sale["sale"]["id"].as_i64().expect("sale A"),
        invoice_a: sale["invoice"]["id"].as_i64().expect("invoice A"),
        market_a,
        request_a,
        receipt_a,
        stall_a: sa["id"].as_i64().unwrap(),
        merchant_a,
        owner_a_person,
        tokens,
    }
}

/// The concrete path for a route template, on market A's objects; fresh objects where the
/// call would consume them (a token to revoke, an account to delete, a grant to revoke).
async fn concrete(app: &TestApp, w: &World, role: &str, path: &str) -> String {
    let db = app.running.as_ref().unwrap().state.db.clone();
    if path == "/sim/tax/messages/{id}/replies" {
        // A message the simulator has received, so that its replies exist.
        let header = einvoice::envelope::Header {
            version: "2.0.1".into(),
            sender: "0100233488".into(),
            receiver: "TCT".into(),
            id: einvoice::envelope::message_id("0100233488", [rand_suffix() as u8; 16]),
            tax_code: "0100233488".into(),
            ..Default::default()
        };
        let xml = einvoice::envelope::write_206(&header, "D", &[]);
        let ack = app
            .anonymous
            .post(app.url("/sim/tax/messages"))
            .header("content-type", "application/xml")
            .body(xml)
            .send()
            .await
            .unwrap();
        assert!(ack.status().is_success());
        return path.replace("{id}", &header.id);
    }
    let id = if path.starts_with("/api/v1/markets/") || path.starts_with("/markets/") {
        w.market_a
    } else if path.starts_with("/api/v1/stalls/") || path.starts_with("/stalls/") {
        w.stall_a
    } else if path.starts_with("/api/v1/merchants/") || path.starts_with("/merchants/") {
        w.merchant_a
    } else if path.starts_with("/api/v1/payment-requests/") {
        w.request_a
    } else if path.starts_with("/api/v1/registers/") || path.starts_with("/registers/") {
        w.register_a
    } else if path.starts_with("/api/v1/sales/") {
        w.sale_a
    } else if path.starts_with("/api/v1/invoices/") || path.starts_with("/invoices/") {
        w.invoice_a
    } else if path.starts_with("/api/v1/receipts/") {
        w.receipt_a
    } else if path.starts_with("/api/v1/fee-bills/") || path.starts_with("/fee-bills/") {
        w.fee_bill_a
    } else if path.starts_with("/api/v1/fee-schedules/") {
        w.fee_schedule_a
    } else if path.starts_with("/fee-receipts/") {
        w.fee_receipt_a
    } else if path.starts_with("/api/v1/organisations/") {
        1
    } else if path.starts_with("/api/v1/people/") {
        w.owner_a_person
    } else if path.starts_with("/api/v1/tokens/") {
        let person = match role {
            ANON => w.owner_a_person,
            _ => {
                let me = client_with_token(&w.tokens[role])
                    .get(app.url("/api/v1/me"))
                    .send()
                    .await
                    .unwrap();
                me.json::<serde_json::Value>().await.unwrap()["person"]["id"]
                    .as_i64()
                    .unwrap()
            }
        };
        halong::auth::store::create_token(&db, person, "to revoke", "read")
            .await
            .unwrap()
            .0
            .id
    } else {
        0
    };
    let mut p = path
        .replace("{id}", &id.to_string())
        .replace("{provider}", "payos");
    if p.contains("{account_id}") {
        let a = halong::register::BankAccountInput {
            bank_bin: "970415".into(),
            account_number: format!("9{}", rand_suffix()),
            holder_name: "X".into(),
            is_default: false,
        };
        let acc = halong::register::store::add_account(&db, w.merchant_a, &a)
            .await
            .unwrap();
        p = p.replace("{account_id}", &acc.id.to_string());
    }
    if p.contains("{grant_id}") {
        let g = halong::auth::store::grant(&db, w.owner_a_person, "citizen", 0, None)
            .await
            .unwrap();
        p = p.replace("{grant_id}", &g.id.to_string());
    }
    p
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn every_route_as_every_role() {
    let app = TestApp::spawn_with(true).await;
    let w = world(&app).await;
    let mut failures = Vec::new();
    let mut tried = 0;
    for (method, template, _) in halong::auth::RULES {
        let Some(allowed) = expected(method, template) else {
            failures.push(format!(
                "{method} {template}: the test has no expectation for this route"
            ));
            continue;
        };
        for role in ROLES {
            let client = match role {
                ANON => app.anonymous.clone(),
                r => client_with_token(&w.tokens[r]),
            };
            let path = concrete(&app, &w, role, template).await;
            let url = app.url(&path);
            // Bodies aim at market A where the route reads its target from the body.
            let body = match *template {
                "/api/v1/stalls" | "/api/v1/stalls/{id}" => {
                    json!({"market_id": w.market_a, "code": ""})
                }
                "/api/v1/payment-requests" => json!({"stall_id": w.stall_a, "amount": 0}),
                _ => json!({}),
            };
            let req = match *method {
                "GET" => client.get(&url),
                "PUT" => client.put(&url).json(&body),
                "DELETE" => client.delete(&url),
                _ if path.starts_with("/api/") || path.starts_with("/sim/") => {
                    client.post(&url).json(&body)
                }
                _ => client.post(&url).form(&[("x", "")]),
            };
            let status = req.send().await.unwrap().status().as_u16();
            tried += 1;
            // Provider webhooks carry their credentials in the body: an unsigned body is a
            // bad request there.
            let signed_route = template.starts_with("/api/v1/notifications/");
            let denied = matches!(status, 401 | 403 | 404) || (signed_route && status == 400);
            let should = allowed.contains(&role);
            if status >= 500 || denied == should {
                failures.push(format!(
                    "{method} {path} as {role}: {status} (allowed: {should})"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {tried} calls wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    app.stop().await;
}

#[tokio::test]
async fn lists_are_scoped_to_what_each_role_may_see() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let get = |role: &'static str, path: &'static str| {
        let client = client_with_token(&w.tokens[role]);
        let url = app.url(path);
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let codes = |v: serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["code"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(codes(get(ADMIN, "/api/v1/markets").await), ["A", "B"]);
    assert_eq!(codes(get(TAX, "/api/v1/markets").await), ["A", "B"]);
    assert_eq!(codes(get(MGR_A, "/api/v1/markets").await), ["A"]);
    assert_eq!(codes(get(OWN_B, "/api/v1/markets").await), ["B"]);
    assert_eq!(codes(get(CASH_A, "/api/v1/stalls").await), ["A-1"]);
    assert_eq!(codes(get(MGR_B, "/api/v1/stalls").await), ["B-1"]);
    let merchants = get(OWN_A, "/api/v1/merchants").await;
    assert_eq!(merchants["total"], 1);
    assert_eq!(merchants["items"][0]["id"], w.merchant_a);
    // A read-only token cannot write even where its person could.
    let db = app.running.as_ref().unwrap().state.db.clone();
    let admin = halong::auth::store::person_by_phone(&db, "0900000099")
        .await
        .unwrap()
        .unwrap();
    let (_, read) = halong::auth::store::create_token(&db, admin.id, "ro", "read")
        .await
        .unwrap();
    let r = client_with_token(&read)
        .post(app.url("/api/v1/markets"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Nobody revokes someone else's token; a revoked token stops working at once.
    let tokens: serde_json::Value = client_with_token(&read)
        .get(app.url("/api/v1/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ro = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ro")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let other = client_with_token(&w.tokens[MGR_A])
        .delete(app.url(&format!("/api/v1/tokens/{ro}")))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let own = app
        .client
        .delete(app.url(&format!("/api/v1/tokens/{ro}")))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 204);
    let r = client_with_token(&read)
        .get(app.url("/api/v1/markets"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.stop().await;
}
