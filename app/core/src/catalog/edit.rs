//! The rules of what a back-office edit may write into the catalog
//! (A-PROD-01..03): validated types for each field of a product and a
//! category, and the drafts (create) and patches (change some fields) built
//! from them. The SQL that applies them is in [`super::admin`].
//!
//! Limits follow the columns (MariaDB's `VARCHAR` sizes in migration 0001),
//! so a value that passes here always fits; the formats are the seed's own
//! (`AUDIO-0001`, `home-kitchen`), so edited and seeded rows look alike.

use crate::validation::Invalid;

/// The shop sells in one currency; every price is in its cents.
pub const CURRENCY: &str = "USD";
/// The highest price the back office accepts: $1,000,000.00.
pub const MAX_PRICE_CENTS: i64 = 100_000_000;
/// The longest product description, in characters.
pub const MAX_DESCRIPTION: usize = 5_000;

/// A stock-keeping unit: 2–32 characters of `A–Z`, `0–9` and `-`, starting
/// with a letter or digit (`AUDIO-0001`). Upper case only, so uniqueness
/// means the same on SQLite (case-sensitive) and MariaDB (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Sku, Invalid> {
        let ok = (2..=32).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())
            && raw
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Sku(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "sku",
                "must be 2–32 characters of A–Z, 0–9 and '-', starting with a letter or digit",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A category slug: 1–64 characters of `a–z`, `0–9` and `-`, neither
/// starting nor ending with `-` (`home-kitchen`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Slug, Invalid> {
        let ok = (1..=64).contains(&raw.len())
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Slug(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "slug",
                "must be 1–64 characters of a–z, 0–9 and '-', not starting or ending with '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trimmed text of `min..=max` characters without control characters
/// (`multiline` allows line breaks and tabs, for descriptions).
fn text(
    raw: &str,
    field: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<String, Invalid> {
    let t = raw.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(Invalid::new(
            field,
            if min == 0 {
                format!("must be at most {max} characters")
            } else {
                format!("must be {min}–{max} characters (after trimming spaces)")
            },
        ));
    }
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'));
    if !t.chars().all(allowed) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(t.to_owned())
}

/// A product's name: 1–200 characters.
pub fn product_name(raw: &str) -> Result<String, Invalid> {
    text(raw, "name", 1, 200, false)
}

/// A product's description: at most [`MAX_DESCRIPTION`] characters.
pub fn product_description(raw: &str) -> Result<String, Invalid> {
    text(raw, "description", 0, MAX_DESCRIPTION, true)
}

/// A category's name: 1–100 characters.
pub fn category_name(raw: &str) -> Result<String, Invalid> {
    text(raw, "name", 1, 100, false)
}

/// A category's description: at most 500 characters.
pub fn category_description(raw: &str) -> Result<String, Invalid> {
    text(raw, "description", 0, 500, true)
}

/// A price in cents: 0 to [`MAX_PRICE_CENTS`].
pub fn price_cents(raw: i64) -> Result<i64, Invalid> {
    if (0..=MAX_PRICE_CENTS).contains(&raw) {
        Ok(raw)
    } else {
        Err(Invalid::new(
            "price_cents",
            format!("must be between 0 and {MAX_PRICE_CENTS}"),
        ))
    }
}

/// The currency, when one is given: only the shop's ([`CURRENCY`]).
pub fn currency(raw: &str) -> Result<(), Invalid> {
    if raw == CURRENCY {
        Ok(())
    } else {
        Err(Invalid::new(
            "currency",
            format!("must be {CURRENCY}: the shop sells in one currency"),
        ))
    }
}

fn positive_id(raw: i64, field: &str) -> Result<i64, Invalid> {
    if raw >= 1 {
        Ok(raw)
    } else {
        Err(Invalid::new(field, "must be a positive integer"))
    }
}

/// A new product, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub sku: Sku,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub category_id: i64,
}

impl ProductDraft {
    /// Checks every field; the first rule broken is the error.
    pub fn parse(
        sku: &str,
        name: &str,
        description: &str,
        price: i64,
        category_id: i64,
    ) -> Result<ProductDraft, Invalid> {
        Ok(ProductDraft {
            sku: Sku::parse(sku)?,
            name: product_name(name)?,
            description: product_description(description)?,
            price_cents: price_cents(price)?,
            category_id: positive_id(category_id, "category_id")?,
        })
    }
}

/// A change to some of a product's fields (absent ones stay as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductPatch {
    pub sku: Option<Sku>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_cents: Option<i64>,
    pub category_id: Option<i64>,
}

impl ProductPatch {
    /// Checks the fields that are there. An empty patch is valid: it
    /// changes nothing (as a JSON merge patch `{}` does).
    pub fn parse(
        sku: Option<&str>,
        name: Option<&str>,
        description: Option<&str>,
        price: Option<i64>,
        category_id: Option<i64>,
    ) -> Result<ProductPatch, Invalid> {
        Ok(ProductPatch {
            sku: sku.map(Sku::parse).transpose()?,
            name: name.map(product_name).transpose()?,
            description: description.map(product_description).transpose()?,
            price_cents: price.map(price_cents).transpose()?,
            category_id: category_id
                .map(|id| positive_id(id, "category_id"))
                .transpose()?,
        })
    }
}

