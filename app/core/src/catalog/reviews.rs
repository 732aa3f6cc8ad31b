//! Product reviews (C-BROWSE-08): the rules of a review and what the
//! catalog shows of them.
//!
//! - Only a customer who bought the product (an order of theirs with it, not
//!   cancelled) may review it, once.
//! - A rating from 1 to 5 and a text of 1–[`MAX_TEXT_CHARS`] characters.
//! - The text is moderated automatically before anyone sees it: a text with
//!   a link or an e-mail address is **held** for a person to read (the
//!   back office, in the admin issue), as are texts with the spam phrases in
//!   [`HELD_PHRASES`]; every other text is **published**. Only published
//!   reviews are shown and counted in the product's rating.
//! - The text is kept as written and returned twice: `text` (JSON-safe,
//!   for clients that escape on their own) and `text_html` (HTML-escaped by
//!   the `html-escape` crate, safe to put inside an element as it is).
//! - A reviewer is shown as a short display name ("Aiko T."), never their
//!   e-mail.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validation::Invalid;

/// The longest review text, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// Phrases that hold a review for moderation (lower-case). Short on
/// purpose: the point is the path a held review takes, not a spam filter.
pub const HELD_PHRASES: &[&str] = &["buy now", "click here", "free money", "casino", "viagra"];

/// A star rating, 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating(u8);

impl Rating {
    /// Refuses anything outside 1–5 (field `rating`).
    pub fn parse(raw: i64) -> Result<Rating, Invalid> {
        if (1..=5).contains(&raw) {
            Ok(Rating(raw as u8))
        } else {
            Err(Invalid::new("rating", "must be a whole number from 1 to 5"))
        }
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

/// A review's text: surrounding whitespace removed, 1–[`MAX_TEXT_CHARS`]
/// characters, no control characters other than line breaks and tabs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewText(String);

impl ReviewText {
    /// Refuses an empty, overlong or control-character text (field `text`).
    pub fn parse(raw: &str) -> Result<ReviewText, Invalid> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(Invalid::new("text", "must not be empty"));
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(Invalid::new(
                "text",
                format!("must be at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(Invalid::new(
                "text",
                "must not contain control characters other than line breaks and tabs",
            ));
        }
        Ok(ReviewText(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the automatic moderation decides for this text.
    pub fn moderate(&self) -> ReviewStatus {
        let lower = self.0.to_lowercase();
        let has_link = ["http://", "https://", "www."]
            .iter()
            .any(|p| lower.contains(p));
        let has_email = lower.split_whitespace().any(|w| {
            w.split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        });
        let has_phrase = HELD_PHRASES.iter().any(|p| lower.contains(p));
        if has_link || has_email || has_phrase {
            ReviewStatus::Held
        } else {
            ReviewStatus::Published
        }
    }
}

/// Where a review is in moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Shown on the product and counted in its rating.
    Published,
    /// Kept back for a person to read; shown to nobody but its author's
    /// answer when it was written.
    Held,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Published => "published",
            ReviewStatus::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewStatus> {
        match s {
            "published" => Some(ReviewStatus::Published),
            "held" => Some(ReviewStatus::Held),
            _ => None,
        }
    }
}

/// A review as the catalog shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Review {
    pub id: i64,
    pub product_id: i64,
    /// 1–5 stars.
    pub rating: i64,
    /// The text as written (JSON-escaped only): escape it before putting it in a page.
    pub text: String,
    /// The same text, HTML-escaped: safe to insert into an element as it is.
    pub text_html: String,
    /// The reviewer's short display name ("Aiko T.").
    pub author: String,
    /// Always true: only buyers may review.
    pub verified_purchase: bool,
    pub status: ReviewStatus,
    /// RFC 3339.
    pub created_at: String,
}

/// A product's rating over its published reviews.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RatingSummary {
    /// Published reviews.
    pub count: i64,
    /// Mean stars, to two decimals; `null` without reviews.
    pub average: Option<f64>,
}

impl RatingSummary {
    /// From the product's stored aggregate (count and sum of stars).
    pub fn from_aggregate(count: i64, sum: i64) -> RatingSummary {
        RatingSummary {
            count,
            average: (count > 0).then(|| ((sum as f64 / count as f64) * 100.0).round() / 100.0),
        }
    }
}

/// One page of a product's published reviews, newest first, with the
/// rating and how many reviews gave each number of stars.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewPage {
    pub items: Vec<Review>,
    pub rating: RatingSummary,
    /// Published reviews with 1, 2, 3, 4 and 5 stars.
    pub stars: [i64; 5],
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

/// The page and page size of a review listing: page from 1, 1–50 per page
/// (default 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewPaging {
    pub page: u32,
    pub per_page: u32,
}

