//! Bulk import of markets, stalls and merchants from CSV.
//!
//! All or nothing: the whole file is checked first (every row against the same rules as the
//! API, plus references to the database and duplicates within the file); if any row is bad,
//! nothing is written and the report names every bad row and column. A good file is written
//! in one transaction. Rows are matched to stored records by natural key (market code, market
//! and stall code, tax code): new rows are inserted, changed rows updated, equal rows left
//! alone, so importing the same file twice writes nothing the second time.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{Arg, Db, Tx, now_micros};
use crate::error::FieldError;
use crate::places::Places;
use crate::register::validate::{self, MarketRow, MerchantRow, StallRow};
use crate::register::{BankAccountInput, MarketInput, MerchantInput, StallInput};
use crate::text;
use crate::with_db;

/// Rows per multi-row INSERT: large enough to amortise statement cost, small enough to stay
/// under SQLite's bound-parameter limit (32,766) with the widest table.
const CHUNK_ROWS: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Markets,
    Stalls,
    Merchants,
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Kind, String> {
        match s {
            "markets" => Ok(Kind::Markets),
            "stalls" => Ok(Kind::Stalls),
            "merchants" => Ok(Kind::Merchants),
            _ => Err(format!("unknown kind {s:?}: markets, stalls or merchants")),
        }
    }
}

/// One broken rule in one cell. `row` is the line number in the file (the header is line 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    pub row: u64,
    pub column: String,
    pub code: String,
    pub message_vi: String,
    pub message_en: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug)]
pub enum ImportError {
    /// The file is not a CSV we can read (encoding, header): nothing was checked further.
    Malformed {
        vi: String,
        en: String,
    },
    /// Some rows are bad: nothing was written.
    Invalid(Vec<RowError>),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Db(e)
    }
}

/// Progress callback: `(rows done, rows total)`, called while writing.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

pub async fn import_csv(
    db: &Db,
    places: &Places,
    kind: Kind,
    bytes: &[u8],
    progress: Progress<'_>,
) -> Result<ImportReport, ImportError> {
    let table = Table::parse(bytes, kind)?;
    match kind {
        Kind::Markets => markets(db, places, &table, progress).await,
        Kind::Stalls => stalls(db, &table, progress).await,
        Kind::Merchants => merchants(db, places, &table, progress).await,
    }
}

// ---------------------------------------------------------------------------------------
// Reading the CSV

/// Canonical column names and the headers (folded: lower case, no diacritics) that mean them.
fn aliases(kind: Kind) -> &'static [(&'static str, &'static [&'static str], bool)] {
    // (canonical, aliases, required)
    match kind {
        Kind::Markets => &[
            ("code", &["code", "market_code", "ma cho", "ma"], true),
            ("name", &["name", "ten cho", "ten"], true),
            ("address", &["address", "dia chi"], false),
            (
                "place_code",
                &[
                    "place_code",
                    "place",
                    "xa phuong",
                    "ma xa",
                    "don vi hanh chinh",
                    "xa/phuong",
                ],
                true,
            ),
            (
                "business_points",
                &["business_points", "so diem kinh doanh", "diem kinh doanh"],
                true,
            ),
            (
                "class_override",
                &["class_override", "class", "hang cho", "hang"],
                false,
            ),
            (
                "class_override_reason",
                &["class_override_reason", "reason", "ly do", "ly do xep hang"],
                false,
            ),
            (
                "board_contact",
                &["board_contact", "contact", "ban quan ly", "lien he"],
                false,
            ),
            ("status", &["status", "trang thai"], false),
        ],
        Kind::Stalls => &[
            ("market_code", &["market_code", "market", "ma cho"], true),
            (
                "code",
                &[
                    "code",
                    "stall_code",
                    "ma quay",
                    "ma sap",
                    "ma diem kinh doanh",
                ],
                true,
            ),
            ("zone", &["zone", "khu", "khu/day", "day"], false),
            ("category", &["category", "nganh hang", "mat hang"], false),
            ("status", &["status", "trang thai"], false),
            (
                "merchant_tax_code",
                &["merchant_tax_code", "tax_code", "ma so thue", "mst"],
                false,
            ),
        ],
        Kind::Merchants => &[
            ("tax_code", &["tax_code", "ma so thue", "mst"], true),
            (
                "name",
                &["name", "ten", "ten ho kinh doanh", "ten co so"],
                true,
            ),
            ("kind", &["kind", "loai hinh", "loai"], false),
            (
                "owner_name",
                &[
                    "owner_name",
                    "owner",
                    "chu ho",
                    "chu so huu",
                    "nguoi dai dien",
                ],
                true,
            ),
            ("phone", &["phone", "so dien thoai", "dien thoai"], false),
            ("address", &["address", "dia chi"], false),
            (
                "place_code",
                &["place_code", "place", "xa phuong", "ma xa", "xa/phuong"],
                true,
            ),
            (
                "payment_methods",
                &["payment_methods", "phuong thuc thanh toan", "thanh toan"],
                false,
            ),
            ("status", &["status", "trang thai"], false),
            (
                "bank_bin",
                &["bank_bin", "bank", "ngan hang", "ma bin"],
                false,
            ),
            ("account_number", &["account_number", "so tai khoan"], false),
            (
                "holder_name",
                &[
                    "holder_name",
                    "account_holder",
                    "chu tai khoan",
                    "ten chu tai khoan",
                ],
                false,
            ),
        ],
    }
}

