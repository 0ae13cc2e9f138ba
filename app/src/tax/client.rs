//! [`HttpTax`]: the client of the tax-authority protocol described in docs/tax.md.
//!
//! - `POST {base}/messages`, `Content-Type: application/xml`, body one `TDiep` → 200 with the
//!   999 `TDiep`.
//! - `GET {base}/messages/{MTDiep}/replies` → 200 with `<DSTDiep>` holding the replies that
//!   refer to that message (empty while none); 404 for a message never received.
//!
//! 5xx, 429, timeouts and connection errors are [`TaxError::Unavailable`] (retry later); other
//! 4xx are [`TaxError::Refused`].

use std::time::Duration;

use einvoice::envelope::{TechnicalAck, read_999};

use super::{TaxAuthority, TaxError, TaxFuture, TaxReply, split_replies};

#[derive(Clone, Debug)]
pub struct HttpTax {
    pub base_url: String,
    client: reqwest::Client,
}

/// Beyond this a request counts as unanswered; the sender retries it later (the simulator
/// answers a repeated message id with the same 999, so a retry is safe).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

impl HttpTax {
    pub fn new(base_url: &str) -> HttpTax {
        HttpTax::with_timeout(base_url, REQUEST_TIMEOUT)
    }

    pub fn with_timeout(base_url: &str, timeout: Duration) -> HttpTax {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .build()
            .expect("HTTP client");
        HttpTax {
            base_url: base_url.trim_end_matches('/').to_string(),
            client,
        }
    }

    async fn body(resp: reqwest::Response) -> Result<String, TaxError> {
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| TaxError::Unavailable(e.to_string()))?;
        if status.is_success() {
            return Ok(text);
        }
        let msg = format!(
            "HTTP {}: {}",
            status.as_u16(),
            text.chars().take(300).collect::<String>()
        );
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(TaxError::Unavailable(msg))
        } else {
            Err(TaxError::Refused(msg))
        }
    }
}

fn transport(e: reqwest::Error) -> TaxError {
    TaxError::Unavailable(e.to_string())
}

impl TaxAuthority for HttpTax {
    fn submit<'a>(&'a self, tdiep_xml: &'a str) -> TaxFuture<'a, TechnicalAck> {
        Box::pin(async move {
            let resp = self
                .client
                .post(format!("{}/messages", self.base_url))
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/xml; charset=utf-8",
                )
                .body(tdiep_xml.to_owned())
                .send()
                .await
                .map_err(transport)?;
            let body = HttpTax::body(resp).await?;
            read_999(&body).map_err(|e| TaxError::BadReply(format!("999: {e}")))
        })
    }

    fn replies<'a>(&'a self, message_id: &'a str) -> TaxFuture<'a, Vec<TaxReply>> {
        Box::pin(async move {
            // Message ids are a sender code (an MST may hold a dash) + hex; anything else could
            // change the path.
            let id_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
            if message_id.is_empty() || !message_id.bytes().all(id_byte) {
                return Err(TaxError::Refused(format!("bad message id {message_id:?}")));
            }
            let resp = self
                .client
                .get(format!("{}/messages/{message_id}/replies", self.base_url))
                .send()
                .await
                .map_err(transport)?;
            let body = HttpTax::body(resp).await?;
            split_replies(&body)?
                .iter()
                .map(|x| TaxReply::parse(x))
                .collect()
        })
    }
}
