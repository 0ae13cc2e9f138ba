//! The simulated tax authority, driven only through `HttpTax` over real HTTP on a random port:
//! registration, accepted and refused MTT packages (signature, numbering, unregistered MST,
//! invalid invoices), 303 notices, unreadable messages, outages and delayed replies.

mod common;

use std::time::Duration;

use einvoice::envelope::{
    self, ErrorNotice, ErrorNoticeInvoice, Header, NoticeAction, Registration,
};
use einvoice::{
    Date, Invoice, Line, LocalDateTime, MttCode, Quantity, Seller, SigningKey, VatRate,
};
use halong::tax::sim::{SimState, sim_router};
use halong::tax::{HttpTax, TaxAuthority, TaxError, TaxReply, Verdict, verdict};

const MST: &str = "0106324653";

struct Sim {
    state: SimState,
    tax: HttpTax,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn sim() -> Sim {
    let state = SimState::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = sim_router::<()>(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Sim {
        state,
        tax: HttpTax::with_timeout(&format!("http://{addr}"), Duration::from_secs(10)),
        task,
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/einvoice/tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn key() -> SigningKey {
    SigningKey::from_pkcs8_der(&fixture("seller.key.pk8.der"), &fixture("seller.cert.der")).unwrap()
}

fn time() -> LocalDateTime {
    LocalDateTime::new(Date::new(2025, 7, 1).unwrap(), 9, 30, 0).unwrap()
}

fn new_id(sender: &str) -> String {
    envelope::message_id(sender, rand::random())
}

fn header(mst: &str) -> Header {
    Header {
        version: "2.0.1".into(),
        sender: mst.into(),
        receiver: "TCT".into(),
        kind: 0,
        id: new_id(mst),
        reference_id: None,
        tax_code: mst.into(),
        count: 0,
    }
}

fn registration(mst: &str) -> String {
    let reg = Registration {
        data_id: "TK-1".into(),
        kind: 1,
        taxpayer_name: "Hộ kinh doanh Chợ Hạ Long".into(),
        tax_code: mst.into(),
        tax_office: ("Thuế cơ sở Hạ Long".into(), "22701".into()),
        contact: (
            "Nguyễn Văn A".into(),
            "Hạ Long".into(),
            "a@example.vn".into(),
            "0912345678".into(),
        ),
        place: "Hạ Long".into(),
        date: Date::new(2025, 6, 1).unwrap(),
        cash_register: true,
        forms: vec![1],
    };
    envelope::write_100(&header(mst), &reg)
}

fn invoice(mst: &str, code: &str, number: u32) -> Invoice {
    let mut inv = Invoice {
        data_id: format!("HD-{number}"),
        title: "Hóa đơn giá trị gia tăng khởi tạo từ máy tính tiền".into(),
        form: 1,
        symbol: "C25MAA".into(),
        number,
        issue_date: Date::new(2025, 7, 1).unwrap(),
        seller: Seller {
            name: "Hộ kinh doanh Chợ Hạ Long".into(),
            tax_code: mst.into(),
            address: "Phường Bạch Đằng, Hạ Long, Quảng Ninh".into(),
            ..Seller::default()
        },
        lines: vec![
            Line::goods(
                "Mực một nắng",
                "kg",
                Quantity(1500),
                650_000,
                VatRate::Eight,
            ),
            Line::goods("Nước mắm", "chai", Quantity::units(1), 95_000, VatRate::Ten),
        ],
        authority_code: Some(
            MttCode::new(1, 25, code, u64::from(number))
                .unwrap()
                .to_string(),
        ),
        ..Invoice::default()
    };
    inv.recompute_totals().unwrap();
    inv
}

fn package(mst: &str, invoices: &[Invoice]) -> String {
    envelope::build_signed_206(&header(mst), "DLieu-1", invoices, &key(), time()).unwrap()
}

fn numbers(code: &str, ns: &[u32]) -> Vec<Invoice> {
    ns.iter().map(|&n| invoice(MST, code, n)).collect()
}

/// Submits, expects a clean 999 and returns the replies.
async fn send(tax: &dyn TaxAuthority, xml: &str) -> Vec<TaxReply> {
    let ack = tax.submit(xml).await.unwrap();
    assert!(ack.is_ok(), "999 not ok: {ack:?}");
    let id = envelope::read_tdiep_header(xml).unwrap().id;
    assert_eq!(ack.acknowledged_id.as_deref(), Some(id.as_str()));
    assert_eq!(ack.header.reference_id.as_deref(), Some(id.as_str()));
    tax.replies(&id).await.unwrap()
}

async fn register(s: &Sim, mst: &str) -> String {
    let replies = send(&s.tax, &registration(mst)).await;
    let [TaxReply::Registration(r)] = replies.as_slice() else {
        panic!("expected one 103, got {replies:?}");
    };
    r.accepted_code().expect("accepted with a code").to_owned()
}

/// The single 204 among `replies`.
fn check(replies: &[TaxReply]) -> &envelope::CheckResult {
    match replies {
        [TaxReply::Check(c)] => c,
        other => panic!("expected one 204, got {other:?}"),
    }
}

/// (number, reason codes) of each invoice named in a 204.
fn named(c: &envelope::CheckResult) -> Vec<(String, Vec<String>)> {
    c.invoices
        .iter()
        .map(|i| {
            (
                i.number.clone().unwrap_or_default(),
                i.reasons.iter().map(|r| r.code.clone()).collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn registration_gives_a_stable_five_character_code() {
    let s = sim().await;
    let code = register(&s, MST).await;
    assert_eq!(code.len(), 5);
    assert!(
        code.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert_eq!(register(&s, MST).await, code, "same MST, same code");
    assert_eq!(s.state.code_of(MST), Some(code.clone()));
    let other = register(&s, "0100233488").await;
    assert_ne!(other, code, "codes are unique");

    // A wrong check digit: 999 fine (the message is readable), 103 refuses with a reason.
    let replies = send(&s.tax, &registration("0106324654")).await;
    assert_eq!(verdict(&replies), Verdict::Refused);
    let [TaxReply::Registration(r)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(r.status, Some(2));
    assert!(r.reasons.iter().any(|x| x.code == "TAX-040"), "{r:?}");
}

#[tokio::test]
async fn packages_accepted_then_numbering_continues() {
    let s = sim().await;
    let code = register(&s, MST).await;
    let replies = send(&s.tax, &package(MST, &numbers(&code, &[1, 2, 3]))).await;
    assert_eq!(verdict(&replies), Verdict::Accepted, "{replies:?}");
    let c = check(&replies);
    assert!(c.is_ok() && c.notice_type.is_none());
    assert!(c.transaction_code.is_some());
    // Order inside a package does not matter; the numbers must continue 3.
    let replies = send(&s.tax, &package(MST, &numbers(&code, &[5, 4]))).await;
    assert_eq!(verdict(&replies), Verdict::Accepted, "{replies:?}");
    let received = s.state.received();
    assert_eq!(received.len(), 3);
    assert!(received[2].verdict.starts_with("Chấp nhận"));
}

#[tokio::test]
async fn tampered_amount_is_refused_for_the_signature() {
    let s = sim().await;
    let code = register(&s, MST).await;
    let xml = package(MST, &numbers(&code, &[1, 2]));
    let inv = invoice(MST, &code, 1);
    let total = inv.totals.total;
    let tampered = xml.replacen(
        &format!("<TgTTTBSo>{total}</TgTTTBSo>"),
        &format!("<TgTTTBSo>{}</TgTTTBSo>", total - 100_000),
        1,
    );
    assert_ne!(tampered, xml);
    let replies = send(&s.tax, &tampered).await;
    assert_eq!(verdict(&replies), Verdict::Refused);
    let c = check(&replies);
    assert_eq!(c.notice_type, Some(envelope::NOTICE_INVALID_MTT));
    assert!(c.reasons.iter().any(|r| r.code == "TAX-011"), "{c:?}");
    // Nothing of a refused package counts: 1 and 2 are still expected next.
    let replies = send(&s.tax, &package(MST, &numbers(&code, &[1, 2]))).await;
    assert_eq!(verdict(&replies), Verdict::Accepted, "{replies:?}");
}

#[tokio::test]
async fn numbering_gaps_and_repeats_name_the_invoices() {
    let s = sim().await;
    let code = register(&s, MST).await;
    assert_eq!(
        verdict(&send(&s.tax, &package(MST, &numbers(&code, &[1, 2, 3]))).await),
        Verdict::Accepted
    );
    // Gap: 4 is missing.
    let replies = send(&s.tax, &package(MST, &numbers(&code, &[5, 6]))).await;
    let c = check(&replies);
    assert!(!c.is_ok());
    assert_eq!(
        named(c),
        vec![("5".to_string(), vec!["EINV-006".to_string()])]
    );
    assert!(
        c.invoices[0].reasons[0].description.contains("thiếu số 4"),
        "{c:?}"
    );
    // Repeat: 3 was accepted already, and 4 twice in the package.
    let replies = send(&s.tax, &package(MST, &numbers(&code, &[3, 4, 4]))).await;
    let c = check(&replies);
    assert_eq!(
        named(c),
        vec![
            ("3".to_string(), vec!["EINV-005".to_string()]),
            ("4".to_string(), vec!["EINV-005".to_string()]),
        ]
    );
    assert_eq!(
        verdict(&send(&s.tax, &package(MST, &numbers(&code, &[4]))).await),
        Verdict::Accepted
    );
}

#[tokio::test]
async fn unregistered_wrong_code_and_invalid_invoices_are_refused() {
    let s = sim().await;
    // Not registered at all.
    let replies = send(&s.tax, &package(MST, &numbers("ABCDE", &[1]))).await;
    let c = check(&replies);
    assert!(c.reasons.iter().any(|r| r.code == "TAX-010"), "{c:?}");

    let code = register(&s, MST).await;
    let wrong = if code == "ZZZZZ" { "YYYYY" } else { "ZZZZZ" };
    let mut bad_total = invoice(MST, &code, 2);
    bad_total.totals.total += 1;
    bad_total.totals.total_in_words = einvoice::amount_in_words(bad_total.totals.total);
    let replies = send(&s.tax, &package(MST, &[invoice(MST, wrong, 1), bad_total])).await;
    let c = check(&replies);
    assert_eq!(
        named(c),
        vec![
            ("1".to_string(), vec!["TAX-022".to_string()]),
            ("2".to_string(), vec!["EINV-025".to_string()]),
        ]
    );
    // Signed by a certificate of another MST.
    let other = "0100233488";
    register(&s, other).await;
    let replies = send(
        &s.tax,
        &package(
            other,
            &[invoice(other, &s.state.code_of(other).unwrap(), 1)],
        ),
    )
    .await;
    let c = check(&replies);
    assert!(
        c.reasons
            .iter()
            .any(|r| r.code == "TAX-011" && r.description.contains(MST)),
        "{c:?}"
    );
}

#[tokio::test]
async fn unreadable_messages_get_a_failing_999_and_no_reply() {
    let s = sim().await;
    let ack = s.tax.submit("<TDiep><TTChung>").await.unwrap();
    assert!(!ack.is_ok());
    assert_eq!(ack.status, Some(1));
    assert!(!ack.reasons.is_empty());

    // Readable header, broken body: the reply is refused with the reason, and nothing follows.
    let code = register(&s, MST).await;
    let xml = package(MST, &numbers(&code, &[1]));
    let broken = xml.replacen("<SHDon>1</SHDon>", "<SHDon>một</SHDon>", 1);
    let id = envelope::read_tdiep_header(&xml).unwrap().id;
    let ack = s.tax.submit(&broken).await.unwrap();
    assert_eq!(ack.status, Some(1));
    assert!(ack.reasons[0].description.contains("SHDon"), "{ack:?}");
    assert_eq!(envelope::read_tdiep_header(&broken).unwrap().id, id);
    assert!(s.tax.replies(&id).await.unwrap().is_empty());

    // No message id: nobody could collect a reply.
    let anonymous = xml.replacen(&format!("<MTDiep>{id}</MTDiep>"), "<MTDiep></MTDiep>", 1);
    let ack = s.tax.submit(&anonymous).await.unwrap();
    assert_eq!(ack.status, Some(1));
    assert!(ack.reasons[0].description.contains("MTDiep"), "{ack:?}");

    // Unknown message kinds.
    let mut h = header(MST);
    h.kind = 400;
    let odd = envelope::write_206(&h, "D", &[]).replacen(
        "<MLTDiep>206</MLTDiep>",
        "<MLTDiep>400</MLTDiep>",
        1,
    );
    assert!(!s.tax.submit(&odd).await.unwrap().is_ok());

    // Replies of a message never sent: refused (404), not retryable.
    let e = s.tax.replies("V0106324653FFFF").await.unwrap_err();
    assert!(matches!(e, TaxError::Refused(_)), "{e:?}");
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn a_resent_message_gets_the_same_ack_and_is_judged_once() {
    let s = sim().await;
    let code = register(&s, MST).await;
    let xml = package(MST, &numbers(&code, &[1]));
    let a = s.tax.submit(&xml).await.unwrap();
    let b = s.tax.submit(&xml).await.unwrap();
    assert_eq!(a, b);
    let id = envelope::read_tdiep_header(&xml).unwrap().id;
    assert_eq!(
        verdict(&s.tax.replies(&id).await.unwrap()),
        Verdict::Accepted
    );
    // The same id with other content is refused technically.
    let other = xml.replacen("Mực một nắng", "Mực khô", 1);
    let c = s.tax.submit(&other).await.unwrap();
    assert_eq!(c.status, Some(1));
    assert_eq!(c.reasons[0].code, "TAX-002");
}

#[tokio::test]
async fn outages_are_unavailable_then_it_works() {
    let s = sim().await;
    s.state.set_fail_first(2);
    let xml = registration(MST);
    for _ in 0..2 {
        let e = s.tax.submit(&xml).await.unwrap_err();
        assert!(matches!(e, TaxError::Unavailable(_)), "{e:?}");
        assert!(e.is_retryable());
    }
    assert!(s.tax.submit(&xml).await.unwrap().is_ok());

    // Nobody listening at all.
    let dead = HttpTax::with_timeout("http://127.0.0.1:9", Duration::from_secs(2));
    assert!(matches!(
        dead.submit(&xml).await,
        Err(TaxError::Unavailable(_))
    ));
}

#[tokio::test]
async fn delayed_replies_are_pending_first() {
    let s = sim().await;
    let code = register(&s, MST).await;
    s.state.set_reply_delay(Duration::from_millis(300));
    let xml = package(MST, &numbers(&code, &[1]));
    assert!(s.tax.submit(&xml).await.unwrap().is_ok());
    let id = envelope::read_tdiep_header(&xml).unwrap().id;
    assert_eq!(
        verdict(&s.tax.replies(&id).await.unwrap()),
        Verdict::Pending
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        verdict(&s.tax.replies(&id).await.unwrap()),
        Verdict::Accepted
    );
}

fn notice(invoices: Vec<ErrorNoticeInvoice>) -> String {
    let n = ErrorNotice {
        header: header(MST),
        data_id: "TB-1".into(),
        notice_kind: 1,
        tax_office: ("22701".into(), "Thuế cơ sở Hạ Long".into()),
        taxpayer_name: "Hộ kinh doanh Chợ Hạ Long".into(),
        tax_code: MST.into(),
        place: "Hạ Long".into(),
        date: Date::new(2025, 7, 2).unwrap(),
        invoices,
    };
    envelope::write_303(&n.header, &n)
}

#[tokio::test]
async fn notices_303_refer_to_accepted_invoices() {
    let s = sim().await;
    let code = register(&s, MST).await;
    let invs = numbers(&code, &[1, 2]);
    assert_eq!(
        verdict(&send(&s.tax, &package(MST, &invs)).await),
        Verdict::Accepted
    );

    let replies = send(
        &s.tax,
        &notice(vec![ErrorNoticeInvoice::of(
            &invs[1],
            NoticeAction::Replace,
            "Sai đơn giá",
        )]),
    )
    .await;
    assert_eq!(verdict(&replies), Verdict::Accepted, "{replies:?}");
    assert!(matches!(&replies[0], TaxReply::NoticeResult(_)));

    // Never accepted (3), and noticed already (2).
    let replies = send(
        &s.tax,
        &notice(vec![
            ErrorNoticeInvoice::of(&invoice(MST, &code, 3), NoticeAction::Cancel, "Hủy"),
            ErrorNoticeInvoice::of(&invs[1], NoticeAction::Cancel, "Hủy"),
        ]),
    )
    .await;
    let TaxReply::NoticeResult(c) = &replies[0] else {
        panic!("{replies:?}")
    };
    assert_eq!(
        named(c),
        vec![
            ("3".to_string(), vec!["TAX-030".to_string()]),
            ("2".to_string(), vec!["TAX-032".to_string()]),
        ]
    );
}

#[tokio::test]
async fn a_package_above_two_megabytes_is_accepted() {
    let s = sim().await;
    let code = register(&s, MST).await;
    let ns: Vec<u32> = (1..=2000).collect();
    let xml = package(MST, &numbers(&code, &ns));
    assert!(xml.len() > 2 * 1024 * 1024, "{} bytes", xml.len());
    let replies = send(&s.tax, &xml).await;
    assert_eq!(verdict(&replies), Verdict::Accepted, "{replies:?}");
}

#[tokio::test]
async fn the_demo_server_answers_through_state_tax() {
    let app = common::TestApp::spawn_with(true).await;
    let state = app.running.as_ref().unwrap().state.clone();
    let sim = state
        .tax_sim
        .clone()
        .expect("simulator mounted in demo mode");
    let replies = send(state.tax.as_ref(), &registration(MST)).await;
    let [TaxReply::Registration(r)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(r.accepted_code().map(str::to_owned), sim.code_of(MST));
    let page = app
        .anonymous
        .get(app.url("/sim/tax"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Người nộp thuế đã đăng ký") && page.contains(MST),
        "{page}"
    );
    app.stop().await;

    // Outside demo mode, without a URL, nothing is mounted and sending is unavailable.
    let app = common::TestApp::spawn().await;
    let state = app.running.as_ref().unwrap().state.clone();
    assert!(state.tax_sim.is_none());
    let e = state.tax.submit(&registration(MST)).await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    app.stop().await;
}

#[tokio::test]
async fn an_invoice_refused_for_its_content_keeps_its_number_used() {
    let s = sim().await;
    let code = register(&s, MST).await;
    assert_eq!(
        verdict(&send(&s.tax, &package(MST, &numbers(&code, &[1]))).await),
        Verdict::Accepted
    );
    // 2 states a wrong total: the package is refused, 2 is named, 3 is clean.
    let mut bad = invoice(MST, &code, 2);
    bad.totals.total += 1;
    bad.totals.total_in_words = einvoice::amount_in_words(bad.totals.total);
    let replies = send(
        &s.tax,
        &package(MST, &[bad.clone(), invoice(MST, &code, 3)]),
    )
    .await;
    assert_eq!(
        named(check(&replies)),
        vec![("2".to_string(), vec!["EINV-025".to_string()])]
    );
    // 3 sent again alone: 2 exists (refused), so there is no gap.
    assert_eq!(
        verdict(&send(&s.tax, &package(MST, &numbers(&code, &[3]))).await),
        Verdict::Accepted
    );
    // 2 is corrected by replacement (4) and a 303 about 2, which the authority knows.
    assert_eq!(
        verdict(&send(&s.tax, &package(MST, &numbers(&code, &[4]))).await),
        Verdict::Accepted
    );
    let replies = send(
        &s.tax,
        &notice(vec![ErrorNoticeInvoice::of(
            &bad,
            NoticeAction::Replace,
            "Sai tổng tiền, thay bằng số 4",
        )]),
    )
    .await;
    assert_eq!(verdict(&replies), Verdict::Accepted, "{replies:?}");
    // A gap of several numbers is named whole.
    let replies = send(&s.tax, &package(MST, &numbers(&code, &[8]))).await;
    let c = check(&replies);
    assert!(
        c.invoices[0].reasons[0]
            .description
            .contains("thiếu số 5 đến 7"),
        "{c:?}"
    );
}

/// An authority that answers every request the same way.
async fn fake(
    status: u16,
    body: &'static str,
    delay: Duration,
) -> (HttpTax, tokio::task::JoinHandle<()>) {
    use axum::routing::any;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().fallback(any(move || async move {
        tokio::time::sleep(delay).await;
        (axum::http::StatusCode::from_u16(status).unwrap(), body)
    }));
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    let tax = HttpTax::with_timeout(&format!("http://{addr}"), Duration::from_millis(500));
    (tax, task)
}

#[tokio::test]
async fn client_errors_are_classified() {
    let xml = registration(MST);
    let (tax, t1) = fake(200, "<TDiep/>", Duration::ZERO).await;
    assert!(matches!(tax.submit(&xml).await, Err(TaxError::BadReply(_))));
    assert!(matches!(
        tax.replies("V0102182292-998AB").await,
        Err(TaxError::BadReply(_))
    ));
    assert!(matches!(
        tax.replies("../x").await,
        Err(TaxError::Refused(_))
    ));
    let (tax, t2) = fake(429, "slow down", Duration::ZERO).await;
    assert!(matches!(
        tax.submit(&xml).await,
        Err(TaxError::Unavailable(_))
    ));
    let (tax, t3) = fake(400, "no", Duration::ZERO).await;
    let e = tax.submit(&xml).await.unwrap_err();
    assert!(
        matches!(&e, TaxError::Refused(m) if m.contains("400")),
        "{e:?}"
    );
    let (tax, t4) = fake(200, "<DSTDiep/>", Duration::from_secs(3)).await;
    assert!(
        matches!(tax.replies("X1").await, Err(TaxError::Unavailable(_))),
        "timeout"
    );
    for t in [t1, t2, t3, t4] {
        t.abort();
    }
}
