//! Money received at stalls: payment requests (a dynamic VietQR with the amount and a short
//! reference), bank notifications from payOS, Casso, SePay and VietQR.vn (each checked by its own
//! signature scheme, deduplicated by the provider's transaction id, matched to a request or a
//! stall), and the merchant's live view.

pub mod adjust;
pub mod direct;
pub mod live;
pub mod notify;
pub mod posting;
pub mod requests;
pub mod statements;
pub mod writer;

pub use direct::{DirectReceipt, Method, record_direct};

/// `35000` → `35.000` (Vietnamese thousands separator).
pub fn dong(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if amount < 0 { format!("-{out}") } else { out }
}

/// Provider secrets, from the environment (`HALONG_PAYOS_CHECKSUM_KEY`,
/// `HALONG_CASSO_CHECKSUM_KEY`, `HALONG_SEPAY_SECRET`, `HALONG_VIETQR_PASSWORD`).
#[derive(clap::Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderSecrets {
    #[arg(long, env = "HALONG_PAYOS_CHECKSUM_KEY", hide_env_values = true)]
    pub payos: Option<String>,
    #[arg(long, env = "HALONG_CASSO_CHECKSUM_KEY", hide_env_values = true)]
    pub casso: Option<String>,
    #[arg(long, env = "HALONG_SEPAY_SECRET", hide_env_values = true)]
    pub sepay: Option<String>,
    /// VietQR.vn partner callback: the password VietQR.vn uses (with user `vietqr`) to get a
    /// token, and the key that token is signed with.
    #[arg(long, env = "HALONG_VIETQR_PASSWORD", hide_env_values = true)]
    pub vietqr: Option<String>,
}

impl ProviderSecrets {
    pub fn get(&self, p: banknotify::Provider) -> Option<&str> {
        match p {
            banknotify::Provider::Payos => self.payos.as_deref(),
            banknotify::Provider::Casso => self.casso.as_deref(),
            banknotify::Provider::Sepay => self.sepay.as_deref(),
            banknotify::Provider::Vietqr => self.vietqr.as_deref(),
        }
        .filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dong_groups_thousands() {
        assert_eq!(super::dong(35_000), "35.000");
        assert_eq!(super::dong(1_234_567), "1.234.567");
        assert_eq!(super::dong(999), "999");
        assert_eq!(super::dong(-1000), "-1.000");
    }
}
