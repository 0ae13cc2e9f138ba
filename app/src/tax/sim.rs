//! `halong sim tax`: a simulated tax authority speaking the protocol of [`super::client`].
//! It keeps everything in memory (a test double: nothing survives a restart) and judges
//! messages as the real one does:
//!
//! - 100 registration → 999, then 103 accepting with the taxpayer's 5-character code (the same
//!   code again for the same MST) or refusing with reasons;
//! - 206 MTT invoices → 999, then 204: accepted (no reason) or refused as a whole (`LTBao` 7,
//!   message-level reasons and reasons per failing invoice);
//! - 303 notice of erroneous invoices → 999, then 301 accepting or naming the invoices it
//!   never received;
//! - anything unreadable → 999 with `TTTNhan` 1 and reasons, and no other reply.
//!
//! Reason codes: `EINV-…` from `einvoice::validate`, `TAX-…` from the simulator (docs/tax.md).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use einvoice::envelope::{
    self, CheckResult, ErrorNotice, Header, Message206, NoticeInvoice, Reason, Registration,
    RegistrationResult, TechnicalAck,
};
use einvoice::{Date, Invoice, Severity, VerifyOptions, validate_tax_code};
use maud::html;
use rand::Rng;

/// The simulator's sender code.
pub const SENDER: &str = "TCT";

/// Fault knobs, settable while running.
#[derive(Default)]
struct Knobs {
    /// The next this-many protocol requests are answered 503.
    fail_next: AtomicU32,
    /// Replies (103/204/301) become visible this long after the message arrived.
    reply_delay_ms: AtomicU64,
}

#[derive(Clone)]
struct Taxpayer {
    name: String,
    code: String,
    registered_at: String,
    /// Serial of the certificate that signed the declaration (100): packages signed with it
    /// are the taxpayer's, also when a service provider's certificate names another MST.
    certificate: Option<String>,
}

/// An invoice the authority has seen in a package it could trust (registered sender, valid
/// signature), as a 303 must name it.
#[derive(Clone)]
struct Known {
    authority_code: String,
    date: Date,
    /// Accepted, or refused for its own content (totals, rules, code). A refused invoice was
    /// still issued under its number: the number is used (no gap after it) but not taken (a
    /// corrected copy may be sent under it), and it is corrected by replacement + 303.
    accepted: bool,
    /// Set once a 303 notice named it.
    noticed: bool,
}

/// (MST, form, symbol): one numbering sequence.
type Sequence = (String, u8, String);

struct Received {
    id: String,
    kind: u16,
    tax_code: String,
    received_at: String,
    /// To tell a resend (same content) from a reused id.
    body_sha256: [u8; 32],
    ack: String,
    verdict: String,
    ready_at: Instant,
    replies: Vec<String>,
}

#[derive(Default)]
struct Inner {
    taxpayers: BTreeMap<String, Taxpayer>,
    /// Per sequence, number → invoice.
    invoices: HashMap<Sequence, BTreeMap<u32, Known>>,
    messages: Vec<Received>,
    by_id: HashMap<String, usize>,
    transactions: u64,
}

/// The simulated authority's memory and knobs; clones share them.
#[derive(Clone, Default)]
pub struct SimState {
    inner: Arc<Mutex<Inner>>,
    knobs: Arc<Knobs>,
}

/// A message as listed on the page and returned to tests.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReceivedSummary {
    pub id: String,
    pub kind: u16,
    pub tax_code: String,
    pub received_at: String,
    pub verdict: String,
}

impl SimState {
    /// Answer the next `n` protocol requests (POST and GET) with 503.
    pub fn set_fail_first(&self, n: u32) {
        self.knobs.fail_next.store(n, Ordering::SeqCst);
    }

    /// Hold replies back this long after a message arrives ("not answered yet").
    pub fn set_reply_delay(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.knobs.reply_delay_ms.store(ms, Ordering::SeqCst);
    }

