//! `halong invoice parse FILE` and `halong invoice verify FILE [--ca CERTS]`: read an e-invoice
//! (`HDon`) or a message carrying invoices (`TDiep`), print it as JSON or check its signatures.
//! Exit status: 0 fine, 1 the document breaks a rule or a signature fails, 2 unreadable file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use einvoice::dsig::ChainStatus;
use einvoice::envelope::Header;
use einvoice::{Context, Invoice, Severity, VerifyOptions, Violation};
use serde_json::{Value, json};

#[derive(clap::Subcommand)]
pub enum InvoiceCommand {
    /// Print an invoice (HDon) or the invoices of a message (TDiep) as JSON; list every broken
    /// rule on stderr and exit 1 if there is an error.
    Parse { file: PathBuf },
    /// Check the structure and every XML signature (references, digests, signature value with
    /// the embedded certificate; RSA-SHA256 and RSA-SHA1); print each signer's certificate.
    /// Exit 1 if a signature fails, or if it does not chain to a CA given with --ca.
    Verify {
        file: PathBuf,
        /// Trusted CA certificates (PEM or DER files, comma-separated or repeated).
        #[arg(long, value_delimiter = ',')]
        ca: Vec<PathBuf>,
        /// Smallest RSA key accepted; 1024 admits old test-system certificates.
        #[arg(long, default_value_t = 1024)]
        min_rsa_bits: usize,
    },
}

pub fn run(cmd: InvoiceCommand) -> ExitCode {
    match cmd {
        InvoiceCommand::Parse { file } => match read_text(&file) {
            Ok(xml) => parse(&xml),
            Err(code) => code,
        },
        InvoiceCommand::Verify {
            file,
            ca,
            min_rsa_bits,
        } => {
            let anchors = match crate::config::read_certificates(&ca) {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("--ca: {e:#}");
                    return ExitCode::from(2);
                }
            };
            match read_text(&file) {
                Ok(xml) => verify(&xml, anchors, min_rsa_bits),
                Err(code) => code,
            }
        }
    }
}

fn read_text(file: &Path) -> Result<String, ExitCode> {
    let bytes = std::fs::read(file).map_err(|e| {
        eprintln!("{}: {e}", file.display());
        ExitCode::from(2)
    })?;
    String::from_utf8(bytes).map_err(|e| {
        eprintln!("{}: not UTF-8 ({e})", file.display());
        ExitCode::from(1)
    })
}

/// An `HDon`, or the header and invoices of a `TDiep`.
fn read_any(xml: &str) -> Result<(Option<Header>, Vec<Invoice>), einvoice::ReadError> {
    match einvoice::envelope::read_envelope_invoices(xml) {
        Ok((h, invs)) => Ok((Some(h), invs)),
        // Not a TDiep (or a broken one): read it as an invoice only if it is not a TDiep.
        Err(einvoice::ReadError::Missing(p)) if p == "TDiep" => {
            einvoice::read_invoice(xml).map(|i| (None, vec![i]))
        }
        Err(e) => Err(e),
    }
}

fn today() -> Option<einvoice::Date> {
    let t = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7));
    einvoice::Date::new(u16::try_from(t.year()).ok()?, u8::from(t.month()), t.day()).ok()
}

fn print_violations(prefix: &str, vs: &[Violation]) {
    for v in vs {
        let sev = match v.severity {
            Severity::Error => "lỗi/error",
            Severity::Warning => "cảnh báo/warning",
        };
        eprintln!(
            "{prefix}{} [{sev}] {}: {} / {}",
            v.rule.code(),
            v.path,
            v.message_vi,
            v.message_en
        );
    }
}

