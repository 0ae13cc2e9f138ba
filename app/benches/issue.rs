//! Load command: cash-register invoices issued and signed per second through the platform —
//! sale recorded, yearly number taken, invoice built, validated, written, signed (RSA-2048,
//! XML-DSig) and stored in one transaction — by 4 registers of one seller at once (the worst
//! case: they queue on the seller's number row).
//!
//! ```text
//! cargo bench -p halong --bench issue
//! HALONG_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p halong --bench issue
//! ```
//!
//! `HALONG_BENCH_INVOICES` (default 4,000) sets the invoices per run.

use std::time::Instant;

use halong::db::Db;
use halong::invoices::store::{self, NewProduct, NewRegister, NewSale};
use halong::invoices::{CartLine, issue};

async fn open() -> (Db, Option<(String, String)>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (url, drop) = match std::env::var("HALONG_BENCH_PG") {
        Ok(admin) => {
            use sqlx::Executor;
            let name = format!("halong_bench_issue_{}", std::process::id());
            let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap();
            c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), Some((admin.clone(), name)))
        }
        Err(_) => (format!("sqlite://{}/bench.db", dir.path().display()), None),
    };
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    (db, drop, dir)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let n: usize = std::env::var("HALONG_BENCH_INVOICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_000);
    let (db, drop, _dir) = open().await;
    let places = halong::places::Places::load().unwrap();
    places.seed(&db).await.unwrap();
    let input = halong::register::MerchantInput {
        tax_code: "0106324653".into(),
        name: "Hộ kinh doanh Bà Lan".into(),
        kind: "household".into(),
        owner_name: "Nguyễn Thị Lan".into(),
        phone: None,
        address: "Chợ Hạ Long I, Quảng Ninh".into(),
        place_code: places.communes().next().unwrap().code.clone(),
        payment_methods: vec!["cash".into()],
        status: "active".into(),
    };
    let row = halong::register::validate::merchant(&input, &places).unwrap();
    let m = halong::register::store::create_merchant(&db, &row, false)
        .await
        .unwrap();
    store::taxpayer_pending(&db, m.id, 1, "HL", "B", false)
        .await
        .unwrap();
    store::taxpayer_answered(&db, m.id, Some("AB12C"), "")
        .await
        .unwrap();
    let p = store::create_product(
        &db,
        &NewProduct {
            merchant_id: m.id,
            name: "Chả mực Hạ Long",
            unit: "kg",
            unit_price: 380_000,
            vat_rate: "8%",
            is_fuel: false,
            is_demo: false,
        },
    )
    .await
    .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo-einvoice");
    let signer = std::sync::Arc::new(
        einvoice::SigningKey::from_pkcs8_der(
            &std::fs::read(dir.join("seller.key.pk8.der")).unwrap(),
            &std::fs::read(dir.join("seller.cert.der")).unwrap(),
        )
        .unwrap(),
    );
    let cart = serde_json::to_string(&vec![CartLine {
        product_id: p.id,
        name: p.name.clone(),
        unit: p.unit.clone(),
        quantity_milli: 1500,
        unit_price: p.unit_price,
        vat_rate: p.vat_rate.clone(),
    }])
    .unwrap();
    let registers = 4;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for r in 0..registers {
        let reg = store::create_register(
            &db,
            &NewRegister {
                merchant_id: m.id,
                stall_id: None,
                kind: "counter",
                label: &format!("Máy {r}"),
                fuel_product_id: None,
                is_demo: false,
            },
        )
        .await
        .unwrap();
        let (db, signer, cart) = (db.clone(), signer.clone(), cart.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..n / registers {
                issue::sell(
                    &db,
                    Some(&signer),
                    &NewSale {
                        register_id: reg.id,
                        merchant_id: reg.merchant_id,
                        client_key: &format!("b{i}"),
                        cart: &cart,
                        total: 615_600,
                        method: "cash",
                        buyer: None,
                        payment_request_id: None,
                        replaces: None,
                        status: "paid",
                        created_by: None,
                    },
                    false,
                )
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let issued = (n / registers) * registers;
    println!(
        "issue ({}): {issued} invoices by {registers} registers of one seller in {secs:.2} s = {:.0} invoices/s",
        db_name(&db),
        issued as f64 / secs
    );
    db.close().await;
    if let Some((admin, name)) = drop {
        use sqlx::Executor;
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .unwrap();
        let _ = c
            .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
            .await;
    }
}

fn db_name(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "SQLite",
        Db::Pg(_) => "PostgreSQL",
    }
}