struct Table {
    columns: HashMap<&'static str, usize>,
    /// `(line number, cells)`.
    rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    fn parse(bytes: &[u8], kind: Kind) -> Result<Table, ImportError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if std::str::from_utf8(bytes).is_err() {
            return Err(ImportError::Malformed {
                vi: "Tệp không phải UTF-8".into(),
                en: "File is not UTF-8".into(),
            });
        }
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
        let headers = rdr.headers().map_err(malformed)?.clone();
        let mut columns = HashMap::new();
        let mut unknown = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            let folded = text::fold(h);
            match aliases(kind)
                .iter()
                .find(|(_, names, _)| names.contains(&folded.as_str()))
            {
                Some((canon, _, _)) if columns.insert(*canon, i).is_some() => {
                    return Err(ImportError::Malformed {
                        vi: format!("Cột \"{h}\" bị lặp"),
                        en: format!("Column \"{h}\" appears twice"),
                    });
                }
                Some(_) => {}
                None => unknown.push(h.to_string()),
            }
        }
        let missing: Vec<&str> = aliases(kind)
            .iter()
            .filter(|(canon, _, required)| *required && !columns.contains_key(canon))
            .map(|(canon, _, _)| *canon)
            .collect();
        if !missing.is_empty() || !unknown.is_empty() {
            return Err(ImportError::Malformed {
                vi: format!("Thiếu cột: {:?}; cột không nhận ra: {:?}", missing, unknown),
                en: format!(
                    "Missing columns: {:?}; unknown columns: {:?}",
                    missing, unknown
                ),
            });
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(malformed)?;
            let line = rec.position().map_or(0, |p| p.line());
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push((line, rec.iter().map(text::clean).collect()));
        }
        Ok(Table { columns, rows })
    }

    fn cell<'a>(&self, cells: &'a [String], column: &str) -> &'a str {
        self.columns
            .get(column)
            .and_then(|&i| cells.get(i))
            .map_or("", String::as_str)
    }
}

fn malformed(e: csv::Error) -> ImportError {
    ImportError::Malformed {
        vi: format!("Tệp CSV không đọc được: {e}"),
        en: format!("Unreadable CSV: {e}"),
    }
}

fn row_errors(out: &mut Vec<RowError>, line: u64, errors: Vec<FieldError>) {
    out.extend(errors.into_iter().map(|e| RowError {
        row: line,
        column: e.field,
        code: e.code,
        message_vi: e.message_vi,
        message_en: e.message_en,
    }));
}

fn row_error(out: &mut Vec<RowError>, line: u64, column: &str, code: &str, vi: String, en: String) {
    out.push(RowError {
        row: line,
        column: column.into(),
        code: code.into(),
        message_vi: vi,
        message_en: en,
    });
}

fn parse_int<T: std::str::FromStr>(
    out: &mut Vec<RowError>,
    line: u64,
    column: &str,
    s: &str,
) -> Option<T> {
    let digits: String = s.chars().filter(|c| !" .,".contains(*c)).collect();
    match digits.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            row_error(
                out,
                line,
                column,
                "not_a_number",
                format!("\"{s}\" không phải số"),
                format!("\"{s}\" is not a number"),
            );
            None
        }
    }
}

