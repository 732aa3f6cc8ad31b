//! Bulk edit of the catalog by CSV (A-PROD-04): export every product, edit
//! the file in a spreadsheet, then import it — first as a preview (what
//! would be created or changed, and every row's problems), then for real.
//!
//! The rules:
//! - **Columns** (the header, any order): `sku`, `name`, `price_cents` and
//!   `category` (a category slug) are required; `description` and
//!   `currency` are optional (`currency`, when there, must be the shop's).
//!   An unknown or repeated column refuses the whole file.
//! - **Rows are matched by SKU**: a known SKU updates that product, a new
//!   one creates a product with zero stock. Products missing from the file
//!   are left alone (deleting is a separate, step-up operation).
//! - **The apply is all-or-nothing**: one bad row and nothing is written;
//!   the answer is the same report as the preview's. Everything happens in
//!   one transaction, and the plan is made again inside it, so what is
//!   applied is checked against the catalog as it is at that moment.
//! - **A retry is idempotent**: applying the same file again changes
//!   nothing (every row is then `unchanged`), because rows carry values, not
//!   increments.
//! - **Spreadsheet formulas**: a text cell starting with `=`, `+`, `-`, `@`
//!   or a tab is exported with a leading `'`, so a spreadsheet shows it as
//!   text instead of running it (OWASP's "CSV injection"); the import takes
//!   that one `'` off again, so a round trip changes nothing.
//!
//! The whole catalog is read into memory to plan an import: fine for the
//! lab's hundreds of products and the [`MAX_ROWS`] a file may hold.

use std::collections::HashMap;

use serde::Serialize;
use tracing::Instrument;

use super::Error;
use super::admin::{self, ProductFields};
use super::edit::{self, ProductDraft, Sku};
use crate::accounts::token::sha256_hex;
use crate::audit::{self, AuditEvent};
use crate::db::Db;
use crate::validation::Invalid;

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The columns of an export, in order.
pub const COLUMNS: [&str; 6] = [
    "sku",
    "name",
    "description",
    "price_cents",
    "currency",
    "category",
];
const REQUIRED: [&str; 4] = ["sku", "name", "price_cents", "category"];
/// The most rows one file may hold.
pub const MAX_ROWS: usize = 5_000;
/// The largest file accepted, in bytes.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// What an import does with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
}

/// One row's plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowPlan {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    pub sku: String,
    pub action: Action,
    /// The product's id (null for a product the preview would create).
    pub product_id: Option<i64>,
    /// The fields an update changes.
    pub changed: Vec<&'static str>,
}

/// One row's problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// The row's SKU as written, when it has one.
    pub sku: Option<String>,
    /// The column at fault.
    pub field: String,
    pub message: String,
}

/// What an import would do (preview) or did (apply).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// SHA-256 of the file, hex: the same file gives the same digest.
    pub sha256: String,
    /// Data rows in the file.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Whether the changes were written (never when `errors` is not empty).
    pub applied: bool,
    pub errors: Vec<RowError>,
    pub plan: Vec<RowPlan>,
}

/// The whole catalog as CSV ([`COLUMNS`]), ordered by product id.
pub async fn export(db: &Db) -> Result<String, Error> {
    const SQL: &str = "SELECT p.sku, p.name, p.description, p.price_cents, p.currency, c.slug \
        FROM products p JOIN categories c ON c.id = p.category_id ORDER BY p.id";
    let span = tracing::info_span!(
        "catalog.export",
        span.kind = "internal",
        shop.import.rows = tracing::field::Empty
    );
    let rows: Vec<(String, String, String, i64, String, String)> = db
        .traced_all(SQL, sqlx::query_as(SQL).fetch_all(db.pool()))
        .instrument(span.clone())
        .await?;
    span.record("shop.import.rows", rows.len());
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Render(format!("writing CSV: {e}"));
    out.write_record(COLUMNS).map_err(csv_err)?;
    for (sku, name, description, price, currency, category) in rows {
        out.write_record([
            sku,
            defuse(&name),
            defuse(&description),
            price.to_string(),
            currency,
            category,
        ])
        .map_err(csv_err)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Error::Render(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Render(e.to_string()))
}

/// A text cell as exported: with a leading `'` if a spreadsheet would read
/// it as a formula.
fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\'']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The inverse of [`defuse`].
fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\'']) => rest,
        _ => cell,
    }
}

/// One parsed, valid row.
struct Row {
    line: u64,
    sku: Sku,
    name: String,
    description: Option<String>,
    price_cents: i64,
    category_id: i64,
}

/// The catalog as the plan needs it.
struct Catalog {
    categories: HashMap<String, i64>,
    products: HashMap<String, (i64, ProductFields)>,
}