    /// The 5-character code of a registered taxpayer.
    /// Restores what the authority already knows after a restart of an embedded simulator
    /// (the demo): a registered taxpayer, the certificate of its declaration, and the numbers
    /// accepted so far per (form, symbol).
    pub fn remember(
        &self,
        tax_code: &str,
        name: &str,
        code: &str,
        certificate: Option<String>,
        accepted: &[(u8, String, u32)],
    ) {
        let mut inner = self.lock();
        inner.taxpayers.insert(
            tax_code.to_owned(),
            Taxpayer {
                name: name.to_owned(),
                code: code.to_owned(),
                registered_at: String::new(),
                certificate,
            },
        );
        for (form, symbol, last) in accepted {
            let seq = inner
                .invoices
                .entry((tax_code.to_owned(), *form, symbol.clone()))
                .or_default();
            for n in 1..=*last {
                seq.entry(n).or_insert(Known {
                    authority_code: String::new(),
                    date: Date::default(),
                    accepted: true,
                    noticed: false,
                });
            }
        }
    }

    pub fn code_of(&self, tax_code: &str) -> Option<String> {
        self.lock().taxpayers.get(tax_code).map(|t| t.code.clone())
    }

    pub fn received(&self) -> Vec<ReceivedSummary> {
        st_messages(&self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Consumes one injected failure, if any is left.
    fn take_failure(&self) -> bool {
        self.knobs
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

pub fn sim_router<S: Clone + Send + Sync + 'static>(state: SimState) -> Router<S> {
    Router::new()
        .route("/", get(page))
        // A 206 of a thousand invoices is about 3.4 MB, above axum's 2 MB default.
        .route(
            "/messages",
            post(receive).layer(DefaultBodyLimit::max(einvoice::xml::MAX_DOCUMENT_BYTES)),
        )
        .route("/messages/{id}/replies", get(replies))
        .with_state(state)
}

/// `halong sim tax --listen ADDR`: runs the simulated authority until interrupted.
pub async fn run_sim(
    listen: std::net::SocketAddr,
    fail_first: u32,
    reply_delay: Duration,
) -> anyhow::Result<()> {
    let state = SimState::default();
    state.set_fail_first(fail_first);
    state.set_reply_delay(reply_delay);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(addr = %listener.local_addr()?, "tax authority simulator listening");
    axum::serve(listener, sim_router::<()>(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn xml_response(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "simulated outage (--fail-first)",
    )
        .into_response()
}

async fn replies(State(st): State<SimState>, Path(id): Path<String>) -> Response {
    if st.take_failure() {
        return unavailable();
    }
    let inner = st.lock();
    let Some(&i) = inner.by_id.get(&id) else {
        return (StatusCode::NOT_FOUND, "unknown message id").into_response();
    };
    let m = &inner.messages[i];
    let ready: &[String] = if Instant::now() >= m.ready_at {
        &m.replies
    } else {
        &[]
    };
    xml_response(super::join_replies(ready))
}

/// A message read and given the checks that need no state (signature, invoice rules), done
/// outside the lock and off the async workers: a 206 of a thousand invoices takes a while.
enum Parsed {
    Registration(Registration, Option<String>),
    Invoices(
        Box<Message206>,
        Vec<Reason>,
        Vec<NoticeInvoice>,
        Option<Signer>,
    ),
    Notice(ErrorNotice),
    Unreadable(String),
}

fn parse_and_check(header: &Header, xml: &str) -> Parsed {
    match header.kind {
        envelope::code::REGISTRATION => match envelope::read_100(xml) {
            Ok((_, reg)) => match registration_signer(xml, &reg) {
                Ok(cert) => Parsed::Registration(reg, cert),
                Err(e) => Parsed::Unreadable(e),
            },
            Err(e) => Parsed::Unreadable(e.to_string()),
        },
        envelope::code::MTT_INVOICES => match envelope::read_206(xml) {
            Ok(msg) => {
                let (reasons, per_invoice, signer) = stateless_206(header, &msg, xml);
                Parsed::Invoices(Box::new(msg), reasons, per_invoice, signer)
            }
            Err(e) => Parsed::Unreadable(e.to_string()),
        },
        envelope::code::MTT_ERROR_NOTICE => match envelope::read_303(xml) {
            Ok(n) => Parsed::Notice(n),
            Err(e) => Parsed::Unreadable(e.to_string()),
        },
        k => Parsed::Unreadable(format!("MLTDiep {k} không được hỗ trợ")),
    }
}

fn digest(xml: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(xml.as_bytes()).into()
}

/// A repeated id with the same content is a sender's retry: the same 999, nothing redone.
/// With other content it is refused.
fn repeated(inner: &Inner, header: &Header, hash: &[u8; 32], now: &str) -> Option<Response> {
    let &i = inner.by_id.get(&header.id)?;
    let m = &inner.messages[i];
    Some(xml_response(if &m.body_sha256 == hash {
        m.ack.clone()
    } else {
        ack_error(
            header,
            now,
            vec![Reason::new(
                "TAX-002",
                "MTDiep đã được dùng cho một thông điệp khác",
            )],
        )
    }))
}

async fn receive(State(st): State<SimState>, headers: HeaderMap, body: Bytes) -> Response {
    if st.take_failure() {
        return unavailable();
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !(ct.starts_with("application/xml") || ct.starts_with("text/xml")) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send one TDiep as application/xml",
        )
            .into_response();
    }
    let delay = Duration::from_millis(st.knobs.reply_delay_ms.load(Ordering::SeqCst));
    let now = local_now();
    let Ok(xml) = String::from_utf8(body.to_vec()) else {
        return xml_response(ack_error(
            &Header::default(),
            &now,
            vec![Reason::new("TAX-001", "Thông điệp không phải UTF-8")],
        ));
    };
    let header = match envelope::read_tdiep_header(&xml) {
        Ok(h) => h,
        Err(e) => {
            return xml_response(ack_error(
                &Header::default(),
                &now,
                vec![Reason::new(
                    "TAX-001",
                    format!("Không đọc được thông điệp: {e}"),
                )],
            ));
        }
    };
    if header.id.trim().is_empty() {
        // Without an id the sender could never collect the replies.
        return xml_response(ack_error(
            &header,
            &now,
            vec![Reason::new("TAX-001", "Thiếu mã thông điệp MTDiep")],
        ));
    }
    let hash = digest(&xml);
    if let Some(r) = repeated(&st.lock(), &header, &hash, &now) {
        return r;
    }
    let h = header.clone();
    let parsed = match tokio::task::spawn_blocking(move || parse_and_check(&h, &xml)).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "tax simulator check failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "check failed").into_response();
        }
    };
    let mut inner = st.lock();
    // Checked again: the same message may have arrived twice at once.
    if let Some(r) = repeated(&inner, &header, &hash, &now) {
        return r;
    }
    let outcome = match parsed {
        Parsed::Registration(reg, cert) => Ok(inner.register(&header, &reg, cert, &now)),
        Parsed::Invoices(msg, reasons, per_invoice, signer) => {
            Ok(inner.judge_206(&header, &msg, reasons, per_invoice, signer, &now))
        }
        Parsed::Notice(n) => Ok(inner.notice_303(&header, &n, &now)),
        Parsed::Unreadable(e) => Err(e),
    };
    let (ack, verdict, replies) = match outcome {
        Ok((verdict, reply)) => (ack_ok(&header, &now), verdict, vec![reply]),
        Err(e) => (
            ack_error(
                &header,
                &now,
                vec![Reason::new(
                    "TAX-001",
                    format!("Sai cấu trúc thông điệp: {e}"),
                )],
            ),
            "Lỗi kỹ thuật (999)".to_string(),
            Vec::new(),
        ),
    };
    let i = inner.messages.len();
    inner.by_id.insert(header.id.clone(), i);
    inner.messages.push(Received {
        id: header.id.clone(),
        kind: header.kind,
        tax_code: header.tax_code.clone(),
        received_at: now,
        body_sha256: hash,
        ack: ack.clone(),
        verdict,
        ready_at: Instant::now() + delay,
        replies,
    });
    xml_response(ack)
}

/// Local time in Asia/Ho_Chi_Minh as the messages write it (`yyyy-MM-ddTHH:mm:ss`).
fn local_now() -> String {
    let t = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn today() -> Option<Date> {
    let t = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7));
    Date::new(u16::try_from(t.year()).ok()?, u8::from(t.month()), t.day()).ok()
}

fn reply_header(to: &Header, kind: u16) -> Header {
    Header {
        version: if to.version.is_empty() {
            "2.0.1".into()
        } else {
            to.version.clone()
        },
        sender: SENDER.into(),
        receiver: to.sender.clone(),
        kind,
        id: envelope::message_id(SENDER, rand::rng().random()),
        reference_id: (!to.id.is_empty()).then(|| to.id.clone()),
        tax_code: to.tax_code.clone(),
        count: 1,
    }
}

fn ack_ok(to: &Header, now: &str) -> String {
    ack(to, now, 0, Vec::new())
}

fn ack_error(to: &Header, now: &str, reasons: Vec<Reason>) -> String {
    ack(to, now, 1, reasons)
}

fn ack(to: &Header, now: &str, status: u8, reasons: Vec<Reason>) -> String {
    let h = reply_header(to, envelope::code::TECHNICAL_ACK);
    envelope::write_999(
        &h,
        &TechnicalAck {
            header: h.clone(),
            acknowledged_id: (!to.id.is_empty()).then(|| to.id.clone()),
            status: Some(status),
            received_at: Some(now.to_owned()),
            reasons,
        },
    )
}

fn random_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..5)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

