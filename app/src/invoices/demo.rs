//! Demo cash registers: a few stall holders of the demo market (the demo owner's among them)
//! and a fuel station, registered with the (simulated) tax authority, with products, registers
//! and invoices already issued. Demo-marked like the rest of the demo province.

use super::store::{self, NewProduct, NewRegister, NewSale};
use super::{CartLine, Register, issue};
use crate::db::Db;
use crate::demo::Rng;
use crate::places::Places;

const PRODUCTS: &[(&str, &str, i64, &str)] = &[
    ("Chả mực Hạ Long", "kg", 380_000, "8%"),
    ("Sá sùng khô", "lạng", 450_000, "8%"),
    ("Nước mắm Cái Rồng", "chai", 65_000, "10%"),
    ("Mực một nắng", "kg", 650_000, "8%"),
    ("Rau cải ngọt", "bó", 10_000, "5%"),
    ("Gạo nếp cái hoa vàng", "kg", 35_000, "5%"),
    ("Bánh gật gù", "gói", 20_000, "8%"),
    ("Tôm he khô", "lạng", 290_000, "8%"),
];

const FUELS: &[(&str, i64)] = &[
    ("Xăng RON 95-III", 22_850),
    ("Xăng E5 RON 92-II", 21_920),
    ("Dầu DO 0,05S-II", 20_310),
];

pub async fn is_seeded(db: &Db) -> sqlx::Result<bool> {
    let n: i64 = crate::with_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM invoice_taxpayers WHERE is_demo").fetch_one(p).await)?;
    Ok(n > 0)
}

fn code5(rng: &mut Rng) -> String {
    const A: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..5).map(|_| *rng.pick(A) as char).collect()
}

/// Seeds once; needs the demo register (markets, merchants) and a signing key.
pub async fn seed(db: &Db, places: &Places, signer: &einvoice::SigningKey) -> anyhow::Result<()> {
    if is_seeded(db).await? {
        return Ok(());
    }
    let mut rng = Rng::new(0x4D54_5400); // "MTT"
    let market = crate::register::store::market_by_code(db, "DEMO-QN-001")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo market missing"))?;
    let q = crate::register::ListQuery {
        market_id: Some(market.id),
        per_page: Some(40),
        ..Default::default()
    };
    let stalls = crate::register::store::list_stalls(db, &q).await?.items;
    let mut sellers: Vec<(i64, i64)> = Vec::new();
    // The demo owner's merchant is the market's first in list order (see demo::seed_people).
    let first = crate::register::store::list_merchants(db, &q)
        .await?
        .items
        .into_iter()
        .next()
        .map(|m| m.id);
    for s in &stalls {
        if let Some(m) = s.merchant_id
            && !sellers.iter().any(|(x, _)| *x == m)
            && (Some(m) == first || sellers.len() < 5)
        {
            sellers.push((m, s.id));
        }
    }
    for (merchant, stall) in sellers {
        let m = crate::register::store::get_merchant(db, merchant)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo merchant"))?;
        let form = if m.kind == "enterprise" { 1 } else { 2 };
        store::taxpayer_pending(db, merchant, form, "HL", "DEMO", true).await?;
        store::taxpayer_answered(db, merchant, Some(&code5(&mut rng)), "").await?;
        let mut products = Vec::new();
        for (name, unit, price, rate) in PRODUCTS.iter().take(5 + (merchant % 4) as usize) {
            products.push(
                store::create_product(
                    db,
                    &NewProduct {
                        merchant_id: merchant,
                        name,
                        unit,
                        unit_price: *price,
                        vat_rate: rate,
                        is_fuel: false,
                        is_demo: true,
                    },
                )
                .await?,
            );
        }
        let register = store::create_register(
            db,
            &NewRegister {
                merchant_id: merchant,
                stall_id: Some(stall),
                kind: "stall",
                label: "Máy tại sạp",
                fuel_product_id: None,
                is_demo: true,
            },
        )
        .await?;
        for n in 0..(3 + rng.range(0, 6)) {
            let p = rng.pick(&products);
            let cart = vec![CartLine {
                product_id: p.id,
                name: p.name.clone(),
                unit: p.unit.clone(),
                quantity_milli: rng.range(1, 4) as i64 * 500,
                unit_price: p.unit_price,
                vat_rate: p.vat_rate.clone(),
            }];
            let method = *rng.pick(&["cash", "card", "ewallet", "cash"]);
            sell(db, signer, &register, &format!("demo-{n}"), &cart, method).await?;
        }
    }
    seed_fuel_station(db, places, signer, &mut rng).await
}

