//! Crash test: the real server, under a steady stream of bank notifications, is killed with
//! SIGKILL several times and restarted on the same database. Providers retry until they get a
//! 2xx; at the end every acknowledged notification is counted exactly once, every receipt reached
//! the ledger once, and every ledger balances.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use halong::sim_bank::{BankSim, Faults, Payment};

struct Server {
    child: tokio::process::Child,
}

async fn start(port: u16, database_url: &str, dir: &std::path::Path) -> Server {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_halong"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("HALONG_DATA_DIR", dir)
        .env("HALONG_PAYOS_CHECKSUM_KEY", common::PROVIDER_SECRET)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Server { child };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, pg) = common::fresh_database(dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    // A merchant with an account and a stall, so that receipts match and post to the ledger.
    let mut server = start(port, &database_url, dir.path()).await;
    let db = halong::db::Db::connect(&database_url).await.unwrap();
    let places = halong::places::Places::load().unwrap();
    let market = halong::register::validate::market(
        &halong::register::MarketInput {
            code: "K".into(),
            name: "Chợ K".into(),
            place_code: "06685".into(),
            business_points: 10,
            status: "active".into(),
            ..Default::default()
        },
        &places,
    )
    .unwrap();
    let market = halong::register::store::create_market(&db, &market, false)
        .await
        .unwrap();
    let merchant = halong::register::validate::merchant(
        &halong::register::MerchantInput {
            tax_code: "0100233488".into(),
            name: "Hộ K".into(),
            kind: "household".into(),
            owner_name: "Chủ".into(),
            place_code: "06685".into(),
            payment_methods: vec!["vietqr".into()],
            status: "active".into(),
            ..Default::default()
        },
        &places,
    )
    .unwrap();
    let merchant = halong::register::store::create_merchant(&db, &merchant, false)
        .await
        .unwrap();
    let account = halong::register::BankAccountInput {
        bank_bin: "970436".into(),
        account_number: "7777000011".into(),
        holder_name: "CHU".into(),
        is_default: true,
    };
    halong::register::store::add_account(&db, merchant.id, &account)
        .await
        .unwrap();
    let stall = halong::register::validate::stall(&halong::register::StallInput {
        market_id: market.id,
        code: "K-1".into(),
        status: "active".into(),
        merchant_id: Some(merchant.id),
        ..Default::default()
    })
    .unwrap();
    halong::register::store::create_stall(&db, &stall, false)
        .await
        .unwrap();

    let payments: Vec<Payment> = (0..600)
        .map(|i| Payment {
            provider_tx_id: (50_000 + i).to_string(),
            account: "7777000011".into(),
            amount: 1_000 + i,
            memo: "K-1".into(),
        })
        .collect();
    let sim = BankSim {
        target: format!("http://127.0.0.1:{port}"),
        provider: banknotify::Provider::Payos,
        secret: common::PROVIDER_SECRET.into(),
        faults: Faults::default(),
        seed: 1,
    };

    // Providers retry until acknowledged; a killer restarts the server with SIGKILL meanwhile.
    let done = Arc::new(AtomicBool::new(false));
    let sender = {
        let (sim, payments, done) = (sim.clone(), payments.clone(), done.clone());
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let acked: Vec<String> = futures_util::stream::iter(payments)
                .map(|p| {
                    let (sim, client) = (sim.clone(), client.clone());
                    async move {
                        for _ in 0..600 {
                            if let Ok(true) = sim.notify(&client, &p).await {
                                return p.provider_tx_id;
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        panic!("{} never acknowledged", p.provider_tx_id);
                    }
                })
                .buffer_unordered(16)
                .collect()
                .await;
            done.store(true, Ordering::SeqCst);
            acked
        })
    };
    let mut kills = 0;
    while kills < 4 && !done.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.child.start_kill().unwrap(); // SIGKILL
        server.child.wait().await.unwrap();
        kills += 1;
        server = start(port, &database_url, dir.path()).await;
    }
    let acked = sender.await.unwrap();
    assert!(
        kills >= 2,
        "the server was killed under load ({kills} times)"
    );
    assert_eq!(acked.iter().collect::<HashSet<_>>().len(), 600);

    // Exactly once: one receipt per provider transaction, the sum of exactly the amounts sent.
    let expected: i64 = payments.iter().map(|p| p.amount).sum();
    let (count, total): (i64, i64) = halong::with_db!(&db, p => sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM incoming_transfers")
        .fetch_one(p).await)
    .unwrap();
    assert_eq!((count, total), (600, expected));
    // The ledger got each receipt once (the posting task catches up after the restarts).
    let mut credited = 0;
    for _ in 0..200 {
        credited = halong::with_db!(&db, p => sqlx::query_scalar::<_, i64>(
            "SELECT CAST(COALESCE(SUM(credits_posted), 0) AS BIGINT) FROM ledger_accounts WHERE code = 2100")
            .fetch_one(p).await).unwrap();
        if credited == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(credited, expected, "ledger credits equal the receipts");
    let report = halong::payments::ledger_store::check_invariants(&db)
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    server.child.start_kill().unwrap();
    server.child.wait().await.unwrap();
    db.close().await;
    if let Some((admin, name)) = pg {
        common::drop_database(&admin, &name).await;
    }
}