impl Inner {
    /// Message 100 → (verdict, 103).
    fn register(
        &mut self,
        h: &Header,
        reg: &Registration,
        certificate: Option<String>,
        now: &str,
    ) -> (String, String) {
        let mut reasons = Vec::new();
        match validate_tax_code(&reg.tax_code) {
            Ok(_) => {}
            Err(einvoice::TaxCodeError::Format) => reasons.push(Reason::new(
                "TAX-040",
                format!("MST {} sai định dạng (10, 12 hoặc 13 chữ số)", reg.tax_code),
            )),
            Err(einvoice::TaxCodeError::CheckDigit) => reasons.push(Reason::new(
                "TAX-040",
                format!("MST {} sai chữ số kiểm tra", reg.tax_code),
            )),
        }
        if reg.tax_code != h.tax_code {
            reasons.push(Reason::new(
                "TAX-041",
                "MST trong tờ khai khác MST của thông điệp",
            ));
        }
        if !reg.cash_register {
            reasons.push(Reason::new(
                "TAX-042",
                "Tờ khai không chọn hóa đơn có mã khởi tạo từ máy tính tiền",
            ));
        }
        if reg.taxpayer_name.trim().is_empty() {
            reasons.push(Reason::new("TAX-043", "Thiếu tên người nộp thuế"));
        }
        if reg.forms.is_empty() {
            reasons.push(Reason::new("TAX-044", "Không chọn loại hóa đơn sử dụng"));
        }
        let rh = reply_header(h, envelope::code::REGISTRATION_RESULT);
        if !reasons.is_empty() {
            let res = RegistrationResult {
                header: rh.clone(),
                status: Some(2),
                mtt_code: None,
                reasons,
            };
            return (
                "Không chấp nhận (103)".into(),
                envelope::write_103(&rh, &res),
            );
        }
        let code = match self.taxpayers.get(&reg.tax_code) {
            Some(t) => t.code.clone(),
            None => {
                let code = loop {
                    let c = random_code();
                    if !self.taxpayers.values().any(|t| t.code == c) {
                        break c;
                    }
                };
                self.taxpayers.insert(
                    reg.tax_code.clone(),
                    Taxpayer {
                        name: reg.taxpayer_name.clone(),
                        code: code.clone(),
                        registered_at: now.to_owned(),
                        certificate: certificate.clone(),
                    },
                );
                code
            }
        };
        let res = RegistrationResult {
            header: rh.clone(),
            status: Some(1),
            mtt_code: Some(code.clone()),
            reasons: Vec::new(),
        };
        (
            format!("Chấp nhận, mã {code} (103)"),
            envelope::write_103(&rh, &res),
        )
    }

