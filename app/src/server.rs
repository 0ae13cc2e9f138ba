//! The HTTP server: state, router, start-up and graceful shutdown.
//!
//! The server keeps no state of its own besides caches of reference data: everything lives in
//! the database, so several servers can share one PostgreSQL database.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::places::Places;
use crate::sms::{HttpSms, SimState, SmsError, SmsSender};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub places: Arc<Places>,
    pub metrics: Arc<Metrics>,
    pub openapi: Arc<String>,
    pub demo: bool,
    pub sms: Arc<dyn SmsSender>,
    /// The SMS simulator mounted at `/sim/sms` in demo mode without a real gateway.
    pub sms_sim: Option<SimState>,
    /// The tax authority (TCT/T-VAN) for MTT e-invoices.
    pub tax: Arc<dyn crate::tax::TaxAuthority>,
    /// The tax-authority simulator mounted at `/sim/tax` in demo mode without a real one.
    pub tax_sim: Option<crate::tax::sim::SimState>,
    pub secure_cookies: bool,
    /// Trusted country-signing CA certificates (DER) for chip passive authentication.
    pub csca_certs: Arc<Vec<Vec<u8>>>,
    /// Secrets of the bank-notification providers.
    pub provider_secrets: Arc<crate::receipts::ProviderSecrets>,
    /// Turns true when the server begins to shut down: long-lived responses (event streams)
    /// end so that the graceful shutdown can finish.
    pub shutting_down: tokio::sync::watch::Receiver<bool>,
    shutdown_tx: Arc<tokio::sync::watch::Sender<bool>>,
    /// Nudges the task that posts receipts to the ledger.
    pub post_receipts: tokio::sync::mpsc::Sender<()>,
    /// Signs e-invoices; `None` when no key is configured (outside demo mode).
    pub invoice_signer: Option<crate::invoices::Signer>,
    /// Stores bank notifications with group commit.
    pub receipt_writer: crate::receipts::writer::ReceiptWriter,
    /// The other end, taken by the server when it starts the posting task (commands that only
    /// use the database do not start it).
    post_receipts_rx: Arc<std::sync::Mutex<Option<tokio::sync::mpsc::Receiver<()>>>>,
}

impl AppState {
    /// Tells long-lived responses to end.
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
    }
}

/// Used when no SMS gateway is configured outside demo mode: sign-in by code is unavailable.
struct NoSms;

impl SmsSender for NoSms {
    fn send<'a>(&'a self, _: &'a str, _: &'a str) -> crate::sms::SendFuture<'a> {
        Box::pin(async {
            Err(SmsError::Transport(
                "no SMS gateway configured (HALONG_SMS_URL)".into(),
            ))
        })
    }
}

/// Opens and migrates the database, seeds reference data (and the demo province if asked).
/// `public_addr` is where this server answers, for the embedded SMS simulator.
pub async fn prepare(config: &Config) -> anyhow::Result<AppState> {
    prepare_at(config, config.listen).await
}