/// Vietnamese or English words for the enumerations, as people write them in spreadsheets.
fn status_word(s: &str, default: &str) -> String {
    match text::fold(s).as_str() {
        "" => default.into(),
        "hoat dong" | "dang hoat dong" => "active".into(),
        "dong cua" | "ngung hoat dong" | "da dong" => "closed".into(),
        "trong" | "con trong" => "vacant".into(),
        "sua chua" | "dang sua chua" | "cai tao" | "dang cai tao" => "renovating".into(),
        "tam dung" | "tam ngung" => "suspended".into(),
        other => other.into(),
    }
}

fn kind_word(s: &str) -> String {
    match text::fold(s).as_str() {
        "" | "ho kinh doanh" | "hkd" => "household".into(),
        "doanh nghiep" | "dn" | "cong ty" => "enterprise".into(),
        other => other.into(),
    }
}

fn method_words(s: &str) -> Vec<String> {
    if s.trim().is_empty() {
        return vec!["cash".into()];
    }
    s.split([';', '|', ','])
        .map(|m| match text::fold(m).as_str() {
            "tien mat" => "cash".into(),
            "qr" | "ma qr" => "vietqr".into(),
            "the" => "card".into(),
            "vi dien tu" | "vi" | "e-wallet" => "ewallet".into(),
            other => other.into(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Markets

async fn markets(
    db: &Db,
    places: &Places,
    t: &Table,
    progress: Progress<'_>,
) -> Result<ImportReport, ImportError> {
    let mut errors = Vec::new();
    let mut rows: Vec<MarketRow> = Vec::new();
    let mut lines = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, cells) in &t.rows {
        let (line, c) = (*line, |col| t.cell(cells, col));
        let points = parse_int(&mut errors, line, "business_points", c("business_points"));
        let class = (!c("class_override").is_empty())
            .then(|| parse_int::<i16>(&mut errors, line, "class_override", c("class_override")))
            .flatten();
        let input = MarketInput {
            code: c("code").into(),
            name: c("name").into(),
            address: c("address").into(),
            place_code: c("place_code").into(),
            business_points: points.unwrap_or(0),
            class_override: class,
            class_override_reason: Some(c("class_override_reason").to_string()),
            board_contact: c("board_contact").into(),
            status: status_word(c("status"), "active"),
        };
        match validate::market(&input, places) {
            Ok(row) => {
                if let Some(first) = seen.insert(row.input.code.clone(), line) {
                    duplicate(&mut errors, line, "code", first);
                }
                rows.push(row);
                lines.push(line);
            }
            Err(e) => row_errors(&mut errors, line, e),
        }
    }
    let existing = existing_markets(db).await?;
    let plan = classify(
        rows,
        &lines,
        |r| existing.get(&r.input.code),
        |r, old| old.1 == market_fields(r),
        &mut errors,
        "code",
        |old| old.2,
    );
    if !errors.is_empty() {
        return Err(ImportError::Invalid(errors));
    }
    let mut tx = db.begin().await?;
    let report = write_markets(&mut tx, &plan, false, progress).await?;
    tx.commit().await?;
    Ok(report)
}

type MarketFields = (
    String,
    String,
    String,
    i32,
    Option<i16>,
    Option<String>,
    i16,
    String,
    String,
);

fn market_fields(r: &MarketRow) -> MarketFields {
    let m = &r.input;
    (
        m.name.clone(),
        m.address.clone(),
        m.place_code.clone(),
        m.business_points,
        m.class_override,
        m.class_override_reason.clone(),
        r.market_class,
        m.board_contact.clone(),
        m.status.clone(),
    )
}

async fn existing_markets(db: &Db) -> sqlx::Result<HashMap<String, (i64, MarketFields, bool)>> {
    type R = (
        i64,
        String,
        String,
        String,
        String,
        i32,
        Option<i16>,
        Option<String>,
        i16,
        String,
        String,
        bool,
    );
    let sql = "SELECT id, code, name, address, place_code, business_points, class_override, \
        class_override_reason, market_class, board_contact, status, is_demo FROM markets";
    let rows: Vec<R> = with_db!(db, p => sqlx::query_as(sql).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.1,
                (r.0, (r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10), r.11),
            )
        })
        .collect())
}