    /// Message 206 → (verdict, 204), given the reasons found by [`stateless_206`]. The
    /// package is accepted whole or refused whole.
    fn judge_206(
        &mut self,
        h: &Header,
        msg: &Message206,
        mut reasons: Vec<Reason>,
        mut per_invoice: Vec<NoticeInvoice>,
        signer: Option<Signer>,
        now: &str,
    ) -> (String, String) {
        match self.taxpayers.get(&h.tax_code) {
            None => reasons.insert(
                0,
                Reason::new(
                    "TAX-010",
                    format!(
                        "MST {} chưa đăng ký sử dụng hóa đơn có mã khởi tạo từ máy tính tiền",
                        h.tax_code
                    ),
                ),
            ),
            Some(t) => {
                // The taxpayer's own certificate, or the one registered with the declaration.
                if let Some(sig) = &signer
                    && sig.mst.as_deref().is_some_and(|m| m != h.tax_code)
                    && t.certificate.as_deref() != Some(sig.serial.as_str())
                {
                    reasons.push(Reason::new(
                        "TAX-011",
                        format!(
                            "Chứng thư số của MST {}, không phải của MST {} và không được đăng ký trong tờ khai",
                            sig.mst.clone().unwrap_or_default(),
                            h.tax_code
                        ),
                    ));
                }
                for (inv, notice) in msg.invoices.iter().zip(per_invoice.iter_mut()) {
                    // A malformed or missing code is EINV-030 from `validate`.
                    if let Some(Ok(c)) = inv.authority_code.as_deref().map(einvoice::MttCode::parse)
                        && c.code() != t.code
                    {
                        notice.reasons.push(Reason::new(
                            "TAX-022",
                            format!("MCCQT {c} không dùng mã {} của người nộp thuế", t.code),
                        ));
                    }
                }
            }
        }
        self.numbering_reasons(&h.tax_code, msg, &mut per_invoice);
        let rh = reply_header(h, envelope::code::CHECK_RESULT);
        let refused = !reasons.is_empty() || per_invoice.iter().any(|n| !n.reasons.is_empty());
        if refused {
            // With a trusted package, invoices refused for their own content keep their number
            // used; the clean ones of the package are not recorded and are to be sent again.
            if reasons.is_empty() {
                for (inv, notice) in msg.invoices.iter().zip(&per_invoice) {
                    let own = !notice.reasons.is_empty()
                        && notice.reasons.iter().all(|r| !is_numbering(&r.code));
                    if own {
                        self.record(&h.tax_code, inv, false);
                    }
                }
            }
            let bad = per_invoice.iter().filter(|n| !n.reasons.is_empty()).count();
            let res = CheckResult::refused(rh.clone(), now.to_owned(), reasons, per_invoice);
            return (
                format!("Từ chối cả gói: {bad} hóa đơn lỗi (204, LTBao 7)"),
                envelope::write_204(&rh, &res),
            );
        }
        for inv in &msg.invoices {
            self.record(&h.tax_code, inv, true);
        }
        self.transactions += 1;
        let res = CheckResult::accepted(
            rh.clone(),
            Some(format!("GD{:010}", self.transactions)),
            now.to_owned(),
        );
        (
            format!("Chấp nhận {} hóa đơn (204)", msg.invoices.len()),
            envelope::write_204(&rh, &res),
        )
    }