pub async fn prepare_at(config: &Config, public_addr: SocketAddr) -> anyhow::Result<AppState> {
    config.prepare_dirs()?;
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let places = Places::load()?;
    places.seed(&db).await?;
    if config.demo {
        crate::demo::seed(&db, &places).await?;
        crate::fees::demo::seed(&db).await?;
        crate::indicators::demo::seed_receipts(&db).await?;
    }
    let invoice_signer = crate::invoices::load_signer(
        config.einvoice.key.as_deref(),
        config.einvoice.cert.as_deref(),
        config.demo,
    )?;
    if config.demo
        && let Some(signer) = &invoice_signer
    {
        crate::invoices::demo::seed(&db, &places, signer).await?;
    }
    let (_, api) = crate::api::router();
    let (shutdown_tx, shutting_down) = tokio::sync::watch::channel(false);
    let (post_receipts, wake) = tokio::sync::mpsc::channel(1);
    let receipt_writer = crate::receipts::writer::ReceiptWriter::start(db.clone());
    let s = &config.sms;
    let (sms, sms_sim): (Arc<dyn SmsSender>, _) = match (&s.url, config.demo) {
        (Some(url), _) => (
            Arc::new(HttpSms::new(url, &s.api_key, &s.secret, &s.brandname)),
            None,
        ),
        (None, true) => {
            let url = format!("http://{public_addr}/sim/sms");
            (
                Arc::new(HttpSms::new(&url, "demo", "demo", &s.brandname)),
                Some(SimState::default()),
            )
        }
        (None, false) => (Arc::new(NoSms), None),
    };
    let (tax, tax_sim): (Arc<dyn crate::tax::TaxAuthority>, _) =
        match (&config.tax_url, config.demo) {
            (Some(url), _) => (Arc::new(crate::tax::HttpTax::new(url)), None),
            (None, true) => (
                Arc::new(crate::tax::HttpTax::new(&format!(
                    "http://{public_addr}/sim/tax"
                ))),
                Some(crate::tax::sim::SimState::default()),
            ),
            (None, false) => (Arc::new(crate::tax::NoTax), None),
        };
    Ok(AppState {
        db,
        places: Arc::new(places),
        metrics: Arc::new(Metrics::default()),
        openapi: Arc::new(api.to_pretty_json()?),
        demo: config.demo,
        sms,
        sms_sim,
        tax,
        tax_sim,
        secure_cookies: config.secure_cookies,
        csca_certs: Arc::new(crate::config::read_certificates(&config.csca_certs)?),
        provider_secrets: Arc::new(config.providers.clone()),
        shutting_down,
        shutdown_tx: Arc::new(shutdown_tx),
        post_receipts,
        receipt_writer,
        invoice_signer,
        post_receipts_rx: Arc::new(std::sync::Mutex::new(Some(wake))),
    })
}

pub fn router(state: AppState) -> Router {
    let (api, _) = crate::api::router();
    let request_id = HeaderName::from_static("x-request-id");
    let mut app = Router::new()
        .merge(api)
        .merge(crate::web::router())
        .route("/api/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics));
    if let Some(sim) = &state.sms_sim {
        app = app.nest("/sim/sms", crate::sms::sim_router(sim.clone()));
    }
    if let Some(sim) = &state.tax_sim {
        app = app.nest("/sim/tax", crate::tax::sim::sim_router(sim.clone()));
    }
    // Inner to outer: audit sees the caller that `enforce` identified; metrics see all.
    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        crate::auth::audit_writes,
    ))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        crate::auth::enforce,
    ))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        crate::metrics::track,
    ))
    .layer(TraceLayer::new_for_http())
    .layer(PropagateRequestIdLayer::new(request_id.clone()))
    .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
    .with_state(state)
}

async fn openapi(State(st): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        st.openapi.as_str().to_owned(),
    )
}

async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    if st.db.ping().await {
        (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok"})),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "database unavailable"})),
        )
    }
}

async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    let (size, idle) = st.db.pool_stats();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(size, idle),
    )
}

/// A running server: its address and a way to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting connections, lets in-flight requests finish, closes the pool.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.state.begin_shutdown();
        let _ = self.shutdown.send(());
        self.task.await??;
        self.state.db.close().await;
        Ok(())
    }
}

/// Binds and serves in the background (port 0 picks a free port: used by the tests).
pub async fn start(config: &Config) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let state = prepare_at(config, addr).await?;
    // One ledger writer per process; its batches are serialised across servers in the database.
    let wake = state.post_receipts_rx.lock().expect("lock").take();
    if let Some(wake) = wake {
        let store =
            crate::payments::ledger_store::LedgerStore::start(state.db.clone(), Default::default());
        crate::receipts::posting::spawn_sweeper(
            state.db.clone(),
            store,
            wake,
            state.shutting_down.clone(),
        );
    }
    // The embedded demo authority starts knowing what the database says it accepted.
    if let Some(sim) = &state.tax_sim {
        crate::invoices::sender::restore_sim(&state.db, sim, state.invoice_signer.as_deref())
            .await?;
    }
    // Sends invoices and registrations to the tax authority; safe beside other servers' senders.
    crate::invoices::sender::spawn(state.clone(), std::time::Duration::from_secs(2));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await
    });
    Ok(Running {
        addr,
        state,
        shutdown: tx,
        task,
    })
}

/// `halong serve`: runs until SIGINT or SIGTERM, then drains in-flight requests.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let running = start(&config).await?;
    tracing::info!(addr = %running.addr, engine = ?running.state.db.engine(), demo = config.demo, "listening");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    running.stop().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
