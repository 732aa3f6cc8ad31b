//! The server-side cart (C-SHOP-01): create, view, add, change, remove.
//! Adding checks stock with inventory, so a shopper learns early that an
//! item is short; checkout checks again, atomically.
//!
//! - [`model`]: the cart and its lines;
//! - [`id`], [`quantity`]: the validated cart id and line quantity;
//! - [`store`]: the SQL;
//! - [`abandonment`]: counting carts left with items (O-METRIC-06);
//! - [`Carts`]: the operations.

pub mod abandonment;
pub mod id;
pub mod model;
pub mod quantity;
pub mod store;

use telemetry_api::{KeyValue, semconv};

use crate::accounts::UserType;
use crate::catalog::ProductId;
use crate::db::Db;
use crate::instruments::Instruments;
use crate::inventory::{self, InventoryClient, ItemAvailability, StockCheck, StockRequest};
use crate::validation::Invalid;

pub use id::CartId;
pub use model::{Cart, CartItem};
pub use quantity::{MAX_QUANTITY, Quantity};

/// Most distinct products a cart may hold.
pub const MAX_LINES: i64 = 50;

/// Why a cart operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input broke a rule.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("cart {0} not found")]
    NotFound(CartId),
    /// An order was placed from this cart; it takes no more changes.
    #[error("cart {0} has been checked out; create a new cart")]
    CheckedOut(CartId),
    #[error("cart item {0} not found")]
    ItemNotFound(i64),
    #[error("a cart holds at most {MAX_LINES} different products")]
    Full,
    #[error("no product with id {0}")]
    UnknownProduct(i64),
    /// Inventory has fewer units than the line would hold.
    #[error("{message}")]
    InsufficientStock {
        message: String,
        item: ItemAvailability,
    },
    /// Inventory could not answer.
    #[error(transparent)]
    Inventory(#[from] inventory::Error),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// The cart's operations. Cheap to clone (handles only).
#[derive(Clone)]
pub struct Carts {
    db: Db,
    inventory: InventoryClient,
    instruments: Instruments,
}

impl Carts {
    /// Carts on `db`, checking stock with `inventory`.
    pub fn new(db: Db, inventory: InventoryClient, instruments: Instruments) -> Carts {
        Carts {
            db,
            inventory,
            instruments,
        }
    }

    /// Creates an empty cart with a new id.
    pub async fn create(&self, id: &CartId) -> Result<Cart, Error> {
        store::insert(&self.db, id).await?;
        self.get(id).await
    }

    /// A cart with its lines.
    pub async fn get(&self, id: &CartId) -> Result<Cart, Error> {
        store::load(&self.db, id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))
    }

    /// Adds `quantity` units of a product (merging with its line), if the
    /// merged line is within the limits and inventory has the units.
    pub async fn add_item(
        &self,
        id: &CartId,
        product: ProductId,
        quantity: Quantity,
        shopper: UserType,
    ) -> Result<Cart, Error> {
        self.ensure_open(id).await?;
        let product_id = product.get();
        let current = store::quantity_of(&self.db, id, product_id).await?;
        let wanted = Quantity::merged(current, quantity)?.get();
        if current == 0 && store::line_count(&self.db, id).await? >= MAX_LINES {
            return Err(Error::Full);
        }
        let item = self.stock_of(product_id, wanted).await?;
        if !item.exists {
            return Err(Error::UnknownProduct(product_id));
        }
        if !item.sufficient {
            return Err(Error::InsufficientStock {
                message: format!(
                    "only {} of product {product_id} in stock; the cart would need {wanted}",
                    item.on_hand
                ),
                item,
            });
        }
        store::add_units(&self.db, id, product_id, quantity.get()).await?;
        store::touch(&self.db, id).await?;
        self.instruments.cart_additions.add(
            quantity.get() as u64,
            &[KeyValue::new(semconv::SHOP_USER_TYPE, shopper.as_str())],
        );
        self.instruments.funnel_step("cart");
        tracing::info!(shop.cart.id = %id, shop.product.id = product_id, quantity = quantity.get(), "item added to cart");
        self.get(id).await
    }

    /// Sets a line's quantity, if inventory has the units.
    pub async fn update_item(
        &self,
        id: &CartId,
        line: i64,
        quantity: Quantity,
    ) -> Result<Cart, Error> {
        self.ensure_open(id).await?;
        let product_id = self.line_product(id, line).await?;
        let item = self.stock_of(product_id, quantity.get()).await?;
        if !item.sufficient {
            return Err(Error::InsufficientStock {
                message: format!("only {} of product {product_id} in stock", item.on_hand),
                item,
            });
        }
        store::set_quantity(&self.db, id, line, quantity.get()).await?;
        store::touch(&self.db, id).await?;
        self.get(id).await
    }

    /// Removes a line.
    pub async fn remove_item(&self, id: &CartId, line: i64) -> Result<Cart, Error> {
        self.ensure_open(id).await?;
        self.line_product(id, line).await?;
        store::delete_line(&self.db, id, line).await?;
        store::touch(&self.db, id).await?;
        self.get(id).await
    }

    /// Unknown carts are missing; checked-out ones take no changes.
    async fn ensure_open(&self, id: &CartId) -> Result<(), Error> {
        match store::status(&self.db, id).await?.as_deref() {
            None => Err(Error::NotFound(id.clone())),
            Some(model::STATUS_OPEN) => Ok(()),
            Some(_) => Err(Error::CheckedOut(id.clone())),
        }
    }

    /// The line's product, checking that the line belongs to the cart.
    async fn line_product(&self, id: &CartId, line: i64) -> Result<i64, Error> {
        store::line_product(&self.db, id, line)
            .await?
            .ok_or(Error::ItemNotFound(line))
    }

    /// What inventory says about `quantity` units of one product.
    async fn stock_of(&self, product_id: i64, quantity: i64) -> Result<ItemAvailability, Error> {
        let check = StockCheck::parse(vec![StockRequest {
            product_id,
            quantity,
        }])?;
        let mut availability = self.inventory.check(&check).await?;
        if availability.items.is_empty() {
            return Err(inventory::Error::Upstream {
                service: inventory::client::INVENTORY_SERVICE,
                message: "the answer has no items".to_owned(),
            }
            .into());
        }
        let item = availability.items.swap_remove(0);
        // The detail production keeps for a share of traces (--log-debug-sample).
        tracing::debug!(
            shop.product.id = product_id,
            requested = quantity,
            on_hand = item.on_hand,
            sufficient = item.sufficient,
            "stock checked"
        );
        Ok(item)
    }
}