    fn record(&mut self, mst: &str, inv: &Invoice, accepted: bool) {
        self.invoices
            .entry((mst.to_owned(), inv.form, inv.symbol.clone()))
            .or_default()
            .insert(
                inv.number,
                Known {
                    authority_code: inv.authority_code.clone().unwrap_or_default(),
                    date: inv.issue_date,
                    accepted,
                    noticed: false,
                },
            );
    }

    /// Per (MST, form, symbol), numbers run from 1 without gap or repeat: a number already
    /// accepted, or twice in the package, is a repeat; a number whose predecessor is neither
    /// known (accepted or refused for its content) nor in the package leaves a gap.
    fn numbering_reasons(&self, mst: &str, msg: &Message206, out: &mut [NoticeInvoice]) {
        let mut groups: BTreeMap<(u8, &str), Vec<(u32, usize)>> = BTreeMap::new();
        for (i, inv) in msg.invoices.iter().enumerate() {
            groups
                .entry((inv.form, inv.symbol.as_str()))
                .or_default()
                .push((inv.number, i));
        }
        let empty = BTreeMap::new();
        for ((form, symbol), v) in groups {
            let known = self
                .invoices
                .get(&(mst.to_owned(), form, symbol.to_owned()))
                .unwrap_or(&empty);
            let in_package: std::collections::BTreeSet<u32> = v.iter().map(|x| x.0).collect();
            let mut seen = std::collections::HashSet::new();
            let mut sorted = v;
            sorted.sort();
            for (n, i) in sorted {
                if known.get(&n).is_some_and(|k| k.accepted) || !seen.insert(n) {
                    out[i].reasons.push(Reason::new(
                        einvoice::Rule::NumberDuplicate.code(),
                        format!(
                            "{form}{symbol}: số {n} trùng (đã được chấp nhận hoặc lặp trong gói)"
                        ),
                    ));
                    continue;
                }
                let prev = n.saturating_sub(1);
                if prev == 0 || known.contains_key(&prev) || in_package.contains(&prev) {
                    continue;
                }
                // The highest number below n that is used, to name the whole gap.
                let below = known.range(..n).next_back().map_or(0, |(k, _)| *k);
                let below = in_package
                    .range(..n)
                    .next_back()
                    .map_or(below, |k| below.max(*k));
                let from = below + 1;
                out[i].reasons.push(Reason::new(
                    einvoice::Rule::NumberGap.code(),
                    if from == prev {
                        format!("{form}{symbol}: thiếu số {from} trước số {n}")
                    } else {
                        format!("{form}{symbol}: thiếu số {from} đến {prev} trước số {n}")
                    },
                ));
            }
        }
    }

