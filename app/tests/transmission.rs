//! Registration and transmission end to end: the app registers a seller (100 → 103) with the
//! simulated tax authority over HTTP, issues invoices, and its sender batches them into signed
//! 206 messages, retries through outages, handles refusals, and raises the overdue alarm.

mod common;

use std::time::Duration;

use common::{TestApp, client_with_token, token_for};
use halong::config::Config;
use halong::tax::sim::{SimState, sim_router};
use serde_json::{Value, json};

struct World {
    app: TestApp,
    sim: SimState,
    owner: reqwest::Client,
    merchant: i64,
    register: i64,
    product: i64,
}

async fn world() -> World {
    let sim = SimState::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim_addr = listener.local_addr().unwrap();
    let router = sim_router::<()>(sim.clone());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let (database_url, pg_admin) = common::fresh_database(dir.path()).await;
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        database_url,
        providers: common::provider_secrets(),
        einvoice: common::test_signer(),
        tax_url: Some(format!("http://{sim_addr}")),
        ..Config::default()
    };
    let running = halong::server::start(&config).await.unwrap();
    let app = TestApp::attach(running, dir, pg_admin).await;
    let (_, r) = app.post_json("/api/v1/merchants", &json!({"tax_code": "0100233488", "name": "Hộ kinh doanh Bà Lan", "owner_name": "Nguyễn Thị Lan", "address": "Ki-ốt 12, chợ Hạ Long I, Quảng Ninh", "place_code": "06685", "payment_methods": ["cash"]})).await;
    let merchant = r["id"].as_i64().unwrap();
    let db = app.running.as_ref().unwrap().state.db.clone();
    let owner = client_with_token(&token_for(&db, "0911222333", "merchant_owner", merchant).await);
    let (_, p) = app.post_json(&format!("/api/v1/merchants/{merchant}/products"), &json!({"name": "Bánh cuốn chả mực", "unit": "suất", "unit_price": 40_000, "vat_rate": "8%"})).await;
    let (_, reg) = app
        .post_json(
            &format!("/api/v1/merchants/{merchant}/registers"),
            &json!({"kind": "counter", "label": "Quầy 1"}),
        )
        .await;
    World {
        app,
        sim,
        owner,
        merchant,
        register: reg["id"].as_i64().unwrap(),
        product: p["id"].as_i64().unwrap(),
    }
}

impl World {
    fn state(&self) -> &halong::server::AppState {
        &self.app.running.as_ref().unwrap().state
    }

