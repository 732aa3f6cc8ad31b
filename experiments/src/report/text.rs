//! Number and text formatting shared by the tables and the charts. One
//! place decides how a figure looks, so the same number reads the same in
//! every table, bullet and chart label.

use crate::results::Spread;

/// `x` with about `digits` significant digits, never in scientific
/// notation and never with fewer than all its integer digits:
/// `sig(1234.4, 3)` = `1234`, `sig(12.34, 3)` = `12.3`, `sig(0.01234, 3)` = `0.0123`.
pub fn sig(x: f64, digits: i32) -> String {
    if !x.is_finite() {
        return "–".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).clamp(0, 9) as usize;
    let s = format!("{x:.decimals$}");
    // `-0.000` and the like read as zero.
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        "0".to_owned()
    } else {
        s
    }
}

/// Three significant digits.
pub fn num(x: f64) -> String {
    sig(x, 3)
}

/// A setting such as a duration in seconds: three significant digits
/// without trailing zeros (`3`, `1.5`, `0.25`).
pub fn plain(x: f64) -> String {
    let s = sig(x, 3);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Microseconds shown as milliseconds.
pub fn ms(us: f64) -> String {
    num(us / 1000.0)
}

/// A signed difference in microseconds, shown as milliseconds: `+0.123`, `−0.05`.
pub fn signed_ms(us: f64) -> String {
    if !us.is_finite() {
        return "–".to_owned();
    }
    let s = ms(us.abs());
    if s == "0" {
        s
    } else if us < 0.0 {
        format!("−{s}")
    } else {
        format!("+{s}")
    }
}

/// Requests per second: whole numbers from 100 on.
pub fn rps(x: f64) -> String {
    plain(x)
}

/// A large quantity: `1.00 million`, `25.0 k`, `812`.
pub fn qty(x: f64) -> String {
    if x.abs() >= 1e6 {
        format!("{} million", num(x / 1e6))
    } else if x.abs() >= 1e4 {
        format!("{} k", num(x / 1e3))
    } else {
        num(x)
    }
}

/// A ratio (1.0 = 100 %) as a percentage with one decimal.
pub fn pct(ratio: f64) -> String {
    if !ratio.is_finite() {
        return "–".to_owned();
    }
    format!("{:.1} %", ratio * 100.0)
}

/// US dollars: cents from $1 on, three significant digits below.
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        "–".to_owned()
    } else if x.abs() >= 1.0 {
        format!("${x:.2}")
    } else {
        format!("${}", sig(x, 3))
    }
}

/// Bytes, with a readable unit.
pub fn bytes(b: f64) -> String {
    if !b.is_finite() {
        "–".to_owned()
    } else if b.abs() >= 1024.0 * 1024.0 {
        format!("{} MiB", num(b / 1024.0 / 1024.0))
    } else if b.abs() >= 1024.0 {
        format!("{} KiB", num(b / 1024.0))
    } else {
        format!("{} B", num(b))
    }
}

/// A median with its spread over the repeats as a small `(min–max)`
/// after it; the spread is left out when there is none to show.
pub fn spread(s: &Spread, repeats: usize, f: impl Fn(f64) -> String) -> String {
    let median = f(s.median);
    let (lo, hi) = (f(s.min), f(s.max));
    if repeats <= 1 || (lo == median && hi == median) {
        median
    } else {
        format!("{median} <sub>({lo}–{hi})</sub>")
    }
}

/// A paired estimate: the median, and its 95 % bootstrap interval in small
/// print (`97.0 % <sub>[95.1–98.2]</sub>`), or `n=1, no interval` when there
/// were too few repeats to have one.
pub fn estimate(e: &crate::stats::Estimate, f: impl Fn(f64) -> String) -> String {
    match e.ci95 {
        Some((lo, hi)) => format!("{} <sub>[{}–{}]</sub>", f(e.median), f(lo), f(hi)),
        None => format!("{} <sub>(n={}, no interval)</sub>", f(e.median), e.n),
    }
}

/// Text safe inside a Markdown table cell or list item: no HTML, no
/// column breaks, no line breaks.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '`' => out.push('\''),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A file-name-safe slug: `closed×16` → `closed-16`, `open@12.5/s` → `open-12_5-s`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' => out.push(c.to_ascii_lowercase()),
            '.' => out.push('_'),
            _ => {
                if !out.ends_with('-') {
                    out.push('-');
                }
            }
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(sig(1234.4, 3), "1234");
        assert_eq!(sig(12.34, 3), "12.3");
        assert_eq!(sig(0.01234, 3), "0.0123");
        assert_eq!(sig(0.0, 3), "0");
        assert_eq!(sig(-0.00001, 3), "-0.0000100");
        assert_eq!(sig(f64::NAN, 3), "–");
        assert_eq!(ms(412.0), "0.412");
        assert_eq!(plain(3.0), "3");
        assert_eq!(qty(1e6), "1.00 million");
        assert_eq!(qty(25_000.0), "25.0 k");
        assert_eq!(plain(1.50), "1.5");
        assert_eq!(plain(1234.0), "1234");
        assert_eq!(signed_ms(-50.0), "−0.0500");
        assert_eq!(signed_ms(120.0), "+0.120");
        assert_eq!(pct(0.9612), "96.1 %");
        assert_eq!(usd(5.4321), "$5.43");
        assert_eq!(usd(0.012345), "$0.0123");
        assert_eq!(bytes(2048.0), "2.00 KiB");
    }

    #[test]
    fn spread_is_left_out_when_there_is_none() {
        let s = Spread {
            median: 2.0,
            min: 1.0,
            max: 3.0,
        };
        assert_eq!(spread(&s, 3, num), "2.00 <sub>(1.00–3.00)</sub>");
        assert_eq!(spread(&s, 1, num), "2.00");
    }

    #[test]
    fn slugs_and_escapes() {
        assert_eq!(slug("closed×16"), "closed-16");
        assert_eq!(slug("open@12.5/s"), "open-12_5-s");
        assert_eq!(md("a|b<c>"), "a\\|b&lt;c&gt;");
    }
}