    /// Message 303 → (verdict, 301).
    fn notice_303(&mut self, h: &Header, n: &ErrorNotice, now: &str) -> (String, String) {
        let mut reasons = Vec::new();
        if !self.taxpayers.contains_key(&h.tax_code) {
            reasons.push(Reason::new("TAX-010", "MST chưa đăng ký"));
        }
        if n.tax_code != h.tax_code {
            reasons.push(Reason::new(
                "TAX-041",
                "MST trong thông báo khác MST của thông điệp",
            ));
        }
        let mut per_invoice = Vec::new();
        let mut keys = Vec::new();
        for inv in &n.invoices {
            let mut ni = NoticeInvoice {
                form: Some(inv.form.to_string()),
                symbol: Some(inv.symbol.clone()),
                number: Some(inv.number.to_string()),
                date: Some(inv.date.to_string()),
                reasons: Vec::new(),
            };
            let key = (
                (h.tax_code.clone(), inv.form, inv.symbol.clone()),
                inv.number,
            );
            match self.invoices.get(&key.0).and_then(|m| m.get(&key.1)) {
                None => ni
                    .reasons
                    .push(Reason::new("TAX-030", "Cơ quan thuế chưa nhận hóa đơn này")),
                Some(a) if a.authority_code != inv.authority_code || a.date != inv.date => {
                    ni.reasons.push(Reason::new(
                        "TAX-031",
                        "MCCQT hoặc ngày lập khác hóa đơn đã tiếp nhận",
                    ))
                }
                Some(a) if a.noticed || keys.contains(&key) => ni
                    .reasons
                    .push(Reason::new("TAX-032", "Hóa đơn đã được thông báo sai sót")),
                Some(_) => {}
            }
            keys.push(key);
            per_invoice.push(ni);
        }
        let rh = reply_header(h, envelope::code::ERROR_NOTICE_RESULT);
        let refused = !reasons.is_empty() || per_invoice.iter().any(|i| !i.reasons.is_empty());
        let res = if refused {
            CheckResult::refused(rh.clone(), now.to_owned(), reasons, per_invoice)
        } else {
            for (seq, number) in keys {
                if let Some(k) = self.invoices.get_mut(&seq).and_then(|m| m.get_mut(&number)) {
                    k.noticed = true;
                }
            }
            CheckResult::accepted(rh.clone(), None, now.to_owned())
        };
        let verdict = if refused {
            "Không tiếp nhận thông báo (301)".to_string()
        } else {
            format!("Tiếp nhận thông báo {} hóa đơn (301)", n.invoices.len())
        };
        let mut res = res;
        res.form_code = Some("01/TB-HĐSS".into());
        (verdict, envelope::write_301(&rh, &res))
    }
}

