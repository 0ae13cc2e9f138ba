//! `halong`: the one binary of the platform.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use halong::config::{Config, DbArgs, ServeArgs};
use halong::import::{self, ImportError, Kind};

#[derive(Parser)]
#[command(
    name = "halong",
    version,
    about = "Halong — nền tảng kinh tế số không tiền mặt của tỉnh"
)]
struct Cli {
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, global = true, env = "HALONG_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and API.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and seed reference data, then exit.
    Migrate(DbArgs),
    /// Import markets, stalls or merchants from a CSV file (all or nothing).
    Import {
        /// markets, stalls or merchants
        kind: Kind,
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// VietQR: decode, encode and render payloads.
    #[command(subcommand)]
    Qr(QrCommand),
    /// Administrators and API tokens (works on the configured database, also while serving).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Local simulators of outside systems, for tests and the demo.
    #[command(subcommand)]
    Sim(SimCommand),
    /// E-invoices (HĐĐT / MTT XML): print as JSON, check signatures.
    #[command(subcommand)]
    Invoice(halong::invoice_cli::InvoiceCommand),
    /// The demo province and its synthetic data sets.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// The indicators' aggregates (docs/INDICATORS.md): check or rebuild them.
    #[command(subcommand)]
    Indicators(IndicatorsCommand),
}

#[derive(Subcommand)]
enum IndicatorsCommand {
    /// Compare the aggregates kept on the write path with a full recomputation from the records;
    /// exit 1 and list the differences if any.
    Check {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Recompute every aggregate table from the records, in one transaction.
    Rebuild {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Generate a demo-marked year of receipts and fee bills on top of the demo province (seeded
    /// if absent), in one transaction (docs/scale.md).
    Generate {
        /// province (10,000,000 payments) or small (100,000).
        #[arg(long, default_value = "province")]
        scale: String,
        /// Number of payments (overrides the scale's).
        #[arg(long)]
        payments: Option<u64>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// First month, YYYY-MM (local calendar).
        #[arg(long, default_value = "2026-01")]
        start: String,
        #[arg(long, default_value_t = 12)]
        months: u32,
        /// Delete a previously generated data set (only its rows) instead of refusing.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create (or promote) a province administrator.
    Create {
        #[arg(long)]
        phone: String,
        #[arg(long, default_value = "Quản trị viên")]
        name: String,
        /// Password for password sign-in (at least 10 characters); from the environment so it
        /// stays out of shell history.
        #[arg(long, env = "HALONG_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print a new API token for a person (`Authorization: Bearer …`).
    Token {
        #[arg(long)]
        phone: String,
        /// read (GET only) or write.
        #[arg(long, default_value = "write")]
        scope: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum SimCommand {
    /// A local SMS gateway speaking the eSMS JSON protocol; lists what it was asked to send.
    Sms {
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: std::net::SocketAddr,
    },
    /// A local tax authority (TCT) for MTT e-invoices: registration 100 → 103, invoice
    /// packages 206 → 204, notices 303 → 301, each acknowledged by 999 (docs/tax.md).
    Tax {
        #[arg(long, default_value = "127.0.0.1:9091")]
        listen: std::net::SocketAddr,
        /// Answer the first N protocol requests with 503 (to exercise retries).
        #[arg(long, default_value_t = 0)]
        fail_first: u32,
        /// Hold replies back this many milliseconds after a message arrives.
        #[arg(long, default_value_t = 0)]
        reply_delay_ms: u64,
    },
    /// The buyer's bank app and the notification provider: scans VietQR codes, pays them, and
    /// sends Halong correctly signed notifications in the provider's format, with faults.
    Bank(BankArgs),
}

#[derive(clap::Args)]
struct BankArgs {
    /// Halong's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    target: String,
    /// payos, casso, sepay or vietqr.
    #[arg(long, default_value = "payos")]
    provider: String,
    /// The provider's secret, as configured in Halong (HALONG_PAYOS_CHECKSUM_KEY, …).
    #[arg(long, env = "HALONG_SIM_SECRET", hide_env_values = true)]
    secret: String,
    /// A VietQR payload to pay (repeatable); each payment picks the next one.
    #[arg(long)]
    payload: Vec<String>,
    /// A file with one payload per line.
    #[arg(long)]
    payloads: Option<PathBuf>,
    /// The amount the buyer types for static codes.
    #[arg(long)]
    amount: Option<i64>,
    /// Number of payments.
    #[arg(long, default_value_t = 1)]
    count: usize,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Percent of notifications sent twice.
    #[arg(long, default_value_t = 0)]
    duplicate_pct: u64,
    /// Percent of notifications never sent.
    #[arg(long, default_value_t = 0)]
    drop_pct: u64,
    /// Random delay before each notification, up to this many milliseconds (reorders them).
    #[arg(long, default_value_t = 0)]
    max_delay_ms: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Subcommand)]
enum QrCommand {
    /// Decode a payload strictly and print its fields as JSON (exit 1 on invalid input).
    Decode { payload: String },
    /// Encode a VietQR payload: static without --amount, dynamic with it.
    Encode {
        /// Beneficiary bank BIN (6 digits) or bank code (e.g. VCB).
        #[arg(long)]
        bin: String,
        /// Account number, card number or merchant id.
        #[arg(long)]
        account: String,
        #[arg(long, value_enum, default_value = "account")]
        service: ServiceArg,
        /// Amount in whole đồng.
        #[arg(long)]
        amount: Option<u64>,
        /// Purpose / reference (62/08); Vietnamese is transliterated.
        #[arg(long)]
        memo: Option<String>,
        /// Bill number (62/01).
        #[arg(long)]
        bill: Option<String>,
        /// Merchant name (59).
        #[arg(long)]
        name: Option<String>,
        /// Merchant city (60).
        #[arg(long)]
        city: Option<String>,
    },
    /// Render a payload as a QR image (PNG or SVG by the file extension).
    Render {
        payload: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ServiceArg {
    Account,
    Card,
    Merchant,
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_json);
    match run(cli.command).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<std::process::ExitCode> {
    match command {
        Command::Serve(args) => halong::server::serve(Config::from_serve_args(&args)?).await?,
        Command::Migrate(db) => {
            let config = Config::from_db_args(&db)?;
            let state = halong::server::prepare(&config).await?;
            state.db.close().await;
            eprintln!("migrated {}", config.database_url);
        }
        Command::Import { kind, file, db } => return import_file(kind, &file, &db).await,
        Command::Qr(q) => return qr(q),
        Command::Invoice(i) => return Ok(halong::invoice_cli::run(i)),
        Command::Admin(a) => admin(a).await?,
        Command::Sim(SimCommand::Sms { listen }) => halong::sms::run_sim(listen).await?,
        Command::Sim(SimCommand::Tax {
            listen,
            fail_first,
            reply_delay_ms,
        }) => {
            halong::tax::sim::run_sim(
                listen,
                fail_first,
                std::time::Duration::from_millis(reply_delay_ms),
            )
            .await?
        }
        Command::Sim(SimCommand::Bank(args)) => sim_bank(args).await?,
        Command::Demo(DemoCommand::Generate {
            scale,
            payments,
            seed,
            start,
            months,
            replace,
            db,
        }) => {
            let mut opts = halong::scale::Options::for_scale(&scale)?;
            if let Some(n) = payments {
                opts.payments = n;
            }
            let (y, m) = start
                .split_once('-')
                .and_then(|(y, m)| Some((y.parse().ok()?, m.parse().ok()?)))
                .ok_or_else(|| anyhow::anyhow!("--start is YYYY-MM"))?;
            // Checked before anything is written (the demo province is seeded first).
            anyhow::ensure!((1..=12).contains(&m), "--start is YYYY-MM (month 01–12)");
            (opts.seed, opts.start_year, opts.start_month) = (seed, y, m);
            (opts.months, opts.replace) = (months, replace);
            demo_generate(&db, &opts).await?;
        }
        Command::Indicators(c) => return indicators(c).await,
        Command::Openapi => {
            let (_, api) = halong::api::router();
            println!("{}", api.to_pretty_json()?);
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

async fn import_file(
    kind: Kind,
    file: &PathBuf,
    db: &DbArgs,
) -> anyhow::Result<std::process::ExitCode> {
    let bytes = std::fs::read(file)?;
    let config = Config::from_db_args(db)?;
    let state = halong::server::prepare(&config).await?;
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec})")?
            .progress_chars("=> "),
    );
    bar.set_message("ghi / writing");
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let started = std::time::Instant::now();
    let result = import::import_csv(&state.db, &state.places, kind, &bytes, &progress).await;
    bar.finish_and_clear();
    state.db.close().await;
    match result {
        Ok(r) => {
            println!("{}", serde_json::to_string_pretty(&r)?);
            eprintln!("done in {:.2} s", started.elapsed().as_secs_f64());
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(ImportError::Invalid(errors)) => {
            eprintln!("Tệp bị từ chối, không có gì được ghi / file rejected, nothing written:");
            for e in &errors {
                eprintln!(
                    "  dòng/line {} [{}] {}: {} / {}",
                    e.row, e.column, e.code, e.message_vi, e.message_en
                );
            }
            Ok(std::process::ExitCode::from(2))
        }
        Err(ImportError::Malformed { vi, en }) => {
            eprintln!("{vi} / {en}");
            Ok(std::process::ExitCode::from(2))
        }
        Err(ImportError::Db(e)) => Err(e.into()),
    }
}

async fn demo_generate(db: &DbArgs, opts: &halong::scale::Options) -> anyhow::Result<()> {
    let config = Config::from_db_args(db)?;
    let state = halong::server::prepare(&config).await?;
    halong::demo::seed(&state.db, &state.places).await?;
    let bar = indicatif::ProgressBar::new(opts.payments).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
        )?
        .progress_chars("=> "),
    );
    bar.set_message("thanh toán / payments");
    let progress = |done: u64, _total: u64| bar.set_position(done);
    let result = halong::scale::generate(&state.db, opts, &progress).await;
    bar.finish_and_clear();
    state.db.close().await;
    let summary = result?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

async fn indicators(command: IndicatorsCommand) -> anyhow::Result<std::process::ExitCode> {
    use halong::indicators::aggregates::{check_aggregates, rebuild_aggregates};
    let (IndicatorsCommand::Check { db } | IndicatorsCommand::Rebuild { db }) = &command;
    let state = halong::server::prepare(&Config::from_db_args(db)?).await?;
    let started = std::time::Instant::now();
    // Some(differences) for a check, None for a rebuild; the pool is closed either way.
    let result = match command {
        IndicatorsCommand::Check { .. } => check_aggregates(&state.db).await.map(Some),
        IndicatorsCommand::Rebuild { .. } => rebuild_aggregates(&state.db).await.map(|()| None),
    };
    state.db.close().await;
    let secs = started.elapsed().as_secs_f64();
    let Some(found) = result? else {
        eprintln!("rebuilt in {secs:.1} s");
        return Ok(std::process::ExitCode::SUCCESS);
    };
    for line in found.iter().take(50) {
        println!("{line}");
    }
    if found.len() > 50 {
        println!("… and {} more", found.len() - 50);
    }
    eprintln!("{} difference(s) in {secs:.1} s", found.len());
    Ok(if found.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

fn qr(command: QrCommand) -> anyhow::Result<std::process::ExitCode> {
    match command {
        QrCommand::Decode { payload } => match vietqr::decode(payload.trim()) {
            Ok(d) => println!("{}", serde_json::to_string_pretty(&d)?),
            Err(e) => {
                eprintln!("error: {} ({}) / {}", e, e.code(), e.message_vi());
                return Ok(std::process::ExitCode::FAILURE);
            }
        },
        QrCommand::Encode {
            bin,
            account,
            service,
            amount,
            memo,
            bill,
            name,
            city,
        } => {
            let bin = match vietqr::banks::by_code(&bin) {
                Some(b) if bin.len() != 6 => b.bin.clone(),
                _ => bin,
            };
            let qr = vietqr::VietQr {
                initiation: if amount.is_some() {
                    vietqr::Initiation::Dynamic
                } else {
                    vietqr::Initiation::Static
                },
                bin,
                account,
                service: Some(match service {
                    ServiceArg::Account => vietqr::Service::ToAccount,
                    ServiceArg::Card => vietqr::Service::ToCard,
                    ServiceArg::Merchant => vietqr::Service::Push,
                }),
                amount,
                memo,
                bill_number: bill,
                merchant_name: name,
                merchant_city: city,
                ..vietqr::VietQr::default()
            };
            match qr.encode() {
                Ok(p) => println!("{p}"),
                Err(e) => {
                    eprintln!("error: {} ({}) / {}", e, e.code(), e.message_vi());
                    return Ok(std::process::ExitCode::FAILURE);
                }
            }
        }
        QrCommand::Render { payload, out } => {
            let payload = payload.trim();
            vietqr::decode(payload).map_err(|e| anyhow::anyhow!("invalid payload: {e}"))?;
            let bytes = match out.extension().and_then(|e| e.to_str()) {
                Some("svg") => vietqr::render::try_to_svg(payload)?.into_bytes(),
                Some("png") => vietqr::render::try_to_png(payload, 8)?,
                _ => anyhow::bail!("--out must end in .png or .svg"),
            };
            std::fs::write(&out, bytes)?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    use halong::auth::store;
    match command {
        AdminCommand::Create {
            phone,
            name,
            password,
            db,
        } => {
            let phone = identity::phone::Phone::parse(&phone)
                .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
            if password.as_ref().is_some_and(|p| p.chars().count() < 10) {
                anyhow::bail!("the password needs at least 10 characters");
            }
            let state = halong::server::prepare(&Config::from_db_args(&db)?).await?;
            let person = store::ensure_person(&state.db, &name, phone.as_national(), false).await?;
            if let Some(pw) = password {
                store::set_password(
                    &state.db,
                    person.id,
                    &halong::auth::routes::hash_password(&pw)?,
                )
                .await?;
            }
            store::grant(&state.db, person.id, "admin", 0, None).await?;
            store::audit(
                &state.db,
                &store::AuditEntry {
                    actor: "cli".into(),
                    action: "admin.create".into(),
                    object_kind: "person".into(),
                    object_id: person.id.to_string(),
                    ..Default::default()
                },
            )
            .await?;
            println!("administrator {} ({})", person.id, phone.masked());
            state.db.close().await;
        }
        AdminCommand::Token {
            phone,
            scope,
            name,
            db,
        } => {
            anyhow::ensure!(
                scope == "read" || scope == "write",
                "--scope is read or write"
            );
            let phone = identity::phone::Phone::parse(&phone)
                .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
            let state = halong::server::prepare(&Config::from_db_args(&db)?).await?;
            let person = store::person_by_phone(&state.db, phone.as_national())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no person with phone {}", phone.masked()))?;
            let (token, secret) = store::create_token(&state.db, person.id, &name, &scope).await?;
            store::audit(
                &state.db,
                &store::AuditEntry {
                    actor_id: Some(person.id),
                    actor: "cli".into(),
                    action: "token.create".into(),
                    object_kind: "api_token".into(),
                    object_id: token.id.to_string(),
                    ..Default::default()
                },
            )
            .await?;
            println!("{secret}");
            state.db.close().await;
        }
    }
    Ok(())
}

async fn sim_bank(a: BankArgs) -> anyhow::Result<()> {
    use halong::sim_bank::{BankSim, Faults, scan_and_pay};
    let provider = a
        .provider
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown provider {}", a.provider))?;
    let mut codes = a.payload.clone();
    if let Some(file) = &a.payloads {
        codes.extend(
            std::fs::read_to_string(file)?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    anyhow::ensure!(!codes.is_empty(), "give --payload or --payloads");
    // Numeric ids (Casso and SePay require them), unique across runs.
    let base = u64::try_from(halong::db::now_micros())? * 1000;
    let payments = (0..a.count)
        .map(|i| {
            scan_and_pay(
                &codes[i % codes.len()],
                a.amount,
                &(base + i as u64).to_string(),
            )
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let sim = BankSim {
        target: a.target,
        provider,
        secret: a.secret,
        faults: Faults {
            duplicate_pct: a.duplicate_pct,
            drop_pct: a.drop_pct,
            max_delay: std::time::Duration::from_millis(a.max_delay_ms),
        },
        seed: a.seed,
    };
    let report = sim.run(payments, a.concurrency).await;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