/// A new category: a department (no parent) or a category within one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryDraft {
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub parent_id: Option<i64>,
}

impl CategoryDraft {
    pub fn parse(
        slug: &str,
        name: &str,
        description: &str,
        parent_id: Option<i64>,
    ) -> Result<CategoryDraft, Invalid> {
        Ok(CategoryDraft {
            slug: Slug::parse(slug)?,
            name: category_name(name)?,
            description: category_description(description)?,
            parent_id: parent_id
                .map(|id| positive_id(id, "parent_id"))
                .transpose()?,
        })
    }
}

/// A change to a category: rename (`slug`, `name`, `description`) and/or
/// move (`parent`: `Some(None)` makes it a department, `Some(Some(id))`
/// puts it under department `id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryPatch {
    pub slug: Option<Slug>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub parent: Option<Option<i64>>,
}

impl CategoryPatch {
    pub fn parse(
        slug: Option<&str>,
        name: Option<&str>,
        description: Option<&str>,
        parent: Option<Option<i64>>,
    ) -> Result<CategoryPatch, Invalid> {
        Ok(CategoryPatch {
            slug: slug.map(Slug::parse).transpose()?,
            name: name.map(category_name).transpose()?,
            description: description.map(category_description).transpose()?,
            parent: parent
                .map(|p| p.map(|id| positive_id(id, "parent_id")).transpose())
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_follow_the_seed_format() {
        for ok in ["AUDIO-0001", "X1", "9-LIVES", &"A".repeat(32)] {
            assert_eq!(Sku::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "A",
            "-AUDIO",
            "audio-1",
            "AUDIO 1",
            "ÄUDIO",
            &"A".repeat(33),
        ] {
            assert_eq!(Sku::parse(bad).unwrap_err().field, "sku", "{bad}");
        }
    }

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        for ok in ["audio", "home-kitchen", "4k", &"a".repeat(64)] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-audio",
            "audio-",
            "Audio",
            "home kitchen",
            "café",
            &"a".repeat(65),
        ] {
            assert_eq!(Slug::parse(bad).unwrap_err().field, "slug", "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(product_name("  Lamp ").unwrap(), "Lamp");
        assert_eq!(product_name("   ").unwrap_err().field, "name");
        assert!(
            product_name(&"é".repeat(200)).is_ok(),
            "characters, not bytes"
        );
        assert!(product_name(&"é".repeat(201)).is_err());
        assert!(product_name("Lamp\u{0}").is_err());
        assert!(product_name("two\nlines").is_err());
        assert!(product_description("two\nlines\tok").is_ok());
        assert!(product_description("").is_ok());
        assert_eq!(
            product_description(&"x".repeat(MAX_DESCRIPTION + 1))
                .unwrap_err()
                .message,
            format!("must be at most {MAX_DESCRIPTION} characters")
        );
        assert!(category_name(&"x".repeat(101)).is_err());
        assert!(category_description(&"x".repeat(501)).is_err());
    }

    #[test]
    fn prices_and_currency() {
        assert_eq!(price_cents(0).unwrap(), 0);
        assert_eq!(price_cents(MAX_PRICE_CENTS).unwrap(), MAX_PRICE_CENTS);
        assert_eq!(price_cents(-1).unwrap_err().field, "price_cents");
        assert!(price_cents(MAX_PRICE_CENTS + 1).is_err());
        assert!(currency("USD").is_ok());
        assert_eq!(currency("EUR").unwrap_err().field, "currency");
    }

    #[test]
    fn a_draft_names_the_first_broken_field() {
        let d = ProductDraft::parse("LAMP-1", "Lamp", "", 1999, 3).unwrap();
        assert_eq!((d.sku.as_str(), d.price_cents), ("LAMP-1", 1999));
        let e = ProductDraft::parse("LAMP-1", "Lamp", "", 1999, 0).unwrap_err();
        assert_eq!(e.field, "category_id");
        let e = ProductDraft::parse("lamp", "", "", -1, 0).unwrap_err();
        assert_eq!(e.field, "sku");
    }

    #[test]
    fn an_empty_patch_changes_nothing() {
        assert_eq!(
            ProductPatch::parse(None, None, None, None, None).unwrap(),
            ProductPatch::default()
        );
        let p = ProductPatch::parse(None, None, None, Some(500), None).unwrap();
        assert_eq!(p.price_cents, Some(500));
        assert_eq!(
            CategoryPatch::parse(None, None, None, None).unwrap(),
            CategoryPatch::default()
        );
        let moved = CategoryPatch::parse(None, None, None, Some(None)).unwrap();
        assert_eq!(
            moved.parent,
            Some(None),
            "null parent: make it a department"
        );
        assert_eq!(
            CategoryPatch::parse(None, None, None, Some(Some(0)))
                .unwrap_err()
                .field,
            "parent_id"
        );
    }
}
