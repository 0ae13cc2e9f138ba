//! The demo province: a synthetic but realistic Quảng Ninh (43 markets: 19 of class 1, 11 of
//! class 2, 13 of class 3, with stalls, merchants and payout accounts), seeded once and
//! idempotently by `halong serve --demo`. Every record is marked `is_demo`; codes start with
//! `DEMO-`, so they never collide with real data. Generation is deterministic (fixed seed).

use std::collections::HashSet;

use crate::db::{Arg, Db};
use crate::import::{self, MerchantImport, Plan};
use crate::places::Places;
use crate::register::validate;
use crate::register::{BankAccountInput, MarketInput, MerchantInput, StallInput};
use crate::text;

const MARKER: &str = "demo_seeded_v1";

/// Markets per class, as the province reports them.
pub const CLASS_COUNTS: [(i16, usize); 3] = [(1, 19), (2, 11), (3, 13)];

/// SplitMix64: tiny, fast, and stable across crate versions, so the demo is the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64 - 1) as usize]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(1, 100) <= percent
    }
}

const SURNAMES: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô",
];
const MIDDLE: &[&str] = &["Thị", "Văn", "Thu", "Minh", "Ngọc", "Đức", "Thanh", "Hồng"];
const GIVEN: &[&str] = &[
    "Lan", "Hoa", "Hùng", "Dũng", "Mai", "Hương", "Tuấn", "Nga", "Bình", "Yến", "Sơn", "Hải",
    "Thủy", "Đào", "Quỳnh", "Phương",
];
const CATEGORIES: &[&str] = &[
    "Rau củ",
    "Thịt lợn",
    "Hải sản",
    "Quần áo",
    "Tạp hóa",
    "Hoa quả",
    "Đồ khô",
    "Ăn uống",
    "Gạo",
    "Gia cầm",
];
/// Banks that most stall holders use (real BINs).
const BANK_BINS: &[&str] = &[
    "970436", "970415", "970418", "970405", "970422", "970407", "970416", "970432",
];

pub async fn is_seeded(db: &Db) -> sqlx::Result<bool> {
    has_marker(db, MARKER).await
}

/// Whether a one-time seeding marked by `key` in `meta` has run.
pub async fn has_marker(db: &Db, key: &str) -> sqlx::Result<bool> {
    let n: i64 = crate::with_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM meta WHERE key = $1").bind(key).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Writes a seeding's marker first in its transaction: a second server seeding at the same
/// moment fails on the key and rolls back instead of seeding twice.
pub async fn claim_marker(tx: &mut crate::db::Tx, key: &str, value: &str) -> sqlx::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2)",
        &[Arg::Text(key.into()), Arg::Text(value.into())],
    )
    .await
    .map(|_| ())
}

/// Seeds the demo province once; a second call does nothing.
pub async fn seed(db: &Db, places: &Places) -> anyhow::Result<()> {
    if !is_seeded(db).await? {
        seed_register(db, places).await?;
    }
    seed_people(db).await
}