async fn sell(
    db: &Db,
    signer: &einvoice::SigningKey,
    register: &Register,
    key: &str,
    cart: &[CartLine],
    method: &str,
) -> anyhow::Result<()> {
    let merchant = crate::register::store::get_merchant(db, register.merchant_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo merchant"))?;
    let taxpayer = store::taxpayer(db, register.merchant_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo taxpayer"))?;
    let total = issue::check(&merchant, &taxpayer, cart, None)?;
    issue::sell(
        db,
        Some(signer),
        &NewSale {
            register_id: register.id,
            merchant_id: register.merchant_id,
            client_key: key,
            cart: &serde_json::to_string(cart)?,
            total,
            method,
            buyer: None,
            payment_request_id: None,
            replaces: None,
            status: "paid",
            created_by: None,
        },
        true,
    )
    .await?;
    Ok(())
}

/// A fuel station with three pumps of two nozzles: each sale at a nozzle is its own invoice.
async fn seed_fuel_station(
    db: &Db,
    places: &Places,
    signer: &einvoice::SigningKey,
    rng: &mut Rng,
) -> anyhow::Result<()> {
    let input = crate::register::MerchantInput {
        tax_code: "5700100256-025".into(),
        name: "Cửa hàng xăng dầu Bãi Cháy (mẫu)".into(),
        kind: "enterprise".into(),
        owner_name: "Trần Văn Sơn".into(),
        phone: None,
        address: "Đường Hạ Long, phường Bãi Cháy, Quảng Ninh".into(),
        place_code: places
            .communes()
            .find(|p| p.name.contains("Bãi Cháy"))
            .or_else(|| places.communes().next())
            .map(|p| p.code.clone())
            .unwrap_or_default(),
        payment_methods: vec![
            "cash".into(),
            "card".into(),
            "vietqr".into(),
            "ewallet".into(),
        ],
        status: "active".into(),
    };
    let row = crate::register::validate::merchant(&input, places)
        .map_err(|e| anyhow::anyhow!("demo fuel station: {e:?}"))?;
    let m = crate::register::store::create_merchant(db, &row, true).await?;
    store::taxpayer_pending(db, m.id, 1, "XD", "DEMO", true).await?;
    store::taxpayer_answered(db, m.id, Some(&code5(rng)), "").await?;
    let mut fuels = Vec::new();
    for (name, price) in FUELS {
        fuels.push(
            store::create_product(
                db,
                &NewProduct {
                    merchant_id: m.id,
                    name,
                    unit: "lít",
                    unit_price: *price,
                    vat_rate: "10%",
                    is_fuel: true,
                    is_demo: true,
                },
            )
            .await?,
        );
    }
    for pump in 1..=3 {
        for (i, nozzle) in ["A", "B"].iter().enumerate() {
            let fuel = &fuels[(pump + i) % fuels.len()];
            let label = format!("Trụ {pump} vòi {nozzle}");
            let r = store::create_register(
                db,
                &NewRegister {
                    merchant_id: m.id,
                    stall_id: None,
                    kind: "fuel_pump",
                    label: &label,
                    fuel_product_id: Some(fuel.id),
                    is_demo: true,
                },
            )
            .await?;
            for n in 0..rng.range(2, 5) {
                let cart = vec![CartLine {
                    product_id: fuel.id,
                    name: fuel.name.clone(),
                    unit: fuel.unit.clone(),
                    quantity_milli: rng.range(3_000, 45_000) as i64,
                    unit_price: fuel.unit_price,
                    vat_rate: fuel.vat_rate.clone(),
                }];
                let method = *rng.pick(&["cash", "card", "ewallet"]);
                sell(db, signer, &r, &format!("demo-{n}"), &cart, method).await?;
            }
        }
    }
    Ok(())
}