/// What to do with each valid row.
pub struct Plan<T> {
    pub insert: Vec<T>,
    /// `(id of the stored record, new values)`.
    pub update: Vec<(i64, T)>,
    pub unchanged: u64,
}

/// Sorts rows into insert / update / unchanged against the stored records; a row that would
/// overwrite a demo record is an error (demo and real data never mix).
fn classify<'o, T, O>(
    rows: Vec<T>,
    lines: &[u64],
    find: impl Fn(&T) -> Option<&'o O>,
    same: impl Fn(&T, &O) -> bool,
    errors: &mut Vec<RowError>,
    key_column: &str,
    old_is_demo: impl Fn(&O) -> bool,
) -> Plan<T>
where
    O: HasId + 'o,
{
    let mut plan = Plan {
        insert: Vec::new(),
        update: Vec::new(),
        unchanged: 0,
    };
    for (i, row) in rows.into_iter().enumerate() {
        match find(&row) {
            None => plan.insert.push(row),
            Some(old) if old_is_demo(old) => row_error(
                errors,
                lines.get(i).copied().unwrap_or(0),
                key_column,
                "demo_record",
                "Trùng khóa với dữ liệu mẫu (demo); dữ liệu thật và dữ liệu mẫu không được trộn"
                    .into(),
                "Key belongs to a demo record; real and demo data never mix".into(),
            ),
            Some(old) if same(&row, old) => plan.unchanged += 1,
            Some(old) => plan.update.push((old.id(), row)),
        }
    }
    plan
}

pub trait HasId {
    fn id(&self) -> i64;
}
impl<A, B> HasId for (i64, A, B) {
    fn id(&self) -> i64 {
        self.0
    }
}

fn duplicate(errors: &mut Vec<RowError>, line: u64, column: &str, first: u64) {
    row_error(
        errors,
        line,
        column,
        "duplicate_in_file",
        format!("Trùng với dòng {first} trong cùng tệp"),
        format!("Duplicates line {first} of the same file"),
    );
}

/// Inserts `items` in multi-row chunks. `head` is `INSERT INTO t (columns)`, `tail` is empty or
/// `RETURNING id, key` (then the `(id, key)` rows are returned); `values` appends one item's
/// `cols` bind values; `written` hears how many rows each chunk wrote.
async fn insert_chunked<T>(
    tx: &mut Tx,
    head: &str,
    tail: &str,
    cols: usize,
    items: &[T],
    values: impl Fn(&T, &mut Vec<Arg>),
    mut written: impl FnMut(usize),
) -> sqlx::Result<Vec<(i64, String)>> {
    let mut keys = Vec::new();
    for chunk in items.chunks(CHUNK_ROWS) {
        let list = crate::db::placeholders(tx.engine(), chunk.len(), cols);
        let sql = format!("{head} VALUES {list} {tail}");
        let mut args = Vec::with_capacity(chunk.len() * cols);
        for item in chunk {
            values(item, &mut args);
        }
        assert_eq!(args.len(), chunk.len() * cols, "bind values per row");
        if tail.is_empty() {
            tx.execute(&sql, &args).await?;
        } else {
            keys.extend(tx.fetch_keys(&sql, &args).await?);
        }
        written(chunk.len());
    }
    Ok(keys)
}