async fn seed_register(db: &Db, places: &Places) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut rng = Rng::new(0x4841_4C4F_4E47); // "HALONG"
    let markets = demo_markets(&mut rng, places)?;
    let mut tx = db.begin().await?;
    claim_marker(&mut tx, MARKER, &crate::db::now_micros().to_string()).await?;
    let plan = Plan {
        insert: markets.clone(),
        update: vec![],
        unchanged: 0,
    };
    import::write_markets(&mut tx, &plan, true, &|_, _| {}).await?;
    let market_ids = tx
        .fetch_keys(
            "SELECT id, code FROM markets WHERE is_demo = $1",
            &[Arg::Bool(true)],
        )
        .await?;

    let mut merchants = Vec::new();
    let mut stall_specs = Vec::new();
    for m in &markets {
        let id = market_ids
            .iter()
            .find(|(_, c)| *c == m.input.code)
            .map(|(id, _)| *id);
        let id = id.ok_or_else(|| anyhow::anyhow!("demo market {} not stored", m.input.code))?;
        for n in 0..m.input.business_points {
            let zone = char::from(b'A' + u8::try_from(n % 6).expect("small"));
            let code = format!("{zone}-{:03}", n / 6 + 1);
            let occupied = rng.chance(92);
            let merchant = occupied.then(|| {
                merchants.push(demo_merchant(
                    &mut rng,
                    places,
                    &m.input.place_code,
                    merchants.len(),
                ));
                merchants.len() - 1
            });
            stall_specs.push((id, code, zone, merchant));
        }
    }
    let merchant_rows = merchants.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let plan = Plan {
        insert: merchant_rows,
        update: vec![],
        unchanged: 0,
    };
    import::write_merchants(&mut tx, &plan, &HashSet::new(), true, &|_, _| {}).await?;
    let merchant_ids: std::collections::HashMap<String, i64> = tx
        .fetch_keys(
            "SELECT id, tax_code FROM merchants WHERE is_demo = $1",
            &[Arg::Bool(true)],
        )
        .await?
        .into_iter()
        .map(|(id, t)| (t, id))
        .collect();

    let mut stalls = Vec::with_capacity(stall_specs.len());
    for (market_id, code, zone, merchant) in stall_specs {
        let merchant_id = merchant.map(|i| merchant_ids[&plan.insert[i].row.input.tax_code]);
        let input = StallInput {
            market_id,
            code,
            zone: format!("Khu {zone}"),
            category: rng.pick(CATEGORIES).to_string(),
            status: if merchant_id.is_some() {
                "active"
            } else {
                "vacant"
            }
            .into(),
            merchant_id,
        };
        stalls.push(validate::stall(&input).map_err(|e| anyhow::anyhow!("demo stall: {e:?}"))?);
    }
    let n_stalls = stalls.len();
    let plan_stalls = Plan {
        insert: stalls,
        update: vec![],
        unchanged: 0,
    };
    import::write_stalls(&mut tx, &plan_stalls, true, &|_, _| {}).await?;
    tx.commit().await?;
    tracing::info!(
        markets = markets.len(),
        merchants = plan.insert.len(),
        stalls = n_stalls,
        ms = started.elapsed().as_millis() as u64,
        "demo province seeded"
    );
    Ok(())
}

fn demo_markets(rng: &mut Rng, places: &Places) -> anyhow::Result<Vec<validate::MarketRow>> {
    // Class 1 markets sit in the city wards; classes 2 and 3 spread over all communes.
    let wards: Vec<_> = places.communes().filter(|p| p.kind == "ward").collect();
    let all: Vec<_> = places.communes().collect();
    let mut out = Vec::new();
    let mut n = 0;
    for (class, count) in CLASS_COUNTS {
        for i in 0..count {
            n += 1;
            let pool = if class == 1 { &wards } else { &all };
            let place = pool[(i * 7 + usize::from(class.unsigned_abs()) * 3) % pool.len()];
            let points = match class {
                1 => rng.range(401, 620),
                2 => rng.range(200, 400),
                _ => rng.range(40, 199),
            };
            let input = MarketInput {
                code: format!("DEMO-QN-{n:03}"),
                name: format!("Chợ {} {}", place.name, ["I", "II", "III", "IV"][i % 4]),
                address: format!("{} {}, tỉnh Quảng Ninh", place.unit_type, place.name),
                place_code: place.code.clone(),
                business_points: i32::try_from(points)?,
                class_override: None,
                class_override_reason: None,
                board_contact: format!("Ban quản lý chợ — 0203 3{:06}", rng.range(0, 999_999)),
                status: "active".into(),
            };
            let row = validate::market(&input, places)
                .map_err(|e| anyhow::anyhow!("demo market {}: {e:?}", input.code))?;
            anyhow::ensure!(row.market_class == class, "demo market class");
            out.push(row);
        }
    }
    Ok(out)
}

