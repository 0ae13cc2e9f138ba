//! Configuration of `halong serve`: command line, then environment (`HALONG_LISTEN`,
//! `HALONG_DATA_DIR`, `DATABASE_URL`), then an optional TOML file, then defaults
//! (127.0.0.1:8080, SQLite under `./halong-data/`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(clap::Args, Clone, Debug, Default)]
pub struct DbArgs {
    /// Directory for the embedded SQLite database and other local files.
    #[arg(long, env = "HALONG_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` for PostgreSQL, or `sqlite://FILE`; default: SQLite in the data dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// TOML file with `listen`, `data_dir`, `database_url`, `demo`, `tax_url` (default: ./halong.toml if
    /// present).
    #[arg(long, env = "HALONG_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(clap::Args, Clone, Debug, Default)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HALONG_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Seed the synthetic demo province (once; idempotent) and show demo hints.
    #[arg(long, env = "HALONG_DEMO")]
    pub demo: bool,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub sms: SmsArgs,
    /// Base URL of the tax authority (protocol in docs/tax.md). Without it, `--demo` runs the
    /// simulator inside the server at `/sim/tax`; otherwise sending to the tax authority fails
    /// as unavailable.
    #[arg(long, env = "HALONG_TAX_URL")]
    pub tax_url: Option<String>,
    /// Mark session cookies `Secure` (set when served over HTTPS behind a proxy).
    #[arg(long, env = "HALONG_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Country-signing CA certificates (DER or PEM files, comma-separated) for passive
    /// authentication of chip ID cards; without them eKYC level 2 records "not configured".
    #[arg(long, env = "HALONG_CSCA_CERTS", value_delimiter = ',')]
    pub csca_certs: Vec<PathBuf>,
    #[command(flatten)]
    pub providers: crate::receipts::ProviderSecrets,
    #[command(flatten)]
    pub einvoice: EinvoiceArgs,
}

/// The key that signs e-invoices (PKCS#8 private key and its certificate, DER or PEM). Without
/// them, `--demo` signs with the bundled TEST key and otherwise invoices cannot be issued.
#[derive(clap::Args, Clone, Debug, Default, PartialEq)]
pub struct EinvoiceArgs {
    #[arg(long = "einvoice-key", env = "HALONG_EINVOICE_KEY")]
    pub key: Option<PathBuf>,
    #[arg(long = "einvoice-cert", env = "HALONG_EINVOICE_CERT")]
    pub cert: Option<PathBuf>,
}

/// The SMS gateway (eSMS-style JSON API). Without a URL, `--demo` runs the simulator inside the
/// server at `/sim/sms`; otherwise sign-in by SMS code is unavailable.
#[derive(clap::Args, Clone, Debug, Default, PartialEq)]
pub struct SmsArgs {
    #[arg(long = "sms-url", env = "HALONG_SMS_URL")]
    pub url: Option<String>,
    #[arg(long = "sms-api-key", env = "HALONG_SMS_API_KEY", default_value = "")]
    pub api_key: String,
    #[arg(long = "sms-secret", env = "HALONG_SMS_SECRET", default_value = "")]
    pub secret: String,
    #[arg(
        long = "sms-brandname",
        env = "HALONG_SMS_BRANDNAME",
        default_value = "HALONG"
    )]
    pub brandname: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    demo: Option<bool>,
    tax_url: Option<String>,
}

/// `Default` is the unconfigured default: 127.0.0.1:8080, SQLite in `./halong-data/`.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub demo: bool,
    pub sms: SmsArgs,
    pub tax_url: Option<String>,
    pub secure_cookies: bool,
    pub csca_certs: Vec<PathBuf>,
    pub providers: crate::receipts::ProviderSecrets,
    pub einvoice: EinvoiceArgs,
}

fn read_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("halong.toml"), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(s) => {
            toml::from_str(&s).map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))
        }
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            Ok(FileConfig::default())
        }
        Err(e) => Err(anyhow::anyhow!("config file {}: {e}", path.display())),
    }
}

impl Config {
    pub fn from_serve_args(args: &ServeArgs) -> anyhow::Result<Config> {
        let file = read_file(args.db.config.as_deref())?;
        let data_dir = args
            .db
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("halong-data"));
        let database_url = args
            .db
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("halong.db").display()));
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        Ok(Config {
            listen,
            data_dir,
            database_url,
            demo: args.demo || file.demo.unwrap_or(false),
            sms: args.sms.clone(),
            tax_url: args.tax_url.clone().or(file.tax_url),
            secure_cookies: args.secure_cookies,
            csca_certs: args.csca_certs.clone(),
            providers: args.providers.clone(),
            einvoice: args.einvoice.clone(),
        })
    }

    /// Database settings for commands that only need the database (`migrate`, `import`).
    pub fn from_db_args(args: &DbArgs) -> anyhow::Result<Config> {
        Config::from_serve_args(&ServeArgs {
            db: args.clone(),
            ..Default::default()
        })
    }

    /// Creates the data directory when the database lives in it.
    pub fn prepare_dirs(&self) -> anyhow::Result<()> {
        if self.database_url.starts_with("sqlite:") {
            std::fs::create_dir_all(&self.data_dir)?;
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("halong-data"),
            database_url: "sqlite://halong-data/halong.db".into(),
            demo: false,
            sms: SmsArgs::default(),
            tax_url: None,
            secure_cookies: false,
            csca_certs: Vec::new(),
            providers: Default::default(),
            einvoice: EinvoiceArgs::default(),
        }
    }
}

/// Reads certificates given as DER or PEM files (a PEM file may hold several).
pub fn read_certificates(paths: &[PathBuf]) -> anyhow::Result<Vec<Vec<u8>>> {
    use base64::Engine;
    let mut out = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            out.push(bytes);
            continue;
        };
        let mut found = false;
        for block in text.split("-----BEGIN CERTIFICATE-----").skip(1) {
            let body = block
                .split("-----END CERTIFICATE-----")
                .next()
                .unwrap_or_default();
            let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            out.push(base64::engine::general_purpose::STANDARD.decode(b64)?);
            found = true;
        }
        anyhow::ensure!(found, "{}: no certificate found", path.display());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_file_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("h.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\ndata_dir = \"/srv/h\"\n").unwrap();
        let mut args = ServeArgs::default();
        args.db.config = Some(file.clone());
        let c = Config::from_serve_args(&args).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(c.database_url, "sqlite:///srv/h/halong.db");
        args.listen = Some("127.0.0.1:1".parse().unwrap());
        args.db.database_url = Some("postgres://x/y".into());
        let c = Config::from_serve_args(&args).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:1");
        assert_eq!(c.database_url, "postgres://x/y");
        assert_eq!(c.tax_url, None);
        std::fs::write(&file, "tax_url = \"http://tvan.example/tax\"\n").unwrap();
        assert_eq!(
            Config::from_serve_args(&args).unwrap().tax_url.as_deref(),
            Some("http://tvan.example/tax")
        );
        args.tax_url = Some("http://127.0.0.1:9/".into());
        assert_eq!(
            Config::from_serve_args(&args).unwrap().tax_url.as_deref(),
            Some("http://127.0.0.1:9/"),
            "the flag (or HALONG_TAX_URL) wins over the file"
        );
        std::fs::write(&file, "lisen = 1\n").unwrap();
        assert!(
            Config::from_serve_args(&args).is_err(),
            "unknown keys are refused"
        );
    }
}