pub async fn write_markets(
    tx: &mut Tx,
    plan: &Plan<MarketRow>,
    is_demo: bool,
    progress: Progress<'_>,
) -> sqlx::Result<ImportReport> {
    let now = now_micros();
    let total = (plan.insert.len() + plan.update.len()) as u64;
    let mut done = 0;
    let head = "INSERT INTO markets (code, name, address, place_code, business_points, \
        class_override, class_override_reason, market_class, board_contact, status, is_demo, \
        search_text, created_at, updated_at)";
    insert_chunked(
        tx,
        head,
        "",
        14,
        &plan.insert,
        |r, args| {
            let m = &r.input;
            args.extend([
                Arg::Text(m.code.clone()),
                Arg::Text(m.name.clone()),
                Arg::Text(m.address.clone()),
                Arg::Text(m.place_code.clone()),
                Arg::I32(m.business_points),
                Arg::OptI16(m.class_override),
                Arg::OptText(m.class_override_reason.clone()),
                Arg::I16(r.market_class),
                Arg::Text(m.board_contact.clone()),
                Arg::Text(m.status.clone()),
                Arg::Bool(is_demo),
                Arg::Text(r.search_text.clone()),
                Arg::I64(now),
                Arg::I64(now),
            ]);
        },
        |n| {
            done += n as u64;
            progress(done, total);
        },
    )
    .await?;
    for (id, r) in &plan.update {
        let m = &r.input;
        tx.execute(
            "UPDATE markets SET name = $2, address = $3, place_code = $4, business_points = $5, \
             class_override = $6, class_override_reason = $7, market_class = $8, \
             board_contact = $9, status = $10, search_text = $11, updated_at = $12 WHERE id = $1",
            &[
                Arg::I64(*id),
                Arg::Text(m.name.clone()),
                Arg::Text(m.address.clone()),
                Arg::Text(m.place_code.clone()),
                Arg::I32(m.business_points),
                Arg::OptI16(m.class_override),
                Arg::OptText(m.class_override_reason.clone()),
                Arg::I16(r.market_class),
                Arg::Text(m.board_contact.clone()),
                Arg::Text(m.status.clone()),
                Arg::Text(r.search_text.clone()),
                Arg::I64(now),
            ],
        )
        .await?;
        done += 1;
        progress(done, total);
    }
    Ok(report_of(plan))
}

fn report_of<T>(plan: &Plan<T>) -> ImportReport {
    let inserted = plan.insert.len() as u64;
    let updated = plan.update.len() as u64;
    ImportReport {
        rows: inserted + updated + plan.unchanged,
        inserted,
        updated,
        unchanged: plan.unchanged,
    }
}

// ---------------------------------------------------------------------------------------
// Stalls

type StallFields = (String, String, String, Option<i64>);

async fn stalls(db: &Db, t: &Table, progress: Progress<'_>) -> Result<ImportReport, ImportError> {
    let market_ids: HashMap<String, (i64, bool)> = {
        let rows: Vec<(i64, String, bool)> = with_db!(db, p => sqlx::query_as("SELECT id, code, is_demo FROM markets").fetch_all(p).await)?;
        rows.into_iter()
            .map(|(id, code, demo)| (code, (id, demo)))
            .collect()
    };
    let merchant_ids = merchant_ids(db).await?;
    let mut errors = Vec::new();
    let mut rows: Vec<StallRow> = Vec::new();
    let mut lines = Vec::new();
    let mut seen: HashMap<(i64, String), u64> = HashMap::new();
    for (line, cells) in &t.rows {
        let (line, c) = (*line, |col| t.cell(cells, col));
        let market_code = c("market_code").to_uppercase();
        let market_id = match market_ids.get(&market_code) {
            Some((id, false)) => Some(*id),
            Some((_, true)) => {
                row_error(
                    &mut errors,
                    line,
                    "market_code",
                    "demo_record",
                    "Chợ này là dữ liệu mẫu (demo)".into(),
                    "This market is a demo record".into(),
                );
                None
            }
            None => {
                row_error(
                    &mut errors,
                    line,
                    "market_code",
                    "unknown_market",
                    format!("Không có chợ mã \"{market_code}\""),
                    format!("No market with code \"{market_code}\""),
                );
                None
            }
        };
        let merchant_id = lookup_merchant(&mut errors, line, &merchant_ids, c("merchant_tax_code"));
        let input = StallInput {
            market_id: market_id.unwrap_or(0),
            code: c("code").into(),
            zone: c("zone").into(),
            category: c("category").into(),
            status: status_word(c("status"), "active"),
            merchant_id,
        };
        match validate::stall(&input) {
            Ok(row) if market_id.is_some() => {
                let key = (row.input.market_id, row.input.code.clone());
                if let Some(first) = seen.insert(key, line) {
                    duplicate(&mut errors, line, "code", first);
                }
                rows.push(row);
                lines.push(line);
            }
            Ok(_) => {}
            Err(e) => row_errors(&mut errors, line, e),
        }
    }
    let existing = existing_stalls(db).await?;
    let plan = classify(
        rows,
        &lines,
        |r| existing.get(&(r.input.market_id, r.input.code.clone())),
        |r, old| old.1 == stall_fields(r),
        &mut errors,
        "code",
        |old| old.2,
    );
    if !errors.is_empty() {
        return Err(ImportError::Invalid(errors));
    }
    let mut tx = db.begin().await?;
    let report = write_stalls(&mut tx, &plan, false, progress).await?;
    tx.commit().await?;
    Ok(report)
}