    /// Runs sender rounds until `done` holds (the background sender runs too; both are safe).
    async fn until<F: AsyncFn() -> bool>(&self, done: F) {
        // Up to 30 s: retries after outages back off 2 s, 4 s, …
        for _ in 0..300 {
            halong::invoices::sender::run_once(self.state())
                .await
                .unwrap();
            if done().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let db = &self.state().db;
        let msgs: Vec<(String, String, String, String)> = match db {
            halong::db::Db::Sqlite(p) => {
                sqlx::query_as("SELECT kind, status, last_error, reasons FROM tax_messages")
                    .fetch_all(p)
                    .await
                    .unwrap()
            }
            halong::db::Db::Pg(p) => {
                sqlx::query_as("SELECT kind, status, last_error, reasons FROM tax_messages")
                    .fetch_all(p)
                    .await
                    .unwrap()
            }
        };
        panic!(
            "condition not reached; messages: {msgs:?}; sim: {:?}",
            self.sim.received()
        );
    }

    async fn taxpayer(&self) -> Value {
        let r = self
            .owner
            .get(
                self.app
                    .url(&format!("/api/v1/merchants/{}/einvoice", self.merchant)),
            )
            .send()
            .await
            .unwrap();
        r.json().await.unwrap_or(Value::Null)
    }

    async fn register_seller(&self) {
        let r = self
            .owner
            .post(self.app.url(&format!(
                "/api/v1/merchants/{}/einvoice/registration",
                self.merchant
            )))
            .json(&json!({"form": 1, "symbol_suffix": "hl"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        self.until(async || self.taxpayer().await["status"] == "registered")
            .await;
    }

    async fn sell(&self, key: &str) -> Value {
        let r = self
            .owner
            .post(self.app.url(&format!("/api/v1/registers/{}/sales", self.register)))
            .json(&json!({"client_key": key, "method": "cash", "lines": [{"product_id": self.product, "quantity": 2}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["invoice"].clone()
    }

    async fn tax_statuses(&self) -> Vec<(i64, String)> {
        let r: Value = self
            .owner
            .get(self.app.url("/api/v1/invoices?per_page=200"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut v: Vec<(i64, String)> = r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["number"].as_i64().unwrap(),
                    i["tax_status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    }
}

async fn exec(db: &halong::db::Db, sql: &str) {
    match db {
        halong::db::Db::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(p)
            .await
            .map(|_| ())
            .unwrap(),
        halong::db::Db::Pg(p) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(p)
            .await
            .map(|_| ())
            .unwrap(),
    }
}

#[tokio::test]
async fn registration_then_invoices_accepted_through_outages() {
    let w = world().await;
    // The authority is down for the first two attempts: the registration is retried.
    w.sim.set_fail_first(2);
    w.register_seller().await;
    let t = w.taxpayer().await;
    let code = t["mtt_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 5);
    assert_eq!(w.sim.code_of("0100233488").as_deref(), Some(code.as_str()));
    // A repeated registration changes nothing.
    let again = w
        .owner
        .post(w.app.url(&format!(
            "/api/v1/merchants/{}/einvoice/registration",
            w.merchant
        )))
        .json(&json!({"form": 1, "symbol_suffix": "HL"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);

    let first = w.sell("s1").await;
    assert!(
        first["code"]
            .as_str()
            .unwrap()
            .contains(&format!("-{code}-00000000001"))
    );
    w.sell("s2").await;
    w.sell("s3").await;
    w.sim.set_fail_first(1);
    w.until(async || w.tax_statuses().await.iter().all(|(_, s)| s == "accepted"))
        .await;
    let received = w.sim.received();
    assert!(received.iter().any(|m| m.kind == 206));
    // Later invoices go in a new message and continue the numbering.
    w.sell("s4").await;
    w.until(async || {
        w.tax_statuses().await.len() == 4
            && w.tax_statuses().await.iter().all(|(_, s)| s == "accepted")
    })
    .await;
    assert!(
        halong::invoices::sender::overdue(&w.state().db, halong::db::now_micros())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_refused_invoice_is_marked_and_the_rest_resent() {
    let w = world().await;
    w.register_seller().await;
    for k in ["a", "b", "c"] {
        w.sell(k).await;
    }
    // Invoice 2 is held back (as if lost): the package 1, 3 has a gap, so the authority refuses
    // invoice 3; invoice 1 is sent again on its own and accepted.
    let db = w.state().db.clone();
    exec(
        &db,
        "UPDATE invoices SET tax_status = 'sent' WHERE number = 2",
    )
    .await;
    w.until(async || {
        let s = w.tax_statuses().await;
        s[0].1 == "accepted" && s[2].1 == "refused"
    })
    .await;
    let r: Value = w
        .owner
        .get(w.app.url("/api/v1/invoices?tax_status=refused"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["total"], 1);
    assert!(!r["items"][0]["tax_reasons"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn overdue_invoices_raise_the_alarm() {
    let w = world().await;
    w.register_seller().await;
    w.sell("x").await;
    let db = w.state().db.clone();
    // Issued two days ago and never accepted (the authority refused the message).
    exec(
        &db,
        "UPDATE invoices SET issued_at = issued_at - 172800000000, tax_status = 'refused'",
    )
    .await;
    let o = halong::invoices::sender::overdue(&db, halong::db::now_micros())
        .await
        .unwrap();
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].count, 1);
    assert_eq!(o[0].merchant_id, w.merchant);
}

#[tokio::test]
async fn correction_by_replacement_sends_notice_303() {
    let w = world().await;
    w.register_seller().await;
    let old = w.sell("wrong").await;
    w.until(async || w.tax_statuses().await.iter().all(|(_, s)| s == "accepted"))
        .await;
    let path = format!("/api/v1/invoices/{}/replacement", old["id"]);
    let body = json!({"client_key": "fix-1", "reason": "Ghi sai số lượng", "lines": [{"product_id": w.product, "quantity": 3}]});
    let r = w
        .owner
        .post(w.app.url(&path))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let new: Value = r.json().await.unwrap();
    assert_eq!(new["invoice"]["replaces_id"], old["id"]);
    assert_eq!(new["invoice"]["number"], 2);
    assert_eq!(new["invoice"]["total"], 129_600);
    let again = w
        .owner
        .post(w.app.url(&path))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "a retry returns the same replacement");
    let twice = w.owner.post(w.app.url(&path)).json(&json!({"client_key": "fix-2", "reason": "x", "lines": [{"product_id": w.product, "quantity": 1}]})).send().await.unwrap();
    assert_eq!(twice.status(), 409, "an invoice is replaced once");
    let old_now: Value = w
        .owner
        .get(w.app.url(&format!("/api/v1/invoices/{}", old["id"])))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(old_now["status"], "replaced");
    // The new invoice names the old one in TTHDLQuan.
    let xml = w
        .owner
        .get(
            w.app
                .url(&format!("/api/v1/invoices/{}/xml", new["invoice"]["id"])),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let parsed = einvoice::read_invoice(&xml).unwrap();
    let rel = parsed.related.unwrap();
    assert_eq!((rel.relation, rel.number.as_str()), (1, "1"));
    w.until(async || {
        w.sim.received().iter().any(|m| m.kind == 303)
            && w.tax_statuses().await.iter().all(|(_, s)| s == "accepted")
    })
    .await;
    let notices: Vec<_> = w
        .sim
        .received()
        .into_iter()
        .filter(|m| m.kind == 303)
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(!notices[0].verdict.contains("Từ chối"), "{notices:?}");
}
