//! The catalog (C-BROWSE-01/02/03/04/05/07): products with filters, sorting
//! and pagination, search, categories, the stock status of every product,
//! and product pictures.
//!
//! - [`model`]: what the catalog shows (products, categories, pages);
//! - [`ids`]: product and category ids as validated types;
//! - [`listing`]: the rules of a listing request (page, sort, price range,
//!   search text…), parsed into a [`Listing`];
//! - [`store`]: the SQL (products, listings, categories, related products);
//! - [`reviews`]: the rules of a review, moderation, what is shown
//!   (C-BROWSE-08); [`review_store`]: their SQL;
//! - [`images`]: the product pictures, drawn by the shop (C-BROWSE-02);
//! - [`image_store`]: where the pictures are kept, and when they are drawn;
//! - [`resize`]: an admin's upload checked by content and made into the
//!   catalog's sizes (pure: the shop and a Lambda function call it);
//! - [`Catalog`]: the operations, for an HTTP handler, a worker or a Lambda;
//! - [`edit`], [`admin`], [`import`]: the back office's changes
//!   (A-PROD-01..04): the rules of each field, the SQL, and the CSV export
//!   and import.
//!
//! Related products (C-BROWSE-06) are computed from orders: "bought
//! together" and "same category" ([`Catalog::related`]).

pub mod admin;
pub mod edit;
pub mod ids;
pub mod image_store;
pub mod images;
pub mod import;
pub mod listing;
pub mod model;
pub mod resize;
pub mod review_store;
pub mod reviews;
pub mod store;

use telemetry_api::{KeyValue, semconv};

use crate::accounts::UserId;
use crate::db::Db;
use crate::instruments::Instruments;
use crate::validation::Invalid;

pub use ids::{CategoryId, ProductId};
pub use image_store::StoredImage;
pub use images::ImageSize;
pub use listing::{Listing, ListingParams, Scope, Sort};
pub use model::{
    Category, CategoryList, CategoryRef, Product, ProductPage, RelatedProduct, RelatedProducts,
    Stock,
};
pub use reviews::{
    Rating, RatingSummary, Review, ReviewPage, ReviewPaging, ReviewStatus, ReviewText,
};