/// A household business whose tax code is the owner's 12-digit personal ID (the rule since
/// 1 July 2025), or now and then an enterprise with a 10-digit code; most have a payout account.
fn demo_merchant(
    rng: &mut Rng,
    places: &Places,
    place_code: &str,
    index: usize,
) -> anyhow::Result<MerchantImport> {
    let owner = format!(
        "{} {} {}",
        rng.pick(SURNAMES),
        rng.pick(MIDDLE),
        rng.pick(GIVEN)
    );
    let enterprise = rng.chance(5);
    let tax_code = if enterprise {
        // Quảng Ninh enterprise codes start with 57; the sequence is unique per index.
        let mut d = [5u8, 7, 0, 0, 0, 0, 0, 0, 0];
        let mut seq = index as u64 + 1;
        loop {
            let mut s = seq;
            for slot in d[2..].iter_mut().rev() {
                *slot = (s % 10) as u8;
                s /= 10;
            }
            if let Some(c) = identity::tax_code::check_digit(&d) {
                break d
                    .iter()
                    .chain([c].iter())
                    .map(|x| char::from(b'0' + x))
                    .collect::<String>();
            }
            seq += 1_000_000; // try another sequence number that cannot collide with an index
        }
    } else {
        // 022 = registered in Quảng Ninh; century-and-sex digit; birth year; serial (unique).
        let century_sex = rng.range(0, 1);
        let year = rng.range(55, 99);
        format!("022{century_sex}{year:02}{:06}", index + 1)
    };
    let has_account = rng.chance(85);
    let account = has_account.then(|| BankAccountInput {
        bank_bin: rng.pick(BANK_BINS).to_string(),
        account_number: format!("{}{:07}", rng.range(100, 999), index),
        holder_name: text::fold(&owner).to_uppercase(),
        is_default: true,
    });
    let mut methods = vec!["cash".to_string()];
    if has_account {
        methods.push("vietqr".into());
    }
    if rng.chance(20) {
        methods.push("ewallet".into());
    }
    let input = MerchantInput {
        tax_code,
        name: if enterprise {
            format!("Công ty TNHH {owner}")
        } else {
            format!("Hộ kinh doanh {owner}")
        },
        kind: if enterprise {
            "enterprise"
        } else {
            "household"
        }
        .into(),
        owner_name: owner,
        phone: Some(format!("09{:08}", rng.range(0, 99_999_999))),
        // Invoices need the seller's address.
        address: places
            .get(place_code)
            .map(|p| format!("{} {}, tỉnh Quảng Ninh", p.unit_type, p.name))
            .unwrap_or_default(),
        place_code: place_code.to_string(),
        payment_methods: methods,
        status: "active".into(),
    };
    let row = validate::merchant(&input, places)
        .map_err(|e| anyhow::anyhow!("demo merchant {}: {e:?}", input.tax_code))?;
    let account = account
        .map(|a| validate::bank_account(&a))
        .transpose()
        .map_err(|e| anyhow::anyhow!("demo account: {e:?}"))?;
    Ok(MerchantImport { row, account })
}

/// Password of every demo staff account (demo mode only; shown on the sign-in page).
pub const DEMO_PASSWORD: &str = "halong-demo-2026";

/// Demo accounts, one per role: (phone, role as shown on the sign-in page).
pub const DEMO_USERS: &[(&str, &str)] = &[
    ("0900000001", "Quản trị tỉnh (admin)"),
    ("0900000002", "Quản lý chợ DEMO-QN-001 (market_manager)"),
    (
        "0900000003",
        "Chủ hộ kinh doanh có quầy ở chợ DEMO-QN-001 (merchant_owner)",
    ),
    ("0900000004", "Thu ngân của hộ đó (merchant_cashier)"),
    ("0900000005", "Cán bộ thuế (tax_officer)"),
    ("0900000006", "Người dân (citizen)"),
];

/// Creates the demo people and their grants (idempotent: people by phone, grants unique).
pub async fn seed_people(db: &Db) -> anyhow::Result<()> {
    use crate::auth::store;
    let market = crate::register::store::market_by_code(db, "DEMO-QN-001")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo market missing"))?;
    let q = crate::register::ListQuery {
        market_id: Some(market.id),
        per_page: Some(1),
        ..Default::default()
    };
    let merchant = crate::register::store::list_merchants(db, &q)
        .await?
        .items
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("demo merchant missing"))?;
    let hash = crate::auth::routes::hash_password(DEMO_PASSWORD)?;
    let roles: [(&str, &str, i64); 6] = [
        ("admin", "Quản trị Tỉnh", 0),
        ("market_manager", "Quản lý Chợ Mẫu", market.id),
        ("merchant_owner", &merchant.owner_name, merchant.id),
        ("merchant_cashier", "Thu Ngân Mẫu", merchant.id),
        ("tax_officer", "Cán Bộ Thuế Mẫu", 0),
        ("citizen", "Người Dân Mẫu", 0),
    ];
    for ((phone, _), (role, name, scope)) in DEMO_USERS.iter().zip(roles) {
        let p = store::ensure_person(db, name, phone, true).await?;
        if role != "citizen" {
            store::set_password(db, p.id, &hash).await?;
        }
        store::grant(db, p.id, role, scope, None).await?;
    }
    Ok(())
}
