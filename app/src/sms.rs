//! SMS: a sender trait, a client for an eSMS-style HTTP gateway (JSON `SendMultipleMessage_V4`
//! protocol used by Vietnamese brand-name SMS providers), and `halong sim sms`, a local gateway
//! speaking the same protocol that keeps what it was asked to send and lists it on a page.
//! Business code only sees [`SmsSender`]; it never knows whether a simulator answers.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::html;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("SMS gateway unreachable: {0}")]
    Transport(String),
    #[error("SMS gateway refused the message: code {code}, {message}")]
    Refused { code: String, message: String },
}

/// Boxed so that the sender can live behind `Arc<dyn SmsSender>` in the app state.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SmsError>> + Send + 'a>>;

pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, phone: &'a str, text: &'a str) -> SendFuture<'a>;
}

/// Request body of the gateway's `SendMultipleMessage_V4_post_json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GatewayRequest {
    #[serde(rename = "ApiKey")]
    pub api_key: String,
    #[serde(rename = "SecretKey")]
    pub secret_key: String,
    #[serde(rename = "Phone")]
    pub phone: String,
    #[serde(rename = "Content")]
    pub content: String,
    #[serde(rename = "Brandname")]
    pub brandname: String,
    /// 2 = customer care (OTP) brand-name message.
    #[serde(rename = "SmsType")]
    pub sms_type: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GatewayResponse {
    /// "100" means accepted.
    #[serde(rename = "CodeResult")]
    pub code_result: String,
    #[serde(rename = "SMSID", default)]
    pub sms_id: Option<String>,
    #[serde(rename = "ErrorMessage", default)]
    pub error_message: Option<String>,
}

pub const GATEWAY_PATH: &str = "/MainService.svc/json/SendMultipleMessage_V4_post_json/";

#[derive(Clone, Debug)]
pub struct HttpSms {
    pub base_url: String,
    pub api_key: String,
    pub secret_key: String,
    pub brandname: String,
    client: reqwest::Client,
}

impl HttpSms {
    pub fn new(base_url: &str, api_key: &str, secret_key: &str, brandname: &str) -> HttpSms {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .expect("HTTP client");
        HttpSms {
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.into(),
            secret_key: secret_key.into(),
            brandname: brandname.into(),
            client,
        }
    }
}

impl SmsSender for HttpSms {
    fn send<'a>(&'a self, phone: &'a str, text: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            let body = GatewayRequest {
                api_key: self.api_key.clone(),
                secret_key: self.secret_key.clone(),
                phone: phone.into(),
                content: text.into(),
                brandname: self.brandname.clone(),
                sms_type: "2".into(),
            };
            let resp = self
                .client
                .post(format!("{}{GATEWAY_PATH}", self.base_url))
                .json(&body)
                .send()
                .await
                .map_err(|e| SmsError::Transport(e.to_string()))?;
            let r: GatewayResponse = resp
                .json()
                .await
                .map_err(|e| SmsError::Transport(e.to_string()))?;
            if r.code_result == "100" {
                Ok(())
            } else {
                Err(SmsError::Refused {
                    code: r.code_result,
                    message: r.error_message.unwrap_or_default(),
                })
            }
        })
    }
}

// ---- the simulator ----

#[derive(Debug, Clone, Serialize)]
pub struct SentSms {
    pub id: u64,
    pub phone: String,
    pub content: String,
    pub brandname: String,
    pub at_unix_ms: i64,
}

/// The simulated gateway's memory (it is a test double: nothing survives a restart).
#[derive(Clone, Default)]
pub struct SimState {
    sent: Arc<Mutex<Vec<SentSms>>>,
}

impl SimState {
    pub fn sent(&self) -> Vec<SentSms> {
        self.sent.lock().expect("sim lock").clone()
    }

    /// The newest message to `phone` (tests and the demo read codes from here).
    pub fn last_to(&self, phone: &str) -> Option<SentSms> {
        self.sent().into_iter().rev().find(|m| m.phone == phone)
    }
}

pub fn sim_router<S: Clone + Send + Sync + 'static>(state: SimState) -> Router<S> {
    Router::new()
        .route(GATEWAY_PATH, post(sim_send))
        .route("/", get(sim_page))
        .route("/messages.json", get(sim_json))
        .with_state(state)
}

async fn sim_send(
    State(st): State<SimState>,
    Json(req): Json<GatewayRequest>,
) -> Json<GatewayResponse> {
    let valid_phone = req.phone.len() >= 10 && req.phone.chars().all(|c| c.is_ascii_digit());
    if !valid_phone || req.content.is_empty() || req.api_key.is_empty() {
        return Json(GatewayResponse {
            code_result: "99".into(),
            sms_id: None,
            error_message: Some("invalid request".into()),
        });
    }
    let mut sent = st.sent.lock().expect("sim lock");
    let id = sent.len() as u64 + 1;
    sent.push(SentSms {
        id,
        phone: req.phone,
        content: req.content,
        brandname: req.brandname,
        at_unix_ms: crate::db::now_micros() / 1000,
    });
    Json(GatewayResponse {
        code_result: "100".into(),
        sms_id: Some(id.to_string()),
        error_message: None,
    })
}

async fn sim_json(State(st): State<SimState>) -> impl IntoResponse {
    Json(st.sent())
}

async fn sim_page(State(st): State<SimState>) -> impl IntoResponse {
    let sent = st.sent();
    html! {
        (maud::DOCTYPE)
        html lang="vi" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1"; title { "Cổng SMS mô phỏng" } }
            body style="font-family: system-ui, sans-serif; margin: 1rem" {
                h1 { "Cổng SMS mô phỏng (halong sim sms)" }
                p { "Tin nhắn đã gửi, mới nhất trước. Đây là bộ mô phỏng, không gửi SMS thật." }
                table border="1" cellpadding="6" style="border-collapse: collapse" {
                    tr { th { "#" } th { "Số điện thoại" } th { "Nội dung" } }
                    @for m in sent.iter().rev() {
                        tr { td { (m.id) } td { (m.phone) } td { (m.content) } }
                    }
                }
            }
        }
    }
}

/// `halong sim sms --listen ADDR`: runs the simulated gateway until interrupted.
pub async fn run_sim(listen: std::net::SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(addr = %listener.local_addr()?, "SMS gateway simulator listening");
    axum::serve(listener, sim_router::<()>(SimState::default()))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
