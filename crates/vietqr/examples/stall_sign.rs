//! Print an A6 stall-sign SVG for a static VietQR to stdout.
//!
//! `cargo run -p vietqr --example stall_sign -- 970436 0011012346789 "Chợ Hạ Long I" A-12 "Đặng Thị Hồng" > sign.svg`

use vietqr::render::{SignInfo, stall_sign_svg};
use vietqr::{Initiation, Service, VietQr};

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_owned());
    let qr = VietQr {
        initiation: Initiation::Static,
        bin: arg(0, "970436"),
        account: arg(1, "0011012346789"),
        service: Some(Service::ToAccount),
        ..VietQr::default()
    };
    let market = arg(2, "Chợ Hạ Long I");
    let info = SignInfo::from_vietqr(&qr, &market, &arg(3, "A-12"), &arg(4, "Đặng Thị Hồng"));
    match info {
        Ok(info) => println!("{}", stall_sign_svg(&info)),
        Err(e) => {
            eprintln!("{e} / {}", e.message_vi());
            std::process::exit(2);
        }
    }
}