fn stall_fields(r: &StallRow) -> StallFields {
    let s = &r.input;
    (
        s.zone.clone(),
        s.category.clone(),
        s.status.clone(),
        s.merchant_id,
    )
}

async fn existing_stalls(
    db: &Db,
) -> sqlx::Result<HashMap<(i64, String), (i64, StallFields, bool)>> {
    type R = (i64, i64, String, String, String, String, Option<i64>, bool);
    let sql =
        "SELECT id, market_id, code, zone, category, status, merchant_id, is_demo FROM stalls";
    let rows: Vec<R> = with_db!(db, p => sqlx::query_as(sql).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.1, r.2), (r.0, (r.3, r.4, r.5, r.6), r.7)))
        .collect())
}

async fn merchant_ids(db: &Db) -> sqlx::Result<HashMap<String, (i64, bool)>> {
    let rows: Vec<(i64, String, bool)> = with_db!(db, p => sqlx::query_as("SELECT id, tax_code, is_demo FROM merchants").fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, t, demo)| (t, (id, demo)))
        .collect())
}

fn lookup_merchant(
    errors: &mut Vec<RowError>,
    line: u64,
    ids: &HashMap<String, (i64, bool)>,
    raw: &str,
) -> Option<i64> {
    if raw.is_empty() {
        return None;
    }
    let mut errs = Vec::new();
    let tax = validate::tax_code(&mut errs, raw);
    if !errs.is_empty() {
        for e in &mut errs {
            e.field = "merchant_tax_code".into();
        }
        row_errors(errors, line, errs);
        return None;
    }
    match ids.get(&tax) {
        Some((id, false)) => Some(*id),
        Some((_, true)) => {
            row_error(
                errors,
                line,
                "merchant_tax_code",
                "demo_record",
                "Người bán này là dữ liệu mẫu (demo)".into(),
                "This merchant is a demo record".into(),
            );
            None
        }
        None => {
            row_error(
                errors,
                line,
                "merchant_tax_code",
                "unknown_merchant",
                format!("Chưa có người bán mã số thuế {tax}; hãy nhập danh sách người bán trước"),
                format!("No merchant with tax code {tax}; import merchants first"),
            );
            None
        }
    }
}

pub async fn write_stalls(
    tx: &mut Tx,
    plan: &Plan<StallRow>,
    is_demo: bool,
    progress: Progress<'_>,
) -> sqlx::Result<ImportReport> {
    let now = now_micros();
    let total = (plan.insert.len() + plan.update.len()) as u64;
    let mut done = 0;
    let head = "INSERT INTO stalls (market_id, code, zone, category, status, merchant_id, is_demo, \
        search_text, created_at, updated_at)";
    insert_chunked(
        tx,
        head,
        "",
        10,
        &plan.insert,
        |r, args| {
            let s = &r.input;
            args.extend([
                Arg::I64(s.market_id),
                Arg::Text(s.code.clone()),
                Arg::Text(s.zone.clone()),
                Arg::Text(s.category.clone()),
                Arg::Text(s.status.clone()),
                Arg::OptI64(s.merchant_id),
                Arg::Bool(is_demo),
                Arg::Text(r.search_text.clone()),
                Arg::I64(now),
                Arg::I64(now),
            ]);
        },
        |n| {
            done += n as u64;
            progress(done, total);
        },
    )
    .await?;
    for (id, r) in &plan.update {
        let s = &r.input;
        tx.execute(
            "UPDATE stalls SET zone = $2, category = $3, status = $4, merchant_id = $5, \
             search_text = $6, updated_at = $7 WHERE id = $1",
            &[
                Arg::I64(*id),
                Arg::Text(s.zone.clone()),
                Arg::Text(s.category.clone()),
                Arg::Text(s.status.clone()),
                Arg::OptI64(s.merchant_id),
                Arg::Text(r.search_text.clone()),
                Arg::I64(now),
            ],
        )
        .await?;
        done += 1;
        progress(done, total);
    }
    Ok(report_of(plan))
}

// ---------------------------------------------------------------------------------------
// Merchants (with an optional payout account per row)