fn parse(xml: &str) -> ExitCode {
    let (header, invoices) = match read_any(xml) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("EINV-READ [lỗi/error] không đọc được hóa đơn / unreadable invoice: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ctx = Context { today: today() };
    let mut errors = 0;
    let mut out = Vec::new();
    for (i, inv) in invoices.iter().enumerate() {
        let vs = einvoice::validate(inv, &ctx);
        let prefix = if header.is_some() {
            format!("[{i}] ")
        } else {
            String::new()
        };
        print_violations(&prefix, &vs);
        errors += vs.iter().filter(|v| v.severity == Severity::Error).count();
        let mut j = invoice_json(inv);
        j["violations"] = vs
            .iter()
            .map(|v| {
                json!({"rule": v.rule.code(), "severity": format!("{:?}", v.severity),
                       "path": v.path, "message_vi": v.message_vi, "message_en": v.message_en})
            })
            .collect();
        out.push(j);
    }
    let doc = match header {
        Some(h) => json!({"envelope": header_json(&h), "invoices": out}),
        None => out.pop().unwrap_or(Value::Null),
    };
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    if errors > 0 {
        eprintln!("{errors} lỗi / errors");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn verify(xml: &str, trust_anchors: Vec<Vec<u8>>, min_rsa_bits: usize) -> ExitCode {
    let mut failed = false;
    match read_any(xml) {
        Ok((h, invs)) => {
            let what = h.map_or("HDon".to_string(), |h| format!("TDiep {}", h.kind));
            println!(
                "cấu trúc / structure: OK ({what}, {} hóa đơn / invoices)",
                invs.len()
            );
        }
        Err(e) => {
            println!("cấu trúc / structure: LỖI / FAILED: {e}");
            failed = true;
        }
    }
    let check_chain = !trust_anchors.is_empty();
    let opts = VerifyOptions {
        allow_sha1: true,
        min_rsa_bits,
        trust_anchors,
        now_unix: Some(time::OffsetDateTime::now_utc().unix_timestamp()),
    };
    let reports = match einvoice::verify_signatures(xml, &opts) {
        Ok(r) => r,
        Err(e) => {
            println!("chữ ký / signatures: LỖI / FAILED: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (i, r) in reports.iter().enumerate() {
        let ok = r.is_valid();
        println!(
            "chữ ký / signature {} ({}, in {}): {}",
            i + 1,
            r.signature_id.as_deref().unwrap_or("no Id"),
            r.container,
            if ok {
                "HỢP LỆ / VALID"
            } else {
                "SAI / INVALID"
            }
        );
        println!("  algorithm: {}", r.algorithm);
        for rf in &r.references {
            println!(
                "  reference {:?} → {}: digest {}{}",
                rf.uri,
                rf.target.as_deref().unwrap_or("?"),
                if rf.digest_valid { "OK" } else { "MISMATCH" },
                rf.error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            );
        }
        println!(
            "  signature value: {}",
            if r.signature_valid { "OK" } else { "MISMATCH" }
        );
        if let Some(e) = &r.error {
            println!("  error: {e}");
        }
        match &r.certificate {
            Some(c) => {
                println!("  subject: {}", c.subject);
                println!("  issuer: {}", c.issuer);
                println!("  serial: {}", c.serial);
                println!("  validity: {} .. {}", c.validity.0, c.validity.1);
                println!("  RSA bits: {}", c.rsa_bits);
                if c.valid_now == Some(false) {
                    // A signature made while the certificate was valid stays valid.
                    println!(
                        "  note: the certificate is not valid today (hết hạn / expired or not yet valid)"
                    );
                }
            }
            None => println!("  certificate: none"),
        }
        match &r.chain {
            ChainStatus::NotChecked => println!("  chain: not checked (no --ca)"),
            ChainStatus::Trusted => println!("  chain: chains to a given CA (tin cậy / trusted)"),
            ChainStatus::Untrusted(why) => {
                println!("  chain: does not chain to a given CA (không tin cậy / untrusted): {why}")
            }
        }
        let chain_ok = !check_chain || r.chain == ChainStatus::Trusted;
        failed |= !ok || !chain_ok;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn header_json(h: &Header) -> Value {
    json!({
        "version": h.version, "sender": h.sender, "receiver": h.receiver, "kind": h.kind,
        "id": h.id, "reference_id": h.reference_id, "tax_code": h.tax_code, "count": h.count,
    })
}

fn extra_json(fields: &[einvoice::ExtraField]) -> Value {
    fields
        .iter()
        .map(|f| json!({"name": f.name, "kind": f.kind, "value": f.value}))
        .collect()
}

/// The invoice as JSON: amounts in đồng (integers), quantities and rates as written.
pub fn invoice_json(inv: &Invoice) -> Value {
    let s = &inv.seller;
    let lines: Vec<Value> = inv
        .lines
        .iter()
        .map(|l| {
            json!({
                "kind": l.kind.code(), "number": l.number, "code": l.code, "name": l.name,
                "unit": l.unit, "quantity": l.quantity.map(|q| q.to_string()),
                "unit_price": l.unit_price, "discount_rate": l.discount_rate.map(|p| p.to_string()),
                "discount": l.discount, "amount": l.amount,
                "vat_rate": l.vat_rate.as_ref().map(|r| r.to_xml(inv.version)),
                "extra": extra_json(&l.extra),
            })
        })
        .collect();
    let t = &inv.totals;
    json!({
        "version": inv.version.as_str(),
        "data_id": inv.data_id,
        "title": inv.title,
        "form": inv.form,
        "symbol": inv.symbol,
        "number": inv.number,
        "record_code": inv.record_code,
        "issue_date": inv.issue_date.to_string(),
        "currency": inv.currency,
        "exchange_rate_x100": inv.exchange_rate,
        "payment_method": inv.payment_method,
        "provider_tax_code": inv.provider_tax_code,
        "related": inv.related.as_ref().map(|r| json!({
            "relation": r.relation, "source_kind": r.source_kind, "form": r.form,
            "symbol": r.symbol, "number": r.number, "date": r.date.to_string(), "note": r.note,
        })),
        "header_extra": extra_json(&inv.header_extra),
        "seller": {
            "name": s.name, "tax_code": s.tax_code, "address": s.address,
            "store_code": s.store_code, "store_name": s.store_name, "phone": s.phone,
            "email": s.email, "bank_account": s.bank_account, "bank_name": s.bank_name,
            "extra": extra_json(&s.extra),
        },
        "buyer": inv.buyer.as_ref().map(|b| json!({
            "name": b.name, "tax_code": b.tax_code, "budget_unit_code": b.budget_unit_code,
            "address": b.address, "customer_code": b.customer_code, "phone": b.phone,
            "citizen_id": b.citizen_id, "passport": b.passport, "email": b.email,
            "contact_name": b.contact_name, "bank_account": b.bank_account,
            "bank_name": b.bank_name, "extra": extra_json(&b.extra),
        })),
        "lines": lines,
        "totals": {
            "rates": t.rates.iter().map(|r| json!({
                "rate": r.rate.to_xml(inv.version), "base": r.base, "tax": r.tax,
            })).collect::<Vec<_>>(),
            "before_tax": t.before_tax,
            "tax": t.tax,
            "fees": t.fees.iter().map(|f| json!({"name": f.name, "amount": f.amount})).collect::<Vec<_>>(),
            "trade_discount": t.trade_discount,
            "total": t.total,
            "total_in_words": t.total_in_words,
            "extra": extra_json(&t.extra),
        },
        "content_extra": extra_json(&inv.content_extra),
        "data_extra": extra_json(&inv.data_extra),
        "qr_code": inv.qr_code,
        "authority_code": inv.authority_code,
    })
}