fn is_numbering(code: &str) -> bool {
    code == einvoice::Rule::NumberDuplicate.code() || code == einvoice::Rule::NumberGap.code()
}

/// The checks of a 206 that need no state: signature, counts, and each invoice's own rules.
fn stateless_206(
    h: &Header,
    msg: &Message206,
    xml: &str,
) -> (Vec<Reason>, Vec<NoticeInvoice>, Option<Signer>) {
    let (mut reasons, signer) = signature_reasons(msg, xml);
    if msg.invoices.is_empty() {
        reasons.push(Reason::new("TAX-012", "Gói dữ liệu không có hóa đơn"));
    }
    if h.count as usize != msg.invoices.len() {
        reasons.push(Reason::new(
            "TAX-012",
            format!("SLuong {} khác số hóa đơn {}", h.count, msg.invoices.len()),
        ));
    }
    let mut per_invoice: Vec<NoticeInvoice> = msg.invoices.iter().map(NoticeInvoice::of).collect();
    let ctx = einvoice::Context { today: today() };
    for (inv, notice) in msg.invoices.iter().zip(per_invoice.iter_mut()) {
        let r = &mut notice.reasons;
        if inv.seller.tax_code != h.tax_code {
            r.push(Reason::new(
                "TAX-020",
                "MST người bán khác MST của thông điệp",
            ));
        }
        match einvoice::Symbol::parse(&inv.symbol) {
            Ok(s) if s.coded && s.is_cash_register() => {}
            _ => r.push(Reason::new(
                "TAX-021",
                format!(
                    "Ký hiệu {} không phải hóa đơn có mã từ máy tính tiền",
                    inv.symbol
                ),
            )),
        }
        for v in einvoice::validate(inv, &ctx) {
            if v.severity == Severity::Error {
                r.push(Reason {
                    code: v.rule.code().into(),
                    description: v.message_vi.clone(),
                    note: Some(v.path.clone()),
                    ..Reason::default()
                });
            }
        }
    }
    (reasons, per_invoice, signer)
}

/// Who signed a package: the certificate's serial and the MST it names, if any.
struct Signer {
    serial: String,
    mst: Option<String>,
}