/// Why a catalog operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter broke a rule.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("product {0} not found")]
    ProductNotFound(i64),
    #[error("category {0} not found")]
    CategoryNotFound(i64),
    /// Only customers who bought a product may review it.
    #[error("only customers who bought product {0} may review it")]
    NotPurchased(i64),
    /// One review per customer and product.
    #[error("you have already reviewed product {0}")]
    AlreadyReviewed(i64),
    /// A body names a category that does not exist (`field`: `category_id`
    /// or `parent_id`).
    #[error("there is no category {id}")]
    UnknownCategory { field: &'static str, id: i64 },
    /// Another product already has this SKU.
    #[error("another product already has SKU {0}")]
    SkuTaken(String),
    /// Another category already has this slug.
    #[error("another category already has slug {0}")]
    SlugTaken(String),
    /// Products that were ordered cannot be deleted (their orders name them).
    #[error(
        "products {0:?} were ordered; orders keep their lines, so set their stock to 0 instead"
    )]
    ProductHasOrders(Vec<i64>),
    /// A category with products or categories cannot be deleted.
    #[error("category {id} still holds {products} products and {categories} categories")]
    CategoryNotEmpty {
        id: i64,
        products: i64,
        categories: i64,
    },
    /// A move or a parent that would break the two-level tree.
    #[error("{0}")]
    CategoryTree(String),
    /// A catalog import file that cannot be read as the catalog's CSV (empty,
    /// not CSV, an unknown, missing or repeated column, too many rows).
    #[error(transparent)]
    BadFile(Invalid),
    /// A catalog import with bad rows: nothing was written; the report
    /// names every row's problem.
    #[error("the import has {} bad rows; nothing was written", .0.errors.len())]
    ImportRejected(Box<import::ImportReport>),
    /// A listing parameter could not be bound to the statement (a bug).
    #[error("binding a listing parameter: {0}")]
    Bind(String),
    /// Drawing a product picture failed (a bug: the renderer panicked).
    #[error("rendering a product picture: {0}")]
    Render(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// The catalog's operations. Cheap to clone (handles only).
#[derive(Clone)]
pub struct Catalog {
    db: Db,
    instruments: Instruments,
}

impl Catalog {
    /// The catalog on `db`, counting views into `instruments`.
    pub fn new(db: Db, instruments: Instruments) -> Catalog {
        Catalog { db, instruments }
    }

    /// One page of products matching `listing`.
    pub async fn list(&self, listing: &Listing) -> Result<ProductPage, Error> {
        store::list(&self.db, listing).await
    }

    /// One product with its stock, counted as a view (`shop.product.views`
    /// by category).
    pub async fn view_product(&self, id: i64) -> Result<Product, Error> {
        let product = store::load_product(&self.db, id)
            .await?
            .ok_or(Error::ProductNotFound(id))?;
        self.instruments.product_views.add(
            1,
            &[KeyValue::new(
                semconv::SHOP_CATEGORY_ID,
                product.category.id,
            )],
        );
        self.instruments.funnel_step("view");
        Ok(product)
    }

    /// A product's picture at `size` (stored, or drawn now and stored: see
    /// [`image_store`]). Not counted as a view: the product page already was.
    pub async fn image(&self, id: i64, size: ImageSize) -> Result<StoredImage, Error> {
        image_store::get(&self.db, id, size)
            .await?
            .ok_or(Error::ProductNotFound(id))
    }

    /// A page of `product_id`'s published reviews with its rating (404 for
    /// an unknown product).
    pub async fn reviews(
        &self,
        product_id: i64,
        paging: ReviewPaging,
    ) -> Result<ReviewPage, Error> {
        self.must_exist(product_id).await?;
        Ok(review_store::page(&self.db, product_id, paging).await?)
    }

    /// `user` reviews `product_id`: only after buying it, once. The text is
    /// moderated (published or held); a published review joins the
    /// product's rating in the same transaction. Counted in `shop.reviews`
    /// by outcome; the outcome and the rating go on the current span.
    pub async fn write_review(
        &self,
        user: &UserId,
        product_id: i64,
        rating: Rating,
        text: &ReviewText,
    ) -> Result<Review, Error> {
        let span = tracing::Span::current();
        span.record(semconv::SHOP_PRODUCT_ID, product_id);
        self.must_exist(product_id).await?;
        if !review_store::has_bought(&self.db, user.as_str(), product_id).await? {
            return Err(Error::NotPurchased(product_id));
        }
        let status = text.moderate();
        let id = review_store::write(&self.db, product_id, user.as_str(), rating, text, status)
            .await
            .map_err(|e| match e {
                review_store::WriteError::Duplicate => Error::AlreadyReviewed(product_id),
                review_store::WriteError::Db(e) => Error::Db(e),
            })?;
        span.record(semconv::SHOP_REVIEW_OUTCOME, status.as_str());
        self.instruments.reviews.add(
            1,
            &[KeyValue::new(semconv::SHOP_REVIEW_OUTCOME, status.as_str())],
        );
        tracing::info!(
            shop.product.id = product_id,
            rating = rating.get(),
            outcome = status.as_str(),
            "review written"
        );
        review_store::load(&self.db, id)
            .await?
            .ok_or_else(|| Error::Db(sqlx::Error::Protocol(format!("review {id} vanished"))))
    }

    /// Products to show beside `product_id` (C-BROWSE-06): up to `limit`
    /// bought together with it, and up to `limit` others of its category
    /// that are not among those.
    pub async fn related(&self, product_id: i64, limit: i64) -> Result<RelatedProducts, Error> {
        let product = store::load_product(&self.db, product_id)
            .await?
            .ok_or(Error::ProductNotFound(product_id))?;
        let bought_together = store::bought_together(&self.db, product_id, limit).await?;
        let mut same_category = store::same_category(
            &self.db,
            product_id,
            product.category.id,
            limit + bought_together.len() as i64,
        )
        .await?;
        same_category.retain(|p| !bought_together.iter().any(|b| b.product.id == p.id));
        same_category.truncate(limit as usize);
        Ok(RelatedProducts {
            bought_together,
            same_category,
        })
    }

    async fn must_exist(&self, product_id: i64) -> Result<(), Error> {
        const SQL: &str = "SELECT COUNT(*) FROM products WHERE id = ?";
        let n: i64 = self
            .db
            .traced(
                SQL,
                sqlx::query_scalar(SQL)
                    .bind(product_id)
                    .fetch_one(self.db.pool()),
            )
            .await?;
        if n == 0 {
            Err(Error::ProductNotFound(product_id))
        } else {
            Ok(())
        }
    }

    /// Every category, each department followed by its sub-categories.
    pub async fn categories(&self) -> Result<CategoryList, Error> {
        Ok(CategoryList {
            items: store::categories(&self.db).await?,
        })
    }
}