async fn load(db: &Db, tx: &mut Tx) -> Result<Catalog, sqlx::Error> {
    const CATEGORIES: &str = "SELECT slug, id FROM categories";
    let categories: Vec<(String, i64)> = db
        .traced_all(CATEGORIES, sqlx::query_as(CATEGORIES).fetch_all(&mut **tx))
        .await?;
    let products_sql = if db.system().is_sqlite() {
        "SELECT id, sku, name, description, price_cents, category_id FROM products"
    } else {
        "SELECT id, sku, name, description, price_cents, category_id FROM products FOR UPDATE"
    };
    let products: Vec<(i64, String, String, String, i64, i64)> = db
        .traced_all(
            products_sql,
            sqlx::query_as(products_sql).fetch_all(&mut **tx),
        )
        .await?;
    Ok(Catalog {
        categories: categories.into_iter().collect(),
        products: products
            .into_iter()
            .map(|(id, sku, name, description, price_cents, category_id)| {
                (
                    sku.clone(),
                    (
                        id,
                        ProductFields {
                            sku,
                            name,
                            description,
                            price_cents,
                            category_id,
                        },
                    ),
                )
            })
            .collect(),
    })
}

/// The file's columns: where each known column is.
struct Header {
    index: HashMap<&'static str, usize>,
    len: usize,
}

impl Header {
    fn parse(record: &csv::StringRecord) -> Result<Header, Invalid> {
        let mut index = HashMap::new();
        for (i, raw) in record.iter().enumerate() {
            let name = raw
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase();
            let Some(&known) = COLUMNS.iter().find(|c| **c == name) else {
                return Err(Invalid::new(
                    "header",
                    format!(
                        "unknown column {raw:?}; the columns are {}",
                        COLUMNS.join(", ")
                    ),
                ));
            };
            if index.insert(known, i).is_some() {
                return Err(Invalid::new(
                    "header",
                    format!("column {known} appears twice"),
                ));
            }
        }
        if let Some(missing) = REQUIRED.iter().find(|c| !index.contains_key(*c)) {
            return Err(Invalid::new(
                "header",
                format!(
                    "column {missing} is missing; required: {}",
                    REQUIRED.join(", ")
                ),
            ));
        }
        Ok(Header {
            index,
            len: record.len(),
        })
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        self.index.get(column).and_then(|&i| record.get(i))
    }
}