fn named_mst(subject: &str) -> Option<String> {
    subject.find("MST:").map(|i| {
        subject[i + 4..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect()
    })
}

/// The taxpayer's signature in `CKSNNT` must verify and cover `DLieu`. Whose certificate it
/// is (the taxpayer's own, or one registered with the declaration) is judged with the state.
fn signature_reasons(msg: &Message206, xml: &str) -> (Vec<Reason>, Option<Signer>) {
    let bad = |d: String| (vec![Reason::new("TAX-011", d)], None);
    if msg.data_id.is_empty() {
        return bad("DLieu không có thuộc tính Id để ký".into());
    }
    let reports = match einvoice::verify_signatures(xml, &VerifyOptions::default()) {
        Ok(r) => r,
        Err(e) => return bad(format!("Thiếu hoặc sai chữ ký số CKSNNT: {e}")),
    };
    let Some(sig) = reports.iter().find(|r| r.container == "CKSNNT") else {
        return bad("Thiếu chữ ký số trong CKSNNT".into());
    };
    if !sig.covers(&msg.data_id) {
        let why = sig
            .error
            .clone()
            .unwrap_or_else(|| "chữ ký không bao phủ DLieu".into());
        return bad(format!("Chữ ký số CKSNNT không hợp lệ: {why}"));
    }
    let signer = sig.certificate.as_ref().map(|c| Signer {
        serial: c.serial.clone(),
        mst: named_mst(&c.subject),
    });
    (Vec::new(), signer)
}

/// The certificate that signed a declaration (`DSCKS/NNT`), if it is signed; a signature that
/// does not verify makes the declaration unreadable.
fn registration_signer(xml: &str, reg: &Registration) -> Result<Option<String>, String> {
    let reports = match einvoice::verify_signatures(xml, &VerifyOptions::default()) {
        Ok(r) => r,
        // No signature at all: an unsigned declaration (accepted, bound to no certificate).
        Err(_) => return Ok(None),
    };
    match reports.iter().find(|r| r.container == "NNT") {
        None => Ok(None),
        Some(sig) if sig.covers(&reg.data_id) => {
            Ok(sig.certificate.as_ref().map(|c| c.serial.clone()))
        }
        Some(sig) => Err(format!(
            "Chữ ký số của tờ khai không hợp lệ: {}",
            sig.error.clone().unwrap_or_default()
        )),
    }
}

async fn page(State(st): State<SimState>) -> impl IntoResponse {
    let (taxpayers, messages) = {
        let inner = st.lock();
        (
            inner
                .taxpayers
                .iter()
                .map(|(k, v)| {
                    // (accepted, refused for content) invoices of this MST, all sequences.
                    let (mut ok, mut bad) = (0usize, 0usize);
                    for (_, m) in inner.invoices.iter().filter(|(seq, _)| &seq.0 == k) {
                        for known in m.values() {
                            if known.accepted {
                                ok += 1;
                            } else {
                                bad += 1;
                            }
                        }
                    }
                    (k.clone(), v.clone(), ok, bad)
                })
                .collect::<Vec<_>>(),
            st_messages(&inner),
        )
    };
    html! {
        (maud::DOCTYPE)
        html lang="vi" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1"; title { "Cơ quan thuế mô phỏng" } }
            body style="font-family: system-ui, sans-serif; margin: 1rem" {
                h1 { "Cơ quan thuế mô phỏng (halong sim tax)" }
                p { "Bộ mô phỏng tiếp nhận thông điệp hóa đơn máy tính tiền. Không gửi dữ liệu cho cơ quan thuế thật." }
                h2 { "Người nộp thuế đã đăng ký" }
                table border="1" cellpadding="6" style="border-collapse: collapse" {
                    tr { th { "MST" } th { "Tên người nộp thuế" } th { "Mã MTT (5 ký tự)" } th { "Thời điểm đăng ký" } th { "Hóa đơn đã chấp nhận" } th { "Hóa đơn bị từ chối" } }
                    @for (mst, t, ok, bad) in &taxpayers {
                        tr { td { (mst) } td { (t.name) } td { code { (t.code) } } td { (t.registered_at) } td { (ok) } td { (bad) } }
                    }
                }
                h2 { "Thông điệp đã nhận (mới nhất trước)" }
                table border="1" cellpadding="6" style="border-collapse: collapse" {
                    tr { th { "Mã thông điệp" } th { "Loại" } th { "MST" } th { "Thời điểm nhận" } th { "Kết quả" } }
                    @for m in messages.iter().rev() {
                        tr { td { code { (m.id) } } td { (m.kind) " – " (kind_label(m.kind)) } td { (m.tax_code) } td { (m.received_at) } td { (m.verdict) } }
                    }
                }
            }
        }
    }
}

fn kind_label(kind: u16) -> &'static str {
    match kind {
        envelope::code::REGISTRATION => "Tờ khai đăng ký sử dụng HĐĐT",
        envelope::code::MTT_INVOICES => "Gói hóa đơn khởi tạo từ máy tính tiền",
        envelope::code::MTT_ERROR_NOTICE => "Thông báo hóa đơn có sai sót",
        _ => "Loại không hỗ trợ",
    }
}

fn st_messages(inner: &Inner) -> Vec<ReceivedSummary> {
    inner
        .messages
        .iter()
        .map(|m| ReceivedSummary {
            id: m.id.clone(),
            kind: m.kind,
            tax_code: m.tax_code.clone(),
            received_at: m.received_at.clone(),
            verdict: m.verdict.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_five_upper_alphanumerics() {
        for _ in 0..100 {
            let c = random_code();
            assert_eq!(c.len(), 5);
            assert!(
                c.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            );
        }
    }

    #[test]
    fn failures_are_consumed() {
        let st = SimState::default();
        st.set_fail_first(2);
        assert!(st.take_failure());
        assert!(st.take_failure());
        assert!(!st.take_failure());
    }
}