type MerchantFields = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
);

/// A merchant row and the payout account given on the same line, if any.
pub struct MerchantImport {
    pub row: MerchantRow,
    pub account: Option<BankAccountInput>,
}

async fn merchants(
    db: &Db,
    places: &Places,
    t: &Table,
    progress: Progress<'_>,
) -> Result<ImportReport, ImportError> {
    let mut errors = Vec::new();
    let mut rows: Vec<MerchantImport> = Vec::new();
    let mut lines = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, cells) in &t.rows {
        let (line, c) = (*line, |col| t.cell(cells, col));
        let input = MerchantInput {
            tax_code: c("tax_code").into(),
            name: c("name").into(),
            kind: kind_word(c("kind")),
            owner_name: c("owner_name").into(),
            phone: Some(c("phone").to_string()).filter(|p| !p.is_empty()),
            address: c("address").into(),
            place_code: c("place_code").into(),
            payment_methods: method_words(c("payment_methods")),
            status: status_word(c("status"), "active"),
        };
        let account = account_cells(
            &mut errors,
            line,
            c("bank_bin"),
            c("account_number"),
            c("holder_name"),
        );
        match validate::merchant(&input, places) {
            Ok(row) => {
                if let Some(first) = seen.insert(row.input.tax_code.clone(), line) {
                    duplicate(&mut errors, line, "tax_code", first);
                }
                rows.push(MerchantImport {
                    row,
                    account: account.flatten(),
                });
                lines.push(line);
            }
            Err(e) => row_errors(&mut errors, line, e),
        }
    }
    let existing = existing_merchants(db).await?;
    let accounts: HashSet<(i64, String, String)> = {
        let rows: Vec<(i64, String, String)> = with_db!(db, p => sqlx::query_as(
            "SELECT merchant_id, bank_bin, account_number FROM bank_accounts").fetch_all(p).await)?;
        rows.into_iter().collect()
    };
    let plan = classify(
        rows,
        &lines,
        |r| existing.get(&r.row.input.tax_code),
        |r, old| {
            old.1 == merchant_fields(&r.row)
                && r.account.as_ref().is_none_or(|a| {
                    accounts.contains(&(old.0, a.bank_bin.clone(), a.account_number.clone()))
                })
        },
        &mut errors,
        "tax_code",
        |old| old.2,
    );
    if !errors.is_empty() {
        return Err(ImportError::Invalid(errors));
    }
    let mut tx = db.begin().await?;
    let report = write_merchants(&mut tx, &plan, &accounts, false, progress).await?;
    tx.commit().await?;
    Ok(report)
}

/// The three account cells are all given or all empty; a bank may be named by BIN or code.
fn account_cells(
    errors: &mut Vec<RowError>,
    line: u64,
    bank: &str,
    number: &str,
    holder: &str,
) -> Option<Option<BankAccountInput>> {
    if bank.is_empty() && number.is_empty() && holder.is_empty() {
        return Some(None);
    }
    let bin = if bank.len() == 6 && bank.chars().all(|c| c.is_ascii_digit()) {
        bank.to_string()
    } else {
        vietqr::banks::by_code(bank).map_or_else(|| bank.to_string(), |b| b.bin.to_string())
    };
    let input = BankAccountInput {
        bank_bin: bin,
        account_number: number.into(),
        holder_name: holder.into(),
        is_default: false,
    };
    match validate::bank_account(&input) {
        Ok(a) => Some(Some(a)),
        Err(e) => {
            row_errors(errors, line, e);
            None
        }
    }
}

fn merchant_fields(r: &MerchantRow) -> MerchantFields {
    let m = &r.input;
    (
        m.name.clone(),
        m.kind.clone(),
        m.owner_name.clone(),
        m.phone.clone(),
        m.address.clone(),
        m.place_code.clone(),
        r.payment_methods.clone(),
        m.status.clone(),
    )
}

async fn existing_merchants(db: &Db) -> sqlx::Result<HashMap<String, (i64, MerchantFields, bool)>> {
    type R = (
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        String,
        String,
        bool,
    );
    let sql = "SELECT id, tax_code, name, kind, owner_name, phone, address, place_code, \
        payment_methods, status, is_demo FROM merchants";
    let rows: Vec<R> = with_db!(db, p => sqlx::query_as(sql).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.1, (r.0, (r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9), r.10)))
        .collect())
}

