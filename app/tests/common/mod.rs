//! Test harness: the real app on a random port, on a fresh database — a new SQLite file, or,
//! when `HALONG_TEST_DATABASE_URL` is a `postgres://` URL, a new PostgreSQL database created
//! for the test and dropped after it.

#![allow(dead_code)]

use std::net::SocketAddr;

use halong::config::Config;
use halong::server::Running;

pub struct TestApp {
    pub addr: SocketAddr,
    /// Acts as a province administrator (bearer API token).
    pub client: reqwest::Client,
    /// Without credentials.
    pub anonymous: reqwest::Client,
    pub admin_token: String,
    pub running: Option<Running>,
    pub database_url: String,
    pg_admin: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

pub fn unique_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "halong_test_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, empty database URL (and the admin URL + name to drop it afterwards, for PG).
pub async fn fresh_database(dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match std::env::var("HALONG_TEST_DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            use sqlx::Executor;
            let name = unique_name();
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap();
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), Some((admin.clone(), name)))
        }
        _ => (format!("sqlite://{}/halong.db", dir.display()), None),
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(false).await
    }

    pub async fn spawn_with(demo: bool) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, pg_admin) = fresh_database(dir.path()).await;
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_path_buf(),
            database_url: database_url.clone(),
            demo,
            providers: provider_secrets(),
            einvoice: test_signer(),
            ..Config::default()
        };
        let running = halong::server::start(&config).await.unwrap();
        let admin_token = token_for(&running.state.db, "0900000099", "admin", 0).await;
        let client = client_with_token(&admin_token);
        let anonymous = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            addr: running.addr,
            client,
            anonymous,
            admin_token,
            running: Some(running),
            database_url,
            pg_admin,
            _dir: dir,
        }
    }

    /// Wraps a server started with a custom configuration.
    pub async fn attach(
        running: Running,
        dir: tempfile::TempDir,
        pg_admin: Option<(String, String)>,
    ) -> TestApp {
        let admin_token = token_for(&running.state.db, "0900000099", "admin", 0).await;
        TestApp {
            addr: running.addr,
            client: client_with_token(&admin_token),
            anonymous: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            admin_token,
            database_url: String::new(),
            running: Some(running),
            pg_admin,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let r = self.get(path).await;
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn put_json(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let r = self
            .client
            .put(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn import(&self, kind: &str, csv: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(self.url(&format!("/api/v1/imports?kind={kind}")))
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    pub async fn total(&self, path: &str) -> i64 {
        self.get_json(path).await["total"].as_i64().unwrap()
    }

    /// Stops the server and drops the PostgreSQL test database.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
        if let Some((admin, name)) = self.pg_admin.take() {
            drop_database(&admin, &name).await;
        }
    }
}

pub async fn drop_database(admin: &str, name: &str) {
    use sqlx::Executor;
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin)
        .await
        .unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .await
    .unwrap();
}

/// A person with one role (scope: a market or merchant id, else 0) and a write API token.
pub async fn token_for(db: &halong::db::Db, phone: &str, role: &str, scope: i64) -> String {
    use halong::auth::store;
    let p = store::ensure_person(db, "Người thử", phone, false)
        .await
        .unwrap();
    store::grant(db, p.id, role, scope, None).await.unwrap();
    store::create_token(db, p.id, "test", "write")
        .await
        .unwrap()
        .1
}

pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// The bank-notification secret every test app is configured with.
pub const PROVIDER_SECRET: &str = "test-provider-secret-0123456789";

/// The TEST e-invoice key bundled for the demo.
pub fn test_signer() -> halong::config::EinvoiceArgs {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo-einvoice");
    halong::config::EinvoiceArgs {
        key: Some(dir.join("seller.key.pk8.der")),
        cert: Some(dir.join("seller.cert.der")),
    }
}

pub fn provider_secrets() -> halong::receipts::ProviderSecrets {
    let s = Some(PROVIDER_SECRET.to_string());
    halong::receipts::ProviderSecrets {
        payos: s.clone(),
        casso: s.clone(),
        sepay: s.clone(),
        vietqr: s,
    }
}
