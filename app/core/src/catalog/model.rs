//! What the catalog shows: products with their category and stock,
//! pages of products, and categories. These are returned as they are, so
//! they carry the OpenAPI schema derives.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::reviews::RatingSummary;
use crate::inventory::StockStatus;

/// A product's stock as a shopper sees it (C-BROWSE-07).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Stock {
    pub quantity: i64,
    pub status: StockStatus,
    pub low_stock_threshold: i64,
}

/// The category a product belongs to, in short.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A product with its category and stock.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    /// Price in cents of `currency`.
    pub price_cents: i64,
    pub currency: String,
    pub category: CategoryRef,
    /// The product's picture, 600 × 600 PNG (`/images/products/{id}/large.png`):
    /// for the product page. A URL's bytes never change (they are served as
    /// immutable); a replaced picture gets a new URL.
    pub image_url: String,
    /// The same picture, 200 × 200 PNG (`/images/products/{id}/thumb.png`):
    /// for listings, search results and the cart.
    pub thumbnail_url: String,
    pub stock: Stock,
    /// RFC 3339.
    pub created_at: String,
    /// Stars over the published reviews (C-BROWSE-08).
    pub rating: RatingSummary,
}

/// A product bought together with another, and how often.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RelatedProduct {
    pub product: Product,
    /// Orders (not cancelled) that held both products.
    pub orders_together: i64,
}

/// What to show beside a product (C-BROWSE-06): products bought in the same
/// orders, then others of its category (none repeated).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RelatedProducts {
    pub bought_together: Vec<RelatedProduct>,
    pub same_category: Vec<Product>,
}

/// One page of products.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<Product>,
    pub page: u32,
    pub per_page: u32,
    /// Products matching the filters, on all pages.
    pub total: i64,
    pub total_pages: i64,
}

/// A department or one of its sub-categories.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The department this category belongs to; `null` for departments.
    pub parent_id: Option<i64>,
    /// Products in this category and its sub-categories.
    pub product_count: i64,
}

/// Every category.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<Category>,
}
