//! The rules of a product listing request (C-BROWSE-01/03/04/05): which
//! page, how many per page, the price range, the category, the search text
//! and the order. [`Listing::parse`] checks them in a fixed order and names
//! the first field that breaks one.

use serde::Deserialize;
use utoipa::ToSchema;

use super::ids::CategoryId;
use crate::validation::Invalid;

/// Highest page number a listing serves.
pub const MAX_PAGE: u32 = 100_000;
/// Most products on one page.
pub const MAX_PER_PAGE: u32 = 100;
/// Products on a page when the caller does not say.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// Longest search text, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// The order of a listing.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Search results: name matches before description matches (the default for search).
    Relevance,
    PriceAsc,
    PriceDesc,
    NameAsc,
    NameDesc,
    /// Most recently added first (the default for listings).
    Newest,
}

/// Which listing is asked for: that decides whether search text is
/// required and whether the category comes from the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// All products (`category_id` may narrow it).
    Products,
    /// A search: `q` is required.
    Search,
    /// The products of the category with this id (and its sub-categories).
    Category(i64),
}

/// A listing request as it arrives, before any rule is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingParams {
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    pub sort: Option<Sort>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub category_id: Option<i64>,
    pub in_stock: Option<bool>,
}

/// A page number, 1–[`MAX_PAGE`] (default 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page(u32);

