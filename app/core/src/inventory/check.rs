//! The rules of an availability check: 1–[`MAX_CHECK_ITEMS`] distinct
//! products, each a positive id with 1–[`MAX_CHECK_QUANTITY`] units. The
//! inventory service enforces them on its endpoint and the in-process
//! client on its callers alike.

use std::collections::HashSet;

use super::model::StockRequest;
use crate::catalog::ProductId;
use crate::validation::Invalid;

/// Most distinct products one availability check may ask about.
pub const MAX_CHECK_ITEMS: usize = 100;
/// Most units of one product one check may ask about.
pub const MAX_CHECK_QUANTITY: i64 = 1_000_000;

/// A validated availability request.
#[derive(Debug, Clone)]
pub struct StockCheck(Vec<StockRequest>);

impl StockCheck {
    /// Checks the list, then each item in order (a repeated product first,
    /// then its id, then its quantity), naming the first broken rule as
    /// `items[i].…`.
    pub fn parse(items: Vec<StockRequest>) -> Result<StockCheck, Invalid> {
        if items.is_empty() {
            return Err(Invalid::new("items", "must not be empty"));
        }
        if items.len() > MAX_CHECK_ITEMS {
            return Err(Invalid::new(
                "items",
                format!("at most {MAX_CHECK_ITEMS} items"),
            ));
        }
        let mut seen = HashSet::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = format!("items[{i}]");
            if !seen.insert(item.product_id) {
                return Err(Invalid::new("product_id", "appears more than once").within(&at));
            }
            ProductId::parse(item.product_id).map_err(|e| e.within(&at))?;
            if !(1..=MAX_CHECK_QUANTITY).contains(&item.quantity) {
                return Err(Invalid::new(
                    "quantity",
                    format!("must be between 1 and {MAX_CHECK_QUANTITY}"),
                )
                .within(&at));
            }
        }
        Ok(StockCheck(items))
    }

    /// The requests, in the caller's order.
    pub fn items(&self) -> &[StockRequest] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(product_id: i64, quantity: i64) -> StockRequest {
        StockRequest {
            product_id,
            quantity,
        }
    }

    fn refused(items: Vec<StockRequest>) -> (String, String) {
        let e = StockCheck::parse(items).unwrap_err();
        (e.field, e.message)
    }

    #[test]
    fn a_valid_check_keeps_its_order() {
        let c = StockCheck::parse(vec![req(3, 1), req(1, MAX_CHECK_QUANTITY)]).unwrap();
        let ids: Vec<i64> = c.items().iter().map(|r| r.product_id).collect();
        assert_eq!(ids, [3, 1]);
    }

    #[test]
    fn list_rules() {
        assert_eq!(
            refused(vec![]),
            ("items".into(), "must not be empty".into())
        );
        let many = (1..=101).map(|id| req(id, 1)).collect();
        assert_eq!(refused(many), ("items".into(), "at most 100 items".into()));
        assert!(StockCheck::parse((1..=100).map(|id| req(id, 1)).collect()).is_ok());
    }

    #[test]
    fn item_rules_name_the_item() {
        assert_eq!(
            refused(vec![req(1, 1), req(1, 1)]),
            (
                "items[1].product_id".into(),
                "appears more than once".into()
            )
        );
        assert_eq!(
            refused(vec![req(1, 1), req(0, 1)]),
            (
                "items[1].product_id".into(),
                "must be a positive integer".into()
            )
        );
        for q in [0, -1, MAX_CHECK_QUANTITY + 1] {
            assert_eq!(
                refused(vec![req(2, q)]),
                (
                    "items[0].quantity".into(),
                    "must be between 1 and 1000000".into()
                )
            );
        }
    }
}