pub async fn write_merchants(
    tx: &mut Tx,
    plan: &Plan<MerchantImport>,
    accounts: &HashSet<(i64, String, String)>,
    is_demo: bool,
    progress: Progress<'_>,
) -> sqlx::Result<ImportReport> {
    let now = now_micros();
    let total = (plan.insert.len() + plan.update.len()) as u64;
    let mut done = 0;
    let mut ids: HashMap<String, i64> = HashMap::new();
    let head = "INSERT INTO merchants (tax_code, name, kind, owner_name, phone, address, \
        place_code, payment_methods, status, is_demo, search_text, created_at, updated_at)";
    // RETURNING order is not guaranteed: ids are mapped back by tax code.
    let keys = insert_chunked(
        tx,
        head,
        "RETURNING id, tax_code",
        13,
        &plan.insert,
        |r, args| {
            let m = &r.row.input;
            args.extend([
                Arg::Text(m.tax_code.clone()),
                Arg::Text(m.name.clone()),
                Arg::Text(m.kind.clone()),
                Arg::Text(m.owner_name.clone()),
                Arg::OptText(m.phone.clone()),
                Arg::Text(m.address.clone()),
                Arg::Text(m.place_code.clone()),
                Arg::Text(r.row.payment_methods.clone()),
                Arg::Text(m.status.clone()),
                Arg::Bool(is_demo),
                Arg::Text(r.row.search_text.clone()),
                Arg::I64(now),
                Arg::I64(now),
            ]);
        },
        |n| {
            done += n as u64;
            progress(done, total);
        },
    )
    .await?;
    ids.extend(keys.into_iter().map(|(id, t)| (t, id)));
    for (id, r) in &plan.update {
        let m = &r.row.input;
        tx.execute(
            "UPDATE merchants SET name = $2, kind = $3, owner_name = $4, phone = $5, \
             address = $6, place_code = $7, payment_methods = $8, status = $9, \
             search_text = $10, updated_at = $11 WHERE id = $1",
            &[
                Arg::I64(*id),
                Arg::Text(m.name.clone()),
                Arg::Text(m.kind.clone()),
                Arg::Text(m.owner_name.clone()),
                Arg::OptText(m.phone.clone()),
                Arg::Text(m.address.clone()),
                Arg::Text(m.place_code.clone()),
                Arg::Text(r.row.payment_methods.clone()),
                Arg::Text(m.status.clone()),
                Arg::Text(r.row.search_text.clone()),
                Arg::I64(now),
            ],
        )
        .await?;
        ids.insert(m.tax_code.clone(), *id);
        done += 1;
        progress(done, total);
    }
    write_accounts(tx, plan, &ids, accounts, now).await?;
    Ok(report_of(plan))
}

/// Adds the payout accounts named in the file that the merchant does not have yet; a
/// merchant's first account becomes its default.
async fn write_accounts(
    tx: &mut Tx,
    plan: &Plan<MerchantImport>,
    ids: &HashMap<String, i64>,
    existing: &HashSet<(i64, String, String)>,
    now: i64,
) -> sqlx::Result<()> {
    let has_account: HashSet<i64> = existing.iter().map(|k| k.0).collect();
    let mut new = Vec::new();
    for r in plan.insert.iter().chain(plan.update.iter().map(|(_, r)| r)) {
        let (Some(a), Some(&id)) = (&r.account, ids.get(&r.row.input.tax_code)) else {
            continue;
        };
        if !existing.contains(&(id, a.bank_bin.clone(), a.account_number.clone())) {
            new.push((id, a, !has_account.contains(&id)));
        }
    }
    let head = "INSERT INTO bank_accounts (merchant_id, bank_bin, account_number, holder_name, \
        is_default, created_at)";
    insert_chunked(
        tx,
        head,
        "",
        6,
        &new,
        |(id, a, is_default), args| {
            args.extend([
                Arg::I64(*id),
                Arg::Text(a.bank_bin.clone()),
                Arg::Text(a.account_number.clone()),
                Arg::Text(a.holder_name.clone()),
                Arg::Bool(*is_default),
                Arg::I64(now),
            ]);
        },
        |_| {},
    )
    .await?;
    Ok(())
}
