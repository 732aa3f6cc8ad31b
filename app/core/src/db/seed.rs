//! The demo catalog: 18 categories (6 departments with 2 sub-categories
//! each) and 240 products with stock levels, some low and some zero. It is
//! generated from fixed word lists and a fixed-seed generator, so every fresh
//! database — SQLite or MySQL, on any machine — gets the same catalog with
//! the same ids, which the experiments and tests rely on.
//!
//! Each product's `image_url` and `thumbnail_url` name its pictures
//! ([`crate::catalog::images`]); seeding stores no picture itself:
//! [`crate::catalog::image_store`] renders one when it is first asked for,
//! and `shop seed` renders them all.

use super::Db;
use crate::catalog::image_store::image_url;
use crate::catalog::images::ImageSize;
use crate::time::now_millis;

/// A top-level category (department) and its sub-categories.
struct Department {
    slug: &'static str,
    name: &'static str,
    subs: [Sub; 2],
}

/// A leaf category with the nouns and price range of its products.
struct Sub {
    slug: &'static str,
    name: &'static str,
    nouns: [&'static str; 5],
    /// Price range in cents.
    price: (i64, i64),
}

const DEPARTMENTS: [Department; 6] = [
    Department {
        slug: "electronics",
        name: "Electronics",
        subs: [
            Sub {
                slug: "audio",
                name: "Audio",
                nouns: ["Headphones", "Earbuds", "Speaker", "Soundbar", "Turntable"],
                price: (1_999, 39_999),
            },
            Sub {
                slug: "computers",
                name: "Computers & Accessories",
                nouns: ["Keyboard", "Mouse", "Monitor", "Laptop Stand", "USB-C Hub"],
                price: (1_499, 59_999),
            },
        ],
    },
    Department {
        slug: "home-kitchen",
        name: "Home & Kitchen",
        subs: [
            Sub {
                slug: "cookware",
                name: "Cookware",
                nouns: ["Skillet", "Dutch Oven", "Saucepan", "Wok", "Knife Set"],
                price: (1_299, 24_999),
            },
            Sub {
                slug: "furniture",
                name: "Furniture",
                nouns: [
                    "Desk Chair",
                    "Bookshelf",
                    "Side Table",
                    "Floor Lamp",
                    "Bench",
                ],
                price: (3_999, 89_999),
            },
        ],
    },
    Department {
        slug: "books",
        name: "Books",
        subs: [
            Sub {
                slug: "fiction",
                name: "Fiction",
                nouns: [
                    "Novel",
                    "Short Stories",
                    "Mystery",
                    "Fantasy Saga",
                    "Poetry Collection",
                ],
                price: (799, 3_499),
            },
            Sub {
                slug: "non-fiction",
                name: "Non-fiction",
                nouns: [
                    "Field Guide",
                    "Cookbook",
                    "Biography",
                    "History",
                    "Handbook",
                ],
                price: (999, 4_999),
            },
        ],
    },
    Department {
        slug: "sports-outdoors",
        name: "Sports & Outdoors",
        subs: [
            Sub {
                slug: "camping",
                name: "Camping",
                nouns: ["Tent", "Sleeping Bag", "Headlamp", "Camp Stove", "Backpack"],
                price: (1_999, 44_999),
            },
            Sub {
                slug: "fitness",
                name: "Fitness",
                nouns: [
                    "Yoga Mat",
                    "Dumbbell Set",
                    "Jump Rope",
                    "Foam Roller",
                    "Kettlebell",
                ],
                price: (999, 19_999),
            },
        ],
    },
    Department {
        slug: "fashion",
        name: "Fashion",
        subs: [
            Sub {
                slug: "shoes",
                name: "Shoes",
                nouns: ["Sneakers", "Trail Runners", "Boots", "Sandals", "Loafers"],
                price: (2_999, 19_999),
            },
            Sub {
                slug: "bags",
                name: "Bags",
                nouns: ["Tote", "Messenger Bag", "Duffel", "Daypack", "Wallet"],
                price: (1_499, 14_999),
            },
        ],
    },
    Department {
        slug: "toys-games",
        name: "Toys & Games",
        subs: [
            Sub {
                slug: "board-games",
                name: "Board Games",
                nouns: [
                    "Strategy Game",
                    "Party Game",
                    "Puzzle",
                    "Card Game",
                    "Co-op Game",
                ],
                price: (999, 7_999),
            },
            Sub {
                slug: "building-sets",
                name: "Building Sets",
                nouns: [
                    "Brick Set",
                    "Robot Kit",
                    "Marble Run",
                    "Model Kit",
                    "Train Set",
                ],
                price: (1_999, 29_999),
            },
        ],
    },
];

const ADJECTIVES: [&str; 4] = ["Classic", "Pro", "Compact", "Deluxe"];
const BRANDS: [&str; 10] = [
    "Aurora", "Borealis", "Cedar", "Dune", "Ember", "Fjord", "Granite", "Harbor", "Indigo",
    "Juniper",
];
const PRODUCTS_PER_SUB: usize = 20;

/// Products whose stock is set low or to zero: every 12th is out of stock
/// and every 12th (offset 5) is at or below its low-stock threshold.
fn stock_for(index: usize, rng: &mut SplitMix64) -> i64 {
    match index % 12 {
        0 => 0,
        5 => 1 + (rng.next() % 5) as i64,
        _ => 10 + (rng.next() % 191) as i64,
    }
}

/// A tiny fixed-seed generator (SplitMix64). Written here rather than taken
/// from `rand` because the catalog must never change when a dependency's
/// algorithm does.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Numbers of the generated catalog, for tests and docs.
pub const CATEGORY_COUNT: usize = DEPARTMENTS.len() * 3;
pub const PRODUCT_COUNT: usize = DEPARTMENTS.len() * 2 * PRODUCTS_PER_SUB;
/// The low-stock threshold every seeded product gets.
pub const LOW_STOCK_THRESHOLD: i64 = 5;

/// Inserts the demo catalog if the database has no categories yet. Returns
/// whether it did. Safe to call on every start.
pub async fn seed_if_empty(db: &Db) -> Result<bool, sqlx::Error> {
    const COUNT: &str = "SELECT COUNT(*) FROM categories";
    let existing: i64 = db
        .traced(COUNT, sqlx::query_scalar(COUNT).fetch_one(db.pool()))
        .await?;
    if existing > 0 {
        return Ok(false);
    }

    let now = now_millis();
    let mut rng = SplitMix64(0x005E_ED0F_5B0B);
    let mut tx = db.begin_write().await?;

    const INSERT_CATEGORY: &str = "INSERT INTO categories (id, slug, name, description, parent_id, sort_order) \
                                   VALUES (?, ?, ?, ?, ?, ?)";
    const INSERT_PRODUCT: &str = "INSERT INTO products (id, sku, name, description, price_cents, currency, \
                                  category_id, image_url, thumbnail_url, created_at, updated_at) \
                                  VALUES (?, ?, ?, ?, ?, 'USD', ?, ?, ?, ?, ?)";
    const INSERT_STOCK: &str = "INSERT INTO inventory (product_id, quantity, low_stock_threshold, updated_at) VALUES (?, ?, ?, ?)";
    const INSERT_MOVEMENT: &str = "INSERT INTO inventory_movements (product_id, delta, reason, reference, created_at) \
                                   VALUES (?, ?, 'seed', NULL, ?)";

    let mut category_id = 0i64;
    let mut product_id = 0i64;
    for (d_index, dept) in DEPARTMENTS.iter().enumerate() {
        category_id += 1;
        let dept_id = category_id;
        sqlx::query(INSERT_CATEGORY)
            .bind(dept_id)
            .bind(dept.slug)
            .bind(dept.name)
            .bind(format!("Everything in {}.", dept.name))
            .bind(None::<i64>)
            .bind(d_index as i64)
            .execute(&mut *tx)
            .await?;
        for (s_index, sub) in dept.subs.iter().enumerate() {
            category_id += 1;
            sqlx::query(INSERT_CATEGORY)
                .bind(category_id)
                .bind(sub.slug)
                .bind(sub.name)
                .bind(format!("{} from our {} department.", sub.name, dept.name))
                .bind(Some(dept_id))
                .bind(s_index as i64)
                .execute(&mut *tx)
                .await?;
            for i in 0..PRODUCTS_PER_SUB {
                product_id += 1;
                let noun = sub.nouns[i % sub.nouns.len()];
                let adjective = ADJECTIVES[(i / sub.nouns.len()) % ADJECTIVES.len()];
                let brand = BRANDS[(rng.next() % BRANDS.len() as u64) as usize];
                let name = format!("{brand} {adjective} {noun}");
                let (lo, hi) = sub.price;
                // Prices end in 99 cents, as shops like them.
                let price = ((lo + (rng.next() % (hi - lo) as u64) as i64) / 100) * 100 + 99;
                let stock = stock_for(product_id as usize, &mut rng);
                // Products were "added" over the last 240 days, one a day.
                let created = now - (PRODUCT_COUNT as i64 - product_id) * 86_400_000;
                sqlx::query(INSERT_PRODUCT)
                    .bind(product_id)
                    .bind(format!(
                        "{}-{:04}",
                        sub.slug.to_ascii_uppercase(),
                        product_id
                    ))
                    .bind(name.clone())
                    .bind(format!(
                        "The {name}: a {} {} from {brand}, chosen for our {} range.",
                        adjective.to_lowercase(),
                        noun.to_lowercase(),
                        sub.name.to_lowercase()
                    ))
                    .bind(price)
                    .bind(category_id)
                    .bind(image_url(product_id, ImageSize::Large))
                    .bind(image_url(product_id, ImageSize::Thumb))
                    .bind(created)
                    .bind(created)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(INSERT_STOCK)
                    .bind(product_id)
                    .bind(stock)
                    .bind(LOW_STOCK_THRESHOLD)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(INSERT_MOVEMENT)
                    .bind(product_id)
                    .bind(stock)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    tracing::info!(
        categories = category_id,
        products = product_id,
        "seeded the demo catalog"
    );
    Ok(true)
}

/// One of the lab's coupons.
struct SeedCoupon {
    code: &'static str,
    /// `percent` or `fixed`.
    kind: &'static str,
    /// Percent, or cents.
    amount: i64,
    min_subtotal_cents: i64,
    /// Epoch milliseconds; `None`: no bound.
    valid_from: Option<i64>,
    valid_until: Option<i64>,
    max_redemptions: Option<i64>,
    per_customer_limit: Option<i64>,
}

/// The lab's coupons (C-SHOP-06), documented in docs/orders.md#coupons.
const COUPONS: &[SeedCoupon] = &[
    // 10 % off anything, once per customer.
    SeedCoupon {
        code: "WELCOME10",
        kind: "percent",
        amount: 10,
        min_subtotal_cents: 0,
        valid_from: None,
        valid_until: None,
        max_redemptions: None,
        per_customer_limit: Some(1),
    },
    // $5 off orders from $25; 100 uses in all, 3 per customer.
    SeedCoupon {
        code: "SAVE5",
        kind: "fixed",
        amount: 500,
        min_subtotal_cents: 2_500,
        valid_from: None,
        valid_until: None,
        max_redemptions: Some(100),
        per_customer_limit: Some(3),
    },
    // 20 % off orders from $100, expired at 2025-01-01T00:00:00Z.
    SeedCoupon {
        code: "SPRING2024",
        kind: "percent",
        amount: 20,
        min_subtotal_cents: 10_000,
        valid_from: None,
        valid_until: Some(1_735_689_600_000),
        max_redemptions: None,
        per_customer_limit: None,
    },
    // 5 % off anything, no limits: what the experiments' signed-in sessions
    // check out with (experiments/src/scenario.rs), so every one redeems it.
    SeedCoupon {
        code: "SHOPLAB",
        kind: "percent",
        amount: 5,
        min_subtotal_cents: 0,
        valid_from: None,
        valid_until: None,
        max_redemptions: None,
        per_customer_limit: None,
    },
    // 5 % off, not valid before 2100-01-01T00:00:00Z.
    SeedCoupon {
        code: "FUTURE",
        kind: "percent",
        amount: 5,
        min_subtotal_cents: 0,
        valid_from: Some(4_102_444_800_000),
        valid_until: None,
        max_redemptions: None,
        per_customer_limit: None,
    },
];

/// Inserts the lab's coupons if there are none yet (a database seeded
/// before coupons existed gets them on its next start). Returns whether it did.
pub async fn seed_coupons_if_empty(db: &Db) -> Result<bool, sqlx::Error> {
    const COUNT: &str = "SELECT COUNT(*) FROM coupons";
    let existing: i64 = db
        .traced(COUNT, sqlx::query_scalar(COUNT).fetch_one(db.pool()))
        .await?;
    if existing > 0 {
        return Ok(false);
    }
    let now = now_millis();
    let mut tx = db.begin_write().await?;
    const INSERT: &str = "INSERT INTO coupons (code, kind, amount, min_subtotal_cents, valid_from, valid_until, \
        max_redemptions, per_customer_limit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    for c in COUPONS {
        sqlx::query(INSERT)
            .bind(c.code)
            .bind(c.kind)
            .bind(c.amount)
            .bind(c.min_subtotal_cents)
            .bind(c.valid_from)
            .bind(c.valid_until)
            .bind(c.max_redemptions)
            .bind(c.per_customer_limit)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    tracing::info!(coupons = COUPONS.len(), "seeded the lab's coupons");
    Ok(true)
}