impl Page {
    /// Refuses 0 and pages past the last one a listing serves.
    pub fn parse(raw: Option<u32>) -> Result<Page, Invalid> {
        match raw.unwrap_or(1) {
            p @ 1..=MAX_PAGE => Ok(Page(p)),
            _ => Err(Invalid::new(
                "page",
                format!("must be between 1 and {MAX_PAGE}"),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Products per page, 1–[`MAX_PER_PAGE`] (default [`DEFAULT_PER_PAGE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerPage(u32);

impl PerPage {
    /// Refuses 0 and more than a page may hold.
    pub fn parse(raw: Option<u32>) -> Result<PerPage, Invalid> {
        match raw.unwrap_or(DEFAULT_PER_PAGE) {
            n @ 1..=MAX_PER_PAGE => Ok(PerPage(n)),
            _ => Err(Invalid::new(
                "per_page",
                format!("must be between 1 and {MAX_PER_PAGE}"),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// An inclusive price range in cents; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PriceRange {
    min: Option<i64>,
    max: Option<i64>,
}

impl PriceRange {
    /// Neither end negative, and the lower end not above the upper one.
    pub fn parse(min: Option<i64>, max: Option<i64>) -> Result<PriceRange, Invalid> {
        for (field, v) in [("min_price", min), ("max_price", max)] {
            if v.is_some_and(|v| v < 0) {
                return Err(Invalid::new(field, "must not be negative"));
            }
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return Err(Invalid::new(
                "min_price",
                "must not be greater than max_price",
            ));
        }
        Ok(PriceRange { min, max })
    }

    pub fn min(self) -> Option<i64> {
        self.min
    }

    pub fn max(self) -> Option<i64> {
        self.max
    }
}

/// The category a listing is narrowed to, and where it was named: an
/// unknown category in the path is a missing resource, in the query a bad
/// parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryFilter {
    pub id: CategoryId,
    pub from_path: bool,
}

impl CategoryFilter {
    /// At most one of the path's and the query's category, and a positive id.
    pub fn parse(path: Option<i64>, query: Option<i64>) -> Result<Option<CategoryFilter>, Invalid> {
        if path.is_some() && query.is_some() {
            return Err(Invalid::new(
                "category_id",
                "the category is already given in the path",
            ));
        }
        path.or(query)
            .map(|raw| {
                CategoryId::parse(raw).map(|id| CategoryFilter {
                    id,
                    from_path: path.is_some(),
                })
            })
            .transpose()
    }
}

/// Search text: trimmed, 1–[`MAX_QUERY_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// `None` for absent or blank text, unless `required`.
    pub fn parse(raw: Option<&str>, required: bool) -> Result<Option<SearchText>, Invalid> {
        match raw.map(str::trim) {
            Some("") | None if required => Err(Invalid::new("q", "search text is required")),
            Some(q) if q.chars().count() > MAX_QUERY_CHARS => Err(Invalid::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            )),
            Some("") | None => Ok(None),
            Some(q) => Ok(Some(SearchText(q.to_owned()))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated listing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    page: Page,
    per_page: PerPage,
    prices: PriceRange,
    category: Option<CategoryFilter>,
    search: Option<SearchText>,
    sort: Sort,
    in_stock: bool,
}

impl Listing {
    /// Checks every rule, in the order a caller reads the parameters.
    /// The order defaults to relevance for a search and newest otherwise;
    /// relevance without search text is refused.
    pub fn parse(params: ListingParams, scope: Scope) -> Result<Listing, Invalid> {
        let page = Page::parse(params.page)?;
        let per_page = PerPage::parse(params.per_page)?;
        let prices = PriceRange::parse(params.min_price, params.max_price)?;
        let path_category = match scope {
            Scope::Category(id) => Some(id),
            _ => None,
        };
        let category = CategoryFilter::parse(path_category, params.category_id)?;
        let search = SearchText::parse(params.q.as_deref(), scope == Scope::Search)?;
        let sort = params.sort.unwrap_or(if search.is_some() {
            Sort::Relevance
        } else {
            Sort::Newest
        });
        if sort == Sort::Relevance && search.is_none() {
            return Err(Invalid::new("sort", "relevance needs search text (q)"));
        }
        Ok(Listing {
            page,
            per_page,
            prices,
            category,
            search,
            sort,
            in_stock: params.in_stock == Some(true),
        })
    }

    pub fn page(&self) -> Page {
        self.page
    }
    pub fn per_page(&self) -> PerPage {
        self.per_page
    }
    pub fn prices(&self) -> PriceRange {
        self.prices
    }
    pub fn category(&self) -> Option<CategoryFilter> {
        self.category
    }
    pub fn search(&self) -> Option<&SearchText> {
        self.search.as_ref()
    }
    pub fn sort(&self) -> Sort {
        self.sort
    }
    /// Only products with stock on hand.
    pub fn in_stock(&self) -> bool {
        self.in_stock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(params: ListingParams, scope: Scope) -> (String, String) {
        let e = Listing::parse(params, scope).unwrap_err();
        (e.field, e.message)
    }

    fn pair(field: &str, message: &str) -> (String, String) {
        (field.to_owned(), message.to_owned())
    }

    #[test]
    fn defaults() {
        let l = Listing::parse(ListingParams::default(), Scope::Products).unwrap();
        assert_eq!((l.page().get(), l.per_page().get()), (1, 20));
        assert_eq!(l.sort(), Sort::Newest);
        assert!(l.search().is_none() && l.category().is_none() && !l.in_stock());
        let l = Listing::parse(
            ListingParams {
                q: Some("  lamp ".into()),
                ..Default::default()
            },
            Scope::Search,
        )
        .unwrap();
        assert_eq!(l.sort(), Sort::Relevance);
        assert_eq!(l.search().unwrap().as_str(), "lamp");
    }

    #[test]
    fn page_and_per_page_limits() {
        assert_eq!(Page::parse(Some(MAX_PAGE)).unwrap().get(), MAX_PAGE);
        assert_eq!(PerPage::parse(Some(1)).unwrap().get(), 1);
        assert_eq!(PerPage::parse(Some(100)).unwrap().get(), 100);
        for p in [0, MAX_PAGE + 1] {
            assert_eq!(
                refused(
                    ListingParams {
                        page: Some(p),
                        ..Default::default()
                    },
                    Scope::Products
                ),
                pair("page", "must be between 1 and 100000")
            );
        }
        for n in [0, 101] {
            assert_eq!(
                refused(
                    ListingParams {
                        per_page: Some(n),
                        ..Default::default()
                    },
                    Scope::Products
                ),
                pair("per_page", "must be between 1 and 100")
            );
        }
    }

    #[test]
    fn price_range() {
        assert!(PriceRange::parse(Some(0), Some(0)).is_ok());
        assert_eq!(PriceRange::parse(None, Some(5)).unwrap().max(), Some(5));
        let e = PriceRange::parse(Some(-1), Some(-2)).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("min_price", "must not be negative")
        );
        assert_eq!(
            PriceRange::parse(None, Some(-2)).unwrap_err().field,
            "max_price"
        );
        let e = PriceRange::parse(Some(10), Some(9)).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("min_price", "must not be greater than max_price")
        );
    }

    #[test]
    fn category_from_path_or_query_not_both() {
        let c = CategoryFilter::parse(Some(3), None).unwrap().unwrap();
        assert!(c.from_path && c.id.get() == 3);
        assert!(
            !CategoryFilter::parse(None, Some(3))
                .unwrap()
                .unwrap()
                .from_path
        );
        assert_eq!(CategoryFilter::parse(None, None).unwrap(), None);
        assert_eq!(
            CategoryFilter::parse(Some(3), Some(3)).unwrap_err().message,
            "the category is already given in the path"
        );
        for bad in [(Some(0), None), (None, Some(-4))] {
            let e = CategoryFilter::parse(bad.0, bad.1).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.message.as_str()),
                ("category_id", "must be a positive integer")
            );
        }
    }

    #[test]
    fn search_text() {
        assert_eq!(SearchText::parse(None, false).unwrap(), None);
        assert_eq!(SearchText::parse(Some("   "), false).unwrap(), None);
        for blank in [None, Some(""), Some(" \t")] {
            assert_eq!(
                SearchText::parse(blank, true).unwrap_err(),
                Invalid::new("q", "search text is required")
            );
        }
        let long = "é".repeat(MAX_QUERY_CHARS);
        assert!(
            SearchText::parse(Some(&long), true).is_ok(),
            "characters, not bytes"
        );
        let e = SearchText::parse(Some(&format!("{long}x")), false).unwrap_err();
        assert_eq!(e.message, "must be at most 100 characters");
    }

    #[test]
    fn relevance_needs_search_text() {
        assert_eq!(
            refused(
                ListingParams {
                    sort: Some(Sort::Relevance),
                    ..Default::default()
                },
                Scope::Products
            ),
            pair("sort", "relevance needs search text (q)")
        );
        let l = Listing::parse(
            ListingParams {
                q: Some("x".into()),
                sort: Some(Sort::PriceAsc),
                in_stock: Some(true),
                ..Default::default()
            },
            Scope::Products,
        )
        .unwrap();
        assert_eq!(l.sort(), Sort::PriceAsc);
        assert!(l.in_stock());
    }

    #[test]
    fn the_first_broken_rule_is_reported() {
        let params = ListingParams {
            page: Some(0),
            per_page: Some(0),
            min_price: Some(-1),
            ..Default::default()
        };
        assert_eq!(refused(params, Scope::Search).0, "page");
        let params = ListingParams {
            category_id: Some(2),
            ..Default::default()
        };
        assert_eq!(refused(params, Scope::Category(1)).0, "category_id");
    }
}
