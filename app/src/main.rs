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
    Serve(ServeArgs),
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
