//! What a database span says about a statement: the operation, the table,
//! and the query text with every literal replaced by `?` (O-TRACE-02).
//!
//! The shop only runs static SQL with bound parameters, so its statements
//! contain no user data; sanitising anyway keeps the guarantee when someone
//! adds a literal.

/// The parts of a statement a database span records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementInfo {
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, …
    pub operation: &'static str,
    /// The first table named after FROM / INTO / UPDATE, if any.
    pub collection: Option<String>,
    /// The statement with literals replaced by `?` and whitespace collapsed.
    pub sanitized: String,
    /// `{operation} {collection}` (or just the operation): the span name the
    /// semantic conventions recommend.
    pub span_name: String,
}

const OPERATIONS: [&str; 8] = [
    "SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "COMMIT", "ROLLBACK",
];

/// Parses and sanitises a statement. Never fails: unknown statements get
/// the operation `OTHER`.
pub fn describe(sql: &str) -> StatementInfo {
    let sanitized = sanitize(sql);
    let mut words = sanitized
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|w| !w.is_empty());
    let first = words.next().unwrap_or_default().to_ascii_uppercase();
    let operation = OPERATIONS
        .iter()
        .find(|op| **op == first)
        .copied()
        .unwrap_or("OTHER");
    let mut collection = None;
    let mut previous = first;
    if operation == "UPDATE" {
        collection = words.next().map(clean_identifier);
    } else {
        for w in words {
            let upper = w.to_ascii_uppercase();
            if previous == "FROM" || previous == "INTO" {
                collection = Some(clean_identifier(w));
                break;
            }
            previous = upper;
        }
    }
    let span_name = match &collection {
        Some(c) => format!("{operation} {c}"),
        None => operation.to_owned(),
    };
    StatementInfo {
        operation,
        collection,
        sanitized,
        span_name,
    }
}

fn clean_identifier(w: &str) -> String {
    w.trim_matches(|c| c == '`' || c == '"' || c == ';')
        .to_owned()
}

/// Replaces string literals ('…', "…") and numeric literals with `?`, and
/// collapses runs of whitespace to one space.
pub fn sanitize(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut last_was_space = false;
    // Whether the previous character could end an identifier (so a digit
    // after it is part of the identifier, as in `t1`).
    let mut in_word = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                // Skip to the closing quote; a doubled quote is an escaped one.
                while let Some(n) = chars.next() {
                    if n == c {
                        if chars.peek() == Some(&c) {
                            chars.next();
                        } else {
                            break;
                        }
                    } else if n == '\\' {
                        chars.next();
                    }
                }
                out.push('?');
                last_was_space = false;
                in_word = false;
            }
            c if c.is_ascii_digit() && !in_word => {
                while chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '.')
                {
                    chars.next();
                }
                out.push('?');
                last_was_space = false;
            }
            c if c.is_whitespace() => {
                if !last_was_space && !out.is_empty() {
                    out.push(' ');
                }
                last_was_space = true;
                in_word = false;
            }
            c => {
                out.push(c);
                last_was_space = false;
                in_word = c.is_alphanumeric() || c == '_' || c == '`' || c == '.';
            }
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_become_placeholders() {
        assert_eq!(
            sanitize(
                "SELECT * FROM t1 WHERE name = 'O''Brien' AND price > 10.5 AND id IN (1, 2)\n  LIMIT ?"
            ),
            "SELECT * FROM t1 WHERE name = ? AND price > ? AND id IN (?, ?) LIMIT ?"
        );
        assert_eq!(sanitize("SELECT \"a\\\"b\" , x2"), "SELECT ? , x2");
    }

    #[test]
    fn operation_and_table() {
        let d = describe("  select p.id from products p join inventory i on i.product_id = p.id");
        assert_eq!(d.operation, "SELECT");
        assert_eq!(d.collection.as_deref(), Some("products"));
        let d = describe("INSERT INTO order_items (order_id) VALUES (?)");
        assert_eq!(
            (d.operation, d.collection.as_deref()),
            ("INSERT", Some("order_items"))
        );
        let d = describe("UPDATE inventory SET quantity = quantity - ? WHERE product_id = ?");
        assert_eq!(
            (d.operation, d.collection.as_deref()),
            ("UPDATE", Some("inventory"))
        );
        assert_eq!(d.span_name, "UPDATE inventory");
        let d = describe("SELECT 1");
        assert_eq!(d.span_name, "SELECT");
        assert_eq!((d.operation, d.collection), ("SELECT", None));
        assert_eq!(describe("PRAGMA x").operation, "OTHER");
        assert_eq!(describe("").operation, "OTHER");
    }
}
