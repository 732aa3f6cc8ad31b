//! The catalog (C-BROWSE-01/02/03/04/05/07): products with filters, sorting
//! and pagination, search, categories, the stock status of every product,
//! and product pictures.
//!
//! - [`model`]: what the catalog shows (products, categories, pages);
//! - [`ids`]: product and category ids as validated types;
//! - [`listing`]: the rules of a listing request (page, sort, price range,
//!   search text…), parsed into a [`Listing`];
//! - [`store`]: the SQL;
//! - [`images`]: the product pictures, drawn by the shop (C-BROWSE-02);
//! - [`image_store`]: where the pictures are kept, and when they are drawn;
//! - [`Catalog`]: the operations, for an HTTP handler, a worker or a Lambda.
//!
//! Room to grow: related items and reviews each get a module of their own
//! here, beside `model`, with their operations on [`Catalog`].

pub mod ids;
pub mod image_store;
pub mod images;
pub mod listing;
pub mod model;
pub mod store;

use telemetry_api::{KeyValue, semconv};

use crate::db::Db;
use crate::instruments::Instruments;
use crate::validation::Invalid;

pub use ids::{CategoryId, ProductId};
pub use image_store::StoredImage;
pub use images::ImageSize;
pub use listing::{Listing, ListingParams, Scope, Sort};
pub use model::{Category, CategoryList, CategoryRef, Product, ProductPage, Stock};

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
        Ok(product)
    }

    /// A product's picture at `size` (stored, or drawn now and stored: see
    /// [`image_store`]). Not counted as a view: the product page already was.
    pub async fn image(&self, id: i64, size: ImageSize) -> Result<StoredImage, Error> {
        image_store::get(&self.db, id, size)
            .await?
            .ok_or(Error::ProductNotFound(id))
    }

    /// Every category, each department followed by its sub-categories.
    pub async fn categories(&self) -> Result<CategoryList, Error> {
        Ok(CategoryList {
            items: store::categories(&self.db).await?,
        })
    }
}
