//! Product and category ids: positive integers. A parsed id can still name
//! nothing; that is for the store to say (404), not the parser (400).

use crate::validation::Invalid;

/// A product id (`product_id`): a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId(i64);

impl ProductId {
    /// Refuses zero and negative ids.
    pub fn parse(raw: i64) -> Result<ProductId, Invalid> {
        positive(raw, "product_id").map(ProductId)
    }

    /// The id as stored.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A category id (`category_id`): a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CategoryId(i64);

impl CategoryId {
    /// Refuses zero and negative ids.
    pub fn parse(raw: i64) -> Result<CategoryId, Invalid> {
        positive(raw, "category_id").map(CategoryId)
    }

    /// The id as stored.
    pub fn get(self) -> i64 {
        self.0
    }
}

fn positive(raw: i64, field: &str) -> Result<i64, Invalid> {
    if raw >= 1 {
        Ok(raw)
    } else {
        Err(Invalid::new(field, "must be a positive integer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive() {
        assert_eq!(ProductId::parse(1).unwrap().get(), 1);
        assert_eq!(ProductId::parse(i64::MAX).unwrap().get(), i64::MAX);
        for bad in [0, -1, i64::MIN] {
            let e = ProductId::parse(bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.message.as_str()),
                ("product_id", "must be a positive integer")
            );
            assert_eq!(CategoryId::parse(bad).unwrap_err().field, "category_id");
        }
        assert_eq!(CategoryId::parse(7).unwrap().get(), 7);
    }
}