/// Parses the file into its valid rows and the problems of the others.
/// A file that is not a CSV with a proper header is refused whole.
fn parse(
    csv_text: &[u8],
    categories: &HashMap<String, i64>,
) -> Result<(usize, Vec<Row>, Vec<RowError>), Invalid> {
    if csv_text.len() > MAX_BYTES {
        return Err(Invalid::new(
            "file",
            format!("must be at most {MAX_BYTES} bytes"),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(csv_text);
    let header = reader
        .headers()
        .map_err(|e| Invalid::new("file", format!("not a CSV file: {e}")))?
        .clone();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(Invalid::new(
            "file",
            "is empty: the first line must name the columns",
        ));
    }
    let header = Header::parse(&header)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut count = 0;
    for record in reader.records() {
        let record = record.map_err(|e| Invalid::new("file", format!("not a CSV file: {e}")))?;
        count += 1;
        if count > MAX_ROWS {
            return Err(Invalid::new(
                "file",
                format!("must hold at most {MAX_ROWS} rows"),
            ));
        }
        let line = record.position().map_or(0, |p| p.line());
        let sku_raw = header.get(&record, "sku").map(str::trim).map(str::to_owned);
        let fail = |field: &str, message: String| RowError {
            line,
            sku: sku_raw.clone().filter(|s| !s.is_empty()),
            field: field.to_owned(),
            message,
        };
        if record.len() != header.len {
            errors.push(fail(
                "row",
                format!("has {} cells; the header has {}", record.len(), header.len),
            ));
            continue;
        }
        match parse_row(&header, &record, line, categories) {
            Ok(row) => {
                if let Some(first) = seen.insert(row.sku.as_str().to_owned(), line) {
                    errors.push(fail(
                        "sku",
                        format!("already on line {first}; a SKU may appear once"),
                    ));
                } else {
                    rows.push(row);
                }
            }
            Err(e) => errors.push(fail(&e.field, e.message)),
        }
    }
    Ok((count, rows, errors))
}

fn parse_row(
    header: &Header,
    record: &csv::StringRecord,
    line: u64,
    categories: &HashMap<String, i64>,
) -> Result<Row, Invalid> {
    let cell = |c: &str| header.get(record, c).unwrap_or_default();
    let sku = Sku::parse(cell("sku").trim())?;
    let name = edit::product_name(restore(cell("name")))?;
    let description = header
        .get(record, "description")
        .map(|d| edit::product_description(restore(d)))
        .transpose()?;
    let price = cell("price_cents").trim();
    let price_cents = price
        .parse::<i64>()
        .map_err(|_| {
            Invalid::new(
                "price_cents",
                format!("{price:?} is not a whole number of cents"),
            )
        })
        .and_then(edit::price_cents)?;
    if let Some(currency) = header.get(record, "currency") {
        let currency = currency.trim();
        if !currency.is_empty() {
            edit::currency(currency)?;
        }
    }
    let slug = cell("category").trim();
    let category_id = *categories.get(slug).ok_or_else(|| {
        Invalid::new(
            "category",
            format!("there is no category with slug {slug:?}"),
        )
    })?;
    Ok(Row {
        line,
        sku,
        name,
        description,
        price_cents,
        category_id,
    })
}

/// The fields that differ between `a` and `b`.
fn changed(a: &ProductFields, b: &ProductFields) -> Vec<&'static str> {
    let mut out = Vec::new();
    if a.name != b.name {
        out.push("name");
    }
    if a.description != b.description {
        out.push("description");
    }
    if a.price_cents != b.price_cents {
        out.push("price_cents");
    }
    if a.category_id != b.category_id {
        out.push("category");
    }
    out
}

/// A planned write.
enum Write {
    Create(ProductDraft),
    Update(i64, ProductFields),
}

/// Plans (and with `apply`, performs) the import of `csv_text` inside `tx`.
async fn run(db: &Db, tx: &mut Tx, csv_text: &[u8], apply: bool) -> Result<ImportReport, Error> {
    let catalog = load(db, tx).await?;
    let (rows_in_file, rows, errors) =
        parse(csv_text, &catalog.categories).map_err(Error::BadFile)?;
    let mut plan = Vec::with_capacity(rows.len());
    let mut writes = Vec::new();
    for row in rows {
        let sku = row.sku.as_str().to_owned();
        match catalog.products.get(&sku) {
            None => {
                plan.push(RowPlan {
                    line: row.line,
                    sku,
                    action: Action::Create,
                    product_id: None,
                    changed: vec!["name", "description", "price_cents", "category"],
                });
                writes.push((
                    plan.len() - 1,
                    Write::Create(ProductDraft {
                        sku: row.sku,
                        name: row.name,
                        description: row.description.unwrap_or_default(),
                        price_cents: row.price_cents,
                        category_id: row.category_id,
                    }),
                ));
            }
            Some((id, before)) => {
                let after = ProductFields {
                    sku: sku.clone(),
                    name: row.name,
                    description: row
                        .description
                        .unwrap_or_else(|| before.description.clone()),
                    price_cents: row.price_cents,
                    category_id: row.category_id,
                };
                let fields = changed(before, &after);
                let action = if fields.is_empty() {
                    Action::Unchanged
                } else {
                    Action::Update
                };
                plan.push(RowPlan {
                    line: row.line,
                    sku,
                    action,
                    product_id: Some(*id),
                    changed: fields,
                });
                if action == Action::Update {
                    writes.push((plan.len() - 1, Write::Update(*id, after)));
                }
            }
        }
    }
    let count = |a: Action| plan.iter().filter(|p| p.action == a).count();
    let mut report = ImportReport {
        sha256: sha256_hex(csv_text),
        rows: rows_in_file,
        created: count(Action::Create),
        updated: count(Action::Update),
        unchanged: count(Action::Unchanged),
        applied: false,
        errors,
        plan,
    };
    if !apply || !report.errors.is_empty() {
        return Ok(report);
    }
    for (at, write) in writes {
        match write {
            Write::Create(draft) => {
                let id = admin::insert_product(db, tx, &draft).await?;
                report.plan[at].product_id = Some(id);
            }
            Write::Update(id, after) => admin::write_product(db, tx, id, &after).await?,
        }
    }
    report.applied = true;
    Ok(report)
}

/// Records a span's outcome attributes for an import.
fn record(span: &tracing::Span, report: &ImportReport) {
    span.record("shop.import.rows", report.rows);
    span.record("shop.import.errors", report.errors.len());
}

fn import_span(mode: &'static str) -> tracing::Span {
    tracing::info_span!(
        "catalog.import",
        span.kind = "internal",
        shop.import.mode = mode,
        shop.import.rows = tracing::field::Empty,
        shop.import.errors = tracing::field::Empty,
    )
}

/// What importing `csv_text` would do; writes nothing.
pub async fn preview(db: &Db, csv_text: &[u8]) -> Result<ImportReport, Error> {
    let span = import_span("preview");
    let report = async {
        // A read-only plan, in a transaction that is always rolled back, so
        // it reads the same consistent catalog an apply would.
        let mut tx = db.begin_write().await?;
        let result = run(db, &mut tx, csv_text, false).await;
        let _ = db.traced("ROLLBACK", tx.rollback()).await;
        result
    }
    .instrument(span.clone())
    .await?;
    record(&span, &report);
    Ok(report)
}

/// Imports `csv_text`: all rows or none. A file with bad rows is refused
/// with [`Error::ImportRejected`] carrying the report; a good one is
/// written with one audit entry naming the file's digest and what changed.
pub async fn apply(db: &Db, csv_text: &[u8], audit: AuditEvent) -> Result<ImportReport, Error> {
    let span = import_span("apply");
    let result = async {
        let mut tx = db.begin_write().await?;
        let result = async {
            let report = run(db, &mut tx, csv_text, true).await?;
            if !report.applied {
                return Err(Error::ImportRejected(Box::new(report)));
            }
            let ids = |a: Action| -> Vec<i64> {
                report
                    .plan
                    .iter()
                    .filter(|p| p.action == a)
                    .filter_map(|p| p.product_id)
                    .collect()
            };
            let event = audit.target("catalog").change(
                None,
                Some(serde_json::json!({
                    "sha256": report.sha256,
                    "rows": report.rows,
                    "created": ids(Action::Create),
                    "updated": ids(Action::Update),
                    "unchanged": report.unchanged,
                })),
            );
            audit::append_in(db, &mut tx, event).await?;
            Ok(report)
        }
        .await;
        db.end_write(tx, result).await
    }
    .instrument(span.clone())
    .await;
    match &result {
        Ok(report) => record(&span, report),
        Err(Error::ImportRejected(report)) => record(&span, report),
        Err(_) => {}
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories() -> HashMap<String, i64> {
        [("audio".to_owned(), 2), ("camping".to_owned(), 5)]
            .into_iter()
            .collect()
    }

    #[test]
    fn formulas_are_defused_and_restored() {
        for text in ["=SUM(A1)", "+1", "-5 off", "@cmd", "\tx", "'quoted"] {
            let out = defuse(text);
            assert!(out.starts_with('\''), "{text}");
            assert_eq!(restore(&out), text);
        }
        assert_eq!(defuse("Lamp"), "Lamp");
        assert_eq!(
            restore("'plain"),
            "'plain",
            "only a defused cell loses its quote"
        );
    }

    #[test]
    fn rows_report_their_line_sku_and_field() {
        let file = "sku,name,price_cents,category\n\
            LAMP-1,Lamp,1999,audio\n\
            LAMP-2,,1999,audio\n\
            LAMP-3,Tent,12.50,camping\n\
            LAMP-4,Tent,100,nowhere\n\
            LAMP-1,Again,5,audio\n\
            lamp-5,Tent,100,audio\n\
            LAMP-6,Tent\n";
        let (count, rows, errors) = parse(file.as_bytes(), &categories()).unwrap();
        assert_eq!(count, 7);
        assert_eq!(rows.len(), 1);
        let got: Vec<(u64, Option<&str>, &str)> = errors
            .iter()
            .map(|e| (e.line, e.sku.as_deref(), e.field.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, Some("LAMP-2"), "name"),
                (4, Some("LAMP-3"), "price_cents"),
                (5, Some("LAMP-4"), "category"),
                (6, Some("LAMP-1"), "sku"),
                (7, Some("lamp-5"), "sku"),
                (8, Some("LAMP-6"), "row"),
            ]
        );
        assert!(errors[3].message.contains("line 2"), "{:?}", errors[3]);
    }

    #[test]
    fn a_bad_header_refuses_the_file() {
        let e = parse(b"sku,name,price,category\n", &categories())
            .err()
            .unwrap();
        assert_eq!(e.field, "header");
        assert!(e.message.contains("\"price\""), "{}", e.message);
        let e = parse(b"sku,name,category\n", &categories()).err().unwrap();
        assert!(
            e.message.contains("price_cents is missing"),
            "{}",
            e.message
        );
        let e = parse(b"sku,sku,name,price_cents,category\n", &categories())
            .err()
            .unwrap();
        assert!(e.message.contains("twice"), "{}", e.message);
        assert_eq!(parse(b"", &categories()).err().unwrap().field, "file");
    }

    #[test]
    fn columns_may_come_in_any_order_and_currency_is_checked() {
        let file = "\u{feff}Category,price_cents,NAME,sku,currency\n\
            audio,100,Lamp,LAMP-1,USD\n\
            audio,100,Lamp,LAMP-2,EUR\n";
        let (_, rows, errors) = parse(file.as_bytes(), &categories()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].category_id, 2);
        assert_eq!(errors[0].field, "currency");
    }

    #[test]
    fn too_many_rows_refuses_the_file() {
        let mut file = String::from("sku,name,price_cents,category\n");
        for i in 0..=MAX_ROWS {
            file.push_str(&format!("S-{i},N,1,audio\n"));
        }
        let e = parse(file.as_bytes(), &categories()).err().unwrap();
        assert_eq!(e.field, "file");
    }
}