impl ReviewPaging {
    pub fn parse(page: Option<u32>, per_page: Option<u32>) -> Result<ReviewPaging, Invalid> {
        let page = page.unwrap_or(1);
        if !(1..=100_000).contains(&page) {
            return Err(Invalid::new("page", "must be between 1 and 100000"));
        }
        let per_page = per_page.unwrap_or(10);
        if !(1..=50).contains(&per_page) {
            return Err(Invalid::new("per_page", "must be between 1 and 50"));
        }
        Ok(ReviewPaging { page, per_page })
    }

    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

/// The text, HTML-escaped for an element's content or an attribute value.
pub fn html(text: &str) -> String {
    html_escape::encode_safe(text).into_owned()
}

/// "Aiko T." from "Aiko Tanaka"; a one-word name as it is; an empty one
/// "Customer".
pub fn display_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    match (words.next(), words.last()) {
        (None, _) => "Customer".to_owned(),
        (Some(first), None) => first.to_owned(),
        (Some(first), Some(last)) => {
            let initial = last.chars().next().map(|c| c.to_uppercase().to_string());
            format!("{first} {}.", initial.unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five() {
        for ok in 1..=5 {
            assert_eq!(Rating::parse(ok).unwrap().get(), ok);
        }
        for bad in [0, 6, -1, i64::MAX] {
            assert_eq!(Rating::parse(bad).unwrap_err().field, "rating");
        }
    }

    #[test]
    fn texts_are_trimmed_bounded_and_printable() {
        assert_eq!(
            ReviewText::parse("  Great tent \n").unwrap().as_str(),
            "Great tent"
        );
        assert!(ReviewText::parse("Line one\nline two\ttabbed").is_ok());
        assert!(ReviewText::parse(&"é".repeat(MAX_TEXT_CHARS)).is_ok());
        for bad in ["", "   ", "bell\u{7}", &"x".repeat(MAX_TEXT_CHARS + 1)] {
            assert_eq!(ReviewText::parse(bad).unwrap_err().field, "text", "{bad:?}");
        }
    }

    #[test]
    fn links_addresses_and_spam_are_held() {
        let status = |t: &str| ReviewText::parse(t).unwrap().moderate();
        assert_eq!(status("Sturdy, kept us dry <3"), ReviewStatus::Published);
        assert_eq!(status("5 stars @ this price"), ReviewStatus::Published);
        for held in [
            "see https://example.com",
            "WWW.EXAMPLE.COM deals",
            "mail me: a@b.co",
            "Click HERE for free money",
        ] {
            assert_eq!(status(held), ReviewStatus::Held, "{held}");
        }
    }

    #[test]
    fn html_is_escaped_and_names_shortened() {
        assert_eq!(
            html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2F;script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(display_name(" Aiko  Tanaka "), "Aiko T.");
        assert_eq!(display_name("Ada"), "Ada");
        assert_eq!(display_name("Jean de la fontaine"), "Jean F.");
        assert_eq!(display_name(""), "Customer");
    }

    #[test]
    fn averages_round_to_two_decimals() {
        assert_eq!(RatingSummary::from_aggregate(0, 0).average, None);
        assert_eq!(RatingSummary::from_aggregate(3, 13).average, Some(4.33));
        assert_eq!(RatingSummary::from_aggregate(2, 9).average, Some(4.5));
    }

    #[test]
    fn paging_bounds() {
        assert_eq!(
            ReviewPaging::parse(None, None).unwrap(),
            ReviewPaging {
                page: 1,
                per_page: 10
            }
        );
        assert_eq!(ReviewPaging::parse(Some(3), Some(5)).unwrap().offset(), 10);
        assert_eq!(
            ReviewPaging::parse(Some(0), None).unwrap_err().field,
            "page"
        );
        assert_eq!(
            ReviewPaging::parse(None, Some(51)).unwrap_err().field,
            "per_page"
        );
    }
}
